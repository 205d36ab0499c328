"""Misdirection (issue 13, finding 5), through the real relay: patient data to an address
that only the display name says is the patient's is tagged, never passed silently."""
from __future__ import annotations

import smtplib

from conftest import message, wait_for

SENDER = "reception@glowclinic.example"
BODY = "Dear Sarah,\r\n\r\nSarah Jones, DOB 12/03/1985: your lip filler review is on Tuesday."


def test_display_name_alone_does_not_make_an_address_the_patients(relay, sink):
    data = message(subject="Your review", body=BODY, to="Sarah Jones <anything@wrong.example>")
    with smtplib.SMTP("127.0.0.1", relay.port, timeout=30) as client:
        client.sendmail(SENDER, ["anything@wrong.example"], data)
    (arrived,) = wait_for(lambda: sink.handler.to("anything@wrong.example"))
    assert arrived.startswith(b"X-Mailscreen-Verdict: tag\r\n")
    (row,) = relay.app.store.logs()
    assert row.action == "tag" and "patient_data" in row.categories
