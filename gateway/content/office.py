"""Office documents (OOXML and ODF): the visible text of their XML parts and their
document properties, read from the zip within the attachment's Budget."""
from __future__ import annotations

import io
import posixpath
import re
import zipfile
from xml.etree import ElementTree

from gateway.content import active, tables
from gateway.content.archives import open_listed, read_member
from gateway.content.metadata import labelled
from gateway.content.result import Budget, Content

OOXML = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "word/",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xl/",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "ppt/",
}
ODF_PREFIX = "application/vnd.oasis.opendocument."
XML_MAX = 32 * 1024 * 1024  # largest XML member of an office document we parse


def office_kind(data: bytes) -> str:
    """A zip that is really an office document (libmagic says application/zip for some)."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        names = set(zf.namelist())
    except Exception:
        return ""
    for real, prefix in OOXML.items():
        if "[Content_Types].xml" in names and any(n.startswith(prefix) for n in names):
            return real
    if "content.xml" in names and "mimetype" in names:
        try:
            declared = zf.open("mimetype").read(100).decode("ascii", "replace").strip()
        except Exception:
            declared = ""
        return declared if declared.startswith(ODF_PREFIX) else ODF_PREFIX + "text"
    return ""


_PARAGRAPH_TAGS = {"p", "h", "tr", "row", "si", "br", "list-item", "table-row", "cr",
                   "line-break"}
_CELL_TAGS = {"tc", "c", "table-cell", "tab"}


def xml_text(xml: bytes) -> str:
    """Visible text of an office XML part (DOCX, XLSX, PPTX, ODF), a line per paragraph or
    row, a tab between cells. Walked without recursion: depth cannot exhaust the stack."""
    root = ElementTree.fromstring(xml)
    out: list[str] = []
    stack: list[tuple[ElementTree.Element, bool]] = [(root, False)]
    while stack:
        elem, closing = stack.pop()
        tag = elem.tag.rsplit("}", 1)[-1] if isinstance(elem.tag, str) else ""
        if closing:
            if tag in _PARAGRAPH_TAGS:
                out.append("\n")
            elif tag in _CELL_TAGS:
                out.append("\t")
            if elem.tail:
                out.append(elem.tail)
            continue
        stack.append((elem, True))
        if tag == "instrText":  # field codes are not shown (tracked deletions, delText, are)
            continue
        if tag in ("creator", "date"):  # who wrote an ODF comment or change, and when: kept
            continue  # apart, they ran into the comment's first words ("Anna Lowe2026-…Harriet")
        if tag == "c" and elem.get("t") == "s":  # a spreadsheet cell that only points at a
            continue  # shared string (sharedStrings.xml is read as a part of its own)
        if elem.text:
            out.append(elem.text)
        stack.extend((child, False) for child in reversed(elem))
    return re.sub(r"[ \t]*\n\s*\n+", "\n\n", "".join(out)).strip()


def office_content(data: bytes, real: str, limits, budget: Budget) -> Content:
    content = Content()
    zf, infos, over = open_listed(data, limits, budget)
    if over:
        content.over_limit = over
        return content
    names = {i.filename: i for i in infos}
    if active.has_vba_part(names):
        content.active, content.error = active.vba_facts(data, limits)
        content.active = content.active or ["macros"]  # a VBA part is a macro project

    def read(member: str) -> bytes:
        info = names[member]
        with zf.open(info) as f:
            body = f.read(min(info.file_size, XML_MAX, budget.size) + 1)
        if len(body) > min(info.file_size, XML_MAX, budget.size):
            raise _OverLimit(f"{member} is over {min(XML_MAX, budget.size):,} bytes unpacked")
        budget.size -= len(body)
        return body

    try:
        if real in OOXML:
            prefix = OOXML[real]
            parts = sorted(n for n in names if n.startswith(prefix) and n.endswith(".xml") and (
                re.match(r"word/(document|header\d*|footer\d*|footnotes|endnotes|comments)\.xml$", n)
                or re.match(r"xl/(sharedStrings|worksheets/sheet\d+|comments\d*|comments/comment\d*)\.xml$", n)
                or re.match(r"xl/threadedComments/threadedComment\d*\.xml$", n)
                or re.match(r"ppt/(slides/slide\d+|notesSlides/notesSlide\d+)\.xml$", n)
                or re.match(r"ppt/comments/(modernComment|comment)[^/]*\.xml$", n)))
            parts.sort(key=lambda n: [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", n)])
            bodies = {n: read(n) for n in parts}
            texts = {n: xml_text(b) for n, b in bodies.items()}
            if prefix == "xl/":
                content.tables, rows = _sheet_tables(bodies, names, read)
                texts.update(_cell_comments(bodies, rows, names, read))
            elif prefix == "ppt/":
                texts = _notes_with_slides(texts, names, read)
            content.pages = [t for t in texts.values() if t]
            # pictures (read by OCR, checked for faces) and embedded files (OLE objects,
            # packaged files, other Office documents: screened as members)
            media = sorted(n for n in names if re.match(r"(word|xl|ppt)/media/[^/]+$", n)
                           and names[n].file_size <= MEDIA_MAX)
            content.images = [read(n) for n in media[:MAX_MEDIA]]
            content.members = _embedded(zf, names, budget)
            for meta_part in ("docProps/core.xml", "docProps/app.xml"):
                if meta_part in names:
                    content.metadata += _xml_properties(read(meta_part))
            described = _described(read("docProps/core.xml")) if "docProps/core.xml" in names \
                else []
            if "docProps/custom.xml" in names:
                described += _custom_properties(read("docProps/custom.xml"))
            if described:
                content.texts.append(("metadata", labelled(described)))
        else:
            for n in ("content.xml", "styles.xml"):
                if n in names:
                    body = read(n)
                    text = xml_text(body)
                    if text:
                        content.pages.append(text)
                    if n == "content.xml" and real == ODF_PREFIX + "spreadsheet":
                        content.tables = [(f"sheet={name}", rows)
                                          for name, rows in tables.ods_tables(body)]
            if "meta.xml" in names:
                meta = read("meta.xml")
                content.metadata += _xml_properties(meta)
                described = _described(meta) + _custom_properties(meta)
                if described:
                    content.texts.append(("metadata", labelled(described)))
    except _OverLimit as e:
        content.over_limit = str(e)
    except ElementTree.ParseError as e:
        content.error = f"document XML could not be read: {e}"[:120]
    return content


class _OverLimit(Exception):
    pass


MAX_MEDIA = 20  # pictures taken from one document
MEDIA_MAX = 20 * 1024 * 1024
MAX_EMBEDDINGS = 50


def _embedded(zf, names, budget: Budget) -> list[tuple[str, bytes]]:
    """word/embeddings/*, xl/embeddings/*, ppt/embeddings/*: read here, charged to the
    budget by extract.py when they are screened as members."""
    out = []
    for n in sorted(n for n in names if re.match(r"(word|xl|ppt)/embeddings/[^/]+$", n)):
        info = names[n]
        if len(out) >= MAX_EMBEDDINGS or info.file_size > budget.size:
            raise _OverLimit(f"embedded object {n.rsplit('/', 1)[-1]} over the archive limits")
        try:
            out.append((n.rsplit("/", 1)[-1], read_member(zf, info, budget.size)))
        except ValueError as e:
            raise _OverLimit(str(e)) from None
    return out


def _related(part: str, names, read) -> list[tuple[str, str]]:
    """(type, part) of what an OOXML part points to in its _rels file: ("slide",
    "ppt/slides/slide3.xml") of a notes slide, ("comments", "xl/comments1.xml") of a sheet."""
    folder, _, file = part.rpartition("/")
    rels = f"{folder}/_rels/{file}.rels"
    if rels not in names:
        return []
    out = []
    try:
        for rel in ElementTree.fromstring(read(rels)):
            target = rel.get("Target", "")
            if rel.get("TargetMode") == "External" or not target:
                continue
            path = target.lstrip("/") if target.startswith("/") else \
                posixpath.normpath(posixpath.join(folder, target))
            out.append((rel.get("Type", "").rsplit("/", 1)[-1], path))
    except ElementTree.ParseError:
        pass
    return out


def _notes_with_slides(texts: dict[str, str], names, read) -> dict[str, str]:
    """A slide's speaker notes read after its text, as one page: the presenter says them
    over that slide, so a name in the notes sits next to the treatment the slide names.
    The slide is the one the notes part points to (python-pptx numbers notes parts as
    they are made, not by slide); a notes part with no slide stays a page of its own."""
    out = dict(texts)
    for part, notes in texts.items():
        number = re.fullmatch(r"ppt/notesSlides/notesSlide(\d+)\.xml", part)
        if not number:
            continue
        slide = next((t for kind, t in _related(part, names, read) if kind == "slide"),
                     f"ppt/slides/slide{number.group(1)}.xml")
        if slide in out and notes:
            out[slide] = "\n\n".join(filter(None, [out[slide], notes]))
            del out[part]
    return out


def _cell_comments(bodies: dict[str, bytes], rows: dict[str, dict[int, list[str]]], names,
                   read) -> dict[str, str]:
    """The text of each comments part (notes and threaded comments on cells), a line per
    comment: its cell and the visible cells of its row, then the comment ("B2 (Harriet
    Quill, Lip filler): mob 07700 900311"), as a reader sees it over the row it annotates.
    The authors list is left out (it ran into the first comment's text)."""
    sheet_of = {}
    for sheet in rows:
        for kind, target in _related(sheet, names, read):
            if kind in ("comments", "threadedComment"):
                sheet_of[target] = sheet
    out = {}
    for part, body in bodies.items():
        if not re.match(r"xl/(comments|threadedComments/threadedComment)", part):
            continue
        lines = []
        for ref, text in tables.xlsx_comments(body):
            number = re.search(r"\d+$", ref)
            row = rows.get(sheet_of.get(part, ""), {}).get(int(number.group(0)) if number else 0)
            shown = ", ".join(c for c in row or () if c)
            lines.append(f"{ref} ({shown}): {text}" if shown else f"{ref}: {text}")
        out[part] = "\n".join(lines)
    return out


def _sheet_tables(bodies: dict[str, bytes], names, read
                  ) -> tuple[list[tuple[str, tuple]], dict[str, dict[int, list[str]]]]:
    """Each worksheet as a table, labelled "sheet=NAME" ("sheet=NAME (hidden)"), and each
    sheet's rows by their number."""
    shared = tables.xlsx_shared_strings(bodies["xl/sharedStrings.xml"]) \
        if "xl/sharedStrings.xml" in bodies else []
    titles = {}
    if "xl/workbook.xml" in names:
        rels = read("xl/_rels/workbook.xml.rels") if "xl/_rels/workbook.xml.rels" in names \
            else None
        try:
            titles = tables.xlsx_sheet_names(read("xl/workbook.xml"), rels)
        except ElementTree.ParseError:
            titles = {}
    out, numbered = [], {}
    for part, body in bodies.items():
        if re.match(r"xl/worksheets/sheet\d+\.xml$", part):
            numbered[part] = tables.xlsx_rows(body, shared)
            rows = tables.clip(list(numbered[part].values()))
            if len(rows) >= tables.MIN_ROWS:
                title = titles.get(part, part.rsplit("/", 1)[-1][:-4])
                out.append((f"sheet={title}", rows))
    return out[: tables.MAX_TABLES], numbered


_PROPERTY_KEYS = {"creator": "author", "initial-creator": "author", "lastModifiedBy": "modified_by",
                  "title": "title", "subject": "subject", "keywords": "keywords",
                  "description": "description", "Company": "company", "Manager": "manager",
                  "rights": "rights", "publisher": "publisher", "generator": "creator",
                  "Application": "creator"}


def _xml_properties(xml: bytes) -> list[tuple[str, str]]:
    out = []
    try:
        for elem in ElementTree.fromstring(xml).iter():
            key = _PROPERTY_KEYS.get(elem.tag.rsplit("}", 1)[-1])
            value = " ".join("".join(elem.itertext()).split())
            if key and value:
                out.append((key, value[:300]))
    except ElementTree.ParseError:
        pass
    return out


# Properties a person fills in to say what a document is about; the author, company and
# application fields say who made it and are left to the copyright scanner (`metadata`).
_DESCRIBED = {"title": "Title", "subject": "Subject", "keywords": "Keywords",
              "description": "Description", "category": "Category",
              "contentStatus": "Status"}


def _described(xml: bytes) -> list[tuple[str, str]]:
    out = []
    try:
        for elem in ElementTree.fromstring(xml).iter():
            label = _DESCRIBED.get(elem.tag.rsplit("}", 1)[-1]) if isinstance(elem.tag, str) \
                else None
            value = " ".join("".join(elem.itertext()).split())
            if label and value:
                out.append((label, value[:2000]))
    except ElementTree.ParseError:
        pass
    return out


def _custom_properties(xml: bytes) -> list[tuple[str, str]]:
    """OOXML docProps/custom.xml <property name=...> and ODF <meta:user-defined meta:name=...>."""
    out = []
    try:
        for elem in ElementTree.fromstring(xml).iter():
            tag = elem.tag.rsplit("}", 1)[-1] if isinstance(elem.tag, str) else ""
            if tag not in ("property", "user-defined"):
                continue
            name = next((v for k, v in elem.attrib.items() if k.rsplit("}", 1)[-1] == "name"), "")
            value = " ".join("".join(elem.itertext()).split())
            if name and value:
                out.append((" ".join(name.split())[:60], value[:2000]))
    except ElementTree.ParseError:
        pass
    return out
