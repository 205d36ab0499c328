"""Whether words are the sender's own, or quoted to report, answer or teach.

A compliance lead does not hold a complaint response for the patient's abuse it quotes, nor
a training handout for the banned claims it lists. Two signals, both from
scanners/data/quoting.txt:

  in quotation marks, cited   words inside quotation marks ("...", “...”, ‘...’, «...»)
                               in a sentence with a frame word ("she wrote", "avoid
                               wording like", "the review said", "banned"), and the items
                               of a list marked as what not to do (✗, ❌, "Don't:")
  a message that reports       the sender's own words say it reports or answers such
                               words ("I am writing to report", "as evidence", "your
                               complaint"), or a recipient's address names such a reader
                               (solicitor, police, NMC, HR)

Scanners report a finding in cited words as quoted (one severity lower, `where` ending
in `#quoted`, evidence saying so), and as low in a message that reports. Words outside the
quotation marks are the sender's own: a message that quotes a claim and also makes it is
still held.
"""
from __future__ import annotations

import re
from functools import lru_cache

from scanners import lexicon
from scanners.lexicon import FlatView

# pairs of quotation marks; a straight single quote only as a quotation (not "don't")
_QUOTATION = re.compile(
    r"\"[^\"\n]{2,300}\"|“[^”\n]{2,300}”|«[^»\n]{2,300}»|„[^“”\n]{2,300}[“”]|"
    r"(?<![\w])[‘'][^‘’'\n]{2,300}[’'](?![\w])")
_NOT_LIST_ITEM = re.compile(r"^[ \t]*(?:[✗✘❌×]|don'?t\s*:|do not\s*:|never\s*:|avoid\s*:)[^\n]*",
                            re.IGNORECASE | re.MULTILINE)
_SENTENCE = re.compile(r"[.!?](?=\s)|\n\s*\n")


@lru_cache(maxsize=1)
def _frames():
    return lexicon.matcher("quoting.txt")


def _words(kind: str) -> frozenset[str]:
    return lexicon.words("quoting.txt", kind)


def cited_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of the quotations in `text` that are cited, not said: inside quotation
    marks with a frame word in the same sentence (or on the line that introduces them),
    and the items of a do-not list."""
    spans = [(m.start(), m.end()) for m in _NOT_LIST_ITEM.finditer(text)]
    if not any(c in text for c in "\"“«„‘'"):
        return spans
    for m in _QUOTATION.finditer(text):
        start = max(text.rfind("\n\n", 0, m.start()), 0)
        for s in _SENTENCE.finditer(text, start, m.start()):
            start = s.end()
        end_match = _SENTENCE.search(text, m.end())
        end = end_match.start() if end_match else len(text)
        around = text[start:m.start()] + " " + text[m.end():end]
        introduced = text[max(0, text.rfind("\n", 0, start - 1)):start].rstrip().endswith(":")
        if introduced or _has_frame(around):
            spans.append((m.start(), m.end()))
    return sorted(spans)


def _has_frame(text: str) -> bool:
    return any(h.label == "frame" for h in _frames().find(FlatView(text)))


def inside(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    return any(s <= start and end <= e for s, e in spans)


def reporting(own_text: str, recipients: list[tuple[str, str]]) -> str:
    """Why the message reports or answers words it quotes ("" if it does not seem to).
    `recipients` are (display name, address) pairs of the To and Cc headers."""
    roles = _words("role")
    for name, address in recipients:
        local, _, domain = address.lower().partition("@")
        tokens = set(re.split(r"[.\-_+]", local)) | set(re.split(r"[.\-_]", domain)) | \
            set(re.findall(r"[a-z]+", name.lower()))
        found = tokens & roles
        if found:
            return f"to a recipient at {sorted(found)[0]}"
    for hit in _frames().find(FlatView(own_text)):
        if hit.label == "purpose":
            return f"says {hit.entry!r}"
    return ""
