"""Images: the text a picture shows (Tesseract OCR), what its QR codes say (OpenCV) and the
text of its metadata (EXIF, IPTC, XMP, PNG text chunks), read in an isolated child like
PDFs are.

Which images are read: every image attachment, inline picture (multipart/related `cid:`
parts, data: URIs) and archive member that Pillow opens (PNG, JPEG, GIF and WebP first frame,
TIFF up to MAX_TIFF_PAGES pages, BMP, HEIC/HEIF through pillow-heif). Images too small to hold text (icons, logos,
signature badges, tracking pixels: under MIN_SIDE pixels on a side or MIN_PIXELS in all) are
not read; small ones (screenshots at 1x) are read at up to twice their size, where Tesseract
reads 12 px text far better; large ones (phone photos) are scaled down to OCR_MAX_PIXELS.

The message's `Reading` bounds the cost: at most `ocr_max_images` images and `ocr_seconds`
of OCR per message, `image_seconds` per image. Past the cap, without Tesseract, or with OCR
off, an image that looks like a document or screenshot (a plain background that covers much
of it, and sharp edges: text) is said to be unread (`unread`: image_not_read, tagged);
photos are left to the photo check. An image Pillow
cannot decode (truncated, corrupt) is an `error`: the attachment scanner reports it.
"""
from __future__ import annotations

import io
import time
import warnings

import cv2
import numpy as np

from gateway.content import ocr as ocr_engine
from gateway.content.isolate import run_isolated
from gateway.content.metadata import image_text_fields, labelled
from gateway.content.result import Content, Reading

try:  # HEIC/HEIF photos from iPhones; registered here, before any child is forked
    import pillow_heif
    pillow_heif.register_heif_opener()
except Exception:  # pragma: no cover - pillow-heif is a dependency; a broken install reads no HEIC
    pass

MIN_SIDE = 24  # an image narrower or lower than this holds no readable text
MIN_PIXELS = 15_000  # nor one with fewer pixels than this (120 x 125, a logo or an icon)
MAX_ASPECT = 60  # a strip longer than this many times its width is not read (image_not_read)
MAX_PIXELS = 80_000_000  # larger images are not decoded at all (decompression bombs)
UPSCALE_SMALL = 1000  # longest side: smaller images are read at twice their size,
UPSCALE_BELOW = 1600  # and these at 1.5 times (screenshots at 1x have 12-14 px text)
UPSCALED_MAX_PIXELS = 4_000_000  # but an image is not enlarged past this
OCR_MAX_PIXELS = 6_000_000  # larger images are scaled down to this before OCR
BRIGHT_TEXT = 225  # grey level from which a pixel may be part of white caption letters
MIN_OCR_SECONDS = 1.0
MAX_TIFF_PAGES = 10  # pages of a multi-page TIFF read (within the image's deadline)  # with less time than this left for the message, an image is not read
QR_MAX_SIDE = 1600  # pictures are searched for QR codes at most this size (longest side)
MAX_QR = 5  # QR codes taken from one picture


def image_content(data: bytes, limits, reading: Reading | None) -> Content:
    """Read one image in a child process within the message's Reading (None: no cap)."""
    if reading is None:
        reading = Reading(limits.ocr_max_images, limits.ocr_seconds)
    want_ocr = limits.ocr and ocr_engine.tesseract() is not None
    may_ocr = want_ocr and reading.images > 0 and reading.seconds >= MIN_OCR_SECONDS
    seconds = min(limits.image_seconds, reading.seconds) if may_ocr else limits.image_seconds
    started = time.monotonic()
    outcome, value = run_isolated(_read_image, seconds + 1.0, data, may_ocr, seconds)
    if may_ocr:
        reading.seconds -= time.monotonic() - started
    if outcome == "timeout":
        if may_ocr:
            reading.images -= 1
        return Content(unread=f"reading the image took over {seconds:g} s")
    if outcome != "ok":
        return Content(error=f"image reader failed ({value})")
    content, facts = value
    if facts.get("ocr_done"):
        reading.images -= 1
    if facts.get("needs_ocr") and not content.error and facts.get("documentish"):
        # past the message's cap only pictures that look like documents or screenshots are
        # said to be unread: a newsletter's product photos are not worth a finding each
        if want_ocr and not may_ocr:
            content.unread = (f"over the limit of {limits.ocr_max_images} images read by OCR "
                              "per message" if reading.images <= 0 else
                              f"over the limit of {limits.ocr_seconds:g} s of image OCR per "
                              "message")
        elif not want_ocr:
            content.unread = ("looks like a document or screenshot; OCR is off" if
                              ocr_engine.tesseract() is not None else
                              "looks like a document or screenshot; Tesseract is not installed")
    return content


