"""Identifiers in text, validated and not just shaped: NHS numbers, Northern Ireland's Health
and Care Numbers and Scotland's CHI numbers (mod 11, range, label), National Insurance
numbers (valid prefixes), UK postcodes in addresses, phone numbers (phonenumbers), e-mail
addresses, labelled record numbers and dates. Pure functions over one string; the
patient-data scanner weighs what they find.

Speed: a regex tried at every position of a long text costs 1 to 10 ms per 100 KB in
Python's `re`. So the finders run only inside windows around cheap anchors found with numpy
in one pass: digit runs (every identifier here has digits) and "@" signs (e-mail). A text
with no digit runs no identifier regex at all. `digit_windows` and `at_windows` compute
them; every finder takes them as `windows` (default: the whole text).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import phonenumbers

from scanners import patient_keys, redact

WINDOW_BEFORE = 45  # characters before a digit run where an identifier may start ("MRN: ")
WINDOW_AFTER = 45


def codes(text: str):
    """The text's characters as a numpy array of code points (bytes when ASCII)."""
    import numpy as np

    if text.isascii():
        return np.frombuffer(text.encode("ascii"), dtype=np.uint8)
    return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)


def merge(starts, ends, length: int) -> list[tuple[int, int]]:
    """Sorted (start, end) pairs, clipped to [0, length] and merged where they overlap."""
    import numpy as np

    if len(starts) == 0:
        return []
    starts = np.clip(np.asarray(starts), 0, length)
    ends = np.maximum.accumulate(np.clip(np.asarray(ends), 0, length))
    new = np.ones(len(starts), dtype=bool)
    new[1:] = starts[1:] > ends[:-1]
    first = np.flatnonzero(new)
    last = np.append(first[1:] - 1, len(starts) - 1)
    return list(zip(starts[first].tolist(), ends[last].tolist()))


def digit_runs(text: str, arr=None) -> tuple[list[int], list[int]]:
    """(starts, ends) of every run of ASCII digits."""
    import numpy as np

    arr = codes(text) if arr is None else arr
    digit = (arr >= 48) & (arr <= 57)
    if not digit.any():
        return [], []
    edges = np.diff(np.concatenate(([False], digit, [False])).astype(np.int8))
    return np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist()


def digit_windows(text: str, arr=None, runs=None) -> list[tuple[int, int]]:
    starts, ends = digit_runs(text, arr) if runs is None else runs
    if not starts:
        return []
    return merge([s - WINDOW_BEFORE for s in starts], [e + WINDOW_AFTER for e in ends], len(text))


def at_windows(text: str) -> list[tuple[int, int]]:
    ats, pos = [], text.find("@")
    while pos >= 0:
        ats.append(pos)
        pos = text.find("@", pos + 1)
    return merge([a - 65 for a in ats], [a + 256 for a in ats], len(text))


def _matches(pattern: re.Pattern, text: str, windows):
    if windows is None:
        yield from pattern.finditer(text)
        return
    for start, end in windows:
        yield from pattern.finditer(text, start, end)


@dataclass(frozen=True, slots=True)
class Ident:
    kind: str  # "nhs", "hcn", "chi", "ni", "postcode", "phone", "email", "mrn", "date"
    start: int
    end: int
    key: str  # normal form (patient_keys), for the register and for comparing
    evidence: str  # redacted


# -- NHS numbers, Health and Care Numbers (Northern Ireland) and CHI numbers (Scotland) ------

# All three are ten digits with the same mod-11 check digit; they differ in range and label.
# NHS England and Wales numbers are issued from 400 000 0000-499 999 9999 and
# 600 000 0000-799 999 9999 (test numbers 999 ...), Health and Care Numbers from
# 320 000 0000-399 999 9999, and a CHI number starts with its holder's date of birth DDMMYY
# (so lies in 010 000 0000-311 299 9999). The label beside a number decides first ("CHI No",
# "H&C", "NHS number"); an unlabelled number in the Health and Care range is one, an
# unlabelled valid CHI number (a real date) is a CHI number, and any other valid number is
# reported as an NHS number, as before.
HEALTH_NAMES = {"nhs": "NHS", "hcn": "Health and Care Number", "chi": "CHI number"}
HCN_RANGE = (3200000000, 3999999999)

