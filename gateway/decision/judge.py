"""judge(result, envelope, settings) -> Verdict: the one decision step, used by the relay's
worker and by `mailscreen scan` alike.

It weighs the scan's findings with what only the gateway knows and decides once:
  1. the audience (audience.py): one picture of who the message is for and of the clinic,
     made here once, and the context rules that use it (context.py, context.toml: advertising
     raised for a wide audience, patient data to a lawful recipient tagged, ...);
  2. repetition (repetition.py): the same body to many, or often from one sender;
  3. policy (policy.py): each finding's action from the `[policy]` table, the strictest wins;
  4. four eyes: whether releasing a hold needs two different admins.
It knows nothing of parsing (the findings are given) or of SMTP (the envelope is given).
"""
from __future__ import annotations

import dataclasses
from typing import Protocol

from gateway.config import Settings
from gateway.decision import context
from gateway.decision.audience import Audience, ClinicIdentity
from gateway.decision.policy import Action, Verdict, decide, domain_trusted
from gateway.decision.repetition import Repetition
from gateway.pipeline import ScanResult


class Envelope(Protocol):
    """What the decision reads of the envelope (the relay's SpoolEntry is one)."""
    mail_from: str
    rcpt_tos: list[str]
    kind: str  # "mail", or "notice" for mail the gateway wrote itself


@dataclasses.dataclass
class OfflineEnvelope:
    """The envelope of a file screened offline: the sender and recipients of its headers
    unless given."""
    mail_from: str
    rcpt_tos: list[str]
    kind: str = "mail"


def judge(result: ScanResult, envelope: Envelope, settings: Settings,
          repetition: Repetition | None = None, msg_id: str = "", conn=None) -> Verdict:
    """`conn`: the transaction the repetition row joins (the relay's, with the log line)."""
    audience = Audience.of(result, envelope, ClinicIdentity.of(settings), settings.audience)
    findings, caps = context.apply(result.findings, audience, settings.audience)
    if repetition is not None and envelope.kind != "notice":
        findings = findings + repetition.check(msg_id, result.fingerprint, result.body_chars,
                                               envelope.mail_from, len(envelope.rcpt_tos),
                                               conn=conn)
    verdict = decide(findings, envelope.rcpt_tos, settings.policy, audience.internal, caps)
    verdict = dataclasses.replace(verdict, outside=bool(audience.outside))
    if verdict.action is Action.HOLD:
        verdict = dataclasses.replace(
            verdict, four_eyes=needs_four_eyes(verdict, envelope.rcpt_tos, settings))
    return verdict


def needs_four_eyes(verdict: Verdict, recipients: list[str], settings: Settings) -> bool:
    """A high finding, in a four-eyes category, that held mail to a recipient outside the
    category's trusted domains."""
    for finding, action in verdict.decisions:
        if action is not Action.HOLD or finding.category not in settings.admin.four_eyes_categories:
            continue
        if str(finding.severity) != "high":
            continue
        category = settings.policy.categories.get(finding.category)
        trusted = category.trusted_domains if category else []
        if not trusted or any(not domain_trusted(r, trusted) for r in recipients):
            return True
    return False