def _read_image(data: bytes, may_ocr: bool, seconds: float):
    """In the child: (Content, facts). facts: needs_ocr (big enough to hold text but not
    read), ocr_done, documentish."""
    from PIL import Image

    deadline = time.monotonic() + seconds
    content, facts = Content(), {}
    warnings.simplefilter("ignore")
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        im = Image.open(io.BytesIO(data))
        width, height = im.size
        if width * height > MAX_PIXELS:
            content.over_limit = f"image of {width} x {height} pixels: too large to read"
            return content, facts
        if max(width, height) > MAX_ASPECT * max(1, min(width, height)) and \
                min(width, height) >= MIN_SIDE:
            content.unread = f"image of {width} x {height} pixels: too thin a strip to read"
            return content, facts
        fields = image_text_fields(im)
        if fields:
            content.texts.append(("metadata", labelled(fields)))
        im.seek(0)
        if im.format == "JPEG" and width * height > OCR_MAX_PIXELS:
            # decode at a reduced scale straight from the DCT: far less work on huge photos
            scale = (OCR_MAX_PIXELS / (width * height)) ** 0.5
            im.draft("RGB" if im.mode not in ("L", "1") else "L",
                     (max(1, int(width * scale)), max(1, int(height * scale))))
        im.load()  # decodes the first frame: a truncated or corrupt image fails here
    except Exception as e:  # Pillow raises many kinds on hostile input
        content.error = f"image could not be decoded: {type(e).__name__}"
        return content, facts
    if width < MIN_SIDE or height < MIN_SIDE or width * height < MIN_PIXELS:
        return content, facts  # an icon, a logo, a tracking pixel: no text to read
    gray = _grayscale(im)
    codes = qr_codes(gray)
    if codes:  # what a phone shows when it scans the picture: a link, a contact, text
        content.texts.append(("qr", "\n".join(codes)))
    if not may_ocr:
        facts["needs_ocr"] = True
        facts["documentish"] = looks_like_document(gray)
        return content, facts
    gray = _ocr_size(gray)
    documentish = looks_like_document(gray)
    text = _ocr(gray, deadline)
    facts["ocr_done"] = True
    if text is None:
        facts["documentish"] = documentish
        content.unread = "OCR failed or ran out of time"
        return content, facts
    if not documentish:
        # a picture: captions are often white letters with a dark outline over the photo
        # (memes, posters), which Tesseract misses where the photo behind is dark; read
        # the brightest pixels alone as black on white
        bright = _ocr(gray.point(lambda v: 0 if v >= BRIGHT_TEXT else 255), deadline)
        if bright and bright.strip() and bright.strip() not in text:
            text = f"{text.strip()}\n\n{bright.strip()}"
    if text.strip():
        content.texts.insert(0, ("image", text.strip()))
    frames = getattr(im, "n_frames", 1) if im.format == "TIFF" else 1
    if frames > 1:  # a multi-page scan or fax: its further pages, within the same deadline
        _tiff_pages(im, frames, deadline, content)
    return content, facts


