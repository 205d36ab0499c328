"""One pass: raw bytes -> parse once -> every scanner over the same ParsedMessage -> findings.

Pure: no SMTP, no database, no policy. A scanner that raises is a `scan_failed` finding,
never "no findings" (fail closed).
"""
from __future__ import annotations

import email.utils
import time
from dataclasses import dataclass, field

from gateway import roles
from gateway.content.limits import Limits
from gateway.content.parse import ParseLimitError, parse
from gateway.rawmail import header_block_size
from scanners import text
from scanners.base import Finding, ParsedMessage, Scanner, Severity


@dataclass
class ScanResult:
    findings: list[Finding]
    subject: str = ""
    message_id: str = ""
    recipients: list[str] = field(default_factory=list)  # To/Cc addresses of the headers
    attachments: list[dict] = field(default_factory=list)  # name, real_type, size
    seconds: float = 0.0
    sender: str = ""  # From: address
    fingerprint: str = ""  # hash of the normalised body, for bulk_repetition
    body_chars: int = 0  # length of that normalised body
    bcc: list[str] = field(default_factory=list)  # Bcc: addresses of the headers (Sent copies)
    # To/Cc as (display name, address): who the sender shows they write to
    named: list[tuple[str, str]] = field(default_factory=list)
    # the roles a reader sees in To/Cc, from the address, the display name and the sender's
    # own words (gateway/roles.py), as (address, role, cue); no other text is kept
    roles: list[tuple[str, str, str]] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"findings": [f.to_dict() for f in self.findings], "subject": self.subject,
                "message_id": self.message_id, "recipients": self.recipients,
                "attachments": self.attachments,
                "seconds": self.seconds, "sender": self.sender,
                "fingerprint": self.fingerprint, "body_chars": self.body_chars, "bcc": self.bcc,
                "named": [list(x) for x in self.named],
                "roles": [list(x) for x in self.roles]}

    @classmethod
    def from_dict(cls, d: dict) -> "ScanResult":
        return cls([Finding.from_dict(f) for f in d["findings"]], d.get("subject", ""),
                   d.get("message_id", ""), d.get("recipients", []), d.get("attachments", []),
                   d.get("seconds", 0.0), d.get("sender", ""), d.get("fingerprint", ""),
                   d.get("body_chars", 0), d.get("bcc", []),
                   [tuple(x) for x in d.get("named", [])],
                   [tuple(x) for x in d.get("roles", [])])


def scan_failed(reason: str, where: str = "body", category: str = "attachment") -> Finding:
    return Finding(category, "scan_failed", Severity.HIGH, where, reason)


def failed_result(reason: str, seconds: float = 0.0) -> ScanResult:
    return ScanResult([scan_failed(reason)], seconds=seconds)


def screen(msg: ParsedMessage, scanners: list[Scanner],
           views: text.MessageText | None = None) -> list[Finding]:
    """Every scanner over the same message and the same text views (built here once)."""
    findings: list[Finding] = []
    views = views or text.build(msg)
    for scanner in scanners:
        try:
            findings.extend(scanner.scan(msg, views))
        except Exception as e:
            category = scanner.name if scanner.name in (
                "patient_data", "copyright", "language", "advertising") else "attachment"
            findings.append(scan_failed(f"scanner {scanner.name} failed: {type(e).__name__}",
                                        category=category))
    return findings


def examine(raw: bytes, scanners: list[Scanner], limits: Limits,
            max_header_size: int) -> ScanResult:
    """Parse and screen one message; anything that goes wrong becomes a held finding."""
    started = time.monotonic()
    if header_block_size(raw) > max_header_size:
        return failed_result(f"header block over {max_header_size} bytes")
    try:
        msg = parse(raw, limits)
    except ParseLimitError as e:
        return failed_result(str(e), time.monotonic() - started)
    except RecursionError:
        return failed_result("MIME structure too deeply nested", time.monotonic() - started)
    except Exception as e:
        return failed_result(f"message could not be parsed: {type(e).__name__}",
                             time.monotonic() - started)
    if not msg.headers:  # an Outlook .msg, an image, random bytes: not mail we can read
        return failed_result("no message headers: not an RFC 5322 message",
                             time.monotonic() - started)
    try:
        views = text.build(msg)
    except Exception as e:
        return failed_result(f"message text could not be split: {type(e).__name__}",
                             time.monotonic() - started)
    findings = screen(msg, scanners, views)
    try:
        fingerprint, body_chars = text.fingerprint(views)
    except Exception:  # only feeds bulk_repetition: never a reason to fail the scan
        fingerprint, body_chars = "", 0
    named, readers = [], []
    for header in ("To", "Cc"):
        for n, a in email.utils.getaddresses([msg.header(header)]):
            if "@" in a:
                named.append((n, a.lower()))
                readers.append(roles.Recipient(a.lower(), n, header.lower()))
    sender_domain = msg.sender.rpartition("@")[2].lower()
    try:
        found = roles.roles(readers, views.own_body,
                            own_domains=(sender_domain,) if sender_domain else ())
    except Exception:  # a reader's role only ever lowers a hold: none is the safe side
        found = {}
    return ScanResult(
        named=named,
        roles=[(a, m.role, m.cue) for a, m in sorted(found.items())],
        findings=findings,
        subject=msg.subject,
        message_id=msg.header("Message-ID"),
        recipients=list(msg.recipients),
        attachments=[{"name": a.name, "real_type": a.real_type, "size": a.size}
                     for a in msg.attachments],
        seconds=time.monotonic() - started,
        sender=msg.sender,
        fingerprint=fingerprint,
        body_chars=body_chars,
        bcc=list(msg.blind_recipients),
    )
