"""Winnowing fingerprints of normalised word k-grams (Schleimer, Wilkerson and Aiken 2003,
the MOSS approach), and an in-memory index of registered works that finds excerpts of them.

  words       the text casefolded, accents and punctuation dropped, split into words
  k-grams     every run of K consecutive words, hashed to 64 bits (BLAKE2b); a k-gram made
              only of very common words ("of the in a") is dropped: it says nothing
  winnowing   of every window of W consecutive k-gram hashes, the smallest is kept (with its
              word position). Any passage two texts share of at least K + W - 1 words gives
              them at least one fingerprint in common; about 2/(W+1) of the k-grams are kept.

An excerpt is reported when enough of its fingerprints match one work *in the same order, at
the same distances and close together*: matches are chained in text order while their offset
(position in the work minus position in the text) stays within OFFSET_TOLERANCE and the gap
to the previous match is at most MAX_GAP words, so shared stock phrases scattered over an
unrelated text never add up to a passage.
Replacing a word keeps the offset; inserting or deleting a few shifts it slightly, which the
offset tolerance absorbs. With K=5 and W=3 any shared run of 7 words gives a fingerprint, so
a 60-word excerpt with one word in ten replaced (runs of about nine words) keeps 10 or more
matching fingerprints, where unrelated text in the same field reaches 4 at most (measured on
made-up clinical prose: tests/test_works.py); MIN_MATCHES sits between the two.

This module is pure: the gateway stores fingerprints (gateway/works.py) and hands the
scanner an Index.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass

import numpy as np

K = 5  # words per k-gram
W = 3  # k-grams per winnowing window
MIN_MATCHES = 6  # fingerprints in one cluster for an excerpt to count
MIN_WORDS = 25  # ... spanning at least this many words of the text
OFFSET_TOLERANCE = 12  # words an edit may shift the rest of a passage by
MAX_GAP = 40  # words between two matching fingerprints of one passage, at most
MAX_POSTINGS = 64  # a hash in more places than this (boilerplate) is ignored when matching

_WORD = re.compile(r"[^\W_]+")
STOPWORDS = frozenset("""
a about above after again against all am an and any are as at be because been before being
below between both but by can could did do does doing down during each few for from further
had has have having he her here hers herself him himself his how i if in into is it its
itself just me more most my myself no nor not now of off on once only or other our ours
ourselves out over own same she should so some such than that the their theirs them
themselves then there these they this those through to too under until up very was we were
what when where which while who whom why will with would you your yours yourself yourselves
may also et al fig figure table page vol pp""".split())


def words(text: str) -> list[str]:
    """Casefolded words with accents and punctuation removed: 'Café-au-lait!' -> cafe au lait."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    return _WORD.findall(folded)


def _hash(gram: str) -> int:
    return int.from_bytes(hashlib.blake2b(gram.encode(), digest_size=8).digest(), "little")


def kgram_hashes(tokens: list[str]) -> list[tuple[int, int]]:
    """(hash, position of the first word) of every informative k-gram."""
    out = []
    for i in range(len(tokens) - K + 1):
        gram = tokens[i:i + K]
        if all(w in STOPWORDS for w in gram):
            continue
        out.append((_hash(" ".join(gram)), i))
    return out


