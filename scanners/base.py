"""The contract between the gateway and the scanners: the parsed message in, findings out."""
from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass, field, replace
from typing import Iterable, Iterator, Protocol

CATEGORIES = ("patient_data", "copyright", "language", "advertising", "attachment")


# A finding's tags: what the scanner saw around it that the decision step weighs (typed, so
# the decision never searches evidence text for them):
QUOTED = "quoted"  # in quoted earlier mail, in quotation marks cited, or attached to a report
REPORTED = "reported"  # the sender's own words say the message reports or answers it
MODEL = "model"  # a reading of the sentence model alone: only tags, whoever reads the mail
TO_PROFESSIONALS = "to_professionals"  # text written for practitioners (CPD, a study club,
# trade prices): the audience is professionals however many receive it, never the public
TAGS = (QUOTED, REPORTED, MODEL, TO_PROFESSIONALS)


class Severity(enum.IntEnum):
    LOW = 1
    MEDIUM = 2
    HIGH = 3

    def __str__(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, value: str) -> "Severity":
        return cls[value.upper()]

    def lowered(self) -> "Severity":
        """One step lower, never below LOW."""
        return Severity(max(Severity.LOW, self - 1))


@dataclass(frozen=True, slots=True)
class Finding:
    category: str  # one of CATEGORIES
    rule: str  # stable id, e.g. "uk_nhs_number"; described in the scanner's `rules`
    severity: Severity
    where: str  # "subject", "body", "attachment:NAME" or "attachment:NAME#page=N"
    evidence: str = ""  # short and redacted: never a full identifier
    # the person the finding is about is the one To recipient: "r:", "n:" or "g:" +
    # address_tag() of that address (r: known by the patient register, n: her full name in
    # the text, g: only the greeting, nobody else named in full); "" otherwise
    addressee: str = ""
    tags: tuple[str, ...] = ()  # of TAGS, sorted

    def tagged(self, *tags: str) -> "Finding":
        return replace(self, tags=tuple(sorted(set(self.tags) | set(tags))))

    def to_dict(self) -> dict:
        d = {"category": self.category, "rule": self.rule, "severity": str(self.severity),
             "where": self.where, "evidence": self.evidence}
        if self.addressee:
            d["addressee"] = self.addressee
        if self.tags:
            d["tags"] = list(self.tags)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "Finding":
        return cls(d["category"], d["rule"], Severity.parse(d["severity"]), d["where"],
                   d.get("evidence", ""), d.get("addressee", ""), tuple(d.get("tags", ())))


def address_tag(address: str) -> str:
    """A one-way tag of a mail address (16 hex digits of SHA-256 of it in lower case): lets
    the policy compare a finding's addressee with the envelope without storing the address."""
    return hashlib.sha256(address.strip().lower().encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class TextPart:
    where: str  # "subject", "body" (every text part of the body), "attachment:NAME#page=N"
    text: str
    content_type: str = "text/plain"


@dataclass(frozen=True, slots=True)
class Attachment:
    name: str  # declared filename, made safe for display (no control characters)
    declared_type: str  # Content-Type the sender declared
    real_type: str  # what python-magic says the bytes are
    size: int
    sha256: str
    data: bytes = field(repr=False, default=b"")
    pages: tuple[str, ...] = ()  # extracted text, one item per page (PDF) or one in all
    encrypted: bool = False
    error: str = ""  # why the content could not be read, "" if it could
    # added by the attachments issue (gateway/content/); all have defaults
    metadata: tuple[tuple[str, str], ...] = ()  # document properties: ("author", "..."),
    # ("creator", ...), ("producer", ...), ("rights", ...), ("doi", ...), ("credit", ...)
    container: str = ""  # the archive this member came out of ("" for a part of the message)
    over_limit: str = ""  # the limit that stopped the reading (pages, time, archive size)
    page_count: int = 0  # pages the document has, also those past the page limit
    no_text_pages: tuple[int, ...] = ()  # pages (from 0) with images but no text and no OCR
    ocr_pages: tuple[int, ...] = ()  # pages (from 0) whose text came from OCR
    images: tuple[bytes, ...] = field(repr=False, default=())  # pictures inside a PDF or an
    # Office document, as image files, for the photo check and OCR (pdf.py, office.py)
    # added by the reading issue (gateway/content/images.py, ...): all have defaults
    # text a recipient can see besides the pages, as (kind, text): ("image", the OCR text of
    # a picture), ("metadata", document properties, EXIF/PNG text), ("form", a PDF's filled-in
    # fields), ("comments", a PDF's annotations); parse.py gives each to
    # every scanner as a TextPart with where "attachment:NAME#kind"
    texts: tuple[tuple[str, str], ...] = ()
    unread: str = ""  # why text an image seems to hold was not read (no OCR, OCR failed)
    # tables as (label, rows): ("", rows) for a CSV, ("sheet=Clients", rows) for a sheet;
    # parse.py gives them to the scanners as ParsedMessage.tables
    tables: tuple[tuple[str, tuple[tuple[str, ...], ...]], ...] = field(repr=False, default=())
    # what it does when opened (gateway/content/active.py): "macros", "autoexec:Document_Open",
    # "suspicious:Shell", "mraptor:AWX", "script", "redirect:HOST", "form:HOST"
    active: tuple[str, ...] = ()

    @property
    def where(self) -> str:
        return f"attachment:{self.name}"

    def page_where(self, index: int) -> str:
        return f"{self.where}#page={index + 1}" if len(self.pages) > 1 or self.is_pdf else self.where

    @property
    def is_pdf(self) -> bool:
        return self.real_type == "application/pdf"


@dataclass(frozen=True, slots=True)
class Table:
    """A table as its reader sees it (gateway/content/tables.py): CSV/TSV, a sheet, an HTML
    table, the contacts of a vCard file, the events of a calendar. Its text is also in the
    TextParts; this keeps the rows and columns."""
    where: str  # "attachment:NAME", "attachment:NAME#sheet=Clients", "body#table=1"
    rows: tuple[tuple[str, ...], ...]  # cell text, row by row (the first is often a header)


@dataclass(frozen=True, slots=True)
class ParsedMessage:
    headers: tuple[tuple[str, str], ...]
    subject: str
    sender: str  # From: address
    recipients: tuple[str, ...]  # To/Cc addresses from the headers
    body_parts: tuple[TextPart, ...]
    attachments: tuple[Attachment, ...]
    defects: tuple[str, ...] = ()
    tables: tuple[Table, ...] = ()  # every table in the body and the attachments
    # Bcc: addresses a message still carries (a copy saved from a Sent folder); never shown to
    # the To/Cc recipients, so no scanner reads them as exposed
    blind_recipients: tuple[str, ...] = ()

    def header(self, name: str, default: str = "") -> str:
        name = name.lower()
        return next((v for k, v in self.headers if k.lower() == name), default)

    def texts(self) -> Iterator[TextPart]:
        """Every piece of text a reader would see, with where it came from."""
        if self.subject:
            yield TextPart("subject", self.subject)
        yield from self.body_parts
        for att in self.attachments:
            for i, page in enumerate(att.pages):
                if page:
                    yield TextPart(att.page_where(i), page, att.real_type)


class Scanner(Protocol):
    name: str
    rules: dict[str, str]  # rule id -> one sentence an admin can read

    def scan(self, msg: ParsedMessage, views=None) -> Iterable[Finding]:
        """Findings in `msg`. `views` is the message's scanners.text.MessageText, built once
        by the pipeline and shared by every scanner (None: build it when needed)."""
        ...
