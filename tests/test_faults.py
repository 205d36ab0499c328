"""Faults: a full disk and a locked database while mail arrives, an upstream that never
comes back, and a data-protection sweep over everything the relay wrote."""
from __future__ import annotations

import dataclasses
import logging
import re
import smtplib
import sqlite3
import subprocess
import time

import pytest
from conftest import Relay, Sink, message, relay_settings, wait_for

SENDER = "reception@glowclinic.example"


def send(port: int, data: bytes, rcpts=("sam.patel@example.com",)) -> dict:
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        return client.sendmail(SENDER, list(rcpts), data)


def test_full_disk_while_receiving_is_451_never_250(tmp_path, sink):
    spool = tmp_path / "data" / "spool"
    spool.mkdir(parents=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k,mode=0700", "tmpfs",
                              str(spool)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.decode().strip()}")
    settings = relay_settings(tmp_path, sink.port)  # no reserve: the write itself fails
    settings = dataclasses.replace(settings, server=dataclasses.replace(
        settings.server, spool_reserve_mb=0))
    relay = Relay(settings).start()
    try:
        big = message(body=("x" * 76 + "\r\n") * 4000)  # ~310 KB: more than the disk holds
        with pytest.raises(smtplib.SMTPDataError) as refused:
            send(relay.port, big)
        assert refused.value.smtp_code in (451, 452)  # 452 4.3.1 when it cannot fit
        assert relay.app.spool.list("incoming") == [] and relay.app.spool.list("tmp") == []
        small = message()
        assert send(relay.port, small) == {}  # space left for a normal message
        wait_for(lambda: sink.handler.to("sam.patel@example.com") == [small])
    finally:
        relay.stop()
        subprocess.run(["umount", "-l", str(spool)], check=False)


