"""Word and phrase lists kept as data files in scanners/data/, and the matcher that finds them.

A data file has one entry a line, columns separated by TABs:

    entry<TAB>severity<TAB>label

`severity` is low, medium or high (default medium); `label` says what the entry is (a rule id,
or a kind such as "noun" or "strong"; see the header of each file). Lines starting with `#`
are comments. An entry starting with `re:` is a regular expression (case-insensitive) matched
on the original text instead of a word or phrase.

Words and phrases are matched on whole words of the *flattened* text (lower case, every
character other than a letter, a digit or an inner apostrophe turned into a space, runs of
spaces squeezed), with Aho-Corasick: 'Scunthorpe' never matches 'cunt', and 'watch your\nback' matches
'watch your back'. Accents and look-alike letters fold to ASCII ('fück', Cyrillic 'ѕhit'),
an apostrophe is a space ("you’re" is "you re") and an entry with an apostrophe also
matches without it ("youre"). Lists marked for it also match disguised spellings of
their single words, generated into the automaton (see `disguises`).
"""
from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterator

import ahocorasick
import numpy as np

from scanners.base import Severity

DATA = Path(__file__).parent / "data"
_WORD = re.compile(r"[a-z0-9']+")

# -- flattening ---------------------------------------------------------------------------

_KEEP = set("abcdefghijklmnopqrstuvwxyz0123456789")
_ASCII_TABLE = str.maketrans({chr(c): " " for c in range(128) if chr(c) not in _KEEP})
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_CONFUSABLES = {"а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "і": "i",
                "к": "k", "м": "m", "т": "t", "ο": "o", "α": "a", "ν": "v", "ι": "i", "κ": "k",
                "ѕ": "s", "ԁ": "d", "ß": "s", "ø": "o", "æ": "a", "œ": "o", "ł": "l"}
_SPACES = re.compile(r" {2,}")


@lru_cache(maxsize=4096)
def _fold(c: str) -> str:
    """One ASCII character for a non-ASCII one: its letter without accents, else a space."""
    if c in _CONFUSABLES:
        return _CONFUSABLES[c]
    base = unicodedata.normalize("NFKD", c)[:1].lower()
    return base if base.isascii() and base.isalnum() else " "


def flatten(text: str) -> str:
    """Lower case, accents and look-alike letters folded to ASCII, every other character a
    space (apostrophes too: "you're" is "you re"); the same length as `text`."""
    low = text.lower()
    if len(low) != len(text):  # a few characters lower-case to two ('İ'): keep offsets
        low = "".join(c.lower()[:1] or c for c in text)
    if not low.isascii():
        low = _NON_ASCII.sub(lambda m: _fold(m.group(0)), low)
    return low.translate(_ASCII_TABLE)


def key(phrase: str) -> str:
    """The form an entry is matched in: flattened, single spaces, no edge spaces."""
    return _SPACES.sub(" ", flatten(phrase)).strip()


class FlatView:
    """One text, flattened and squeezed for matching, with offsets back into the original.

    The squeeze (runs of spaces to one) and the offset map are computed with numpy on the
    ASCII bytes of the flattened text: a regex substitution and a Python map of every run
    of spaces cost more than the matching itself."""

    __slots__ = ("text", "padded", "_keep")

    def __init__(self, text: str):
        self.text = text
        flat = flatten(text)
        if "  " not in flat:
            self._keep = None
            self.padded = " " + flat + " "
            return
        if len(flat) < 2048:  # numpy's fixed cost is more than a short text's whole cost
            squeezed = _SPACES.sub(" ", flat)
            self.padded = " " + squeezed + " "
            self._keep = _Runs(flat)
            return
        arr = np.frombuffer(flat.encode("ascii"), dtype=np.uint8)
        space = arr == 32
        keep = np.ones(len(arr), dtype=bool)
        keep[1:] = ~(space[1:] & space[:-1])
        self._keep = np.flatnonzero(keep)
        self.padded = " " + arr[self._keep].tobytes().decode("ascii") + " "

    def original(self, pos: int) -> int:
        """Offset in the original text of offset `pos` in the squeezed text."""
        if self._keep is None:
            return pos
        if isinstance(self._keep, _Runs):
            return self._keep.original(pos)
        return int(self._keep[pos]) if pos < len(self._keep) else len(self.text)


class _Runs:
    """The offset map of a short text, from its runs of spaces, built on first use."""

    __slots__ = ("flat", "starts", "removed")

    def __init__(self, flat: str):
        self.flat = flat
        self.starts = None
        self.removed = None

    def original(self, pos: int) -> int:
        if self.starts is None:
            self.starts, self.removed, total = [], [], 0
            for m in _SPACES.finditer(self.flat):
                self.starts.append(m.start() - total)
                total += m.end() - m.start() - 1
                self.removed.append(total)
        i = bisect_left(self.starts, pos)
        return pos + (self.removed[i - 1] if i else 0)


FLAT_CACHED = 4096  # characters: sentences and two-sentence windows, never whole messages


def flat(text: str) -> FlatView:
    """FlatView(text), shared when short: the rules ask about the same sentence many times.
    A whole message's view (its offset map is 8 bytes a character) is made afresh each time:
    cached, 512 of them grew a scan process by about 6 MB a 300 KB message."""
    return _flat(text) if len(text) <= FLAT_CACHED else FlatView(text)


