"""Text that exists only as pixels or in an image's metadata: OCR of image attachments and
inline pictures in every common format, within the message's limits, and what happens
when an image cannot be read (corrupt, no Tesseract, over the cap)."""
from __future__ import annotations

import dataclasses
import itertools
import os
import shutil
import time
from types import SimpleNamespace

import documents as docs
import pytest
import reading as rd
from PIL import Image, PngImagePlugin
from test_attachments import outcomes, send

from gateway.content import images, ocr
from gateway.content.extract import extract
from gateway.content.limits import Limits
from gateway.content.parse import parse

HAS_TESSERACT = shutil.which("tesseract") is not None


def needs_ocr(test):
    """Reads pictures with Tesseract, a process a picture: the slow tier (`ocr`)."""
    return pytest.mark.ocr(pytest.mark.skipif(not HAS_TESSERACT,
                                              reason="tesseract-ocr is not installed")(test))


def image_mail(subject: str, name: str, ctype: str, data: bytes, **kw) -> bytes:
    return docs.mail(subject, body="As discussed, see attached.",
                     attachments=[(name, ctype, data)], to="bookings@printshop.example", **kw)


@needs_ocr
def test_a_diary_screenshot_is_read_and_held(tmp_path):
    png = rd.encode(rd.diary_screenshot(), "PNG")
    (result,) = rd.scan(tmp_path, image_mail("diary", "Screenshot.png", "image/png", png))
    assert result["action"] == "hold"
    found = rd.rules(result)
    patient = [f for f in result["findings"] if f["category"] == "patient_data"]
    assert patient and all(f["where"] == "attachment:Screenshot.png#image" for f in patient)
    assert "date_of_birth" in found or "patient_name_clinical" in found, found


@needs_ocr
@pytest.mark.parametrize("fmt,ctype,name", [
    ("JPEG", "image/jpeg", "page.jpg"), ("GIF", "image/gif", "page.gif"),
    ("TIFF", "image/tiff", "page.tif"), ("WEBP", "image/webp", "page.webp"),
    ("HEIF", "image/heic", "page.heic")])
def test_every_common_image_format_is_read(fmt, ctype, name):
    if fmt == "HEIF":
        pytest.importorskip("pillow_heif")
    im = rd.text_image(["Patient Harriet Quill", f"NHS number {rd.PATIENTS[0][4]}"],
                       size=(700, 160), font_size=22)
    data = rd.encode(im, fmt, **({"quality": 90} if fmt in ("JPEG", "WEBP", "HEIF") else {}))
    (att,) = extract(name, ctype, data, Limits())
    assert not att.error and not att.unread, (att.error, att.unread)
    text = dict(att.texts).get("image", "")
    assert "Harriet Quill" in text and rd.PATIENTS[0][4] in text.replace(" ", ""), text


@needs_ocr
def test_an_inline_cid_picture_is_read_like_an_attachment():
    """A promotion whose price is only in the picture of an HTML newsletter."""
    from email.message import EmailMessage
    from email.policy import SMTP

    poster = rd.text_image(["BOTOX weekend offer", "Three areas for 199 pounds - book now"],
                           size=(800, 200), font_size=28)
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = ("news@glowclinic.example",
                                              "list@lists.sendwave.example", "Our weekend")
    msg.set_content("See our weekend news.")
    msg.add_alternative('<p>See our weekend news.</p><img src="cid:promo1">', subtype="html")
    msg.get_payload()[1].add_related(rd.encode(poster, "PNG"), "image", "png", cid="<promo1>")
    parsed = parse(msg.as_bytes(policy=SMTP))
    image_parts = [p for p in parsed.body_parts if p.where.endswith("#image")]
    assert len(image_parts) == 1 and "BOTOX" in image_parts[0].text.upper()