def _tiff_pages(im, frames: int, deadline: float, content: Content) -> None:
    pages = []
    for k in range(1, min(frames, MAX_TIFF_PAGES)):
        if deadline - time.monotonic() < MIN_OCR_SECONDS:
            content.over_limit = f"TIFF of {frames} pages: pages {k + 1} on not read in time"
            break
        try:
            im.seek(k)
            im.load()
        except Exception as e:
            content.error = f"TIFF page {k + 1} could not be decoded: {type(e).__name__}"
            break
        text = _ocr(_ocr_size(_grayscale(im)), deadline)
        if text is None:
            content.over_limit = f"TIFF of {frames} pages: page {k + 1} not read in time"
            break
        if text.strip():
            pages.append(text.strip())
    else:
        if frames > MAX_TIFF_PAGES:
            content.over_limit = f"TIFF of {frames} pages: only the first {MAX_TIFF_PAGES} read"
    if pages:
        text = "\n\n".join(pages)
        if content.texts and content.texts[0][0] == "image":
            content.texts[0] = ("image", content.texts[0][1] + "\n\n" + text)
        else:
            content.texts.insert(0, ("image", text))


def qr_codes(gray) -> list[str]:
    """The text of the QR codes in a picture (a greyscale PIL image), found by OpenCV's
    ArUco-based detector, else its classic one (each reads some codes the other misses:
    small, turned or blurred ones), at most QR_MAX_SIDE pixels on the longest side."""
    width, height = gray.size
    scale = QR_MAX_SIDE / max(width, height)
    if scale < 1:
        gray = gray.resize((max(1, int(width * scale)), max(1, int(height * scale))))
    pixels = np.asarray(gray)
    for detector in (cv2.QRCodeDetectorAruco, cv2.QRCodeDetector):
        try:
            found, texts, _, _ = detector().detectAndDecodeMulti(pixels)
        except cv2.error:
            continue
        texts = [" ".join(t.split())[:2000] for t in texts if t.strip()] if found else []
        if texts:
            return list(dict.fromkeys(texts))[:MAX_QR]
    return []


def _ocr(gray, deadline: float) -> str | None:
    return ocr_engine.ocr_pgm(b"P5\n%d %d\n255\n" % gray.size + gray.tobytes(),
                              deadline - time.monotonic())


def _grayscale(im):
    """The first frame upright (EXIF orientation), on white where it is transparent, grey."""
    from PIL import Image, ImageOps

    try:
        im = ImageOps.exif_transpose(im)
    except Exception:  # a broken orientation tag: read it as stored
        pass
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        im = Image.alpha_composite(background, rgba)
    return im.convert("L")


def _ocr_size(gray):
    from PIL import Image

    width, height = gray.size
    longest = max(width, height)
    scale = 2.0 if longest < UPSCALE_SMALL else 1.5 if longest < UPSCALE_BELOW else 1.0
    if scale > 1 and width * height * scale * scale > UPSCALED_MAX_PIXELS:
        scale = max(1.0, (UPSCALED_MAX_PIXELS / (width * height)) ** 0.5)
    if width * height * scale * scale > OCR_MAX_PIXELS:
        scale = (OCR_MAX_PIXELS / (width * height)) ** 0.5
    if abs(scale - 1.0) > 0.01:
        size = (max(1, int(width * scale)), max(1, int(height * scale)))
        gray = gray.resize(size, Image.LANCZOS if scale > 1 else Image.BILINEAR)
    return gray


def looks_like_document(gray) -> bool:
    """A screenshot, a scan or a photo of a page rather than a picture: one plain tone
    (the page or the window) covers much of it, and it has many sharp edges (letters)."""
    import numpy as np

    small = gray.copy()
    small.thumbnail((512, 512))
    a = np.asarray(small, dtype=np.int16)
    if a.size == 0:
        return False
    counts = np.bincount((a // 16).ravel(), minlength=16)
    background = counts.max() / a.size
    edges = (np.abs(np.diff(a, axis=1)) > 60).mean() + (np.abs(np.diff(a, axis=0)) > 60).mean()
    return background >= 0.35 and 0.01 <= edges <= 0.5