def test_locked_database_delays_screening_and_loses_nothing(relay, sink):
    db = relay.settings.data_path / "mailscreen.db"
    blocker = sqlite3.connect(db, timeout=1, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        data = message()
        assert send(relay.port, data) == {}  # receiving never touches the database
        time.sleep(2.0)
        assert sink.messages == []  # screening waits for the database...
        assert relay.queue("incoming") + relay.queue("active")  # ...with the mail on disk
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    wait_for(lambda: sink.handler.to("sam.patel@example.com") == [data], timeout=60)
    assert [row.action for row in relay.app.store.logs()] == ["pass"]


def test_mail_undeliverable_past_the_queue_lifetime_is_bounced(make_relay, tmp_path):
    sink = Sink()  # nothing listening for now
    settings = relay_settings(tmp_path, sink.port)
    import dataclasses
    settings = dataclasses.replace(settings, delivery=dataclasses.replace(
        settings.delivery, queue_lifetime=1.5))
    relay = Relay(settings).start()
    try:
        data = message(body="Your results letter.")
        send(relay.port, data)
        wait_for(lambda: relay.queue("outgoing"))
        time.sleep(2.0)  # past the lifetime: the next attempt gives up and writes a DSN
        sink.start()
        (dsn,) = wait_for(lambda: sink.handler.to(SENDER), timeout=30)
        assert b"gave up after" in dsn and b"sam.patel@example.com" in dsn
        wait_for(relay.idle)
        assert sink.handler.to("sam.patel@example.com") == []
    finally:
        relay.stop()
        sink.stop()


IDENTIFIERS = ["9990000018", "999 000 0018", "9994567890", "12/03/1985", "07700 900123",
               "jane.doe.home@example.net", "AB123456C"]
LEAKY = ("Subject: Jane Doe NHS 999 000 0018 DOB 12/03/1985\r\n", (
    "Patient Jane Doe, NHS number 999 000 0018 (old card 999-456-7890), DOB 12/03/1985,\r\n"
    "mobile 07700 900123, email jane.doe.home@example.net, NI AB123456C, had filler on\r\n"
    "Monday and the swelling is worse. Botox top-up £99 if she books now!\r\n"))


def test_no_full_identifier_anywhere_the_relay_wrote(tmp_path, sink, caplog):
    caplog.set_level(logging.DEBUG)
    subject, body = LEAKY
    relay = Relay(relay_settings(tmp_path, sink.port)).start()
    try:
        sink.handler.refuse_rcpt["ward@nhs.net"] = "550 5.1.1 No such user"
        leaky = ("From: Glow Clinic <reception@glowclinic.example>\r\nTo: friend@example.com\r\n"
                 + subject + "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"z\"\r\n"
                 "\r\n--z\r\nContent-Type: text/plain\r\n\r\n" + body + "--z\r\n"
                 "Content-Type: text/plain; name=\"notes.pdf\"\r\n"
                 "Content-Disposition: attachment; filename=\"Jane Doe 9990000018.pdf\"\r\n\r\n"
                 + body + "--z--\r\n").encode()
        send(relay.port, leaky, rcpts=["friend@example.com"])  # held
        send(relay.port, leaky.replace(b"friend@example.com", b"gp@nhs.net"),
             rcpts=["gp@nhs.net", "gone@example.com"])  # held too: the other recipient
        send(relay.port, leaky.replace(b"friend@example.com", b"gp@nhs.net"),
             rcpts=["gp@nhs.net", "ward@nhs.net"])  # passes; a DSN for the refused one
        wait_for(lambda: len(relay.queue("hold")) == 2)
        wait_for(lambda: sink.handler.to(SENDER))
        from typer.testing import CliRunner

        from cli.main import app

        config = tmp_path / "mailscreen.toml"
        config.write_text(f'data_dir = "data"\n[server]\nport = {relay.port}\n')
        for held_id in relay.queue("hold"):
            r = CliRunner().invoke(app, ["held", "reject", held_id, "--reason", "leak",
                                         "--notify", "--config", str(config)])
            assert r.exit_code == 0, r.output
            shown = CliRunner().invoke(app, ["held", "show", held_id, "--config", str(config)])
            outputs = [shown.stdout]
        report = CliRunner().invoke(app, ["report", "weekly", "--week",
                                          time.strftime("%G-W%V"), "--format", "json",
                                          "--config", str(config)])
        outputs.append(report.stdout)
        wait_for(relay.idle)
        listing = CliRunner().invoke(app, ["held", "list", "--status", "all", "--json",
                                           "--config", str(config)])
        outputs.append(listing.stdout)
    finally:
        relay.stop()

    written = []
    for path in relay.settings.data_path.rglob("*"):
        if not path.is_file() or path.name == "message.eml" and "rejected" in path.parts:
            continue  # the quarantined message itself is the one place the data may be
        if path.suffix in (".db", ".db-wal", ".db-shm") or path.name.endswith((".db-wal", ".db-shm")):
            continue  # the database is checked column by column below
        written.append((str(path), path.read_bytes().decode("utf-8", "replace")))
    with sqlite3.connect(relay.settings.data_path / "mailscreen.db") as conn:
        for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'"):
            if table == "held_body":
                continue  # the quarantined message itself is the one place the data may be
            for row in conn.execute(f"SELECT * FROM {table}"):
                written.append((table, " ".join(map(str, row))))
    written += [("log", caplog.text)] + [("cli", out) for out in outputs]
    notices = [m for m in sink.messages if m[0] == "<>"]  # DSN and hold/reject notices
    assert len(notices) >= 3 and any(b"delivery-status" in m[2] for m in notices)
    # a DSN returns the sender's own header block to them as written (RFC 3462): that part
    # is theirs; everything mailscreen wrote around it is checked
    written += [("notice", re.sub(r"Content-Type: text/rfc822-headers.*?(?=\r\n--)", "",
                                  m[2].decode("utf-8", "replace"), flags=re.S))
                for m in notices]
    assert any("NHS *** *** 0018" in text for _, text in written)  # the evidence is there, redacted
    for where, text in written:
        flat = re.sub(r"\s+", " ", text)
        for identifier in IDENTIFIERS:
            assert identifier not in text and identifier not in flat, (identifier, where)
