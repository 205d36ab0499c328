"""QR codes in pictures (issue 22): decoded with OpenCV, the link they lead to reaches every
scanner as text (attachment:NAME#qr), and a code that leads to a sign-in page that is not
the sender's own is held (qr_login_link); one to the clinic's own booking site, or to a
plain page with no sign-in lure, is not. The codes are made with OpenCV's encoder and
drawn turned and JPEG-compressed, as a pasted or photographed code is.

Domains end in .example; the addresses are from the documentation ranges."""
from __future__ import annotations

import documents as docs
import reading as rd

from gateway.content.extract import extract
from gateway.content.limits import Limits


def send(name: str, ctype: str, data: bytes, body: str, to: str) -> bytes:
    return docs.mail("Rota", body=body, attachments=[(name, ctype, data)], to=to)


def test_qr_codes_in_pictures_are_decoded():
    lure = rd.qr_flyer("https://glowclinic-staff.example/signin?next=payroll")
    (att,) = extract("rota.jpg", "image/jpeg", lure, Limits())
    assert dict(att.texts)["qr"] == "https://glowclinic-staff.example/signin?next=payroll"
    # a picture placed in a document: its code is read too
    (att,) = extract("rota.docx", "application/vnd.openxmlformats-officedocument."
                     "wordprocessingml.document", rd.docx_with_picture_and_embedding(lure),
                     Limits())
    assert "https://glowclinic-staff.example/signin" in dict(att.texts)["qr=1"]
    (att,) = extract("cup.jpg", "image/jpeg", rd.encode(rd.photo(), "JPEG"), Limits())
    assert "qr" not in dict(att.texts)


def test_a_qr_code_to_a_sign_in_page_is_held_one_to_the_clinics_site_is_not(tmp_path):
    body = "Hi all,\n\nNew rota system from Monday: scan the code on the flyer.\n\nAnna"
    mails = [send("rota.jpg", "image/jpeg", rd.qr_flyer(url), body, "staff@locums.example")
             for url in ("https://glowclinic-staff.example/signin?next=payroll",
                         "http://198.51.100.23/verify-account",
                         "https://booking.glowclinic.example/",
                         "https://www.skinleaflets.example/aftercare/lip-filler")]
    results = rd.scan(tmp_path, *mails)
    assert [r["action"] for r in results] == ["hold", "hold", "pass", "pass"], results
    (qr,) = [f for f in results[0]["findings"] if f["rule"] == "qr_login_link"]
    assert qr["severity"] == "high" and qr["where"] == "attachment:rota.jpg#qr"
    assert not [f for r in results[2:] for f in r["findings"] if f["rule"] == "qr_login_link"]


