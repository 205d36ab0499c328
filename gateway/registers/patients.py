"""The patient register: the clinic's patient list, kept only as salted hashes, for the
patient-data scanner's exact data match (`patient_register_match`).

`mailscreen patients import FILE.csv` reads the clinic's export (a header row; columns for
the name, date of birth, e-mail, phone numbers, postcode and NHS, Health and Care or CHI
number, under the usual names: see COLUMNS) and replaces the register with it. Every value
is put in a normal form and hashed with BLAKE2b keyed by a salt drawn at random for each
import (scanners/patient_keys.py), itself keyed (HMAC) with the register key from the key
file outside the database (gateway/keys.py): the stored salt `k<id>:...` names the key, and
without the key file nobody can test guesses (a date of birth, a phone number) against the
hashes. Two tables in the quarantine database hold the result:

  patient_register        one row per (patient number, kind, 64-bit hash); the patient
                          number is the row's place in the file, nothing else
  patient_register_state  one row: the salt, a generation number bumped by every import or
                          clear, the patient count, when and by whom

No name, date, address or number is stored, logged or printed: the audit log records the
counts and the file's SHA-256.

How the scan process sees it (the design choice): the sandbox child (gateway/relay/sandbox.py)
builds a `Loader` on the database URL. Before each message the scanner calls
`Loader.index()`, which reads the one-row state table; when the generation changed (an
import or clear since), it reads the hashes once into a `RegisterIndex` of sorted numpy
arrays (about 10 MB and a few hundred ms for 100,000 patients) and keeps it. So the
child needs only read access to the database, no export file has to be kept in step, and a
new import is screened for from the next message on, without a restart.
"""
from __future__ import annotations

import csv
import hashlib
import hmac
import io
import os
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import BigInteger, delete, text
from sqlmodel import Field, SQLModel, select

from gateway.database import audit
from gateway.database.store import Store, utcnow
from gateway.keys import KeyFileError, Keyring
from gateway.registers.loader import RegisterLoader
from scanners import patient_keys

# CSV header (folded: lower case, letters only) -> kind; several columns may give one kind
COLUMNS = {
    "name": "name", "full name": "name", "patient name": "name", "patient": "name",
    "client name": "name", "client": "name",
    "first name": "first", "firstname": "first", "forename": "first", "forenames": "first",
    "given name": "first", "first": "first",
    "last name": "last", "lastname": "last", "surname": "last", "family name": "last",
    "last": "last",
    "dob": "dob", "date of birth": "dob", "birth date": "dob", "birthdate": "dob",
    "d o b": "dob", "date of birth dd mm yyyy": "dob",
    "email": "email", "e mail": "email", "email address": "email", "e mail address": "email",
    "phone": "phone", "telephone": "phone", "tel": "phone", "mobile": "phone",
    "mobile phone": "phone", "mobile number": "phone", "phone number": "phone",
    "home phone": "phone", "work phone": "phone", "landline": "phone",
    "postcode": "postcode", "post code": "postcode", "postal code": "postcode",
    "nhs": "nhs", "nhs number": "nhs", "nhs no": "nhs", "nhs num": "nhs",
    "h c": "hcn", "h c number": "hcn", "h c no": "hcn", "hcn": "hcn",
    "health and care number": "hcn", "health care number": "hcn", "health and care no": "hcn",
    "chi": "chi", "chi number": "chi", "chi no": "chi",
}
MAX_FILE = 512 * 1024 * 1024


class RegisterValue(SQLModel, table=True):
    __tablename__ = "patient_register"
    id: int | None = Field(default=None, primary_key=True)
    patient: int = Field(index=True)
    kind: str  # one of scanners.patient_keys.KINDS
    hash: int = Field(sa_type=BigInteger)  # patient_keys.digest(salt, kind, normal form)


class RegisterState(SQLModel, table=True):
    __tablename__ = "patient_register_state"
    id: int = Field(default=1, primary_key=True)
    salt: bytes = b""
    generation: int = 0
    patients: int = 0
    imported_at: datetime | None = None
    imported_by: str = ""


class RegisterError(Exception):
    """A file that cannot be imported; the message names no patient data."""


@dataclass
class ImportReport:
    patients: int = 0
    skipped_rows: int = 0  # rows with no usable name
    values: dict[str, int] = field(default_factory=dict)  # kind -> values stored
    rejected: dict[str, int] = field(default_factory=dict)  # kind -> values not understood
    ignored_columns: list[str] = field(default_factory=list)
    sha256: str = ""


