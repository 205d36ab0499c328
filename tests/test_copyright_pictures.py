"""Copyright in what pictures show (issue 11): stock watermarks read by OCR in an image or in
a picture inside a PDF, photographed book pages, and the hard negatives next to each (the
clinic's own photo with its own credit, a licensed stock photo sent with its licence, a
screenshot of a web page with its footer). Also Welsh rights and licence wording. Issue 22:
someone else's copyright line only inside a picture put on the clinic's own material, and a
photograph whose licence fields keep it off paper sent to print."""
from __future__ import annotations

import io
import shutil

import documents as docs
import pytest
import reading as rd

from gateway.content.parse import parse
from scanners.base import Severity
from scanners.copyright import CopyrightScanner

pytestmark = pytest.mark.ocr  # every picture here is read by Tesseract: the slow tier
needs_ocr = pytest.mark.skipif(shutil.which("tesseract") is None,
                               reason="tesseract-ocr is not installed")


def copyright_findings(raw: bytes) -> dict[str, list]:
    out: dict[str, list] = {}
    for f in CopyrightScanner().scan(parse(raw)):
        out.setdefault(f.rule, []).append(f)
    return out


def highest(found: dict[str, list]) -> Severity | None:
    return max((f.severity for fs in found.values() for f in fs), default=None)


def picture(lines, size=(900, 420), font_size=30) -> bytes:
    return rd.encode(rd.text_image(lines, size=size, font_size=font_size), "JPEG", quality=92)


def to_agency(body: str, name: str, data: bytes, ctype: str = "image/jpeg") -> bytes:
    return docs.mail("Image for the spring poster", body=body,
                     attachments=[(name, ctype, data)], to="studio@brightpixel.example")


@needs_ocr
def test_a_stock_preview_with_its_watermark_is_held():
    preview = picture(["", "lumenframe.example  PREVIEW", "", "Image #7730451 - buy a licence",
                       "", "lumenframe.example  PREVIEW"])
    found = copyright_findings(to_agency("This one is perfect for the poster.", "poster.jpg",
                                         preview))
    (mark,) = found["image_watermark"]
    assert mark.severity is Severity.HIGH and mark.where == "attachment:poster.jpg#image"
    capital = picture(["", "lensvault.example   PREVIEW", "", "lensvault.example   PREVIEW"])
    assert "image_watermark" in copyright_findings(to_agency("Poster.", "b.jpg", capital))
    site = picture(["", "WATERMARKED COPY", "", "lensvault.example", ""])
    assert "image_watermark" in copyright_findings(to_agency("For the poster.", "a.jpg", site))
    named = picture(["", "", "Shutterstock", "", ""])
    assert copyright_findings(to_agency("For the poster.", "waiting.jpg", named))[
        "image_watermark"][0].severity is Severity.HIGH


@needs_ocr
def test_a_safety_poster_a_competition_or_an_order_preview_is_not_a_watermark():
    poster = picture(["Beware unlicensed toxin sold online", "", "Report it: mhra.example",
                      "Preview the warning signs inside"])
    found = copyright_findings(to_agency("Poster for the waiting room.", "poster.jpg", poster))
    assert "image_watermark" not in found
    print_preview = picture(["Print preview", "Order summary - lumina.example", "2 items"])
    assert "image_watermark" not in copyright_findings(
        to_agency("Is this order right?", "order.png", print_preview))
    competition = picture(["Enter our summer comp!", "Win a skincare hamper",
                           "(c) 2025 Lumina Skincare", "Order #2291847 preview"])
    assert "image_watermark" not in copyright_findings(
        to_agency("Poster for the waiting room.", "comp.jpg", competition))


@needs_ocr
def test_the_clinics_own_photo_with_its_own_credit_is_not_a_watermark():
    own = picture(["", "Photo: Glow Clinic treatment room", "", "(c) 2025 Glow Clinic"])
    found = copyright_findings(to_agency("Our room photo for the poster.", "room.jpg", own))
    assert "image_watermark" not in found
    assert highest(found) in (None, Severity.LOW), found


def test_asking_for_a_watermark_to_be_cropped_out_is_high_and_adding_ours_is_nothing():
    photo = rd.encode(rd.photo(), "JPEG")
    found = copyright_findings(to_agency("Can you crop the watermark off the bottom before "
                                         "it goes on the poster?", "coffee.jpg", photo))
    assert found["image_watermark"][0].severity is Severity.HIGH
    ours = copyright_findings(to_agency("Please add our watermark to the corner of this one.",
                                        "coffee.jpg", photo))
    assert "image_watermark" not in ours


