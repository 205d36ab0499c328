"""Delivery status notifications (RFC 3464) for mail that could not be delivered.

The notice carries the original headers only, never the body: the body may hold patient data.
"""
from __future__ import annotations

import email.policy
import email.utils
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

    status = MIMEBase("message", "delivery-status")
    fields = [f"Reporting-MTA: dns; {hostname}", f"X-Mailscreen-Queue-ID: {msg_id}", ""]
    for rcpt, (code, reason) in failed.items():
        klass = "5" if code >= 500 or code == 0 else "4"
        fields += [f"Final-Recipient: rfc822; {rcpt}", "Action: failed",
                   f"Status: {klass}.0.0", f"Diagnostic-Code: smtp; {code} {reason}", ""]
    status.set_payload("\r\n".join(fields))
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