# 3-3-4 digits ("320 123 4567", "999-059-3817", "9990593817"), or DDMMYY then four, written
# "010190 1234": that form only as a labelled CHI number
_HEALTH = re.compile(r"(?<![\w\-/.])(?:(\d{3})([ \-]?)(\d{3})\2(\d{4})|(\d{6})[ \-](\d{4}))"
                     r"(?![\w\-/]|\.\d)")
# the label right before a number ("CHI No: ", "H&C number ", "NHS no. is "); "CHI" and "HCN"
# alone only in capitals ("chi" is Welsh for "you")
_LABEL_NO = r"(?:[ \t]+(?:number|no\b\.?|num\b\.?))"
_HEALTH_LABEL = re.compile(
    r"(?:(?P<chi>\b(?-i:CHI)" + _LABEL_NO + r"?|\bchi" + _LABEL_NO + r")"
    r"|(?P<hcn>\bH[ \t]?&[ \t]?C\b" + _LABEL_NO + r"?|\b(?-i:HCN)\b|\bhealth[ \t]+(?:and|&)[ \t]+"
    r"care" + _LABEL_NO + r")"
    r"|(?P<nhs>\bNHS" + _LABEL_NO + r"?))"
    r"[ \t]*(?:is[ \t]+)?[:#.\-]?[ \t]*\n?[ \t]*$", re.IGNORECASE)
LABEL_REACH = 40  # characters before a number where its label is looked for
_DIALLING_CODE = re.compile(r"(?:\+\d{1,3}|\(0\))[ \t]?$")  # "+44 306 999 0123" is a phone


def nhs_number_valid(digits: str) -> bool:
    """Mod-11 check digit of a 10-digit NHS number; repeated digits are refused. Health and
    Care Numbers and CHI numbers carry the same check digit."""
    if len(digits) != 10 or not digits.isdigit() or len(set(digits)) == 1:
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1)))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


def chi_number_valid(digits: str) -> bool:
    """A CHI number: a real date of birth DDMMYY, then two serial digits, a sex digit and
    the mod-11 check digit."""
    if not nhs_number_valid(digits):
        return False
    try:
        date(2000 + int(digits[4:6]), int(digits[2:4]), int(digits[:2]))
    except ValueError:  # no century is written; read as 20YY, 29 February passes every 4 years
        return False
    return True


def health_label(text: str, start: int) -> str:
    """"chi", "hcn" or "nhs": the label right before `start`, or ""."""
    m = _HEALTH_LABEL.search(text, max(0, start - LABEL_REACH), start)
    return m.lastgroup if m else ""


def health_kind(digits: str, label: str = "") -> str:
    """"nhs", "hcn" or "chi" for a ten-digit number with the label before it (see
    health_label), or "" when it is none of them (a checksum that fails, a CHI-labelled
    number with no real date, an H&C-labelled number outside the H&C range)."""
    if not nhs_number_valid(digits):
        return ""
    in_hcn_range = HCN_RANGE[0] <= int(digits) <= HCN_RANGE[1]
    if label == "chi":
        return "chi" if chi_number_valid(digits) else ""
    if label == "hcn":
        return "hcn" if in_hcn_range else ""
    if label == "nhs":
        return "nhs"
    if in_hcn_range:
        return "hcn"
    return "chi" if chi_number_valid(digits) else "nhs"


