"""What an attachment really is, and its text: called by parse.py, once per MIME leaf.

`extract(name, declared, data, limits)` returns the attachment and, for an archive, every
member inside it (named `outer.zip/inner.pdf`), each an `Attachment` with its real type
(python-magic, never the name or the declared type), its text page by page, its document
properties, and why it could not be read, if it could not:

  PDF        text with pypdfium2 (PDFium), page by page; structure, encryption, document
             info and XMP with pypdf, which is also the fallback when PDFium cannot open
             the file. Pages with images and no text are rendered by PDFium and read by
             Tesseract when it is installed (`ocr`), else listed in `no_text_pages`.
  DOCX, XLSX, PPTX, ODT, ODS, ODP   the XML inside the zip, under the archive limits
  text, CSV, HTML, RTF, JSON, XML   decoded (HTML reduced to its visible text)
  zip, tar, gzip, bzip2, xz         opened, members screened, nested up to
                                    `archive_max_depth`, with limits on total size, file
                                    count and compression ratio checked before inflating
  images     EXIF, IPTC and XMP rights fields (copyright holder, credit, stock agency)

Each PDF is read in a forked child of the scan process with a wall-clock limit
(`pdf_seconds`): PDFium is C++ and can abort the process or loop on a hostile file, and
a child that dies or runs over loses only that one attachment, never the message. A
PDFium crash is retried once with pypdf alone. The scan process around all this is the
sandbox (gateway/sandbox.py) with its memory cap and time budget per message.

Nothing here raises on bad input: what could not be read is in the Attachment's `error`,
`encrypted`, `over_limit` or `no_text_pages`, and the attachment scanner holds on those.
"""
from __future__ import annotations

import bz2
import ctypes
import dataclasses
import faulthandler
import gzip
import hashlib
import io
import logging
import lzma
import os
import pickle
import re
import resource
import select
import shutil
import signal
import subprocess
import tarfile
import time
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import TYPE_CHECKING
from xml.etree import ElementTree

import magic
import pypdf
import pypdfium2 as pdfium  # imported here, in the scan process, not in every PDF's child
import pypdfium2.raw as pdfium_c

from scanners.base import Attachment

if TYPE_CHECKING:
    from gateway.parse import Limits

logging.getLogger("pypdf").setLevel(logging.CRITICAL + 1)
logging.getLogger("PIL").setLevel(logging.CRITICAL + 1)

PDF = "application/pdf"
ZIP_TYPES = {"application/zip", "application/x-zip-compressed", "application/x-zip"}
TAR_TYPES = {"application/x-tar", "application/x-gtar", "application/x-ustar"}
STREAM_TYPES = {"application/gzip": gzip.decompress, "application/x-gzip": gzip.decompress,
                "application/x-bzip2": bz2.decompress, "application/x-xz": lzma.decompress}
OOXML = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "word/",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xl/",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "ppt/",
}
ODF_PREFIX = "application/vnd.oasis.opendocument."
# Archives and documents that carry text we cannot read: held as unreadable.
UNSUPPORTED = {
    "application/x-rar": "RAR archive", "application/vnd.rar": "RAR archive",
    "application/x-7z-compressed": "7-Zip archive", "application/vnd.ms-cab-compressed": "CAB archive",
    "application/x-iso9660-image": "disk image", "application/x-apple-diskimage": "disk image",
    "application/msword": "legacy Word document (.doc)",
    "application/vnd.ms-excel": "legacy Excel workbook (.xls)",
    "application/vnd.ms-powerpoint": "legacy PowerPoint file (.ppt)",
    "application/x-ole-storage": "legacy Office file", "application/CDFV2": "legacy Office file",
    "application/vnd.ms-outlook": "Outlook message (.msg)",
    "application/octet-stream": "content of unknown type",
}
ENCRYPTED_TYPES = {"application/encrypted", "application/x-encrypted"}  # e.g. CDFV2 Encrypted
TEXT_TYPES = {"application/json", "application/xml", "application/csv", "application/rtf",
              "application/x-subrip", "application/javascript"}
