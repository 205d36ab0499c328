"""Document properties that are text a recipient can see: XMP packets and the EXIF, IPTC
and XMP fields of images, as (our key, text) pairs."""
from __future__ import annotations

import io
import re

_XMP_FIELDS = {
    "dc:rights": "rights", "dc:publisher": "publisher", "dc:creator": "author",
    "xmpRights:Marked": "rights_marked", "xmpRights:WebStatement": "web_statement",
    "xmpRights:UsageTerms": "usage_terms", "xmpRights:Owner": "rights_owner",
    "prism:doi": "doi", "pdfx:doi": "doi", "prism:publicationName": "publication",
    "prism:copyright": "rights", "photoshop:Credit": "credit", "photoshop:Source": "source",
    "photoshop:Copyright": "rights", "plus:Licensor": "licensor", "cc:license": "licence",
    "pdfx:CrossmarkDomains": "crossmark", "crossmark:DOI": "doi",
    "photoshop:Instructions": "instructions",
}
_XMP_ELEMENT = re.compile(r"<(%s)\b[^>]*?(?:/>|>(.*?)</\1>)" % "|".join(map(re.escape, _XMP_FIELDS)),
                          re.DOTALL)
_XMP_ATTRIBUTE = re.compile(r"\b(%s)\s*=\s*\"([^\"]{1,500})\"" % "|".join(map(re.escape, _XMP_FIELDS)))
_XMP_RESOURCE = re.compile(r"rdf:resource\s*=\s*\"([^\"]{1,300})\"")
_TAGS = re.compile(r"<[^>]*>")


def xmp_fields(xmp: str) -> list[tuple[str, str]]:
    """Rights-related fields of an XMP packet, as (our key, text)."""
    out = []
    for m in _XMP_ELEMENT.finditer(xmp[:512 * 1024]):
        inner = m.group(2) or ""
        value = " ".join(_TAGS.sub(" ", inner).split())
        if not value:
            resource = _XMP_RESOURCE.search(m.group(0))
            value = resource.group(1) if resource else ""
        if value:
            out.append((_XMP_FIELDS[m.group(1)], value[:300]))
    for m in _XMP_ATTRIBUTE.finditer(xmp[:512 * 1024]):
        out.append((_XMP_FIELDS[m.group(1)], m.group(2)[:300]))
    return out


_EXIF_TAGS = {0x8298: "rights", 0x013B: "author", 0x010E: "description"}
_IPTC_TAGS = {(2, 116): "rights", (2, 110): "credit", (2, 115): "source", (2, 80): "author",
              (2, 40): "instructions"}  # special instructions: "Editorial use only"


def image_metadata(data: bytes) -> list[tuple[str, str]]:
    """Copyright holder, credit and licence fields of an image, without decoding pixels."""
    from PIL import Image, IptcImagePlugin

    out: list[tuple[str, str]] = []
    try:
        with Image.open(io.BytesIO(data)) as im:
            exif = im.getexif()
            for tag, key in _EXIF_TAGS.items():
                value = exif.get(tag)
                if isinstance(value, bytes):
                    value = value.decode("utf-8", "replace")
                if value and str(value).strip("\x00 "):
                    out.append((key, " ".join(str(value).split())[:300]))
            iptc = IptcImagePlugin.getiptcinfo(im) or {}
            for tag, key in _IPTC_TAGS.items():
                value = iptc.get(tag)
                if isinstance(value, list):
                    value = b" ".join(value)
                if value:
                    out.append((key, " ".join(value.decode("utf-8", "replace").split())[:300]))
            xmp = im.info.get("xmp") or im.info.get("XML:com.adobe.xmp")
            if xmp:
                out += xmp_fields(xmp.decode("utf-8", "replace") if isinstance(xmp, bytes) else xmp)
    except Exception:  # a broken image header: no metadata, the image itself is not screened
        pass
    return out


# -- text fields a person reads (captions, comments, titles), for every scanner -------------

_EXIF_TEXT = {0x010E: "Description", 0x013B: "Artist", 0x9C9B: "Title", 0x9C9C: "Comment",
              0x9C9D: "Author", 0x9C9E: "Keywords", 0x9C9F: "Subject"}
_EXIF_IFD_TEXT = {0x9286: "User comment"}
_IPTC_TEXT = {(2, 5): "Title", (2, 25): "Keywords", (2, 80): "By-line", (2, 105): "Headline",
              (2, 120): "Caption"}
