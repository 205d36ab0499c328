"""The screening step: incoming -> active -> scan (in a sandbox) -> decide -> outgoing, or
held: into the quarantine database (row and bytes), out of the spool.

Every write is idempotent by spool id, and the move out of active/ comes last, so a crash
at any point leaves the message in active/, from where it is screened again at restart.
"""
from __future__ import annotations

import json
import logging
import time
from datetime import datetime, timezone

from gateway.config import Settings
from gateway.database.store import HeldMessage, ScreeningLog, Store
from gateway.decision.judge import judge
from gateway.decision.policy import Action, Verdict
from gateway.decision.repetition import Repetition
from gateway.pipeline import ScanResult
from gateway.relay import notices
from gateway.relay.delivery import queue_notice
from gateway.relay.sandbox import Sandbox
from gateway.relay.spool import Spool, SpoolEntry
from scanners import redact

log = logging.getLogger("mailscreen.worker")

VERDICT_HEADER = "X-Mailscreen-Verdict"
FINDINGS_HEADER = "X-Mailscreen-Findings"


def verdict_headers(verdict: Verdict) -> list[tuple[str, str]]:
    """The headers a tagged message carries: the action and its rule hits, no evidence."""
    hits = [f"{f.category}/{f.rule}/{f.severity}@{f.where}" for f, a in verdict.decisions
            if a > Action.PASS]
    return [(VERDICT_HEADER, str(verdict.action)), (FINDINGS_HEADER, ", ".join(hits)[:900])]


