"""What an attachment really is, and its text: called by parse.py, once per MIME leaf.

`extract(name, declared, data, limits)` returns the attachment and, for an archive, every
member inside it (named `outer.zip/inner.pdf`), each an `Attachment` with its real type
(python-magic, never the name or the declared type), its text page by page, its document
properties, and why it could not be read, if it could not:

  PDF        text with pypdfium2 (PDFium), page by page; structure, encryption, document
             info, XMP, filled-in form fields and annotations (sticky notes, text boxes)
             with pypdf, which is also the fallback when PDFium cannot open the file.
             Pages with images and no text are rendered by PDFium and read by Tesseract
             when it is installed (`ocr`), else listed in `no_text_pages`.
  DOCX, XLSX, PPTX, ODT, ODS, ODP   the XML inside the zip, under the archive limits (a
             slide's speaker notes read with the slide, a cell's comment with its row)
  text, CSV, HTML, RTF, JSON, XML   decoded (HTML reduced to its visible text); CSV/TSV,
             HTML tables, vCards and calendar events also as tables (tables.py)
  zip, tar, gzip, bzip2, xz         opened, members screened, nested up to
                                    `archive_max_depth`, with limits on total size, file
                                    count and compression ratio checked before inflating
  .doc .xls  Word and Excel 97-2003 text and cells (legacy.py, olefile); VBA macros in any
             Office file (active.py, oletools); script, redirects and forms in HTML and SVG
  embedded   files in PDFs (/EmbeddedFiles, portfolios, file annotations), mail saved as
             .eml, Outlook .msg, TNEF winmail.dat: their text, and the files inside screened
             as archive members (embedded.py); EPUB books: chapters and OPF metadata
  images     text by Tesseract OCR, QR codes (OpenCV) and the text of EXIF, IPTC, XMP and
             PNG text fields (images.py, in an isolated child, within the message's
             `Reading`); EXIF, IPTC and XMP rights fields (copyright holder, credit, stock
             agency, usage terms)

Each PDF is read in a forked child of the scan process with a wall-clock limit
(`pdf_seconds`): PDFium is C++ and can abort the process or loop on a hostile file, and
a child that dies or runs over loses only that one attachment, never the message. A
PDFium crash is retried once with pypdf alone. The scan process around all this is the
sandbox (gateway/relay/sandbox.py) with its memory cap and time budget per message.

Nothing here raises on bad input: what could not be read is in the Attachment's `error`,
`encrypted`, `over_limit` or `no_text_pages`, and the attachment scanner holds on those.
"""
from __future__ import annotations

import bz2
import dataclasses
import gzip
import hashlib
import logging
import lzma

import magic

from gateway.content import active, embedded
from gateway.content.archives import _check_listing, _stream_member, _tar_members, _zip_members
from gateway.content.html import html_to_text
from gateway.content.images import image_content
from gateway.content.legacy import legacy_content
from gateway.content.limits import Limits
from gateway.content.metadata import image_metadata
from gateway.content.office import ODF_PREFIX, OOXML, office_content, office_kind
from gateway.content.pdf import pdf_content
from gateway.content import tables
from gateway.content.result import Budget, Content, Reading
from scanners.base import Attachment

logging.getLogger("pypdf").setLevel(logging.CRITICAL + 1)
logging.getLogger("PIL").setLevel(logging.CRITICAL + 1)

PDF = "application/pdf"
ZIP_TYPES = {"application/zip", "application/x-zip-compressed", "application/x-zip"}
TAR_TYPES = {"application/x-tar", "application/x-gtar", "application/x-ustar"}
STREAM_TYPES = {"application/gzip": gzip.decompress, "application/x-gzip": gzip.decompress,
                "application/x-bzip2": bz2.decompress, "application/x-xz": lzma.decompress}
# Archives and documents that carry text we cannot read: held as unreadable.
UNSUPPORTED = {
    "application/x-rar": "RAR archive", "application/vnd.rar": "RAR archive",
    "application/x-7z-compressed": "7-Zip archive", "application/vnd.ms-cab-compressed": "CAB archive",
    "application/x-iso9660-image": "disk image", "application/x-apple-diskimage": "disk image",
    "application/octet-stream": "content of unknown type",
}
OUTLOOK_TYPES = {"application/vnd.ms-outlook"}
# OLE2 compound files: Word, Excel and PowerPoint 97-2003, password-protected OOXML, .msg
OLE_TYPES = {"application/msword", "application/vnd.ms-excel", "application/vnd.ms-powerpoint",
             "application/x-ole-storage", "application/CDFV2", "application/vnd.ms-office"}