@needs_ocr
def test_white_captions_over_a_dark_photo_are_read():
    """A meme: white letters with a dark outline over a photograph."""
    from PIL import ImageDraw, ImageFont

    im = rd.photo().resize((600, 400)).convert("RGB")
    draw = ImageDraw.Draw(im)
    font = ImageFont.truetype(rd.FONT.replace("DejaVuSans", "DejaVuSans-Bold"), 40)
    draw.text((30, 330), "USELESS AS EVER", font=font, fill="white", stroke_width=3,
              stroke_fill="black")
    (att,) = extract("meme.jpg", "image/jpeg", rd.encode(im, "JPEG", quality=92), Limits())
    assert "USELESS" in dict(att.texts).get("image", "").upper()


def test_tiny_images_are_not_read(monkeypatch):
    calls = []
    monkeypatch.setattr(ocr, "ocr_pgm", lambda *a: calls.append(a) or "x")
    for size in [(1, 1), (32, 32), (120, 90)]:  # a tracking pixel, an icon, a logo
        (att,) = extract("logo.png", "image/png", rd.encode(Image.new("RGB", size, "red"), "PNG"),
                         Limits())
        assert not att.error and not att.unread and not att.over_limit and not att.texts
    assert calls == []


def test_huge_images_are_scaled_down_before_ocr(monkeypatch):
    def fake(pgm: bytes, timeout: float):  # runs in the image's child: answers with the size
        width, height = map(int, pgm.split(b"\n")[1].split())
        return f"{width * height}"
    monkeypatch.setattr(ocr, "ocr_pgm", fake)
    monkeypatch.setattr(ocr, "tesseract", lambda: "/usr/bin/tesseract")
    big = Image.new("L", (5000, 4000), 255)
    (att,) = extract("big.png", "image/png", rd.encode(big, "PNG"), Limits())
    assert 4_000_000 < int(dict(att.texts)["image"].split()[0]) <= 6_000_000


def test_a_corrupt_image_is_tagged_never_passed(tmp_path):
    jpeg = rd.encode(rd.photo(), "JPEG")
    truncated = jpeg[:600]  # the header, then nothing
    (result,) = rd.scan(tmp_path, image_mail("corrupt", "waiting_room.jpg", "image/jpeg",
                                             truncated))
    (finding,) = rd.rules(result)["image_unreadable"]
    assert finding["severity"] == "medium" and result["action"] in ("tag", "hold")


def test_without_tesseract_a_screenshot_is_tagged_and_a_photo_is_not(monkeypatch):
    monkeypatch.setattr(ocr, "tesseract", lambda: None)
    (shot,) = extract("shot.png", "image/png", rd.encode(rd.diary_screenshot(), "PNG"), Limits())
    assert "Tesseract is not installed" in shot.unread
    (cup,) = extract("cup.jpg", "image/jpeg", rd.encode(rd.photo(), "JPEG"), Limits())
    assert cup.unread == "" and not cup.error
    from scanners.attachments import AttachmentScanner
    msg = parse(image_mail("no ocr", "shot.png", "image/png", rd.encode(rd.diary_screenshot(),
                                                                        "PNG")))
    (finding,) = [f for f in AttachmentScanner().scan(msg) if f.rule == "image_not_read"]
    assert str(finding.severity) == "medium"


def test_ocr_off_in_the_config_is_like_no_tesseract():
    limits = dataclasses.replace(Limits(), ocr=False)
    (shot,) = extract("shot.png", "image/png", rd.encode(rd.diary_screenshot(), "PNG"), limits)
    assert "OCR is off" in shot.unread or "not installed" in shot.unread


