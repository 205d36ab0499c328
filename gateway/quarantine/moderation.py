"""What admins do with held mail: approve, release, reject, expire, purge.

Every decision is a conditional update of the quarantine row (`... WHERE status='held'`),
so two terminals releasing the same message, on one node or on two, cannot both win.
Every action writes an audit row in the same transaction. A release is only that row: a
running node takes the message from the database into its spool's outgoing/
(gateway/quarantine/dispatch.py; Mailman's re-queue: released mail goes through the same
delivery and retry path as any other, and is not screened again). The held bytes live in
the database (`held_body`), so any node can show, release or purge any held message.
"""
from __future__ import annotations

import base64
import dataclasses
import grp
import json
import os
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, literal, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlmodel import select

from gateway.config import CATEGORIES, SEVERITIES, Settings
from gateway.database import audit
from gateway.database.store import (
    AuditEvent,
    HeldBody,
    HeldMessage,
    JustifyToken,
    ScreeningLog,
    Store,
    WebPassword,
    as_utc,
    utcnow,
)
from gateway.quarantine import report, report_html
from gateway.quarantine.dispatch import notify_release
from gateway.registers import patients
from gateway.relay import notices
from gateway.relay.delivery import queue_notice
from gateway.relay.spool import Spool
from scanners import registry

REASON_CODES = ("false_positive", "approved_exception", "consent_on_file", "other")
# what the sender's own say leaves in reason_code (the weekly report counts them); never
# an admin's to choose
JUSTIFIED, WITHDREW = report.SENDER_JUSTIFIED, report.SENDER_WITHDREW
MIN_PREFIX = 4


class ModerationError(Exception):
    """A refusal to show the admin (unknown id, four eyes, already decided...)."""


@dataclass(frozen=True)
class Filters:
    """Which quarantine rows, in which order: all of it in SQL, so that a page of a large
    quarantine reads only its own rows (the review console lists 50 of 10,000)."""
    status: str | None = "held"
    category: str | None = None
    sender: str | None = None
    rule: str | None = None
    since: datetime | None = None
    recipient: str | None = None  # envelope recipients containing this text
    oldest: bool = False  # oldest first; else newest first

    def where(self, q):
        if self.status:
            q = q.where(HeldMessage.status == self.status)
        if self.sender:
            q = q.where(HeldMessage.mail_from.contains(self.sender.lower(), autoescape=True))
        if self.since:
            q = q.where(HeldMessage.held_at >= self.since)
        # categories and hold_rules are comma-separated: ",a,b," holds ",a," exactly
        if self.category:
            q = q.where((literal(",") + HeldMessage.categories + ",").contains(
                f",{self.category},", autoescape=True))
        if self.rule:
            q = q.where((literal(",") + HeldMessage.hold_rules + ",").contains(
                f",{self.rule},", autoescape=True))
        if self.recipient:  # rcpt_tos is a JSON list: look for the text as JSON writes it
            q = q.where(func.lower(HeldMessage.rcpt_tos).contains(
                json.dumps(self.recipient.lower())[1:-1], autoescape=True))
        return q

    def query(self):
        order = (HeldMessage.held_at, HeldMessage.id) if self.oldest else \
            (HeldMessage.held_at.desc(), HeldMessage.id.desc())
        return self.where(select(HeldMessage)).order_by(*order)

    def check(self, rules) -> "Filters":
        """Itself, or ModerationError for a category or rule id that does not exist (a typo
        would match nothing and look like an empty quarantine); `rules`: the known ids."""
        if self.category and self.category not in CATEGORIES:
            raise ModerationError(f"unknown category {self.category!r}: use one of "
                                  f"{', '.join(CATEGORIES)}")
        if self.rule and self.rule not in rules:
            raise ModerationError(f"unknown rule {self.rule!r}: docs/rules.md lists the rule ids")
        return self


