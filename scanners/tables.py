"""Patient lists: a table (CSV, a sheet, an HTML table, vCards, calendar events) whose columns
hold personal identifiers for several people is one high `patient_list` finding, with the
number of rows and the kinds of column, in place of dozens of low cell findings.

A column's kind comes from its header ("DOB", "mobile", "last_treatment") or, without one,
from what at least half of its cells hold (checked on the first SAMPLE_ROWS rows):

  name        a person's name (people.py), or a name header (first name, surname, client)
  email       a personal e-mail address        phone     a phone number
  nhs         a valid NHS number               dob       a plausible date of birth
  hcn, chi    a Health and Care Number (Northern Ireland), a CHI number (Scotland)
  address     a street address or a postcode   treatment a treatment, condition or medicine
  appointment a recent date, or an appointment/visit header

Each row is a person when it has a name (or, with no name column, a personal e-mail). The
table is a list of patients when at least MIN_PEOPLE different people each have a name and
one more identifier or clinical detail in their row (MIN_PEOPLE_CONTACTS_ONLY when the table
has no header row and holds only phones or e-mails besides names). Staff lists are left
alone: a column for role, job title, PIN, shift or salary (by its header or by job titles
in its cells), or e-mail addresses on the sender's own domain.
"""
from __future__ import annotations

import re
from datetime import date
from typing import Iterable, Iterator

from scanners import identifiers, lexicon, people, redact
from scanners.base import Finding, ParsedMessage, Severity, Table

CATEGORY = "patient_data"
RULE = "patient_list"
DESCRIPTION = ("A table (CSV, spreadsheet sheet, HTML table, vCards, calendar events) that "
               "lists several people with their identifiers or treatments (names with dates of "
               "birth, phones, e-mails, NHS, H&C or CHI numbers, treatments or appointments): "
               "a patient list or export; high.")
MIN_PEOPLE = 3
MIN_PEOPLE_CONTACTS_ONLY = 5  # names with only phones or e-mails, and no header row
SAMPLE_ROWS = 300
KIND_SHARE = 0.5  # a column is of a kind when this share of its non-empty cells are

_HEADERS = [  # (kind, pattern on the folded header cell)
    ("staff", r"\b(role|job|position|pin|gmc|nmc|gdc|shift|rota|salary|payroll|wage|"
              r"department|employee|staff|mailbox|hours|rate)\b"),
    ("dob", r"\b(dob|d\.o\.b|birth|birthday|born|bday)\b"),
    ("nhs", r"\bnhs\b"),
    ("hcn", r"\b(h ?& ?c|hcn|health (and|&) care)\b"),
    ("chi", r"\bchi\b"),
    ("email", r"\b(e-?mail|mail)\b"),
    ("phone", r"\b(phone|mobile|tel|telephone|cell|contact number)\b"),
    ("address", r"\b(address|postcode|post code|street|town)\b"),
    ("treatment", r"\b(treatment|treatments|procedure|service|med|meds|medication|drug|dose|"
                  r"product|condition|diagnosis|complication|notes?|bmi|weight|weight_kg|area)\b"),
    ("appointment", r"\b(appointment|appt|visit|booked|booking|starts|slot|last_visit)\b"),
    ("name", r"\b(name|patient|client|customer|first|firstname|forename|surname|last|"
             r"lastname|full ?name|attendees?)\b"),
]
_HEADER_RES = [(kind, re.compile(p)) for kind, p in _HEADERS]
_ISO_DATE = re.compile(r"\b(19\d\d|20\d\d)-(\d\d)-(\d\d)\b")
STRONG = {"dob", "nhs", "hcn", "chi", "treatment", "appointment", "address"}
CONTACT = {"phone", "email"}
_LABELS = {"name": "name", "dob": "date of birth", "nhs": "NHS number",
           "hcn": "Health and Care Number", "chi": "CHI number", "email": "e-mail",
           "phone": "phone", "address": "address", "treatment": "treatment",
           "appointment": "appointment"}


