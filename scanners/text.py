"""Views of a message's text, computed once per message and shared by the scanners.

`build(msg)` splits every text into segments, each either the sender's own words or quoted
text: lines starting with `>`, and everything after an "On ... wrote:" line, an Outlook
"-----Original Message-----" or "From: / Sent: / Subject:" block, or a forwarded-message
marker. A quoted segment's `where` ends in `#quoted` ("body#quoted"). Each segment has a
flattened view for lexicon matching (scanners.lexicon.FlatView), built on first use.

`Segment.hits(file)` gives the matches of every list in SCAN_LISTS, found in one
Aho-Corasick pass per segment; the language list also matches disguised spellings (sh1t,
f u c k, b.i.t.c.h, fuuuck, fück). `Segment.disguised` finds the tokens disguised with
symbols (sh!t, $hit, f*ck), which the flattened view cannot see, with the plain forms
they may stand for; the scanner looks those up in its own list.

The pipeline builds one MessageText per message and hands it to every scanner (a scanner
called on its own builds it itself). Nothing here decides anything.
"""
from __future__ import annotations

import dataclasses
import email.utils
import hashlib
import re
from bisect import bisect_right
from dataclasses import dataclass

from scanners import lexicon, quoting
from scanners.base import QUOTED as QUOTED_TAG, REPORTED, Finding, ParsedMessage, Severity
from scanners.lexicon import FlatView, Hit

QUOTED = "#quoted"
FORWARDED = "body#forwarded"  # the text of a message/rfc822 part (gateway/content/parse.py)

# -- quoted text ---------------------------------------------------------------------------

_QUOTE_LINES = re.compile(r"^[ \t]*>[^\n]*", re.MULTILINE)
# Cheap substring tests first: most mail is not a reply. The patterns below are matched on
# the lower-cased text (IGNORECASE makes an alternation of words several times slower).
_CLUES = ("wrote", "writes", "a écrit", "schrieb", "escribió", "original message",
          "forwarded message", "from:", "__________")
_BLOCK_MARKER = re.compile(
    r"^[ \t]*(?:-{2,}[ \t]*(?:original message|forwarded message)[ \t]*-{2,}|"
    r"begin forwarded message:|_{10,}[ \t]*$)|"
    r"^[ \t]*\*?from:\*?[ \t]+\S[^\n]*\n(?:[^\n]*\n){0,3}?[ \t]*\*?(?:sent|date):",
    re.MULTILINE)
_ATTRIBUTION_END = re.compile(r"(?:wrote|writes|a écrit|schrieb|escribió)[ \t]*:[ \t]*$",
                              re.MULTILINE)
_BLOCK_CLUES = ("original message", "forwarded message", "begin forwarded", "__________", "from:")
_ATTRIBUTION_CLUES = ("wrote", "writes", "a écrit", "schrieb", "escribió")
_ATTRIBUTION_START = re.compile(r"[ \t]*(?:on|le|am|el)\s", re.IGNORECASE)


def split_quoted(text: str) -> list[tuple[int, int, bool]]:
    """(start, end, quoted) spans covering `text`, in order, merged by state."""
    low = text.lower()
    if len(low) != len(text):
        low = "".join(c.lower()[:1] or c for c in text)
    if ">" not in text and not any(clue in low for clue in _CLUES):
        return [(0, len(text), False)]
    quoted = [(m.start(), m.end()) for m in _QUOTE_LINES.finditer(text)] if ">" in text else []
    block = _reply_block(low)
    if block:
        quoted.append(block)
    quoted.sort()
    spans: list[tuple[int, int, bool]] = []
    pos = 0
    for start, end in quoted:
        end = min(len(text), end + 1) if end < len(text) and text[end] == "\n" else end
        if start < pos:  # inside the previous quoted span
            if end > pos:
                spans[-1] = (spans[-1][0], end, True)
                pos = end
            continue
        if start > pos:
            spans.append((pos, start, False))
        if spans and spans[-1][2]:
            spans[-1] = (spans[-1][0], end, True)
        else:
            spans.append((start, end, True))
        pos = end
    if pos < len(text):
        spans.append((pos, len(text), False))
    return spans


def _line_start(text: str, pos: int) -> int:
    return text.rfind("\n", 0, pos) + 1


def _attributions(text: str):
    """Matches of _ATTRIBUTION_END in order, found from str.find of each clue word (an
    alternation of words is slow in re)."""
    found = []
    for clue in _ATTRIBUTION_CLUES:
        i = text.find(clue)
        while i >= 0:
            m = _ATTRIBUTION_END.match(text, i)
            if m:
                found.append(m)
            i = text.find(clue, i + 1)
    return sorted(found, key=lambda m: m.start())


