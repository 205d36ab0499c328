"""Prescription-medicine advertising (placeholder, replaced by the conduct issue).

A prescription-only medicine or a euphemism for one (scanners/data/pom.txt) in the
same text as a promotional cue (a price, an offer, "book now") is reported.
"""
from __future__ import annotations

import re
from typing import Iterator

from scanners import lexicon, redact
from scanners.base import Finding, ParsedMessage, Severity

_PROMO = re.compile(
    r"£\s?\d+|\d+\s?% off|\b(?:offer|discount|deal|sale|book now|limited time|"
    r"special price|promo(?:tion)?|voucher|unsubscribe)\b", re.IGNORECASE)


class AdvertisingScanner:
    name = "advertising"
    rules = {
        "pom_promotion": "A prescription-only medicine (e.g. Botox, semaglutide) named next to a price, "
                         "offer or call to book: advertising it to the public is unlawful in the UK.",
    }

    def scan(self, msg: ParsedMessage) -> Iterator[Finding]:
        poms = lexicon.load("pom.txt")
        for part in msg.texts():
            promo = _PROMO.search(part.text)
            if not promo:
                continue
            for start, end, entry, _sev in poms.matches(part.text):
                yield Finding("advertising", "pom_promotion", Severity.HIGH, part.where,
                              f"{entry} + {promo.group(0)!r}")
                break