def create(store: Store) -> Store:
    """The register's tables come with the schema (gateway/migrations): bring it up to date."""
    return store.create()


def read_csv(data: bytes) -> tuple[list[dict[str, list[str]]], list[str]]:
    """The rows as {kind: [normal-form values]} (name as 'first last'), and the ignored
    column names. Raises RegisterError when no name column is found."""
    try:
        content = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        content = data.decode("cp1252", errors="replace")
    try:
        dialect = csv.Sniffer().sniff(content[:4096], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(content), dialect)
    try:
        header = next(reader)
    except StopIteration:
        raise RegisterError("the file is empty") from None
    kinds = [COLUMNS.get(patient_keys.fold(h)) for h in header]
    ignored = [h for h, k in zip(header, kinds) if k is None and h.strip()]
    if "name" not in kinds and not ("first" in kinds and "last" in kinds):
        raise RegisterError("no name column (name, or first name and surname) in the header row")
    rows = []
    for record in reader:
        if not any(v.strip() for v in record):
            continue
        row: dict[str, list[str]] = {}
        first = last = ""
        for kind, value in zip(kinds, record):
            value = value.strip()
            if not kind or not value:
                continue
            if kind == "first":
                first = value
            elif kind == "last":
                last = value
            else:
                row.setdefault(kind, []).append(value)
        if first or last:
            row.setdefault("name", []).append(f"{first} {last}")
        rows.append(row)
    return rows, ignored


def import_csv(store: Store, path: Path, reason: str = "") -> ImportReport:
    """Replace the register with the patients of a CSV file, under a new salt."""
    if path.stat().st_size > MAX_FILE:
        raise RegisterError(f"file over {MAX_FILE // (1024 * 1024)} MiB")
    data = path.read_bytes()
    rows, ignored = read_csv(data)
    stored = secrets.token_bytes(32)
    if store.keyring is not None:
        stored = f"k{store.keyring.current}:".encode() + stored
    salt = hash_key(stored, store.keyring)
    report = ImportReport(ignored_columns=ignored, sha256=hashlib.sha256(data).hexdigest())
    values = []
    for row in rows:
        names = [k for k in (patient_keys.normal("name", v) for v in row.get("name", [])) if k]
        if not names:
            report.skipped_rows += 1
            continue
        report.patients += 1
        number = report.patients
        for kind, raw_values in row.items():
            for raw in raw_values:
                key = patient_keys.normal(kind, raw)
                if not key:
                    report.rejected[kind] = report.rejected.get(kind, 0) + 1
                    continue
                values.append({"patient": number, "kind": kind,
                               "hash": patient_keys.digest(salt, kind, key)})
                report.values[kind] = report.values.get(kind, 0) + 1
    del rows, data
    with store.session() as s:
        s.exec(text(f"DELETE FROM {RegisterValue.__tablename__}"))
        if values:
            s.connection().execute(RegisterValue.__table__.insert(), values)
        _set_state(s, stored, report.patients)
        audit.append(s, "patients_import", [], reason, patients=report.patients,
                     skipped_rows=report.skipped_rows, values=report.values,
                     rejected=report.rejected, sha256=report.sha256, file=path.name[:200])
        s.commit()
    return report


def lookup(store: Store, kind: str, value: str) -> list[int]:
    """The patient numbers holding `value` (a name, an e-mail address ...) in the register,
    found by its hash under the register's key; the value itself is never stored."""
    normal = patient_keys.normal(kind, value)
    with store.session() as s:
        state = s.get(RegisterState, 1)
        if not normal or state is None or not state.patients:
            return []
        h = patient_keys.digest(hash_key(bytes(state.salt), store.keyring), kind, normal)
        return sorted(set(s.exec(select(RegisterValue.patient).where(
            RegisterValue.kind == kind, RegisterValue.hash == h)).all()))


