"""parse(raw) -> ParsedMessage: the one place the message, its parts and its PDFs are read.
(Attachment content, PDFs and archives included, is read by gateway/content/, called here.)

The MIME tree is walked with the stdlib parser in compat32 mode (linear on long headers,
unlike policy.default; see the corpus notes) and headers are decoded with mail-parser.
Scanners only ever see the ParsedMessage built here.
"""
from __future__ import annotations

import base64
import binascii
import email
import email.message
import email.utils
import re

from gateway.content.extract import extract
from gateway.content.headers import CONTROL, header_text
from gateway.content.html import html_to_text
from gateway.content.limits import Limits
from gateway.content.result import Reading
from gateway.content.tables import html_tables
from scanners import redact
from scanners.base import Attachment, ParsedMessage, Table, TextPart

_CONTROL_BUT_LINES = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]+")
_MIME_NOTICE = re.compile(r"(?i)this is a multi-?part message in mime format\.?")
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
    reading = Reading(limits.ocr_max_images, limits.ocr_seconds)
    body_tables: list = []
    for part, depth, index, shown, forwarded in _leaves(msg, limits):
        defects.extend(type(d).__name__ for d in part.defects)
        name = _filename(part)
        ctype = part.get_content_type()
        if _is_body_text(part, name):
            if not shown:  # of a multipart/alternative, only the alternative a reader sees
                continue
            text = _decode_text(_payload(part), part)
            if ctype == "text/html":
                body_tables += html_tables(text)
                for data_name, data_type, data in _data_images(text, len(attachments)):
                    attachments.extend(extract(data_name, data_type, data, limits, reading))
                text = html_to_text(text)
            body_parts.append(TextPart("body#forwarded" if forwarded else "body", text, ctype))
        else:
            attachments.extend(extract(name or f"part-{index}", ctype, _payload(part), limits,
                                       reading))
    defects.extend(type(d).__name__ for d in msg.defects)
    body_parts += _between_parts(msg)
    # what attachments show besides their pages (image text, metadata) reaches every
    # scanner as a text part of its own: "attachment:NAME#image", "attachment:NAME#metadata"
    body_parts += [TextPart(f"{att.where}#{kind}", text) for att in attachments
                   for kind, text in att.texts if text.strip()]
    tables = [Table(f"body#table={i + 1}", rows) for i, rows in enumerate(body_tables)]
    tables += [Table(f"{att.where}#{label}" if label else att.where, rows)
               for att in attachments for label, rows in att.tables]
    return ParsedMessage(
        headers=headers,
        subject=_one_line(dict((k.lower(), v) for k, v in reversed(headers)).get("subject", "")),
        sender=next(iter(_addresses(msg.get_all("From", []))), ""),
        recipients=tuple(_addresses(msg.get_all("To", []) + msg.get_all("Cc", []))),
        body_parts=tuple(body_parts),
        attachments=tuple(attachments),
        defects=tuple(dict.fromkeys(defects)),
        tables=tuple(tables),
        blind_recipients=tuple(_addresses(msg.get_all("Bcc", []))),
    )


def _one_line(text: str) -> str:
    return _BLANKS.sub(" ", CONTROL.sub(" ", text)).strip()


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


_DATA_IMAGE = re.compile(r"""src\s*=\s*["']?data:(image/[a-z0-9.+-]+);base64,([A-Za-z0-9+/=\s]+)""",
                         re.IGNORECASE)
MAX_DATA_IMAGES = 20
MAX_DATA_IMAGE_CHARS = 14_000_000  # base64 of about 10 MB


def _data_images(html: str, start: int):
    """Pictures written into an HTML body as data: URIs (<img src="data:image/png;base64,...">):
    a reader sees them like attached ones. Named inline-image-N."""
    for n, m in enumerate(_DATA_IMAGE.finditer(html)):
        if n >= MAX_DATA_IMAGES:
            break
        if len(m.group(2)) > MAX_DATA_IMAGE_CHARS:
            continue
        try:
            data = base64.b64decode(re.sub(r"\s+", "", m.group(2)), validate=False)
        except (ValueError, binascii.Error):
            continue
        yield f"inline-image-{start + n + 1}", m.group(1).lower(), data


def _between_parts(msg: email.message.Message) -> list[TextPart]:
    """Text a mail client may show that is in no part: the preamble before a multipart's
    first boundary and the epilogue after its last ("body#preamble", "body#epilogue"), and
    the subject of attached messages ("body#forwarded"). The tree
    was checked against the limits by _leaves."""
    out: list[TextPart] = []
    stack = [msg]
    while stack:
        part = stack.pop()
        if part.get_content_type() == "message/rfc822" and part is not msg:
            inner = part.get_payload()
            inner = inner[0] if isinstance(inner, list) and inner else None
            if isinstance(inner, email.message.Message):
                # the subject only: names in From/To next to it read as jigsaw
                # identification of whoever sent or got the forwarded mail
                head = "\n".join(f"Subject: {header_text(v)}"
                                 for v in inner.get_all("Subject") or [])
                if head:
                    out.append(TextPart("body#forwarded", head))
        if part.is_multipart() and isinstance(part.get_payload(), list):
            for kind in ("preamble", "epilogue"):
                text = getattr(part, kind) or ""
                if text.strip() and not _MIME_NOTICE.fullmatch(text.strip()):
                    out.append(TextPart(f"body#{kind}", _CONTROL_BUT_LINES.sub(" ", text).strip()))
            stack.extend(p for p in reversed(part.get_payload())
                         if isinstance(p, email.message.Message))
    return out


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
