"""Regular expressions behind one Aho-Corasick automaton: a text is read once for the words
the patterns need, and a pattern none of whose words is there is not run at all.

Python's `re` tries every alternative of a pattern such as copyright's licence terms at every
position of the text (10 ms for 20 KB), yet clean mail holds none of their words. Each
pattern compiled through a `Group` gets, from its own parse tree, a set of literals one of
which every match contains ("licen", "single", "delegate", ... for the licence terms); the
group's automaton finds which literals a text holds, once per text for all its patterns, and
`search`, `finditer` and the rest run the real pattern only where one is there. The match,
when there is one, is the pattern's own: nothing about what matches changes, only when the
work is skipped. A pattern with no literal of MIN_LITERAL characters that every match must
contain always runs.

Literals are taken in ASCII only and compared in lower case on a folded text, so a pattern
compiled with or without IGNORECASE is gated the same safe way: `fold` maps the four
non-ASCII characters that `re` matches to an ASCII letter when ignoring case (İ ı ſ K;
tests/test_prefilter.py checks the list against every code point).
"""
from __future__ import annotations

import re
import sys

import ahocorasick

try:  # the parser `re` compiles with (Python 3.11+); without it every pattern just runs
    from re import _constants as _c
    from re import _parser
except ImportError:  # pragma: no cover
    _parser = None

MIN_LITERAL = 3
# characters without case that `re` matches only to themselves, even ignoring case (checked
# against every code point by tests/test_prefilter.py): a literal may hold them
CASELESS = frozenset("©®™’‘“”«»„–—£€")
_RECENT = 8  # texts whose literals are remembered (a page is searched by many patterns)


def fold(text: str) -> str:
    """The text in lower case, with the characters `re` matches to an ASCII letter when
    ignoring case made that letter (İ, ı, ſ; the Kelvin sign lowers to k)."""
    return text.replace("\u0130", "i").lower().replace("\u0131", "i").replace("\u017f", "s")


# A condition on the literals a text holds, necessary for a match: a literal (str), or
# ("and", conditions) or ("or", conditions); None where nothing is known (the pattern runs).


def required(pattern: str | re.Pattern, flags: int = 0):
    """The condition every match of `pattern` meets: which of its lower-case literals of
    MIN_LITERAL characters or more (ASCII, or CASELESS characters) the folded text must
    hold; None where there is none."""
    if isinstance(pattern, re.Pattern):
        pattern, flags = pattern.pattern, pattern.flags
    if _parser is None or not isinstance(pattern, str):
        return None
    try:
        tree = _parser.parse(pattern, flags)
    except Exception:  # noqa: BLE001: a pattern `re` compiled but we cannot read: it runs
        return None
    return _sequence(list(tree))


def _sequence(items):
    """All of: the literal runs of `items` and the conditions of its groups."""
    parts: list = []
    run = ""

    def close():
        nonlocal run
        if len(run) + 2 * sum(ch > "\x7f" for ch in run) >= MIN_LITERAL:  # © is rare enough
            parts.append(run)
        run = ""

    for op, av in items:
        if op is _c.LITERAL and (av < 128 or chr(av) in CASELESS):
            run += chr(av).lower()
            continue
        if op is _c.IN and all(o is _c.LITERAL and v < 128 for o, v in av) and \
                len({chr(v).lower() for _, v in av}) == 1:  # [cC]: one letter, either case
            run += chr(av[0][1]).lower()
            continue
        if op is _c.AT:  # ^ $ \b \B: zero-width, the characters either side stay adjacent
            continue
        close()
        if op is _c.SUBPATTERN:
            found = _sequence(list(av[-1]))
        elif op is _c.ATOMIC_GROUP:
            found = _sequence(list(av))
        elif op is _c.BRANCH:
            alternatives = [_sequence(list(alt)) for alt in av[1]]
            found = None if any(a is None for a in alternatives) else ("or", alternatives)
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT) and av[0] >= 1:
            found = _sequence(list(av[2]))
        else:  # a class, any character, a repeat that may be empty, a look-around, ...
            found = None
        if found is not None:
            parts.append(found)
    close()
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else ("and", parts)


def alternatives(pattern: str) -> list[str]:
    """The top-level alternatives of a pattern's source ("a|b(c|d)" -> ["a", "b(c|d)"])."""
    if re.match(r"\(\?[aiLmsux]+\)", pattern):
        return [pattern]  # global flags lead the first alternative: kept whole
    out, depth, start, i = [], 0, 0, 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "[":  # a class: to its closing bracket ("[]|]" and "[^]|]" hold a "]")
            i += 2 if pattern[i + 1:i + 2] == "^" else 1
            i += 1 if pattern[i:i + 1] == "]" else 0
            while i < len(pattern) and pattern[i] != "]":
                i += 2 if pattern[i] == "\\" else 1
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            out.append(pattern[start:i])
            start = i + 1
        i += 1
    out.append(pattern[start:])
    return out


