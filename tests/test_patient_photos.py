"""Possible patient photographs: faces (OpenCV's Haar cascade) and camera EXIF, in JPEG, PNG,
HEIC and inside PDFs.

The pictures are made at test time from scikit-image's bundled sample images (a dev
dependency, no download): `astronaut` is a real portrait photograph (NASA, public domain),
in which the cascade finds one face; `coffee` (a cup of coffee) and `chelsea` (a cat) have
none. Camera EXIF is written with Pillow.
"""
from __future__ import annotations

import io

import pytest
from PIL import Image

from gateway.content.limits import Limits
from gateway.content.parse import parse
from scanners import photos
from scanners.base import Severity
from scanners.patient_data import PatientDataScanner

skdata = pytest.importorskip("skimage.data")
NO_OCR = Limits(ocr=False)


def picture(name: str, fmt: str = "JPEG", camera: bool = False, gps: bool = False) -> bytes:
    im = Image.fromarray(getattr(skdata, name)()).convert("RGB")
    exif = Image.Exif()
    if camera:
        exif[0x010F], exif[0x0110] = "Apple", "iPhone 14"
    if gps:
        exif[0x8825] = {1: "N", 2: (53.0, 48.0, 0.0), 3: "W", 4: (1.0, 33.0, 0.0)}
    out = io.BytesIO()
    if fmt == "HEIF":
        import pillow_heif

        pillow_heif.register_heif_opener()
    im.save(out, format=fmt, **({"exif": exif} if len(exif) else {}))
    return out.getvalue()


def mail(*attachments: tuple[str, str, bytes], body: str = "Photos attached.",
         to: str = "agency@example.com") -> bytes:
    boundary = "=_photo_test"
    parts = [f"--{boundary}\r\nContent-Type: text/plain\r\n\r\n{body}\r\n"]
    for name, ctype, data in attachments:
        import base64

        encoded = base64.encodebytes(data).decode().replace("\n", "\r\n")
        parts.append(f"--{boundary}\r\nContent-Type: {ctype}\r\nContent-Transfer-Encoding: base64"
                     f"\r\nContent-Disposition: attachment; filename=\"{name}\"\r\n\r\n{encoded}")
    return (f"From: Glow <reception@glowclinic.example>\r\nTo: {to}\r\n"
            f"Subject: photos\r\nMessage-ID: <p@x>\r\nMIME-Version: 1.0\r\n"
            f"Content-Type: multipart/mixed; boundary=\"{boundary}\"\r\n\r\n"
            + "".join(parts) + f"--{boundary}--\r\n").encode()


def photo_findings(raw: bytes):
    """Without OCR: faces, EXIF, names and the mail's words make a patient photo, never text
    Tesseract reads in it (a process for each picture; tests/test_reading_images.py reads)."""
    return [f for f in PatientDataScanner().scan(parse(raw, NO_OCR)) if f.rule == "patient_photo"]


def test_the_cascade_finds_the_face_in_a_portrait_and_none_in_a_cup_or_a_cat():
    assert photos.examine(picture("astronaut")).faces == 1
    assert photos.examine(picture("coffee")).faces == 0
    assert photos.examine(picture("chelsea")).faces == 0


def test_a_face_in_a_12_megapixel_phone_photo_is_found():
    canvas = Image.new("RGB", (4032, 3024), (200, 190, 180))
    canvas.paste(Image.fromarray(skdata.astronaut()).resize((1024, 1024)), (1500, 400))
    out = io.BytesIO()
    canvas.save(out, format="JPEG")
    assert photos.examine(out.getvalue()).faces == 1


def test_a_portrait_is_a_possible_patient_photo_in_jpeg_png_and_heic():
    for fmt, ctype, name in (("JPEG", "image/jpeg", "a.jpg"), ("PNG", "image/png", "a.png"),
                             ("HEIF", "image/heic", "a.heic")):
        found = photo_findings(mail((name, ctype, picture("astronaut", fmt))))
        assert [f.severity for f in found] == [Severity.MEDIUM], fmt
        assert found[0].where == f"attachment:{name}" and "1 face" in found[0].evidence


def test_camera_exif_and_clinical_context_make_it_high():
    found = photo_findings(mail(("IMG_0412.jpg", "image/jpeg", picture("astronaut", camera=True))))
    assert [f.severity for f in found] == [Severity.HIGH]
    assert "iPhone 14" in found[0].evidence
    found = photo_findings(mail(("face.jpg", "image/jpeg", picture("astronaut")),
                                body="Her lip filler result, two weeks on."))
    assert [f.severity for f in found] == [Severity.HIGH]


def test_a_before_and_after_pair_is_high():
    face = picture("astronaut")
    found = photo_findings(mail(("before.jpg", "image/jpeg", face), ("after.jpg", "image/jpeg", face)))
    assert [f.severity for f in found] == [Severity.HIGH, Severity.HIGH]


def test_camera_exif_without_a_face_is_low_and_a_plain_picture_is_nothing():
    found = photo_findings(mail(("cup.jpg", "image/jpeg", picture("coffee", camera=True, gps=True))))
    assert [f.severity for f in found] == [Severity.LOW]
    assert "GPS" in found[0].evidence and "iPhone" in found[0].evidence
    assert photo_findings(mail(("cup.jpg", "image/jpeg", picture("coffee")))) == []


def test_a_face_inside_a_pdf_is_found():
    from fpdf import FPDF

    doc = FPDF()
    doc.add_page()
    doc.set_font("Helvetica", size=10)
    doc.cell(0, 10, "Treatment record")
    doc.image(io.BytesIO(picture("astronaut")), x=20, y=30, w=80)
    doc.image(io.BytesIO(picture("coffee")), x=110, y=30, w=80)
    found = photo_findings(mail(("record.pdf", "application/pdf", bytes(doc.output()))))
    assert len(found) == 1 and found[0].where == "attachment:record.pdf#image=1"
    assert found[0].severity is Severity.HIGH  # "Treatment record": clinical context


