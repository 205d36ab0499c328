"""Tables read as tables: CSV and TSV (and other delimited text), spreadsheet sheets (XLSX,
ODS), HTML tables, and the contacts of vCards and the events of calendars. Each is a list
of rows of cell text; the patient-data scanner (scanners/tables.py) judges the columns.

Calendars (ICS) and vCards are also turned into readable text here (folded lines joined,
escapes undone, one "Label: value" line per property) so that a name folded over two lines
or a description with escaped line breaks reads as a person would see it.
"""
from __future__ import annotations

import csv
import re
from html.parser import HTMLParser
from xml.etree import ElementTree

MAX_ROWS = 2000  # rows kept of one table (the row count says how many it has)
MAX_COLUMNS = 60
MAX_CELL = 200
MAX_TABLES = 50  # tables kept from one file or body
MIN_ROWS = 2  # a header and one row


def _cell(value: str) -> str:
    return " ".join(str(value).split())[:MAX_CELL]


def clip(rows: list[list[str]]) -> tuple[tuple[str, ...], ...]:
    out = []
    for row in rows:
        cells = [_cell(c) for c in row[:MAX_COLUMNS]]
        while cells and not cells[-1]:
            cells.pop()
        if any(cells):
            out.append(tuple(cells))
    return tuple(out)


# -- delimited text ----------------------------------------------------------------------------

def delimited(text: str, named_as_table: bool = False) -> tuple[tuple[str, ...], ...] | None:
    """The rows of CSV/TSV-like text, or None when it is not a table: most lines must split
    into the same number (two or more) of fields with one delimiter."""
    lines = [line for line in text.splitlines()[: MAX_ROWS + 1] if line.strip()]
    if len(lines) < (MIN_ROWS if named_as_table else 3):
        return None
    best = None
    for delimiter in (",", "\t", ";", "|"):
        try:
            rows = list(csv.reader(lines, delimiter=delimiter))
        except csv.Error:
            continue
        widths = [len(r) for r in rows]
        common = max(set(widths), key=widths.count)
        share = widths.count(common) / len(widths)
        if common >= 2 and share >= 0.8 and (best is None or common > best[0]):
            best = (common, rows)
    if best is None:
        return None
    return clip(best[1])


# -- spreadsheets --------------------------------------------------------------------------------

def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _column_index(ref: str) -> int:
    letters = re.match(r"[A-Z]+", ref or "")
    if not letters:
        return -1
    n = 0
    for ch in letters.group(0):
        n = n * 26 + ord(ch) - 64
    return n - 1


def xlsx_shared_strings(xml: bytes) -> list[str]:
    root = ElementTree.fromstring(xml)
    out = []
    for si in root:
        if _local(si.tag) == "si":
            out.append("".join(t.text or "" for t in si.iter() if _local(t.tag) == "t"))
    return out


def xlsx_rows(xml: bytes, shared: list[str]) -> dict[int, list[str]]:
    """A sheet's rows by their number (as "B2" counts them): cells in their columns (empty
    cells kept as ''), values as shown (shared strings, inline strings, numbers as stored);
    rows with no cell are left out."""
    root = ElementTree.fromstring(xml)
    rows: dict[int, list[str]] = {}
    for row in root.iter():
        if _local(row.tag) != "row":
            continue
        cells: dict[int, str] = {}
        for position, c in enumerate(x for x in row if _local(x.tag) == "c"):
            col = _column_index(c.get("r", ""))
            col = position if col < 0 else col
            if col >= MAX_COLUMNS:
                continue
            kind = c.get("t", "")
            value = ""
            if kind == "inlineStr":
                value = "".join(t.text or "" for t in c.iter() if _local(t.tag) == "t")
            else:
                v = next((x for x in c if _local(x.tag) == "v"), None)
                if v is not None and v.text is not None:
                    value = v.text
                    if kind == "s":
                        try:
                            value = shared[int(value)]
                        except (ValueError, IndexError):
                            value = ""
            cells[col] = value
        if cells:
            number = row.get("r", "")
            key = int(number) if number.isdigit() else max(rows, default=0) + 1
            rows[key] = [cells.get(i, "") for i in range(max(cells) + 1)]
        if len(rows) > MAX_ROWS:
            break
    return rows


def xlsx_comments(xml: bytes) -> list[tuple[str, str]]:
    """(cell, text) of each comment of a comments part: the notes of xl/comments*.xml and
    the threaded comments (and replies) of xl/threadedComments/*, their authors left out."""
    out = []
    for elem in ElementTree.fromstring(xml).iter():
        if _local(elem.tag) not in ("comment", "threadedComment"):
            continue
        body = next((x for x in elem if _local(x.tag) == "text"), None)
        text = " ".join("".join(body.itertext()).split()) if body is not None else ""
        if text:
            out.append((elem.get("ref", ""), text[:2000]))
    return out


