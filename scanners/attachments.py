"""Attachments: what each one really is, and whether its content could be screened.

The gateway (gateway/content/) has identified every attachment and archive member by its
bytes (python-magic) and read what it could. This scanner compares the real type with the
name and the declared Content-Type, and reports, always high, what could not be screened:
programs and scripts, encrypted files, unreadable files, PDF pages with no text (and no OCR),
and anything over the configured limits (page count, time, archive size, file count,
compression ratio, nesting). The default policy holds all of those (fail closed).

A QR code in a picture (decoded by gateway/content/images.py) is a link a phone opens
outside the mail: one that leads to a sign-in page on a site that is not the sender's own
is held as a phishing lure, whatever the mail says around it.
"""
from __future__ import annotations

import ipaddress
import re
from pathlib import PurePosixPath
from typing import Iterator
from urllib.parse import urlsplit

from scanners.base import Attachment, Finding, ParsedMessage, Severity

CATEGORY = "attachment"
EXECUTABLE_TYPES = {
    "application/x-dosexec", "application/x-executable", "application/x-sharedlib",
    "application/x-pie-executable", "application/x-mach-binary", "application/x-msdownload",
    "application/vnd.microsoft.portable-executable", "application/x-msi",
    "text/x-shellscript", "text/x-msdos-batch", "application/x-bat", "application/x-elf",
    "application/java-archive", "application/x-java-applet", "text/x-perl", "text/x-python",
    "text/x-php", "application/x-ms-shortcut", "application/hta", "application/x-object",
    "application/x-coff", "application/x-ms-installer",
}
EXECUTABLE_SUFFIXES = {".exe", ".com", ".scr", ".bat", ".cmd", ".pif", ".msi", ".js", ".jse",
                       ".vbs", ".vbe", ".wsf", ".wsh", ".ps1", ".psm1", ".jar", ".sh", ".hta",
                       ".lnk", ".dll", ".cpl", ".msc", ".reg", ".apk", ".app", ".appx",
                       ".msix", ".py", ".pl", ".php", ".elf", ".so"}
# (not .bin: Outlook names parts it cannot name ATT00001.bin; their content is checked)
_DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
# suffix -> real types (or type prefixes) its content may have
EXPECTED_TYPES = {
    ".pdf": ("application/pdf",),
    ".jpg": ("image/jpeg",), ".jpeg": ("image/jpeg",), ".png": ("image/png",),
    ".gif": ("image/gif",), ".heic": ("image/heic", "image/heif"), ".webp": ("image/webp",),
    ".tif": ("image/tiff",), ".tiff": ("image/tiff",), ".bmp": ("image/bmp", "image/x-ms-bmp"),
    ".zip": ("application/zip",),
    ".docx": (_DOCX, "application/zip"), ".xlsx": (_XLSX, "application/zip"),
    ".pptx": (_PPTX, "application/zip"),
    ".odt": ("application/vnd.oasis.opendocument.text", "application/zip"),
    ".ods": ("application/vnd.oasis.opendocument.spreadsheet", "application/zip"),
    ".doc": ("application/msword", "application/CDFV2", "application/x-ole-storage"),
    ".xls": ("application/vnd.ms-excel", "application/CDFV2", "application/x-ole-storage"),
    ".txt": ("text/",), ".csv": ("text/", "application/csv"), ".rtf": ("text/rtf",),
    ".html": ("text/html", "text/xml"), ".htm": ("text/html", "text/xml"),
    ".mp4": ("video/",), ".mov": ("video/",), ".mp3": ("audio/",),
}
# declared Content-Type -> real types it may have (checked when the name says nothing)
DECLARED_TYPES = {
    "application/pdf": ("application/pdf",),
    "image/": ("image/",), "video/": ("video/",), "audio/": ("audio/",),
    "application/zip": ("application/zip",),
    _DOCX: (_DOCX, "application/zip"), _XLSX: (_XLSX, "application/zip"),
}