def test_a_preview_file_name_is_a_watermark_but_a_phone_photo_name_is_not():
    photo = rd.encode(rd.photo(), "JPEG")
    found = copyright_findings(to_agency("For the poster.", "lumenframe_5518230_preview.jpg",
                                         photo))
    assert found["image_watermark"][0].severity is Severity.HIGH
    assert "image_watermark" not in copyright_findings(
        to_agency("For the poster.", "IMG_20250301_101522.jpg", photo))


def test_a_licensed_stock_photo_sent_with_its_licence_is_not_held():
    """The licensed download carries the library's name in its metadata, not a watermark."""
    im = rd.photo()
    exif = im.getexif()
    exif[0x8298] = "Shutterstock"  # EXIF Copyright
    data = rd.encode(im, "JPEG", exif=exif)
    licensed = copyright_findings(to_agency(
        "Here is the image for the website. We bought the standard licence; the licence "
        "confirmation is attached as well.", "shutterstock_2291847.jpg", data))
    assert highest(licensed) in (None, Severity.LOW), licensed
    # ... also with the library's licence confirmation attached (headed as such, with the
    # library's rights footer): the record of the clinic's purchase, not a work
    confirmation = docs.pdf([["Licence confirmation", "Licensee: Glow Clinic Ltd. Image "
                              "2291847, standard licence for web and print.",
                              "(c) 2025 Shutterstock, Inc. All rights reserved."]])
    with_pdf = copyright_findings(docs.mail(
        "Website image", body="The hero image for the website, with its licence confirmation.",
        attachments=[("shutterstock_2291847.jpg", "image/jpeg", data),
                     ("licence.pdf", "application/pdf", confirmation)],
        to="dev@webagency.example"))
    assert highest(with_pdf) in (None, Severity.LOW), with_pdf
    unlicensed = copyright_findings(to_agency("Found this one for the website.",
                                              "room.jpg", data))
    assert unlicensed["image_stock_photo"][0].severity is Severity.MEDIUM


@needs_ocr
def test_a_watermarked_picture_inside_a_pdf_leaflet_is_held():
    from fpdf import FPDF

    poster = rd.text_image(["", "UNLICENSED PREVIEW", "photostockhub.example"], size=(900, 300),
                           font_size=40)
    buf = io.BytesIO()
    poster.save(buf, "PNG")
    doc = FPDF()
    doc.add_page()
    doc.set_font("Helvetica", "", 12)
    doc.multi_cell(0, 6, "Summer skin evenings at Glow Clinic: peels and skin boosters.")
    doc.image(buf, x=10, y=40, w=180)
    found = copyright_findings(docs.mail("Leaflet for print", body="Artwork attached, 500 A5.",
                                         attachments=[("leaflet.pdf", "application/pdf",
                                                       bytes(doc.output()))],
                                         to="orders@printworks.example"))
    (mark,) = found["image_watermark"]
    assert mark.severity is Severity.HIGH and mark.where == "attachment:leaflet.pdf#image=1"


@needs_ocr
def test_a_photographed_book_page_is_a_published_work_but_a_web_footer_is_only_tagged():
    page = picture(["Chapter 9  Vascular occlusion", "",
                    "Table 9.3 Warning signs by region and time of onset",
                    "Blanching, livedo, pain out of proportion.", "",
                    "(c) 2021 Northfield Medical Publishing. All rights reserved.   p. 214"],
                   size=(1200, 460), font_size=28)
    found = copyright_findings(to_agency("pages from the book", "IMG_4410.jpg", page))
    (work,) = found["copyright_published_work"]
    assert work.severity is Severity.HIGH and "book page" in work.evidence
    footer = rd.encode(rd.text_image(["Bookings - Tuesday", "No appointments match your filter.",
                                      "", "(c) 2025 Diarybase Ltd. All rights reserved."],
                                     size=(1200, 400), font_size=28), "PNG")
    shot = copyright_findings(to_agency("The diary shows nothing?", "screenshot.png", footer,
                                        "image/png"))
    assert highest(shot) is Severity.MEDIUM, shot
    assert "copyright_published_work" not in shot


@needs_ocr
def test_the_clinics_own_protocol_page_photographed_is_its_own():
    page = picture(["Chapter 2  Aftercare", "Table 2.1 What to avoid for 24 hours",
                    "(c) 2025 Glow Clinic. All rights reserved.  p. 4"], size=(1200, 360),
                   font_size=28)
    found = copyright_findings(to_agency("our protocol page", "IMG_5001.jpg", page))
    assert highest(found) in (None, Severity.LOW), found


def _welsh_mail(sender: str, body: str, manual: str) -> bytes:
    return (f"From: {sender}\r\nTo: Gwen <gwen@clinigarall.example>\r\nSubject: Llawlyfr\r\n"
            "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
            f"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
            "--b\r\nContent-Type: text/plain; charset=utf-8; name=llawlyfr.txt\r\n"
            "Content-Disposition: attachment; filename=llawlyfr.txt\r\n\r\n"
            f"{manual}\r\n--b--\r\n").encode()


