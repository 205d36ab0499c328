"""The audit log: one row per admin action, each carrying the hash of the one before.

Changing, deleting or reordering a row breaks the chain from that row on, and
`verify()` names the first broken row. Appends are serialised by a lock in the database
itself, held until the appending transaction ends, so two terminals, or two nodes sharing
one PostgreSQL database, never fork the chain.

Two things keep a database writer from rewriting history (issue 13, findings 3 and 4),
once `configure()` has given the store the key file and the anchor file:
- each row's hash is an HMAC under a key kept in a file outside the database
  (gateway/keys.py), so a rebuilt chain does not check out;
- after each commit the head of the chain (row count, last id and hash) is appended,
  signed, to an anchor file in the data directory, so removing the last rows is seen.
Rows written before the key existed keep their plain SHA-256 and still verify; an
unkeyed row after a keyed one does not.
"""
from __future__ import annotations

import json
import logging
import os
import pwd
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import event as sa_event
from sqlalchemy import func, text
from sqlmodel import Session, select

from gateway.keys import Keyring, is_signature
from gateway.quarantine.store import GENESIS, AuditEvent, Store

log = logging.getLogger("mailscreen.audit")


def configure(store: Store, key_file: str | os.PathLike, anchor_file: str | os.PathLike,
              create: bool = True) -> Store:
    """Sign the store's audit rows with the key file and anchor them in `anchor_file`.
    With `create`, a missing key file is made (by the relay at its first start)."""
    store.keyring = Keyring.load(key_file, create=create)
    store.anchor = Anchor(anchor_file, store.keyring)
    return store


class Anchor:
    """The head of the chain, outside the database: one signed line per commit,
    `<rows> <last id> <last hash> <signature>`, appended and fsynced."""

    def __init__(self, path: str | os.PathLike, keyring: Keyring):
        self.path = Path(path)
        self.keyring = keyring

    def append(self, rows: int, last_id: int, last_hash: str) -> None:
        head = f"{rows} {last_id} {last_hash}"
        line = f"{head} {self.keyring.sign('audit-anchor', head.encode())}\n".encode()
        new = not self.path.exists()
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)
        if new and os.geteuid() == 0:  # keep it the service user's, like the data directory
            st = self.path.parent.stat()
            os.chown(self.path, st.st_uid, st.st_gid)

    def last(self) -> tuple[int, int, str] | None:
        """The last head (rows, last id, last hash); ValueError if a line was altered."""
        try:
            lines = self.path.read_text().splitlines()
        except FileNotFoundError:
            return None
        head = None
        for n, line in enumerate(lines, 1):
            parts = line.split()
            if len(parts) != 4 or not self.keyring.check(
                    "audit-anchor", " ".join(parts[:3]).encode(), parts[3]):
                raise ValueError(f"line {n} of {self.path} was altered")
            head = (int(parts[0]), int(parts[1]), parts[2])
        return head


def _sign(store: Store | None, row: AuditEvent) -> str:
    if store is not None and store.keyring is not None:
        return store.keyring.sign("audit", row.body())
    return row.digest()


def _anchor_after_commit(session: Session) -> None:
    store, head = session.info.get("store"), session.info.pop("audit_head", None)
    if head is None or store is None or store.anchor is None:
        return
    try:
        store.anchor.append(*head)
    except OSError as e:  # the row stands, signed; verify() reports it as not yet anchored
        log.error("could not write the audit anchor %s: %s", store.anchor.path, e)


def _forget_head(session: Session, *_args) -> None:
    session.info.pop("audit_head", None)


def current_user() -> str:
    """The OS user this process runs as, from its uid: never $USER or $SUDO_USER, which
    anyone can set. Admin actions through the relay use the admin socket's peer instead."""
    try:
        return pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:
        return f"uid{os.geteuid()}"


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
    store = session.info.get("store")
    event.hash = _sign(store, event)
    session.add(event)
    if store is not None and store.anchor is not None:
        rows = session.exec(select(func.count()).select_from(AuditEvent)).one()
        session.info["audit_head"] = (rows, event.id, event.hash)
        if not session.info.get("audit_listening"):
            sa_event.listen(session, "after_commit", _anchor_after_commit)
            sa_event.listen(session, "after_soft_rollback", _forget_head)
            session.info["audit_listening"] = True
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
    """Walk the chain from the first row: each row points at the one before and matches its
    hash (an HMAC under the key file once there is one); then compare the end of the chain
    with the anchor file's last head."""
    rows = events(store)
    prev = GENESIS if not rows or rows[0].prev_hash == GENESIS else _pruned_through(rows)
    keyed = False
    for row in rows:
        if row.prev_hash != prev:
            return ChainCheck(len(rows), row.id, "does not point at the row before it "
                                                 "(a row was removed or reordered)")
        if is_signature(row.hash):
            keyed = True
            if store.keyring is None:
                return ChainCheck(len(rows), row.id, "is signed, and the key file was not "
                                                     "given to check it")
            if not store.keyring.check("audit", row.body(), row.hash):
                return ChainCheck(len(rows), row.id, "its contents do not match its signature "
                                                     "(the row was changed or forged)")
        elif keyed or store.keyring is not None and store.anchor is not None and \
                _anchored_since(store, row.id):
            return ChainCheck(len(rows), row.id, "is not signed with the audit key "
                                                 "(the row was forged or the chain rebuilt)")
        elif row.digest() != row.hash:
            return ChainCheck(len(rows), row.id, "its contents do not match its hash "
                                                 "(the row was changed)")
        prev = row.hash
    return _check_anchor(store, rows)


def _pruned_through(rows: list[AuditEvent]) -> str:
    """The hash the first row kept must point at: the one named by the retention row that
    removed the rows before it (that row is checked like any other below)."""
    for row in rows:
        if row.action == "retention":
            detail = json.loads(row.detail or "{}")
            if detail.get("audit_pruned_hash") == rows[0].prev_hash:
                return rows[0].prev_hash
    return GENESIS  # no record of a purge: the first row is reported


def _anchored_since(store: Store, row_id: int) -> bool:
    """The anchor file began at or before this row: it was written under the key."""
    try:
        first = store.anchor.path.read_text().split(" ", 2)
        return int(first[1]) <= row_id
    except (OSError, ValueError, IndexError):
        return False


def _check_anchor(store: Store, rows: list[AuditEvent]) -> ChainCheck:
    if store.anchor is None:
        return ChainCheck(len(rows), None)
    try:
        head = store.anchor.last()
    except ValueError as e:
        return ChainCheck(len(rows), 0, f"the anchor file does not check out: {e}")
    if head is None:
        return ChainCheck(len(rows), None)
    count, last_id, last_hash = head
    by_id = {r.id: r for r in rows}
    if count > len(rows) or last_id not in by_id:
        return ChainCheck(len(rows), last_id, f"row {last_id} is gone: the anchor file "
                                              f"records {count} row(s), the table has "
                                              f"{len(rows)} (rows were removed)")
    if by_id[last_id].hash != last_hash:
        return ChainCheck(len(rows), last_id, "does not match the anchor file (the chain "
                                              "was rewritten)")
    return ChainCheck(len(rows), None)