def _reply_block(text: str) -> tuple[int, int] | None:  # `text` in lower case
    """The span of the reply header: from an "On ... wrote:" line (wrapped over two lines,
    perhaps), an Outlook block or a forward marker. Everything after it is quoted, unless
    '>' lines follow an attribution (Gmail, Apple Mail), when the sender may answer in
    between: then only the attribution itself is."""
    found = []
    m = _BLOCK_MARKER.search(text) if any(clue in text for clue in _BLOCK_CLUES) else None
    if m:
        found.append((m.start(), len(text)))
    for m in _attributions(text):
        start = _line_start(text, m.start())
        line = text[start:m.end()]
        if line.lstrip().startswith(">"):
            continue
        if not (_ATTRIBUTION_START.match(line) or line.count(" ") < 25):
            if start == 0:
                continue
            previous = _line_start(text, start - 1)
            if not _ATTRIBUTION_START.match(text[previous:start]):
                continue
            start = previous
        elif start and not _ATTRIBUTION_START.match(line):
            previous = _line_start(text, start - 1)
            if _ATTRIBUTION_START.match(text[previous:start]) and "@" in text[previous:m.end()]:
                start = previous  # "On Tue, 10 Jun, Olivia <\nolivia@example.com> wrote:"
        after = [ln for ln in text[m.end():m.end() + 2000].split("\n") if ln.strip()][:3]
        to_end = not any(ln.lstrip().startswith(">") for ln in after)
        found.append((start, len(text) if to_end else m.end()))
        break
    return min(found) if found else None


# -- disguised words with symbols -------------------------------------------------------

# Digits for letters, spaced and stretched letters are generated into the automaton
# (scanners.lexicon.disguises). Symbols are not: the flattened view turns them into spaces.
# So tokens with a symbol among letters are looked at here: sh!t, $hit, a$$hole, tw@t, f*ck.
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b",
                       "9": "g", "@": "a", "$": "s", "!": "i", "|": "i"})
_SYMBOLS = "@$*!|"
_SYMBOL = re.compile(r"[@$*!|]")
_TOKEN = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@$*!|")


@dataclass(frozen=True, slots=True)
class Disguised:
    start: int
    end: int
    forms: tuple[str, ...]  # plain words it may stand for; '*' stands for any one letter


def _symbol_positions(text: str) -> list[int]:
    """Where the symbols are: str.find runs at memchr speed, a regex does not."""
    found = []
    for c in _SYMBOLS:
        i = text.find(c)
        while i >= 0:
            found.append(i)
            i = text.find(c, i + 1)
    found.sort()
    return found


