"""Whether words are the sender's own, or quoted to report, answer or teach.

A compliance lead does not hold a complaint response for the patient's abuse it quotes, nor
a training handout for the banned claims it lists. Two signals, both from
scanners/data/quoting.txt:

  in quotation marks, cited   words inside quotation marks ("...", “...”, ‘...’, «...»)
                               in a sentence with a frame word ("she wrote", "avoid
                               wording like", "the review said", "banned"), or that the
                               sentence model reads as quoting to report, refuse or teach
                               (label quoted_report, trained on many writers' memos,
                               refusals and complaint replies), and the items of a list
                               marked as what not to do (✗, ❌, "Don't:")
  a message that reports       the sender's own words say it reports or answers such
                               words ("I am writing to report", "as evidence", "your
                               complaint", "I am reporting"), or a recipient's address
                               names such a reader (solicitor, police, NMC, HR), also run
                               into other words (westyorkshirepolice, cityhrservices)

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
from scanners.sentences import model as sentence_model

# pairs of quotation marks; a straight single quote only as a quotation (not "don't"). Plain
# text mail is wrapped at about 72 characters, so a quotation may run over line breaks within
# its paragraph (never over a blank line), up to WRAPPED characters and WRAPPED_LINES breaks.
WRAPPED = 600
WRAPPED_LINES = 8
SENTENCE = 600  # characters looked back for the start of a quotation's sentence


def _pair(opening: str, closing: str, inner_stop: str) -> str:
    """A quotation between `opening` and `closing`: no `inner_stop` mark and no blank line in
    between, 2 to WRAPPED characters."""
    return rf"{opening}(?:[^{inner_stop}\n]|\n(?![ \t]*\n)){{2,{WRAPPED}}}{closing}"


_QUOTATION = re.compile("|".join((
    _pair('"', '"', '"'), _pair("“", "”", "”"), _pair("«", "»", "»"),
    _pair("„", "[“”]", "“”"), r"(?<![\w])" + _pair("[‘']", r"[’'](?![\w])", "‘’'"))))
_MARKS = re.compile(r"[\"“«„‘']")
# a quotation over a line break must look like one at both ends: the opening mark not inside
# a word and followed by a letter, the closing mark after one and not followed by a word
# ("your \"aftercare ... and \"they" is two stray marks, not a quotation)
_WRAPPED_OPEN = re.compile(r"(?:^|(?<=[\s(\[:—–-]))[\"“«„‘'](?=[^\s\"“”«»„‘’'])")
_WRAPPED_CLOSE = re.compile(r"(?<=[^\s\"“«„‘])[\"”»“’'](?![\w])")
_NOT_LIST_ITEM = re.compile(r"^[ \t]*(?:[-•*·–][ \t]*)?(?:[✗✘❌×]|don'?t\s*:|do not\s*:|never\s*:|avoid\s*:)[^\n]*",
                            re.IGNORECASE | re.MULTILINE)
_LEAD_IN = re.compile(r":[ \t\r]*\n")
_SENTENCE = re.compile(r"[.!?](?=\s)|\n\s*\n")
_BULLET = re.compile(r"[ \t]*(?:[-•*·–✗✘❌×]|\d{1,2}[.)])[ \t]+\S")


@lru_cache(maxsize=1)
def _frames():
    return lexicon.matcher("quoting.txt", "frame", "purpose", "lead")


def _words(kind: str) -> frozenset[str]:
    return lexicon.words("quoting.txt", kind)


def quotations(text: str) -> list[tuple[int, int]]:
    """(start, end) of each pair of quotation marks and the words between them, left to
    right; a pair over a line break only when both marks look like quotation marks."""
    out: list[tuple[int, int]] = []
    pos = 0
    while True:
        mark = _MARKS.search(text, pos)
        if not mark:
            return out
        m = _QUOTATION.match(text, mark.start())
        if m and "\n" in m.group():
            body = m.group()
            if body.count("\n") > WRAPPED_LINES or \
                    not _WRAPPED_OPEN.match(text, m.start()) or \
                    not _WRAPPED_CLOSE.match(text, m.end() - 1):
                m = None
        if m:
            out.append((m.start(), m.end()))
            pos = m.end()
        else:
            pos = mark.start() + 1


def cited_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of the quotations in `text` that are cited, not said: inside quotation
    marks with a frame word in the same sentence (or on the line that introduces them),
    and the items of a do-not list."""
    text = text.replace("\r", " ")  # CRLF bodies: same offsets, blank lines stay blank
    spans = [(m.start(), m.end()) for m in _NOT_LIST_ITEM.finditer(text)]
    spans += _cited_lists(text)
    spans += _cited_blocks(text)
    if not any(c in text for c in "\"“«„‘'"):
        return sorted(spans)
    unframed: list[tuple[tuple[int, int], str]] = []
    for q_start, q_end in quotations(text):
        start = max(text.rfind("\n\n", max(0, q_start - SENTENCE), q_start), 0,
                    q_start - SENTENCE)  # a sentence is not longer: no scan from the start
        for s in _SENTENCE.finditer(text, start, q_start):
            start = s.end()
        end_match = _SENTENCE.search(text, q_end)
        end = end_match.start() if end_match else len(text)
        around = text[start:q_start] + " " + text[q_end:end]
        if _introduced(text, start) or _has_frame(around):
            spans.append((q_start, q_end))
        else:
            unframed.append(((start, end), text[start:end].strip()))
    if unframed:
        spans += _read_as_quoting(unframed)
    return sorted(spans)


