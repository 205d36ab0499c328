"""End to end: a real SMTP client, the real relay, a real upstream sink."""
from __future__ import annotations

import json
import os
import smtplib
import socket
import stat

import pytest
from conftest import Sink, message, wait_for

from gateway.database.store import HeldMessage

pytestmark = pytest.mark.both_databases
NHS_BODY = ("Dear colleague,\r\n\r\nPlease see our patient Jane Doe, NHS number 999 000 0018, "
            "who had filler on Monday and has swelling.\r\n")


def send(port: int, data: bytes, sender="reception@glowclinic.example",
         rcpts=("sam.patel@example.com",)) -> dict:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        return client.sendmail(sender, list(rcpts), data)


def test_clean_mail_arrives_upstream_unchanged(relay, sink):
    data = message()
    send(relay.port, data)
    wait_for(lambda: sink.messages)
    wait_for(relay.idle)
    assert len(sink.messages) == 1
    mail_from, rcpts, content = sink.messages[0]
    assert mail_from == "reception@glowclinic.example"
    assert rcpts == ["sam.patel@example.com"]
    assert content == data
    log = relay.app.store.logs()
    assert [(row.action, row.recipient_count) for row in log] == [("pass", 1)]


def test_tagged_mail_arrives_with_verdict_headers(relay, sink):
    # to a colleague: profanity stays medium (tag) inside the clinic, and the rule names in
    # X-Mailscreen-Findings are for the clinic's own recipients only
    data = message(subject="Rota", body="This bloody rota is a shit show, sort it out.",
                   to="manager@glowclinic.example")
    send(relay.port, data, rcpts=["manager@glowclinic.example"])
    wait_for(lambda: sink.messages)
    content = sink.messages[0][2]
    head, _, original = content.partition(b"X-Mailscreen-Findings:")
    assert b"X-Mailscreen-Verdict: tag\r\n" in head
    findings_line, rest = original.split(b"\r\n", 1)
    assert b"language/language_profanity/medium@body" in findings_line
    assert rest == data  # the original bytes follow the added headers untouched


def test_held_mail_is_quarantined_and_not_delivered(relay, sink):
    send(relay.port, message(subject="Referral", body=NHS_BODY))
    held_id = wait_for(lambda: relay.queue("hold"))[0]
    (notice,) = wait_for(lambda: sink.handler.to("reception@glowclinic.example"))  # sender told
    wait_for(relay.idle)
    assert sink.handler.to("sam.patel@example.com") == []
    assert b"Subject: Held for review: Referral" in notice
    assert b"patient_data" in notice and held_id.encode() in notice
    assert b"0018" not in notice and b"Jane" not in notice  # categories, never evidence
    row = relay.app.store.held(held_id)
    assert isinstance(row, HeldMessage)
    assert row.status == "held"
    assert row.top_rule == "uk_nhs_number"
    assert row.recipients == ["sam.patel@example.com"]
    findings = json.loads(row.findings)
    assert {"category": "patient_data", "rule": "uk_nhs_number", "severity": "high",
            "where": "body", "evidence": "NHS *** *** 0018"} in findings
    assert "999 000 0018" not in row.findings
    body = relay.app.store.body(held_id)  # in the database, so any node can release it
    assert b"999 000 0018" in body.raw  # kept as received, for release
    assert json.loads(body.envelope)["rcpt_tos"] == ["sam.patel@example.com"]
    assert not any(relay.app.spool.path(q, held_id).exists() for q in relay.app.spool.counts())
    if relay.app.store.url.startswith("sqlite:///"):
        db = relay.settings.data_path / "mailscreen.db"
        assert stat.S_IMODE(db.stat().st_mode) == 0o600
    assert stat.S_IMODE(relay.app.spool.root.stat().st_mode) == 0o700
    assert stat.S_IMODE(relay.settings.data_path.stat().st_mode) == 0o700


def test_patient_data_to_trusted_domain_passes(relay, sink):
    send(relay.port, message(subject="Referral", body=NHS_BODY, to="gp.surgery@nhs.net"),
         rcpts=["gp.surgery@nhs.net"])
    wait_for(lambda: sink.messages)
    assert relay.queue("hold") == []


def test_relay_attempt_from_disallowed_client_is_refused(make_relay, sink):
    relay = make_relay(server={"relay_networks": ["192.0.2.0/24"]})
    with smtplib.SMTP("127.0.0.1", relay.port, timeout=10) as client:
        client.ehlo()
        assert client.mail("someone@example.org")[0] == 250
        code, reply = client.rcpt("victim@example.net")
        assert code == 554 and b"Relay access denied" in reply
        client.rset()
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            client.sendmail("someone@example.org", ["victim@example.net"], message())
    assert relay.app.spool.counts() == {q: 0 for q in relay.app.spool.counts()}


