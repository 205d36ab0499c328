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
Issue 23, finding 5: the anchor file alone can be trimmed or emptied by whoever can write
the data directory, and it covers only its own node's rows. So each row names its node,
each node's head (last id and hash, signed) is kept in the database too (`audit_head`,
written in the appending transaction), and each head goes to the system log (syslog, the
journal under systemd), which no one in the data directory can rewrite. `verify()` checks
the chain against every node's head and against this node's anchor file.
Rows written before the key existed keep their plain SHA-256 and still verify; an
unkeyed row after a keyed one does not.
"""
from __future__ import annotations

import grp
import json
import logging
import logging.handlers
import os
import pwd
import socket
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import event as sa_event
from sqlalchemy import func, text
from sqlmodel import Session, select

from gateway.database.store import (
    GENESIS,
    AuditEvent,
    AuditHead,
    KeyFingerprint,
    Store,
)
from gateway.keys import KeyMismatch, Keyring, is_signature

log = logging.getLogger("mailscreen.audit")
SYSLOG = "/dev/log"  # the system log's socket; without it the heads go to the anchor only
_syslog: dict[str, logging.Handler | None] = {}


def configure(store: Store, key_file: str | os.PathLike, anchor_file: str | os.PathLike,
              create: bool = True, node: str = "") -> Store:
    """Sign the store's audit rows with the key file and anchor them in `anchor_file`;
    `node` names this node in the rows and heads it writes. With `create`, a missing key
    file is made (by the relay at its first start)."""
    store.keyring = Keyring.load(key_file, create=create)
    store.anchor = Anchor(anchor_file, store.keyring)
    store.node = node
    return store


def check_key(store: Store) -> None:
    """Every node on one database must sign and key with the same key file. The first to
    start records the fingerprint of each of its keys (so does `keys rotate` for a new
    one); a node whose file lacks one of them, or holds another under its id, raises
    KeyMismatch saying how to copy the file."""
    ring = store.keyring
    with store.session() as s:
        known = {row.id: row for row in s.exec(select(KeyFingerprint)).all()}
    new = [KeyFingerprint(id=kid, fingerprint=ring.fingerprint(kid), node=store.node,
                          host=socket.gethostname()) for kid in ring.ids() if kid not in known]
    if new:  # two nodes starting at once: the first insert stands, the other then differs
        store.add_new(*new)
        with store.session() as s:
            known = {row.id: row for row in s.exec(select(KeyFingerprint)).all()}
    for kid, row in sorted(known.items()):
        if kid not in ring.ids():
            why = f"it has no key {kid}"
        elif ring.fingerprint(kid) != row.fingerprint:
            why = f"its key {kid} is another one (fingerprint {ring.fingerprint(kid)[:16]}, " \
                  f"the database's {row.fingerprint[:16]})"
        else:
            continue
        raise KeyMismatch(_copy_advice(ring.path, why, row))


def _copy_advice(path, why: str, row: KeyFingerprint) -> str:
    try:
        st = path.parent.stat()
        owner = f"{pwd.getpwuid(st.st_uid).pw_name}:{grp.getgrgid(st.st_gid).gr_name}"
    except (OSError, KeyError):
        owner = "mailscreen:mailscreen"
    return (f"the key file {path} is not the one the other nodes on this database use: {why}. "
            f"All nodes must sign the audit chain and key the patient register with one key "
            f"file. Copy it from {row.host or 'the node'} (node {row.node or '?'}, which made "
            f"key {row.id}) and start again:\n"
            f"  scp {row.host or 'NODE'}:{path} {path}\n"
            f"  chown {owner} {path} && chmod 600 {path}\n"
            f"(its path there may differ), or point admin.key_file on every node at one copy "
            f"on storage they all read.")


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
    _to_syslog(store.node, *head)
    try:
        store.anchor.append(*head)
    except OSError as e:  # the row stands, signed; verify() reports it as not yet anchored
        log.error("could not write the audit anchor %s: %s", store.anchor.path, e)


def _to_syslog(node: str, rows: int, last_id: int, last_hash: str) -> None:
    """Each head to the system log too, which the service user cannot rewrite. Never an
    error: a host without /dev/log (a container) has the database and the anchor file."""
    if SYSLOG not in _syslog:
        handler = None
        if os.path.exists(SYSLOG):
            try:
                handler = logging.handlers.SysLogHandler(
                    SYSLOG, logging.handlers.SysLogHandler.LOG_AUTHPRIV)
                handler.ident = "mailscreen-audit: "
            except OSError as e:
                log.warning("no system log at %s (%s): audit heads go to the database and "
                            "the anchor file only", SYSLOG, e)
                handler = None
        _syslog[SYSLOG] = handler
    handler = _syslog[SYSLOG]
    if handler is not None:
        handler.handle(logging.makeLogRecord({
            "name": log.name, "levelno": logging.INFO, "levelname": "INFO",
            "msg": "audit head: node %s row %d hash %s (%d rows)",
            "args": (node or "-", last_id, last_hash, rows)}))


def _head_text(node: str, last_id: int, last_hash: str) -> bytes:
    return f"{node} {last_id} {last_hash}".encode()


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
    store = session.info.get("store")
    event.node = store.node if store is not None else ""
    session.add(event)
    session.flush()  # assigns the id, which the hash covers
    event.hash = _sign(store, event)
    session.add(event)
    if event.node and store.keyring is not None:  # this node's head, in the same transaction
        session.merge(AuditHead(node=event.node, last_id=event.id, hash=event.hash, at=event.at,
                                signature=store.keyring.sign(
                                    "audit-head", _head_text(event.node, event.id, event.hash))))
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


def newest(store: Store, before: int | None = None, limit: int = 50) -> list[AuditEvent]:
    """A page of rows, newest first: those with an id below `before`, if given."""
    with store.session() as s:
        query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
        if before is not None:
            query = query.where(AuditEvent.id < before)
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
    heads = _heads(store)
    return _check_heads(store, rows, heads) or _check_anchor(store, rows, heads)


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


def _heads(store: Store) -> dict[str, AuditHead]:
    with store.session() as s:
        return {h.node: h for h in s.exec(select(AuditHead)).all()}


def _check_heads(store: Store, rows: list[AuditEvent],
                 heads: dict[str, AuditHead]) -> ChainCheck | None:
    """Every node's head in the database against the chain: a node's last rows removed
    (with its anchor lines, on a node this one cannot see) show as rows missing."""
    if store.keyring is None:
        return None
    by_id = {r.id: r for r in rows}
    end = rows[-1].id if rows else 0
    pruned_before = rows[0].id if rows and rows[0].prev_hash != GENESIS else 0
    last_of = {}
    for r in rows:
        last_of[r.node] = r.id
    problems: list[tuple[int, str]] = []
    for node, h in sorted(heads.items()):
        if not store.keyring.check("audit-head", _head_text(node, h.last_id, h.hash),
                                   h.signature):
            problems.append((h.last_id, f"node {node}: its head in the database was altered"))
        elif h.last_id < pruned_before:
            continue  # its last row went with retention's purge
        elif h.last_id not in by_id:
            gone = f"rows {end + 1}-{h.last_id}" if h.last_id > end + 1 else f"row {h.last_id}"
            problems.append((min(h.last_id, end + 1), f"node {node}: {gone} missing (head in "
                             f"database says {h.last_id}, chain ends at {end}): rows were removed"))
        elif by_id[h.last_id].hash != h.hash or by_id[h.last_id].node != node:
            problems.append((h.last_id, f"node {node}: row {h.last_id} does not match its head "
                                        f"in the database (the chain was rewritten)"))
        elif last_of.get(node, 0) > h.last_id:
            problems.append((h.last_id, f"node {node}: its head in the database says row "
                                        f"{h.last_id}, its rows go on to {last_of[node]} (an "
                                        f"old head was put back)"))
    for node in sorted(set(last_of) - set(heads) - {""}):
        problems.append((last_of[node], f"node {node}: its head is gone from the database "
                                        f"(rows or heads were removed)"))
    if not problems:
        return None
    return ChainCheck(len(rows), min(at for at, _ in problems),
                      "; ".join(why for _, why in problems))


def _check_anchor(store: Store, rows: list[AuditEvent],
                  heads: dict[str, AuditHead]) -> ChainCheck:
    if store.anchor is None:
        return ChainCheck(len(rows), None)
    try:
        head = store.anchor.last()
    except ValueError as e:
        return ChainCheck(len(rows), 0, f"the anchor file does not check out: {e}")
    mine = heads.get(store.node) if store.node else None
    if head is None and mine is not None:
        return ChainCheck(len(rows), mine.last_id,
                          f"the anchor file {store.anchor.path} is empty or missing, but the "
                          f"database says this node ({store.node}) wrote rows up to "
                          f"{mine.last_id} (the file was emptied or removed)")
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
