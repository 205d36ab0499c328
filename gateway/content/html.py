"""HTML reduced to the text a reader sees, with <blockquote> lines marked as quoted."""
from __future__ import annotations

import re
from html.parser import HTMLParser

_BLANKS = re.compile(r"[ \t\r\f\v]+")
_NEWLINES = re.compile(r"\n\s*\n+")
_QUOTE_OPEN, _QUOTE_CLOSE = "\x01", "\x02"  # marks around <blockquote> text while parsing


class _TextExtractor(HTMLParser):
    _SKIP = {"script", "style", "head", "title"}
    _BREAK = {"p", "br", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "blockquote"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in self._SKIP:
            self.skipping += 1
        elif tag in self._BREAK:
            self.out.append("\n" + (_QUOTE_OPEN if tag == "blockquote" else ""))
        elif tag in ("td", "th"):  # table cells apart: "Owen Price" "DOB ..." not "PriceDOB"
            self.out.append("\t")

    def handle_endtag(self, tag):
        if tag in self._SKIP and self.skipping:
            self.skipping -= 1
        elif tag in self._BREAK:
            self.out.append((_QUOTE_CLOSE if tag == "blockquote" else "") + "\n")

    def handle_data(self, data):
        if not self.skipping:
            self.out.append(data)


def html_to_text(html: str) -> str:
    """The visible text; lines inside <blockquote> start with '> ' (one per level), as
    quoted lines do in plain-text replies."""
    parser = _TextExtractor()
    parser.feed(html.replace(_QUOTE_OPEN, "").replace(_QUOTE_CLOSE, ""))
    parser.close()
    text = "".join(parser.out)
    if _QUOTE_OPEN in text:
        text = _mark_quotes(text)
    text = _BLANKS.sub(" ", text)
    return _NEWLINES.sub("\n\n", text).strip()


def _mark_quotes(text: str) -> str:
    lines, depth = [], 0
    for line in text.split("\n"):
        opens, closes = line.count(_QUOTE_OPEN), line.count(_QUOTE_CLOSE)
        level = depth + opens
        depth = max(0, depth + opens - closes)
        line = line.replace(_QUOTE_OPEN, "").replace(_QUOTE_CLOSE, "")
        lines.append("> " * level + line.lstrip() if level and line.strip() else line)
    return "\n".join(lines)
