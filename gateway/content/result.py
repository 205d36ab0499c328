"""What reading one file gives (Content), and what one attachment may unpack over all its
nested archives (Budget)."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Budget:
    """What one top-level attachment may unpack, over all its nested archives."""
    size: int
    files: int
    stopped: str = ""  # the first limit reached: nothing more is unpacked after it


@dataclass
class Content:
    pages: list[str] = field(default_factory=list)
    encrypted: bool = False
    error: str = ""
    over_limit: str = ""
    metadata: list[tuple[str, str]] = field(default_factory=list)
    page_count: int = 0
    no_text_pages: list[int] = field(default_factory=list)
    ocr_pages: list[int] = field(default_factory=list)
    images: list[bytes] = field(default_factory=list)  # pictures inside a PDF
    texts: list[tuple[str, str]] = field(default_factory=list)  # (kind, text): see Attachment
    unread: str = ""  # why an image's text was not read
    tables: list[tuple[str, tuple]] = field(default_factory=list)  # (label, rows): Attachment
    active: list[str] = field(default_factory=list)  # macros, script: see content/active.py
    members: list[tuple[str, bytes]] = field(default_factory=list)  # files inside (embedded
    # in a PDF, attached to a message): screened like archive members


@dataclass
class Reading:
    """What one message may still spend on OCR of images, over all its attachments."""
    images: int  # images that may still be read by OCR
    seconds: float  # wall-clock seconds of image OCR left