def test_welsh_licence_and_rights_wording_is_read_like_english():
    manual = ("Cwrs Llenwyr Uwch - Modiwl 2. Trwydded i Dr Elin Hughes yn unig. "
              "Hawlfraint © 2025 Academi Hyfforddi Gogledd. Cedwir pob hawl.")
    found = copyright_findings(_welsh_mail("Rhys Evans <rhys@croenglan.example>",
                                           "Dyma'r llawlyfr.", manual))
    assert found["copyright_licence_restricted"][0].severity is Severity.HIGH
    assert found["copyright_rights_reserved"][0].severity is Severity.HIGH
    # the Welsh e-mail disclaimer restricts nothing the clinic bought
    disclaimer = ("Welwn ni chi ddydd Gwener.\r\n\r\nMae'r neges hon yn gyfrinachol. Os ydych "
                  "wedi ei derbyn trwy gamgymeriad, peidiwch â'i rhannu a rhowch wybod i ni.")
    assert "copyright_licence_restricted" not in copyright_findings(
        _welsh_mail("Rhys Evans <rhys@croenglan.example>", disclaimer, "Rhestr prisiau 2025."))


@needs_ocr
def test_book_pages_the_mail_calls_a_book_are_held_without_a_notice_and_our_handbook_is_not():
    page = picture(["Chapter 4  Assessing the lips", "",
                    "Table 4.2 Volumes by area for a first treatment",
                    "Vermilion border, body, philtral columns.", "", "118"],
                   size=(1200, 420), font_size=28)
    found = copyright_findings(to_agency("photos of the pages from the anatomy book you asked "
                                         "about", "IMG_6021.jpg", page))
    assert found["copyright_published_work"][0].severity is Severity.HIGH
    again = copyright_findings(to_agency("chapter 4 from the lips textbook", "IMG_6023.jpg", page))
    assert again["copyright_published_work"][0].severity is Severity.HIGH
    figure = picture(["Figure 3.2 Depth of the angular artery", "",
                      "Adapted from the original drawing"], size=(1200, 300), font_size=28)
    assert copyright_findings(to_agency("the figure from the anatomy paper we discussed",
                                        "fig.png", figure))["copyright_published_work"]
    ours = copyright_findings(to_agency("photos of the pages from our training handbook",
                                        "IMG_6022.jpg", page))
    assert highest(ours) in (None, Severity.LOW), ours


def test_a_watermark_the_mail_says_to_ignore_is_high():
    photo = rd.encode(rd.photo(), "JPEG")
    found = copyright_findings(to_agency("Use this on the homepage, ignore the watermark, it "
                                         "won't show once it's small.", "hero.jpg", photo))
    assert found["image_watermark"][0].severity is Severity.HIGH


def test_a_picture_the_mail_says_came_off_the_internet_is_tagged_and_our_own_is_not():
    photo = rd.encode(rd.photo(), "JPEG")
    found = copyright_findings(to_agency("Found this picture on Google, can it go on the "
                                         "leaflet?", "coffee.jpg", photo))
    assert found["image_from_web"][0].severity is Severity.MEDIUM
    ours = copyright_findings(to_agency("This photo is from our website gallery, can it go on "
                                        "the leaflet?", "coffee.jpg", photo))
    assert "image_from_web" not in ours
    booking = copyright_findings(to_agency("The photo from online booking shows the wrong room, "
                                           "can you fix it?", "coffee.jpg", photo))
    assert "image_from_web" not in booking


def test_a_stock_photo_placed_in_a_word_leaflet_is_known_by_its_own_credit():
    im = rd.photo()
    exif = im.getexif()
    exif[0x8298] = "Getty Images"  # EXIF Copyright of the placed picture
    leaflet = rd.docx_with_picture_and_embedding(picture=rd.encode(im, "JPEG", exif=exif))
    docx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    found = copyright_findings(docs.mail("Leaflet", body="Leaflet for print, 500 please.",
                                         attachments=[("leaflet.docx", docx, leaflet)],
                                         to="orders@printworks.example"))
    (stock,) = found["image_stock_photo"]
    assert stock.severity is Severity.MEDIUM and stock.where == "attachment:leaflet.docx#image=1"
    own = rd.photo().getexif()
    own[0x8298] = "Glow Clinic"
    ours = rd.docx_with_picture_and_embedding(picture=rd.encode(rd.photo(), "JPEG", exif=own))
    assert not copyright_findings(docs.mail("Leaflet", body="Leaflet for print.",
                                            attachments=[("leaflet.docx", docx, ours)],
                                            to="orders@printworks.example"))