MODEL_SENTENCE = 400  # longer stretches are not one sentence: not read


def _read_as_quoting(candidates: list[tuple[tuple[int, int], str]]) -> list[tuple[int, int]]:
    """The sentences with a quotation that the sentence model reads as quoting to report,
    refuse or teach (quoted_report at its recall threshold), whole: in '"Prom ready lips" is
    illegal to aim at under-18s' neither the quotation nor "under-18s" is the sender's
    offer. No model, no such reading."""
    model = sentence_model.shared()
    candidates = [(span, s) for span, s in candidates if 0 < len(s) <= MODEL_SENTENCE]
    if model is None or not candidates:
        return []
    texts = list(dict.fromkeys(s for _, s in candidates))
    reading = dict(zip(texts, model.classify(texts, recall=True)))
    return [span for span, s in candidates if reading[s][0] == "quoted_report"]


def _introduced(text: str, start: int) -> bool:
    """Whether the sentence at `start` follows a line ending in a colon: on the line before
    it, or in the paragraph before it with a frame or lead word ("The leaflet reads:")."""
    line = text[max(0, text.rfind("\n", 0, start - 1)):start]
    if line.rstrip().endswith(":"):
        return True
    before = text[max(0, start - 300):start].rstrip()
    if not before.endswith(":") or not line.strip() == "":
        return False
    lead = before[before.rfind("\n") + 1:]
    return _has_frame(lead) or _is_lead(lead)


BLOCK_LINES = 40


def _cited_blocks(text: str) -> list[tuple[int, int]]:
    """An indented block (lines starting with spaces or a tab) after a line that ends in a
    colon and says it cites ("The post reads:", "Their advert says:", a `lead` of
    quoting.txt), perhaps after a blank line: the text set off as someone else's."""
    spans: list[tuple[int, int]] = []
    if not _LEAD_IN.search(text):
        return spans
    lines = text.split("\n")
    offsets, pos = [], 0
    for line in lines:
        offsets.append(pos)
        pos += len(line) + 1
    for i, line in enumerate(lines):
        if not line.rstrip().endswith(":") or line[:1] in " \t" or not _is_lead(line):
            continue
        start = end = None
        for j in range(i + 1, min(len(lines), i + 2 + BLOCK_LINES)):
            if not lines[j].strip():
                if start is None and j == i + 1:
                    continue  # one blank line after the lead-in
                nxt = lines[j + 1] if j + 1 < len(lines) else ""
                if start is not None and nxt[:1] in (" ", "\t") and nxt.strip():
                    continue  # a blank line between indented paragraphs
                break
            if lines[j][:1] not in (" ", "\t"):
                break
            start = offsets[j] if start is None else start
            end = offsets[j] + len(lines[j])
        if start is not None:
            spans.append((start, end))
    return spans


def _is_lead(line: str) -> bool:
    return any(h.label == "lead" for h in _frames().find(FlatView(line)))


