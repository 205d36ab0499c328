"""Stock photos still carrying their library's watermark: the unlicensed preview. Part of
the copyright scanner (scanners/copyright.py calls `findings` for every attachment).

A picture shows a watermark when its text (OCR of an image, or of a picture inside a PDF or
Office file) names a stock library (scanners/data/stock.txt), or has a preview word
(preview, comp, unlicensed, watermark, sample) together with a stock cue (the word stock, a
stock site, an image number, "licence required", a notice); a file name with a preview word
and an image number is a library's preview too. The sender's own words can say a watermark
is unwanted (crop it off, ignore the watermark), which marks every image they send; or that
the image is licensed (a licence bought, its confirmation attached), which lowers the
finding to medium. The clinic's own watermark ("our watermark", its own name) is not one.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator

from scanners import prefilter, redact
from scanners.base import Attachment, Finding, Severity

CATEGORY = "copyright"
DATA = Path(__file__).parent / "data" / "stock.txt"
_P = prefilter.Group()  # the patterns below behind one automaton

# A stock library's watermark across a picture (read by OCR), or its file name: a library's
# name (scanners/data/stock.txt), or a preview word together with a stock cue.
PREVIEW = _P.compile(r"\b(?:unlicen[sc]ed|watermark(?:ed)?|preview|comp|sample)\b",
                      re.IGNORECASE)
_STOCK_CUE = _P.compile(
    r"\bstock\b|\b[\w-]*stock[\w-]*\.[a-z]{2,}\b|"
    r"\b(?:image|photo|picture|asset|item|file)\s*(?:id|#|no\.?|number)\s*[:#]?\s*[A-Z0-9-]{5,}|"
    r"\blicen[sc]e (?:required|needed)|©|\(c\)|\bcopyright\b|"
    r"\b(?:buy|purchase) (?:a |the |this )?licen[sc]e|\bnot licen[sc]ed", re.IGNORECASE)
# The sender wants a watermark gone or ignored (theirs is "our watermark")
_REMOVE_WATERMARK = _P.compile(
    r"\b(?:crop|cut|remove|edit|take|rub|clone|photoshop|get rid of|erase|blur|hide)\w*"
    r"(?:\s+(?!our\b|my\b)\w+){0,4}?\s+(?:the\s+|that\s+|this\s+|its\s+|their\s+)?"
    r"watermarks?\b|\bwatermarks?\s+(?:\w+\s+){0,2}?(?:removed|cropped|off)\b|"
    r"\bignor(?:e|ing)\s+(?:the\s+|that\s+|its\s+)?watermark|\bwatermarks?\s+(?:is\s+|are\s+)?"
    r"still\b|\bstill\s+(?:has|have|got|shows?)\s+(?:the|a|its|that)\s+watermark", re.IGNORECASE)
# The message says the picture is licensed (a licence bought, its confirmation attached)
_LICENSED = _P.compile(
    r"\blicen[sc]e (?:confirmation|agreement|certificate|number|no\.?|id|key|purchased|bought|"
    r"paid|attached|is attached)|\b(?:standard|extended|enhanced|royalty[- ]free|editorial|"
    r"commercial|web) licen[sc]e\b|\b(?:bought|purchased|paid for|downloaded) (?:the |a )?"
    r"licen[sc]e|\b(?:we|i)(?:['’]ve| have)? (?:bought|purchased|licen[sc]ed|paid for) (?:the |it|"
    r"this|these|them|a licen)|\bproof of (?:licen[sc]e|purchase)|\blicen[sc]ed (?:from|via|"
    r"through|for (?:web|print|use|our))", re.IGNORECASE)


def licence_stated(text: str) -> bool:
    """Whether the sender's words say the pictures are licensed."""
    return bool(_LICENSED.search(text))


def watermark_unwanted(text: str) -> bool:
    """Whether the sender's words ask for a watermark to be removed, or to be ignored."""
    return bool(_REMOVE_WATERMARK.search(text))


def findings(att: Attachment, shown, licensed: bool, remove, is_own) -> Iterator[Finding]:
    """image_watermark: a picture (an image, or one inside a document) that shows a stock
    library's watermark, or whose file name is a library's preview; high, medium when
    the message says it is licensed."""
    for where, text in shown:
        if "#image" not in where:
            continue
        cue = _watermark_text(text)
        if cue and not is_own(text):
            break
    else:
        where, cue = att.where, ""
        if att.real_type.startswith("image/"):
            cue = _preview_name(att.name)
            if not cue and remove:
                cue = "the sender asks for the watermark to be removed"
    if cue:
        yield Finding(CATEGORY, "image_watermark",
                      Severity.MEDIUM if licensed and not remove else Severity.HIGH, where,
                      cue[:120])


def _stock_names() -> prefilter.Gated:
    names = [n.strip() for n in DATA.read_text(encoding="utf-8").splitlines()
             if n.strip() and not n.startswith("#")]
    names.sort(key=len, reverse=True)
    return _P.compile(r"\b(?:%s)\b" % "|".join(map(re.escape, names)), re.IGNORECASE)


_NAMES = _stock_names()


def stock_name(text: str) -> str:
    m = _NAMES.search(text)
    return m.group(0) if m else ""


def _preview_name(name: str) -> str:
    """A file name that says it is a library's preview: a preview word and an image number
    ("lumenframe_5518230_comp.jpg"); a library's name alone is also its licensed download's."""
    words = name.replace("_", " ").replace("-", " ")
    preview = PREVIEW.search(words)
    # (attachment names are shown with long numbers masked: "******30")
    if preview and re.search(r"(?<![\d*])(?:\d{6,}|\*{4,}\d\d)(?!\d)", words):
        return f"file name {redact.free_text(name)[:60]}"
    return ""


def _watermark_text(text: str) -> str:
    """What in a picture's text (or a file name) reads as a stock watermark, or ""."""
    stock = stock_name(text)
    if stock:
        return f"shows {stock}"
    preview = PREVIEW.search(text)
    cue = _STOCK_CUE.search(text) if preview else None
    if cue and re.fullmatch(r"(?i)©|\(c\)|copyright", cue.group(0)) and \
            preview.group(0).lower() in ("sample", "comp"):
        cue = None  # "Sample - not for resale ©", "Enter our comp! ©": packaging, a competition
    if preview and not cue and re.search(r"(?i)\bwatermark(?:ed)?\b|\bunlicen[sc]ed (?:copy|image|"
                                         r"photo|picture|preview|version|file|download)\b", text):
        # "unlicensed image - lensvault.example": said of the picture, with the site it is from
        cue = re.search(r"\b[\w-]+\.(?:com|co\.uk|net|org|io|example)\b", text, re.IGNORECASE)
    if preview and not cue:
        # a watermark's word in capitals (PREVIEW, COMP) with the library's site
        capital = re.search(r"\b(?:PREVIEW|COMP|WATERMARK(?:ED)?)\b", text)
        cue = capital and re.search(r"\b[\w-]+\.(?:com|co\.uk|net|org|io|example)\b", text,
                                    re.IGNORECASE)
    if preview and cue:
        return f"shows \"{preview.group(0)}\" and \"{redact.free_text(cue.group(0))[:40]}\""
    return ""