def winnow(hashes: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The rightmost minimum of every window of W hashes, each kept once."""
    if len(hashes) <= W:
        return [min(hashes)] if hashes else []
    out: list[tuple[int, int]] = []
    last = -1
    for start in range(len(hashes) - W + 1):
        window = hashes[start:start + W]
        best = min(range(W), key=lambda j: (window[j][0], -j))
        index = start + best
        if index != last:
            out.append(hashes[index])
            last = index
    return out


def fingerprints(text: str) -> tuple[np.ndarray, np.ndarray, int]:
    """(hashes uint64, word positions uint32, number of words) of a text."""
    tokens = words(text)
    kept = winnow(kgram_hashes(tokens))
    hashes = np.array([h for h, _ in kept], dtype=np.uint64)
    positions = np.array([p for _, p in kept], dtype=np.uint32)
    return hashes, positions, len(tokens)


def pack(hashes: np.ndarray, positions: np.ndarray) -> bytes:
    return hashes.astype("<u8").tobytes() + positions.astype("<u4").tobytes()


def unpack(blob: bytes) -> tuple[np.ndarray, np.ndarray]:
    n = len(blob) // 12
    return (np.frombuffer(blob, dtype="<u8", count=n),
            np.frombuffer(blob, dtype="<u4", count=n, offset=8 * n))


@dataclass(frozen=True)
class Work:
    id: int
    title: str
    words: int


@dataclass(frozen=True)
class Match:
    work: Work
    words: int  # words of the text covered by the matching passage (approximate)
    fingerprints: int  # fingerprints of that passage found in the work
    start: int  # first matching word of the text

    @property
    def share(self) -> float:
        """How much of the work the passage is (0..1)."""
        return min(1.0, self.words / max(self.work.words, 1))


class Index:
    """Every registered work's fingerprints in three sorted arrays; read-only once built."""

    def __init__(self, works: list[tuple[Work, bytes]] = ()):
        self.works: dict[int, Work] = {}
        hashes, owners, positions = [], [], []
        for work, blob in works:
            h, p = unpack(blob)
            self.works[work.id] = work
            hashes.append(h)
            positions.append(p)
            owners.append(np.full(len(h), work.id, dtype=np.uint32))
        if hashes:
            h = np.concatenate(hashes)
            order = np.argsort(h, kind="stable")
            self.hashes = h[order]
            self.owners = np.concatenate(owners)[order]
            self.positions = np.concatenate(positions)[order]
        else:
            self.hashes = np.zeros(0, dtype=np.uint64)
            self.owners = self.positions = np.zeros(0, dtype=np.uint32)

    def __len__(self) -> int:
        return len(self.works)

    def match(self, text: str) -> list[Match]:
        """The registered works `text` holds an excerpt of, best first."""
        if not self.works:
            return []
        q_hashes, q_positions, _ = fingerprints(text)
        if not len(q_hashes):
            return []
        left = np.searchsorted(self.hashes, q_hashes, side="left")
        right = np.searchsorted(self.hashes, q_hashes, side="right")
        counts = right - left
        usable = (counts > 0) & (counts <= MAX_POSTINGS)
        if not usable.any():
            return []
        pairs: dict[int, list[tuple[int, int]]] = {}  # work -> [(offset, text position)]
        for i in np.nonzero(usable)[0]:
            qpos = int(q_positions[i])
            for j in range(left[i], right[i]):
                pairs.setdefault(int(self.owners[j]), []).append(
                    (int(self.positions[j]) - qpos, qpos))
        found = []
        for work_id, hits in pairs.items():
            chains = [c for c in _chains(hits) if c[0] >= MIN_MATCHES and c[2] - c[1] + K >= MIN_WORDS]
            if chains:
                count = sum(c[0] for c in chains)
                covered = sum(c[2] - c[1] + K for c in chains)
                found.append(Match(self.works[work_id], covered, count, min(c[1] for c in chains)))
        return sorted(found, key=lambda m: -m.fingerprints)


def _chains(hits: list[tuple[int, int]]) -> list[tuple[int, int, int]]:
    """Runs of hits in text order whose offsets stay within OFFSET_TOLERANCE and whose
    text positions are at most MAX_GAP words apart: (distinct hits, first, last position)."""
    hits = sorted(set(hits), key=lambda h: (h[1], h[0]))
    open_chains: list[list[int]] = []  # [count, first, last, offset of the first hit]
    done: list[tuple[int, int, int]] = []
    for offset, qpos in hits:
        still = []
        for chain in open_chains:
            if qpos - chain[2] > MAX_GAP:
                done.append((chain[0], chain[1], chain[2]))
            else:
                still.append(chain)
        open_chains = still
        best = None
        for chain in open_chains:
            if abs(offset - chain[3]) <= OFFSET_TOLERANCE and (best is None or chain[0] > best[0]):
                best = chain
        if best is None:
            open_chains.append([1, qpos, qpos, offset])
        elif qpos != best[2]:
            best[0] += 1
            best[2] = qpos
    done.extend((c[0], c[1], c[2]) for c in open_chains)
    return done