def test_screenshots_past_the_cap_are_tagged_and_photos_left_alone(monkeypatch):
    monkeypatch.setattr(ocr, "ocr_pgm", lambda *a: "read")
    monkeypatch.setattr(ocr, "tesseract", lambda: "/usr/bin/tesseract")
    png = rd.encode(rd.diary_screenshot(), "PNG")
    cup = rd.encode(rd.photo(), "JPEG")
    limits = dataclasses.replace(Limits(), ocr_max_images=2)
    msg = parse(docs.mail("four", attachments=[(f"s{i}.png", "image/png", png)
                                               for i in range(3)] + [("cup.jpg", "image/jpeg",
                                                                      cup)]), limits)
    read = [a for a in msg.attachments if dict(a.texts).get("image") == "read"]
    capped = [a for a in msg.attachments if a.unread]
    assert len(read) == 2 and [a.name for a in capped] == ["s2.png"]
    assert "over the limit of 2 images read by OCR per message" in capped[0].unread
    from scanners.attachments import AttachmentScanner
    (finding,) = [f for f in AttachmentScanner().scan(msg) if f.rule == "image_not_read"]
    assert str(finding.severity) == "medium" and finding.where == "attachment:s2.png"


def test_an_image_reader_that_hangs_is_killed_at_its_deadline(monkeypatch):
    monkeypatch.setattr(ocr, "tesseract", lambda: "/usr/bin/tesseract")
    monkeypatch.setattr(ocr, "ocr_pgm", lambda *a: time.sleep(60))
    limits = dataclasses.replace(Limits(), image_seconds=0.5)
    (att,) = extract("shot.png", "image/png", rd.encode(rd.diary_screenshot(), "PNG"), limits)
    assert "took over 0.5 s" in att.unread  # killed, not left to its 60 s sleep


def test_text_in_image_metadata_reaches_the_scanners(tmp_path):
    """EXIF ImageDescription, UserComment and XPComment, and a PNG iTXt chunk."""
    name, dob = rd.PATIENTS[1][0], rd.PATIENTS[1][1]
    cup = rd.photo()
    exif = Image.Exif()
    exif[0x010E] = f"Before photo {name} DOB {dob} anti-wrinkle"
    exif[0x9C9C] = f"client {name}".encode("utf-16-le")
    exif.get_ifd(0x8769)[0x9286] = b"ASCII\x00\x00\x00" + f"{name} follow-up".encode()
    jpeg = rd.encode(cup, "JPEG", exif=exif)
    (att,) = extract("cup.jpg", "image/jpeg", jpeg, Limits())
    meta = dict(att.texts)["metadata"]
    assert f"Description: Before photo {name}" in meta and f"Comment: client {name}" in meta
    assert f"User comment: {name} follow-up" in meta

    info = PngImagePlugin.PngInfo()
    info.add_itxt("Description", f"{name}, date of birth {dob}, lip filler review")
    info.add_text("Software", "ignored")
    png = rd.encode(Image.new("RGB", (200, 200), "white"), "PNG", pnginfo=info)
    (result,) = rd.scan(tmp_path, image_mail("room", "room.png", "image/png", png))
    where = {f["where"] for f in result["findings"] if f["category"] == "patient_data"}
    assert where == {"attachment:room.png#metadata"}, result
    assert result["action"] == "hold"


@needs_ocr
def test_the_ocr_budget_is_charged_per_message_and_the_rest_are_said_unread(monkeypatch):
    """The budget is a message's wall clock of OCR. With a clock on which each image takes
    50 s, a 100 s budget reads the first two screenshots and calls the other eight unread with
    the reason; how fast this machine reads them never decides the verdict (each read image
    still gets 50 s of real time)."""
    shots = [rd.encode(rd.text_image([f"Page {i}"] + [f"{p[0]} {p[1]}" for p in rd.PATIENTS]),
                       "PNG") for i in range(10)]
    raw = docs.mail("ten", attachments=[(f"s{i}.png", "image/png", s)
                                        for i, s in enumerate(shots)])
    ticks, parent = itertools.count(0, 50), os.getpid()  # read before and after: 50 s each

    def clock():  # the readers' own deadlines (in their child processes) keep the real clock
        return next(ticks) if os.getpid() == parent else time.monotonic()

    monkeypatch.setattr(images, "time", SimpleNamespace(monotonic=clock))
    msg = parse(raw, dataclasses.replace(Limits(), ocr_seconds=100.0, image_seconds=60.0))
    read = [p.where for p in msg.body_parts if p.where.endswith("#image")]
    unread = {a.name: a.unread for a in msg.attachments if a.unread}
    assert read == ["attachment:s0.png#image", "attachment:s1.png#image"], read
    assert sorted(unread) == [f"s{i}.png" for i in range(2, 10)]
    assert set(unread.values()) == {"over the limit of 100 s of image OCR per message"}


