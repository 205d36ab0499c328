"""How much of a message and its attachments may be read (from [scan])."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    max_parts: int = 500
    max_depth: int = 20
    max_pdf_pages: int = 500
    # attachment content (gateway/content/); the defaults are those of [scan]
    pdf_seconds: float = 10.0
    ocr: bool = True
    ocr_max_pages: int = 20
    ocr_max_images: int = 10  # images read by OCR per message; past it: image_not_read
    image_seconds: float = 8.0  # wall clock per image (decode, OCR, metadata)
    ocr_seconds: float = 20.0  # wall clock of image OCR per message, all images together
    archive_max_depth: int = 3
    archive_max_files: int = 1000
    archive_max_size: int = 200 * 1024 * 1024
    archive_max_ratio: float = 200.0
