"""Files inside files: attachments embedded in PDFs (/EmbeddedFiles, portfolios, file
attachment annotations), mail attached as a file (.eml whose type was not message/rfc822),
Outlook .msg, TNEF winmail.dat, and EPUB books. Each reader returns the text a recipient
reads and the files inside, which extract.py screens like archive members: within the
attachment's Budget and `archive_max_depth`. Outlook, TNEF and mail readers run in an
isolated child (isolate.py) with a deadline, as PDFs do; EPUB is a zip read under the
archive limits."""
from __future__ import annotations

import email
import email.message
import re

from gateway.content.archives import _safe_member_name, open_listed, read_member
from gateway.content.headers import header_text
from gateway.content.html import html_to_text
from gateway.content.isolate import run_isolated
from gateway.content.metadata import labelled, xmp_fields
from gateway.content.result import Budget, Content

MAX_EMBEDDED = 100  # files taken out of one PDF, message or book
_HEADER_NAMES = ("Subject", "From", "To", "Cc", "Date")


# -- PDF ------------------------------------------------------------------------------------------

def pdf_embedded(reader, max_bytes: int) -> list[tuple[str, bytes]]:
    """Files embedded in a PDF: the /EmbeddedFiles name tree (portfolios use it too) and
    /FileAttachment annotations on pages, at most MAX_EMBEDDED and max_bytes in all."""
    out: list[tuple[str, bytes]] = []
    total = 0

    def add(name: str, data: bytes) -> bool:
        nonlocal total
        total += len(data)
        if total > max_bytes or len(out) >= MAX_EMBEDDED:
            raise _TooMuch(f"embedded files over {max_bytes:,} bytes or {MAX_EMBEDDED} files")
        out.append((_safe_member_name(name or "embedded"), data))
        return True

    try:
        for name, datas in (reader.attachments or {}).items():
            for data in datas:
                add(str(name), bytes(data))
    except _TooMuch:
        raise
    except Exception:  # a broken name tree: the annotations may still hold files
        pass
    try:
        for page in reader.pages[:200]:
            for annot in page.get("/Annots") or []:
                annot = annot.get_object()
                if annot.get("/Subtype") != "/FileAttachment":
                    continue
                spec = annot["/FS"].get_object()
                stream = spec["/EF"].get_object().get("/F") or spec["/EF"].get_object().get("/UF")
                name = spec.get("/UF") or spec.get("/F") or "attachment"
                add(str(name), stream.get_object().get_data())
    except _TooMuch:
        raise
    except Exception:
        pass
    return out


class _TooMuch(Exception):
    pass


# -- mail -----------------------------------------------------------------------------------------

def _headers_text(msg: email.message.Message) -> str:
    return "\n".join(f"{h}: {header_text(v)}" for h in _HEADER_NAMES
                     for v in (msg.get_all(h) or []))


def read_message(data: bytes, max_parts: int) -> Content:
    """A mail message given as a file: its headers and text bodies as pages, every other
    part (attachments, pictures, nested messages) as a member."""
    msg = email.message_from_bytes(data)
    content = Content()
    head = _headers_text(msg)
    pages = [head] if head else []
    stack, count = [(msg, 0)], 0
    while stack:
        part, depth = stack.pop()
        count += 1
        if count > max_parts or depth > 20:
            content.over_limit = f"attached message has more than {max_parts} parts or " \
                                 "is nested too deep"
            break
        payload = part.get_payload()
        if part.is_multipart() and isinstance(payload, list):
            for text in (part.preamble, part.epilogue):
                if text and text.strip():
                    pages.append(text.strip())
            stack.extend((p, depth + 1) for p in reversed(payload)
                         if isinstance(p, email.message.Message))
            continue
        ctype = part.get_content_type()
        raw = part.get_payload(decode=True)
        raw = raw if isinstance(raw, bytes) else b""
        try:
            name = part.get_filename() or ""
        except Exception:
            name = ""
        if not name and ctype in ("text/plain", "text/html") and \
                part.get_content_disposition() != "attachment":
            text = raw.decode(part.get_content_charset() or "utf-8", "replace") \
                if _known_charset(part.get_content_charset()) else raw.decode("utf-8", "replace")
            pages.append(html_to_text(text) if ctype == "text/html" else text)
        elif len(content.members) < MAX_EMBEDDED:
            content.members.append((_safe_member_name(name or f"part-{count}"), raw))
    content.pages = ["\n\n".join(p for p in pages if p.strip())]
    return content


def _known_charset(charset: str | None) -> bool:
    import codecs
    try:
        codecs.lookup(charset or "utf-8")
        return True
    except LookupError:
        return False


def message_content(data: bytes, limits) -> Content:
    return _isolated(read_message, limits, "attached message", data, limits.max_parts)


# -- Outlook .msg --------------------------------------------------------------------------------