def health_numbers(text: str, windows=None) -> list[Ident]:
    """NHS numbers, Health and Care Numbers and CHI numbers (kind "nhs", "hcn", "chi"),
    checksum-valid, each named by its label and range (health_kind)."""
    out = []
    for m in _matches(_HEALTH, text, windows):
        if _DIALLING_CODE.search(text, max(0, m.start() - 6), m.start()):
            continue
        label = health_label(text, m.start())
        if m.group(5):
            digits = m.group(5) + m.group(6)
            kind = "chi" if label == "chi" and chi_number_valid(digits) else ""
        else:
            digits = m.group(1) + m.group(3) + m.group(4)
            kind = health_kind(digits, label)
        if kind:
            out.append(Ident(kind, m.start(), m.end(), digits,
                             f"{HEALTH_NAMES[kind]} {redact.digits(m.group(0))}"))
    return out


# -- National Insurance numbers -------------------------------------------------------------

_NI = re.compile(r"\b([A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]) ?(\d{2}) ?(\d{2}) ?(\d{2}) ?([A-D])\b")
_NI_BAD_PREFIX = {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"}


def ni_numbers(text: str, windows=None) -> list[Ident]:
    out = []
    for m in _matches(_NI, text, windows):
        if m.group(1) in _NI_BAD_PREFIX:
            continue
        value = "".join(m.groups())
        out.append(Ident("ni", m.start(), m.end(), value, f"NI {value[:1]}* ** ** {value[6:8]} *"))
    return out


# -- postcodes in addresses -----------------------------------------------------------------

_POSTCODE = re.compile(r"\b(GIR ?0AA|[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]? ?\d[ABD-HJLNP-UW-Z]{2})\b")
_STREET = re.compile(
    r"\b\d{1,4}[A-Za-z]?,?\s+(?:[A-Z][\w'’-]*\s+){1,3}(?:Road|Rd|Street|St|Lane|Ln|Avenue|Ave|"
    r"Close|Drive|Dr|Way|Crescent|Court|Ct|Place|Pl|Gardens|Grove|Terrace|Row|Yard|Mews|Square|"
    r"Hill|Park|View|Walk|Green|Rise|Parade|Gate|Wharf|Quay|Vale|Croft|Fold|Garth|Wynd)\b"
    r"|\b(?:Flat|Apartment|Apt|Unit)\s+\d|\baddress\b|\bhome\b", re.IGNORECASE)
ADDRESS_REACH = 120  # characters before a postcode where the street or an "address" label is


def postcodes(text: str, windows=None) -> list[Ident]:
    """Every well-formed postcode; `postcode_in_address` says which sit in an address."""
    out = []
    for m in _matches(_POSTCODE, text, windows):
        key = patient_keys.postcode_key(m.group(1))
        if key:
            out.append(Ident("postcode", m.start(), m.end(), key,
                             f"postcode {key.split()[0]} ***"))
    return out


def postcode_in_address(text: str, ident: Ident) -> bool:
    return bool(_STREET.search(text, max(0, ident.start - ADDRESS_REACH), ident.start))


# -- phone numbers --------------------------------------------------------------------------

# Ofcom's ranges for drama and tests: possible numbers that phonenumbers rightly calls
# invalid. Fictitious data uses them, so test data is screened as real data would be.
_DRAMA = re.compile(r"^\+44(?:7700900|1632960|2079460|(?:113|114|115|116|117|118|121|131|141|151|"
                    r"161|191)4960|2890180|2920180|1914980|3069990|8081570|9098790)\d{3}$")


PHONE_MAX_GROUPS = 6  # "+44 (0) 113 496 0321" has five groups of digits
_PHONE_GAP = re.compile(r"[ \-.]?[()]?[ \-.]?|[ \-.]")  # between two digit groups of a number


def phone_numbers(text: str, skip: set[tuple[int, int]] = frozenset(), windows=None,
                  runs=None) -> list[Ident]:
    """Numbers phonenumbers calls valid (UK by default, international with +), and those in
    Ofcom's drama ranges. Merely 'possible' numbers are not reported: any 10 or 11 digits are
    possible, order numbers too.

    Candidates are built from the digit runs (`runs`, see digit_runs), not by a regex tried
    at every position: runs joined by at most a space, dash, dot or bracket, 9 to 15 digits
    in all, longest first. `windows` is not needed and ignored."""
    starts, ends = digit_runs(text) if runs is None else runs
    out = []
    n, i = len(starts), 0
    joinable = [starts[j + 1] - ends[j] <= 3 and
                _PHONE_GAP.fullmatch(text, ends[j], starts[j + 1]) is not None
                for j in range(n - 1)] + [False]
    while i < n:
        j, digits, group = i, ends[i] - starts[i], []
        while digits <= 15:
            group.append((j, digits))
            if not joinable[j] or j - i >= PHONE_MAX_GROUPS - 1:
                break
            j += 1
            digits += ends[j] - starts[j]
        hit = None
        for last, count in reversed(group):
            if count < 9:
                break
            start, end = starts[i], ends[last]
            while start and text[start - 1] in "+(":
                start -= 1
            before = text[start - 1] if start else " "
            if before.isalnum() or before in "/.-_" or (start, end) in skip:
                continue
            if end < len(text) and (text[end].isalpha() or text[end] == "/"):
                continue
            e164 = _phone(text[start:end])
            if e164:
                hit = (start, end, e164, last)
                break
        if hit:
            start, end, e164, last = hit
            out.append(Ident("phone", start, end, e164,
                             "phone " + redact.digits(text[start:end], keep=3)))
            i = last + 1
        else:
            i += 1
    return out


@lru_cache(maxsize=8192)
def _phone(candidate: str) -> str:
    """E.164 of a valid or drama-range number, else ''. Cached: signatures repeat."""
    digits = sum(c.isdigit() for c in candidate)
    if not 9 <= digits <= 15 or _looks_like_date(candidate):
        return ""
    try:
        parsed = phonenumbers.parse(candidate, "GB")
    except phonenumbers.NumberParseException:
        return ""
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    return e164 if phonenumbers.is_valid_number(parsed) or _DRAMA.match(e164) else ""


def _looks_like_date(s: str) -> bool:
    return bool(re.fullmatch(r"\d{1,2}[./\-]\d{1,2}[./\-]\d{2,4}", s.strip()))


# -- e-mail addresses -----------------------------------------------------------------------

_EMAIL = re.compile(r"[\w.+'\-]{1,64}@[A-Za-z0-9\-]{1,63}(?:\.[A-Za-z0-9\-]{1,63})+")
ROLE_MAILBOXES = frozenset(
    "info enquiries enquiry hello reception bookings booking appointments admin office accounts "
    "finance billing invoices sales orders support help helpdesk team staff contact mail "
    "noreply no-reply donotreply postmaster webmaster marketing newsletter news press hr jobs "
    "careers referrals clinic customerservice customer.service service returns".split())


def email_addresses(text: str, windows=None) -> list[Ident]:
    """Addresses of individuals: role mailboxes (info@, reception@ ...) are left out."""
    out = []
    for m in _matches(_EMAIL, text, windows):
        address = m.group(0).strip(".'-").lower()
        local, _, domain = address.partition("@")
        if local in ROLE_MAILBOXES or "." not in domain:
            continue
        out.append(Ident("email", m.start(), m.start() + len(address), address,
                         f"email {local[:1]}***@{domain}"))
    return out


# -- labelled record numbers ----------------------------------------------------------------

_MRN = re.compile(
    r"\b(?:MRN|M\.R\.N\.?|Patient\s+(?:ID|No\.?|Number|Ref(?:erence)?)|Hospital\s+(?:No\.?|"
    r"Number)|Hosp\.?\s+No\.?|Unit\s+(?:No\.?|Number)|Client\s+(?:ID|No\.?|Number)|"
    r"Medical\s+Record\s+(?:No\.?|Number)|Record\s+No\.?|CHI\s+(?:No\.?|Number)|"
    r"H&C\s+(?:No\.?|Number))\s*[:#.]?\s*([A-Z]{0,4}[\-/]?\d[\d\-/ ]{2,14}\d[A-Z]?)\b",
    re.IGNORECASE)


_MRN_LABELS = ("mrn", "m.r.n", "patient", "hospital", "hosp", "unit", "client", "medical record",
               "record no", "chi ", "h&c")


def record_numbers(text: str, windows=None) -> list[Ident]:
    """Numbers after a record label; looked for only where a label word is (str.find),
    whatever `windows` says."""
    low = text.lower()
    starts = []
    for label in _MRN_LABELS:
        pos = low.find(label)
        while pos >= 0:
            starts.append(pos)
            pos = low.find(label, pos + 1)
    if not starts:
        return []
    starts.sort()
    out = []
    for m in _matches(_MRN, text, merge([p - 1 for p in starts], [p + 80 for p in starts],
                                        len(text))):
        value = m.group(1)
        if sum(c.isdigit() for c in value) < 4:
            continue
        label = text[m.start():m.start(1)].strip(" :#.")
        out.append(Ident("mrn", m.start(), m.end(), re.sub(r"[\s\-/]", "", value.upper()),
                         f"{_one_line(label)} " + redact.digits(value, keep=2)))
    return out


def _one_line(s: str) -> str:
    return " ".join(s.split())


# -- dates ----------------------------------------------------------------------------------

_MONTHS = {m: i for i, names in enumerate(
    ["jan january", "feb february", "mar march", "apr april", "may", "jun june", "jul july",
     "aug august", "sep sept september", "oct october", "nov november", "dec december"], 1)
    for m in names.split()}
_MONTH = r"(Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|" \
         r"Sept?(?:ember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
_NUM_DATE = re.compile(r"(\d{1,2})([/.\-])(\d{1,2})\2(\d{4}|\d{2})(?![\d/\-]|\.\d)")
_YEAR = re.compile(r"(?:19|20)\d\d(?![\w/])")
_MONTH_BEFORE_YEAR = re.compile(  # searched for in the 32 characters before a year
    r"(?:\b(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?" + _MONTH + r"\.?,?\s+|\b" + _MONTH +
    r"\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+)$", re.IGNORECASE)


def dates(text: str, windows=None) -> list[Ident]:
    """Every day-month-year date (UK order for numeric ones), with its ISO form as key.
    Numeric dates are matched directly; dates with a month name are looked for only in
    front of a year (1900-2099)."""
    found = []
    for m in _matches(_NUM_DATE, text, windows):
        if m.start() and text[m.start() - 1] in "0123456789/.-":
            continue
        d, mo, y = int(m.group(1)), int(m.group(3)), int(m.group(4))
        if len(m.group(4)) == 2:
            y += 1900 if y > date.today().year % 100 else 2000
        found.append((m.start(), m.end(), y, mo, d))
    for m in _matches(_YEAR, text, windows):
        if m.start() and text[m.start() - 1].isalnum():
            continue
        before = _MONTH_BEFORE_YEAR.search(text, max(0, m.start() - 32), m.start())
        if before is None:
            continue
        g = before.groups()
        day, month = (g[0], g[1]) if g[0] else (g[3], g[2])
        found.append((before.start(), m.end(), int(m.group(0)), _MONTHS[month.lower()[:3]],
                      int(day)))
    out = []
    for start, end, y, mo, d in sorted(found):
        try:
            iso = date(y, mo, d).isoformat()
        except ValueError:
            continue
        out.append(Ident("date", start, end, iso, "date **/**/" + iso[:2] + "**"))
    return out


def plausible_birth_year(iso: str, today: date | None = None) -> bool:
    """Born 1900 or later and at least 16 years ago (no aesthetic treatment before 18)."""
    today = today or date.today()
    return 1900 <= int(iso[:4]) <= today.year - 16