TNEF_TYPES = {"application/vnd.ms-tnef", "application/ms-tnef"}
EPUB = "application/epub+zip"
ENCRYPTED_TYPES = {"application/encrypted", "application/x-encrypted"}  # e.g. CDFV2 Encrypted
TEXT_TYPES = {"application/json", "application/xml", "application/csv", "application/rtf",
              "application/x-subrip", "application/javascript"}
NO_TEXT_PREFIXES = ("image/", "audio/", "video/", "font/")


def extract(name: str, declared: str, data: bytes, limits: Limits,
            reading: Reading | None = None) -> list[Attachment]:
    """The attachment, then every archive member inside it, depth first. `reading` is what
    the message may still spend on image OCR (parse.py keeps one per message)."""
    out: list[Attachment] = []
    budget = Budget(limits.archive_max_size, limits.archive_max_files)
    if reading is None:
        reading = Reading(limits.ocr_max_images, limits.ocr_seconds)
    _one(name, declared, data, limits, 0, "", budget, out, reading)
    if budget.stopped and not out[0].over_limit:  # said on the attachment itself too
        out[0] = dataclasses.replace(out[0], over_limit=budget.stopped)
    return out


def real_type(data: bytes) -> str:
    if not data:
        return "application/x-empty"
    try:
        return magic.from_buffer(data[: 1 << 20], mime=True)
    except Exception:  # libmagic refuses some inputs; the scanner treats this as unknown
        return "application/octet-stream"


def looks_like_pdf(data: bytes) -> bool:
    """PDF readers accept junk before the header; libmagic does not (see the corpus notes)."""
    return b"%PDF-" in data[:1024]


def _is_container(real: str) -> bool:
    """A zip (or office file) or tar may hold a PDF near its start: it is still an archive."""
    return real in ZIP_TYPES or real in OOXML or real.startswith(ODF_PREFIX) or \
        real in TAR_TYPES or real in STREAM_TYPES or real == EPUB


def _one(name, declared, data, limits, depth, container, budget, out, reading) -> None:
    real = real_type(data)
    content = Content()
    members: list[tuple[str, bytes]] = []
    try:
        if real == PDF or looks_like_pdf(data) and not _is_container(real):
            content = pdf_content(data, limits)
            _pictures(content, limits, reading)
            if real.startswith("text/") and not content.encrypted and not content.pages \
                    and declared != PDF and not name.lower().endswith(".pdf"):
                # text that merely quotes "%PDF-" (and does not claim to be a PDF)
                content = Content(pages=[decode_text(data, real)])
        elif real in OOXML or real.startswith(ODF_PREFIX) or real in ZIP_TYPES:
            office = office_kind(data) if real in ZIP_TYPES else real
            if office:
                content = office_content(data, office, limits, budget)
                _pictures(content, limits, reading)
            else:
                members, content.over_limit, content.error = _zip_members(data, limits, budget)
                content.encrypted = content.error == "encrypted"
                content.error = "" if content.encrypted else content.error
        elif real in TAR_TYPES:
            members, content.over_limit, content.error = _tar_members(data, limits, budget)
        elif real in STREAM_TYPES:
            members, content.over_limit, content.error = _stream_member(
                name, data, STREAM_TYPES[real], limits, budget)
        elif real == "message/rfc822":  # a mail saved as a file (.eml)
            content = embedded.message_content(data, limits)
        elif real in OUTLOOK_TYPES:
            content = embedded.outlook_content(data, limits)
        elif real in OLE_TYPES:
            content = legacy_content(data, limits)
        elif real in TNEF_TYPES:
            content = embedded.tnef_content(data, limits)
        elif real == EPUB:
            content = embedded.epub_content(data, limits, budget)
        elif real in ENCRYPTED_TYPES:
            content.encrypted = True
        elif real.startswith("text/") or real in TEXT_TYPES:
            content.pages = [decode_text(data, real)]
            _text_tables(name, declared, real, data, content)
        elif real == "image/svg+xml":  # XML: its text is what it shows
            svg = decode_text(data, "text/plain")
            content.pages = [html_to_text(svg)]
            content.active = active.html_facts(svg)
        elif real.startswith("image/"):
            content = image_content(data, limits, reading)
            content.metadata = image_metadata(data)
        elif real in UNSUPPORTED:
            content.error = f"{UNSUPPORTED[real]}: its text cannot be read"
        if real == "application/x-empty" and (declared == PDF or name.lower().endswith(".pdf")):
            content.error = "an empty file named as a PDF"
    except MemoryError:
        content = Content(error="out of memory while reading")
    except RecursionError:
        content = Content(error="structure too deeply nested")
    except Exception as e:  # a reader bug on hostile input is an unreadable attachment
        content = Content(error=f"could not be read: {type(e).__name__}")
    if content.members and not members:  # files embedded in a PDF, attached to a message
        over = _check_listing([(n, len(d), len(d)) for n, d in content.members], limits, budget)
        if over:
            content.over_limit = content.over_limit or over
        else:
            members = content.members
            budget.size -= sum(len(d) for _, d in members)
    if members and depth + 1 > limits.archive_max_depth:
        content.over_limit = content.over_limit or (
            f"archives nested deeper than {limits.archive_max_depth}")
        members = []
    if content.over_limit and depth > 0 and not budget.stopped:
        budget.stopped = f"{name.rsplit('/', 1)[-1]}: {content.over_limit}"
    if budget.stopped:
        members = []  # a bomb is reported once, not once per copy
    out.append(Attachment(
        name=name, declared_type=declared, real_type=real, size=len(data),
        sha256=hashlib.sha256(data).hexdigest(), data=data, pages=tuple(content.pages),
        encrypted=content.encrypted, error=content.error, metadata=tuple(content.metadata),
        container=container, over_limit=content.over_limit, page_count=content.page_count,
        no_text_pages=tuple(content.no_text_pages), ocr_pages=tuple(content.ocr_pages),
        images=tuple(content.images), texts=tuple(content.texts), unread=content.unread,
        tables=tuple(content.tables), active=tuple(content.active)))
    for member_name, member_data in members:
        if budget.stopped:
            break
        _one(f"{name}/{member_name}", "", member_data, limits, depth + 1, name, budget, out,
             reading)


