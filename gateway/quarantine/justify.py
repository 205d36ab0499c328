"""A sender's reply to a hold notice: its first non-empty line `JUSTIFY: reason` does what
the console's justification page does, `WITHDRAW` withdraws the message.

The notice's Reply-To is justify+TOKEN@server.hostname (gateway/relay/notices.py), so the
reply comes back through the relay like any outbound mail; the screening worker hands it
here instead of screening and relaying it (gateway/relay/worker.py, wired by
gateway/app.py). The token must be ours, unexpired and unspent, and the reply must come
from the held message's envelope sender. The sender gets a short answer saying what
happened; the log names the message and the outcome, never what the sender wrote. A
relay that stops between deciding and taking the reply out of its spool reads it again at
start, finds the token spent, and tells the sender so: the decision stands, made once.
"""
from __future__ import annotations

import email
import email.policy
import logging
import re

from gateway.config import Settings
from gateway.database.store import Store
from gateway.quarantine.moderation import ModerationError, Moderator
from gateway.relay import notices
from gateway.relay.delivery import queue_notice
from gateway.relay.spool import Spool, SpoolEntry

log = logging.getLogger("mailscreen.justify")
JUSTIFY = re.compile(r"justify\s*:\s*(.*)", re.IGNORECASE)
WITHDRAW = re.compile(r"withdraw\W*", re.IGNORECASE)


def first_line(raw: bytes) -> str:
    """The first non-empty line of the reply's text (its plain part, else its HTML part
    without tags); "" if there is none or it cannot be read."""
    try:
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        part = msg.get_body(preferencelist=("plain", "html"))
        text = part.get_content() if part is not None else ""
        if part is not None and part.get_content_subtype() == "html":
            text = re.sub(r"<(br|/p|/div)[^>]*>", "\n", text, flags=re.IGNORECASE)
            text = re.sub(r"<[^>]*>", "", text)
    except Exception:  # a reply we cannot read is one we do not understand
        return ""
    return next((line.strip() for line in str(text).splitlines() if line.strip()), "")


class Replies:
    """What the screening worker calls with a reply to a hold notice."""

    def __init__(self, store: Store, spool: Spool):
        self.store = store
        self.spool = spool

    def __call__(self, env: SpoolEntry, raw: bytes, settings: Settings) -> None:
        hostname = settings.server.hostname
        head = email.message_from_bytes(raw[:65536])
        auto = (head.get("Auto-Submitted") or "no").strip().lower() != "no" or \
            (head.get("Precedence") or "").strip().lower() in ("bulk", "junk", "list",
                                                               "auto_reply")
        if not env.mail_from or auto:
            log.info("reply to a hold notice from <%s> is automatic: dropped", env.mail_from)
            return  # an out-of-office or a bounce: never answered, no loop
        line = first_line(raw)
        m = Moderator(settings, self.store, self.spool, user=f"sender:{env.mail_from}")
        for rcpt in env.rcpt_tos:
            token = notices.reply_token(rcpt, hostname)
            if token is None:
                continue
            justify, withdraw = JUSTIFY.fullmatch(line), WITHDRAW.fullmatch(line)
            try:
                if justify:
                    row = m.justify(token, justify[1], sender=env.mail_from)
                    outcome = "released" if row.status == "released" else "attached"
                elif withdraw:
                    row = m.withdraw(token, sender=env.mail_from)
                    outcome = "withdrawn"
                else:
                    raise ModerationError("its first line was neither 'JUSTIFY: your reason' "
                                          "nor 'WITHDRAW'")
            except ModerationError as e:
                log.info("reply to a hold notice from <%s> refused: %s", env.mail_from, e)
                notice = notices.build_notice(
                    hostname, env.mail_from, "Your reply to a hold notice was not accepted",
                    f"Your reply to a hold notice was not accepted: {e}.\n")
            else:
                log.info("%s: the sender's reply: %s", row.id, outcome)
                notice = answer(hostname, env.mail_from, row, outcome)
            queue_notice(self.spool, hostname, env.mail_from, notice)


def answer(hostname: str, to: str, row, outcome: str) -> bytes:
    """What the sender is told when their reply was taken."""
    what = notices.describe(row.subject, row.recipients)
    subject, text = {
        "released": ("Released", f"Your justification released your message {what}: it is "
                                 f"on its way."),
        "attached": ("Justification received", f"Your message {what} stays held: an "
                     f"administrator will read your justification and release or reject it."),
        "withdrawn": ("Withdrawn", f"Your message {what} was withdrawn and will not be sent."),
    }[outcome]
    return notices.build_notice(hostname, to, f"{subject}: {row.subject or '(no subject)'}",
                                f"{text}\nReference: {row.id}\n")