def test_oversize_message_gets_552_and_the_session_stays_usable(make_relay, sink):
    relay = make_relay(server={"max_message_size": 20_000})
    big = message(body="x" * 70 + ("\r\n" + "y" * 70) * 400)
    with smtplib.SMTP("127.0.0.1", relay.port, timeout=10) as client:
        client.ehlo()
        assert client.has_extn("size") and client.esmtp_features["size"] == "20000"
        with pytest.raises(smtplib.SMTPSenderRefused) as declared:  # SIZE= on MAIL FROM
            client.sendmail("a@glowclinic.example", ["b@example.com"], big)
        assert declared.value.smtp_code == 552
        client.rset()
        client.mail("a@glowclinic.example")  # no SIZE declared: refused after DATA
        client.rcpt("b@example.com")
        code, _ = client.data(big)
        assert code == 552
        assert client.sendmail("a@glowclinic.example", ["b@example.com"], message()) == {}
    wait_for(lambda: len(sink.messages) == 1)
    assert relay.app.store.logs()[0].size < 20_000


def test_recipient_limit_answers_452_past_the_cap(make_relay, sink):
    relay = make_relay(server={"max_recipients": 3})
    rcpts = [f"p{i}@example.com" for i in range(5)]
    refused = send(relay.port, message(), rcpts=rcpts)
    assert set(refused) == {"p3@example.com", "p4@example.com"}
    assert all(code == 452 for code, _ in refused.values())
    wait_for(lambda: sink.messages)
    wait_for(relay.idle)
    assert len(sink.messages) == 1 and sink.messages[0][1] == rcpts[:3]


def test_header_block_over_the_limit_is_refused_before_parsing(make_relay, sink):
    relay = make_relay(server={"max_header_size": 4096})
    long_header = "".join(f"X-Filler-{i}: {'z' * 60}\r\n" for i in range(100))
    with pytest.raises(smtplib.SMTPDataError) as refused:
        send(relay.port, message(extra=long_header))
    assert refused.value.smtp_code == 552
    assert relay.app.spool.list("incoming") == [] and relay.app.store.logs() == []


SMUGGLING_SEQUENCES = [b"\n.\n", b"\r.\r", b"\r.\n", b"\n.\r", b"\n.\r\n", b"\r\n.\n",
                       b"\r.\r\n", b"\r\n.\r", b"\r\n\x00.\r\n", b"\r\n.\x00\r\n",
                       b"\r\n.\r\r\n", b"\r\r\n.\r\r\n"]


