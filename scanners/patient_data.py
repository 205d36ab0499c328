"""Patient details (placeholder, replaced by the patient-data issue).

Finds NHS numbers that pass the mod-11 check and dates of birth next to a DOB cue.
"""
from __future__ import annotations

import re
from typing import Iterator

from scanners import redact
from scanners.base import Finding, ParsedMessage, Severity

_NHS = re.compile(r"(?<![\d-])(\d{3})[ -]?(\d{3})[ -]?(\d{4})(?![\d-])")
_CUE = re.compile(r"\b(nhs|patient|d\.?o\.?b|date of birth|born|gp|hospital|clinic|treatment)\b",
                  re.IGNORECASE)
_DOB = re.compile(
    r"\b(?:d\.?o\.?b\.?|date of birth|born(?: on)?)\s*[:\-]?\s*"
    r"(\d{1,2}[/.\-]\d{1,2}[/.\-](?:19|20)?\d{2}|\d{1,2} [A-Za-z]{3,9} (?:19|20)\d{2})",
    re.IGNORECASE)
CUE_WINDOW = 300


def nhs_number_valid(digits: str) -> bool:
    """Mod-11 check digit of a 10-digit NHS number; repeated digits are refused."""
    if len(digits) != 10 or not digits.isdigit() or len(set(digits)) == 1:
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1)))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


class PatientDataScanner:
    name = "patient_data"
    rules = {
        "uk_nhs_number": "A valid NHS number (checksum passes) near patient or clinical words.",
        "uk_nhs_number_bare": "A number that passes the NHS checksum but has no clinical cue nearby; "
                              "could be an order or invoice number.",
        "date_of_birth": "A date labelled as a date of birth (DOB, born on).",
    }

    def scan(self, msg: ParsedMessage) -> Iterator[Finding]:
        for part in msg.texts():
            text = part.text
            for m in _NHS.finditer(text):
                number = "".join(m.groups())
                if not nhs_number_valid(number):
                    continue
                window = text[max(0, m.start() - CUE_WINDOW): m.end() + CUE_WINDOW]
                evidence = "NHS " + redact.digits(m.group(0))
                if _CUE.search(window):
                    yield Finding("patient_data", "uk_nhs_number", Severity.HIGH, part.where, evidence)
                else:
                    yield Finding("patient_data", "uk_nhs_number_bare", Severity.LOW, part.where,
                                  evidence)
            for m in _DOB.finditer(text):
                yield Finding("patient_data", "date_of_birth", Severity.MEDIUM, part.where,
                              "DOB " + redact.digits(m.group(1), keep=0))