def disguised(text: str) -> list[Disguised]:
    out: list[Disguised] = []
    done = -1
    size = len(text)
    for start in _symbol_positions(text):
        if start < done:
            continue
        end = start + 1
        while end < size and text[end] in _SYMBOLS:
            end += 1
        inside = start and end < size and text[start - 1].isalnum() and text[end].isalnum()
        if not inside and not (text[start] in "@$" and (end < size and text[end].isalpha()
                                                       or start and text[start - 1].isalpha())):
            continue  # "Book now!", "* item", "£5 *": not inside a word
        while start > 0 and text[start - 1] in _TOKEN:
            start -= 1
        while end < len(text) and text[end] in _TOKEN:
            end += 1
        done = end
        token = text[start:end]
        stripped = token.strip("*!|")
        start += token.index(stripped) if stripped else 0
        token = stripped
        if not 3 <= len(token) <= 24 or not _SYMBOL.search(token) or \
                not any(c.isalpha() for c in token):
            continue
        form = token.lower().translate(_LEET)
        if form.replace("*", "").isalpha():
            out.append(Disguised(start, start + len(token), (form,)))
    return out


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
    text, at most six, blank lines dropped; else a short last line ("Jade x"); else []."""
    lines = text.rstrip().split("\n")
    for i in range(len(lines) - 1, -1, -1):
        if lines[i].rstrip() in ("--", "-- ") or _CLOSING.match(lines[i]):
            return [ln.strip() for ln in lines[i + 1:] if ln.strip()][:6]
        if len(lines) - i > 12:
            break
    last = lines[-1].strip() if lines else ""
    if last and len(last) <= 40 and len(last.split()) <= 4 and last[-1] not in ".?!:":
        return [last]  # signed without a sign-off line: "Jade x", "Dr A Okafor"
    return []


# -- the views -----------------------------------------------------------------------------

# The lists the scanners match against every segment: (file, labels scanned, disguised
# spellings too). Other labels of a file are looked up one at a time, not scanned for.
SCAN_LISTS = (
    ("language.txt", (), True),
    ("insults.txt", ("noun", "adj"), False),
    ("threats.txt", ("act",), False),
    ("defamation.txt", ("claim",), False),
    ("pom.txt", (), False),
    ("promo.txt", (), False),
    ("claims.txt", (), False),
    ("audience.txt", ("text", "professional", "publish", "safety"), False),
    ("attribution.txt", ("opinion",), False),
)


class Segment:
    """A run of text of one part that is either quoted or not."""

    __slots__ = ("where", "text", "quoted", "kind", "_flat", "_disguised", "_hits", "_group",
                 "_cited", "_quoted_words")

    def __init__(self, where: str, text: str, quoted: bool, kind: str):
        self.where = where + (QUOTED if quoted else "")
        self.text = text
        self.quoted = quoted
        self.kind = kind  # "subject", "body" or "attachment"
        self._flat: FlatView | None = None
        self._disguised: list[Disguised] | None = None
        self._hits: dict[str, list[Hit]] | None = None
        self._group: tuple[Segment, ...] = ()  # the message's segments, matched together
        self._cited: list[tuple[int, int]] | None = None
        self._quoted_words: str | None = None

    @property
    def flat(self) -> FlatView:
        if self._flat is None:
            self._flat = FlatView(self.text)
        return self._flat

    def hits(self, name: str) -> list[Hit]:
        """Matches of the data file `name` (one of SCAN_LISTS), all lists found in one pass."""
        if self._hits is None:
            _match((self,) if not self._group else self._group)
        return self._hits[name]

    def echoed(self, start: int, end: int) -> bool:
        """Whether the words of an attachment's text[start:end] are words the sender's own
        message quotes (in quotation marks or a quoted reply): the screenshot or document
        is the evidence of what the mail cites, not the sender's own saying."""
        run = " ".join(_WORDS.findall(self.text[start:end].lower()))
        return self.kind == "attachment" and bool(run) and any(
            run in seg.quoted_words() for seg in self._group if seg.kind != "attachment")

    def quoted_words(self) -> str:
        """The words this segment quotes, in lower case and one space apart, a line for each
        quotation: all of it when it is quoted, else its cited spans."""
        if self._quoted_words is None:
            spans = [(0, len(self.text))] if self.quoted else self._cited_spans()
            self._quoted_words = "\n".join(" ".join(_WORDS.findall(self.text[s:e].lower()))
                                           for s, e in spans)
        return self._quoted_words

    def _cited_spans(self) -> list[tuple[int, int]]:
        if self._cited is None:
            self._cited = quoting.cited_spans(self.text)
        return self._cited

    def cited(self, start: int, end: int, overlap: bool = False) -> bool:
        """Whether text[start:end] is inside (or, with `overlap`, touches) words the sender
        cites (scanners/quoting.py)."""
        if overlap:
            return any(s < end and start < e for s, e in self._cited_spans())
        return quoting.inside(self._cited_spans(), start, end)

    @property
    def disguised(self) -> list[Disguised]:
        if self._disguised is None:
            self._disguised = disguised(self.text)
        return self._disguised

    def __repr__(self) -> str:
        return f"Segment({self.where!r}, {self.text[:40]!r})"


_SEPARATOR = "\n\n"
_WORDS = re.compile(r"\w+")


def _match(segments: tuple[Segment, ...]) -> None:
    """One flattened view and one automaton pass for all the segments of a message (the
    per-call costs outweigh the matching on short segments); each hit goes to its segment,
    with offsets in that segment, and a hit across two segments is dropped."""
    starts, pos = [], 0
    for seg in segments:
        starts.append(pos)
        pos += len(seg.text) + len(_SEPARATOR)
        seg._hits = {n: [] for n, _, _ in SCAN_LISTS}
    if len(segments) == 1:
        view = segments[0].flat
    else:
        view = FlatView(_SEPARATOR.join(seg.text for seg in segments))
    for hit in lexicon.combined(SCAN_LISTS).find(view):
        i = bisect_right(starts, hit.start) - 1
        offset, seg = starts[i], segments[i]
        if hit.end - offset > len(seg.text):
            continue
        if offset:
            hit = Hit(hit.start - offset, hit.end - offset, hit.entry, hit.severity, hit.label,
                      hit.source, hit.disguised)
        seg._hits[hit.source].append(hit)


_REPLY_SUBJECT = re.compile(r"^\s*(?:re|aw|sv|antw)\s*(?:\[\d+\])?\s*:", re.IGNORECASE)
_SALUTATION = re.compile(r"^\s*(?:dear|hi|hello|hey|good (?:morning|afternoon|evening))\b.{0,60}$",
                         re.IGNORECASE)
_NOT_ALNUM = re.compile(r"[\W_]+")


