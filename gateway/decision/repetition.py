"""bulk_repetition: the same body sent to many recipients, or often by one sender.

Scanners are pure and run in a throwaway process, so memory across messages lives here,
in one small table of the quarantine database (shared by every node on PostgreSQL, so the
counts cover the mail all of them screened): for each screened message, the SHA-256 of
its normalised body (never the text; see scanners.text.fingerprint), the sender, the
number of recipients and the time. After each scan the worker records the message and
counts, over the last `window` seconds, the recipients of every message with the same
body and the messages with the same body from the same sender. Over `[bulk]`'s thresholds
the message gets a medium `bulk_repetition` finding (category advertising); the policy
decides what that does. Rows older than the window are deleted as it goes.

Rows are keyed by spool id, so screening a message again after a crash counts it once.
"""
from __future__ import annotations

from contextlib import nullcontext
from datetime import datetime, timedelta, timezone

from sqlalchemy import bindparam, case, delete, func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Field, SQLModel

from gateway.config import BulkSettings
from scanners.base import Finding, Severity

RULE = "bulk_repetition"
PRUNE_EVERY = 60.0  # seconds between deletions of rows older than the window


class RecentBody(SQLModel, table=True):
    __tablename__ = "recent_body"
    id: str = Field(primary_key=True)  # spool id
    fingerprint: str = Field(index=True)
    sender: str = Field(index=True)
    recipients: int = 0
    seen_at: datetime = Field(index=True)


_TABLE = RecentBody.__table__
# built once with parameters: compiling them afresh for every message cost more CPU than
# running them
_PRUNE = delete(_TABLE).where(_TABLE.c.seen_at < bindparam("since"))
_COUNT = select(
    func.count(), func.coalesce(func.sum(_TABLE.c.recipients), 0),
    func.coalesce(func.sum(case((_TABLE.c.sender == bindparam("sender"), 1), else_=0)), 0),
).where((_TABLE.c.fingerprint == bindparam("fingerprint"))
        & (_TABLE.c.seen_at >= bindparam("since")))
_INSERT = {name: insert(_TABLE).on_conflict_do_nothing()
           for name, insert in (("sqlite", sqlite_insert), ("postgresql", postgresql_insert))}


class Repetition:
    def __init__(self, engine, settings: BulkSettings):
        self.engine = engine
        self.settings = settings
        self._pruned = 0.0

    def create(self) -> "Repetition":
        """The table comes with the quarantine schema (gateway/migrations)."""
        return self

    def check(self, msg_id: str, fingerprint: str, chars: int, sender: str,
              recipients: int, now: datetime | None = None, conn=None) -> list[Finding]:
        """Record this message and return a bulk_repetition finding if it is over a limit;
        in `conn`'s transaction if given (the screener's, with the message's log line)."""
        s = self.settings
        if not s.enabled or not fingerprint or chars < s.min_chars:
            return []
        now = now or datetime.now(timezone.utc)
        since = now - timedelta(seconds=s.window)
        sender = sender.lower()
        table = _TABLE
        with nullcontext(conn) if conn is not None else self.engine.begin() as conn:
            if now.timestamp() - self._pruned > PRUNE_EVERY:
                conn.execute(_PRUNE, {"since": since})
                self._pruned = now.timestamp()
            row = dict(id=msg_id, fingerprint=fingerprint, sender=sender,
                       recipients=recipients, seen_at=now)
            dialect = self.engine.dialect.name
            if dialect in _INSERT:  # screened again after a crash: once
                conn.execute(_INSERT[dialect], row)
            elif not conn.execute(select(table.c.id).where(table.c.id == msg_id)).first():
                conn.execute(table.insert().values(**row))
            messages, total, from_sender = conn.execute(_COUNT, {
                "sender": sender, "fingerprint": fingerprint, "since": since}).one()
        hours = f"{s.window / 3600:g} h"
        if total > s.max_recipients:
            why = f"same body to {total} recipients in {messages} messages within {hours}"
        elif from_sender > s.max_messages:
            why = f"same body sent {from_sender} times by this sender within {hours}"
        else:
            return []
        return [Finding("advertising", RULE, Severity.MEDIUM, "body", why)]
