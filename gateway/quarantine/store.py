"""The quarantine store (sqlmodel): held messages and the screening log.

Rows are keyed by the spool id, so writing them again after a crash is harmless: the
worker may redo a message it had half finished, and the row is simply replaced.
The raw message of a held mail stays in the spool's hold/ queue (mode 0600); the row
refers to it by id.
"""
from __future__ import annotations

import hashlib
import json
import os
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import event, inspect, text
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Field, Session, SQLModel, create_engine, select

GENESIS = "0" * 64  # prev_hash of the first audit row


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def as_utc(value: datetime | None) -> datetime | None:
    """Databases hand back naive datetimes; every time we store is UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value


class HeldMessage(SQLModel, table=True):
    __tablename__ = "held_message"
    id: str = Field(primary_key=True)
    received_at: datetime = Field(index=True)
    held_at: datetime = Field(default_factory=utcnow)
    mail_from: str = Field(index=True)
    rcpt_tos: str  # JSON list
    subject: str = ""
    size: int = 0
    findings: str = "[]"  # JSON list of finding dicts (redacted evidence only)
    attachments: str = "[]"  # JSON list of {name, real_type, size}
    categories: str = ""  # comma-separated, of the findings that held it
    hold_rules: str = ""  # comma-separated rule ids of the findings that held it
    top_rule: str = ""
    four_eyes: bool = False  # release needs an approval by another admin first
    status: str = Field(default="held", index=True)  # held, released, rejected
    approved_by: str = ""
    approved_at: datetime | None = None
    decided_at: datetime | None = None
    decided_by: str = ""
    reason_code: str = ""  # release: false_positive, approved_exception, consent_on_file, other
    reason: str = ""
    raw_purged_at: datetime | None = None

    @property
    def recipients(self) -> list[str]:
        return json.loads(self.rcpt_tos)

    @property
    def finding_dicts(self) -> list[dict]:
        return json.loads(self.findings)


class ScreeningLog(SQLModel, table=True):
    __tablename__ = "screening_log"
    id: str = Field(primary_key=True)  # the spool id
    screened_at: datetime = Field(default_factory=utcnow, index=True)
    sender: str = Field(index=True)
    recipient_count: int
    action: str = Field(index=True)  # pass, tag, hold
    categories: str = ""  # comma-separated, of findings that tagged or held
    rules: str = ""  # comma-separated rule ids of every finding
    scan_seconds: float = 0.0
    size: int = 0


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    user: str
    action: str = Field(index=True)  # release, approve, reject, purge, expire, ...
    message_ids: str = "[]"  # JSON list
    reason: str = ""
    detail: str = ""  # JSON object with anything else worth keeping (reason code, counts)
    prev_hash: str = GENESIS
    hash: str = ""

    def body(self) -> bytes:
        """What the row's hash covers: every field but the hash, the row before's included."""
        return json.dumps([self.id, as_utc(self.at).isoformat(), self.user, self.action,
                           self.message_ids, self.reason, self.detail, self.prev_hash],
                          ensure_ascii=True, separators=(",", ":")).encode()

    def digest(self) -> str:
        """The unkeyed hash of rows written before the audit key (gateway/keys.py)."""
        return hashlib.sha256(self.body()).hexdigest()


def _sql_literal(value) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (int, float)):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def _sqlite_pragmas(dbapi_connection, _record):
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def sqlite_path(url: str) -> Path | None:
    """The file of an SQLite database URL (None for another database or SQLite in memory)."""
    if url.startswith("sqlite:///") and len(url) > len("sqlite:///"):
        return Path(url.removeprefix("sqlite:///"))
    return None


class Store:
    def __init__(self, url: str):
        self.url = url
        path = sqlite_path(url)
        if path is not None:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            if not path.exists():
                os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        self.engine = create_engine(url, connect_args={"timeout": 30} if url.startswith("sqlite")
                                    else {})
        if url.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_pragmas)
        # the audit key and the anchor file outside the database (gateway/quarantine/audit.py
        # configure()); without them the chain is plain SHA-256, as before
        self.keyring = None
        self.anchor = None

    def create(self) -> "Store":
        SQLModel.metadata.create_all(self.engine)
        self._add_missing_columns()
        return self

    def _add_missing_columns(self) -> None:
        """Additive schema changes (a new column with a default) applied in place, so a
        database made by an older mailscreen keeps working. Anything else needs a migration."""
        inspector = inspect(self.engine)
        with self.engine.begin() as conn:
            for table in SQLModel.metadata.sorted_tables:
                have = {c["name"] for c in inspector.get_columns(table.name)}
                for column in table.columns:
                    if column.name in have:
                        continue
                    ddl = column.type.compile(dialect=self.engine.dialect)
                    default = column.default.arg if column.default is not None and \
                        not callable(column.default.arg) else None
                    clause = "" if default is None else f" DEFAULT {_sql_literal(default)}"
                    conn.execute(text(f'ALTER TABLE {table.name} ADD COLUMN "{column.name}" '
                                      f"{ddl}{clause}"))

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False, info={"store": self})

    def log(self, entry: ScreeningLog) -> None:
        with self.engine.begin() as conn:
            self._upsert(conn, entry)

    def hold(self, held: HeldMessage, entry: ScreeningLog) -> None:
        with self.engine.begin() as conn:
            self._upsert(conn, held)
            self._upsert(conn, entry)

    def _upsert(self, conn, row: SQLModel) -> None:
        """Insert, or replace the row with the same id (a message screened again after a
        crash). A single statement, without the ORM: this runs once per message."""
        table = row.__table__
        values = {c.name: getattr(row, c.name) for c in table.columns}
        dialect = self.engine.dialect.name
        if dialect in ("sqlite", "postgresql"):
            insert = sqlite_insert if dialect == "sqlite" else postgresql_insert
            stmt = insert(table).values(**values)
            stmt = stmt.on_conflict_do_update(index_elements=[table.c.id],
                                              set_={k: v for k, v in values.items() if k != "id"})
            conn.execute(stmt)
        else:
            with Session(bind=conn) as s:
                s.merge(row)
                s.flush()

    def held(self, msg_id: str) -> HeldMessage | None:
        with self.session() as s:
            return s.get(HeldMessage, msg_id)

    def held_ids(self) -> set[str]:
        with self.session() as s:
            return set(s.exec(select(HeldMessage.id)).all())

    def logs(self) -> list[ScreeningLog]:
        with self.session() as s:
            return list(s.exec(select(ScreeningLog).order_by(ScreeningLog.screened_at)).all())

    def dispose(self) -> None:
        self.engine.dispose()