def read_outlook(data: bytes) -> Content:
    """An Outlook .msg (extract-msg): subject, sender, recipients and body as text; its
    attachments (embedded messages too) as members."""
    import logging

    import extract_msg

    logging.getLogger("extract_msg").setLevel(logging.CRITICAL + 1)
    content = Content()
    msg = extract_msg.openMsg(data, delayAttachments=False, errorBehavior=0)
    try:
        fields = [("Subject", msg.subject), ("From", msg.sender), ("To", msg.to),
                  ("Cc", msg.cc), ("Date", msg.date)]
        head = "\n".join(f"{k}: {v}" for k, v in fields if v)
        body = msg.body or ""
        if not body.strip() and getattr(msg, "htmlBody", None):
            body = html_to_text(msg.htmlBody.decode("utf-8", "replace"))
        content.pages = ["\n\n".join(t for t in (head, body) if t and t.strip())]
        for i, att in enumerate(msg.attachments[:MAX_EMBEDDED]):
            name = getattr(att, "longFilename", None) or getattr(att, "shortFilename", None) \
                or f"attachment-{i + 1}"
            payload = att.data
            if not isinstance(payload, (bytes, bytearray)):  # an embedded message
                payload = payload.exportBytes() if hasattr(payload, "exportBytes") else b""
                name = name if name.lower().endswith(".msg") else f"{name}.msg"
            content.members.append((_safe_member_name(str(name)), bytes(payload)))
    finally:
        msg.close()
    return content


def outlook_content(data: bytes, limits) -> Content:
    import extract_msg  # noqa: F401 - imported once in the scan process, not in every child
    return _isolated(read_outlook, limits, "Outlook message", data)


# -- TNEF (winmail.dat) ---------------------------------------------------------------------------

def read_tnef(data: bytes) -> Content:
    import logging

    import tnefparse

    logging.getLogger("tnefparse").setLevel(logging.CRITICAL + 1)
    tnef = tnefparse.TNEF(data)
    content = Content()
    texts = []
    for prop in tnef.msgprops:
        if prop.name == tnefparse.TNEF.ATTSUBJECT and prop.data:
            value = prop.data.decode("cp1252", "replace") if isinstance(prop.data, bytes) \
                else str(prop.data)
            texts.append("Subject: " + value.strip("\x00"))
    for body in (getattr(tnef, "body", None), getattr(tnef, "htmlbody", None)):
        if body:
            text = body.decode("cp1252", "replace") if isinstance(body, bytes) else str(body)
            texts.append(html_to_text(text) if "<html" in text[:2000].lower() else text)
            break
    else:
        rtf = getattr(tnef, "rtfbody", None)
        if rtf:
            from striprtf.striprtf import rtf_to_text
            texts.append(rtf_to_text(rtf.decode("cp1252", "replace"), errors="ignore"))
    content.pages = ["\n\n".join(t for t in texts if t.strip())] if texts else []
    for i, att in enumerate(tnef.attachments[:MAX_EMBEDDED]):
        name = att.long_filename() if hasattr(att, "long_filename") else ""
        name = name or getattr(att, "name", b"") or f"attachment-{i + 1}"
        if isinstance(name, bytes):
            name = name.decode("cp1252", "replace")
        content.members.append((_safe_member_name(str(name).strip("\x00")), bytes(att.data)))
    if not content.pages and not content.members:  # truncated or not TNEF: never a silent pass
        content.error = "TNEF holds no readable message or attachment"
    return content


def tnef_content(data: bytes, limits) -> Content:
    import tnefparse  # noqa: F401 - imported once in the scan process, not in every child
    return _isolated(read_tnef, limits, "TNEF (winmail.dat)", data)


def _isolated(reader, limits, what: str, *args) -> Content:
    outcome, value = run_isolated(reader, limits.pdf_seconds + 1.0, *args)
    if outcome == "ok":
        return value
    if outcome == "timeout":
        return Content(over_limit=f"{what} reading killed after {limits.pdf_seconds + 1:g} s")
    return Content(error=f"{what} could not be read ({value})")


# -- EPUB -----------------------------------------------------------------------------------------

_OPF_FIELDS = {"title": "Title", "creator": "Author", "publisher": "Publisher",
               "rights": "Rights", "description": "Description", "identifier": "Identifier",
               "subject": "Subject"}


def epub_content(data: bytes, limits, budget: Budget) -> Content:
    """An EPUB book: the text of its XHTML chapters, in the order of their names, and its
    OPF metadata (title, author, publisher, rights, identifier)."""
    content = Content()
    zf, infos, over = open_listed(data, limits, budget)
    if over:
        content.over_limit = over
        return content
    described: list[tuple[str, str]] = []
    for info in sorted(infos, key=lambda i: [int(t) if t.isdigit() else t
                                            for t in re.split(r"(\d+)", i.filename)]):
        lower = info.filename.lower()
        if not lower.endswith((".xhtml", ".html", ".htm", ".opf")):
            continue
        body = read_member(zf, info, budget.size)
        budget.size -= len(body)
        text = body.decode("utf-8", "replace")
        if lower.endswith(".opf"):
            for m in re.finditer(r"<dc:(\w+)\b[^>]*>(.*?)</dc:\1>", text, re.DOTALL):
                label = _OPF_FIELDS.get(m.group(1))
                value = " ".join(re.sub(r"<[^>]*>", " ", m.group(2)).split())
                if label and value:
                    described.append((label, value[:2000]))
                    key = {"Rights": "rights", "Publisher": "publisher", "Author": "author",
                           "Identifier": "identifier"}.get(label)
                    if key:
                        content.metadata.append((key, value[:300]))
            content.metadata += xmp_fields(text)
        else:
            page = html_to_text(text)
            if page.strip():
                content.pages.append(page)
    if described:
        content.texts.append(("metadata", labelled(described)))
    return content
