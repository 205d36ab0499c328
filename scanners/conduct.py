"""Sentences whose structure, not one word, makes them unprofessional. Lists in
scanners/data/conduct.txt; the language scanner reports what is found under its own rule ids.

  blackmail        a demand (pay, place the order), a condition ("or", "if not", "unless")
                   and a lever (a secret kept: "it stays between us"; or, after the
                   condition, a disclosure threatened: "the CQC gets the photos", "people
                   who'd be very interested", or a third party near a disclosure verb:
                   "your employer will receive copies") within two sentences:
                   `language_threat`, high. A demand with a condition alone is business
                   ("pay by Friday or interest is added").
  veiled threat    something of the addressee's (their car, home, shop, children, the
                   school) named, and within three sentences a harm left unspecified ("be a
                   pity if it wasn't in one piece", "shame if something happened"), with
                   no advice or liability wording in the harm's sentence:
                   `language_threat`, medium (high outside the clinic).
  sarcasm          a lone word of praise, flat, just after a question ("... now means next
                   week? Marvellous."): `language_abuse`, low (the audience step tags it
                   when it goes outside the clinic).
  belittling       a put-down of someone's competence with no insult word ("you call
                   yourself a prescriber", "a first-year student could do better"), or
                   leaving someone out on purpose ("don't invite her"): low
                   once, high when the sender's own words hold two or more (the language
                   scanner counts them over the message).
  kin              the reader's family, home or children's school named ("where you live",
                   "your kids", "your Ellie"): with a sentence the model reads as a threat,
                   a veiled threat (scanners/model_findings.py), high.
  discrimination   an instruction that excludes ("no", "avoid", up to three words before;
                   or a refusal anywhere in the sentence: "don't hire her", "turn them
                   away") a protected characteristic (religious dress, ethnicity,
                   accent, sexual orientation, gender identity), or "only" just after one, in
                   a message about hiring or about who is served: `language_discrimination`,
                   high. Pregnancy, motherhood and age count only in hiring (in treatment they
                   are contraindications and legal limits). Inclusive wording in the sentence
                   ("welcome", "regardless of", "are fine") turns it round.
"""
from __future__ import annotations

import re
from bisect import bisect_right
from functools import lru_cache
from typing import Iterator

from scanners import lexicon, redact
from scanners.lexicon import key

FILE = "conduct.txt"
_BREAK = re.compile(r"[.!?;]\s|\n\s*\n")
_SARCASM = re.compile(r"\?[ \t]+((?:Marvellous|Brilliant|Fantastic|Wonderful|Great|Perfect|Lovely|"
                      r"Super|Splendid|Terrific|Fabulous|Genius|Amazing)(?: stuff| work| job)?)\.(?!\w)")
WINDOW_WORDS = 3  # an exclusion may stand this many words before the characteristic


@lru_cache(maxsize=None)
def _words(kind: str) -> frozenset[str]:
    return lexicon.words(FILE, kind)


def _has(text: str, kind: str) -> bool:
    return any(True for _ in lexicon.matcher(FILE, kind).find(lexicon.flat(text)))


def consequence(sentence: str) -> bool:
    """Whether `sentence` ties a consequence to a condition ("or I'll", "if not", "shame
    if"): with a person addressed, the structure of a threat."""
    return _has(sentence, "consequence")


# "your Ellie", "your Tom": someone of the reader's named by first name (not "your Botox")
_YOUR_NAMED = re.compile(r"\b[Yy]our (?P<name>[A-Z][a-z]{2,})\b(?!['’]s\b)")


def kin_named(sentence: str) -> bool:
    """Whether `sentence` names the reader's family, home or children's school ("I know
    where you live", "your kids' school", "your Ellie is at St Anne's now"): in a sentence
    the model reads as a threat, what makes it a veiled one."""
    if _has(sentence, "kin"):
        return True
    from scanners import people
    first = people.name_lists()[0]
    return any(m.group("name").lower() in first for m in _YOUR_NAMED.finditer(sentence))


def hedged(text: str) -> bool:
    """Whether `text` marks what it says as rumour ("I've heard", "apparently", "not
    confirmed"; the hedges of defamation.txt)."""
    return any(True for _ in lexicon.matcher("defamation.txt", "hedge").find(lexicon.flat(text)))


def context(own_text: str) -> tuple[bool, bool]:
    """(about hiring, about who is served) for the sender's own words of a message."""
    return _has(own_text, "work"), _has(own_text, "service")


def blackmail(text: str, sentences: list[tuple[int, int]]) -> Iterator[tuple[int, int, str]]:
    """(start, end, evidence) of each demand backed by a lever, over windows of two
    sentences."""
    done = -1
    for i, (start, end) in enumerate(sentences):
        window_end = sentences[i + 1][1] if i + 1 < len(sentences) else end
        window = text[start:window_end]
        if start < done or not _has(window, "demand"):
            continue
        conditions = [h.start for h in lexicon.matcher(FILE, "condition").find(lexicon.flat(window))]
        if not conditions:
            continue
        levers = [h.start for h in lexicon.matcher(FILE, "lever").find(lexicon.flat(window))]
        # a third party told: in the condition's own sentence ("If not, your boss will see
        # them"), not a sentence of news after a business condition
        told = any(c < lever and not _BREAK.search(window, c, lever)
                   for c in conditions for lever in _disclosures(window))
        if told or _has(window, "secret") or any(c < lever for c in conditions
                                                 for lever in levers):
            done = window_end
            yield start, window_end, "demand backed by a threat of disclosure: " + \
                redact.snippet(window, 0, min(len(window), 60), 0)


