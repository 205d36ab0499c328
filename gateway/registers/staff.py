"""The staff register: the clinic's own people, so the patient-data scanner never takes them
for patients (POLICY.md: staff information, rotas, contact lists, a practitioner's own
headshot and registration PIN pass).

`mailscreen staff import FILE.csv` replaces the register with the file: a header row and
columns for the name, role, registration number (NMC PIN, GMC, GDC, GPhC), work phone and,
optionally, a reference photo (a path to an image, relative to the CSV). Names, roles and
registration numbers are what the clinic publishes on its website and are kept as written;
a phone is kept in its normal form; a photo is never stored, only a 64-bit difference hash
of it (scanners/photos.py `dhash`), so the same headshot sent resized or recompressed is
recognised, while a different photograph of the same person is not (no face recognition).

How the scan process sees it: `Loader.snapshot()` asks the database for the row count and
the highest id before each message and reads the rows again only when either changed, as
the works register does (gateway/registers/works.py).
"""
from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import delete, func
from sqlmodel import Field, Session, SQLModel, select

from gateway.database import audit
from gateway.database.store import Store, utcnow
from gateway.registers.loader import RegisterLoader
from scanners import patient_keys, photos

# CSV header (lower case, spaces for _ and -) -> field
COLUMNS = {
    "name": "name", "full name": "name", "staff name": "name",
    "role": "role", "job title": "role", "position": "role", "title": "role",
    "registration": "registration", "registration number": "registration", "pin": "registration",
    "nmc pin": "registration", "gmc": "registration", "gmc number": "registration",
    "gdc": "registration", "gphc": "registration",
    "phone": "phone", "work phone": "phone", "mobile": "phone", "work mobile": "phone",
    "telephone": "phone",
    "photo": "photo", "headshot": "photo", "picture": "photo",
}


class StaffMember(SQLModel, table=True):
    __tablename__ = "staff_member"
    __table_args__ = {"sqlite_autoincrement": True}
    id: int | None = Field(default=None, primary_key=True)
    name: str
    name_key: str = ""  # patient_keys.name_key: "first last", folded
    role: str = ""
    registration: str = ""
    phone_key: str = ""  # patient_keys.phone_key
    photo_hash: str = ""  # 16 hex digits: photos.dhash of the reference photo, "" for none
    added_at: datetime = Field(default_factory=utcnow)
    added_by: str = ""


class StaffError(Exception):
    """A file that cannot be imported; one line."""


def create(store: Store) -> Store:
    """The register's table comes with the schema (gateway/migrations)."""
    return store.create()


def read_csv(path: Path) -> list[StaffMember]:
    """The rows of a staff file; a photo that cannot be read is an error, not a silent gap."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise StaffError(f"{path}: {e}") from None
    reader = csv.DictReader(io.StringIO(text))
    fields = {h: COLUMNS.get(" ".join(h.lower().replace("_", " ").replace("-", " ").split()))
              for h in reader.fieldnames or ()}
    if "name" not in fields.values():
        raise StaffError(f"{path}: no name column (expected one of: name, full name, staff name)")
    people = []
    for line, row in enumerate(reader, start=2):
        values: dict[str, str] = {}
        for header, kind in fields.items():
            if kind and (row.get(header) or "").strip() and kind not in values:
                values[kind] = row[header].strip()
        if not values.get("name"):
            continue
        photo_hash = ""
        if values.get("photo"):
            image = (path.parent / values["photo"]).resolve()
            try:
                digest = photos.dhash(image.read_bytes())
            except OSError as e:
                raise StaffError(f"{path}:{line}: photo {values['photo']}: {e.strerror}") from None
            if digest is None:
                raise StaffError(f"{path}:{line}: photo {values['photo']}: not a readable image")
            photo_hash = f"{digest:016x}"
        people.append(StaffMember(
            name=values["name"][:200], name_key=patient_keys.name_key(values["name"]),
            role=values.get("role", "")[:200], registration=values.get("registration", "")[:40],
            phone_key=patient_keys.phone_key(values.get("phone", "")), photo_hash=photo_hash,
            added_by=audit.current_user()))
    if not people:
        raise StaffError(f"{path}: no staff rows")
    return people


def replace(store: Store, path: Path, reason: str = "") -> int:
    """The register becomes the file's rows; the audit log records the count and the file's
    SHA-256."""
    people = read_csv(path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    with store.session() as s:
        s.exec(delete(StaffMember))
        s.add_all(people)
        audit.append(s, "staff_import", [], reason, count=len(people), sha256=digest,
                     photos=sum(1 for p in people if p.photo_hash))
        s.commit()
    return len(people)


def clear(store: Store, reason: str) -> int:
    with store.session() as s:
        count = s.exec(select(func.count(StaffMember.id))).one()
        s.exec(delete(StaffMember))
        audit.append(s, "staff_clear", [], reason, count=count)
        s.commit()
    return count


def listing(store: Store) -> list[StaffMember]:
    with store.session() as s:
        return list(s.exec(select(StaffMember).order_by(StaffMember.id)).all())


@dataclass(frozen=True)
class Snapshot:
    """What the patient-data scanner needs of the register."""
    name_keys: frozenset[str] = frozenset()
    phone_keys: frozenset[str] = frozenset()
    photo_hashes: tuple[int, ...] = ()


class Loader(RegisterLoader):
    """The register as the patient-data scanner sees it, in a scan process. Read-only."""
    table = StaffMember.__tablename__

    def __init__(self, url: str):
        super().__init__(url)
        self._stamp: tuple[int, int] | None = None
        self._snapshot = Snapshot()

    def snapshot(self) -> Snapshot:
        engine = self.connect()
        if engine is None:
            return self._snapshot
        with Session(engine) as s:
            count, top = s.exec(select(func.count(StaffMember.id), func.max(StaffMember.id))).one()
            if (count, top or 0) != self._stamp:
                rows = s.exec(select(StaffMember.name_key, StaffMember.phone_key,
                                     StaffMember.photo_hash)).all()
                self._snapshot = Snapshot(
                    frozenset(n for n, _, _ in rows if n), frozenset(p for _, p, _ in rows if p),
                    tuple(int(h, 16) for _, _, h in rows if h))
                self._stamp = (count, top or 0)
        return self._snapshot
