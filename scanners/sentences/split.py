"""Mail text -> the sentences worth scoring.

    split_sentences(text) -> list[str]   lines, bullets and sentence ends; long lines chunked
    worth_scoring(sentence) -> bool      the cheap gate: length, letters, URLs, mail boilerplate
    select(text, cap=MAX_SENTENCES) -> list[str]
                                         split, gate, drop repeats, keep the first `cap`

The caller passes only the sender's own text (quoted replies and forwarded history removed).
Licence lines ("All rights reserved", "Licensed to ...") are NOT boilerplate here: the copyright
scanner needs them. Mail footers that merely look like licence or legal terms (confidentiality
notices, unsubscribe lines, company registration) are.
"""
from __future__ import annotations

import re

MAX_SENTENCES = 40  # per message
MIN_CHARS = 12
MAX_CHARS = 320  # longer stretches are cut into chunks of at most this
MIN_WORDS = 3

_BULLET = re.compile(r"^\s*(?:[-*\u2022\u2023\u25aa\u25cf\u2013\u2014>#]+|\(?\d{1,2}[.)]|\(?[a-z][.)])\s+")
_ABBREV = ("dr", "mr", "mrs", "ms", "st", "no", "nos", "vs", "etc", "e.g", "i.e", "approx",
           "dept", "tel", "ref", "inc", "ltd", "co", "prof", "rd", "ave", "jan", "feb", "mar",
           "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "fig", "vol", "p", "pp")
# a sentence ends at . ! ? (or an ellipsis) followed by space and a capital, digit or quote
_END = re.compile(r"(?<=[.!?\u2026])[\"'\u2019\u201d)]*\s+(?=[\"'\u2018\u201c(]*[A-Z0-9\u00c0-\u017d])")
_URL = re.compile(r"(?:https?://|www\.)\S+|\S+@\S+\.\w+", re.I)
_BOILERPLATE = re.compile(
    r"unsubscribe|you are receiving this|you're receiving this|view (?:this email )?in (?:your|a) browser"
    r"|update your (?:email )?preferences|opt(?:ed)? (?:in|out) (?:of|to) (?:marketing|these)"
    r"|sent from my (?:iphone|ipad|android|samsung|galaxy|mobile)|get outlook for"
    r"|registered (?:office|in england|in scotland|in wales|company)|company (?:number|no\.?|registration)"
    r"|vat (?:number|no\.?|reg)"
    r"|(?:this|the) (?:e-?mail|message)(?: and any (?:files|attachments)[^.]*)? (?:is|are|may be) (?:strictly )?"
    r"(?:confidential|private|privileged|intended)"
    r"|if you (?:have )?received this (?:e-?mail|message) in error"
    r"|intended (?:solely |only )?for the (?:use of the )?(?:addressee|named recipient|intended recipient)"
    r"|please consider the environment before printing", re.I)


def _chunks(line: str, limit: int = MAX_CHARS) -> list[str]:
    """Cut a long stretch at ; : , or spaces so that no piece exceeds `limit` characters."""
    out = []
    while len(line) > limit:
        window = line[:limit]
        cut = max(window.rfind("; "), window.rfind(": "), window.rfind(", "))
        if cut < limit // 3:
            cut = window.rfind(" ")
        if cut <= 0:
            cut = limit
        out.append(line[:cut + 1].strip())
        line = line[cut + 1:].strip()
    if line:
        out.append(line)
    return out


def _split_line(line: str) -> list[str]:
    parts, start = [], 0
    for m in _END.finditer(line):
        before = line[start:m.start()].rstrip("\"'\u2019\u201d)")
        word = re.search(r"([A-Za-z.]+)[.]$", before)
        if word and (word.group(1).lower().rstrip(".") in _ABBREV or len(word.group(1)) == 1):
            continue  # "Dr. Shah", "J. Smith"
        parts.append(line[start:m.start()].strip())
        start = m.end()
    parts.append(line[start:].strip())
    return [p for p in parts if p]


def split_sentences(text: str) -> list[str]:
    out = []
    # a blank line or a line break ends a sentence; a line ending mid-sentence (hard-wrapped
    # plain text) is joined with the next unless the next starts a bullet
    paragraphs = re.split(r"\n\s*\n", text.replace("\r\n", "\n").replace("\r", "\n"))
    for para in paragraphs:
        lines = [ln.strip() for ln in para.split("\n") if ln.strip()]
        merged: list[str] = []
        for ln in lines:
            bullet = bool(_BULLET.match(ln))
            ln = _BULLET.sub("", ln).strip()
            if (merged and not bullet and len(merged[-1]) >= 60
                    and not re.search(r"[.!?:;\u2026\"'\u201d)]$", merged[-1])
                    and ln[:1].islower()):
                merged[-1] += " " + ln
            else:
                merged.append(ln)
        for ln in merged:
            ln = re.sub(r"\s+", " ", ln)
            for sentence in _split_line(ln):
                out.extend(_chunks(sentence))
    return out


def worth_scoring(sentence: str) -> bool:
    s = sentence.strip()
    if not (MIN_CHARS <= len(s) <= MAX_CHARS + 40):
        return False
    bare = _URL.sub(" ", s)
    letters = sum(map(str.isalpha, bare))
    if letters < 8 or letters < 0.5 * len(bare.replace(" ", "")):
        return False  # numbers, codes, tables, URLs
    if len(re.findall(r"[^\W\d_]{2,}", bare)) < MIN_WORDS:
        return False
    if _BOILERPLATE.search(s):
        return False
    return True


def select(text: str, cap: int = MAX_SENTENCES) -> list[str]:
    seen, out = set(), []
    for s in split_sentences(text):
        key = s.lower()
        if key in seen or not worth_scoring(s):
            continue
        seen.add(key)
        out.append(s)
        if len(out) >= cap:
            break
    return out
