"""Files inside files and text between parts: files embedded in PDFs, mail attached as a
file, TNEF winmail.dat, EPUB, the MIME preamble and epilogue, forwarded messages' headers;
all within the archive limits."""
from __future__ import annotations

import dataclasses
import shutil

import documents as docs
import reading as rd
from test_attachments import outcomes, send

from gateway.content.extract import extract
from gateway.content.limits import Limits
from gateway.content.parse import parse

NAME, DOB, MOBILE, EMAIL, NHS, TREATMENT = rd.PATIENTS[2]
NOTE = f"Patient: {NAME}\nDOB: {DOB}\nNHS number: {NHS}\nTreatment: {TREATMENT}\n".encode()


def held_for_patient(result: dict, where_prefix: str) -> bool:
    return result["action"] == "hold" and any(
        f["category"] == "patient_data" and f["severity"] == "high"
        and f["where"].startswith(where_prefix) for f in result["findings"])


def test_files_embedded_in_a_pdf_are_screened(tmp_path):
    inner_pdf = rd.pdf_with_info(f"Referral for {NAME}, DOB {DOB}, NHS {NHS}.")
    cases = {
        "text": rd.pdf_with_embedded({"note.txt": NOTE}),
        "pdf": rd.pdf_with_embedded({"referral.pdf": inner_pdf}),
        "annot": rd.pdf_with_embedded({"note.txt": NOTE}, annotation=True),
    }
    for kind, data in cases.items():
        atts = extract(f"{kind}.pdf", "application/pdf", data, Limits())
        assert len(atts) == 2 and atts[1].container == f"{kind}.pdf", (kind, atts)
    results = rd.scan(tmp_path, *[docs.mail(k, attachments=[(f"{k}.pdf", "application/pdf", v)])
                                  for k, v in cases.items()])
    for kind, result in zip(cases, results):
        assert held_for_patient(result, f"attachment:{kind}.pdf/"), (kind, result)


def test_embedded_files_count_against_the_archive_limits():
    data = rd.pdf_with_embedded({f"n{i}.txt": b"x" for i in range(6)})
    small = dataclasses.replace(Limits(), archive_max_files=3)
    (att,) = extract("many.pdf", "application/pdf", data, small)
    assert "more than 3 files" in att.over_limit
    deep = dataclasses.replace(Limits(), archive_max_depth=0)
    (att,) = extract("deep.pdf", "application/pdf", rd.pdf_with_embedded({"n.txt": NOTE}), deep)
    assert "nested deeper" in att.over_limit


def test_an_embedded_pdf_through_the_relay(make_relay, sink):
    relay = make_relay()
    send(relay.port, docs.mail("newsletter pdf", attachments=[
        ("newsletter.pdf", "application/pdf", rd.pdf_with_embedded({"note.txt": NOTE}))]))
    got = outcomes(relay, sink, ["newsletter pdf"])["newsletter pdf"]
    assert got["action"] == "hold" and "uk_nhs_number" in got["rules"], got


def test_mail_saved_as_a_file_is_read_with_its_attachments(tmp_path):
    inner = docs.mail("Hospital letter", body=f"Re: {NAME}, DOB {DOB}.",
                      attachments=[("note.txt", "text/plain", NOTE)])
    atts = extract("letter.eml", "application/octet-stream", inner, Limits())
    assert atts[0].real_type == "message/rfc822"
    assert "Subject: Hospital letter" in atts[0].pages[0] and NAME in atts[0].pages[0]
    assert [a.name for a in atts[1:]] == ["letter.eml/note.txt"]
    (result,) = rd.scan(tmp_path, docs.mail("fwd", attachments=[
        ("letter.eml", "application/octet-stream", inner)]))
    assert held_for_patient(result, "attachment:letter.eml")


def test_forwarded_message_subject_is_text(tmp_path):
    from email.message import EmailMessage
    from email.policy import SMTP

    inner = EmailMessage()
    inner["From"], inner["To"] = "ward@hospital.example", f"{NAME} <{EMAIL}>"
    inner["Subject"] = f"Your results, {NAME} (DOB {DOB})"
    inner.set_content("Please see the attached results.")
    outer = EmailMessage()
    outer["From"], outer["To"], outer["Subject"] = ("pm@glowclinic.example",
                                                    "me@webmail.example", "fwd")
    outer.set_content("for home")
    outer.add_attachment(inner)
    msg = parse(outer.as_bytes(policy=SMTP))
    forwarded = [p.text for p in msg.body_parts if p.where == "body#forwarded"]
    # the attached message's subject, then its body: both quoted text, not the sender's
    assert f"Subject: Your results, {NAME} (DOB {DOB})" in forwarded
    assert any("Please see the attached results." in t for t in forwarded)