def xlsx_sheet_names(workbook: bytes, rels: bytes | None) -> dict[str, str]:
    """sheet part path ("xl/worksheets/sheet2.xml") -> sheet name (and state when hidden)."""
    targets = {}
    if rels:
        for rel in ElementTree.fromstring(rels):
            target = rel.get("Target", "")
            target = target.lstrip("/") if target.startswith("/") else "xl/" + target
            targets[rel.get("Id")] = target
    out = {}
    for sheet in ElementTree.fromstring(workbook).iter():
        if _local(sheet.tag) != "sheet":
            continue
        rid = next((v for k, v in sheet.attrib.items() if _local(k) == "id"), "")
        state = sheet.get("state", "")
        name = sheet.get("name", "sheet")
        if rid in targets:
            out[targets[rid]] = f"{name} ({state})" if state and state != "visible" else name
    return out


def ods_tables(xml: bytes) -> list[tuple[str, tuple[tuple[str, ...], ...]]]:
    """(sheet name, rows) of an ODF spreadsheet's content.xml; repeated cells are expanded
    up to MAX_COLUMNS, repeated empty rows are dropped."""
    out = []
    root = ElementTree.fromstring(xml)
    for table in root.iter():
        if _local(table.tag) != "table":
            continue
        name = next((v for k, v in table.attrib.items() if _local(k) == "name"), "sheet")
        rows = []
        for row in table.iter():
            if _local(row.tag) != "table-row":
                continue
            cells: list[str] = []
            for cell in row:
                if _local(cell.tag) not in ("table-cell", "covered-table-cell"):
                    continue
                repeat = next((v for k, v in cell.attrib.items()
                               if _local(k) == "number-columns-repeated"), "1")
                text = "\n".join("".join(p.itertext()) for p in cell if _local(p.tag) == "p")
                cells += [text] * min(int(repeat) if repeat.isdigit() else 1,
                                      MAX_COLUMNS - len(cells))
                if len(cells) >= MAX_COLUMNS:
                    break
            rows.append(cells)
            if len(rows) > MAX_ROWS:
                break
        clipped = clip(rows)
        if len(clipped) >= MIN_ROWS:
            out.append((name, clipped))
        if len(out) >= MAX_TABLES:
            break
    return out


# -- HTML ------------------------------------------------------------------------------------

