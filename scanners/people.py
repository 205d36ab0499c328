"""People's names in text, and which of them are not patients.

A name is found in one of three shapes:
  titled     Mr/Mrs/Ms/Miss/Mx + a capitalised word (+ another): "Mrs Jones", "Ms Sinead Brannigan"
  labelled   "Patient:", "Client:", "Name:", "Patient name:" + two or three capitalised words
  full       a given name from the list + a capitalised word that could be a surname:
             "Sarah Jones", "Marcus O'Neill-Bell", "Priya SHAH"
and, apart from these (`first_names`), a given name standing alone ("for Karen's review"),
unless it is also an everyday word ("Hope you're well", "May", "Will") or is written in
lower case elsewhere in the same text.
Given names and surnames come from the US Census lists shipped in the `names` package (public
domain), plus scanners/data/patient_names.txt for UK names they lack, brands named like people
(Jane Iredale, Sarah Chapman) and capitalised words that are never surnames.

Not patients: the clinic's practitioners and own names (from the config), names followed by a
job title ("Bethany Hale, Aesthetic Nurse Practitioner"), names after "with" in an appointment
("consultation with Bethany Hale"), anyone titled Dr or Prof, the sender (From), and names in
a signature block (after "Kind regards," and the like).
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from scanners import identifiers, lexicon, patient_keys

_LOWER = "a-zà-öø-ÿŵŷ'’"  # accented small letters too: Siân, Rhodri Pryce-Jônes
# McAllister and O'Neill before the plain capitalised word, which would stop at "Mc"
_WORD = (rf"Ma?c[A-Z][a-z]+|[A-Z]['’][A-Z][a-z]+|[A-Z][{_LOWER}]+(?:-[A-Z][{_LOWER}]+)?|"
         r"[A-Z]{2,}(?:-[A-Z]{2,})?")
_TITLED = re.compile(r"\b(Mr|Mrs|Ms|Miss|Mx)\.?\s+((?:" + _WORD + r")(?:\s+(?:" + _WORD + r"))?)")
_LABELLED = re.compile(
    r"\b(?i:patient|client|name|patient name|client name|full name|patient's name|re|"
    r"regarding|surname|enw|enw llawn|enw'r claf|cyfenw|claf)(?:\s*:\s*|[ \t]+[-–][ \t]+)(?:(?:Mr|Mrs|Ms|Miss|Mx)\.?\s+)?"
    r"((?:" + _WORD + r")(?:[ \t]+(?:" + _WORD + r")){1,2})")
_CAPITALISED = re.compile(r"\b(?:" + _WORD + r")(?:[ \t]+(?:" + _WORD + r")){1,2}\b")
_CLOSING = re.compile(
    r"^[ \t>]*(?:(?:kind|best|warm|warmest|many|with)?\s*(?:regards|wishes|thanks|thank you)|"
    r"best|cheers|thanks|yours(?: sincerely| faithfully| truly)?|sincerely|all the best|"
    r"speak soon|take care|--|"
    r"cofion(?: cynnes| gorau| caredig)?|yn gywir(?: iawn)?|diolch(?: yn fawr)?|hwyl(?: fawr)?|"
    r"pozdrawiam|z powa[zż]aniem)\s*[,.!]?\s*$", re.IGNORECASE | re.MULTILINE)
# greetings drawn out as people type them: "hiii", "hiyaaa", "heyyy", "hellooo"
_SALUTATION = re.compile(r"^[ \t>]*(?:dear|h+i+(?:y+a+)?|hel+o+|he+y+a*|morning|afternoon|evening|"
                         r"good (?:morning|afternoon|evening)|"
                         r"annwyl|helo|shwmae|bore da|prynhawn da|noswaith dda|"  # Welsh
                         r"drog[ia]|witaj|witam|dzie[nń] dobry|cze[sś][cć])"  # Polish
                         r",?\s+(?:(?:Mr|Mrs|Ms|Miss|Mx|Dr)\.?\s+)?"
                         rf"([A-Z][{_LOWER}\-]+(?:\s+[A-Z][{_LOWER}\-]+)?)",  # Gráinne, Siân
                         re.IGNORECASE | re.MULTILINE)
# a message opened with a name: "Noa!! Your pics are in", "Aileen,", "Kayleigh I'm going to"
_OPENING_NAME = re.compile(rf"\A[ \t\r\n]*([A-Z][{_LOWER}\-]+)(?![{_LOWER}\-])")
# who wrote the message quoted below: "On 3 Feb 2026, Linda Quick wrote:", "> From: Linda Quick"
_ATTRIBUTION = re.compile(
    rf"^[ \t>]*(?:on\b[^\n]{{0,80}}?,[ \t]*)?([A-Z][{_LOWER}\-]+(?:[ \t]+[A-Z][{_LOWER}\-]+){{0,2}})"
    r"[ \t]*(?:<[^>\n]*>[ \t]*)?wrote:|^[ \t>]*from:[ \t]*\"?"
    rf"([A-Z][{_LOWER}\-]+(?:[ \t]+[A-Z][{_LOWER}\-]+){{0,2}})", re.MULTILINE | re.IGNORECASE)
_PRACTITIONER_BEFORE = re.compile(
    r"(?:\b(?:appointment|consultation|session|treatment|booked|book|review|clinic|slot|"
    r"appointments|consultations)\s+(?:\w+\s+){0,2}with|\b(?:treated|injected|seen|performed|"
    r"prescribed|carried out|done|assessed)\s+by|\b(?:dr|doctor|prof|professor|sister|matron)\.?)\s+$",
    re.IGNORECASE)
SIGNATURE_LINES = 6


@dataclass(frozen=True, slots=True)
class Name:
    start: int
    end: int
    text: str  # as written, without the title
    key: str  # patient_keys.name_key ("sarah jones"), "" for a title + surname only
    surname: str  # folded
    shape: str  # "titled", "labelled" or "full"


@lru_cache(maxsize=1)
def name_lists() -> tuple[frozenset[str], frozenset[str], frozenset[str], frozenset[str]]:
    """(given names, surnames, brands, never-surnames), folded to lower case."""
    import names as census

    base = Path(census.__file__).parent

    def read(file: str) -> set[str]:
        with open(base / file, encoding="ascii", errors="ignore") as f:
            return {line.split(" ", 1)[0].lower() for line in f if line.strip()}

    table = lexicon.table("patient_names.txt")
    extra = {label: {patient_keys.fold(t) for t, _, lab in table.entries if lab == label}
             for label in ("first", "brand", "notname", "common")}
    first = read("dist.male.first") | read("dist.female.first") | extra["first"]
    surnames = read("dist.all.last")
    notname = extra["notname"] | _cue_words()
    return frozenset(first - notname), frozenset(surnames), frozenset(extra["brand"]), \
        frozenset(notname)


@lru_cache(maxsize=1)
def not_alone() -> frozenset[str]:
    """Given names that are not taken as a first name standing alone: everyday words
    (patient_names.txt `common`) and every single-word cue (chin, lip, teacher)."""
    table = lexicon.table("patient_names.txt")
    cues = {patient_keys.fold(t) for t, _, _ in lexicon.table("patient_cues.txt").entries
            if " " not in t}
    return frozenset({patient_keys.fold(t) for t, _, lab in table.entries if lab == "common"}
                     | cues)


def _cue_words() -> set[str]:
    """Single-word cues that are never surnames (the distinguishing details and body areas
    are not among them: Baker, Chin and Temple are surnames)."""
    return {patient_keys.fold(t) for t, _, label in lexicon.table("patient_cues.txt").entries
            if " " not in t and label not in ("detail", "body")}


_PRONOUN = re.compile(r"I['’](?:m|ve|ll|d)", re.IGNORECASE)  # "Kayleigh I'm going to ..."


def _ok_surname(word: str, notname: frozenset[str]) -> bool:
    w = patient_keys.fold(word)
    return len(w) >= 2 and w not in notname and not _PRONOUN.fullmatch(word)


def _word_starts_upper(arr) -> list[int]:
    """Offsets of ASCII capitals that start a word (no letter, digit or apostrophe before)."""
    import numpy as np

    upper = (arr >= 65) & (arr <= 90)
    if not upper.any():
        return []
    prev = np.empty_like(arr)
    prev[0] = 32
    prev[1:] = arr[:-1]
    in_word = ((prev >= 48) & (prev <= 57)) | ((prev >= 65) & (prev <= 90)) | \
        ((prev >= 97) & (prev <= 122)) | (prev > 127) | (prev == 39)
    return np.flatnonzero(upper & ~in_word).tolist()


def _labelled(text: str, arr):
    """Matches of _LABELLED, looked for only around a colon or a spaced dash."""
    import numpy as np

    colon = arr == 58
    dash = (arr == 45) | (arr == 8211)
    dash[1:-1] &= (arr[:-2] == 32) & (arr[2:] == 32)
    anchors = np.flatnonzero(colon | dash)
    for start, end in identifiers.merge(anchors - 30, anchors + 90, len(text)):
        yield from _LABELLED.finditer(text, start, end)


def find(text: str, arr=None) -> list[Name]:
    """Every name in `text`, longest shape first where they overlap. `arr`: the text's
    code points (identifiers.codes), when the caller has them already."""
    first, surnames, brands, notname = name_lists()
    seen: dict = {}
    out: list[Name] = []
    taken = bytearray(len(text) + 1)  # 1 where a name already is

    def add(start, end, written, shape):
        if taken.find(1, start, end) != -1:
            return
        if written.endswith(("'s", "’s", "'S", "’S")):  # "Sarah Jones's" is Sarah Jones
            written, end = written[:-2], end - 2
        elif written.endswith(("'", "’")):
            written, end = written[:-1], end - 1
        words = written.split()
        if shape != "titled" and patient_keys.fold(" ".join(words[:2])) in brands:
            return
        surname = patient_keys.fold(words[-1])
        out.append(Name(start, end, written, patient_keys.name_key(written) if len(words) > 1
                        else "", surname, shape))
        taken[start:end] = b"\x01" * (end - start)

    arr = identifiers.codes(text) if arr is None else arr
    starts = _word_starts_upper(arr)
    if not starts:
        return []
    titled = (_TITLED.match(text, p) for p in starts if text[p] == "M")
    for m in filter(None, titled):
        words = m.group(2).split()
        while words and not _ok_surname(words[-1], notname):
            words.pop()
        if words:
            written = " ".join(words)
            add(m.start(), m.start(2) + len(written), written, "titled")
    for m in _labelled(text, arr):
        words = m.group(1).split()
        while len(words) > 1 and not _ok_surname(words[-1], notname):
            words.pop()
        if len(words) >= 2 and patient_keys.fold(words[0]) not in notname:
            written = " ".join(words)
            add(m.start(1), m.start(1) + len(written), written, "labelled")
    covered = -1
    for p in starts:
        if p < covered:
            continue
        m = _CAPITALISED.match(text, p)
        if m is None:
            continue
        covered = m.end()
        words = m.group(0).split()
        pos = m.start()
        # try each start word: "Thanks Sarah Jones" -> "Sarah Jones"
        for i in range(len(words) - 1):
            given = patient_keys.fold(words[i])
            if given in first and not words[i].isupper():
                # every word after the given name must read as a surname: a word that is
                # never one ("Summer Skin Leaflet", "Rose Gold Facial") ends the name where
                # it stands, and so does an everyday word the text also writes in lower
                # case ("Winter Radiance Facial ... radiance all winter"): a heading or a
                # product named in title case, not a person
                tail = []
                for word in words[i + 1:]:
                    if not _ok_surname(word, notname) or _everyday(word, text, surnames, seen):
                        break
                    tail.append(word)
                if tail:
                    start = text.index(words[i], pos)
                    written = " ".join([words[i]] + tail)
                    end = text.index(tail[-1], start + len(words[i])) + len(tail[-1])
                    if _PLACE_WORD.fullmatch(tail[-1]) or _POSTCODE_AFTER.match(text, end) or \
                            _STREET_AFTER.match(text, end) or \
                            _ADDRESS_BEFORE.search(text, max(0, start - 60), start) or \
                            _IN_PLACE.search(text, max(0, start - 8), start) and \
                            not _POSSESSIVE.match(text, end):
                        break  # "Wheal Betsy Cottage", "Mary Tavy PL19", "3 Chapel Row, Mary
                        # Tavy", "three people in Mary Tavy": a place
                    if all(w.isupper() and len(w) <= 3 for w in tail) and \
                            re.match(r"[ \t]*[,;.(]", text[end:end + 2]):
                        break  # "Lee HJ, Patel R.": an author cited, surname and initials
                    add(start, end, text[start:end] if "\n" not in text[start:end] else written,
                        "full")
                break
            pos = text.index(words[i], pos) + len(words[i])
    out.sort(key=lambda n: n.start)
    return out


_LOWER_WORD = re.compile(r"(?<![\w.@/'’-])[a-z][a-z]+(?![\w@/'’-]|\.\w)")


def _everyday(word: str, text: str, surnames: frozenset[str], seen: dict) -> bool:
    """A capitalised word that is no census surname and that the text also writes in lower
    case as a word of its own (not inside an address: "sarah.okafor@..." names nobody).
    `seen`: a cache for the text's lower-case words, filled on first use."""
    if patient_keys.fold(word) in surnames or not word[:1].isupper():
        return False
    if "lower" not in seen:
        seen["lower"] = set(_LOWER_WORD.findall(text))
    return word.lower() in seen["lower"]