@lru_cache(maxsize=512)
def _flat(text: str) -> FlatView:
    return FlatView(text)


@dataclass(frozen=True, slots=True)
class Hit:
    start: int  # offsets into the original text
    end: int
    entry: str  # the entry's key ("fuck"), also when a disguised form matched
    severity: Severity
    label: str
    source: str = ""  # the data file
    disguised: bool = False  # matched a generated spelling (f u c k, sh1t, fuuuck)


_LEET = {"a": "4", "e": "3", "i": "1", "o": "0", "s": "5", "t": "7", "b": "8", "g": "9"}


def disguises(word: str) -> set[str]:
    """Spellings that stand for `word` in the flattened text: letters swapped for digits
    (sh1t, 5h1t; up to two swaps), spaced or dotted apart (f u c k, b.i.t.c.h), one letter
    stretched (fuuuuck, shiiit)."""
    out = set()
    spots = [i for i, c in enumerate(word) if c in _LEET]
    for i in spots:
        out.add(word[:i] + _LEET[word[i]] + word[i + 1:])
        for j in spots:
            if j > i:
                out.add(word[:i] + _LEET[word[i]] + word[i + 1:j] + _LEET[word[j]] + word[j + 1:])
    if len(word) >= 3:
        out.add(" ".join(word))
    for i, c in enumerate(word):
        for n in range(3, 9):
            out.add(word[:i] + c * n + word[i + 1:])
    out.discard(word)
    return out


class Matcher:
    """Words and phrases of one or more data files, in one Aho-Corasick automaton."""

    def __init__(self, entries, disguise: bool = False, plain=(), plurals: bool = False):
        """`entries`: (text, severity, label, source). With `disguise`, single words also
        match their disguised spellings (see `disguises`); `plain` entries never do. With
        `plurals`, an entry's last word also matches its plural ("tear troughs")."""
        self.automaton = ahocorasick.Automaton()
        self.size = 0
        self.plurals = plurals
        self._add(entries, disguise)
        self.plurals = False  # `plain` entries match as written
        self._add(plain, False)
        if self.size:
            self.automaton.make_automaton()

    def _add(self, entries, disguise: bool) -> None:
        for text, severity, label, source in entries:
            k = key(text)
            forms = [(v, False) for v in _variants(text)]
            if self.plurals:
                forms += [(plural(v), False) for v, _ in forms if plural(v) != v]
            if disguise and " " not in k:
                forms += [(d, True) for d in sorted(disguises(k))]
            for form, disguised in forms:
                padded = f" {form} "
                value = (len(form), k, severity, label, source, disguised)
                if padded in self.automaton:
                    self.automaton.get(padded).append(value)
                else:
                    self.automaton.add_word(padded, [value])
                    self.size += 1

    def find(self, view: FlatView) -> Iterator[Hit]:
        if not self.size:
            return
        for end, values in self.automaton.iter(view.padded):
            length = values[0][0]
            start = end - length - 1  # the first letter's index in the squeezed text
            s, e = view.original(start), view.original(start + length)
            for _, k, severity, label, source, disguised in values:
                yield Hit(s, e, k, severity, label, source, disguised)


def plural(form: str) -> str:
    """A flattened entry with its last word in the plural; the entry itself when that word
    already ends in s or is not a plain word."""
    if not form[-1:].isalpha() or form.endswith("s") or len(form.rsplit(" ", 1)[-1]) < 4:
        return form  # "gp" is no "gps"
    if form.endswith(("x", "ch", "sh")):
        return form + "es"
    if form.endswith("y") and form[-2:-1] not in "aeiou":
        return form[:-1] + "ies"
    return form + "s"


def _variants(text: str) -> list[str]:
    """The entry's key, and without its apostrophes ("you're": "you re", "youre")."""
    k = key(text)
    joined = key(text.replace("'", "").replace("’", ""))
    return [k, joined] if joined != k else [k]


@dataclass(frozen=True)
class Table:
    entries: tuple[tuple[str, Severity, str], ...]  # words and phrases
    patterns: tuple[tuple[re.Pattern, Severity, str], ...]  # `re:` entries

    def selected(self, name: str, labels: tuple[str, ...]):
        return [(t, sev, label, name) for t, sev, label in self.entries
                if not labels or label in labels]

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
    return Matcher(table(name).selected(name, labels))


@lru_cache(maxsize=None)
def plural_matcher(name: str, *labels: str) -> Matcher:
    """`matcher` of the whole file, where the entries of `labels` also match with their last
    word in the plural ("tear troughs", "peels")."""
    every = table(name).selected(name, ())
    return Matcher([e for e in every if e[2] in labels], plurals=True,
                   plain=[e for e in every if e[2] not in labels])


@lru_cache(maxsize=None)
def combined(lists: tuple[tuple[str, tuple[str, ...], bool], ...]) -> Matcher:
    """One automaton for several lists: (file, labels or (), disguised spellings too)."""
    entries, disguised = [], []
    for name, labels, disguise in lists:
        (disguised if disguise else entries).extend(table(name).selected(name, labels))
    return Matcher(disguised, disguise=True, plain=entries)


@lru_cache(maxsize=None)
def words(name: str, *labels: str) -> frozenset[str]:
    """The keys of a file's entries (e.g. an allowlist), as a set."""
    return frozenset(form for t, _, label in table(name).entries
                     if not labels or label in labels for form in _variants(t))
