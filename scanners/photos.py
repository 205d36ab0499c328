"""Photographs of people: faces found by OpenCV's Haar cascade (the model file ships inside
opencv-python-headless, `cv2.data`; pinned below 5, whose wheels have no cascades), and the
camera fields of EXIF (make, model, capture time, GPS) read with Pillow. HEIC from iPhones
is opened through pillow-heif. Nothing is downloaded; nothing leaves the process.

`examine(data)` decodes at most MAX_PIXELS (larger images are refused by Pillow's own
decompression-bomb guard, set here), scales the picture to at most DETECT_SIDE pixels on its
long side, and runs the frontal-face cascade: 40 to 130 ms a picture here (2 cores).
"""
from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from functools import lru_cache

MAX_PIXELS = 60_000_000
DETECT_SIDE = 800
MIN_FACE_FRACTION = 0.05  # smaller faces (a crowd, a distant figure) are not close-ups: not counted
SCALE_STEP = 1.15  # the cascade's scaleFactor: 1.1 finds no more faces here at twice the time
IMAGE_TYPES = ("image/jpeg", "image/png", "image/heic", "image/heif", "image/webp",
               "image/tiff", "image/bmp", "image/gif", "image/avif")

logging.getLogger("PIL").setLevel(logging.CRITICAL + 1)

_EXIF_MAKE, _EXIF_MODEL, _EXIF_IFD, _GPS_IFD = 0x010F, 0x0110, 0x8769, 0x8825
_EXIF_ORIGINAL = 0x9003


@dataclass(frozen=True, slots=True)
class PhotoFacts:
    faces: int = 0
    camera: str = ""  # "Apple iPhone 14" from EXIF make and model, "" if none
    taken: bool = False  # EXIF has a capture time
    gps: bool = False  # EXIF has a GPS position
    error: str = ""  # the picture could not be decoded

    @property
    def camera_exif(self) -> bool:
        return bool(self.camera or self.gps)


@lru_cache(maxsize=1)
def _cascade():
    import cv2

    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_alt2.xml")
    if cascade.empty():
        raise RuntimeError("OpenCV's face cascade could not be loaded")
    return cascade


@lru_cache(maxsize=1)
def _pillow():
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        import pillow_heif

        pillow_heif.register_heif_opener()
    except ImportError:  # HEIC then counts as undecodable
        pass
    return Image


def examine(data: bytes) -> PhotoFacts:
    Image = _pillow()
    try:
        with Image.open(io.BytesIO(data)) as im:
            camera, taken, gps = _exif(im)
            im.draft("L", (DETECT_SIDE, DETECT_SIDE))  # JPEG: decode at 1/2, 1/4 or 1/8 scale
            gray = im.convert("L")
    except Exception as e:  # broken, truncated, a bomb, an unknown format
        return PhotoFacts(error=type(e).__name__)
    return PhotoFacts(faces=count_faces(gray), camera=camera, taken=taken, gps=gps)


DHASH_DISTANCE = 10  # of 64 bits: the same picture resized, recompressed or lightly cropped


def dhash(data: bytes) -> int | None:
    """A 64-bit difference hash of a picture (each bit: is a pixel brighter than its right
    neighbour, on a 9x8 greyscale thumbnail); None if it cannot be decoded."""
    Image = _pillow()
    try:
        with Image.open(io.BytesIO(data)) as im:
            im.draft("L", (64, 64))
            small = im.convert("L").resize((9, 8), Image.Resampling.LANCZOS)
    except Exception:
        return None
    px = small.tobytes()
    bits = 0
    for row in range(8):
        for col in range(8):
            bits = (bits << 1) | (px[row * 9 + col] > px[row * 9 + col + 1])
    return bits


def same_picture(a: int, b: int) -> bool:
    return (a ^ b).bit_count() <= DHASH_DISTANCE


def count_faces(gray) -> int:
    """Frontal faces in a Pillow greyscale picture."""
    import numpy as np

    w, h = gray.size
    scale = min(1.0, DETECT_SIDE / max(w, h, 1))
    if scale < 1.0:
        gray = gray.resize((max(1, int(w * scale)), max(1, int(h * scale))))
    pixels = np.asarray(gray, dtype=np.uint8)
    side = min(pixels.shape[:2])
    if side < 48:
        return 0
    smallest = max(30, int(side * MIN_FACE_FRACTION))
    faces = _cascade().detectMultiScale(pixels, scaleFactor=SCALE_STEP, minNeighbors=5,
                                        minSize=(smallest, smallest))
    return len(faces)


def _exif(im) -> tuple[str, bool, bool]:
    try:
        exif = im.getexif()
    except Exception:
        return "", False, False
    make = str(exif.get(_EXIF_MAKE) or "").strip("\x00 ")
    model = str(exif.get(_EXIF_MODEL) or "").strip("\x00 ")
    camera = model if model.lower().startswith(make.lower()) else f"{make} {model}".strip()
    try:
        taken = bool(exif.get_ifd(_EXIF_IFD).get(_EXIF_ORIGINAL))
        gps = bool(exif.get_ifd(_GPS_IFD))
    except Exception:
        taken = gps = False
    return " ".join(camera.split())[:60], taken, gps