# a given name and a word that is a building or a street, not a surname ("Betsy Cottage",
# "Rose Villas", "Grace Terrace"); and a name written just before a postcode or its district
# ("Mary Tavy PL19", "Sarah Bridge EX20 4AB") is a place of the address, not a person
_PLACE_WORD = re.compile(r"Cottages?|Farm|Barns?|Lodge|Manor|Close|Drive|Avenue|Crescent|Terrace|"
                         r"Gardens|Mews|Villas?|Road|Street|Way|View|Place|Estate")
# a street named after its place: "Glen Affric Road", "Mary Tavy Lane"
_STREET_AFTER = re.compile(r"[ \t]+(?:Road|Rd|Street|St|Lane|Row|Avenue|Drive|Crescent|Terrace|"
                           r"Close|Gardens|Mews)\b\.?")
# after a house number and its street or building on the same line ("3 Chapel Row, ",
# "Villa 12, ", "Flat 4b, 21 Mill Lane, "), the next capitalised words are the locality
_ADDRESS_BEFORE = re.compile(r"(?:\b\d{1,4}[A-Za-z]?[ \t]+(?!(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|"
                             r"Nov|Dec)[a-z]*\b)[A-Z][\w'’-]*(?:[ \t]+[A-Z][\w'’-]*){0,3}"
                             r"|\b(?:Villa|Flat|Apartment|Apt|Unit|House|Plot)[ \t]+\d{1,4}[A-Za-z]?)"
                             r",[ \t]*$")
