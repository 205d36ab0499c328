"""The audit log: one row per admin action, each carrying the hash of the one before.

Changing, deleting or reordering a row breaks the chain from that row on, and
`verify()` names the first broken row. Appends are serialised by a lock in the database
itself, held until the appending transaction ends, so two terminals, or two nodes sharing
one PostgreSQL database, never fork the chain.
"""
from __future__ import annotations

import getpass
import json
import os
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlmodel import Session, select

from gateway.quarantine.store import GENESIS, AuditEvent, Store


def current_user() -> str:
    """The OS user running the command (SUDO_USER when run through sudo)."""
    return os.environ.get("SUDO_USER") or getpass.getuser()


# pg_advisory_xact_lock key for appending to the chain ("mailaudt")
CHAIN_LOCK = 0x6D61696C61756474


def lock_chain(session: Session) -> None:
    """Take the chain's lock until the session's transaction ends: a PostgreSQL advisory
    transaction lock; on SQLite the database's write lock (a write that changes nothing
    takes it, and waits for it up to the busy timeout)."""
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": CHAIN_LOCK})
    else:
        conn.execute(text("UPDATE audit_event SET id = id WHERE id = -1"))


def append(session: Session, action: str, message_ids=(), reason: str = "",
           user: str | None = None, **detail) -> AuditEvent:
    """Add a row to the chain inside the caller's transaction, under the chain's lock
    (taken here, released when the caller commits or rolls back)."""
    lock_chain(session)
    last = session.exec(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).first()
    event = AuditEvent(user=user or current_user(), action=action,
                       message_ids=json.dumps(list(message_ids)), reason=reason,
                       detail=json.dumps(detail, sort_keys=True, default=str),
                       prev_hash=last.hash if last else GENESIS)
    session.add(event)
    session.flush()  # assigns the id, which the hash covers
    event.hash = event.digest()
    session.add(event)
    return event


def record(store: Store, action: str, message_ids=(), reason: str = "", **detail) -> AuditEvent:
    """Append one row in its own transaction."""
    with store.session() as s:
        event = append(s, action, message_ids, reason, **detail)
        s.commit()
        return event


def events(store: Store, since: datetime | None = None) -> list[AuditEvent]:
    with store.session() as s:
        query = select(AuditEvent).order_by(AuditEvent.id)
        if since is not None:
            query = query.where(AuditEvent.at >= since)
        return list(s.exec(query).all())


@dataclass(frozen=True)
class ChainCheck:
    rows: int
    first_broken: int | None  # id of the first row that does not check out
    why: str = ""

    @property
    def ok(self) -> bool:
        return self.first_broken is None


def verify(store: Store) -> ChainCheck:
    prev = GENESIS
    rows = events(store)
    for row in rows:
        if row.prev_hash != prev:
            return ChainCheck(len(rows), row.id, "does not point at the row before it "
                                                 "(a row was removed or reordered)")
        if row.digest() != row.hash:
            return ChainCheck(len(rows), row.id, "its contents do not match its hash "
                                                 "(the row was changed)")
        prev = row.hash
    return ChainCheck(len(rows), None)
