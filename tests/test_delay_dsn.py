"""The "still trying" notice (RFC 3464 delay DSN) as a mail client reads it: one Status
per recipient block and a duration a person can read. A real upstream that keeps
answering 451, a real spool, the real deliverer."""
from __future__ import annotations

import email
import email.policy
import time

from conftest import message

from gateway.config import DeliverySettings, UpstreamSettings
from gateway.relay.delivery import Deliverer, SmtpTransport
from gateway.relay.spool import Spool, SpoolEntry

SENDER = "reception@glowclinic.example"


def delay_notice(tmp_path, sink, waited: float, delay_warning: float) -> email.message.Message:
    sink.handler.data_reply = "451 4.2.0 Mailbox busy, try later"
    spool = Spool(tmp_path / "spool").create()
    transport = SmtpTransport(UpstreamSettings(host="127.0.0.1", port=sink.port,
                                               starttls=False, timeout=5))
    deliverer = Deliverer(spool, transport, DeliverySettings(delay_warning=delay_warning),
                          "mailscreen.example")
    came = time.time() - waited
    msg_id = spool.accept(message(), SpoolEntry(
        mail_from=SENDER, rcpt_tos=["sam@example.com", "jo@example.com"], received_at=came,
        queued_at=came), queue="outgoing")
    assert deliverer.deliver_due() == 1
    transport.close()
    notices = [i for i in spool.list("outgoing") if i != msg_id]
    assert len(notices) == 1
    raw = spool.message_path("outgoing", notices[0]).read_bytes()
    return email.message_from_bytes(raw, policy=email.policy.default)


def status_blocks(dsn) -> list:
    (part,) = [p for p in dsn.walk() if p.get_content_type() == "message/delivery-status"]
    return part.get_payload()  # the per-message block, then one per recipient


def test_a_delay_notice_has_one_status_per_recipient_and_says_how_long(tmp_path, sink):
    dsn = delay_notice(tmp_path, sink, waited=25, delay_warning=20)
    blocks = status_blocks(dsn)[1:]
    assert sorted(b["Final-Recipient"] for b in blocks) == ["rfc822; jo@example.com",
                                                            "rfc822; sam@example.com"]
    for block in blocks:
        assert block.get_all("Status") == ["4.0.0"]
        assert block["Action"] == "delayed"
    text = dsn.get_body(("plain",)).get_content()
    assert "after 20 seconds" in " ".join(text.split())
    assert "hour" not in text


def test_the_default_delay_notice_says_four_hours(tmp_path, sink):
    dsn = delay_notice(tmp_path, sink, waited=4 * 3600 + 60, delay_warning=4 * 3600)
    assert "after 4 hours" in " ".join(dsn.get_body(("plain",)).get_content().split())
    assert all(b.get_all("Status") == ["4.0.0"] for b in status_blocks(dsn)[1:])