_POSTCODE_AFTER = re.compile(r"[ \t]+[A-Z]{1,2}\d[A-Z\d]?(?:[ \t]*\d[A-Z]{2})?\b")


# "St George's Road", "Rose Street", "Holly Lodge": a given name inside a longer proper name
_IN_PLACE_NAME_BEFORE = re.compile(r"\b(?:St|Saint|Ste)\.?[ \t]+$")
_IN_PLACE_NAME_AFTER = re.compile(r"(?:['’]s)?[ \t]+[A-Z][a-z]")
_CITED = re.compile(r"[ \t]+[A-Z]{1,2}\.?(?:[,;.(]|[ \t]*\(|$)")  # "Tran L, Bakr M." cite authors
_IN_PLACE = re.compile(r"\b(?:in|near)[ \t]+$", re.IGNORECASE)  # "in Mary Tavy": a full name too
_PLACE_BEFORE = re.compile(r"\b(?:the|our|in|at|from|near)[ \t]+$", re.IGNORECASE)  # "in Clifton"
_POSSESSIVE = re.compile(r"['’]s\b")
_FIRST = re.compile(r"[A-Z][a-z]+(?:-[A-Z][a-z]+)?(?=['’]s\b|[^\w'’]|$)")


def first_names(text: str, names: list[Name], arr=None) -> list[Name]:
    """Given names standing alone, outside the `names` already found ("Karen", "Bethan's"),
    as Names of shape "first" with no key and no surname. Not a given name that is an
    everyday word, nor one the text also writes in lower case ("Rose" beside "rose gold")."""
    first, _surnames, _brands, notname = name_lists()
    skip = not_alone()
    arr = identifiers.codes(text) if arr is None else arr
    taken = bytearray(len(text) + 1)
    for n in names:
        taken[n.start:n.end] = b"\x01" * (n.end - n.start)
    lower = None
    out = []
    for p in _word_starts_upper(arr):
        m = _FIRST.match(text, p)
        if m is None:
            continue
        word = patient_keys.fold(m.group(0))
        if len(word) < 3 or word not in first or word in skip or word in notname:
            continue
        if taken[p] or _IN_PLACE_NAME_BEFORE.search(text, max(0, p - 6), p) or \
                _IN_PLACE_NAME_AFTER.match(text, m.end()) or _CITED.match(text, m.end()):
            continue
        if _PLACE_BEFORE.search(text, max(0, p - 8), p) and not _POSSESSIVE.match(text, m.end()):
            continue
        if lower is None:
            lower = set(re.findall(r"\b[a-z][a-z'’\-]*\b", text))
        if m.group(0).lower() in lower:
            continue
        out.append(Name(p, m.end(), m.group(0), "", "", "first"))
    return out


