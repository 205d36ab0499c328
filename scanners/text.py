"""Views of a message's text, computed once per message and shared by the scanners.

`views(msg)` splits every text into segments, each either the sender's own words or quoted
text: lines starting with `>`, and everything after an "On ... wrote:" line, an Outlook
"-----Original Message-----" or "From: / Sent: / Subject:" block, or a forwarded-message
marker. A quoted segment's `where` ends in `#quoted` ("body#quoted"). Each segment has a
flattened view for lexicon matching (scanners.lexicon.FlatView), built on first use.

It also finds words written to slip past a word list (`disguised`): letters swapped for
look-alike digits or symbols (sh1t, $hit, b!tch), asterisks (f*ck, f**k), letters spaced or
dotted apart (f u c k, b.i.t.c.h) and letters stretched (fuuuuck). Each comes with the
plain forms it may stand for; the scanner looks those up in its own list.

The views are cached for the last few messages, so two scanners reading the same
ParsedMessage share one computation. Nothing here decides anything.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from scanners.base import ParsedMessage
from scanners.lexicon import FlatView

QUOTED = "#quoted"

# -- quoted text ---------------------------------------------------------------------------

_QUOTE_LINE = re.compile(r"^[ \t]*>")
_ATTRIBUTION_START = re.compile(r"^[ \t]*(?:on|le|am|el)\s.{0,200}$", re.IGNORECASE)
_ATTRIBUTION_END = re.compile(r"\b(?:wrote|writes|a écrit|schrieb|escribió)\s*:\s*$", re.IGNORECASE)
_BLOCK_MARKER = re.compile(
    r"^[ \t]*(?:-{2,}\s*(?:original message|forwarded message)\s*-{2,}|"
    r"begin forwarded message:|_{10,}\s*$)", re.IGNORECASE)
_HEADER_FROM = re.compile(r"^[ \t]*\*?from:\*?\s+\S", re.IGNORECASE)
_HEADER_NEXT = re.compile(r"^[ \t]*\*?(?:sent|date|to|subject|cc):", re.IGNORECASE)


def split_quoted(text: str) -> list[tuple[int, int, bool]]:
    """(start, end, quoted) spans covering `text`, in order, merged by state."""
    lines, pos = [], 0
    for line in text.split("\n"):
        lines.append((pos, line))
        pos += len(line) + 1
    state = [bool(_QUOTE_LINE.match(line)) for _, line in lines]
    cut = _reply_block(lines)
    if cut is not None:
        index, to_end = cut
        if to_end:
            state[index:] = [True] * (len(lines) - index)
        else:  # the attribution line, or two when it wraps
            state[index] = True
            if not _ATTRIBUTION_END.search(lines[index][1]) and index + 1 < len(lines):
                state[index + 1] = True
    spans: list[tuple[int, int, bool]] = []
    for (start, line), quoted in zip(lines, state):
        end = min(start + len(line) + 1, len(text))
        if spans and spans[-1][2] == quoted:
            spans[-1] = (spans[-1][0], end, quoted)
        else:
            spans.append((start, end, quoted))
    return spans


def _reply_block(lines: list[tuple[int, str]]) -> tuple[int, bool] | None:
    """(first line of the quoted block, whether everything after it is quoted), or None."""
    for i, (_, line) in enumerate(lines):
        if _QUOTE_LINE.match(line):
            continue
        if _BLOCK_MARKER.match(line):
            return i, True
        if _HEADER_FROM.match(line) and sum(
                bool(_HEADER_NEXT.match(nxt)) for _, nxt in lines[i + 1:i + 5]) >= 2:
            return i, True
        attribution = _ATTRIBUTION_END.search(line) and (
            _ATTRIBUTION_START.match(line) or line.count(" ") < 25)
        wrapped = (_ATTRIBUTION_START.match(line) and i + 1 < len(lines)
                   and _ATTRIBUTION_END.search(lines[i + 1][1]))
        if attribution or wrapped:
            after = [ln for _, ln in lines[i + (2 if wrapped else 1):] if ln.strip()][:3]
            # Gmail/Apple style: the quote follows with '>' on each line, and the sender may
            # answer in between; otherwise (Outlook, HTML turned to text) the rest is quoted.
            return i, not any(_QUOTE_LINE.match(ln) for ln in after)
    return None


# -- disguised words -----------------------------------------------------------------------

_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b",
                       "9": "g", "@": "a", "$": "s", "!": "i", "|": "i", "€": "e", "£": "l"})
_CONFUSABLES = str.maketrans({"а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y",
                              "х": "x", "і": "i", "к": "k", "м": "m", "т": "t", "ο": "o",
                              "α": "a", "ν": "v", "ι": "i", "κ": "k", "ѕ": "s", "ԁ": "d"})
# A run of letters, digits and look-alike symbols with at least one symbol or digit inside.
_SYMBOLIC = re.compile(r"(?<![\w@$*!|])(?=[\w@$*!|]*?[0-9@$*!|])(?=[\w@$*!|]*?[A-Za-z])"
                       r"[\w@$*!|]{3,24}(?![\w@$*!|])")
_SPACED = re.compile(r"(?<![A-Za-z])[A-Za-z](\. |[ .\-_*~+])(?:[A-Za-z]\1)+[A-Za-z](?![A-Za-z])")
_STRETCHED = re.compile(r"[A-Za-z]*([A-Za-z])\1\1[A-Za-z]*")
_NON_ASCII_WORD = re.compile(r"\b\w*[^\x00-\x7f]\w*\b")
_RUN3 = re.compile(r"([a-z])\1{2,}")
_RUN2 = re.compile(r"([a-z])\1+")


@dataclass(frozen=True, slots=True)
class Disguised:
    start: int
    end: int
    forms: tuple[str, ...]  # plain words it may stand for; '*' stands for any one letter


def disguised(text: str) -> list[Disguised]:
    out: list[Disguised] = []
    for m in _SYMBOLIC.finditer(text):
        token = m.group(0).strip("*!|")
        if sum(c.isalpha() for c in token) < 1 or len(token) < 3 or len(token) > 24:
            continue
        start = m.start() + m.group(0).index(token)
        form = token.lower().translate(_LEET)
        if form.replace("*", "").isalpha() and (form != token.lower() or "*" in form):
            out.append(Disguised(start, start + len(token), _stretch_forms(form)))
    for m in _SPACED.finditer(text):
        letters = "".join(c for c in m.group(0) if c.isalpha()).lower()
        out.append(Disguised(m.start(), m.end(), _stretch_forms(letters)))
    for m in _STRETCHED.finditer(text):
        out.append(Disguised(m.start(), m.end(), _stretch_forms(m.group(0).lower())[1:]))
    if not text.isascii():
        for m in _NON_ASCII_WORD.finditer(text):
            plain = _fold(m.group(0))
            if plain != m.group(0).lower() and plain.isascii():
                out.append(Disguised(m.start(), m.end(), _stretch_forms(plain)))
    return out


def _stretch_forms(word: str) -> tuple[str, ...]:
    if not _RUN3.search(word):
        return (word,)
    return word, _RUN3.sub(r"\1", word), _RUN3.sub(r"\1\1", word), _RUN2.sub(r"\1", word)


def _fold(word: str) -> str:
    word = word.lower().translate(_CONFUSABLES)
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))


# -- sentences, signature ------------------------------------------------------------------

_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9>])|\n\s*\n|\n(?=\s*[-*•>]|\s*\d+[.)]\s)")
_LINE_BREAK = re.compile(r"\s*\n\s*")


def sentences(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """(start, end) of each sentence (or list item, or paragraph) of text[start:end]."""
    end = len(text) if end is None else end
    out, pos = [], start
    for m in _SENTENCE_END.finditer(text, start, end):
        if text[pos:m.start()].strip():
            out.append((pos, m.start()))
        pos = m.end()
    if text[pos:end].strip():
        out.append((pos, end))
    return out


_CLOSING = re.compile(
    r"^\s*(?:(?:kind|best|warm|warmest|many|with)?\s*(?:regards|wishes|thanks|thank you)|"
    r"best|cheers|love|thanks|yours(?: sincerely| faithfully| truly)?|sincerely|all the best|"
    r"speak soon|take care|x+)\s*[,.!]?\s*(?:x+)?\s*$", re.IGNORECASE)


def signature(text: str) -> list[str]:
    """The lines after the last sign-off ("Kind regards,") or "-- " of the sender's own
    text, at most six, blank lines dropped. Empty if there is no sign-off."""
    lines = text.rstrip().split("\n")
    for i in range(len(lines) - 1, -1, -1):
        if lines[i].rstrip() in ("--", "-- ") or _CLOSING.match(lines[i]):
            return [ln.strip() for ln in lines[i + 1:] if ln.strip()][:6]
        if len(lines) - i > 12:
            break
    return []


# -- the views -----------------------------------------------------------------------------

class Segment:
    """A run of text of one part that is either quoted or not."""

    __slots__ = ("where", "text", "quoted", "kind", "_flat", "_disguised")

    def __init__(self, where: str, text: str, quoted: bool, kind: str):
        self.where = where + (QUOTED if quoted else "")
        self.text = text
        self.quoted = quoted
        self.kind = kind  # "subject", "body" or "attachment"
        self._flat: FlatView | None = None
        self._disguised: list[Disguised] | None = None

    @property
    def flat(self) -> FlatView:
        if self._flat is None:
            self._flat = FlatView(self.text)
        return self._flat

    @property
    def disguised(self) -> list[Disguised]:
        if self._disguised is None:
            self._disguised = disguised(self.text)
        return self._disguised

    def __repr__(self) -> str:
        return f"Segment({self.where!r}, {self.text[:40]!r})"


_REPLY_SUBJECT = re.compile(r"^\s*(?:re|aw|sv|antw)\s*(?:\[\d+\])?\s*:", re.IGNORECASE)
_SALUTATION = re.compile(r"^\s*(?:dear|hi|hello|hey|good (?:morning|afternoon|evening))\b.{0,60}$",
                         re.IGNORECASE)
_NOT_ALNUM = re.compile(r"[\W_]+")


@dataclass(frozen=True)
class MessageText:
    segments: tuple[Segment, ...]
    own_body: str  # the sender's own words in the first body part (no quotes)
    is_reply: bool

    def own(self) -> list[Segment]:
        return [s for s in self.segments if not s.quoted]

    def quoted(self) -> list[Segment]:
        return [s for s in self.segments if s.quoted]


def build(msg: ParsedMessage) -> MessageText:
    segments: list[Segment] = []
    own_body = None
    for part in msg.texts():
        if part.where == "subject":
            segments.append(Segment("subject", part.text, False, "subject"))
        elif part.where.startswith("body"):
            own = []
            for start, end, quoted in split_quoted(part.text):
                chunk = part.text[start:end]
                if chunk.strip():
                    segments.append(Segment(part.where, chunk, quoted, "body"))
                    if not quoted:
                        own.append(chunk)
            if own_body is None:
                own_body = "".join(own)
        else:
            segments.append(Segment(part.where, part.text, False, "attachment"))
    is_reply = bool(msg.header("In-Reply-To") or _REPLY_SUBJECT.match(msg.subject))
    return MessageText(tuple(segments), own_body or "", is_reply)


@lru_cache(maxsize=4)
def views(msg: ParsedMessage) -> MessageText:
    """The views of `msg`, computed once however many scanners ask."""
    return build(msg)


def fingerprint(msg: ParsedMessage) -> tuple[str, int]:
    """(sha256 of the sender's own body text, normalised, its length in characters).

    The greeting line ("Dear Sam,") is dropped and case, punctuation and spacing are
    ignored, so a mail merge of one text to many people gives one fingerprint. Only the
    hash leaves the scan process."""
    body = views(msg).own_body
    lines = body.strip().split("\n")
    if lines and _SALUTATION.match(lines[0]):
        lines = lines[1:]
    norm = _NOT_ALNUM.sub(" ", "\n".join(lines).lower()).strip()
    if not norm:
        return "", 0
    return hashlib.sha256(norm.encode("utf-8")).hexdigest(), len(norm)
