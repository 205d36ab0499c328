"""bulk_repetition: the same body sent to many recipients, or often by one sender.

Scanners are pure and run in a throwaway process, so memory across messages lives here,
in one small table of the quarantine database: for each screened message, the SHA-256 of
its normalised body (never the text; see scanners.text.fingerprint), the sender, the
number of recipients and the time. After each scan the worker records the message and
counts, over the last `window` seconds, the recipients of every message with the same
body and the messages with the same body from the same sender. Over `[bulk]`'s thresholds
the message gets a medium `bulk_repetition` finding (category advertising); the policy
decides what that does. Rows older than the window are deleted as it goes.

Rows are keyed by spool id, so screening a message again after a crash counts it once.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, func
from sqlmodel import Field, Session, SQLModel, select

from gateway.config import BulkSettings
from scanners.base import Finding, Severity

RULE = "bulk_repetition"


class RecentBody(SQLModel, table=True):
    __tablename__ = "recent_body"
    id: str = Field(primary_key=True)  # spool id
    fingerprint: str = Field(index=True)
    sender: str = Field(index=True)
    recipients: int = 0
    seen_at: datetime = Field(index=True)


class Repetition:
    def __init__(self, engine, settings: BulkSettings):
        self.engine = engine
        self.settings = settings

    def create(self) -> "Repetition":
        RecentBody.__table__.create(self.engine, checkfirst=True)
        return self

    def check(self, msg_id: str, fingerprint: str, chars: int, sender: str,
              recipients: int, now: datetime | None = None) -> list[Finding]:
        """Record this message and return a bulk_repetition finding if it is over a limit."""
        s = self.settings
        if not s.enabled or not fingerprint or chars < s.min_chars:
            return []
        now = now or datetime.now(timezone.utc)
        since = now - timedelta(seconds=s.window)
        sender = sender.lower()
        with Session(self.engine) as db:
            db.exec(delete(RecentBody).where(RecentBody.seen_at < since))
            db.merge(RecentBody(id=msg_id, fingerprint=fingerprint, sender=sender,
                                recipients=recipients, seen_at=now))
            db.commit()
            same = (RecentBody.fingerprint == fingerprint) & (RecentBody.seen_at >= since)
            messages, total = db.exec(select(func.count(), func.coalesce(func.sum(
                RecentBody.recipients), 0)).where(same)).one()
            from_sender = db.exec(select(func.count()).where(
                same & (RecentBody.sender == sender))).one()
        hours = f"{s.window / 3600:g} h"
        if total > s.max_recipients:
            why = f"same body to {total} recipients in {messages} messages within {hours}"
        elif from_sender > s.max_messages:
            why = f"same body sent {from_sender} times by this sender within {hours}"
        else:
            return []
        return [Finding("advertising", RULE, Severity.MEDIUM, "body", why)]
