"""The quarantine store (sqlmodel): held messages, their bytes, and the screening log.

Rows are keyed by the spool id, so writing them again after a crash is harmless: the
worker may redo a message it had half finished, and the first row stands.

The raw message of a held mail lives in the database too (`held_body`, with its spool
envelope), not in a spool directory: with several nodes on one PostgreSQL database, the
node that picks up a release may not be the one that held the mail, and a purge must
remove the bytes everywhere at once. SQLite keeps the same design, so one code path
serves one node and many. Mail in flight (incoming, outgoing) stays in each node's spool.

The schema is made and upgraded by Alembic migrations (gateway/migrations).
"""
from __future__ import annotations

import hashlib
import json
import os
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import LargeBinary, event
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Field, Session, SQLModel, create_engine, select

GENESIS = "0" * 64  # prev_hash of the first audit row


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes, PostgreSQL aware ones: every time we store is UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc) if value is not None else None


class HeldMessage(SQLModel, table=True):
    __tablename__ = "held_message"
    id: str = Field(primary_key=True)
    received_at: datetime = Field(index=True)
    held_at: datetime = Field(default_factory=utcnow)  # indexed for the held list (revision 0007)
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
    decided_at: datetime | None = None  # indexed for the weekly report (revision 0008)
    decided_by: str = ""
    reason_code: str = ""  # release: false_positive, approved_exception, consent_on_file, other
    reason: str = ""
    # what the sender wrote to justify it (gateway/quarantine/justify.py), for the admin
    justification: str = ""
    raw_purged_at: datetime | None = None
    # a released message on its way into one node's spool (gateway/quarantine/dispatch.py)
    lease_owner: str = ""  # the node that claimed it, until lease_until
    lease_until: datetime | None = None
    claim_id: str = ""  # the latest claim; only the spool copy carrying it may be sent
    dispatched_by: str = ""  # the node whose spool took it; its bytes left held_body then
    dispatched_at: datetime | None = None

    @property
    def recipients(self) -> list[str]:
        return json.loads(self.rcpt_tos)

    @property
    def finding_dicts(self) -> list[dict]:
        return json.loads(self.findings)


class HeldBody(SQLModel, table=True):
    """The bytes of a held message and its spool envelope, until dispatched or purged."""
    __tablename__ = "held_body"
    id: str = Field(primary_key=True)
    raw: bytes = Field(sa_type=LargeBinary)
    envelope: str  # SpoolEntry.to_json()


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
    node: str = ""  # the node that wrote it ("" before revision 0004)

    def body(self) -> bytes:
        """What the row's hash covers: every field but the hash, the row before's included
        (the node only when there is one, so rows written before it still check out)."""
        fields = [self.id, as_utc(self.at).isoformat(), self.user, self.action,
                  self.message_ids, self.reason, self.detail, self.prev_hash]
        return json.dumps(fields + [self.node] if self.node else fields,
                          ensure_ascii=True, separators=(",", ":")).encode()

    def digest(self) -> str:
        """The unkeyed hash of rows written before the audit key (gateway/keys.py)."""
        return hashlib.sha256(self.body()).hexdigest()


class AuditHead(SQLModel, table=True):
    """The head of the audit chain as each node last appended to it, signed with the key:
    removing a node's last rows is seen by every node (gateway/database/audit.py)."""
    __tablename__ = "audit_head"
    node: str = Field(primary_key=True)
    last_id: int
    hash: str
    signature: str = ""
    at: datetime = Field(default_factory=utcnow)


class KeyFingerprint(SQLModel, table=True):
    """The fingerprint of each key in the key file (gateway/keys.py), never the key: every
    node on one database must hold the same keys, and one that does not refuses to start."""
    __tablename__ = "key_fingerprint"
    id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})  # key id
    fingerprint: str
    node: str = ""  # who added it: where to copy the key file from
    host: str = ""
    added_at: datetime = Field(default_factory=utcnow)


class WebPassword(SQLModel, table=True):
    """A person's password for the review console (gateway/web), as an scrypt hash."""
    __tablename__ = "web_password"
    user: str = Field(primary_key=True)
    hash: str
    set_at: datetime = Field(default_factory=utcnow)


class JustifyToken(SQLModel, table=True):
    """A sender's link or reply token once it is spent (withdrawn, justified): single use
    on every node, as the database is shared."""
    __tablename__ = "justify_token"
    id: str = Field(primary_key=True)  # the token's signature
    message_id: str = Field(index=True)
    action: str  # withdraw, release, attach
    used_at: datetime = Field(default_factory=utcnow)


# The SQLite write log (-wal) is cut back to this after each checkpoint, and checkpointed
# whole when it grows past it; the spool's reserve counts it (gateway/app.py).
WAL_LIMIT = 4 * 1024 * 1024


def _sqlite_pragmas(dbapi_connection, _record):
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA journal_size_limit={WAL_LIMIT}")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def sqlite_path(url: str) -> Path | None:
    """The file of an SQLite database URL (None for another database or SQLite in memory)."""
    if url.startswith("sqlite:///") and len(url) > len("sqlite:///"):
        return Path(url.removeprefix("sqlite:///"))
    return None