def _raw_session(port: int, payload: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.recv(1024)
        s.sendall(b"EHLO tester\r\nMAIL FROM:<a@glowclinic.example>\r\n"
                  b"RCPT TO:<b@example.com>\r\nDATA\r\n")
        buf = b""
        while b"354" not in buf:
            buf += s.recv(4096)
        s.sendall(payload)
        s.sendall(b"QUIT\r\n")
        while True:
            chunk = s.recv(4096)
            if not chunk:
                return buf
            buf += chunk


@pytest.mark.parametrize("sequence", SMUGGLING_SEQUENCES, ids=repr)
def test_smuggling_sequences_never_make_a_second_message(relay, sink, sequence):
    payload = (b"From: a@glowclinic.example\r\nSubject: first\r\n\r\nhello" + sequence +
               b"MAIL FROM:<evil@example.org>\r\nRCPT TO:<victim@example.net>\r\nDATA\r\n"
               b"Subject: smuggled\r\n\r\nevil\r\n.\r\n")
    replies = _raw_session(relay.port, payload)
    assert b"550 5.6.11" in replies or b"550 5.6.0" in replies
    assert replies.count(b"250 2.0.0 Ok: queued") == 0
    assert relay.app.spool.counts()["incoming"] == 0 and sink.messages == []


def test_bare_line_endings_in_what_reaches_upstream_are_impossible(relay, sink):
    send(relay.port, message(body="line one\r\nline two"))
    wait_for(lambda: sink.messages)
    content = sink.messages[0][2]
    assert b"\r\n" in content
    assert content.replace(b"\r\n", b"").count(b"\n") == 0
    assert content.replace(b"\r\n", b"").count(b"\r") == 0


def test_spool_failure_answers_451_not_250(relay, sink):
    tmp = relay.app.spool.root / "tmp"
    os.rmdir(tmp)
    tmp.write_text("not a directory")  # even root cannot mkdir inside a file
    with pytest.raises(smtplib.SMTPDataError) as refused:
        send(relay.port, message())
    assert refused.value.smtp_code == 451
    tmp.unlink()
    tmp.mkdir(mode=0o700)
    assert send(relay.port, message()) == {}  # and the relay kept serving
    wait_for(lambda: sink.messages)


def test_upstream_down_queues_mail_and_delivers_once_it_is_back(tmp_path, db_url):
    from conftest import Relay, relay_settings

    sink = Sink()  # port chosen, nothing listening yet
    relay = Relay(relay_settings(tmp_path, sink.port, db_url)).start()
    try:
        data = message()
        send(relay.port, data)
        def retried_twice() -> bool:
            try:
                return bool(relay.queue("outgoing")) and relay.app.spool.read_envelope(
                    "outgoing", relay.queue("outgoing")[0]).attempts >= 2
            except FileNotFoundError:  # moved to sending/ for the next attempt meanwhile
                return False
        wait_for(retried_twice)
        sink.start()
        wait_for(lambda: sink.messages)
        wait_for(relay.idle)
        assert [m[2] for m in sink.messages] == [data]
    finally:
        relay.stop()
        sink.stop()


def test_permanent_refusal_bounces_a_dsn_and_the_other_recipient_gets_it_once(relay, sink):
    sink.handler.refuse_rcpt["gone@example.com"] = "550 5.1.1 No such user"
    data = message(body="Your aftercare leaflet is attached.")
    send(relay.port, data, rcpts=["sam.patel@example.com", "gone@example.com"])
    wait_for(lambda: len(sink.messages) == 2)
    wait_for(relay.idle)
    delivered = sink.handler.to("sam.patel@example.com")
    assert delivered == [data]
    (dsn,) = sink.handler.to("reception@glowclinic.example")
    assert sink.messages[1][0] == "<>"  # null sender: a bounce is never bounced
    assert b"multipart/report" in dsn and b'report-type="delivery-status"' in dsn
    assert b"Final-Recipient: rfc822; gone@example.com" in dsn
    assert b"550 5.1.1 No such user" in dsn
    assert b"Your aftercare leaflet" not in dsn  # headers only, never the body


def test_message_over_the_time_budget_is_held_and_the_relay_keeps_serving(make_relay, sink):
    relay = make_relay(scan={"time_budget": 0.001, "workers": 1})
    send(relay.port, message())
    held_id = wait_for(lambda: relay.queue("hold"))[0]
    row = relay.app.store.held(held_id)
    assert row.top_rule == "scan_failed"
    assert "time budget" in row.findings
    assert send(relay.port, message()) == {}


def test_authenticated_user_may_relay_from_anywhere_after_starttls(make_relay, sink, tmp_path):
    import ssl
    import subprocess

    from gateway.passwords import hash_password

    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=localhost", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    from gateway.config import AuthSettings, TlsSettings

    relay = make_relay(server={
        "relay_networks": ["192.0.2.0/24"],
        "tls": TlsSettings(cert_file=str(cert), key_file=str(key)),
        "auth": AuthSettings(users={"reception": hash_password("s3cret-Passw0rd")}),
    })
    with smtplib.SMTP("127.0.0.1", relay.port, timeout=10) as client:
        client.ehlo()
        assert not client.has_extn("auth")  # AUTH is offered only after STARTTLS
        code, reply = client.docmd("AUTH", "PLAIN AHJlY2VwdGlvbgBzM2NyZXQtUGFzc3cwcmQ=")
        assert code == 538
        context = ssl.create_default_context(cafile=str(cert))
        context.check_hostname = False
        client.starttls(context=context)
        client.ehlo()
        assert client.has_extn("auth")
        with pytest.raises(smtplib.SMTPAuthenticationError):
            client.login("reception", "wrong")
        client.login("reception", "s3cret-Passw0rd")
        assert client.sendmail("a@glowclinic.example", ["b@example.com"], message()) == {}
    wait_for(lambda: sink.messages)


def test_patient_data_to_colleagues_passes_but_a_bcc_outside_the_clinic_holds(relay, sink):
    """The audience is the envelope: the headers name only a colleague both times."""
    body = "Handover: Sarah Jones, DOB 03/09/1979, had lip filler today; review on Friday."
    data = message(subject="Handover", body=body, to="manager@glowclinic.example")
    with smtplib.SMTP("127.0.0.1", relay.port, timeout=30) as client:
        client.sendmail("nurse@glowclinic.example", ["manager@glowclinic.example"], data)
    wait_for(lambda: sink.handler.to("manager@glowclinic.example"))
    with smtplib.SMTP("127.0.0.1", relay.port, timeout=30) as client:  # the group's other domain
        client.sendmail("nurse@glowclinic.example", ["log@glowclinic-group.example"], data)
    wait_for(lambda: sink.handler.to("log@glowclinic-group.example"))
    with smtplib.SMTP("127.0.0.1", relay.port, timeout=30) as client:
        client.sendmail("nurse@glowclinic.example",
                        ["manager@glowclinic.example", "friend@gmail.example"], data)
    wait_for(lambda: relay.queue("hold"))
    wait_for(relay.idle)
    assert sink.handler.to("friend@gmail.example") == []
    (held_id,) = relay.queue("hold")
    assert "patient_data" in relay.app.store.held(held_id).categories