def test_preamble_and_epilogue_are_read(tmp_path):
    raw = (f"From: reception@glowclinic.example\r\nTo: me@webmail.example\r\nSubject: notes\r\n"
           f"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
           f"Patient {NAME}, DOB {DOB}, NHS {NHS}\r\n--b1\r\nContent-Type: text/plain\r\n\r\n"
           f"See you tomorrow.\r\n--b1--\r\nMobile for {NAME}: {MOBILE}, {TREATMENT}\r\n").encode()
    msg = parse(raw)
    wheres = {p.where for p in msg.body_parts}
    assert {"body#preamble", "body#epilogue"} <= wheres
    (result,) = rd.scan(tmp_path, raw)
    assert held_for_patient(result, "body#preamble")


def test_winmail_dat_is_read(tmp_path):
    data = rd.tnef(f"Referral {NAME}", f"Patient {NAME}, DOB {DOB}, lip filler review.",
                   {"note.txt": NOTE})
    atts = extract("winmail.dat", "application/ms-tnef", data, Limits())
    assert atts[0].real_type == "application/vnd.ms-tnef", atts[0]
    assert f"Subject: Referral {NAME}" in atts[0].pages[0] and DOB in atts[0].pages[0]
    assert [a.name for a in atts[1:]] == ["winmail.dat/note.txt"]
    (result,) = rd.scan(tmp_path, docs.mail("tnef", attachments=[
        ("winmail.dat", "application/ms-tnef", data)]))
    assert held_for_patient(result, "attachment:winmail.dat")
    broken = extract("winmail.dat", "application/ms-tnef", data[:40], Limits())[0]
    assert broken.error or broken.pages  # never silently empty


def test_epub_text_and_rights_are_read(tmp_path):
    book = rd.epub(["Chapter one: skin anatomy for injectors.",
                    "Chapter two: assessing the ageing face."],
                   rights="All rights reserved. Licensed to one purchaser.",
                   publisher="Harbour Medical Press")
    (att,) = extract("guide.epub", "application/epub+zip", book, Limits())
    assert att.real_type == "application/epub+zip"
    assert any("skin anatomy" in p for p in att.pages)
    assert ("rights", "All rights reserved. Licensed to one purchaser.") in att.metadata
    assert "Publisher: Harbour Medical Press" in dict(att.texts)["metadata"]


def test_outlook_msg_is_read_with_its_attachments(tmp_path):
    import cfb

    data = cfb.outlook_msg(f"Referral {NAME}", f"Patient {NAME}, DOB {DOB}, had {TREATMENT}.",
                           "ward@hospital.example", "pm@glowclinic.example",
                           {"note.txt": NOTE, "scan.pdf": rd.pdf_with_info("Clinic letter.")})
    atts = extract("referral.msg", "application/vnd.ms-outlook", data, Limits())
    assert atts[0].real_type == "application/vnd.ms-outlook" and not atts[0].error
    assert f"Subject: Referral {NAME}" in atts[0].pages[0] and DOB in atts[0].pages[0]
    assert [a.name for a in atts[1:]] == ["referral.msg/note.txt", "referral.msg/scan.pdf"]
    (result,) = rd.scan(tmp_path, docs.mail("msg", attachments=[
        ("referral.msg", "application/vnd.ms-outlook", data)]))
    assert held_for_patient(result, "attachment:referral.msg")
    broken = extract("referral.msg", "application/vnd.ms-outlook", data[:1500], Limits())[0]
    assert broken.error or broken.over_limit  # unreadable, never a silent pass


def test_pictures_and_embedded_objects_in_office_files(tmp_path):
    import cfb

    poster = rd.text_image(["Spring offer", "Patient stories page 2"], size=(900, 200),
                           font_size=34)
    book = rd.xlsx_workbook({"Clients": rd.export_rows()})
    docx = rd.docx_with_picture_and_embedding(
        rd.encode(poster, "PNG"),
        {"Microsoft_Excel_Worksheet.xlsx": book,
         "oleObject1.bin": cfb.ole_package("referral_note.txt", NOTE)})
    DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    atts = extract("leaflet.docx", DOCX, docx, Limits())
    assert len(atts[0].images) == 1
    if shutil.which("tesseract"):
        assert "spring offer" in dict(atts[0].texts).get("image=1", "").lower()
    names = [a.name for a in atts[1:]]
    assert names == ["leaflet.docx/Microsoft_Excel_Worksheet.xlsx", "leaflet.docx/oleObject1.bin",
                     "leaflet.docx/oleObject1.bin/referral_note.txt"], names
    (result,) = rd.scan(tmp_path, docs.mail("leaflet", attachments=[("leaflet.docx", DOCX, docx)]))
    assert "patient_list" in rd.rules(result) and held_for_patient(
        result, "attachment:leaflet.docx/oleObject1.bin/referral_note.txt")
