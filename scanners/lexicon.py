"""Word and phrase lists kept as data files in scanners/data/ (one entry a line, TAB severity)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from scanners.base import Severity

DATA = Path(__file__).parent / "data"
_WORD = re.compile(r"[a-z0-9']+")


@dataclass(frozen=True)
class Lexicon:
    words: dict[str, Severity]  # single words
    phrases: dict[tuple[str, ...], Severity]  # several words, matched on word boundaries

    def matches(self, text: str):
        """Yield (start, end, entry, severity) for each listed word or phrase in `text`."""
        tokens = [(m.group(0), m.start(), m.end()) for m in _WORD.finditer(text.lower())]
        longest = max((len(p) for p in self.phrases), default=0)
        for i, (tok, start, end) in enumerate(tokens):
            if tok in self.words:
                yield start, end, tok, self.words[tok]
            for n in range(2, longest + 1):
                key = tuple(t for t, _, _ in tokens[i:i + n])
                if len(key) == n and key in self.phrases:
                    yield start, tokens[i + n - 1][2], " ".join(key), self.phrases[key]


@lru_cache(maxsize=None)
def load(name: str) -> Lexicon:
    words, phrases = {}, {}
    for line in (DATA / name).read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        entry, _, severity = line.partition("\t")
        key = tuple(_WORD.findall(entry.lower()))
        sev = Severity.parse(severity.strip() or "medium")
        if len(key) == 1:
            words[key[0]] = sev
        elif key:
            phrases[key] = sev
    return Lexicon(words, phrases)