class Screener:
    def __init__(self, spool: Spool, store: Store, sandbox: Sandbox, settings: Settings,
                 metrics=None, replies=None):
        """`replies(env, raw, settings)`: what the quarantine does with a sender's reply to
        a hold notice (gateway/quarantine/justify.py; given by gateway/app.py)."""
        self.spool = spool
        self.replies = replies
        self.metrics = metrics  # gateway.metrics.Metrics, or None
        self.store = store
        self.sandbox = sandbox
        self.settings = settings
        self.repetition = Repetition(store.engine, settings.bulk)

    def reconfigure(self, settings: Settings) -> None:
        """New policy, scanners and limits from the next message on."""
        self.settings = settings
        self.repetition.settings = settings.bulk

    def screen(self, msg_id: str) -> Action | None:
        try:
            env = self.spool.read_envelope("active", msg_id)
        except ValueError as e:  # not an envelope: nothing to retry, a person must look
            self.spool.to_corrupt("active", msg_id, f"unreadable envelope: {e}")
            return None
        if self._answered(msg_id, env):
            return None
        result = self.sandbox.scan(str(self.spool.message_path("active", msg_id)))
        # the bulk-repetition row and the log line (with a hold: the held row and bytes)
        # in one transaction, one commit, then out of active/: a crash in between screens
        # it again, the repetition row counts once and the first hold stands
        with self.store.engine.begin() as conn:
            verdict = judge(result, env, self.settings, self.repetition, msg_id, conn=conn)
            result.findings = verdict.findings
            entry = ScreeningLog(
                id=msg_id, sender=env.mail_from, recipient_count=len(env.rcpt_tos),
                action=str(verdict.action), categories=",".join(verdict.categories),
                rules=",".join(sorted({f.rule for f in result.findings})),
                scan_seconds=round(result.seconds, 4), size=env.size)
            if verdict.action is Action.HOLD:
                row = self._held_row(msg_id, env, result, verdict)
                row.four_eyes = verdict.four_eyes
                raw = self.spool.message_path("active", msg_id).read_bytes()
                self.store.hold(row, entry, raw, env.to_json(), conn)
            else:
                self.store.log(entry, conn)
        for f, action in verdict.decisions:
            log.info("%s finding %s/%s %s at %s -> %s", msg_id, f.category, f.rule, f.severity,
                     f.where, action)
        for note in verdict.notes:
            log.info("%s note %s", msg_id, note)
        if verdict.action is Action.HOLD:
            self.spool.remove("active", msg_id)
            if self.settings.admin.notify_on_hold and env.mail_from \
                    and env.kind != "notice":
                self._notify_held(msg_id, env, result, verdict)
        else:
            if verdict.action is Action.TAG:
                env.add_headers = verdict_headers(verdict)
                if not self.settings.tag.external_headers and verdict.outside:
                    env.add_headers = [h for h in env.add_headers if h[0] != FINDINGS_HEADER]
                prefix = self.settings.tag.subject_prefix
                if prefix:
                    env.subject_prefix = prefix
            now = time.time()
            env.verdict, env.queued_at, env.next_attempt, env.attempts = str(verdict.action), now, 0, 0
            self.spool.write_envelope("active", msg_id, env)
            self.spool.move(msg_id, "active", "outgoing", durable=False)
        log.info("%s from=<%s> nrcpt=%d action=%s rules=%s scan=%.3fs", msg_id,
                 env.mail_from, len(env.rcpt_tos), verdict.action, entry.rules or "-",
                 result.seconds)
        if self.metrics is not None:
            self.metrics.screened(str(verdict.action), list(verdict.categories), result.seconds)
        return verdict.action

    def _answered(self, msg_id: str, env: SpoolEntry) -> bool:
        """A reply to a hold notice (to justify+TOKEN@server.hostname) is the quarantine's,
        not mail to screen and relay: it is handed over and leaves the spool. Whether
        nothing is left to screen (other recipients are screened as usual)."""
        hostname = self.settings.server.hostname
        ours = [r for r in env.rcpt_tos if notices.reply_token(r, hostname) is not None]
        if not ours or self.replies is None or not self.settings.justify.enabled:
            return False
        self.replies(env, self.spool.message_path("active", msg_id).read_bytes(), self.settings)
        env.rcpt_tos = [r for r in env.rcpt_tos if r not in ours]
        log.info("%s from=<%s> a reply to a hold notice, answered", msg_id, env.mail_from)
        if env.rcpt_tos:
            self.spool.write_envelope("active", msg_id, env)
            return False
        self.spool.remove("active", msg_id)
        return True

    def _notify_held(self, msg_id: str, env: SpoolEntry, result: ScanResult, verdict: Verdict):
        try:
            hostname = self.settings.server.hostname
            token, link, expires = "", "", 0.0
            if self.settings.justify.enabled and self.store.keyring is not None:
                expires = time.time() + self.settings.justify.valid_days * 86400
                token = notices.justify_token(self.store.keyring, msg_id, expires)
                if self.settings.web.public_url:
                    link = f"{self.settings.web.public_url.rstrip('/')}/justify/{token}"
            notice = notices.held_notice(hostname, env.mail_from, msg_id, result.subject,
                                         env.rcpt_tos, verdict.categories, token, link, expires)
            queue_notice(self.spool, hostname, env.mail_from, notice)
        except Exception:  # the hold itself stands; only the courtesy note is lost
            log.exception("%s: could not queue the held-for-review notice", msg_id)

    @staticmethod
    def _held_row(msg_id: str, env: SpoolEntry, result: ScanResult, verdict: Verdict) -> HeldMessage:
        received = datetime.fromtimestamp(env.received_at or time.time(), timezone.utc)
        return HeldMessage(
            id=msg_id, received_at=received, mail_from=env.mail_from,
            rcpt_tos=json.dumps(env.rcpt_tos), subject=redact.free_text(result.subject)[:500],
            size=env.size, findings=json.dumps([f.to_dict() for f in result.findings]),
            attachments=json.dumps(result.attachments),
            categories=",".join(sorted({f.category for f, a in verdict.decisions
                                        if a is Action.HOLD})),
            hold_rules=",".join(sorted({f.rule for f, a in verdict.decisions if a is Action.HOLD})),
            top_rule=verdict.top_rule)
