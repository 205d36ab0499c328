"""Copyright material (placeholder, replaced by the copyright issue).

Reports rights-reserved notices in attachments and bodies, unless an open licence is stated.
"""
from __future__ import annotations

import re
from typing import Iterator

from scanners import redact
from scanners.base import Finding, ParsedMessage, Severity

_RESERVED = re.compile(
    r"all rights reserved|no part of this (?:publication|book|work) may be reproduced",
    re.IGNORECASE)
_NOTICE = re.compile(r"(?:©|\(c\)|copyright)\s*(?:\d{4})?\s+[A-Z][\w&.,' -]{2,40}", re.IGNORECASE)
_OPEN = re.compile(
    r"creative commons|\bCC[ -]BY\b|\bCC0\b|public domain|open government licence", re.IGNORECASE)


class CopyrightScanner:
    name = "copyright"
    rules = {
        "copyright_rights_reserved": "An attachment says it is a rights-reserved work "
                                     "(\"All rights reserved\", \"No part of this publication may be reproduced\").",
        "copyright_notice": "A copyright notice (©, Copyright 2024 Publisher) in the message text.",
    }

    def scan(self, msg: ParsedMessage) -> Iterator[Finding]:
        for part in msg.texts():
            if _OPEN.search(part.text):
                continue
            in_attachment = part.where.startswith("attachment:")
            m = _RESERVED.search(part.text)
            if m:
                severity = Severity.HIGH if in_attachment else Severity.MEDIUM
                yield Finding("copyright", "copyright_rights_reserved", severity, part.where,
                              redact.snippet(part.text, m.start(), m.end(), 20))
                continue
            m = _NOTICE.search(part.text)
            if m and in_attachment:
                yield Finding("copyright", "copyright_notice", Severity.LOW, part.where,
                              redact.snippet(part.text, m.start(), m.end(), 0))
