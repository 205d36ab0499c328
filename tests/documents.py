"""Real documents built at test time: PDFs (fpdf2, pypdf), office files, archives, and
the mail that carries them. Everything is invented; core PDF fonts, so text is Latin-1."""
from __future__ import annotations

import io
import time
import zipfile
from email.message import EmailMessage
from email.policy import SMTP

from fpdf import FPDF
from pypdf import PdfReader, PdfWriter

LOREM = ("Hyaluronic acid fillers are reversible with hyaluronidase. Practitioners should "
         "assess the injection plane, aspirate where appropriate and inject slowly in small "
         "aliquots. Blanching, livedo and pain out of proportion are early signs of vascular "
         "compromise and need immediate action under the complications protocol.")


def pdf(pages: list[list[str]], *, title: str = "Document", author: str = "",
        creator: str = "", size: int = 10) -> bytes:
    doc = FPDF(format="A4")
    doc.set_title(title)
    if author:
        doc.set_author(author)
    if creator:
        doc.set_creator(creator)
    doc.set_margins(20, 20, 20)
    for paragraphs in pages:
        doc.add_page()
        for para in paragraphs:
            doc.set_font("Helvetica", "", size)
            doc.multi_cell(0, size / 2, para, new_x="LMARGIN", new_y="NEXT")
            doc.ln(3)
    return bytes(doc.output())


def journal_article() -> bytes:
    """A rights-reserved article from a (made-up) Elsevier journal."""
    head = "Journal of Aesthetic Medicine 2024;12(3):145-152"
    return pdf([
        [head, "Vascular occlusion after lip filler: a case series",
         "A. Marsh, B. Okafor", "https://doi.org/10.1016/j.jaesmed.2024.01.007",
         "Received 4 January 2024; Accepted 2 March 2024", LOREM * 3],
        [head, LOREM * 4,
         "(c) 2024 Elsevier Ltd. All rights reserved. No part of this publication may be "
         "reproduced without the prior written permission of the publisher."],
    ], title="Vascular occlusion after lip filler", author="Elsevier Ltd", creator="Elsevier")


def cc_by_article(variant: str = "BY") -> bytes:
    """An open-access article: (c) The Authors, under CC BY 4.0 (or CC BY-NC 4.0)."""
    url = f"https://creativecommons.org/licenses/{variant.lower()}/4.0/"
    head = "Journal of Open Aesthetics 2023;5(2):45-51"
    return pdf([
        [head, "Patient-reported outcomes of skin boosters", "https://doi.org/10.1016/j.joa.2023.02.004",
         LOREM * 3],
        [LOREM * 3, "(c) 2023 The Authors. Published by Elsevier Inc. This is an open access "
                    f"article under the CC {variant} 4.0 license ({url})."],
    ], title="Patient-reported outcomes of skin boosters", creator="Elsevier")


def clinic_leaflet() -> bytes:
    return pdf([[
        "Glow Aesthetics Clinic - Aftercare after dermal filler",
        "Avoid strenuous exercise, alcohol and heat for 24 hours. Mild swelling and bruising "
        "are normal and settle within a week. Call us on 0113 496 0123 if you notice "
        "blanching, severe pain or changes in vision.",
        "(c) 2026 Glow Aesthetics Clinic. All rights reserved. www.glowclinic.example",
    ]], title="Aftercare after dermal filler", author="Glow Aesthetics Clinic")


def encrypted(data: bytes, password: str = "s3cret") -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password=password, owner_password=password + "-owner",
                   algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def image_only(data: bytes) -> bytes:
    """Every page of `data` rasterised and put back as a picture: a scan, no text layer."""
    import pypdfium2 as pdfium

    src = pdfium.PdfDocument(data)
    doc = FPDF(format="A4")
    for page in src:
        image = page.render(scale=200 / 72).to_pil().convert("L")
        doc.add_page()
        doc.image(image, x=0, y=0, w=210, h=297)
    src.close()
    return bytes(doc.output())


def zip_file(members: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as zf:
        for name, data in members.items():
            zf.writestr(zipfile.ZipInfo(name, (2024, 6, 1, 0, 0, 0)), data,
                        compress_type=compression)
    return out.getvalue()


def nested_zip_bomb(layers: int = 4, copies: int = 10, megabytes: int = 20) -> bytes:
    """42.zip in miniature: `copies` of the layer below in each layer, a zeros file at the
    bottom; unpacked it is megabytes * copies ** (layers - 1) MiB."""
    data = zip_file({"zeros.bin": bytes(megabytes * 1024 * 1024)})
    for layer in range(layers - 1):
        data = zip_file({f"layer{layer}-{i}.zip": data for i in range(copies)})
    return data


def docx(paragraphs: list[str], author: str = "") -> bytes:
    body = "".join(f"<w:p><w:r><w:t xml:space=\"preserve\">{p}</w:t></w:r></w:p>"
                   for p in paragraphs)
    return zip_file({
        "[Content_Types].xml": b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
        "_rels/.rels": b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>',
        "word/document.xml": ('<?xml version="1.0"?><w:document xmlns:w="http://schemas.'
                              'openxmlformats.org/wordprocessingml/2006/main"><w:body>'
                              f"{body}</w:body></w:document>").encode(),
        "docProps/core.xml": ('<?xml version="1.0"?><cp:coreProperties xmlns:cp="http://schemas.'
                              'openxmlformats.org/package/2006/metadata/core-properties" '
                              'xmlns:dc="http://purl.org/dc/elements/1.1/">'
                              f"<dc:creator>{author}</dc:creator></cp:coreProperties>").encode(),
    })


def xlsx(rows: list[list[str]]) -> bytes:
    cells = "".join("<row>" + "".join(f'<c t="inlineStr"><is><t>{v}</t></is></c>' for v in row)
                    + "</row>" for row in rows)
    return zip_file({
        "[Content_Types].xml": b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>',
        "xl/workbook.xml": b'<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheets><sheet name="A" sheetId="1"/></sheets></workbook>',
        "xl/worksheets/sheet1.xml": ('<?xml version="1.0"?><worksheet xmlns="http://schemas.'
                                     'openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
                                     f"{cells}</sheetData></worksheet>").encode(),
    })


def odt(paragraphs: list[str]) -> bytes:
    body = "".join(f"<text:p>{p}</text:p>" for p in paragraphs)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.text",
                    compress_type=zipfile.ZIP_STORED)
        zf.writestr("META-INF/manifest.xml", '<?xml version="1.0"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"/>')
        zf.writestr("content.xml", '<?xml version="1.0"?><office:document-content '
                    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
                    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0">'
                    f"<office:body><office:text>{body}</office:text></office:body>"
                    "</office:document-content>")
    return out.getvalue()


def mail(subject: str, body: str = "Please see attached.", attachments=(),
         sender: str = "reception@glowclinic.example", to: str = "sam.patel@example.com",
         headers: dict[str, str] | None = None) -> bytes:
    """attachments: (filename, content type, bytes)."""
    msg = EmailMessage()
    msg["From"] = f"Glow Clinic <{sender}>"
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = "Tue, 24 Nov 2026 10:00:00 +0000"
    msg["Message-ID"] = f"<{time.time_ns()}@glowclinic.example>"
    for k, v in (headers or {}).items():
        msg[k] = v
    msg.set_content(body)
    for name, ctype, data in attachments:
        maintype, _, subtype = ctype.partition("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg.as_bytes(policy=SMTP)