NO_TEXT_PREFIXES = ("image/", "audio/", "video/", "font/")
MIN_PAGE_CHARS = 3  # a page with fewer visible characters than this has "no text"
OCR_DPI = 200
OCR_MAX_PIXELS = 12_000_000
XML_MAX = 32 * 1024 * 1024  # largest XML member of an office document we parse
SIGNAL_NAMES = {signal.SIGABRT: "SIGABRT", signal.SIGSEGV: "SIGSEGV", signal.SIGKILL: "SIGKILL",
                signal.SIGBUS: "SIGBUS", signal.SIGILL: "SIGILL", signal.SIGFPE: "SIGFPE"}


@dataclass
class _Budget:
    """What one top-level attachment may unpack, over all its nested archives."""
    size: int
    files: int
    stopped: str = ""  # the first limit reached: nothing more is unpacked after it


@dataclass
class _Content:
    pages: list[str] = field(default_factory=list)
    encrypted: bool = False
    error: str = ""
    over_limit: str = ""
    metadata: list[tuple[str, str]] = field(default_factory=list)
    page_count: int = 0
    no_text_pages: list[int] = field(default_factory=list)
    ocr_pages: list[int] = field(default_factory=list)
    images: list[bytes] = field(default_factory=list)  # pictures inside a PDF


def extract(name: str, declared: str, data: bytes, limits: "Limits") -> list[Attachment]:
    """The attachment, then every archive member inside it, depth first."""
    out: list[Attachment] = []
    budget = _Budget(limits.archive_max_size, limits.archive_max_files)
    _one(name, declared, data, limits, 0, "", budget, out)
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
        real in TAR_TYPES or real in STREAM_TYPES


def _one(name, declared, data, limits, depth, container, budget, out) -> None:
    real = real_type(data)
    content = _Content()
    members: list[tuple[str, bytes]] = []
    try:
        if real == PDF or looks_like_pdf(data) and not _is_container(real):
            content = pdf_content(data, limits)
            if real.startswith("text/") and not content.encrypted and not content.pages \
                    and declared != PDF and not name.lower().endswith(".pdf"):
                # text that merely quotes "%PDF-" (and does not claim to be a PDF)
                content = _Content(pages=[decode_text(data, real)])
        elif real in OOXML or real.startswith(ODF_PREFIX) or real in ZIP_TYPES:
            office = _office_kind(data) if real in ZIP_TYPES else real
            if office:
                content = _office(data, office, limits, budget)
            else:
                members, content.over_limit, content.error = _zip_members(data, limits, budget)
                content.encrypted = content.error == "encrypted"
                content.error = "" if content.encrypted else content.error
        elif real in TAR_TYPES:
            members, content.over_limit, content.error = _tar_members(data, limits, budget)
        elif real in STREAM_TYPES:
            members, content.over_limit, content.error = _stream_member(
                name, data, STREAM_TYPES[real], limits, budget)
        elif real in ENCRYPTED_TYPES:
            content.encrypted = True
        elif real.startswith("text/") or real in TEXT_TYPES:
            content.pages = [decode_text(data, real)]
        elif real.startswith("image/"):
            content.metadata = image_metadata(data)
        elif real in UNSUPPORTED:
            content.error = f"{UNSUPPORTED[real]}: its text cannot be read"
        if real == "application/x-empty" and (declared == PDF or name.lower().endswith(".pdf")):
            content.error = "an empty file named as a PDF"
    except MemoryError:
        content = _Content(error="out of memory while reading")
    except RecursionError:
        content = _Content(error="structure too deeply nested")
    except Exception as e:  # a reader bug on hostile input is an unreadable attachment
        content = _Content(error=f"could not be read: {type(e).__name__}")
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
        images=tuple(content.images)))
    for member_name, member_data in members:
        if budget.stopped:
            break
        _one(f"{name}/{member_name}", "", member_data, limits, depth + 1, name, budget, out)


