"""Attachments (placeholder, replaced by the copyright-and-attachments issue).

Compares each attachment's real type (python-magic) with its name, and reports what
cannot be screened: executables, encrypted PDFs, files whose content could not be read.
"""
from __future__ import annotations

from pathlib import PurePosixPath
from typing import Iterator

from scanners.base import Attachment, Finding, ParsedMessage, Severity

EXECUTABLE_TYPES = {
    "application/x-dosexec", "application/x-executable", "application/x-sharedlib",
    "application/x-pie-executable", "application/x-mach-binary", "application/x-msdownload",
    "application/vnd.microsoft.portable-executable", "application/x-msi",
    "text/x-shellscript", "text/x-msdos-batch", "application/x-bat",
}
EXECUTABLE_SUFFIXES = {".exe", ".com", ".scr", ".bat", ".cmd", ".pif", ".msi", ".js", ".jse",
                       ".vbs", ".vbe", ".wsf", ".ps1", ".jar", ".sh", ".hta", ".lnk", ".dll"}
# suffix -> real types it may have
EXPECTED_TYPES = {
    ".pdf": ("application/pdf",),
    ".jpg": ("image/jpeg",), ".jpeg": ("image/jpeg",), ".png": ("image/png",),
    ".gif": ("image/gif",), ".heic": ("image/heic", "image/heif"),
    ".zip": ("application/zip",),
    ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document",
              "application/zip"),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
              "application/zip"),
    ".txt": ("text/",), ".csv": ("text/", "application/csv"),
}


class AttachmentScanner:
    name = "attachment"
    rules = {
        "attachment_executable": "An attachment is a program or script; these are never sent from a clinic.",
        "attachment_type_mismatch": "An attachment's content is not what its name says "
                                    "(a .pdf that is really a program, a .jpg that is a zip).",
        "pdf_encrypted": "An encrypted PDF: its content cannot be screened, so it is held.",
        "attachment_unreadable": "An attachment whose content could not be read (corrupt or unsupported), "
                                 "so it could not be screened.",
    }

    def scan(self, msg: ParsedMessage) -> Iterator[Finding]:
        for att in msg.attachments:
            yield from self._check(att)

    def _check(self, att: Attachment) -> Iterator[Finding]:
        suffix = PurePosixPath(att.name.lower()).suffix
        if att.real_type in EXECUTABLE_TYPES or suffix in EXECUTABLE_SUFFIXES:
            yield Finding("attachment", "attachment_executable", Severity.HIGH, att.where,
                          f"type {att.real_type}")
        elif suffix in EXPECTED_TYPES and not att.real_type.startswith(EXPECTED_TYPES[suffix]):
            yield Finding("attachment", "attachment_type_mismatch", Severity.MEDIUM, att.where,
                          f"named {suffix}, content is {att.real_type}")
        if att.encrypted:
            yield Finding("attachment", "pdf_encrypted", Severity.HIGH, att.where, "encrypted PDF")
        elif att.error:
            yield Finding("attachment", "attachment_unreadable", Severity.HIGH, att.where,
                          att.error[:120])