DISCLOSE_GAP = 60  # characters between a third party and a disclosure verb


def _disclosures(window: str) -> list[int]:
    """Offsets of each third party with a disclosure verb near it in its sentence ("your
    employer will receive copies", "send them to the NMC"): a lever worded as a class."""
    view = lexicon.flat(window)
    parties = list(lexicon.matcher(FILE, "party").find(view))
    if not parties:
        return []
    verbs = list(lexicon.matcher(FILE, "disclose").find(view))
    out = []
    for p in parties:
        for v in verbs:
            gap = window[min(p.end, v.end):max(p.start, v.start)]
            if len(gap) <= DISCLOSE_GAP and not _BREAK.search(gap):
                out.append(min(p.start, v.start))
                break
    return out


VEILED_SENTENCES = 3  # something of theirs and a harm within this many sentences


def veiled_threat(text: str, sentences: list[tuple[int, int]]
                  ) -> Iterator[tuple[int, int, str, tuple[int, int]]]:
    """(start, end, evidence, the harm's own span) of each harm hinted at ("be a pity if it
    wasn't in one piece") within VEILED_SENTENCES sentences of something of the addressee's
    (their car, shop, children, school)."""
    def where(kind: str) -> dict[int, tuple[int, int]]:  # sentence index: its first hit
        out: dict[int, tuple[int, int]] = {}
        for hit in lexicon.matcher(FILE, kind).find(lexicon.flat(text)):
            n = bisect_right(starts, hit.start) - 1
            if n >= 0 and hit.start < sentences[n][1]:
                out.setdefault(n, (hit.start, hit.end))
        return out

    starts = [start for start, _ in sentences]

    harms = where("harm")
    if not harms:
        return
    theirs = where("theirs")
    found: list[list] = []  # [first sentence, last sentence, evidence], merged when they overlap
    for n in sorted(harms):
        start, end = sentences[n]
        near = [m for m in theirs if abs(m - n) < VEILED_SENTENCES]
        if not near or _has(text[start:end], "harm_guard"):
            continue
        first, last = min(near + [n]), max(near + [n])
        if found and first <= found[-1][1]:
            found[-1][1] = max(found[-1][1], last)
            continue
        found.append([first, last, redact.snippet(text, *theirs[near[0]], 15) + " / " +
                      redact.snippet(text, *harms[n], 15), harms[n]])
    for first, last, evidence, harm in found:
        yield sentences[first][0], sentences[last][1], \
            "harm hinted at near the addressee's own: " + evidence, harm


_BETTER = re.compile(
    r"\b(?:a|any|my)\s+(?:child|toddler|monkey|chimp|trainee|student|first[- ]year(?:\s+student)?|"
    r"(?:five|six|5|6)[- ]year[- ]old|work[- ]experience\s+(?:kid|girl|boy))\s+could\s+"
    r"(?:do|write|have\s+done|have\s+written|manage|make)\b[^.!?\n]{0,60}?\bbetter\b", re.IGNORECASE)


def belittling(text: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, evidence) of each put-down of someone's competence."""
    spans = [(h.start, h.end) for h in lexicon.matcher(FILE, "belittle").find(lexicon.flat(text))]
    spans += [(m.start(), m.end()) for m in _BETTER.finditer(text)]
    last_end = -1
    for start, end in sorted(spans, key=lambda s: (s[0], -s[1])):
        if start < last_end:  # inside or across the one before ("you call yourself a")
            continue
        last_end = end
        yield start, end, "put-down: " + redact.snippet(text, start, end, 30)


def sarcasm(text: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, evidence) of flat praise right after a question."""
    for m in _SARCASM.finditer(text):
        yield m.start(1), m.end(1), "sarcasm: " + redact.snippet(text, m.start(1), m.end(1), 40)


def discrimination(sentence: str, hiring: bool, serving: bool) -> tuple[int, int, str] | None:
    """(start, end, evidence) of the characteristic an instruction in `sentence` excludes
    people by, or None."""
    if not (hiring or serving) or _has(sentence, "guard"):
        return None
    kinds = ("trait", "trait_work") if hiring else ("trait",)
    refused = _has(sentence, "refuse")
    for hit in lexicon.matcher(FILE, *kinds).find(lexicon.flat(sentence)):
        before = key(sentence[max(0, hit.start - 80):hit.start]).split()[-8:]
        after = key(sentence[hit.end:hit.end + 40]).split()[:2]
        excluded = any(" ".join(before[i:j]) in _words("exclude")
                       for j in range(len(before), max(len(before) - WINDOW_WORDS, 0) - 1, -1)
                       if _only_fillers(before[j:]) for i in range(max(0, j - 4), j))
        if excluded or any(w in _words("only") for w in after) or refused:
            what = "hiring" if hiring else "service"
            return hit.start, hit.end, \
                f"instruction excluding {sentence[hit.start:hit.end]!r} ({what})"
    return None


_FILLERS = frozenset("any more the a of with who are in our anyone people staff applicants "
                     "candidates clients patients us me someone somebody is be".split())


def _only_fillers(tokens: list[str]) -> bool:
    return len(tokens) <= WINDOW_WORDS and all(t in _FILLERS for t in tokens)
