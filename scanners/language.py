"""Unprofessional language (placeholder, replaced by the conduct issue).

Matches a curated lexicon (scanners/data/language.txt) of profanity, slurs and threats
on word boundaries, so 'Scunthorpe' and 'assess' stay clean.
"""
from __future__ import annotations

from typing import Iterator

from scanners import lexicon, redact
from scanners.base import Finding, ParsedMessage, Severity


class LanguageScanner:
    name = "language"
    rules = {
        "language_profanity": "Obscene or profane words in the text.",
        "language_abuse": "Slurs, threats or insults aimed at a person.",
    }

    def scan(self, msg: ParsedMessage) -> Iterator[Finding]:
        lex = lexicon.load("language.txt")
        for part in msg.texts():
            for start, end, _entry, severity in lex.matches(part.text):
                rule = "language_abuse" if severity is Severity.HIGH else "language_profanity"
                yield Finding("language", rule, severity, part.where,
                              redact.snippet(part.text, start, end, 20))