def forget(store: Store, ref: str, reason: str) -> int:
    """Remove one patient (by register number, or by full name: every patient of that
    name) from the register (UK GDPR erasure); the number of patients removed. The audit
    row records the count only, never the name."""
    numbers = [int(ref)] if ref.strip().isdigit() else lookup(store, "name", ref)
    with store.session() as s:  # audit.append takes the chain's lock
        removed = 0
        for number in numbers:
            removed += bool(s.exec(delete(RegisterValue).where(
                RegisterValue.patient == number)).rowcount)
        state = s.get(RegisterState, 1)
        if removed and state is not None:
            state.generation += 1  # the scan processes reload the register
            state.patients = max(0, state.patients - removed)
            s.add(state)
        audit.append(s, "patients_forget", [], reason, patients=removed,
                     by="number" if ref.strip().isdigit() else "name")
        s.commit()
    return removed


def hash_key(stored: bytes, keyring: Keyring | None) -> bytes:
    """The key the register's hashes are made with: a stored salt `k<id>:...` keyed with
    that key of the key file; an older salt as it is."""
    if stored[:1] != b"k" or b":" not in stored[:12]:
        return stored
    if keyring is None:
        raise RegisterError("the register is keyed and the key file was not given")
    kid = int(stored[1:stored.index(b":")])
    return hmac.new(keyring.subkey("patients", kid), stored, hashlib.sha256).digest()


def clear(store: Store, reason: str) -> int:
    """Empty the register; the number of patients it held."""
    with store.session() as s:
        state = s.get(RegisterState, 1)
        before = state.patients if state else 0
        s.exec(text(f"DELETE FROM {RegisterValue.__tablename__}"))
        _set_state(s, b"", 0)
        audit.append(s, "patients_clear", [], reason, patients=before)
        s.commit()
    return before


def _set_state(session, salt: bytes, patients: int) -> None:
    state = session.get(RegisterState, 1) or RegisterState(id=1)
    state.salt = salt
    state.generation = (state.generation or 0) + 1
    state.patients = patients
    state.imported_at = utcnow()
    state.imported_by = audit.current_user()
    session.add(state)


def status(store: Store) -> tuple[RegisterState | None, dict[str, int]]:
    """The state row and the number of values stored of each kind."""
    with store.session() as s:
        state = s.get(RegisterState, 1)
        counts = dict(s.exec(text(f"SELECT kind, count(*) FROM {RegisterValue.__tablename__} "
                                  "GROUP BY kind")).all())
    return state, counts


class Loader(RegisterLoader):
    """The register as the patient-data scanner sees it, in a scan process. Read-only."""
    table = RegisterState.__tablename__

    def __init__(self, url: str, key_file: str | None = None):
        super().__init__(url)
        self.key_file = key_file
        self._keyring: Keyring | None = None
        self._generation: int | None = None
        self._index: patient_keys.RegisterIndex | None = None

    def index(self) -> patient_keys.RegisterIndex | None:
        engine = self.connect()
        if engine is None:
            return None
        with engine.connect() as conn:
            row = conn.execute(text("SELECT salt, generation, patients FROM "
                                    f"{RegisterState.__tablename__} WHERE id = 1")).first()
            if row is None or not row.patients:
                self._generation, self._index = (row.generation if row else None), None
                return None
            if row.generation != self._generation:
                self._index = load_index(conn, hash_key(bytes(row.salt), self._keys()),
                                         row.patients)
                self._generation = row.generation
        return self._index

    def _keys(self) -> Keyring | None:
        """The key file, read once; a keyed register without it is an error (the scan fails
        closed), never a register silently switched off."""
        if self._keyring is None and self.key_file:
            try:
                self._keyring = Keyring.load(self.key_file)
            except KeyFileError as e:
                raise RegisterError(str(e)) from None
        return self._keyring


def load_index(conn, salt: bytes, patients: int) -> patient_keys.RegisterIndex:
    import numpy as np

    columns: dict[str, tuple[list[int], list[int]]] = {}
    result = conn.execute(text(f"SELECT kind, hash, patient FROM {RegisterValue.__tablename__}"))
    for kind, h, p in result:
        hashes, ids = columns.setdefault(kind, ([], []))
        hashes.append(h)
        ids.append(p)
    return patient_keys.RegisterIndex(
        salt, {k: (np.array(h, dtype=np.int64), np.array(i, dtype=np.int64))
               for k, (h, i) in columns.items()}, patients)


def write_csv(path: Path, rows: list[dict[str, str]]) -> None:
    """A register file in the expected shape (tests and the bench)."""
    fields = ["name", "date_of_birth", "email", "phone", "postcode", "nhs_number"]
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    os.chmod(path, 0o600)
