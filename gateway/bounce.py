"""Delivery status notifications (RFC 3464) for mail that could not be delivered.

The notice carries the original headers only, never the body: the body may hold patient data.
"""
from __future__ import annotations

import email.policy
import email.utils
from email.message import Message
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

from gateway.pipeline import header_block_size


def build_dsn(hostname: str, to: str, msg_id: str, raw: bytes,
              failed: dict[str, tuple[int, str]]) -> bytes:
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
    blocks = [per_message]
    for rcpt, (code, reason) in failed.items():
        block = Message()
        block["Final-Recipient"] = f"rfc822; {rcpt}"
        block["Action"] = "failed"
        block["Status"] = "4.4.7" if code < 500 else "5.0.0"
        block["Diagnostic-Code"] = f"smtp; {code} {reason}"
        blocks.append(block)
    status = MIMEBase("message", "delivery-status")
    status.set_payload(blocks)
    report.attach(status)

    headers = MIMEBase("text", "rfc822-headers")
    headers.set_payload(raw[: header_block_size(raw)].decode("ascii", "replace") + "\r\n")
    report.attach(headers)

    report["From"] = f"Mail Delivery System <MAILER-DAEMON@{hostname}>"
    report["To"] = to
    report["Subject"] = "Undelivered Mail Returned to Sender"
    report["Date"] = email.utils.formatdate(localtime=False)
    report["Message-ID"] = email.utils.make_msgid(domain=hostname)
    report["Auto-Submitted"] = "auto-replied"
    return report.as_bytes(policy=email.policy.SMTP)