# -- text ----------------------------------------------------------------------------------

def decode_text(data: bytes, real: str) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = data.decode("utf-16", errors="replace")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("cp1252", errors="replace")
    if real == "text/html" or (real == "text/xml" and "<html" in text[:2000].lower()):
        from gateway.parse import html_to_text  # parse.py imports this module
        return html_to_text(text)
    if real in ("text/rtf", "application/rtf") or text.startswith("{\\rtf"):
        from striprtf.striprtf import rtf_to_text
        return rtf_to_text(text, errors="ignore")
    return text


# -- archives ------------------------------------------------------------------------------

def _safe_member_name(name: str) -> str:
    name = re.sub(r"[\x00-\x1f\x7f]+", " ", name).strip()
    return "/".join(p for p in name.split("/") if p not in ("", ".", ".."))[:160] or "member"


def _zip_members(data: bytes, limits, budget: _Budget):
    """(members, over_limit, error). Sizes and ratios are checked from the directory before
    anything is inflated, and again while inflating (a directory may lie)."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = [i for i in zf.infolist() if not i.is_dir()]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as e:
        return [], "", f"zip archive could not be read: {type(e).__name__}"
    over = _check_listing([(i.filename, i.file_size, i.compress_size) for i in infos],
                          limits, budget)
    if over:
        return [], over, ""
    if any(i.flag_bits & 0x1 for i in infos):
        return [], "", "encrypted"
    members = []
    for info in infos:
        try:
            with zf.open(info) as f:
                body = f.read(min(info.file_size, budget.size) + 1)
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, ValueError) as e:
            return [], "", f"zip member {_safe_member_name(info.filename)} could not be read: " \
                           f"{type(e).__name__}"
        if len(body) > info.file_size or len(body) > budget.size:
            return [], "zip member larger than its directory says (a zip bomb)", ""
        budget.size -= len(body)
        members.append((_safe_member_name(info.filename), body))
    return members, "", ""


def _check_listing(entries, limits, budget: _Budget) -> str:
    """Why this archive listing is over a limit ('' if it is not); charges the budget."""
    if len(entries) > budget.files:
        return f"archive holds more than {limits.archive_max_files} files in all"
    total = sum(size for _, size, _ in entries)
    if total > budget.size:
        return f"archive unpacks to {total:,} bytes, over {limits.archive_max_size:,} in all"
    for name, size, packed in entries:
        if size > 1024 * 1024 and size / max(packed, 1) > limits.archive_max_ratio:
            return (f"{_safe_member_name(name)} compressed {size / max(packed, 1):,.0f} to 1, "
                    f"over {limits.archive_max_ratio:g} (a zip bomb)")
    budget.files -= len(entries)
    return ""


def _tar_members(data: bytes, limits, budget: _Budget):
    try:
        tf = tarfile.open(fileobj=io.BytesIO(data), mode="r:")
        infos = [m for m in tf.getmembers() if m.isfile()]
    except (tarfile.TarError, EOFError, ValueError) as e:
        return [], "", f"tar archive could not be read: {type(e).__name__}"
    over = _check_listing([(m.name, m.size, m.size) for m in infos], limits, budget)
    if over:
        return [], over, ""
    members = []
    for m in infos:
        f = tf.extractfile(m)
        body = f.read(m.size) if f else b""
        budget.size -= len(body)
        members.append((_safe_member_name(m.name), body))
    return members, "", ""


def _stream_member(name: str, data: bytes, decompress, limits, budget: _Budget):
    """A gzip/bzip2/xz file holds one stream: inflate it in bounded steps."""
    cap = budget.size
    try:
        if decompress is gzip.decompress:
            inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
            body = inflater.decompress(data, cap + 1)
        elif decompress is bz2.decompress:
            body = bz2.BZ2Decompressor().decompress(data, cap + 1)
        else:
            body = lzma.LZMADecompressor().decompress(data, cap + 1)
    except (OSError, EOFError, zlib.error, lzma.LZMAError, ValueError) as e:
        return [], "", f"compressed file could not be read: {type(e).__name__}"
    if len(body) > cap:
        return [], f"compressed file unpacks to over {limits.archive_max_size:,} bytes", ""
    if len(body) > 1024 * 1024 and len(body) / max(len(data), 1) > limits.archive_max_ratio:
        return [], f"compressed {len(body) / len(data):,.0f} to 1, over " \
                   f"{limits.archive_max_ratio:g} (a compression bomb)", ""
    if budget.files < 1:
        return [], f"archive holds more than {limits.archive_max_files} files in all", ""
    budget.size -= len(body)
    budget.files -= 1
    inner = PurePosixPath(name.rsplit("/", 1)[-1])
    return [(inner.stem if inner.suffix else inner.name + ".out", body)], "", ""


# -- office documents ----------------------------------------------------------------------

def _office_kind(data: bytes) -> str:
    """A zip that is really an office document (libmagic says application/zip for some)."""
    try:
        names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    except Exception:
        return ""
    for real, prefix in OOXML.items():
        if "[Content_Types].xml" in names and any(n.startswith(prefix) for n in names):
            return real
    if "content.xml" in names and "mimetype" in names:
        return ODF_PREFIX + "text"
    return ""


_PARAGRAPH_TAGS = {"p", "h", "tr", "row", "si", "br", "list-item", "table-row", "cr",
                   "line-break"}
_CELL_TAGS = {"tc", "c", "table-cell", "tab"}


def xml_text(xml: bytes) -> str:
    """Visible text of an office XML part (DOCX, XLSX, PPTX, ODF), a line per paragraph or
    row, a tab between cells. Walked without recursion: depth cannot exhaust the stack."""
    root = ElementTree.fromstring(xml)
    out: list[str] = []
    stack: list[tuple[ElementTree.Element, bool]] = [(root, False)]
    while stack:
        elem, closing = stack.pop()
        tag = elem.tag.rsplit("}", 1)[-1] if isinstance(elem.tag, str) else ""
        if closing:
            if tag in _PARAGRAPH_TAGS:
                out.append("\n")
            elif tag in _CELL_TAGS:
                out.append("\t")
            if elem.tail:
                out.append(elem.tail)
            continue
        stack.append((elem, True))
        if tag in ("instrText", "delText"):  # field codes and deleted text are not shown
            continue
        if tag == "c" and elem.get("t") == "s":  # a spreadsheet cell that only points at a
            continue  # shared string (sharedStrings.xml is read as a part of its own)
        if elem.text:
            out.append(elem.text)
        stack.extend((child, False) for child in reversed(elem))
    return re.sub(r"[ \t]*\n\s*\n+", "\n\n", "".join(out)).strip()


def _office(data: bytes, real: str, limits, budget: _Budget) -> _Content:
    content = _Content()
    zf = zipfile.ZipFile(io.BytesIO(data))
    infos = [i for i in zf.infolist() if not i.is_dir()]
    over = _check_listing([(i.filename, i.file_size, i.compress_size) for i in infos],
                          limits, budget)
    if over:
        content.over_limit = over
        return content
    names = {i.filename: i for i in infos}

    def read(member: str) -> bytes:
        info = names[member]
        with zf.open(info) as f:
            body = f.read(min(info.file_size, XML_MAX, budget.size) + 1)
        if len(body) > min(info.file_size, XML_MAX, budget.size):
            raise _OverLimit(f"{member} is over {min(XML_MAX, budget.size):,} bytes unpacked")
        budget.size -= len(body)
        return body

    try:
        if real in OOXML:
            prefix = OOXML[real]
            parts = sorted(n for n in names if n.startswith(prefix) and n.endswith(".xml") and (
                re.match(r"word/(document|header\d*|footer\d*|footnotes|endnotes|comments)\.xml$", n)
                or re.match(r"xl/(sharedStrings|worksheets/sheet\d+)\.xml$", n)
                or re.match(r"ppt/(slides/slide\d+|notesSlides/notesSlide\d+)\.xml$", n)))
            parts.sort(key=lambda n: [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", n)])
            content.pages = [t for t in (xml_text(read(n)) for n in parts) if t]
            for meta_part in ("docProps/core.xml", "docProps/app.xml"):
                if meta_part in names:
                    content.metadata += _xml_properties(read(meta_part))
        else:
            for n in ("content.xml", "styles.xml"):
                if n in names:
                    text = xml_text(read(n))
                    if text:
                        content.pages.append(text)
            if "meta.xml" in names:
                content.metadata += _xml_properties(read("meta.xml"))
    except _OverLimit as e:
        content.over_limit = str(e)
    except ElementTree.ParseError as e:
        content.error = f"document XML could not be read: {e}"[:120]
    return content


class _OverLimit(Exception):
    pass


_PROPERTY_KEYS = {"creator": "author", "initial-creator": "author", "lastModifiedBy": "modified_by",
                  "title": "title", "subject": "subject", "keywords": "keywords",
                  "description": "description", "Company": "company", "Manager": "manager",
                  "rights": "rights", "publisher": "publisher", "generator": "creator",
                  "Application": "creator"}


def _xml_properties(xml: bytes) -> list[tuple[str, str]]:
    out = []
    try:
        for elem in ElementTree.fromstring(xml).iter():
            key = _PROPERTY_KEYS.get(elem.tag.rsplit("}", 1)[-1])
            value = " ".join("".join(elem.itertext()).split())
            if key and value:
                out.append((key, value[:300]))
    except ElementTree.ParseError:
        pass
    return out


# -- PDF -----------------------------------------------------------------------------------

def pdf_content(data: bytes, limits) -> _Content:
    """Read a PDF in a child process; if PDFium kills it, once more with pypdf alone."""
    # the child checks its own clock between pages; one PDFium call can run for ever
    # (gen-xobject-laughs.pdf in the corpus), so the parent kills it a second later
    hard_limit = limits.pdf_seconds + 1.0
    outcome, value = run_isolated(_read_pdf, hard_limit, data, limits, True)
    if outcome == "crashed":
        crash = value
        outcome, value = run_isolated(_read_pdf, hard_limit, data, limits, False)
        if outcome == "crashed":
            return _Content(error=f"PDF reader crashed ({crash})")
    if outcome == "timeout":
        return _Content(over_limit=f"PDF reading killed after {hard_limit:g} s")
    if outcome == "error":
        return _Content(error=f"PDF could not be read: {value}")
    return value


def run_isolated(fn, timeout: float, *args):
    """Run fn(*args) in a forked child: ("ok", result), ("error", exception name),
    ("crashed", signal name) or ("timeout", None). The child is killed past `timeout`."""
    r, w = os.pipe()
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:  # the child: never returns into the caller's code
        status = 0
        try:
            os.close(r)
            _outlive_nobody(parent, timeout)
            faulthandler.disable()  # a PDFium abort is expected here, not worth a stack dump
            try:
                payload = pickle.dumps(("ok", fn(*args)))
            except BaseException as e:  # noqa: BLE001 - reported to the parent by name
                payload = pickle.dumps(("error", type(e).__name__))
            with os.fdopen(w, "wb") as pipe:
                pipe.write(payload)
        except BaseException:  # noqa: BLE001
            status = 1
        finally:
            os._exit(status)
    os.close(w)
    chunks, deadline, timed_out = [], time.monotonic() + timeout, False
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([r], [], [], left)[0]:
                timed_out = True
                break
            chunk = os.read(r, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(r)
        if timed_out:
            os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
    if timed_out:
        return "timeout", None
    if os.WIFSIGNALED(status) or not chunks:
        sig = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
        return "crashed", SIGNAL_NAMES.get(sig, f"signal {sig}" if sig else
                                           f"exit {os.WEXITSTATUS(status)}")
    try:
        return pickle.loads(b"".join(chunks))
    except Exception:
        return "crashed", "garbled result"


def _outlive_nobody(parent: int, timeout: float) -> None:
    """In a child: die with the parent (the sandbox may be killed at its time budget while
    this child works), and in any case after `timeout` seconds of CPU."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG (Linux)
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)
    cpu = int(timeout) + 2
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))


