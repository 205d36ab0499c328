"""Identifiers in a document's internals: PDF document info and XMP, Word core and custom
properties, comments, headers and tracked deletions, hidden and very hidden sheets, cell
comments, slide notes. Each reaches every scanner with its own `where`."""
from __future__ import annotations

import documents as docs
import reading as rd

from gateway.content.extract import extract
from gateway.content.limits import Limits
from gateway.content.parse import parse

NAME, DOB, MOBILE, EMAIL, NHS, TREATMENT = rd.PATIENTS[0]
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"


def patient_where(result: dict) -> set[str]:
    return {f["where"] for f in result["findings"]
            if f["category"] == "patient_data" and f["severity"] == "high"}


def press_mail(subject: str, name: str, ctype: str, data: bytes) -> bytes:
    return docs.mail(subject, body="Please find the article attached for the next issue.",
                     attachments=[(name, ctype, data)], to="news@tradepress.example")


def test_pdf_document_info_and_custom_entries_are_read(tmp_path):
    pdf = rd.pdf_with_info("Case study: a late nodule after tear-trough filler, resolved.",
                           Title=f"{NAME} DOB {DOB} - nodule case",
                           Subject="tear trough review", Keywords="nodule; hyaluronidase",
                           PatientRef=f"NHS {NHS}")
    (att,) = extract("case.pdf", "application/pdf", pdf, Limits())
    meta = dict(att.texts)["metadata"]
    assert f"Title: {NAME} DOB {DOB}" in meta and f"PatientRef: NHS {NHS}" in meta
    (result,) = rd.scan(tmp_path, press_mail("case", "case.pdf", "application/pdf", pdf))
    assert result["action"] == "hold"
    assert patient_where(result) == {"attachment:case.pdf#metadata"}


def test_pdf_xmp_description_is_read():
    xmp = ('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/'
           '02/22-rdf-syntax-ns#"><rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/">'
           f'<dc:description><rdf:Alt><rdf:li xml:lang="x-default">Patient {NAME}, DOB {DOB}'
           '</rdf:li></rdf:Alt></dc:description></rdf:Description></rdf:RDF></x:xmpmeta>')
    import io

    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import DecodedStreamObject, NameObject
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(rd.pdf_with_info("Leaflet."))))
    stream = DecodedStreamObject()
    stream.set_data(xmp.encode())
    stream[NameObject("/Type")] = NameObject("/Metadata")
    stream[NameObject("/Subtype")] = NameObject("/XML")
    writer._root_object[NameObject("/Metadata")] = writer._add_object(stream)
    out = io.BytesIO()
    writer.write(out)
    (att,) = extract("leaflet.pdf", "application/pdf", out.getvalue(), Limits())
    assert f"Description: Patient {NAME}, DOB {DOB}" in dict(att.texts)["metadata"]


def test_word_comment_header_deletion_and_properties_are_read(tmp_path):
    cases = {
        "comment": rd.docx_with_internals(comment=f"This is {NAME}, DOB {DOB} - check consent"),
        "header": rd.docx_with_internals(header=f"Patient: {NAME}  NHS {NHS}"),
        "deleted": rd.docx_with_internals(deleted=f"Patient {NAME} (DOB {DOB}) had lip filler"),
        "title": rd.docx_with_internals(title=f"{NAME} DOB {DOB} complication"),
        "custom": rd.docx_with_internals(custom={"Patient": f"{NAME}", "NHS": NHS,
                                                 "DOB": DOB}),
    }
    results = rd.scan(tmp_path, *[press_mail(k, f"{k}.docx", DOCX, v) for k, v in cases.items()])
    for (kind, _), result in zip(cases.items(), results):
        assert result["action"] == "hold", (kind, result)
        expected = f"attachment:{kind}.docx#metadata" if kind in ("title", "custom") else \
            f"attachment:{kind}.docx"
        assert any(w.startswith(expected) for w in patient_where(result)), (kind, result)
    plain = rd.scan(tmp_path, press_mail("plain", "plain.docx", DOCX, rd.docx_with_internals(
        title="Why we say no", custom={"Department": "Marketing"})))[0]
    assert not patient_where(plain), plain


def test_hidden_and_very_hidden_sheets_and_cell_comments_are_read():
    book = rd.xlsx_workbook(
        {"Income": [["Month", "Income"], ["January", 1200], ["February", 1350]],
         "Clients": [["Name", "DOB", "Treatment"], *[[p[0], p[1], p[5]] for p in rd.PATIENTS]],
         "Contacts": [["Name", "Mobile"], *[[p[0], p[2]] for p in rd.PATIENTS]]},
        hidden={"Clients": "hidden", "Contacts": "veryHidden"},
        comments={("Income", "B2"): f"includes {NAME}'s refund, DOB {DOB}"})
    (att,) = extract("income.xlsx", XLSX, book, Limits())
    text = "\n".join(att.pages)
    assert all(p[0] in text and p[2] in text for p in rd.PATIENTS)
    assert f"includes {NAME}'s refund" in text


def test_slide_notes_are_read(tmp_path):
    deck = rd.pptx_with_notes("Delayed nodules", f"This is {NAME}, born {DOB}, from the "
                              "case on slide 3 - she had lip filler with us.")
    (att,) = extract("talk.pptx", PPTX, deck, Limits())
    assert any(NAME in page for page in att.pages)
    (result,) = rd.scan(tmp_path, press_mail("talk", "talk.pptx", PPTX, deck))
    assert result["action"] == "hold"


def test_metadata_parts_are_text_parts_of_their_own():
    msg = parse(press_mail("t", "t.docx", DOCX, rd.docx_with_internals(title="Aftercare")))
    parts = {p.where: p.text for p in msg.body_parts}
    assert parts["attachment:t.docx#metadata"].startswith("Title: Aftercare\n")
