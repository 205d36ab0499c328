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
_IPTC_TAGS = {(2, 116): "rights", (2, 110): "credit", (2, 115): "source", (2, 80): "author"}


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
