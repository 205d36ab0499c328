"""parse(raw) -> ParsedMessage: the one place the message, its parts and its PDFs are read.
(Attachment content, PDFs and archives included, is read by gateway/content/, called here.)

The MIME tree is walked with the stdlib parser in compat32 mode (linear on long headers,
unlike policy.default; see the corpus notes) and headers are decoded with mail-parser.
Scanners only ever see the ParsedMessage built here.
"""
from __future__ import annotations

import email
import email.message
import email.utils
import logging
import re

from mailparser.utils import decode_header_part

from gateway.content.extract import extract
from gateway.content.html import html_to_text
from gateway.content.limits import Limits
from scanners import redact
from scanners.base import Attachment, ParsedMessage, TextPart

# mail-parser logs undecodable headers verbatim; headers can carry patient data.
logging.getLogger("mailparser").setLevel(logging.CRITICAL + 1)

_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
_BLANKS = re.compile(r"[ \t\r\f\v]+")
_NEWLINES = re.compile(r"\n\s*\n+")


class ParseLimitError(Exception):
    """The message is over a structural limit (parts, nesting); it cannot be screened fully."""


def parse(raw: bytes, limits: Limits = Limits()) -> ParsedMessage:
    msg = email.message_from_bytes(raw)
    headers = tuple((k, header_text(v)) for k, v in msg.items())
    body_parts: list[TextPart] = []
    attachments: list[Attachment] = []
    defects: list[str] = []
    for part, depth, index, shown, forwarded in _leaves(msg, limits):
        defects.extend(type(d).__name__ for d in part.defects)
        name = _filename(part)
        ctype = part.get_content_type()
        if _is_body_text(part, name):
            if shown:  # of a multipart/alternative, only the alternative a reader sees
                body_parts.append(TextPart("body#forwarded" if forwarded else "body",
                                           _body_text(part), ctype))
        else:
            attachments.extend(extract(name or f"part-{index}", ctype, _payload(part), limits))
    defects.extend(type(d).__name__ for d in msg.defects)
    return ParsedMessage(
        headers=headers,
        subject=_one_line(dict((k.lower(), v) for k, v in reversed(headers)).get("subject", "")),
        sender=next(iter(_addresses(msg.get_all("From", []))), ""),
        recipients=tuple(_addresses(msg.get_all("To", []) + msg.get_all("Cc", []))),
        body_parts=tuple(body_parts),
        attachments=tuple(attachments),
        defects=tuple(dict.fromkeys(defects)),
    )


def header_text(value) -> str:
    return _CONTROL.sub(" ", decode_header_part(str(value) if value is not None else ""))


def _one_line(text: str) -> str:
    return _BLANKS.sub(" ", _CONTROL.sub(" ", text)).strip()


def _addresses(values) -> list[str]:
    pairs = email.utils.getaddresses([header_text(v) for v in values])
    return [addr.lower() for _, addr in pairs if "@" in addr]


def _leaves(msg: email.message.Message, limits: Limits):
    """Yield (leaf part, depth, index, shown, forwarded) without recursion, refusing over-deep or huge
    trees. `shown` is False for the body text of the alternatives of a multipart/alternative
    that a reader does not see: the one with the most visible text is screened, the others
    would only repeat it (one claim, one finding). `forwarded`: inside a message/rfc822 part
    (a message attached to this one), whose text is quoted, not the sender's own."""
    stack = [(msg, 0, True, False)]
    count = 0
    while stack:
        part, depth, shown, forwarded = stack.pop()
        count += 1
        if count > limits.max_parts:
            raise ParseLimitError(f"more than {limits.max_parts} MIME parts")
        if depth > limits.max_depth:
            raise ParseLimitError(f"MIME nesting deeper than {limits.max_depth}")
        payload = part.get_payload()
        if part.is_multipart() and isinstance(payload, list):
            children = [p for p in payload if isinstance(p, email.message.Message)]
            chosen = _richest(children) if part.get_content_subtype() == "alternative" else None
            inner = forwarded or part.get_content_type() == "message/rfc822"
            stack.extend((p, depth + 1, shown and (chosen is None or p is chosen), inner)
                         for p in reversed(children))
        else:
            yield part, depth, count, shown, forwarded


def _is_body_text(part: email.message.Message, name: str) -> bool:
    return not name and part.get_content_type() in ("text/plain", "text/html") and \
        part.get_content_disposition() != "attachment"


def _body_text(part: email.message.Message) -> str:
    text = _decode_text(_payload(part), part)
    return html_to_text(text) if part.get_content_type() == "text/html" else text


def _richest(alternatives: list[email.message.Message]) -> email.message.Message | None:
    """The alternative with the most visible body text (the later one on a tie, as RFC 2046
    orders them plainest first); None when none carries body text. Bounded: only the
    alternatives' own leaves are looked at, not deeper than a few levels."""
    best, best_size = None, -1
    for alternative in alternatives:
        size, stack = 0, [(alternative, 0)]
        while stack:
            node, level = stack.pop()
            payload = node.get_payload()
            if node.is_multipart() and isinstance(payload, list):
                if level < 4:
                    stack.extend((p, level + 1) for p in payload[:50]
                                 if isinstance(p, email.message.Message))
            elif _is_body_text(node, _filename(node)):
                size += len("".join(_body_text(node).split()))
        if size and size >= best_size:
            best, best_size = alternative, size
    return best


def _filename(part: email.message.Message) -> str:
    try:
        name = part.get_filename() or ""
    except Exception:  # a broken RFC 2231 parameter: keep going without a name
        name = ""
    name = header_text(name)
    name = re.split(r"[/\\]", name)[-1]  # display name only: never a path
    return redact.free_text(_one_line(name))[:120]


def _payload(part: email.message.Message) -> bytes:
    data = part.get_payload(decode=True)
    return data if isinstance(data, bytes) else b""


def _decode_text(data: bytes, part: email.message.Message) -> str:
    charset = part.get_content_charset() or "utf-8"
    try:
        return data.decode(charset, errors="replace")
    except (LookupError, ValueError):
        return data.decode("utf-8", errors="replace")
