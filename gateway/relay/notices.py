"""Notices mailscreen writes itself: delivery status notifications (RFC 3464) for mail
that could not be delivered, and short notes to a sender whose mail was held or rejected.

Notices carry rule ids and categories, never evidence, and never the original body:
the body may hold patient data. A DSN goes back to the sender with the original header
block as they wrote it (RFC 3462 text/rfc822-headers), so their mail client can match it.
"""
from __future__ import annotations

import email.policy
import email.utils
import re
import textwrap
from email.message import EmailMessage, Message
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

from gateway.rawmail import header_block_size
from scanners import redact


def build_dsn(hostname: str, to: str, msg_id: str, raw: bytes,
              failed: dict[str, tuple[int, str]], *, action: str = "failed",
              delayed_for: float = 0.0, retry_until: float = 0.0, envid: str = "",
              orcpt: dict[str, str] | None = None) -> bytes:
    """A delivery status notification: `action` "failed" (a bounce) or "delayed" (the
    "still trying" warning, `delayed_for` seconds after the message came in). It carries
    the original header block only, as the sender wrote it, whatever RET asked: the body may
    hold patient data."""
    if action == "delayed":
        lines = [f"Your message (queue id {msg_id}) has not been delivered yet after "
                 f"{duration(delayed_for)}. mailscreen is still trying; "
                 "you do not need to send it again.", "", "Still waiting for:", ""]
    else:
        lines = [f"Your message (queue id {msg_id}) could not be delivered to:", ""]
    for rcpt, (code, reason) in failed.items():
        lines.append(f"  {rcpt}: {code} {reason}")
    lines += ["", "The message itself was not kept in this notice. "
              "Contact your mailscreen administrator if you need help."]
    report = MIMEMultipart("report", report_type="delivery-status")
    report.attach(MIMEText("\n".join(lines), "plain", "utf-8"))

    per_message = Message()
    per_message["Reporting-MTA"] = f"dns; {hostname}"
    per_message["X-Mailscreen-Queue-ID"] = msg_id
    if envid:
        per_message["Original-Envelope-Id"] = envid
    blocks = [per_message]
    for rcpt, (code, reason) in failed.items():
        block = Message()
        if (orcpt or {}).get(rcpt):
            block["Original-Recipient"] = orcpt[rcpt]
        block["Final-Recipient"] = f"rfc822; {rcpt}"
        block["Action"] = action
        # one Status per recipient (RFC 3464 2.3.4): a delay is 4.0.0 whatever the reply
        block["Status"] = "4.0.0" if action == "delayed" else enhanced_status(code, reason)
        if action == "delayed" and retry_until:
            block["Will-Retry-Until"] = email.utils.formatdate(retry_until)
        block["Diagnostic-Code"] = f"smtp; {code} {reason}"
        blocks.append(block)
    status = MIMEBase("message", "delivery-status")
    status.set_payload(blocks)
    report.attach(status)

    headers = MIMEBase("text", "rfc822-headers")
    original = raw[: header_block_size(raw)].decode("utf-8", "replace")
    headers.set_payload(original.rstrip("\r\n") + "\r\n")
    report.attach(headers)

    report["From"] = f"Mail Delivery System <MAILER-DAEMON@{hostname}>"
    report["To"] = to
    report["Subject"] = ("Delayed Mail (still being retried)" if action == "delayed"
                         else "Undelivered Mail Returned to Sender")
    report["Date"] = email.utils.formatdate(localtime=False)
    report["Message-ID"] = email.utils.make_msgid(domain=hostname)
    report["Auto-Submitted"] = "auto-replied"
    return report.as_bytes(policy=email.policy.SMTP)

def duration(seconds: float) -> str:
    """"20 seconds", "5 minutes", "4 hours", "2 days": what a sender reads in a notice."""
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= 2 * size or seconds == size:
            n = round(seconds / size)
            return f"{n} {unit}{'s' if n != 1 else ''}"
    n = round(seconds)
    return f"{n} second{'s' if n != 1 else ''}"


ENHANCED = re.compile(r"^5\.(\d{1,3})\.(\d{1,3})(?!\S)")


def enhanced_status(code: int, reason: str) -> str:
    """A permanent failure carries the upstream's own enhanced status code (RFC 3463, e.g.
    5.1.1) when its reply had one, else 5.0.0; a temporary one that expired is 4.4.7."""
    if code < 500:
        return "4.4.7"
    m = ENHANCED.match(reason.strip())
    return f"5.{m.group(1)}.{m.group(2)}" if m else "5.0.0"


def build_notice(hostname: str, to: str, subject: str, text: str) -> bytes:
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["From"] = f"mailscreen <postmaster@{hostname}>"
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = email.utils.formatdate(localtime=False)
    msg["Message-ID"] = email.utils.make_msgid(domain=hostname)
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content("\n".join(textwrap.fill(line, 76) if line else "" for line in text.split("\n")))
    return msg.as_bytes()


def describe(subject: str, recipients: list[str]) -> str:
    more = f" and {len(recipients) - 1} more" if len(recipients) > 1 else ""
    return f'"{redact.free_text(subject) or "(no subject)"}" to ' \
           f'{recipients[0] if recipients else "?"}{more}'


def held_notice(hostname: str, to: str, msg_id: str, subject: str, recipients: list[str],
                categories: list[str]) -> bytes:
    text = (f"Your message {describe(subject, recipients)} has been held for review "
            f"before it is sent.\n\nWhat it was held for: {', '.join(categories) or 'screening'}"
            f"\nReference: {msg_id}\n\nAn administrator will release or reject it; you will "
            f"not need to send it again if it is released.\n")
    return build_notice(hostname, to, f"Held for review: {redact.free_text(subject) or '(no subject)'}",
                        text)


def rejected_notice(hostname: str, to: str, msg_id: str, subject: str, recipients: list[str],
                    categories: list[str], rules: list[str], reason: str) -> bytes:
    text = (f"Your message {describe(subject, recipients)} was not sent.\n\n"
            f"Why: {', '.join(categories) or 'screening'} ({', '.join(rules) or '-'})\n"
            f"Administrator's note: {reason}\nReference: {msg_id}\n")
    return build_notice(hostname, to, f"Not sent: {redact.free_text(subject) or '(no subject)'}",
                        text)
