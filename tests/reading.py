"""Real files for the reading tests, built at test time with fictitious data: pictures of
text (Pillow and DejaVu), images with text in their metadata, tables, calendars, vCards,
office internals, PDFs with embedded files, nested mail and active content.

NHS numbers are in the 999 range with a valid mod-11 check digit; phones are Ofcom drama
numbers (07700 900xxx); domains end in .example."""
from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

MAILSCREEN = str(Path(sys.executable).with_name("mailscreen"))
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def nhs_number(first9: str) -> str:
    """A 999-range NHS number with its mod-11 check digit (first9 must give one < 10)."""
    total = sum(int(d) * (10 - i) for i, d in enumerate(first9))
    check = 11 - total % 11
    check = 0 if check == 11 else check
    assert check != 10, first9
    return first9 + str(check)


PATIENTS = [  # name, date of birth, mobile, e-mail, NHS number, treatment
    ("Harriet Quill", "14/02/1986", "07700 900311", "harriet.quill@mailbox.example",
     nhs_number("999000101"), "Lip filler 1ml"),
    ("Oscar Pembury", "03/09/1979", "07700 900312", "o.pembury@mailbox.example",
     nhs_number("999000102"), "Anti-wrinkle 3 areas"),
    ("Niamh Tulloch", "22/11/1990", "07700 900313", "niamh.t@mailbox.example",
     nhs_number("999000103"), "Skin booster"),
    ("Grace Ellery", "07/05/1988", "07700 900314", "grace.ellery@mailbox.example",
     nhs_number("999000104"), "Tear trough filler"),
]


def text_image(lines: list[str], size=(1100, 480), font_size=15, background=(248, 249, 251),
               header: str = "") -> Image.Image:
    """A screenshot-like picture: dark text on a light window, optional coloured title bar."""
    im = Image.new("RGB", size, background)
    draw = ImageDraw.Draw(im)
    font = ImageFont.truetype(FONT, font_size)
    y = 14
    if header:
        draw.rectangle((0, 0, size[0], 44), fill=(38, 72, 122))
        draw.text((14, 12), header, font=font, fill="white")
        y = 60
    for line in lines:
        draw.text((18, y), line, font=font, fill=(25, 25, 25))
        y += int(font_size * 2.1)
    return im


def diary_screenshot() -> Image.Image:
    rows = [f"{9 + i}:00   {p[0]}   DOB {p[1]}   {p[2]}   {p[5]}" for i, p in enumerate(PATIENTS)]
    return text_image(rows, header="Booking diary - Tuesday 4 March")


def encode(im: Image.Image, fmt: str, **kw) -> bytes:
    out = io.BytesIO()
    if fmt in ("JPEG",) and im.mode != "RGB":
        im = im.convert("RGB")
    im.save(out, fmt, **kw)
    return out.getvalue()


def photo() -> Image.Image:
    """A photograph with no text (scikit-image's public-domain coffee cup)."""
    from skimage import data
    return Image.fromarray(data.coffee())