def _cited_lists(text: str) -> list[tuple[int, int]]:
    """The items of a bulleted list introduced by a line that ends in a colon and cites
    ("none of the following, ever:", "examples of banned claims:")."""
    spans: list[tuple[int, int]] = []
    if not _LEAD_IN.search(text):
        return spans
    pos = 0
    lines = text.split("\n")
    offsets = []
    for line in lines:
        offsets.append(pos)
        pos += len(line) + 1
    for i, line in enumerate(lines):
        if not line.rstrip().endswith(":") or not _has_frame(line):
            continue
        for j in range(i + 1, len(lines)):
            if not lines[j].strip():
                if j + 1 < len(lines) and _BULLET.match(lines[j + 1]):
                    continue
                break
            if not _BULLET.match(lines[j]):
                break
            spans.append((offsets[j], offsets[j] + len(lines[j])))
    return spans


def _has_frame(text: str) -> bool:
    return any(h.label == "frame" for h in _frames().find(FlatView(text)))


def inside(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    return any(s <= start and end <= e for s, e in spans)


# the sender says that something may not be advertised: a refusal or a compliance memo, not
# an advert ("we cannot advertise Botox", "neither of us can promote", "prescription-only
# medicines may not lawfully be advertised", "it's illegal to market them to the public", "the
# law forbids advertising it")
_NOT_TO_ADVERTISE = re.compile(
    r"\b(?:can(?:not|['’]t|\s+not)|(?:may|must|should)(?:\s+not|n['’]t)|"
    r"(?:not|never) (?:allowed|permitted) to|unable to|neither of us can|no one can|nobody can|"
    r"(?:illegal|unlawful) to|"
    r"(?:banned|prohibited) from|(?:forbid|prohibit|ban|bar)(?:s|red|ed)?)\s+(?:\w+\s+){0,2}?"
    r"(?:advertis|promot|market)\w*", re.IGNORECASE)


def reporting(own_text: str, recipients: list[tuple[str, str]]) -> str:
    """Why the message reports or answers words it quotes ("" if it does not seem to).
    `recipients` are (display name, address) pairs of the To and Cc headers."""
    roles = _words("role")
    for name, address in recipients:
        found = address_words(address, roles) | (set(re.findall(r"[a-z]+", name.lower())) & roles)
        if found:
            return f"to a recipient at {sorted(found)[0]}"
    for hit in _frames().find(FlatView(own_text)):
        if hit.label == "purpose":
            return f"says {hit.entry!r}"
    refused = _NOT_TO_ADVERTISE.search(own_text)
    if refused:
        return f"says {refused.group(0).lower()!r}"
    return ""


SUBSTRING = 5  # a role word this long is found anywhere inside a domain label


def address_words(address: str, words: frozenset[str]) -> set[str]:
    """The words of `words` that an address names: a whole part of it (hr@, .police.),
    or inside a label that runs words together: a word of SUBSTRING letters or more anywhere
    (westyorkshirepolice, a "policeman" too), a shorter one only when the whole label splits
    into it and other such words or the `affix` words of quoting.txt (cityhrservices:
    city + hr + services; never "hr" in shrewsburyclinic)."""
    local, _, domain = address.lower().partition("@")
    labels = set(re.split(r"[.\-_+]", local)) | set(re.split(r"[.\-_]", domain))
    labels.discard("")
    found = labels & words
    long_words = [w for w in words if len(w) >= SUBSTRING and w.isalpha()]
    parts = words | _words("affix")
    for label in labels - found:
        found.update(w for w in long_words if w in label)
        found.update(w for w in _split(label, parts) if w in words)
    return found


def _split(label: str, parts: frozenset[str]) -> list[str]:
    """`label` as a run of `parts` ("cityhrservices": city, hr, services), [] if it is not
    one; the fewest parts."""
    if len(label) > 40 or not label.isalpha():
        return []
    best: list[list[str] | None] = [[]] + [None] * len(label)
    for end in range(1, len(label) + 1):
        for start in range(max(0, end - 20), end):
            head = best[start]
            if head is not None and label[start:end] in parts and \
                    (best[end] is None or len(head) + 1 < len(best[end])):
                best[end] = head + [label[start:end]]
    return best[len(label)] or []
