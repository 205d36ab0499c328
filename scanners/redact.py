"""Redaction of evidence: findings, logs and reports never carry a full identifier."""
from __future__ import annotations

import re

_WS = re.compile(r"\s+")
_NUMBER = re.compile(r"([£$€]?)(\d[\d,.]*)")
_EMAIL = re.compile(r"[\w.+-]+@([\w-]+\.[\w.-]+)")


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

    Numbers other than prices and the local part of e-mail addresses in the window are
    masked, so a snippet never carries an identifier that happened to stand nearby.
    """
    left = max(0, start - width)
    right = min(len(text), end + width)
    s = _WS.sub(" ", text[left:right]).strip()
    s = _EMAIL.sub(r"***@\1", s)
    s = _NUMBER.sub(lambda m: m.group(0) if m.group(1) else "#" * len(m.group(2)), s)
    return ("…" if left else "") + s + ("…" if right < len(text) else "")