def signature_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each signature block: the lines after a sign-off, at most six."""
    spans = []
    for m in _CLOSING.finditer(text):
        start = m.end()
        end, lines = start, 0
        while lines < SIGNATURE_LINES and end < len(text):
            nl = text.find("\n", end + 1)
            nl = len(text) if nl < 0 else nl
            if text[end:nl].strip():
                lines += 1
            end = nl
        if spans and start <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(end, spans[-1][1]))  # merged: sorted, disjoint
        else:
            spans.append((start, end))
    return spans


def salutation_names(text: str, opening: bool = False) -> list[tuple[int, int, str]]:
    """(start, end, name) of the names in greeting lines: 'Dear Sarah,' -> 'Sarah'; with
    `opening`, also the word the text opens with ('Noa!! Your pics are in') and the writer
    of the message it quotes ('On 3 Feb, Linda Quick wrote:'): whom a reply answers."""
    out = []
    m = _OPENING_NAME.match(text) if opening else None
    if m and not _SALUTATION.match(text, m.start(1)):
        out.append((m.start(1), m.end(1), m.group(1)))
    for a in _ATTRIBUTION.finditer(text) if opening else ():
        group = 1 if a.group(1) else 2
        out.append((a.start(group), a.end(group), a.group(group)))
    for m in _SALUTATION.finditer(text):
        words = [w for w in m.group(1).split() if patient_keys.fold(w) not in name_lists()[3]]
        if words:
            out.append((m.start(1), m.end(1), " ".join(words)))
    return out


_BETWEEN_AFTER = re.compile(r"[\s,(\-–|/]*(?:\w+\s+){0,2}")
# letters after a name: "Kerry Batten NIP", "Helen Gedge MRPharmS", "Graham Thackray BDS",
# "Helen Marchant Assoc CIPD": a professional's post-nominals, each with two capitals or more
# (up to five in capitals, nine mixed), never a record's own label ("Jane Hale DOB", "NHS")
# nor a word shouted ("Jane Hale IS furious")
_POST_NOMINALS = re.compile(
    r"[ \t]*,?[ \t]+(?:Assoc[ \t]+)?(?!(?:NHS|DOB|MRN|CHI|HCN|ID|REF|PIN|TEL|MOB|OK|IS|AND|"
    r"THE|HAS|HAD|WAS|ARE|NOT|NO|YES|TOO|NOW|ALSO|JUST|ONLY|WILL|CAN|DID|SAID|SAYS|NEEDS|"
    r"WANTS)\b)"
    r"(?:[A-Z]{2,5}|(?=[A-Za-z]*[a-z])(?=[A-Za-z]*[A-Z][a-z]*[A-Z])[A-Z][A-Za-z]{2,8})"
    r"(?:\([A-Za-z]+\))?(?![\w'’-])")
_BETWEEN_BEFORE = re.compile(r"[\s,:(]*")


def practitioner_by_position(text: str, name: Name, staff_starts: list[int],
                             staff_ends: list[int]) -> bool:
    """A name that reads as a member of staff: a job title right before or after it ("our
    nurse Lisa Grant", "Bethany Hale, Aesthetic Nurse"), post-nominals after it ("Kerry
    Batten NIP"), an appointment 'with' it, or a Dr before it. `staff_starts` and
    `staff_ends`: the job titles' offsets, each sorted."""
    if name.shape == "labelled":
        return False
    if name.shape == "full" and _POST_NOMINALS.match(text, name.end):
        return True
    if _PRACTITIONER_BEFORE.search(text, max(0, name.start - 60), name.start):
        return True
    i = bisect.bisect_left(staff_starts, name.end)
    while i < len(staff_starts) and staff_starts[i] <= name.end + 45:
        if _BETWEEN_AFTER.fullmatch(text, name.end, staff_starts[i]):
            return True
        i += 1
    i = bisect.bisect_right(staff_ends, name.start) - 1
    while i >= 0 and staff_ends[i] >= name.start - 5:
        if _BETWEEN_BEFORE.fullmatch(text, staff_ends[i], name.start):
            return True
        i -= 1
    return False