# a column that names who gave the treatment: its names are staff, not patients
_STAFF_PERSON = re.compile(r"^(?:practitioner|clinician|injector|prescriber|nurse|doctor|"
                           r"therapist|staff|staff member|treated by|seen by|performed by|"
                           r"injected by|prescribed by|by|aesthetician|provider)s?$")


def staff_cells(text: str) -> list[tuple[int, int]]:
    """(start, end) of the cells under a staff column ("Practitioner", "Treated by") in
    tab-separated text (sheets, tables), sorted: the names there are staff, not patients."""
    spans = []
    column = None
    pos = 0
    for line in text.split("\n"):
        cells = line.split("\t")
        if len(cells) < 2:
            column = None
        elif column is None:
            heads = [i for i, c in enumerate(cells) if _STAFF_PERSON.match(_fold_header(c))]
            column = heads[0] if heads else None
        elif column < len(cells):
            start = pos + sum(len(c) + 1 for c in cells[:column])
            spans.append((start, start + len(cells[column])))
        pos += len(line) + 1
    return spans


_CARD_START = re.compile(r"^Name: ", re.MULTILINE)
_JOB_TITLE = re.compile(r"^Job title: \S", re.MULTILINE)


def work_contacts(text: str, domains) -> list[tuple[int, int]]:
    """(start, end) of the lines that give people's contacts for work, sorted: a sheet's row
    with an address at one of the clinic's own `domains` (the staff contact sheet sent to a
    locum), and a contact card with a job title (a consultant's card sent to an insurer's
    directory). Like a signature block, the numbers and addresses there are those people's
    own, given for work."""
    spans = []
    pos = 0
    for line in text.split("\n") if "\t" in text and domains else ():
        if "\t" in line and any(a.key.rpartition("@")[2].lower() in domains
                                for a in identifiers.email_addresses(line)):
            spans.append((pos, pos + len(line)))
        pos += len(line) + 1
    starts = [m.start() for m in _CARD_START.finditer(text)]
    for start, end in zip(starts, starts[1:] + [len(text)]):
        if _JOB_TITLE.search(text, start, end):
            spans.append((start, end))
    return sorted(spans)


def _fold_header(cell: str) -> str:
    return re.sub(r"[_\-/]+", " ", cell.lower()).strip()


def header_kinds(cell: str) -> set[str]:
    folded = _fold_header(cell)
    if not folded or len(folded) > 40:
        return set()
    for kind, pattern in _HEADER_RES:
        if pattern.search(folded) or pattern.search(folded.replace(" ", "_")):
            return {kind}
    return set()


def cell_kinds(cell: str, cues) -> set[str]:
    kinds: set[str] = set()
    if not cell or len(cell) < 3:
        return kinds
    if identifiers.email_addresses(cell):
        kinds.add("email")
    health = identifiers.health_numbers(cell)
    if health:
        kinds.update(i.kind for i in health)
    elif identifiers.phone_numbers(cell):
        kinds.add("phone")
    years = [int(d.key[:4]) for d in identifiers.dates(cell)] + \
        [int(m.group(1)) for m in _ISO_DATE.finditer(cell)]
    this_year = date.today().year
    if any(1900 <= y <= this_year - 16 for y in years):
        kinds.add("dob")
    elif any(y >= this_year - 3 for y in years):
        kinds.add("appointment")
    if identifiers.postcodes(cell):
        kinds.add("address")
    named = bool(people.find(cell))
    if named or (cell.isalpha() and cell[:1].isupper() and
                 cell.lower() in people.name_lists()[0]):
        kinds.add("name")  # a full name, or a given name alone (a first-name column)
    for hit in cues.find(lexicon.FlatView(cell)):
        if hit.label in ("treatment", "condition"):
            kinds.add("treatment")
        elif hit.label == "staff" and not named:  # a role ("Receptionist"), not the nurse
            kinds.add("staff")  # who treated someone ("Nurse Ada Finch")
    return kinds


def _has_header(row: tuple[str, ...], cues) -> bool:
    named = sum(1 for c in row if header_kinds(c))
    valued = sum(1 for c in row if cell_kinds(c, cues) - {"treatment", "name"})
    return named >= 1 and named >= len([c for c in row if c]) / 3 and valued == 0