def test_a_stock_preview_known_only_by_its_metadata_is_held():
    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    xmp = ('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/'
           '02/22-rdf-syntax-ns#"><rdf:Description xmlns:photoshop="http://ns.adobe.com/'
           'photoshop/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/"><photoshop:Credit>'
           'Getty Images</photoshop:Credit><dc:title><rdf:Alt><rdf:li xml:lang="x-default">'
           'Comp image, not for publication</rdf:li></rdf:Alt></dc:title></rdf:Description>'
           '</rdf:RDF></x:xmpmeta>')
    info = PngInfo()
    info.add_itxt("XML:com.adobe.xmp", xmp)
    out = io.BytesIO()
    Image.new("RGB", (400, 300), (120, 140, 160)).save(out, "PNG", pnginfo=info)
    found = copyright_findings(to_agency("For the website banner.", "banner.png", out.getvalue(),
                                         "image/png"))
    assert found["image_watermark"][0].severity is Severity.HIGH, found
    assert "image_stock_photo" not in found


@needs_ocr
def test_a_scanned_rights_reserved_pdf_page_stays_high():
    text = docs.pdf([["Consent in aesthetic practice: a review.", docs.LOREM,
                      "All rights reserved. No part of this publication may be reproduced."]],
                    size=14)
    found = copyright_findings(docs.mail("Article", attachments=[
        ("scan.pdf", "application/pdf", docs.image_only(text))], to="amy@otherclinic.example"))
    assert found["copyright_rights_reserved"][0].severity is Severity.HIGH, found


# -- rights in a picture's own text and in its licence fields (issue 22) ---------------------

def _verdicts(tmp_path, *mails: bytes) -> list[tuple[str, Severity | None]]:
    """(action, highest copyright severity) of each mail, through `mailscreen scan`."""
    out = []
    for result in rd.scan(tmp_path, *mails):
        found = [Severity.parse(f["severity"]) for f in result["findings"]
                 if f["category"] == "copyright"]
        out.append((result["action"], max(found, default=None)))
    return out


@needs_ocr
def test_a_rivals_artwork_for_our_flyer_is_held_our_own_or_a_look_is_not(tmp_path):
    def artwork(holder: str) -> bytes:
        return picture(["SUMMER GLOW FACIAL", "Only 49 pounds this June", "",
                        f"(c) 2025 {holder}. All rights reserved."])

    flyer = "Hi Jo,\n\nCan you put this on our summer flyer with our logo? 500 copies.\n\nAnna"
    rival = artwork("Radiance Skin Clinic Ltd")
    found = copyright_findings(to_agency(flyer, "summer.jpg", rival))
    (reused,) = found["image_third_party_artwork"]
    assert reused.where == "attachment:summer.jpg#image" and "Radiance" in reused.evidence
    assert "image_third_party_artwork" in copyright_findings(
        to_agency("Please print 200 of these for reception.", "summer.jpg", rival))
    look = "Hi Jo,\n\nHave you seen what Radiance are doing this summer? Cheeky.\n\nAnna"
    assert _verdicts(tmp_path, to_agency(flyer, "summer.jpg", rival),
                     to_agency(flyer, "summer.jpg", artwork("Glow Clinic")),
                     docs.mail("Seen this?", body=look, attachments=[
                         ("summer.jpg", "image/jpeg", rival)], to="mia@glowclinic.example")) \
        == [("hold", Severity.HIGH), ("pass", None), ("pass", Severity.MEDIUM)]


def test_a_web_only_licence_sent_to_print_is_held_one_that_allows_print_is_not(tmp_path):
    printed = "Hi Jo,\n\nHere is the photo for the printed leaflet and the A1 poster.\n\nAnna"
    online = "Hi Jo,\n\nHere is the photo for the blog post on our website.\n\nAnna"

    def sent(terms: str, body: str = printed) -> bytes:
        return docs.mail("Photo", body=body, to="jo@printstudio.example", attachments=[
            ("room.jpg", "image/jpeg", rd.photo_with_rights(terms))])

    found = copyright_findings(sent("Web use only"))
    (use,) = found["image_licence_print"]
    assert use.severity is Severity.HIGH and "Web use only" in use.evidence
    verdicts = _verdicts(tmp_path, sent("Web use only"),
                         sent("Licensed for website use only. Not for print."),
                         sent("Editorial use only"), sent("Licensed for print and web use"),
                         sent("Print and web use only"), sent("Web use only", online),
                         sent("Web use only", "For the website, not for print please."))
    assert verdicts[:3] == [("hold", Severity.HIGH)] * 3, verdicts
    assert all(action == "pass" and (worst is None or worst <= Severity.LOW)
               for action, worst in verdicts[3:]), verdicts