class AttachmentScanner:
    name = "attachment"
    rules = {
        "attachment_executable": "An attachment is a program or script; these are never sent "
                                 "from a clinic.",
        "attachment_type_mismatch": "An attachment's content is not what its name or declared "
                                    "type says (a .pdf that is really a program, a .jpg that "
                                    "is a zip).",
        "pdf_encrypted": "An encrypted PDF: its content cannot be screened, so it is held.",
        "attachment_encrypted": "A password-protected archive or office document: its content "
                                "cannot be screened, so it is held.",
        "attachment_unreadable": "An attachment whose content could not be read (corrupt or "
                                 "unsupported), so it could not be screened.",
        "pdf_no_text": "PDF pages with images but no text (a scan) that OCR did not read "
                       "(Tesseract missing or off, or over its page or time limit), so they "
                       "could not be screened.",
        "attachment_too_large": "An attachment over a screening limit (PDF pages, seconds per "
                                "document, or an archive's depth, size, file count or "
                                "compression ratio: a zip bomb), so it was not fully screened.",
        "image_unreadable": "An image that cannot be decoded (corrupt or truncated), so what it "
                            "shows could not be screened; medium.",
        "attachment_macro": "An Office document with VBA macros (oletools): medium; high when "
                            "a macro runs on opening and can write files or run programs "
                            "(MacroRaptor), or when the file is named as a type that holds "
                            "no macros (.docx, .xlsx, .pptx).",
        "html_active_content": "An HTML or SVG attachment that sends the reader elsewhere "
                               "(meta refresh, script setting the location) or has a form "
                               "posting to another site or asking for a password: high; "
                               "other script: medium.",
        "image_not_read": "An image that looks like a document or screenshot whose text was "
                          "not read (Tesseract missing or off, OCR failed, or past the limit "
                          "of images or seconds of OCR per message); medium.",
        "qr_login_link": "A QR code in a picture that leads to a sign-in page (login, sign "
                         "in, verify, password or account in its address, a bare IP address, "
                         "or a picture that asks to log in) on a site that is not the "
                         "sender's own: a phishing lure; high.",
    }

    def scan(self, msg: ParsedMessage, views=None) -> Iterator[Finding]:
        own = msg.sender.rpartition("@")[2].lower()
        for att in msg.attachments:
            yield from self._check(att)
            yield from _qr_links(att, own)

    def _check(self, att: Attachment) -> Iterator[Finding]:
        suffix = PurePosixPath(att.name.lower()).suffix
        if att.real_type in EXECUTABLE_TYPES or suffix in EXECUTABLE_SUFFIXES:
            yield Finding(CATEGORY, "attachment_executable", Severity.HIGH, att.where,
                          f"type {att.real_type}")
        else:
            mismatch = _mismatch(att, suffix)
            if mismatch:
                yield Finding(CATEGORY, "attachment_type_mismatch", Severity.MEDIUM, att.where,
                              mismatch)
        if att.encrypted:
            rule = "pdf_encrypted" if att.is_pdf or suffix == ".pdf" else "attachment_encrypted"
            yield Finding(CATEGORY, rule, Severity.HIGH, att.where,
                          "encrypted PDF" if rule == "pdf_encrypted" else f"encrypted {att.real_type}")
        elif att.error and _is_image(att):
            yield Finding(CATEGORY, "image_unreadable", Severity.MEDIUM, att.where,
                          att.error[:160])
        elif att.error:
            yield Finding(CATEGORY, "attachment_unreadable", Severity.HIGH, att.where,
                          att.error[:160])
        if att.active:
            yield from _active(att, suffix)
        if att.unread:
            yield Finding(CATEGORY, "image_not_read", Severity.MEDIUM, att.where,
                          att.unread[:160])
        if att.over_limit:
            yield Finding(CATEGORY, "attachment_too_large", Severity.HIGH, att.where,
                          att.over_limit[:160])
        if att.no_text_pages:
            pages = [p + 1 for p in att.no_text_pages]
            listed = ", ".join(map(str, pages[:8])) + (" ..." if len(pages) > 8 else "")
            total = att.page_count or len(att.pages)
            yield Finding(CATEGORY, "pdf_no_text", Severity.HIGH, f"{att.where}#page={pages[0]}",
                          f"{len(pages)} of {total} page(s) with no text: {listed}")


# a sign-in page, by its address or by what the picture around the code says
_SIGN_IN = re.compile(r"log[-_ ]?[io]n|log[-_]?on|sign[-_ ]?[io]n|signon|\bauth\b|authenticat|"
                      r"oauth|\bsso\b|verif(?:y|ication)|password|passwd|credential|"
                      r"account(?!ant)|webmail|\b[26]fa\b|\bmfa\b|\botp\b", re.IGNORECASE)