def _read_pdf(data: bytes, limits, use_pdfium: bool) -> _Content:
    """In the child: structure and metadata with pypdf, text with PDFium (or pypdf)."""
    deadline = time.monotonic() + limits.pdf_seconds
    content = _Content()
    reader, pypdf_error = None, ""
    try:
        reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")
            except Exception:
                opened = 0
            if not opened:  # needs a user password: nothing can be read
                content.encrypted = True
                return content
        content.metadata = pdf_metadata(reader)
    except RecursionError:
        reader, pypdf_error = None, "structure too deeply nested"
    except Exception as e:
        reader, pypdf_error = None, type(e).__name__
    pdfium_error = ""
    if use_pdfium:
        try:
            _pdfium_text(data, limits, deadline, content)
            content.images = pdf_images(reader, deadline)
            return content
        except _Encrypted:
            content.encrypted = True
            return content
        except Exception as e:
            detail = re.search(r"PDFium: ([^)]*)", str(e))
            pdfium_error = (detail.group(1) if detail else str(e))[:80] or type(e).__name__
            content.pages, content.no_text_pages, content.ocr_pages = [], [], []
    if reader is None:
        content.error = "PDF could not be read (" + "; ".join(filter(None, [
            pdfium_error and f"PDFium: {pdfium_error}", f"pypdf: {pypdf_error}"])) + ")"
        return content
    _pypdf_text(reader, limits, deadline, content)
    content.images = pdf_images(reader, deadline)
    return content


