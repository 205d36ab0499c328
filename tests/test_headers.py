"""Headers and DSNs (issue 13, finding 12): a Received: line on every relayed message,
rule names only for the clinic's own recipients, DSNs the sender's client can match."""
from __future__ import annotations

import re
import smtplib

from conftest import ROOT, message, wait_for

SENDER = "reception@glowclinic.example"


def send(port: int, data: bytes, rcpts: list[str]) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        client.ehlo("frontdesk.glowclinic.example")
        client.sendmail(SENDER, rcpts, data)


def test_every_relayed_message_gets_a_received_line_without_its_recipients(relay, sink):
    data = message()
    send(relay.port, data, ["sam.patel@example.com", "hidden.bcc@example.com"])
    wait_for(lambda: sink.handler.traced)
    (arrived,) = sink.handler.traced
    first, rest = arrived.split(b"\r\n", 1)
    assert rest == data  # the original bytes follow, untouched
    assert re.fullmatch(rb"Received: from frontdesk\.glowclinic\.example \(\[127\.0\.0\.1\]\) "
                        rb"by mailscreen\.localdomain \(mailscreen\) with ESMTP id [a-z0-9]{16}; "
                        rb"\w{3}, \d{1,2} \w{3} \d{4} \d\d:\d\d:\d\d [-+]0000", first), first
    assert b"hidden.bcc" not in first and b" for " not in first


def test_rule_names_stay_inside_the_clinic_and_the_verdict_goes_everywhere(make_relay, sink):
    relay = make_relay(clinic={"domains": ["glowclinic.example"]})
    data = (ROOT / "sample_mail" / "tag_pdf_name_but_word_document.eml").read_bytes()
    send(relay.port, data, ["daniel.osei@example.com"])
    send(relay.port, data, ["manager@glowclinic.example"])
    wait_for(lambda: len(sink.messages) == 2)
    (external,) = sink.handler.to("daniel.osei@example.com")
    (internal,) = sink.handler.to("manager@glowclinic.example")
    added = external[:len(external) - len(data)]
    assert added == b"X-Mailscreen-Verdict: tag\r\n" and external.endswith(data)
    assert internal.startswith(b"X-Mailscreen-Verdict: tag\r\nX-Mailscreen-Findings: ")
    assert b"attachment/attachment_type_mismatch/medium@" in internal


def test_dsn_has_the_original_headers_as_written_and_the_upstreams_status(relay, sink):
    sink.handler.refuse_rcpt["gone@example.com"] = "550 5.1.1 No such user"
    data = message(subject="Your results, Sam", body="Your aftercare leaflet is attached.")
    send(relay.port, data, ["gone@example.com"])
    (dsn,) = wait_for(lambda: sink.handler.to(SENDER))
    header_block = data.split(b"\r\n\r\n", 1)[0]
    assert header_block in dsn  # Date, Message-ID, Subject exactly as the sender wrote them
    assert b"Subject: Your results, Sam" in dsn and b"*" * 4 not in dsn
    assert b"Status: 5.1.1" in dsn and b"Status: 5.0.0" not in dsn
    assert b"Your aftercare leaflet" not in dsn  # never the body