def column_kinds(table: Table, cues) -> tuple[list[set[str]], bool, int]:
    """(kinds of each column, whether the first row is a header, data rows)."""
    rows = table.rows
    header = bool(rows) and _has_header(rows[0], cues)
    data = rows[1:] if header else rows
    width = max((len(r) for r in rows), default=0)
    kinds: list[set[str]] = [set() for _ in range(width)]
    if header:
        for i, cell in enumerate(rows[0]):
            kinds[i] |= header_kinds(cell)
    sample = data[:SAMPLE_ROWS]
    for i in range(width):
        cells = [r[i] for r in sample if i < len(r) and r[i]]
        if not cells:
            kinds[i].discard("staff")  # an empty "Job title" column says nothing
            continue
        counts: dict[str, int] = {}
        for cell in cells:
            for kind in cell_kinds(cell, cues):
                counts[kind] = counts.get(kind, 0) + 1
        kinds[i] |= {k for k, n in counts.items() if n >= KIND_SHARE * len(cells)}
    return kinds, header, len(data)


def judge(table: Table, cues, own_domains: Iterable[str] = ()) -> str:
    """Evidence for a patient_list finding, or "" when the table is not a list of people."""
    kinds, header, count = column_kinds(table, cues)
    if any("staff" in k for k in kinds):
        return ""
    name_cols = [i for i, k in enumerate(kinds) if "name" in k]
    email_cols = [i for i, k in enumerate(kinds) if "email" in k]
    id_cols = name_cols or email_cols
    if not id_cols:
        return ""
    data = table.rows[1:] if header else table.rows
    people_seen: set[str] = set()
    strong = False
    own = tuple(d.lower() for d in own_domains if d)
    own_mail = 0
    for row in data:
        who = " ".join(row[i] for i in id_cols if i < len(row) and row[i]).strip().lower()
        if not who:
            continue
        if own and any(row[i].lower().endswith(own) for i in email_cols if i < len(row)):
            own_mail += 1
        other = set()
        for i, k in enumerate(kinds):
            if i < len(row) and row[i] and i not in id_cols:
                other |= k & (STRONG | CONTACT)
            elif i < len(row) and row[i] and i in id_cols:
                other |= k & STRONG  # "Botox - Jane Smith" in one cell
        if other:
            people_seen.add(who)
            strong = strong or bool(other & STRONG)
    if len(people_seen) < MIN_PEOPLE or own_mail * 2 >= len(people_seen):
        return ""
    if not strong and not header and len(people_seen) < MIN_PEOPLE_CONTACTS_ONLY:
        return ""  # a few names with phone numbers and no header: a contact block, not a list
    shown = [label for kind, label in _LABELS.items() if any(kind in k for k in kinds)]
    return f"{len(data)} rows, {len(people_seen)} people; columns: {', '.join(shown)}"


def patient_lists(msg: ParsedMessage, cues, own_domains: Iterable[str] = ()) -> Iterator[Finding]:
    domains = {"@" + d.lstrip("@") for d in own_domains if d}
    if "@" in msg.sender:
        domains.add("@" + msg.sender.rpartition("@")[2])
    for table in msg.tables:
        evidence = judge(table, cues, domains)
        if evidence:
            yield Finding(CATEGORY, RULE, Severity.HIGH, redact.free_text(table.where), evidence)


def collapse(findings: list[Finding]) -> list[Finding]:
    """Where a table is a patient list, its cells' low and medium findings add nothing."""
    listed = {_base(f.where) for f in findings if f.rule == RULE}
    if not listed:
        return findings
    return [f for f in findings if f.rule == RULE or f.category != CATEGORY
            or f.severity >= Severity.HIGH or _base(f.where) not in listed]


def _base(where: str) -> str:
    """"attachment:x.xlsx#sheet=Clients" -> "attachment:x.xlsx"; "body#table=2" -> "body"."""
    return where.split("#", 1)[0]
