"""Kill the relay process (SIGKILL) between spool and delivery, restart it: delivered once."""
from __future__ import annotations

import os
import smtplib
import sys
from email.message import EmailMessage
from pathlib import Path

import pytest
from conftest import RelayProcess, Sink, free_port, message, wait_for, write_config

MAILSCREEN = str(Path(sys.executable).with_name("mailscreen"))


Process = RelayProcess


def spool(tmp_path: Path, queue: str) -> list[str]:
    d = tmp_path / "data" / "spool" / queue
    return sorted(os.listdir(d)) if d.exists() else []


def slow_pdf_message() -> bytes:
    """A clean message whose PDF takes pypdf a few seconds: long enough to kill mid-scan."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=9)
    for page in range(300):
        pdf.add_page()
        for line in range(40):
            pdf.cell(0, 5, f"Price list page {page} line {line}: hydrating facial, "
                           f"chemical peel, microneedling", new_x="LMARGIN", new_y="NEXT")
    msg = EmailMessage()
    msg["From"] = "reception@glowclinic.example"
    msg["To"] = "manager@glowclinic.example"  # a colleague: no advertising to weigh
    msg["Subject"] = "Our price list"
    msg["Message-ID"] = "<price-list-1@glowclinic.example>"
    msg.set_content("Please find our price list attached.")
    msg.add_attachment(bytes(pdf.output()), maintype="application", subtype="pdf",
                       filename="price-list.pdf")
    return msg.as_bytes(policy=msg.policy.clone(linesep="\r\n"))


@pytest.fixture
def setup(tmp_path):
    port = free_port()
    sink = Sink()
    relay = Process(write_config(tmp_path, port, sink.port), port)
    yield tmp_path, relay, sink
    relay.stop()
    sink.stop()


def test_kill_after_screening_before_delivery_then_restart_delivers_once(setup):
    tmp_path, relay, sink = setup
    relay.start()  # upstream down: the message waits in outgoing/
    data = message()
    with smtplib.SMTP("127.0.0.1", relay.port, timeout=10) as client:
        client.sendmail("reception@glowclinic.example", ["sam.patel@example.com"], data)
    wait_for(lambda: spool(tmp_path, "outgoing"))
    relay.kill()
    assert spool(tmp_path, "outgoing") + spool(tmp_path, "sending")
    sink.start()
    relay.start()
    wait_for(lambda: sink.messages)
    # nothing left in outgoing/ or sending/: no other delivery can start, so one is final
    wait_for(lambda: not spool(tmp_path, "outgoing") and not spool(tmp_path, "sending"))
    assert [m[2] for m in sink.messages] == [data]
    assert relay.stop() == 0


def test_kill_during_screening_then_restart_screens_again_and_delivers_once(setup):
    tmp_path, relay, sink = setup
    sink.start()
    relay.start()
    data = slow_pdf_message()
    with smtplib.SMTP("127.0.0.1", relay.port, timeout=30) as client:
        client.sendmail("reception@glowclinic.example", ["manager@glowclinic.example"], data)
    wait_for(lambda: spool(tmp_path, "active"))
    relay.kill()
    assert sink.messages == []
    assert spool(tmp_path, "active")  # the unfinished scan is still on disk
    relay.start()
    wait_for(lambda: sink.messages, timeout=60)
    wait_for(lambda: not any(spool(tmp_path, q) for q in ("incoming", "active", "outgoing",
                                                            "sending")))
    assert [m[2] for m in sink.messages] == [data]