class _Tables(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tables: list[list[list[str]]] = []
        self.stack: list[list[list[str]]] = []  # open tables (nested ones kept apart)
        self.cell: list[str] | None = None
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.skipping += 1
        elif tag == "table":
            self.stack.append([])
        elif tag == "tr" and self.stack:
            self.stack[-1].append([])
        elif tag in ("td", "th") and self.stack:
            if not self.stack[-1]:
                self.stack[-1].append([])
            self.cell = []
        elif tag == "br" and self.cell is not None:
            self.cell.append(" ")

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self.skipping:
            self.skipping -= 1
        elif tag in ("td", "th") and self.stack and self.cell is not None:
            self.stack[-1][-1].append("".join(self.cell))
            self.cell = None
        elif tag == "table" and self.stack:
            self._close_cell()
            table = self.stack.pop()
            if len(self.tables) < MAX_TABLES:
                self.tables.append(table)

    def _close_cell(self):
        if self.cell is not None and self.stack and self.stack[-1]:
            self.stack[-1][-1].append("".join(self.cell))
        self.cell = None

    def handle_data(self, data):
        if self.cell is not None and not self.skipping:
            self.cell.append(data)


def html_tables(html: str) -> list[tuple[tuple[str, ...], ...]]:
    """The tables of an HTML document with two rows or more (layout tables included: the
    scanner looks at what their columns hold)."""
    parser = _Tables()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # html.parser is lenient; anything else is no table
        return []
    out = []
    for table in parser.tables:
        rows = clip(table[: MAX_ROWS + 1])
        if len(rows) >= MIN_ROWS and max(len(r) for r in rows) >= 2:
            out.append(rows)
    return out


# -- vCard and iCalendar -------------------------------------------------------------------------

_PROPERTY = re.compile(r"^([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)?)((?:;[^:]*)?):(.*)$")


def _unfold(text: str) -> list[str]:
    return re.sub(r"\r?\n[ \t]", "", text).splitlines()


def _unescape(value: str) -> str:
    return re.sub(r"\\([nN,;\\])", lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)


def _properties(text: str):
    """(NAME, params, value) of each content line, names upper-cased, group prefixes gone."""
    for line in _unfold(text):
        m = _PROPERTY.match(line)
        if m:
            yield m.group(1).split(".")[-1].upper(), m.group(2), _unescape(m.group(3)).strip()


def _param(params: str, name: str) -> str:
    m = re.search(r";%s=(\"[^\"]*\"|[^;:]*)" % name, params, re.IGNORECASE)
    return m.group(1).strip('"') if m else ""


_VCARD_LABELS = {"FN": "Name", "N": "Name parts", "BDAY": "Birthday", "TEL": "Phone",
                 "EMAIL": "E-mail", "ADR": "Address", "NOTE": "Note", "ORG": "Organisation",
                 "TITLE": "Job title", "ROLE": "Role", "URL": "Web", "NICKNAME": "Nickname",
                 "ANNIVERSARY": "Anniversary", "X-GENDER": "Gender", "GENDER": "Gender",
                 "CATEGORIES": "Categories", "LABEL": "Address"}
VCARD_COLUMNS = ("Name", "Birthday", "Phone", "E-mail", "Address", "Note", "Job title",
                 "Organisation")


def vcards(text: str) -> tuple[str, tuple[tuple[str, ...], ...]]:
    """(readable text, table: a header row and one row per card)."""
    lines, rows, card = [], [], None
    for name, params, value in _properties(text):
        if name == "BEGIN" and value.upper() == "VCARD":
            card = {}
            continue
        if name == "END" and card is not None:
            rows.append([card.get(c, "") for c in VCARD_COLUMNS])
            lines.append("")
            card = None
            continue
        label = _VCARD_LABELS.get(name)
        if card is None or not label or not value:
            continue
        if name in ("N", "ADR", "LABEL"):
            value = " ".join(p for p in re.split(r";", value) if p.strip())
        lines.append(f"{label}: {value}")
        if label in VCARD_COLUMNS:
            card[label] = f"{card[label]}; {value}" if card.get(label) else value
        if len(rows) > MAX_ROWS:
            break
    table = clip([list(VCARD_COLUMNS), *rows]) if rows else ()
    return "\n".join(lines).strip(), table


_ICS_LABELS = {"SUMMARY": "Summary", "DESCRIPTION": "Description", "LOCATION": "Location",
               "DTSTART": "Starts", "DTEND": "Ends", "COMMENT": "Comment",
               "CATEGORIES": "Categories", "CONTACT": "Contact", "URL": "Web",
               "X-ALT-DESC": ""}
ICS_COLUMNS = ("Summary", "Starts", "Attendees", "Description", "Location")


def calendar(text: str) -> tuple[str, tuple[tuple[str, ...], ...]]:
    """(readable text, table: a header row and one row per event) of an iCalendar file."""
    lines, rows, event, alarm = [], [], None, 0
    for name, params, value in _properties(text):
        if name in ("BEGIN", "END") and value.upper() == "VALARM":  # a reminder's own text
            alarm = max(0, alarm + (1 if name == "BEGIN" else -1))
            continue
        if alarm:
            continue
        if name == "BEGIN" and value.upper() in ("VEVENT", "VTODO", "VJOURNAL"):
            event = {"Attendees": []}
            lines.append("")
            continue
        if name == "END" and value.upper() in ("VEVENT", "VTODO", "VJOURNAL") and event:
            event["Attendees"] = "; ".join(event["Attendees"])
            rows.append([event.get(c, "") for c in ICS_COLUMNS])
            event = None
            continue
        if name in ("ATTENDEE", "ORGANIZER"):
            who = _param(params, "CN")
            address = re.sub(r"(?i)^mailto:", "", value)
            shown = f"{who} <{address}>" if who else address
            lines.append(f"{'Attendee' if name == 'ATTENDEE' else 'Organiser'}: {shown}")
            if event is not None and name == "ATTENDEE":
                event["Attendees"].append(shown)
            continue
        label = _ICS_LABELS.get(name)
        if not label or not value:
            continue
        if name in ("DTSTART", "DTEND"):
            value = _ics_date(value)
        lines.append(f"{label}: {value}")
        if event is not None and label in ICS_COLUMNS:
            event[label] = value
        if len(rows) > MAX_ROWS:
            break
    table = clip([list(ICS_COLUMNS), *rows]) if rows else ()
    return "\n".join(lines).strip(), table


def _ics_date(value: str) -> str:
    m = re.match(r"(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2}))?", value)
    if not m:
        return value
    y, mo, d, h, mi = m.groups()
    return f"{d}/{mo}/{y}" + (f" {h}:{mi}" if h else "")


def looks_like_vcard(text: str) -> bool:
    return "BEGIN:VCARD" in text[:4096].upper()


def looks_like_calendar(text: str) -> bool:
    return "BEGIN:VCALENDAR" in text[:4096].upper()