@dataclass(frozen=True)
class MessageText:
    segments: tuple[Segment, ...]
    own_body: str  # the sender's own words in the first body part (no quotes)
    is_reply: bool
    reporting: str = ""  # why the message reports or answers what it quotes (quoting.py)
    # what the scanners compute once for the message (scanners/model_findings.py)
    cache: dict = dataclasses.field(default_factory=dict, compare=False, repr=False)

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
        elif part.where == FORWARDED:  # a message attached to this one: all of it quoted
            segments.append(Segment("body", part.text, True, "body"))
        elif part.where.startswith("body"):
            own = []
            for start, end, quoted in split_quoted(part.text):
                chunk = part.text[start:end]
                if quoted and _own_forward(chunk, msg.sender):
                    quoted = False  # the clinic forwarding its own mail: its own words
                if chunk.strip():
                    segments.append(Segment(part.where, chunk, quoted, "body"))
                    if not quoted:
                        own.append(chunk)
            if own_body is None:
                own_body = "".join(own)
        else:
            segments.append(Segment(part.where, part.text, False, "attachment"))
    is_reply = bool(msg.header("In-Reply-To") or _REPLY_SUBJECT.match(msg.subject))
    group = tuple(segments)
    for seg in group:
        seg._group = group
    own_text = "\n".join(s.text for s in group if not s.quoted and s.kind != "attachment")
    named = email.utils.getaddresses([msg.header("To"), msg.header("Cc")])
    reporting = quoting.reporting(own_text, named)
    if reporting:  # what a report or a refusal puts in quotation marks is what it reports
        for seg in group:
            if seg.kind == "body" and not seg.quoted:
                seg._cited = sorted(set(seg._cited_spans()) | set(quoting.quotations(seg.text)))
    return MessageText(group, own_body or "", is_reply, reporting)


_FORWARD_FROM = re.compile(r"^[ \t>]*from:[ \t]*(.+)$", re.IGNORECASE | re.MULTILINE)


def _own_forward(chunk: str, sender: str) -> bool:
    """Whether a forwarded or quoted block is the sender's organisation's own mail: its
    header's From (within the first lines) has the sender's domain, or its name (the
    domain's first label, 5 letters or more, not webmail; "Larkspur Clinic" for
    larkspurclinic.example). A clinic forwarding
    its own offer sends it again; it does not cite someone else."""
    domain = sender.rpartition("@")[2].lower()
    label = domain.split(".")[0]
    if not domain or len(label) < 5 or label in lexicon.words("webmail.txt"):
        return False
    m = _FORWARD_FROM.search(chunk[:600])
    if not m:
        return False
    line = m.group(1).lower()
    return domain in line or label in re.sub(r"[^a-z0-9]", "", line)


def quoted_finding(seg: Segment, start: int, end: int, reporting: str,
                   finding: Finding) -> Finding:
    """`finding` (made at seg.text[start:end]) as the sender's own words, or as quoted: one
    severity lower, tagged `quoted` and the evidence saying so; low (and tagged `reported`) when the
    message reports or answers what it quotes (scanners/quoting.py), and then also for
    what its attachments say."""
    cited = not seg.quoted and end > start and seg.cited(start, end)
    # a screenshot or document sent with a message that reports it is evidence, like quoted
    # text: the grievance to HR is not itself the abuse it attaches; so is one whose words
    # the message quotes ("she called us 'butchers'", and the screenshot of her post)
    attached = seg.kind == "attachment" and not seg.quoted and (
        bool(reporting) or end > start and seg.echoed(start, end))
    if not (seg.quoted or cited or attached):
        return finding
    severity = Severity.LOW if reporting else finding.severity.lowered()
    why = "quoted" if seg.quoted else "in quotation marks, cited" if cited else \
        "attached" if reporting else "attached, and quoted in the message"
    if reporting:
        why += f"; message reports it ({reporting})"
    return dataclasses.replace(finding, severity=severity, evidence=f"{finding.evidence} ({why})"
                               ).tagged(*((QUOTED_TAG, REPORTED) if reporting else (QUOTED_TAG,)))


def fingerprint(views: MessageText) -> tuple[str, int]:
    """(sha256 of the sender's own body text, normalised, its length in characters).

    The greeting line ("Dear Sam,") is dropped and case, punctuation and spacing are
    ignored, so a mail merge of one text to many people gives one fingerprint. Only the
    hash leaves the scan process."""
    body = views.own_body
    lines = body.strip().split("\n")
    if lines and _SALUTATION.match(lines[0]):
        lines = lines[1:]
    norm = _NOT_ALNUM.sub(" ", "\n".join(lines).lower()).strip()
    if not norm:
        return "", 0
    return hashlib.sha256(norm.encode("utf-8")).hexdigest(), len(norm)
