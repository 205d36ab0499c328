"""PDFs: text page by page with PDFium (pypdfium2), structure, encryption, document info and
XMP with pypdf (also the fallback when PDFium cannot open the file); pages that are pictures
are rendered and read by OCR. Each PDF is read in an isolated child (isolate.py)."""
from __future__ import annotations

import io
import re
import time

import pypdf
import pypdfium2 as pdfium  # imported here, in the scan process, not in every PDF's child
import pypdfium2.raw as pdfium_c

from gateway.content import ocr as ocr_engine
from gateway.content.embedded import pdf_embedded
from gateway.content.isolate import run_isolated
from gateway.content.metadata import labelled, xmp_fields, xmp_text
from gateway.content.result import Content

MIN_PAGE_CHARS = 3  # a page with fewer visible characters than this has "no text"
OCR_DPI = 200
OCR_MAX_PIXELS = 12_000_000


def pdf_content(data: bytes, limits) -> Content:
    """Read a PDF in a child process; if PDFium kills it, once more with pypdf alone."""
    # the child checks its own clock between pages; one PDFium call can run for ever
    # (gen-xobject-laughs.pdf in the corpus), so the parent kills it a second later
    hard_limit = limits.pdf_seconds + 1.0
    outcome, value = run_isolated(_read_pdf, hard_limit, data, limits, True)
    if outcome == "crashed":
        crash = value
        outcome, value = run_isolated(_read_pdf, hard_limit, data, limits, False)
        if outcome == "crashed":
            return Content(error=f"PDF reader crashed ({crash})")
    if outcome == "timeout":
        return Content(over_limit=f"PDF reading killed after {hard_limit:g} s")
    if outcome == "error":
        return Content(error=f"PDF could not be read: {value}")
    return value


def _read_pdf(data: bytes, limits, use_pdfium: bool) -> Content:
    """In the child: structure and metadata with pypdf, text with PDFium (or pypdf)."""
    deadline = time.monotonic() + limits.pdf_seconds
    content = Content()
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
        described = pdf_described(reader)
        if described:
            content.texts.append(("metadata", labelled(described)))
        for kind, text in zip(("form", "comments"), pdf_annotations(reader)):
            if text:
                content.texts.append((kind, text))
        try:
            content.members = pdf_embedded(reader, limits.archive_max_size)
        except Exception as e:  # over the limits: nothing embedded is taken, and it is said
            content.over_limit = str(e)[:160]
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


def _pdfium_text(data: bytes, limits, deadline: float, content: Content) -> None:
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


def _pypdf_text(reader, limits, deadline: float, content: Content) -> None:
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


_INFO_STANDARD = {"/Author", "/Creator", "/Producer", "/CreationDate", "/ModDate", "/Trapped",
                  "/Copyright", "/Rights", "/PTEX.Fullbanner"}


def pdf_described(reader) -> list[tuple[str, str]]:
    """What the document info says the PDF is about (Title, Subject, Keywords and any
    custom entry) and the XMP title, description and keywords, as (label, text)."""
    out: list[tuple[str, str]] = []
    try:
        for key, value in (reader.metadata or {}).items():
            if key in _INFO_STANDARD or not isinstance(key, str):
                continue
            text = " ".join(str(value).split())[:2000]
            if text:
                out.append((key.lstrip("/")[:60], text))
    except Exception:
        pass
    try:
        stream = reader.trailer["/Root"].get("/Metadata")
        if stream is not None:
            out += xmp_text(stream.get_object().get_data()[:512 * 1024].decode("utf-8", "replace"))
    except Exception:
        pass
    return list(dict.fromkeys(out))


MAX_ANNOTATIONS = 500  # form fields and annotations read from one PDF
_GENERIC_FIELD = re.compile(r"(?i)(?:text|field|fill|untitled|undefined|check ?box|button)"
                            r"[\s_.-]*\d*")


def pdf_annotations(reader) -> tuple[str, str]:
    """(form, comments) of a PDF's pages, text a reader sees that is not in the pages' text.
    form: the filled-in values of its form fields (the widgets on its pages), a
    "Label: value" line each; the label is the field's tooltip (/TU) or its name, none for a
    generic name ("Text1"); ticked boxes and buttons (a name, not text) are left out.
    comments: what its annotations say (sticky notes, text boxes, a highlight's comment),
    their /Contents, a line each; not pop-ups (they repeat their note) or links."""
    form: list[str] = []
    comments: list[str] = []
    try:
        for page in reader.pages[:MAX_PDF_IMAGE_PAGES]:
            for annot in page.get("/Annots") or []:
                annot = annot.get_object()
                kind = annot.get("/Subtype")
                if kind == "/Widget":
                    form += _field_line(annot)
                elif kind not in ("/Popup", "/Link"):
                    text = " ".join(str(annot.get("/Contents") or "").split())[:2000]
                    comments += [text] if text else []
                if len(form) + len(comments) >= MAX_ANNOTATIONS:
                    break
    except Exception:  # a broken annotation: what was read so far, and the pages, stand
        pass
    return "\n".join(dict.fromkeys(form)), "\n".join(comments)


def _field_line(widget) -> list[str]:
    """A form widget's "Label: value", its value, label and name inherited from the field
    it belongs to (/Parent), as a form filler stores them."""
    found: dict[str, object] = {}
    node, depth = widget, 0
    while node is not None and depth < 10:
        for key in ("/V", "/TU", "/T"):
            if key not in found and node.get(key) is not None:
                found[key] = node.get(key)
        parent = node.get("/Parent")
        node, depth = (parent.get_object() if parent is not None else None), depth + 1
    value = found.get("/V")
    if value is None or isinstance(value, pypdf.generic.NameObject):
        return []
    if isinstance(value, list):
        value = ", ".join(str(v) for v in value)
    value = " ".join(str(value).split())[:2000]
    label = " ".join(str(found.get("/TU") or found.get("/T") or "").replace("_", " ").split())
    if not value:
        return []
    return [value if not label or _GENERIC_FIELD.fullmatch(label) else f"{label[:60]}: {value}"]


def _ocr(doc, index: int, limits, deadline: float, done: int) -> str | None:
    """The page's text by OCR; None if OCR is off, missing, or over its limits."""
    left = deadline - time.monotonic()
    if not limits.ocr or ocr_engine.tesseract() is None or done >= limits.ocr_max_pages \
            or left < 1.0:
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
    return ocr_engine.ocr_pgm(image, left)