_SIGN_IN_ASKED = re.compile(r"\b(?:log ?in|sign ?in|log on) (?:to|with|using|now|here)\b|"
                            r"\bverify (?:your|the) (?:account|identity|login|e-?mail)|"
                            r"\b(?:enter|confirm|update|reset) (?:your )?(?:password|login|"
                            r"credentials)", re.IGNORECASE)


def _qr_links(att: Attachment, own: str) -> Iterator[Finding]:
    """qr_login_link: a QR code ("qr", or "qr=N" for the Nth picture in a document) whose
    link leads to a sign-in page that is not on the sender's own domain."""
    texts = dict(att.texts)
    for kind, text in att.texts:
        if kind.partition("=")[0] != "qr":
            continue
        picture = texts.get("image" + kind[2:], "")  # what the picture says around the code
        for link in text.splitlines():
            why = _sign_in_link(link, own, picture)
            if why:
                yield Finding(CATEGORY, "qr_login_link", Severity.HIGH, f"{att.where}#{kind}",
                              why[:160])
                break


def _sign_in_link(link: str, own: str, picture: str) -> str:
    """Why `link` reads as a sign-in page off the sender's own site, or ""."""
    if not re.match(r"(?i)(?:https?://|www\.)\S+$", link.strip()):
        return ""  # a contact card, Wi-Fi details or text: read by the other scanners
    parts = urlsplit(link.strip() if "://" in link else "http://" + link.strip())
    host = (parts.hostname or "").lower().rstrip(".")
    if not host or own and (host == own or host.endswith("." + own)):
        return ""
    try:
        ipaddress.ip_address(host)
        return f"QR code leads to a bare IP address ({host})"
    except ValueError:
        pass
    word = _SIGN_IN.search(f"{host}{parts.path}?{parts.query}")
    if word:
        return f"QR code leads to {host}: \"{word.group(0)}\" in its address"
    if "@" in parts.netloc or host.startswith("xn--") or ".xn--" in host:
        return f"QR code leads to a disguised address ({host})"
    asked = _SIGN_IN_ASKED.search(picture)
    if asked:
        return f"QR code leads to {host}; the picture says \"{asked.group(0)}\""
    return ""


_MACRO_FREE = {".docx", ".xlsx", ".pptx", ".odt", ".ods", ".odp", ".pdf", ".rtf", ".txt",
               ".csv"}


def _active(att: Attachment, suffix: str) -> Iterator[Finding]:
    facts = {f.partition(":")[0]: [] for f in att.active}
    for f in att.active:
        kind, _, detail = f.partition(":")
        if detail:
            facts[kind].append(detail)
    if "macros" in facts:
        why = ["VBA macros"]
        if facts.get("autoexec"):
            why.append("run on opening (" + ", ".join(facts["autoexec"][:3]) + ")")
        if facts.get("mraptor"):
            why.append("write or execute (MacroRaptor " + facts["mraptor"][0] + ")")
        disguised = suffix in _MACRO_FREE
        if disguised:
            why.append(f"named {suffix}")
        high = disguised or bool(facts.get("autoexec") and facts.get("mraptor"))
        yield Finding(CATEGORY, "attachment_macro", Severity.HIGH if high else Severity.MEDIUM,
                      att.where, "; ".join(why)[:160])
    if "redirect" in facts or "form" in facts:
        what = [("redirects elsewhere" if h == "elsewhere" else f"redirects to {h}")
                for h in facts.get("redirect", [])[:2]] + \
            [("asks for a password" if h == "password" else f"form posts to {h}")
             for h in facts.get("form", [])[:2]]
        yield Finding(CATEGORY, "html_active_content", Severity.HIGH, att.where,
                      "; ".join(what)[:160])
    elif "script" in facts:
        yield Finding(CATEGORY, "html_active_content", Severity.MEDIUM, att.where,
                      "runs script")


def _is_image(att: Attachment) -> bool:
    return att.real_type.startswith("image/") and att.real_type != "image/svg+xml"


def _mismatch(att: Attachment, suffix: str) -> str:
    real = att.real_type
    if suffix in EXPECTED_TYPES:
        if not real.startswith(EXPECTED_TYPES[suffix]):
            return f"named {suffix}, content is {real}"
        return ""
    declared = att.declared_type.lower()
    for prefix, allowed in DECLARED_TYPES.items():
        if declared.startswith(prefix) and not real.startswith(allowed) and \
                real != "application/x-empty":
            return f"declared {declared}, content is {real}"
    return ""