class _Encrypted(Exception):
    pass


MAX_PDF_IMAGES = 20  # pictures taken from one PDF for the photo check
MAX_PDF_IMAGE_PAGES = 50
MAX_PDF_IMAGE_BYTES = 20 * 1024 * 1024


def pdf_images(reader, deadline: float) -> list[bytes]:
    """The pictures inside a PDF as image files (JPEG as stored, others as PNG), at most
    MAX_PDF_IMAGES from the first MAX_PDF_IMAGE_PAGES pages, within the PDF's deadline;
    none if the PDF could not be opened or is encrypted."""
    out: list[bytes] = []
    if reader is None or reader.is_encrypted:
        return out
    try:
        for page in reader.pages[:MAX_PDF_IMAGE_PAGES]:
            for image in page.images:
                if time.monotonic() > deadline:
                    return out
                picture = image.data
                if len(picture) <= MAX_PDF_IMAGE_BYTES:
                    out.append(picture)
                if len(out) >= MAX_PDF_IMAGES:
                    return out
    except Exception:  # a broken PDF: its text path reports it; no pictures from it
        pass
    return out


def _pdfium_text(data: bytes, limits, deadline: float, content: _Content) -> None:
    try:
        doc = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as e:
        if "password" in str(e).lower():
            raise _Encrypted() from None
        raise
    try:
        count = len(doc)
        content.page_count = count
        if not content.metadata:
            content.metadata = [(k.lower(), " ".join(str(v).split())[:300])
                                for k, v in doc.get_metadata_dict(skip_empty=True).items()
                                if k in ("Author", "Creator", "Producer", "Title", "Subject",
                                         "Keywords")]
        if count > limits.max_pdf_pages:
            content.over_limit = f"PDF has {count} pages, over the limit of {limits.max_pdf_pages}"
        pictures = []
        for i in range(min(count, limits.max_pdf_pages)):
            if time.monotonic() > deadline:
                content.over_limit = (f"text of page {i + 1} of {count} not read: over the "
                                      f"limit of {limits.pdf_seconds:g} s per document")
                break
            page = doc[i]
            try:
                textpage = page.get_textpage()
                text = textpage.get_text_bounded()
                textpage.close()
                if len(text.strip()) < MIN_PAGE_CHARS and any(
                        True for _ in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE],
                                                       max_depth=3)):
                    pictures.append(i)
                content.pages.append(text)
            finally:
                page.close()
        for i in pictures:
            text = _ocr(doc, i, limits, deadline, len(content.ocr_pages))
            if text is None:
                content.no_text_pages.append(i)
            else:
                content.pages[i] = text
                content.ocr_pages.append(i)
    finally:
        doc.close()