_PNG_SKIP = {"xml:com.adobe.xmp", "software", "icc_profile", "exif", "dpi", "gamma",
             "transparency", "aspect", "interlace", "srgb", "chromaticity", "duration", "loop",
             "background", "version", "extension", "timestamp", "creation time"}
_XMP_TEXT = {"dc:title": "Title", "dc:description": "Description", "dc:subject": "Keywords",
             "photoshop:Headline": "Headline", "photoshop:CaptionWriter": "Caption writer",
             "exif:UserComment": "User comment", "xmp:Label": "Label",
             "Iptc4xmpCore:Location": "Location", "pdf:Keywords": "Keywords"}
_XMP_TEXT_ELEMENT = re.compile(r"<(%s)\b[^>]*?(?:/>|>(.*?)</\1>)" % "|".join(
    map(re.escape, _XMP_TEXT)), re.DOTALL)
MAX_FIELD = 2000  # characters kept of one text field


def labelled(pairs) -> str:
    """(label, text) pairs as the "Label: text" lines of a #metadata text part."""
    return "\n".join(f"{k}: {v}" for k, v in pairs)


def xmp_text(xmp: str) -> list[tuple[str, str]]:
    """Descriptive text of an XMP packet (title, description, keywords), as (label, text)."""
    out = []
    for m in _XMP_TEXT_ELEMENT.finditer(xmp[:512 * 1024]):
        value = " ".join(_TAGS.sub(" ", m.group(2) or "").split())
        if value:
            out.append((_XMP_TEXT[m.group(1)], value[:MAX_FIELD]))
    return out


def _field_text(value) -> str:
    if isinstance(value, tuple) and all(isinstance(v, int) for v in value):
        value = bytes(value)  # XP* tags as a tuple of bytes
    if isinstance(value, bytes):
        if value[:8] in (b"ASCII\x00\x00\x00", b"UNICODE\x00", b"JIS\x00\x00\x00\x00\x00",
                         b"\x00" * 8):  # EXIF UserComment: an 8-byte character code first
            code, value = value[:8], value[8:]
            value = value.decode("utf-16-le" if code.startswith(b"UNICODE") and
                                 value[1:2] == b"\x00" else "utf-16-be" if
                                 code.startswith(b"UNICODE") else "utf-8", "replace")
        elif len(value) > 1 and value[1:2] == b"\x00":  # XP* tags are UTF-16LE
            value = value.decode("utf-16-le", "replace")
        else:
            value = value.decode("utf-8", "replace")
    return " ".join(str(value).replace("\x00", " ").split())[:MAX_FIELD]


def image_text_fields(im) -> list[tuple[str, str]]:
    """Text a person can read in an open image's metadata, as (label, text): EXIF
    ImageDescription, Artist, UserComment and the Windows XP fields, IPTC caption, headline,
    keywords, XMP title, description and keywords, and PNG tEXt/zTXt/iTXt chunks."""
    from PIL import IptcImagePlugin

    out: list[tuple[str, str]] = []
    try:
        exif = im.getexif()
        for tag, label in _EXIF_TEXT.items():
            text = _field_text(exif.get(tag)) if exif.get(tag) else ""
            if text:
                out.append((label, text))
        sub = exif.get_ifd(0x8769)
        for tag, label in _EXIF_IFD_TEXT.items():
            text = _field_text(sub.get(tag)) if sub.get(tag) else ""
            if text:
                out.append((label, text))
    except Exception:
        pass
    try:
        iptc = IptcImagePlugin.getiptcinfo(im) or {}
        for tag, label in _IPTC_TEXT.items():
            value = iptc.get(tag)
            if isinstance(value, list):
                value = b"; ".join(value)
            text = _field_text(value) if value else ""
            if text:
                out.append((label, text))
    except Exception:
        pass
    try:
        for key, value in (getattr(im, "text", None) or {}).items():
            if str(key).lower() in _PNG_SKIP or str(key).lower().startswith("raw profile"):
                continue
            text = _field_text(value)
            if text:
                out.append((str(key)[:40], text))
    except Exception:
        pass
    xmp = im.info.get("xmp") or im.info.get("XML:com.adobe.xmp")
    if xmp:
        out += xmp_text(xmp.decode("utf-8", "replace") if isinstance(xmp, bytes) else str(xmp))
    return list(dict.fromkeys(out))
