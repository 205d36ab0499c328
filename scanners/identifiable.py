"""Details that pick out one person without a full name: what the patient-data scanner
weighs next to a first name standing alone ("Karen") or a description with no name at all
("a 52-year-old head teacher from Holywood").

The kinds of detail:
  role     an occupation, a local role or a public profile (patient_cues.txt `role`:
           head teacher, goalkeeper, florist, councillor, "on TV", "well known")
  detail   where someone belongs (patient_cues.txt `detail`: her school, the team, her shop)
  age      an exact age ("52-year-old", "aged 34", "Danielle, 34,") or an age band
           ("late 20s", "in her 40s"): a band alone is generic
  place    where someone lives or works ("from Holywood", "lives in Clifton",
           "on Fenwick Road", a postcode district in brackets: "(BS3)")

Staff job titles are not details (the scanner treats a name next to one as staff).
"""
from __future__ import annotations

import bisect
import re

AGE_EXACT = re.compile(r"\b\d{1,2}[- ]?(?:year|yr)s?[- ]old\b|\baged\s+\d{1,2}\b", re.IGNORECASE)
AGE_BAND = re.compile(r"\b(?:(?:early|mid|late)[- ]?(?:[2-8]0s|twenties|thirties|forties|fifties|"
                      r"sixties|seventies)|in (?:her|his|their) (?:early |mid |late )?[2-8]0s)\b",
                      re.IGNORECASE)
AGE_AFTER_NAME = re.compile(r"\s*(?:,\s*|\(\s*)(?:aged\s+)?\d{2}\s*[,)]")
_NOT_PLACES = {"january", "february", "march", "april", "may", "june", "july", "august",
               "september", "october", "november", "december", "monday", "tuesday",
               "wednesday", "thursday", "friday", "saturday", "sunday", "christmas", "easter",
               "the", "our", "her", "his", "their", "a", "an", "dr", "mr", "mrs", "ms", "miss"}
PLACE = re.compile(
    r"\b(?:from|lives in|living in|lives on|lives off|grew up in|based in)\s+"
    r"((?:[A-Z][a-z'’]+)(?:[ -](?:[A-Z][a-z'’]+))*)"
    r"|\b(?:on|off|in)\s+((?:[A-Z][a-z'’]+ )+(?:Road|Street|Lane|Avenue|Close|Drive|Crescent|"
    r"Terrace|Gardens|Square|Hill|Way|Place|Rise|Row|Mews|Green|Parade|High Street))\b"
    r"|\((?:from\s+)?([A-Z]{1,2}\d[A-Z\d]?)\)")  # a postcode district: "Jo Bell (BS3)"

REACH_BEFORE = 120  # how far before a first name its details are looked for
REACH_AFTER = 160  # and after it
DESCRIPTION_REACH = 200  # a role, its other details and the treatment this close


def _window(text: str, start: int, end: int, spans) -> tuple[int, int]:
    """[start - REACH_BEFORE, end + REACH_AFTER], cut at blank lines and signature blocks."""
    lo, hi = max(0, start - REACH_BEFORE), min(len(text), end + REACH_AFTER)
    blank = text.rfind("\n\n", lo, start)
    lo = blank + 2 if blank >= 0 else lo
    blank = text.find("\n\n", end, hi)
    hi = blank if blank >= 0 else hi
    for s, e in spans:
        if s >= end:
            hi = min(hi, s)
    return lo, hi


def places(text: str, lo: int, hi: int) -> list[int]:
    out = []
    for m in PLACE.finditer(text, lo, hi):
        name = m.group(1) or m.group(2) or m.group(3)
        if name.split()[0].lower() not in _NOT_PLACES:
            out.append(m.start())
    return out


def near_name(text: str, start: int, end: int, cues: dict[str, list[int]],
              spans=()) -> list[str]:
    """The kinds of detail near a first name at [start, end): role, detail, age, place.
    `cues`: label -> sorted offsets of the cue list's hits; `spans`: signature blocks."""
    lo, hi = _window(text, start, end, spans)
    kinds = []
    for label in ("role", "detail"):
        starts = cues.get(label, [])
        i = bisect.bisect_left(starts, lo)
        if i < len(starts) and starts[i] < hi:
            kinds.append(label)
    if AGE_EXACT.search(text, lo, hi) or AGE_AFTER_NAME.match(text, end):
        kinds.append("age")
    # "Gemma from Acme" names a company as often as a town: a place right after the
    # name does not count, one further on does ("the dental nurse from Bedminster")
    if any(p < start or p > end + 2 or not text.startswith("from", p)
           for p in places(text, lo, hi)):
        kinds.append("place")
    return kinds


def descriptions(text: str, cues: dict[str, list[int]], words: dict[int, str],
                 spans=()) -> list[tuple[int, list[str]]]:
    """Descriptions that pick out one person with no name: a role with a treatment or
    condition within DESCRIPTION_REACH characters and at least one more detail of another
    kind (an age, a place, a place of belonging or another role) there too. `words`: the
    cue entry at each offset (a role named twice is one role). An age band
    with a treatment is not one ("a woman in her 40s had filler"). (offset, kinds) each."""
    roles = cues.get("role", [])
    clinical = sorted(cues.get("treatment", []) + cues.get("condition", []))
    if not roles or not clinical:
        return []
    out = []
    for r in roles:
        if any(s <= r < e for s, e in spans):
            continue
        lo, hi = max(0, r - DESCRIPTION_REACH), min(len(text), r + DESCRIPTION_REACH)
        i = bisect.bisect_left(clinical, lo)
        if not (i < len(clinical) and clinical[i] < hi):
            continue
        kinds = {"role"}
        entry = words.get(r, "")
        if any(lo <= o < hi and words.get(o, "") not in entry and entry not in words.get(o, "")
               for o in roles):
            kinds.add("second role")
        details = cues.get("detail", [])
        j = bisect.bisect_left(details, lo)
        if j < len(details) and details[j] < hi:
            kinds.add("detail")
        if AGE_EXACT.search(text, lo, hi) or AGE_BAND.search(text, lo, hi):
            kinds.add("age")
        if places(text, lo, hi):
            kinds.add("place")
        if len(kinds) >= 2:
            out.append((r, sorted(kinds)))
    return out
