"""Redaction of evidence: findings, logs and reports never carry a full identifier."""
from __future__ import annotations

import re

_WS = re.compile(r"\s+")
_NUMBER = re.compile(r"([£$€]?)(\d[\d,.]*)")
_EMAIL = re.compile(r"[\w.+-]+@([\w-]+\.[\w.-]+)")
_LONG_NUMBER = re.compile(r"(?<![\d£$€])\d(?:[ \-./]?\d){5,}(?!\d)")
_CAPITALISED = re.compile(r"\b([A-Z])([a-z'’-]+)\b")


def digits(value: str, keep: int = 4) -> str:
    """'943 476 5919' -> '***-***-5919' style: every digit masked but the last `keep`."""
    total = sum(c.isdigit() for c in value)
    out, seen = [], 0
    for c in value:
        if c.isdigit():
            seen += 1
            out.append(c if seen > total - keep else "*")
        else:
            out.append(c)
    return "".join(out)


def name(value: str) -> str:
    """'Jane Smith' -> 'J*** S****'."""
    return " ".join(w[0] + "*" * (len(w) - 1) if w else w for w in value.split(" "))


def snippet(text: str, start: int, end: int, width: int = 30) -> str:
    """A short one-line window around a non-identifying match (a word, a phrase).

    Around the match, numbers other than prices, the local part of e-mail addresses and
    capitalised words (names, most often) are masked, so a snippet never carries an
    identifier that happened to stand nearby. The match itself is kept as it is.
    """
    left = max(0, start - width)
    right = min(len(text), end + width)
    before = _mask(text[left:start])
    after = _mask(text[end:right])
    s = _WS.sub(" ", before + text[start:end] + after).strip()
    return ("…" if left else "") + s + ("…" if right < len(text) else "")


def _mask(s: str) -> str:
    s = _EMAIL.sub(r"***@\1", s)
    s = _NUMBER.sub(lambda m: m.group(0) if m.group(1) else "#" * len(m.group(2)), s)
    return _CAPITALISED.sub(lambda m: m.group(1) + "*" * len(m.group(2)), s)


def free_text(text: str) -> str:
    """Text we keep or show but did not write (a subject, a file name, a header block):
    long numbers (NHS numbers, dates of birth, phone numbers) keep only their last two
    digits, and e-mail addresses lose their local part."""
    text = _EMAIL.sub(r"***@\1", text)
    return _LONG_NUMBER.sub(lambda m: digits(m.group(0), keep=2), text)


def masked(text: str) -> str:
    """Text shown to people other than its writer (the weekly report's backlog subjects,
    which may be mailed on): as evidence snippets are, every number but a price, the local
    part of e-mail addresses and capitalised words (names, most often) masked."""
    return _WS.sub(" ", _mask(text)).strip()
