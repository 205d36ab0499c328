"""The protected works register: documents the clinic knows it may not send (paid training
manuals, subscription articles), kept as winnowing fingerprints (scanners/fingerprint.py).

One row per work in the `protected_work` table: title, file name, SHA-256, word count and
the fingerprints packed in one blob (12 bytes each: a 64-bit hash and a 32-bit word
position). The text itself is never stored. Adding and removing write the audit log.

The scan processes read the register with a `Loader`: it loads every blob once into a
`fingerprint.Index` and, before each message, asks the database for the row count and the
highest id (one small query); when either changed (`works add` or `works remove` since),
it loads again. So a new work is screened for from the next message on, without a restart.
Ids are never reused (AUTOINCREMENT), so remove-then-add is always seen as a change.
"""
from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path

from sqlalchemy import func
from sqlmodel import Field, Session, SQLModel, select

from gateway.content.extract import extract
from gateway.content.limits import Limits
from gateway.database import audit
from gateway.database.store import Store, utcnow
from gateway.registers.loader import RegisterLoader
from scanners import fingerprint


class ProtectedWork(SQLModel, table=True):
    __tablename__ = "protected_work"
    __table_args__ = {"sqlite_autoincrement": True}
    id: int | None = Field(default=None, primary_key=True)
    title: str
    filename: str = ""
    sha256: str = Field(index=True)
    words: int = 0
    fingerprint_count: int = 0
    fingerprints: bytes = b""  # fingerprint.pack(): hashes (8 bytes) then positions (4 bytes)
    added_at: datetime = Field(default_factory=utcnow)
    added_by: str = ""


class WorkError(Exception):
    """A file that cannot be registered, or an id that is not registered; one line."""


def create(store: Store) -> Store:
    """The register's tables come with the schema (gateway/migrations): bring it up to date."""
    return store.create()


# Registering is an admin's deliberate act on a file they have: long manuals are read whole.
REGISTER_LIMITS = Limits(max_pdf_pages=5000, pdf_seconds=600.0, ocr_max_pages=200)


def document_text(path: Path, limits: Limits = REGISTER_LIMITS) -> str:
    """The text of a file, read as an attachment would be (PDF, office, text, archives)."""
    data = path.read_bytes()
    parts = extract(path.name, "", data, limits)
    first = parts[0]
    if first.encrypted:
        raise WorkError(f"{path}: encrypted, its text cannot be read")
    if first.error or first.over_limit:
        raise WorkError(f"{path}: {first.error or first.over_limit}")
    return "\n".join(page for part in parts for page in part.pages)


def add(store: Store, path: Path, title: str = "", reason: str = "") -> ProtectedWork:
    text = document_text(path)
    hashes, positions, words = fingerprint.fingerprints(text)
    if len(hashes) < fingerprint.MIN_MATCHES:
        raise WorkError(f"{path}: too little text to register ({words} words)")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    with store.session() as s:
        if s.exec(select(ProtectedWork).where(ProtectedWork.sha256 == digest)).first():
            raise WorkError(f"{path}: already registered")
    work = ProtectedWork(title=(title or path.stem)[:200], filename=path.name[:200], sha256=digest,
                         words=words, fingerprint_count=len(hashes),
                         fingerprints=fingerprint.pack(hashes, positions),
                         added_by=audit.current_user())
    with store.session() as s:
        s.add(work)
        s.flush()
        audit.append(s, "works_add", [], reason, work_id=work.id, title=work.title,
                     filename=work.filename, sha256=digest, words=words,
                     fingerprints=len(hashes))
        s.commit()
    return work


def remove(store: Store, work_id: int, reason: str) -> ProtectedWork:
    with store.session() as s:
        work = s.get(ProtectedWork, work_id)
        if work is None:
            raise WorkError(f"no registered work {work_id}")
        s.delete(work)
        audit.append(s, "works_remove", [], reason, work_id=work.id, title=work.title,
                     filename=work.filename, sha256=work.sha256)
        s.commit()
    return work


def listing(store: Store) -> list[ProtectedWork]:
    with store.session() as s:
        return list(s.exec(select(ProtectedWork).order_by(ProtectedWork.id)).all())


class Loader(RegisterLoader):
    """The register as the copyright scanner sees it, in a scan process. Read-only."""
    table = ProtectedWork.__tablename__

    def __init__(self, url: str):
        super().__init__(url)
        self._stamp: tuple[int, int] | None = None
        self._index = fingerprint.Index()

    def index(self) -> fingerprint.Index:
        engine = self.connect()
        if engine is None:
            return self._index
        with Session(engine) as s:
            count, top = s.exec(select(func.count(ProtectedWork.id),
                                       func.max(ProtectedWork.id))).one()
            stamp = (count, top or 0)
            if stamp != self._stamp:
                rows = s.exec(select(ProtectedWork.id, ProtectedWork.title, ProtectedWork.words,
                                     ProtectedWork.fingerprints)).all()
                self._index = fingerprint.Index(
                    [(fingerprint.Work(i, t, w), blob) for i, t, w, blob in rows])
                self._stamp = stamp
        return self._index
