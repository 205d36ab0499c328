"""Notices mailscreen writes itself: delivery status notifications (RFC 3464) for mail
that could not be delivered, and short notes to a sender whose mail was held or rejected.

Notices carry rule ids and categories, never evidence, and never the original body:
the body may hold patient data. A DSN goes back to the sender with the original header
block as they wrote it (RFC 3462 text/rfc822-headers), so their mail client can match it.
"""
from __future__ import annotations

import base64
import email.policy
import email.utils
import hashlib
import hmac
import re
import textwrap
import time
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


def build_notice(hostname: str, to: str, subject: str, text: str, reply_to: str = "") -> bytes:
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["From"] = f"mailscreen <postmaster@{hostname}>"
    msg["To"] = to
    if reply_to:
        msg["Reply-To"] = reply_to
    msg["Subject"] = subject
    msg["Date"] = email.utils.formatdate(localtime=False)
    msg["Message-ID"] = email.utils.make_msgid(domain=hostname)
    msg["Auto-Submitted"] = "auto-generated"
    # a link is never broken, however long
    msg.set_content("\n".join(textwrap.fill(line, 76, break_long_words=False,
                                             break_on_hyphens=False) if line else ""
                               for line in text.split("\n")))
    return msg.as_bytes()


def describe(subject: str, recipients: list[str]) -> str:
    more = f" and {len(recipients) - 1} more" if len(recipients) > 1 else ""
    return f'"{redact.free_text(subject) or "(no subject)"}" to ' \
           f'{recipients[0] if recipients else "?"}{more}'


# -- the sender's token: a link to the console's justification page, and the hold notice's
# Reply-To address (justify+TOKEN@server.hostname), so a reply finds its held message.
# `<id>.<expiry, base 36>.<key id>.<HMAC, 24 base32 characters>`, lower case (mail systems
# may fold the case of a local part), 58 characters with "justify+": under the 64 a local
# part may have. The HMAC is under the key file's "justify" subkey (gateway/keys.py), which
# every node shares; the database records a token once spent (single use on every node).

JUSTIFY_LOCAL = "justify"
TOKEN = re.compile(r"([a-z2-7]{16})\.([0-9a-z]{1,8})\.([0-9]{1,4})\.([a-z2-7]{24})")


class TokenError(ValueError):
    """A token that is not ours, was changed, or has expired: what to tell the sender."""


def _token_mac(keyring, msg_id: str, expires: str, kid: int) -> str:
    mac = hmac.new(keyring.subkey("justify", kid), f"{msg_id}.{expires}".encode(),
                   hashlib.sha256).digest()
    return base64.b32encode(mac).decode("ascii").lower()[:24]


def justify_token(keyring, msg_id: str, expires: float) -> str:
    """The token for held message `msg_id`, valid until `expires` (seconds since the epoch)."""
    exp = _base36(int(expires))
    kid = keyring.current
    return f"{msg_id}.{exp}.{kid}.{_token_mac(keyring, msg_id, exp, kid)}"


def read_token(keyring, token: str, now: float | None = None) -> tuple[str, str, float]:
    """(message id, the token's signature, expiry) of a token we made that has not expired;
    else TokenError saying why."""
    m = TOKEN.fullmatch(token.strip().lower())
    if m is None or int(m[3]) not in keyring.ids() or not hmac.compare_digest(
            _token_mac(keyring, m[1], m[2], int(m[3])), m[4]):
        raise TokenError("this link is not valid (it was changed, or is not one of ours)")
    expires = int(m[2], 36)
    if expires < (time.time() if now is None else now):
        raise TokenError(f"this link expired on {email.utils.formatdate(expires, usegmt=True)}")
    return m[1], m[4], float(expires)


def reply_token(address: str, hostname: str) -> str | None:
    """The token of a reply address `justify+TOKEN@hostname`, else None."""
    local, _, domain = address.rpartition("@")
    base, plus, token = local.partition("+")
    if plus and base.lower() == JUSTIFY_LOCAL and domain.lower().rstrip(".") == hostname.lower():
        return token
    return None


def _base36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if not n:
            return out


def held_notice(hostname: str, to: str, msg_id: str, subject: str, recipients: list[str],
                categories: list[str], token: str = "", link: str = "",
                expires: float = 0.0) -> bytes:
    """With `token` the sender may justify or withdraw the message: by the `link` to the
    console's page (when the console has a public address), or by replying, the token in
    the notice's Reply-To."""
    text = (f"Your message {describe(subject, recipients)} has been held for review "
            f"before it is sent.\n\nWhat it was held for: {', '.join(categories) or 'screening'}"
            f"\nReference: {msg_id}\n\nAn administrator will release or reject it; you will "
            f"not need to send it again if it is released.\n")
    if token:
        until = email.utils.formatdate(expires, usegmt=True)
        text += ("\nIf this is business as usual, you can say why"
                 + (f" (or withdraw the message) on this page, which shows what was found:"
                    f"\n{link}\n\nOr reply" if link else ": reply")
                 + " to this notice with a first line\n\nJUSTIFY: your reason\n\n"
                 "or, to withdraw the message, WITHDRAW. Depending on what was found, "
                 "your reason releases the message at once or goes to the administrator. "
                 f"This works once, until {until}.\n")
    notice = build_notice(hostname, to, f"Held for review: "
                          f"{redact.free_text(subject) or '(no subject)'}", text,
                          reply_to=f"{JUSTIFY_LOCAL}+{token}@{hostname}" if token else "")
    return notice


def rejected_notice(hostname: str, to: str, msg_id: str, subject: str, recipients: list[str],
                    categories: list[str], rules: list[str], reason: str) -> bytes:
    text = (f"Your message {describe(subject, recipients)} was not sent.\n\n"
            f"Why: {', '.join(categories) or 'screening'} ({', '.join(rules) or '-'})\n"
            f"Administrator's note: {reason}\nReference: {msg_id}\n")
    return build_notice(hostname, to, f"Not sent: {redact.free_text(subject) or '(no subject)'}",
                        text)