def scan(tmp_path: Path, *mails: bytes, args: tuple[str, ...] = ()) -> list[dict]:
    """`mailscreen scan --json` over the mails, as a user runs it."""
    files = []
    for i, raw in enumerate(mails):
        f = tmp_path / f"mail{i}.eml"
        f.write_bytes(raw)
        files.append(str(f))
    proc = subprocess.run([MAILSCREEN, "scan", "--json", *args, *files], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    return [json.loads(line) for line in proc.stdout.splitlines()]


def rules(result: dict) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for f in result["findings"]:
        out.setdefault(f["rule"], []).append(f)
    return out


# -- office internals and document properties ------------------------------------------------

def docx_with_internals(comment: str = "", header: str = "", footnote_like: str = "",
                        deleted: str = "", title: str = "", custom: dict | None = None,
                        body: str = "Draft article about saying no to patients.") -> bytes:
    """A Word file whose identifiers hide in a comment, a header, a tracked deletion, its
    core properties (title) or custom properties."""
    import re
    import zipfile

    from docx import Document

    doc = Document()
    para = doc.add_paragraph(body)
    if comment:
        doc.add_comment(para.runs, text=comment, author="Reviewer")
    if header:
        doc.sections[0].header.paragraphs[0].text = header
    if footnote_like:
        doc.sections[0].footer.paragraphs[0].text = footnote_like
    if title:
        doc.core_properties.title = title
    out = io.BytesIO()
    doc.save(out)
    data = out.getvalue()
    if not (deleted or custom):
        return data
    src = zipfile.ZipFile(io.BytesIO(data))
    dst_buf = io.BytesIO()
    with zipfile.ZipFile(dst_buf, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            body_xml = src.read(item.filename)
            if item.filename == "word/document.xml" and deleted:
                body_xml = re.sub(rb"</w:body>", (
                    '<w:p><w:del w:id="90" w:author="Reviewer" w:date="2026-01-01T00:00:00Z">'
                    f'<w:r><w:delText>{deleted}</w:delText></w:r></w:del></w:p></w:body>'
                ).encode(), body_xml)
            if item.filename == "[Content_Types].xml" and custom:
                body_xml = body_xml.replace(b"</Types>", (
                    '<Override PartName="/docProps/custom.xml" ContentType="application/'
                    'vnd.openxmlformats-officedocument.custom-properties+xml"/></Types>').encode())
            dst.writestr(item, body_xml)
        if custom:
            props = "".join(
                f'<property fmtid="{{D5CDD505-2E9C-101B-9397-08002B2CF9AE}}" pid="{i + 2}" '
                f'name="{k}"><vt:lpwstr>{v}</vt:lpwstr></property>'
                for i, (k, v) in enumerate(custom.items()))
            dst.writestr("docProps/custom.xml", (
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Properties xmlns="'
                'http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" '
                'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
                f'{props}</Properties>'))
    return dst_buf.getvalue()


def xlsx_workbook(sheets: dict[str, list[list]], hidden: dict[str, str] | None = None,
                  comments: dict[tuple[str, str], str] | None = None) -> bytes:
    """sheets: title -> rows; hidden: title -> "hidden" or "veryHidden"; comments:
    (sheet, cell) -> text."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment

    wb = Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
        if hidden and title in hidden:
            ws.sheet_state = hidden[title]
    for (title, cell), text in (comments or {}).items():
        wb[title][cell].comment = Comment(text, "Reviewer")
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def pptx_with_notes(slide_text: str, notes: str) -> bytes:
    from pptx import Presentation

    prs = Presentation()
    slide = prs.slides.add_slide(prs.slide_layouts[1])
    slide.shapes.title.text = slide_text
    slide.notes_slide.notes_text_frame.text = notes
    out = io.BytesIO()
    prs.save(out)
    return out.getvalue()


def pdf_with_info(text: str, **info: str) -> bytes:
    """A one-page PDF whose document information dictionary carries `info` (/Title,
    /Subject, /Keywords or any custom key)."""
    from fpdf import FPDF
    from pypdf import PdfReader, PdfWriter

    doc = FPDF()
    doc.add_page()
    doc.set_font("Helvetica", "", 11)
    doc.multi_cell(0, 6, text)
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(bytes(doc.output()))))
    writer.add_metadata({f"/{k}": v for k, v in info.items()})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# -- tables, calendars, contacts ---------------------------------------------------------------

def export_rows(with_header: bool = True) -> list[list[str]]:
    rows = [[p[0].split()[0], p[0].split()[1], p[3], p[2], p[1], p[5]] for p in PATIENTS]
    header = ["first_name", "last_name", "email", "mobile", "dob", "last_treatment"]
    return [header, *rows] if with_header else rows


def csv_text(rows: list[list[str]], delimiter: str = ",") -> bytes:
    import csv as csvlib
    out = io.StringIO()
    csvlib.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode()


def ods(sheets: dict[str, list[list[str]]]) -> bytes:
    import zipfile
    from xml.sax.saxutils import escape

    body = "".join(
        f'<table:table table:name="{escape(name)}">' + "".join(
            "<table:table-row>" + "".join(
                f'<table:table-cell office:value-type="string"><text:p>{escape(c)}</text:p>'
                "</table:table-cell>" for c in row) + "</table:table-row>" for row in rows)
        + "</table:table>" for name, rows in sheets.items())
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet",
                   compress_type=zipfile.ZIP_STORED)
        z.writestr("META-INF/manifest.xml", '<?xml version="1.0"?><manifest:manifest xmlns:'
                   'manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"/>')
        z.writestr("content.xml", (
            '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
            'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
            'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
            'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body>'
            f'<office:spreadsheet>{body}</office:spreadsheet></office:body>'
            '</office:document-content>'))
    return out.getvalue()


def html_table(rows: list[list[str]]) -> str:
    from html import escape
    return "<table>" + "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>"
                               for row in rows) + "</table>"


def vcf(people: list[tuple]) -> bytes:
    cards = []
    for name, dob, mobile, mail, _nhs, treatment in people:
        first, last = name.split()
        cards.append(f"BEGIN:VCARD\r\nVERSION:3.0\r\nN:{last};{first};;;\r\nFN:{name}\r\n"
                     f"BDAY:{dob[6:]}-{dob[3:5]}-{dob[:2]}\r\nTEL;TYPE=CELL:{mobile}\r\n"
                     f"EMAIL:{mail}\r\nNOTE:{treatment}\\, reviewed in clinic\r\nEND:VCARD\r\n")
    return "".join(cards).encode()


def ics(people: list[tuple]) -> bytes:
    events = []
    for i, (name, dob, mobile, mail, _nhs, treatment) in enumerate(people):
        events.append(
            f"BEGIN:VEVENT\r\nUID:{i}@glowclinic.example\r\nDTSTART:2026031{i}T0930"
            f"00Z\r\nSUMMARY:{treatment} - {name}\r\nDESCRIPTION:Client {name}\\, DOB {dob}"
            f"\\nMobile {mobile}\r\nATTENDEE;CN={name}:mailto:{mail}\r\n"
            "BEGIN:VALARM\r\nACTION:DISPLAY\r\nDESCRIPTION:Reminder\r\nEND:VALARM\r\n"
            "END:VEVENT\r\n")
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Glow//Diary//EN\r\n" + "".join(events)
            + "END:VCALENDAR\r\n").encode()


# -- files inside files ------------------------------------------------------------------------

def pdf_with_embedded(files: dict[str, bytes], text: str = "Newsletter: spring clinic hours.",
                      annotation: bool = False) -> bytes:
    """An innocent-looking PDF carrying files in /EmbeddedFiles (or, with `annotation`, in a
    file attachment annotation on its page)."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_with_info(text))))
    for name, data in files.items():
        if annotation:
            from pypdf.generic import (ArrayObject, DecodedStreamObject, DictionaryObject,
                                       FloatObject, NameObject, TextStringObject)
            stream = DecodedStreamObject()
            stream.set_data(data)
            stream[NameObject("/Type")] = NameObject("/EmbeddedFile")
            spec = DictionaryObject({NameObject("/Type"): NameObject("/Filespec"),
                                     NameObject("/F"): TextStringObject(name),
                                     NameObject("/EF"): DictionaryObject(
                                         {NameObject("/F"): writer._add_object(stream)})})
            annot = DictionaryObject({
                NameObject("/Type"): NameObject("/Annot"),
                NameObject("/Subtype"): NameObject("/FileAttachment"),
                NameObject("/Rect"): ArrayObject([FloatObject(v) for v in (10, 10, 30, 30)]),
                NameObject("/FS"): writer._add_object(spec)})
            writer.pages[0][NameObject("/Annots")] = ArrayObject([writer._add_object(annot)])
        else:
            writer.add_attachment(name, data)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def tnef(subject: str, body: str, files: dict[str, bytes]) -> bytes:
    """A winmail.dat: TNEF attributes written by hand (level, id|type<<16, length, data,
    checksum), as Outlook sends them."""
    import struct

    def attr(level: int, ident: int, kind: int, data: bytes) -> bytes:
        return struct.pack("<BHHI", level, ident, kind, len(data)) + data + \
            struct.pack("<H", sum(data) & 0xFFFF)

    out = struct.pack("<IH", 0x223E9F78, 0x0101)
    out += attr(1, 0x9006, 0x0008, struct.pack("<I", 0x00010000))  # TNEF version
    out += attr(1, 0x9007, 0x0006, struct.pack("<II", 1252, 0))  # OEM code page
    out += attr(1, 0x8008, 0x0007, b"IPM.Microsoft Mail.Note\x00")
    out += attr(1, 0x8004, 0x0001, subject.encode("cp1252") + b"\x00")
    out += attr(1, 0x800C, 0x0002, body.encode("cp1252"))
    for name, data in files.items():
        out += attr(2, 0x9002, 0x0006, b"\x01\x00\xff\xff\xff\xff" + b"\x00" * 8)
        out += attr(2, 0x8010, 0x0001, name.encode("cp1252") + b"\x00")
        out += attr(2, 0x800F, 0x0006, data)
    return out


def epub(chapters: list[str], rights: str = "", publisher: str = "") -> bytes:
    import zipfile
    from html import escape

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/epub+zip",
                   compress_type=zipfile.ZIP_STORED)
        z.writestr("META-INF/container.xml", '<?xml version="1.0"?><container version="1.0" '
                   'xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles>'
                   '<rootfile full-path="OEBPS/content.opf" media-type="application/'
                   'oebps-package+xml"/></rootfiles></container>')
        z.writestr("OEBPS/content.opf", (
            '<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" version="3.0">'
            '<metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Clinic guide'
            f'</dc:title><dc:rights>{escape(rights)}</dc:rights><dc:publisher>'
            f'{escape(publisher)}</dc:publisher></metadata></package>'))
        for i, text in enumerate(chapters):
            z.writestr(f"OEBPS/chapter{i + 1}.xhtml", '<?xml version="1.0"?><html xmlns='
                       f'"http://www.w3.org/1999/xhtml"><body><p>{escape(text)}</p></body></html>')
    return out.getvalue()


def docx_with_picture_and_embedding(picture: bytes | None = None,
                                    embeddings: dict[str, bytes] | None = None) -> bytes:
    """A Word file with a picture in word/media (python-docx) and files in word/embeddings."""
    import zipfile

    from docx import Document
    from docx.shared import Inches

    doc = Document()
    doc.add_paragraph("Spring leaflet draft.")
    if picture:
        doc.add_picture(io.BytesIO(picture), width=Inches(5))
    out = io.BytesIO()
    doc.save(out)
    if not embeddings:
        return out.getvalue()
    src = zipfile.ZipFile(io.BytesIO(out.getvalue()))
    dst_buf = io.BytesIO()
    with zipfile.ZipFile(dst_buf, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item.filename))
        for name, data in embeddings.items():
            dst.writestr(f"word/embeddings/{name}", data)
    return dst_buf.getvalue()