def may_read_raw(group: str) -> bool:
    if os.geteuid() == 0:
        return True
    try:
        gid = grp.getgrnam(group).gr_gid
    except KeyError:
        return False
    return gid in os.getgroups() or gid == os.getegid()


class Moderator:
    def __init__(self, settings: Settings, store: Store, spool: Spool, user: str | None = None,
                 raw_allowed: bool | None = None):
        """`user` and `raw_allowed`: who asks, as the admin socket's peer credentials say;
        without them, the user this process runs as (its uid, never the environment)."""
        self.settings = settings
        self.store = store
        self.spool = spool
        self.user = user or audit.current_user()
        self.raw_allowed = raw_allowed

    # -- finding messages ------------------------------------------------------------------

    def find(self, filters: Filters = Filters(), limit: int | None = None,
             offset: int = 0) -> list[HeldMessage]:
        """The matching rows in the filters' order; with `limit`, that many from `offset`."""
        with self.store.session() as s:
            return list(s.exec(filters.query().offset(offset).limit(limit)).all())

    def count(self, filters: Filters = Filters()) -> int:
        with self.store.session() as s:
            return s.exec(filters.where(select(func.count()).select_from(HeldMessage))).one()

    def get(self, ref: str) -> HeldMessage:
        """By full id, or by a unique beginning or end of one (at least 4 characters: ids
        start with the time, so the last characters tell recent ones apart)."""
        ref = ref.strip().lower()
        with self.store.session() as s:
            row = s.get(HeldMessage, ref)
            if row is None and len(ref) >= MIN_PREFIX:
                rows = s.exec(select(HeldMessage).where(
                    HeldMessage.id.startswith(ref) | HeldMessage.id.endswith(ref))).all()
                if len(rows) > 1:
                    raise ModerationError(f"id {ref!r} is ambiguous: "
                                          f"{', '.join(r.id for r in rows[:5])}")
                row = rows[0] if rows else None
        if row is None:
            raise ModerationError(f"no held message with id {ref!r}")
        return row

    def raw(self, row: HeldMessage) -> bytes:
        """The message as it came in, patient data and all: who read it is audited (action
        read_raw, in the person's name) before the bytes are given, or they are not."""
        body = self._raw(row)
        try:
            audit.record(self.store, "read_raw", [row.id], "the raw message was read",
                         user=self.user)
        except SQLAlchemyError as e:
            raise ModerationError(f"{row.id}: the raw message is not shown: the audit log "
                                  f"cannot record who reads it ({type(e).__name__})") from None
        return body

    def _raw(self, row: HeldMessage) -> bytes:
        allowed = self.raw_allowed if self.raw_allowed is not None else \
            may_read_raw(self.settings.admin.raw_access_group)
        if not allowed:
            raise ModerationError(f"reading quarantined mail needs root or membership of "
                                  f"the group {self.settings.admin.raw_access_group!r}")
        body = self.store.body(row.id)
        if body is not None:
            return body.raw
        for queue in ("outgoing", "sending"):  # released, on its way out from this node
            path = self.spool.message_path(queue, row.id)
            if path.exists():
                return path.read_bytes()
        where = f" (released through {row.dispatched_by})" if row.dispatched_by else ""
        raise ModerationError(f"{row.id}: the raw message is no longer kept "
                              f"(delivered or purged){where}")

    # -- the audit log ---------------------------------------------------------------------

    def audit_page(self, before: int | None = None, limit: int = 50) -> list[AuditEvent]:
        return audit.newest(self.store, before, limit)

    def audit_verify(self) -> audit.ChainCheck:
        return audit.verify(self.store)

    # -- the weekly report ------------------------------------------------------------------

    def weekly_report_html(self, week: str | None = None) -> str:
        """The page `mailscreen report weekly --format html` writes, for the console."""
        try:
            r = report.weekly(self.store, week, corrupt=self.spool.list("corrupt"),
                              backlog_limit=report_html.BACKLOG_SHOWN)
        except ValueError as e:  # a week that does not parse
            raise ModerationError(str(e)) from None
        return report_html.render(r, descriptions=registry.rule_descriptions())

    # -- decisions -------------------------------------------------------------------------

    def approve(self, ref: str, reason: str) -> HeldMessage:
        row = self._decidable(ref, reason)
        if not row.four_eyes:
            raise ModerationError(f"{row.id} does not need an approval; release it directly")
        if row.approved_by:
            raise ModerationError(f"{row.id} was already approved by {row.approved_by}")
        self._update(row, "approve", reason, approved_by=self.user, approved_at=utcnow())
        return self.get(row.id)

    def release(self, ref: str, reason_code: str, reason: str) -> HeldMessage:
        if reason_code not in REASON_CODES:
            raise ModerationError(f"reason code must be one of {', '.join(REASON_CODES)}")
        row = self._decidable(ref, reason)
        if row.four_eyes:
            if not row.approved_by:
                raise ModerationError(
                    f"{row.id} needs four eyes: another admin must approve it first "
                    f"(mailscreen held approve {row.id} --reason ...)")
            if row.approved_by == self.user:
                raise ModerationError(f"{row.id} was approved by you; a different admin "
                                      f"must release it")
        self._update(row, "release", reason, status="released", decided_at=utcnow(),
                     decided_by=self.user, reason_code=reason_code)
        return self.get(row.id)

    def reject(self, ref: str, reason: str, notify: bool = False,
               action: str = "reject") -> HeldMessage:
        row = self._decidable(ref, reason, own_mail_ok=True)
        self._update(row, action, reason, status="rejected", decided_at=utcnow(),
                     decided_by=self.user, notified=notify,
                     reason_code="expired" if action == "expire" else "")
        if notify and row.mail_from:
            self._notify_rejected(row, reason)
        return self.get(row.id)

    def expire(self, now: datetime | None = None) -> list[str]:
        """Reject held mail older than admin.hold_days, telling the sender if configured."""
        now = now or utcnow()
        cutoff = now - timedelta(days=self.settings.admin.hold_days)
        expired = []
        for row in self.find(Filters(status="held")):
            if as_utc(row.held_at) < cutoff:
                days = f"{self.settings.admin.hold_days:g}"
                try:
                    self.reject(row.id, f"expired: no decision within {days} days",
                                notify=self.settings.admin.notify_on_expiry, action="expire")
                    expired.append(row.id)
                except ModerationError:
                    continue  # decided meanwhile
        return expired

    def purge(self, older_than: timedelta, progress=lambda: None) -> list[str]:
        """Delete the raw bytes of mail decided longer ago than `older_than`, from the
        database, so from every node at once; rows stay."""
        cutoff = utcnow() - older_than
        with self.store.session() as s:
            rows = s.exec(select(HeldMessage).where(
                HeldMessage.status.in_(("released", "rejected")),
                HeldMessage.raw_purged_at.is_(None))).all()
        purged = []
        for row in rows:
            if as_utc(row.decided_at) is None or as_utc(row.decided_at) >= cutoff:
                continue
            if row.status == "released" and row.dispatched_at is None:
                continue  # released, not in any spool yet: never purge the only copy
            removed = self.store.forget_body(row.id)  # released mail left it when dispatched
            with self.store.session() as s:
                s.exec(update(HeldMessage).where(HeldMessage.id == row.id)
                       .values(raw_purged_at=utcnow()))
                s.commit()
            if removed:
                purged.append(row.id)
            progress()
        audit.record(self.store, "purge", purged, f"older than {older_than.days} days",
                     user=self.user, count=len(purged))
        return purged

    def retain(self, now: datetime | None = None) -> dict[str, int]:
        """Storage limitation for the rows (UK GDPR): screening log rows older than
        admin.log_retention_days, quarantine rows of mail decided longer ago than
        admin.row_retention_days (once their raw copy is gone), and audit rows older than
        admin.audit_retention_days. One audited transaction; the audit row that records it
        names the last row removed and its hash, so the chain is checked from there on."""
        now = now or utcnow()
        a = self.settings.admin
        log_cutoff = now - timedelta(days=a.log_retention_days)
        row_cutoff = now - timedelta(days=a.row_retention_days)
        audit_cutoff = now - timedelta(days=a.audit_retention_days)
        with self.store.session() as s:
            audit.lock_chain(s)  # retention rewrites the chain's start: nobody appends meanwhile
            logs = s.exec(delete(ScreeningLog).where(ScreeningLog.screened_at < log_cutoff))
            gone = s.exec(select(HeldMessage.id).where(
                HeldMessage.status.in_(("released", "rejected")),
                HeldMessage.decided_at < row_cutoff,
                HeldMessage.raw_purged_at.is_not(None) | (HeldMessage.status == "released"))).all()
            if gone:
                s.exec(delete(HeldBody).where(HeldBody.id.in_(gone)))
                s.exec(delete(HeldMessage).where(HeldMessage.id.in_(gone)))
            old = s.exec(select(AuditEvent).where(AuditEvent.at < audit_cutoff)
                         .order_by(AuditEvent.id.desc()).limit(1)).first()
            pruned, detail = 0, {}
            if old is not None:
                pruned = s.exec(delete(AuditEvent).where(AuditEvent.id <= old.id)).rowcount
                detail = {"audit_pruned_through": old.id, "audit_pruned_hash": old.hash}
            counts = {"screening_log": logs.rowcount, "held_rows": len(gone),
                      "audit_rows": pruned}
            audit.append(s, "retention", [], "rows past their retention period",
                         user=self.user, **counts, **detail)
            s.commit()
        return counts

    def export(self, address: str, raw: bool = False) -> dict:
        """Everything kept about one mail address (UK GDPR right of access): quarantine rows
        where it is a recipient or the sender, their audit rows, screening log rows it sent,
        whether the patient register holds it, and with `raw` (raw-access group only) the
        quarantined messages themselves."""
        address = address.strip().lower()
        with self.store.session() as s:
            held = [r for r in s.exec(select(HeldMessage).order_by(HeldMessage.held_at)).all()
                    if address in [x.lower() for x in r.recipients]
                    or r.mail_from.lower() == address]
            ids = {r.id for r in held}
            trail = [e for e in s.exec(select(AuditEvent).order_by(AuditEvent.id)).all()
                     if ids & set(json.loads(e.message_ids))]
            sent = s.exec(select(ScreeningLog).where(
                func.lower(ScreeningLog.sender) == address)).all()
        try:
            registered = patients.lookup(self.store, "email", address)
        except SQLAlchemyError:  # no register tables yet
            registered = []
        result = {"address": address,
                  "held_messages": [json.loads(r.model_dump_json()) for r in held],
                  "audit": [json.loads(e.model_dump_json()) for e in trail],
                  "screening_log": [json.loads(r.model_dump_json()) for r in sent],
                  "patient_register": {"patient_numbers": registered}}
        if raw:
            result["raw_messages"] = {}
            for row in held:
                try:
                    result["raw_messages"][row.id] = base64.b64encode(self._raw(row)).decode()
                except ModerationError as e:
                    if "needs root" in str(e):
                        raise
                    continue  # no longer kept
        audit.record(self.store, "export", sorted(ids), "subject access request",
                     user=self.user, raw=raw)
        return result

    def reconcile(self) -> int:
        """Take in what a mailscreen older than schema revision 0002 left in the spool's
        hold/ and rejected/ queues: the bytes go into the database (held_body), except a
        release that was not moved yet, which goes to outgoing/ as it did then."""
        moved = 0
        for queue in ("hold", "rejected"):
            for msg_id in self.spool.list(queue):
                row = self.store.held(msg_id)
                if row is None:
                    continue  # no row: leave it for a person to look at
                if row.status == "released" and row.dispatched_at is not None:
                    self._requeue(msg_id)
                else:
                    raw = self.spool.message_path(queue, msg_id).read_bytes()
                    env = self.spool.read_envelope(queue, msg_id)
                    if row.raw_purged_at is None:
                        self.store.keep_body(msg_id, raw, env.to_json())
                    self.spool.remove(queue, msg_id)
                moved += 1
        return moved

    # -- the sender's own say: the link and the reply in the hold notice ------------------

    def by_token(self, token: str, sender: str | None = None) -> HeldMessage:
        """The held message a sender's token names (gateway/relay/notices.py), while the
        token is ours, unexpired and unspent and the message is still held; else
        ModerationError saying why. `sender`: the address a reply came from, which must
        be the held message's envelope sender."""
        return self._token_row(token, sender)[0]

    def withdraw(self, token: str, sender: str | None = None) -> HeldMessage:
        """The sender takes their message back: rejected, reason code sender_withdrew."""
        row, signature = self._token_row(token, sender)
        self._by_sender(row, signature, "withdraw", "withdrawn by the sender",
                        status="rejected", decided_at=utcnow(), decided_by=_sender(row),
                        reason_code=WITHDREW, reason="withdrawn by the sender")
        return self.get(row.id)

    def justify(self, token: str, text: str, sender: str | None = None) -> HeldMessage:
        """The sender's business justification: it releases the message where the policy
        says so (justify_releases), else it is attached for an admin (audit: justify)."""
        text = (text or "").strip()
        if not text:
            raise ModerationError("a justification is required")
        if len(text) > self.settings.justify.max_chars:
            raise ModerationError(f"a justification may be at most "
                                  f"{self.settings.justify.max_chars} characters")
        row, signature = self._token_row(token, sender)
        if justify_releases(self.settings, row):
            self._by_sender(row, signature, "release", text, justification=text,
                            status="released", decided_at=utcnow(), decided_by=_sender(row),
                            reason_code=JUSTIFIED, reason=text)
        else:
            self._by_sender(row, signature, "justify", text, justification=text)
        return self.get(row.id)

    def _token_row(self, token: str, sender: str | None) -> tuple[HeldMessage, str]:
        if not self.settings.justify.enabled or self.store.keyring is None:
            raise ModerationError("senders may not justify held mail here")
        try:
            msg_id, signature, _ = notices.read_token(self.store.keyring, token)
        except notices.TokenError as e:
            raise ModerationError(str(e)) from None
        with self.store.session() as s:
            row = s.get(HeldMessage, msg_id)
            spent = s.get(JustifyToken, signature)
        if row is None:
            raise ModerationError("the message of this link is no longer kept")
        if sender is not None and sender.strip().lower() != row.mail_from.lower():
            raise ModerationError("only the address that sent the held message may answer "
                                  "for it")
        if spent is not None or row.justification:
            raise ModerationError("this link was already used: it works once")
        if row.status != "held":
            raise ModerationError(f"the message was already {row.status}")
        return row, signature

    def _by_sender(self, row: HeldMessage, signature: str, action: str, said: str,
                   **values) -> None:
        """Spend the token and decide, in one transaction: a second use, on any node,
        finds the token spent (its primary key) or the row changed, and changes nothing."""
        with self.store.session() as s:
            s.add(JustifyToken(id=signature, message_id=row.id, action=action))
            try:
                s.flush()
            except IntegrityError:
                s.rollback()
                raise ModerationError("this link was already used: it works once") from None
            result = s.exec(update(HeldMessage).where(
                HeldMessage.id == row.id, HeldMessage.status == "held",
                HeldMessage.justification == "").values(**values))
            if result.rowcount != 1:
                s.rollback()
                raise ModerationError("the message was decided meanwhile")
            detail = {"reason_code": values["reason_code"]} if values.get("reason_code") else {}
            audit.append(s, action, [row.id], said, user=_sender(row), **detail)
            if action == "release":
                notify_release(s.connection(), row.id)
            s.commit()

    # -- the review console's passwords (gateway/web) --------------------------------------

    def password_hash(self, user: str) -> str | None:
        with self.store.session() as s:
            row = s.get(WebPassword, user)
        return row.hash if row else None

    def set_password(self, user: str, hashed: str) -> None:
        """Store an scrypt hash (never the password), audited under who set it."""
        with self.store.session() as s:
            s.merge(WebPassword(user=user, hash=hashed, set_at=utcnow()))
            audit.append(s, "web_password", [], f"review console password set for {user}",
                         user=self.user)
            s.commit()

    # -- internals -------------------------------------------------------------------------

    def _decidable(self, ref: str, reason: str, own_mail_ok: bool = False) -> HeldMessage:
        if not reason or not reason.strip():
            raise ModerationError("a reason is required (--reason)")
        row = self.get(ref)
        if row.status != "held":
            raise ModerationError(f"{row.id} is already {row.status}"
                                  + (f" by {row.decided_by}" if row.decided_by else ""))
        mine = self.settings.admin.users.get(self.user, "").lower()
        if not own_mail_ok and mine and mine == row.mail_from.lower():
            raise ModerationError(f"{row.id} was sent by you ({mine}); another admin must "
                                  f"decide on it")
        return row

    def _update(self, row: HeldMessage, action: str, reason: str, notified: bool = False,
                **values) -> None:
        with self.store.session() as s:
            condition = [HeldMessage.id == row.id, HeldMessage.status == "held"]
            if action == "approve":
                condition.append(HeldMessage.approved_by == "")
            result = s.exec(update(HeldMessage).where(*condition).values(reason=reason, **values))
            if result.rowcount != 1:
                s.rollback()
                raise ModerationError(f"{row.id} was decided by someone else meanwhile")
            detail = {k: v for k, v in values.items() if k == "reason_code" and v}
            if notified:
                detail["notified"] = True
            audit.append(s, action, [row.id], reason, user=self.user, **detail)
            if action == "release":
                notify_release(s.connection(), row.id)
            s.commit()

    def _requeue(self, msg_id: str) -> None:
        """A release made before revision 0002 whose entry is still in hold/."""
        try:
            env = self.spool.read_envelope("hold", msg_id)
        except FileNotFoundError:
            return  # moved already (a second release, or reconcile got there first)
        now = time.time()
        env = dataclasses.replace(env, verdict="released", approved_by=self.user, queued_at=now,
                                  next_attempt=0, attempts=0, add_headers=[])
        self.spool.write_envelope("hold", msg_id, env)
        try:
            self.spool.move(msg_id, "hold", "outgoing")
        except FileNotFoundError:
            pass

    def _notify_rejected(self, row: HeldMessage, reason: str) -> None:
        notice = notices.rejected_notice(
            self.settings.server.hostname, row.mail_from, row.id, row.subject, row.recipients,
            [c for c in row.categories.split(",") if c],
            [r for r in row.hold_rules.split(",") if r], reason)
        queue_notice(self.spool, self.settings.server.hostname, row.mail_from, notice)


def justify_releases(settings: Settings, row: HeldMessage) -> bool:
    """Whether a sender's justification releases `row` at once: no four eyes, and every
    finding that held it is in a category of justify.release, no more severe than it says
    (the policy is that table; the console shows the sender what to expect)."""
    rank = {sev: n for n, sev in enumerate(SEVERITIES)}
    limits = settings.justify.release
    held = [f for f in row.finding_dicts if f["rule"] in row.hold_rules.split(",")]
    return not row.four_eyes and bool(held) and all(
        limits.get(f["category"]) and rank[f["severity"]] <= rank[limits[f["category"]]]
        for f in held)


def _sender(row: HeldMessage) -> str:
    """Who decided, in the audit log and the row, when the sender did."""
    return f"sender:{row.mail_from}"