def literals(condition) -> set[str]:
    if condition is None:
        return set()
    if isinstance(condition, str):
        return {condition}
    return set().union(*(literals(c) for c in condition[1]))


def holds(condition, present: frozenset[str]) -> bool:
    if condition is None:
        return True
    if isinstance(condition, str):
        return condition in present
    if condition[0] == "and":
        return all(holds(c, present) for c in condition[1])
    return any(holds(c, present) for c in condition[1])


class Group:
    """Patterns sharing one automaton (a scanner's): compile them with `compile`."""

    def __init__(self):
        self._literals: set[str] = set()
        self._automaton = None
        self._recent: dict[str, frozenset[str]] = {}

    def compile(self, pattern: str, flags: int = 0) -> "Gated":
        compiled = re.compile(pattern, flags)
        condition = required(compiled)
        # the alternatives of a pattern without groups, each with its own condition: a
        # text then meets the pattern with only those it can match (the same matches: an
        # alternative that matches nowhere never wins one)
        parts = alternatives(pattern) if not compiled.groups else [pattern]
        branches = [(part, required(part, flags)) for part in parts] if len(parts) > 1 else []
        for c in [condition] + [c for _, c in branches]:
            if c is not None:
                self._literals |= literals(c)
                self._automaton = None
                self._recent.clear()
        return Gated(compiled, condition, self, branches)

    def present(self, text: str) -> frozenset[str]:
        """The group's literals that `text` holds (folded)."""
        found = self._recent.get(text)
        if found is None:
            if self._automaton is None:
                automaton = ahocorasick.Automaton()
                for literal in self._literals:
                    automaton.add_word(literal, literal)
                automaton.make_automaton()
                self._automaton = automaton
            found = frozenset(v for _, v in self._automaton.iter(fold(text))) \
                if self._literals else frozenset()
            if len(self._recent) >= _RECENT:
                self._recent.pop(next(iter(self._recent)))
            self._recent[text] = found
        return found


class Gated:
    """A compiled pattern that runs only on a text holding one of its literals, and then
    with only the alternatives the text can match; otherwise it answers as the pattern
    would on a text where it finds nothing."""

    def __init__(self, pattern: re.Pattern, condition, group: Group,
                 branches: list[tuple[str, object]] = ()):
        self.pattern = pattern
        self.condition = condition
        self._group = group
        self._branches = branches
        self._narrowed: dict[tuple[int, ...], re.Pattern] = {}

    def possible(self, text: str) -> bool:
        return self._for(text) is not None

    def _for(self, text: str) -> re.Pattern | None:
        """The pattern to run on `text`: None where it cannot match."""
        if self.condition is None and not self._branches:
            return self.pattern
        present = self._group.present(text)
        if not holds(self.condition, present):
            return None
        if not self._branches:
            return self.pattern
        keep = tuple(i for i, (_, c) in enumerate(self._branches) if holds(c, present))
        if not keep:
            return None
        if len(keep) == len(self._branches):
            return self.pattern
        narrowed = self._narrowed.get(keep)
        if narrowed is None:
            if len(self._narrowed) >= 256:
                self._narrowed.clear()
            narrowed = self._narrowed[keep] = re.compile(
                "|".join(self._branches[i][0] for i in keep), self.pattern.flags)
        return narrowed

    def search(self, text: str, pos: int = 0, endpos: int = sys.maxsize):
        p = self._for(text)
        return p.search(text, pos, endpos) if p is not None else None

    def match(self, text: str, pos: int = 0, endpos: int = sys.maxsize):
        p = self._for(text)
        return p.match(text, pos, endpos) if p is not None else None

    def finditer(self, text: str, pos: int = 0, endpos: int = sys.maxsize):
        p = self._for(text)
        return p.finditer(text, pos, endpos) if p is not None else iter(())

    def findall(self, text: str, pos: int = 0, endpos: int = sys.maxsize):
        p = self._for(text)
        return p.findall(text, pos, endpos) if p is not None else []

    def sub(self, repl, text: str, count: int = 0):
        p = self._for(text)
        return p.sub(repl, text, count) if p is not None else text

    def __getattr__(self, name):  # groupindex, flags, ...: the pattern's own
        return getattr(self.pattern, name)