def _pypdf_text(reader, limits, deadline: float, content: _Content) -> None:
    try:
        count = len(reader.pages)
        content.page_count = count
        if count > limits.max_pdf_pages:
            content.over_limit = f"PDF has {count} pages, over the limit of {limits.max_pdf_pages}"
        for i in range(min(count, limits.max_pdf_pages)):
            if time.monotonic() > deadline:
                content.over_limit = (f"text of page {i + 1} of {count} not read: over the "
                                      f"limit of {limits.pdf_seconds:g} s per document")
                break
            page = reader.pages[i]
            text = page.extract_text() or ""
            if len(text.strip()) < MIN_PAGE_CHARS and _pypdf_has_images(page):
                content.no_text_pages.append(i)  # no OCR without PDFium to render the page
            content.pages.append(text)
    except pypdf.errors.LimitReachedError as e:
        content.over_limit = f"PDF over a reader limit: {str(e)[:80]}"
    except RecursionError:
        content.error = "PDF structure too deeply nested"
    except Exception as e:
        content.error = f"PDF could not be read: {type(e).__name__}"


def _pypdf_has_images(page) -> bool:
    try:
        xobjects = page.get("/Resources", {}).get("/XObject", {})
        return any(x.get_object().get("/Subtype") == "/Image" for x in xobjects.values())
    except Exception:
        return True  # cannot tell: count it as a picture, so the page is not taken as read