def make_engine(url: str):
    """An engine for a database URL: SQLite in WAL mode with a busy timeout; PostgreSQL
    through psycopg 3, sessions in UTC, connections checked before use (a node outlives
    a database restart)."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if url.startswith("postgresql"):
        return create_engine(url, pool_pre_ping=True,
                             connect_args={"options": "-c timezone=UTC", "connect_timeout": 10})
    return create_engine(url)


class Store:
    def __init__(self, url: str):
        self.url = url
        path = sqlite_path(url)
        if path is not None:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            if not path.exists():
                os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        self.engine = make_engine(url)
        # the audit key and the anchor file outside the database (gateway/database/audit.py
        # configure()); without them the chain is plain SHA-256, as before
        self.keyring = None
        self.anchor = None
        self.node = ""  # this node's name in the audit chain's rows and heads
        self._upserts: dict = {}  # (table, replace) -> the statement, built once

    def create(self) -> "Store":
        """Bring the schema to the current revision (gateway/migrations)."""
        from gateway import migrations

        migrations.upgrade(self.engine)
        return self

    def checkpoint(self, over: int = 0) -> bool:
        """SQLite: copy the write log into the database and truncate it, if it is larger
        than `over` bytes (a reader may hold it back: then it is tried again later).
        Whether it ran; other databases manage their own logs."""
        path = sqlite_path(self.url)
        if path is None:
            return False
        try:
            if Path(f"{path}-wal").stat().st_size <= over:
                return False
        except FileNotFoundError:
            return False
        with self.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        return True

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False, info={"store": self})

    def log(self, entry: ScreeningLog, conn=None) -> None:
        """The log line, in `conn`'s transaction if given (the screener's, with the
        message's bulk-repetition row: one commit a message)."""
        if conn is not None:
            return self._upsert(conn, entry)
        with self.engine.begin() as conn:
            self._upsert(conn, entry)

    def hold(self, held: HeldMessage, entry: ScreeningLog, raw: bytes, envelope: bytes,
             conn=None) -> None:
        """The held row, its bytes and the log line in one transaction (`conn`'s, if
        given). Screened again after a crash, the first hold stands (an admin may have
        decided on it meanwhile)."""
        if conn is None:
            with self.engine.begin() as conn:
                return self.hold(held, entry, raw, envelope, conn)
        self._upsert(conn, held, replace=False)
        self._upsert(conn, HeldBody(id=held.id, raw=raw, envelope=envelope.decode()),
                     replace=False)
        self._upsert(conn, entry)

    def add_new(self, *rows: SQLModel) -> None:
        """Insert rows whose id is not there yet; one already there stands."""
        with self.engine.begin() as conn:
            for row in rows:
                self._upsert(conn, row, replace=False)

    def _upsert(self, conn, row: SQLModel, replace: bool = True) -> None:
        """Insert, or (`replace`) overwrite the row with the same id (a message screened
        again after a crash). A single statement, without the ORM, built once and given
        the values as parameters: this runs once per message, and compiling a statement
        with its values in it cost more CPU than the rest of the bookkeeping."""
        table = row.__table__
        values = {c.name: getattr(row, c.name) for c in table.columns}
        dialect = self.engine.dialect.name
        if dialect in ("sqlite", "postgresql"):
            stmt = self._upserts.get((table.name, replace))
            if stmt is None:
                stmt = (sqlite_insert if dialect == "sqlite" else postgresql_insert)(table)
                stmt = stmt.on_conflict_do_update(
                    index_elements=[table.c.id],
                    set_={c.name: stmt.excluded[c.name] for c in table.columns
                          if c.name != "id"}) if replace else \
                    stmt.on_conflict_do_nothing(index_elements=[table.c.id])
                self._upserts[(table.name, replace)] = stmt
            conn.execute(stmt, values)
        else:
            with Session(bind=conn) as s:
                if replace or s.get(type(row), row.id) is None:
                    s.merge(row)
                s.flush()

    def body(self, msg_id: str) -> HeldBody | None:
        with self.session() as s:
            return s.get(HeldBody, msg_id)

    def keep_body(self, msg_id: str, raw: bytes, envelope: bytes) -> None:
        with self.engine.begin() as conn:
            self._upsert(conn, HeldBody(id=msg_id, raw=raw, envelope=envelope.decode()),
                         replace=False)

    def forget_body(self, msg_id: str) -> bool:
        """Delete a held message's bytes (purge); whether there were any."""
        with self.engine.begin() as conn:
            table = HeldBody.__table__
            return conn.execute(table.delete().where(table.c.id == msg_id)).rowcount == 1

    def held(self, msg_id: str) -> HeldMessage | None:
        with self.session() as s:
            return s.get(HeldMessage, msg_id)

    def held_ids(self, status: str | None = None) -> set[str]:
        query = select(HeldMessage.id)
        if status:
            query = query.where(HeldMessage.status == status)
        with self.session() as s:
            return set(s.exec(query).all())

    def logs(self) -> list[ScreeningLog]:
        with self.session() as s:
            return list(s.exec(select(ScreeningLog).order_by(ScreeningLog.screened_at)).all())

    def dispose(self) -> None:
        self.engine.dispose()