@needs_ocr
def test_screenshots_through_the_relay(make_relay, sink):
    relay = make_relay()
    png = rd.encode(rd.diary_screenshot(), "PNG")
    cup = rd.encode(rd.photo(), "JPEG")
    cases = {"diary shot": (("diary.png", "image/png", png), "hold"),
             "cup photo": (("cup.jpg", "image/jpeg", cup), "pass")}
    for subject, (att, _) in cases.items():
        send(relay.port, docs.mail(subject, body="Hello, see attached.", attachments=[att]))
    got = outcomes(relay, sink, list(cases))
    for subject, (_, action) in cases.items():
        assert got[subject]["action"] == action, (subject, got[subject])


@needs_ocr
def test_a_picture_inside_a_text_pdf_is_read():
    """A leaflet whose offer (or watermark) is only in the picture placed on its page."""
    import io

    from fpdf import FPDF

    poster = rd.text_image(["STOCKPIX PREVIEW - licence required"], size=(900, 160), font_size=40)
    buf = io.BytesIO()
    poster.save(buf, "PNG")
    doc = FPDF()
    doc.add_page()
    doc.set_font("Helvetica", "", 12)
    doc.multi_cell(0, 6, "Spring leaflet draft: skin care evenings at the clinic.")
    doc.image(buf, x=10, y=40, w=180)
    (att,) = extract("leaflet.pdf", "application/pdf", bytes(doc.output()), Limits())
    assert "licence required" in dict(att.texts).get("image=1", "").lower()


def test_the_mime_notice_in_a_preamble_is_not_text():
    raw = (b"From: a@glowclinic.example\r\nTo: b@example.com\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: multipart/mixed; boundary=b\r\n\r\nThis is a multi-part message in "
           b"MIME format.\r\n--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b--\r\n")
    assert [p.where for p in parse(raw).body_parts] == ["body"]


@needs_ocr
def test_a_data_uri_picture_in_an_html_body_is_read():
    import base64
    from email.message import EmailMessage
    from email.policy import SMTP

    poster = rd.text_image(["Anti-wrinkle offer", "Book now for Friday"], size=(800, 200),
                           font_size=30)
    b64 = base64.b64encode(rd.encode(poster, "PNG")).decode()
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "a@glowclinic.example", "b@example.com", "news"
    msg.set_content("news")
    msg.add_alternative(f'<p>News</p><img src="data:image/png;base64,{b64}">', subtype="html")
    parsed = parse(msg.as_bytes(policy=SMTP))
    assert [a.name for a in parsed.attachments] == ["inline-image-1"]
    (text,) = [p.text for p in parsed.body_parts if p.where == "attachment:inline-image-1#image"]
    assert "book now" in text.lower()


@needs_ocr
def test_every_page_of_a_multipage_tiff_is_read():
    import io

    first = rd.text_image(["Fax cover sheet", "To: records"], size=(700, 160), font_size=24)
    second = rd.text_image(["Patient Harriet Quill", f"DOB {rd.PATIENTS[0][1]}"], size=(700, 160),
                           font_size=24)
    out = io.BytesIO()
    first.save(out, "TIFF", save_all=True, append_images=[second])
    (att,) = extract("fax.tif", "image/tiff", out.getvalue(), Limits())
    text = dict(att.texts)["image"]
    assert "Fax cover" in text and "Harriet Quill" in text and not att.over_limit