MAX_PICTURES_READ = 5  # pictures of one document read by OCR (within the message's cap)


def _pictures(content: Content, limits, reading: Reading) -> None:
    """Pictures placed in a PDF that has text pages or in an Office document (a leaflet
    with a stock photo, a flyer or slide whose price is in a picture) are read like image
    attachments. A scanned PDF's pages were read whole by OCR already, so its pictures are
    not read twice."""
    if content.ocr_pages or content.no_text_pages or content.encrypted or content.error:
        return
    for k, picture in enumerate(content.images[:MAX_PICTURES_READ]):
        # a picture's own credit and rights fields (a stock photo placed in a leaflet) are
        # properties of the document too: ("picture=1 credit", "Getty Images")
        content.metadata += [(f"picture={k + 1} {key}", value)
                             for key, value in image_metadata(picture)]
    for k, picture in enumerate(content.images[:MAX_PICTURES_READ]):
        if reading.images <= 0:
            break
        seen = image_content(picture, limits, reading)
        for kind, text in seen.texts:
            if kind in ("image", "qr"):
                content.texts.append((f"{kind}={k + 1}", text))


_CALENDAR_TYPES = {"text/calendar", "text/x-vcalendar", "application/ics"}
_VCARD_TYPES = {"text/vcard", "text/x-vcard", "text/directory"}
_TABLE_SUFFIXES = (".csv", ".tsv", ".tab")
_TABLE_TYPES = {"text/csv", "application/csv", "text/tab-separated-values"}


def _text_tables(name: str, declared: str, real: str, data: bytes, content: Content) -> None:
    """Text that is a table, a calendar or vCards: its rows (and for calendars and vCards,
    readable text in place of the raw lines)."""
    raw = decode_text(data, "text/plain")
    lowered = name.lower()
    if real in _CALENDAR_TYPES or declared in _CALENDAR_TYPES or tables.looks_like_calendar(raw):
        text, rows = tables.calendar(raw)
        content.pages = [text or content.pages[0]]
        if rows:
            content.tables.append(("", rows))
    elif real in _VCARD_TYPES or declared in _VCARD_TYPES or tables.looks_like_vcard(raw):
        text, rows = tables.vcards(raw)
        content.pages = [text or content.pages[0]]
        if rows:
            content.tables.append(("", rows))
    elif real == "text/html" or (real == "text/xml" and "<html" in raw[:2000].lower()):
        for i, rows in enumerate(tables.html_tables(raw)):
            content.tables.append((f"table={i + 1}", rows))
        content.active = active.html_facts(raw)
    else:
        named = lowered.endswith(_TABLE_SUFFIXES) or real in _TABLE_TYPES or \
            declared in _TABLE_TYPES
        rows = tables.delimited(content.pages[0], named)
        if rows:
            content.tables.append(("", rows))


def decode_text(data: bytes, real: str) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = data.decode("utf-16", errors="replace")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("cp1252", errors="replace")
    if real == "text/html" or (real == "text/xml" and "<html" in text[:2000].lower()):
        return html_to_text(text)
    if real in ("text/rtf", "application/rtf") or text.startswith("{\\rtf"):
        from striprtf.striprtf import rtf_to_text
        return rtf_to_text(text, errors="ignore")
    return text