def test_a_broken_image_is_not_a_crash():
    data = picture("astronaut")[:2000]
    assert photos.examine(data).faces == 0
    assert photo_findings(mail(("broken.jpg", "image/jpeg", b"\xff\xd8\xff garbage"))) == []


# -- pictures with no face: body areas, names and time points; whose picture it is --------

def test_a_zip_of_named_before_and_after_body_pictures_is_high():
    from documents import zip_file

    plain = picture("coffee")  # no face: a stand-in for a photo of a treated body area
    archive = zip_file({"shots/Megan_Howells_before.jpg": plain,
                        "shots/Megan_Howells_week12.jpg": plain})
    found = photo_findings(mail(("shots.zip", "application/zip", archive),
                                body="The body shots for the app screens, as promised."))
    assert [f.severity for f in found] == [Severity.HIGH, Severity.HIGH]
    assert "a name in the file name" in found[0].evidence
    assert "Megan" not in found[0].evidence  # the name itself is never shown


def test_a_body_area_and_time_point_in_the_file_name_of_clinical_mail_is_medium():
    plain = picture("coffee")
    found = photo_findings(mail(("jawline_3wk.jpg", "image/jpeg", plain),
                                body="Jawline at three weeks after 2 ml of filler: leave it?"))
    assert [f.severity for f in found] == [Severity.MEDIUM]
    # the premises, a product shot: nothing
    assert photo_findings(mail(("reception_desk.jpg", "image/jpeg", plain),
                               body="New reception desk for Monday's post.")) == []


def test_a_first_name_and_her_body_area_with_a_picture_is_medium():
    plain = picture("coffee")
    found = photo_findings(mail(("IMG_0091.jpg", "image/jpeg", plain),
                                body="This is Harriet's upper lip on day 2. Bruise or blanching?"))
    assert [f.severity for f in found] == [Severity.MEDIUM]
    assert photo_findings(mail(("IMG_0091.jpg", "image/jpeg", plain),
                               body="This is Harriet's new coffee machine for the waiting room.")) == []


def test_a_face_photo_is_the_recipients_only_when_the_text_says_so():
    face = picture("astronaut")

    def to(body):
        raw = mail(("ba.jpg", "image/jpeg", face), body=body).replace(
            b"To: agency@example.com", b"To: Ellie Ward <ellie@agency.example>")
        return photo_findings(raw)

    agency = to("Hi Ellie, new before and after for the carousel, logo in the corner please.")
    assert agency[0].severity is Severity.HIGH and agency[0].addressee == ""
    own = to("Hi Ellie, here are your before and after photos, just for you.")
    assert own[0].addressee.startswith("g:")  # her greeting and "your" photos: no full name


def test_the_senders_own_headshot_is_low():
    face = picture("astronaut", camera=True)
    found = photo_findings(mail(("portrait.jpg", "image/jpeg", face),
                                body="Here is my headshot for the byline, with my GMC number."))
    assert [f.severity for f in found] == [Severity.LOW]
    staff = photo_findings(mail(
        ("Harriet_Jonas.jpg", "image/jpeg", face),
        body="Harriet's profile photo for the meet the team page: she runs our filler clinics."))
    assert [f.severity for f in staff] == [Severity.LOW]


def test_a_camera_close_up_the_text_calls_a_before_and_after_of_lips_is_high():
    """No face (a close-up), no name: the text's before/after and the treated area make a
    camera photo a patient's picture."""
    lips = picture("coffee", camera=True)  # no face in it
    found = photo_findings(mail(("IMG_7781.jpg", "image/jpeg", lips),
                                body="Before on the left,\nafter on the right, her lips "
                                     "settled beautifully."))
    assert [f.severity for f in found] == [Severity.HIGH]


def test_before_and_after_without_a_camera_photo_or_a_treated_area_is_not():
    lips = picture("coffee", camera=True)
    found = photo_findings(mail(("IMG_7781.jpg", "image/jpeg", lips),
                                body="Before the refit and after it: the new waiting room."))
    assert [f.severity for f in found] == [Severity.LOW]
    drawn = picture("coffee")  # no camera data: a diagram or a stock picture
    assert photo_findings(mail(("module3.jpg", "image/jpeg", drawn),
                               body="Before and after diagrams for the lips module.")) == []


@pytest.mark.parametrize("body,prefix", [
    ("Hi Gráinne! Here's your before and after from the peel course like you asked.",
     "Grainne"),
    ("Noa!! Your two-week review pics are in and the jawline has settled beautifully.", "noa"),
    ("Dear Noa,\n\nAs you asked, here are the photos I took of your cheek today.", "cheek"),
])
def test_her_own_photos_to_her_alone_are_addressed_to_her(body, prefix):
    """Her own photos sent to her alone are hers (tagged by the policy, not held): a greeting
    with an accented name, a message opened with her name alone, "the photos I took of your
    cheek" with nobody's name in the file names. The same mail to someone else is not
    addressed to them."""
    face = picture("astronaut")
    first = "Grainne" if "Gráinne" in body else "Noa"  # headers and file names in ASCII
    pair = ((f"{prefix}_before.jpg", "image/jpeg", face), (f"{prefix}_after.jpg", "image/jpeg", face))
    mine = photo_findings(mail(*pair, body=body, to=f"{first} Hegarty <nh@example.net>"))
    assert mine and all(f.addressee for f in mine), mine
    other = photo_findings(mail(*pair, body=body, to="Karen Smith <ks@example.net>"))
    assert other and not any(f.addressee for f in other), other
