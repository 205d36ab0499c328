"""Word and phrase lists kept as data files in scanners/data/, and the matcher that finds them.

A data file has one entry a line, columns separated by TABs:

    entry<TAB>severity<TAB>label

`severity` is low, medium or high (default medium); `label` says what the entry is (a rule id,
or a kind such as "noun" or "strong"; see the header of each file). Lines starting with `#`
are comments. An entry starting with `re:` is a regular expression (case-insensitive) matched
on the original text instead of a word or phrase.

Words and phrases are matched on whole words of the *flattened* text (lower case, every
character other than a letter, a digit or an inner apostrophe turned into a space, runs of
spaces squeezed), with one Aho-Corasick automaton per list: 'Scunthorpe' never matches
'cunt', and 'watch your\nback' matches 'watch your back'. Curly apostrophes count as straight
ones, and an entry with an apostrophe also matches without it ("you're", "youre").
"""
from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterator

import ahocorasick

from scanners.base import Severity

DATA = Path(__file__).parent / "data"
_WORD = re.compile(r"[a-z0-9']+")

# -- flattening ---------------------------------------------------------------------------

_KEEP = set("abcdefghijklmnopqrstuvwxyz0123456789'")
_FLAT_TABLE = {c: " " for c in range(128) if chr(c) not in _KEEP}
_FLAT_TABLE.update({ord(c): "'" for c in "\u2019\u2018\u02bc\u0060\u00b4"})
_FLAT_TABLE.update({ord(c): " " for c in "\u00a0\u2013\u2014\u2012\u2015\u201c\u201d\u201e"
                    "\u2026\u2022\u00b7\u00a3\u20ac\u00ab\u00bb\u200b\u2028\u2029\ufeff"})
_EDGE_APOSTROPHE = re.compile(r"(?<![a-z0-9])'|'(?![a-z0-9])")
_SPACES = re.compile(r" {2,}")


def flatten(text: str) -> str:
    """Lower case with every non-word character a space; the same length as `text`."""
    low = text.lower()
    if len(low) != len(text):  # a few characters lower-case to two ('İ'): keep offsets
        low = "".join(c.lower()[:1] or c for c in text)
    flat = low.translate(_FLAT_TABLE)
    if "'" in flat:
        flat = _EDGE_APOSTROPHE.sub(" ", flat)
    return flat


def key(phrase: str) -> str:
    """The form an entry is matched in: flattened, single spaces, no edge spaces."""
    return _SPACES.sub(" ", flatten(phrase)).strip()


class FlatView:
    """One text, flattened and squeezed for matching, with offsets back into the original."""

    __slots__ = ("text", "padded", "_runs", "_removed")

    def __init__(self, text: str):
        self.text = text
        flat = flatten(text)
        squeezed = _SPACES.sub(" ", flat)
        self.padded = " " + squeezed + " "
        self._runs = None if len(squeezed) == len(flat) else flat
        self._removed = None

    def original(self, pos: int) -> int:
        """Offset in the original text of offset `pos` in the squeezed text."""
        if self._runs is None:
            return pos
        if self._removed is None:
            starts, removed, total = [], [], 0
            for m in _SPACES.finditer(self._runs):
                starts.append(m.start() - total)
                total += m.end() - m.start() - 1
                removed.append(total)
            self._removed = (starts, removed)
        starts, removed = self._removed
        i = bisect_left(starts, pos)
        return pos + (removed[i - 1] if i else 0)


@dataclass(frozen=True, slots=True)
class Hit:
    start: int  # offsets into the original text
    end: int
    entry: str  # the entry as matched (its key)
    severity: Severity
    label: str


class Matcher:
    """Every listed word or phrase of one data file, in one Aho-Corasick automaton."""

    def __init__(self, entries: list[tuple[str, Severity, str]]):
        self.automaton = ahocorasick.Automaton()
        self.size = 0
        for text, severity, label in entries:
            for k in _variants(key(text)):
                padded = f" {k} "
                if padded in self.automaton:
                    values = self.automaton.get(padded)
                    values.append((k, severity, label))
                else:
                    self.automaton.add_word(padded, [(k, severity, label)])
                    self.size += 1
        if self.size:
            self.automaton.make_automaton()

    def find(self, view: FlatView) -> Iterator[Hit]:
        if not self.size:
            return
        for end, values in self.automaton.iter(view.padded):
            k = values[0][0]
            start = end - len(k) - 1  # the first letter's index in the squeezed text
            s, e = view.original(start), view.original(start + len(k))
            for entry, severity, label in values:
                yield Hit(s, e, entry, severity, label)

    def words(self) -> dict[str, list[tuple[Severity, str]]]:
        """Single-word entries (for looking up disguised words one at a time)."""
        out: dict[str, list[tuple[Severity, str]]] = {}
        for padded, values in self.automaton.items():
            k = padded.strip()
            if " " not in k:
                out[k] = [(sev, label) for _, sev, label in values]
        return out


def _variants(k: str) -> list[str]:
    return [k, k.replace("'", "")] if "'" in k else [k]


@dataclass(frozen=True)
class Table:
    entries: tuple[tuple[str, Severity, str], ...]  # words and phrases
    patterns: tuple[tuple[re.Pattern, Severity, str], ...]  # `re:` entries

    def matcher(self, *labels: str) -> Matcher:
        return Matcher([e for e in self.entries if not labels or e[2] in labels])

    def labelled(self, *labels: str) -> list[str]:
        return [key(t) for t, _, label in self.entries if label in labels]

    def search(self, text: str, *labels: str) -> Iterator[tuple[re.Match, Severity, str]]:
        for pattern, severity, label in self.patterns:
            if not labels or label in labels:
                for m in pattern.finditer(text):
                    yield m, severity, label


@lru_cache(maxsize=None)
def table(name: str) -> Table:
    entries, patterns = [], []
    for number, line in enumerate((DATA / name).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        cols = [c.strip() for c in line.split("\t")]
        text = cols[0]
        try:
            severity = Severity.parse(cols[1] if len(cols) > 1 and cols[1] else "medium")
        except KeyError:
            raise ValueError(f"{name}:{number}: unknown severity {cols[1]!r}") from None
        label = cols[2] if len(cols) > 2 else ""
        if text.startswith("re:"):
            patterns.append((re.compile(text[3:], re.IGNORECASE), severity, label))
        elif key(text):
            entries.append((text, severity, label))
    return Table(tuple(entries), tuple(patterns))


@lru_cache(maxsize=None)
def matcher(name: str, *labels: str) -> Matcher:
    return table(name).matcher(*labels)


@lru_cache(maxsize=None)
def words(name: str, *labels: str) -> frozenset[str]:
    """The keys of a file's entries (e.g. an allowlist), as a set."""
    return frozenset(k for t, _, label in table(name).entries
                     if not labels or label in labels for k in _variants(key(t)))


# -- the first, simple interface, kept for scanners that only need a word list ------------

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
                k = tuple(t for t, _, _ in tokens[i:i + n])
                if len(k) == n and k in self.phrases:
                    yield start, tokens[i + n - 1][2], " ".join(k), self.phrases[k]


@lru_cache(maxsize=None)
def load(name: str) -> Lexicon:
    found_words, phrases = {}, {}
    for text, severity, _label in table(name).entries:
        k = tuple(_WORD.findall(key(text)))
        if len(k) == 1:
            found_words[k[0]] = severity
        elif k:
            phrases[k] = severity
    return Lexicon(found_words, phrases)