# -- the last hiding places: form fields, PDF comments, QR codes, licence fields ------------

def pdf_with_form(text: str, fields: dict[str, str] | None = None,
                  notes: list[str] | None = None, free_text: str = "") -> bytes:
    """A one-page PDF whose AcroForm text fields are filled in (`fields`: the field's
    tooltip, its /TU, -> value), with sticky notes (Text annotations) and a FreeText
    comment on the page. Written with pypdf's generic objects, as a form filler stores them."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.annotations import FreeText, Text
    from pypdf.generic import (ArrayObject, BooleanObject, DictionaryObject, FloatObject,
                               NameObject, TextStringObject)

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_with_info(text))))
    for k, note in enumerate(notes or []):
        writer.add_annotation(0, Text(text=note, rect=(400, 700 - 60 * k, 420, 720 - 60 * k)))
    if free_text:
        writer.add_annotation(0, FreeText(text=free_text, rect=(50, 100, 400, 140)))
    refs = []
    for k, (label, value) in enumerate((fields or {}).items()):
        widget = DictionaryObject({
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Widget"),
            NameObject("/FT"): NameObject("/Tx"),
            NameObject("/T"): TextStringObject(f"Text{k + 1}"),
            NameObject("/TU"): TextStringObject(label),
            NameObject("/V"): TextStringObject(value),
            NameObject("/Rect"): ArrayObject([FloatObject(v) for v in
                                              (200, 600 - 30 * k, 450, 620 - 30 * k)]),
            NameObject("/P"): writer.pages[0].indirect_reference})
        refs.append(writer._add_object(widget))
    if refs:
        page = writer.pages[0]
        page[NameObject("/Annots")] = ArrayObject(list(page.get("/Annots", [])) + refs)
        writer._root_object[NameObject("/AcroForm")] = writer._add_object(DictionaryObject({
            NameObject("/Fields"): ArrayObject(refs),
            NameObject("/NeedAppearances"): BooleanObject(True)}))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def qr_flyer(url: str, lines: list[str] = ("Staff rota update", "Scan the code")) -> bytes:
    """A JPEG flyer with a QR code (OpenCV's encoder, drawn at 6 px a module and turned a
    little, as a photographed or pasted code is) that leads to `url`."""
    import cv2

    modules = cv2.QRCodeEncoder.create().encode(url)
    code = Image.fromarray(modules).resize((modules.shape[1] * 6, modules.shape[0] * 6),
                                           Image.NEAREST)
    code = code.convert("RGB").rotate(4, expand=True, fillcolor="white")
    im = text_image(list(lines), size=(900, 700), font_size=28)
    im.paste(code, (450, 220))
    return encode(im, "JPEG", quality=85)


def photo_with_rights(usage_terms: str, rights: str = "(c) 2024 Jo Lens Photography") -> bytes:
    """A photograph (JPEG) whose XMP carries a rights notice and usage terms, and whose EXIF
    Copyright field the notice too, as a photographer's or library's download does."""
    from PIL import Image as PILImage

    xmp = ('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/'
           '02/22-rdf-syntax-ns#"><rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" '
           'xmlns:xmpRights="http://ns.adobe.com/xap/1.0/rights/">'
           f'<dc:rights><rdf:Alt><rdf:li xml:lang="x-default">{rights}</rdf:li></rdf:Alt>'
           '</dc:rights><xmpRights:UsageTerms><rdf:Alt><rdf:li xml:lang="x-default">'
           f'{usage_terms}</rdf:li></rdf:Alt></xmpRights:UsageTerms></rdf:Description>'
           '</rdf:RDF></x:xmpmeta>')
    exif = PILImage.Exif()
    exif[0x8298] = rights
    return encode(photo(), "JPEG", quality=90, exif=exif, xmp=xmp.encode())