def tesseract() -> str | None:
    return shutil.which("tesseract")


def _ocr(doc, index: int, limits, deadline: float, done: int) -> str | None:
    """The page's text by OCR; None if OCR is off, missing, or over its limits."""
    exe = tesseract()
    left = deadline - time.monotonic()
    if not limits.ocr or exe is None or done >= limits.ocr_max_pages or left < 1.0:
        return None
    page = doc[index]
    try:
        width, height = page.get_size()
        scale = OCR_DPI / 72
        if width * height * scale * scale > OCR_MAX_PIXELS:
            scale = (OCR_MAX_PIXELS / max(width * height, 1.0)) ** 0.5
        bitmap = page.render(scale=scale, grayscale=True)
        w, h, stride = bitmap.width, bitmap.height, bitmap.stride
        raw = bytes(bitmap.buffer)
        rows = raw if stride == w else b"".join(raw[y * stride: y * stride + w] for y in range(h))
        image = b"P5\n%d %d\n255\n" % (w, h) + rows
    finally:
        page.close()
    try:
        done_proc = subprocess.run([exe, "stdin", "stdout", "-l", "eng", "--psm", "3"],
                                   input=image, capture_output=True, timeout=left,
                                   env={**os.environ, "OMP_THREAD_LIMIT": "1"})
    except subprocess.TimeoutExpired:
        return None
    if done_proc.returncode != 0:
        return None
    return done_proc.stdout.decode("utf-8", errors="replace")


_XMP_FIELDS = {
    "dc:rights": "rights", "dc:publisher": "publisher", "dc:creator": "author",
    "xmpRights:Marked": "rights_marked", "xmpRights:WebStatement": "web_statement",
    "xmpRights:UsageTerms": "usage_terms", "xmpRights:Owner": "rights_owner",
    "prism:doi": "doi", "pdfx:doi": "doi", "prism:publicationName": "publication",
    "prism:copyright": "rights", "photoshop:Credit": "credit", "photoshop:Source": "source",
    "photoshop:Copyright": "rights", "plus:Licensor": "licensor", "cc:license": "licence",
    "pdfx:CrossmarkDomains": "crossmark", "crossmark:DOI": "doi",
}
_XMP_ELEMENT = re.compile(r"<(%s)\b[^>]*?(?:/>|>(.*?)</\1>)" % "|".join(map(re.escape, _XMP_FIELDS)),
                          re.DOTALL)
_XMP_ATTRIBUTE = re.compile(r"\b(%s)\s*=\s*\"([^\"]{1,500})\"" % "|".join(map(re.escape, _XMP_FIELDS)))
_XMP_RESOURCE = re.compile(r"rdf:resource\s*=\s*\"([^\"]{1,300})\"")
_TAGS = re.compile(r"<[^>]*>")


def xmp_fields(xmp: str) -> list[tuple[str, str]]:
    """Rights-related fields of an XMP packet, as (our key, text)."""
    out = []
    for m in _XMP_ELEMENT.finditer(xmp[:512 * 1024]):
        inner = m.group(2) or ""
        value = " ".join(_TAGS.sub(" ", inner).split())
        if not value:
            resource = _XMP_RESOURCE.search(m.group(0))
            value = resource.group(1) if resource else ""
        if value:
            out.append((_XMP_FIELDS[m.group(1)], value[:300]))
    for m in _XMP_ATTRIBUTE.finditer(xmp[:512 * 1024]):
        out.append((_XMP_FIELDS[m.group(1)], m.group(2)[:300]))
    return out


def pdf_metadata(reader) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    try:
        info = reader.metadata or {}
        for key in ("/Author", "/Creator", "/Producer", "/Title", "/Subject", "/Keywords",
                    "/Copyright", "/Rights"):
            value = info.get(key)
            if value:
                out.append((key[1:].lower(), " ".join(str(value).split())[:300]))
    except Exception:
        pass
    try:
        stream = reader.trailer["/Root"].get("/Metadata")
        if stream is not None:
            out += xmp_fields(stream.get_object().get_data()[:512 * 1024].decode("utf-8", "replace"))
    except Exception:
        pass
    return out


# -- images --------------------------------------------------------------------------------

_EXIF_TAGS = {0x8298: "rights", 0x013B: "author", 0x010E: "description"}
_IPTC_TAGS = {(2, 116): "rights", (2, 110): "credit", (2, 115): "source", (2, 80): "author"}


def image_metadata(data: bytes) -> list[tuple[str, str]]:
    """Copyright holder, credit and licence fields of an image, without decoding pixels."""
    from PIL import Image, IptcImagePlugin

    out: list[tuple[str, str]] = []
    try:
        with Image.open(io.BytesIO(data)) as im:
            exif = im.getexif()
            for tag, key in _EXIF_TAGS.items():
                value = exif.get(tag)
                if isinstance(value, bytes):
                    value = value.decode("utf-8", "replace")
                if value and str(value).strip("\x00 "):
                    out.append((key, " ".join(str(value).split())[:300]))
            iptc = IptcImagePlugin.getiptcinfo(im) or {}
            for tag, key in _IPTC_TAGS.items():
                value = iptc.get(tag)
                if isinstance(value, list):
                    value = b" ".join(value)
                if value:
                    out.append((key, " ".join(value.decode("utf-8", "replace").split())[:300]))
            xmp = im.info.get("xmp") or im.info.get("XML:com.adobe.xmp")
            if xmp:
                out += xmp_fields(xmp.decode("utf-8", "replace") if isinstance(xmp, bytes) else xmp)
    except Exception:  # a broken image header: no metadata, the image itself is not screened
        pass
    return out
