"""No 250 left behind (issue 13, findings 7 and 8): a full disk never sends accepted mail
to corrupt/, and a restart leaves no half-entry and no partial write behind."""
from __future__ import annotations

import dataclasses
import errno
import json
import logging
import os
import shutil
import smtplib
import sqlite3
import subprocess
from pathlib import Path

import pytest
from conftest import Relay, Sink, message, relay_settings, wait_for
from typer.testing import CliRunner

from cli.main import app
from gateway.relay.spool import Spool, SpoolEntry

SENDER = "reception@glowclinic.example"
NHS_BODY = "Our patient Jane Doe, NHS number 999 000 0018, had filler on Monday."


@pytest.fixture
def small_disk(tmp_path):
    """The spool on a real 2 MiB file system (tmpfs), so ENOSPC is the kernel's own."""
    spool = tmp_path / "data" / "spool"
    spool.mkdir(parents=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m,mode=0700", "tmpfs",
                              str(spool)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"needs root to mount a small tmpfs: {mounted.stderr.decode().strip()}")
    yield spool
    subprocess.run(["umount", "-l", str(spool)], check=False)


def fill(directory: Path) -> Path:
    """Take every free byte of the file system, as another writer would."""
    filler = directory / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        for size in (65536, 4096, 512, 1):
            try:
                while True:
                    os.write(fd, b"\0" * size)
            except OSError as e:
                assert e.errno == errno.ENOSPC
    finally:
        os.close(fd)
    return filler


def send_until_refused(port: int, count: int) -> tuple[list[bytes], int]:
    """Send up to `count` messages of ~40 KB; the ones that got 250, and the first 4xx."""
    accepted = []
    for i in range(count):  # different bodies (the same one 20 times is bulk mail), and no
        code = "".join(chr(97 + int(d)) for d in f"{i:02d}")  # numbers ("18" is an age)
        body = f"Price list {code}: hydrating facial, chemical peel, microneedling.\r\n" * 600
        data = message(subject=f"Price list {code}", body=body)
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
                client.sendmail(SENDER, ["sam.patel@example.com"], data)
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as e:
            return accepted, e.smtp_code
        accepted.append(data)
    return accepted, 0


def logged(caplog, text: str) -> bool:
    return any(text in r.getMessage() for r in caplog.records)


def test_full_disk_with_the_upstream_down_loses_nothing_and_corrupts_nothing(
        tmp_path, small_disk, caplog):
    caplog.set_level(logging.INFO)
    sink = Sink()  # the upstream is down for now
    settings = relay_settings(tmp_path, sink.port)
    settings = dataclasses.replace(settings, server=dataclasses.replace(
        settings.server, spool_reserve_mb=0.5))
    relay = Relay(settings).start()
    db = relay.settings.data_path / "mailscreen.db"
    try:
        # the database is locked, so mail waits in incoming/ while the disk fills
        blocker = sqlite3.connect(db, timeout=1, isolation_level=None)
        blocker.execute("BEGIN EXCLUSIVE")
        accepted, refusal = send_until_refused(relay.port, 60)
        assert refusal == 452, "new mail is refused with 4xx once space is short"
        assert len(accepted) >= 5
        # another writer takes the reserve too: screening cannot write its envelope
        filler = fill(small_disk)
        blocker.execute("ROLLBACK")
        blocker.close()
        wait_for(lambda: logged(caplog, "it stays queued and is tried again"), timeout=60)
        assert relay.queue("corrupt") == []
        assert len(relay.queue("incoming") + relay.queue("active")) == len(accepted)

        filler.unlink()  # room again: screened, deferred (the upstream is still down)
        wait_for(lambda: len(relay.queue("outgoing") + relay.queue("sending")) == len(accepted)
                 and logged(caplog, "deferred for 1 recipient"), timeout=90)
        filler = fill(small_disk)  # and full again while every deferral rewrites envelopes
        wait_for(lambda: logged(caplog, "cannot record the deferral"), timeout=60)
        assert relay.queue("corrupt") == []
        assert len(relay.queue("outgoing") + relay.queue("sending")) == len(accepted)

        filler.unlink()
        sink.start()
        wait_for(lambda: len(sink.handler.to("sam.patel@example.com")) >= len(accepted),
                 timeout=120)
        wait_for(relay.idle, timeout=60)
        got = sink.handler.to("sam.patel@example.com")
        assert sorted(got) == sorted(accepted)
        assert relay.queue("corrupt") == []
        wait_for(lambda: relay.queue("trash") == [])
    finally:
        relay.stop()
        sink.stop()


def test_restart_sweeps_partial_writes_and_half_entries(tmp_path, sink, caplog):
    caplog.set_level(logging.INFO)
    settings = relay_settings(tmp_path, sink.port)
    relay = Relay(settings).start()  # makes the spool and the database
    relay.stop()

    spool = Spool(settings.data_path / "spool")
    entry = SpoolEntry(mail_from=SENDER, rcpt_tos=["sam.patel@example.com"])
    datas = [message(subject=f"Entry {i}") for i in range(4)]
    intact, no_envelope, no_message, garbled = (
        spool.accept(data, entry, queue="outgoing") for data in datas)
    (spool.path("outgoing", no_envelope) / "envelope.json").unlink()
    (spool.path("outgoing", no_message) / "message.eml").unlink()
    (spool.path("outgoing", garbled) / "envelope.json").write_bytes(b"\x00\x01 not json")
    partial = spool.path("tmp", "partialwrite0001")  # a write cut short, seconds ago
    partial.mkdir()
    (partial / "message.eml").write_bytes(message(body=NHS_BODY))
    trashed = spool.root / "trash" / "removedentry0001.abcd"  # a kill during remove
    shutil.copytree(spool.path("outgoing", intact), trashed)

    relay = Relay(settings).start()
    try:
        wait_for(lambda: sink.handler.to("sam.patel@example.com"))
        wait_for(relay.idle)
        assert sink.handler.to("sam.patel@example.com") == [datas[0]], \
            "only the intact entry is delivered, once"
        assert relay.queue("tmp") == []
        wait_for(lambda: relay.queue("trash") == [])  # the delivered entry's removal ends
        assert sorted(relay.queue("corrupt")) == sorted([no_envelope, garbled])
        assert (spool.path("corrupt", no_envelope) / "corrupt-reason.txt").exists()
        errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
        assert any(no_envelope in e and "corrupt" in e for e in errors)
        assert any(garbled in e and "corrupt" in e for e in errors)
        assert logged(caplog, f"{no_message} in outgoing/ had no message")
        # and the weekly report tells the admins
        config = tmp_path / "report.toml"
        config.write_text(f'data_dir = "{settings.data_dir}"\n')
        report = CliRunner().invoke(app, ["report", "weekly", "--format", "json", "--config",
                                          str(config)])
        assert sorted(json.loads(report.stdout)["corrupt"]) == sorted([no_envelope, garbled])
        table = CliRunner().invoke(app, ["report", "weekly", "--config", str(config)])
        assert "corrupt/: 2 spool entries could not be read" in table.stdout
    finally:
        relay.stop()



def test_an_envelope_whose_message_vanished_is_dropped_not_retried_for_ever(relay, caplog):
    caplog.set_level(logging.INFO)
    spool = relay.app.spool
    msg_id = spool.accept(message(), SpoolEntry(mail_from=SENDER, rcpt_tos=["a@example.com"]),
                          queue="hold")  # out of the way while its message goes
    (spool.path("hold", msg_id) / "message.eml").unlink()
    spool.move(msg_id, "hold", "outgoing")
    wait_for(lambda: logged(caplog, f"{msg_id}: its message is gone"))
    wait_for(relay.idle)
    assert relay.queue("corrupt") == [] and not logged(caplog, "queued again in a minute")


def test_the_reserve_keeps_room_for_the_databases_write_log(tmp_path, sink):
    """Issue 23, finding 6: the SQLite database and its write log (-wal) share the spool's
    file system. New mail gets 452 while the free space would not leave the database room
    for its write log and a held message's copy, so what was accepted can always be
    recorded; when space returns mail is taken again, and the write log is checkpointed
    back to nothing."""
    data = tmp_path / "data"
    data.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m,mode=0700", "tmpfs",
                              str(data)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"needs root to mount a small tmpfs: {mounted.stderr.decode().strip()}")
    relay = None
    try:
        settings = relay_settings(tmp_path, sink.port)
        settings = dataclasses.replace(settings, server=dataclasses.replace(
            settings.server, spool_reserve_mb=1, max_message_size=1024 * 1024))
        relay = Relay(settings).start()
        st = os.statvfs(data)
        free = st.f_bavail * st.f_frsize
        filler = data / "filler"  # another writer leaves 4 MiB: more than the 1 MiB reserve,
        with open(filler, "wb") as f:  # less than the reserve and the database's headroom
            f.write(b"\0" * (free - 4 * 1024 * 1024))
        with pytest.raises(smtplib.SMTPSenderRefused) as refused:
            with smtplib.SMTP("127.0.0.1", relay.port, timeout=30) as client:
                client.sendmail(SENDER, ["sam.patel@example.com"], message())
        assert refused.value.smtp_code == 452
        filler.unlink()
        for i in range(3):  # room again: taken, screened, recorded, delivered
            with smtplib.SMTP("127.0.0.1", relay.port, timeout=30) as client:
                client.sendmail(SENDER, ["sam.patel@example.com"], message(subject=f"Hi {i}"))
        wait_for(lambda: len(sink.messages) == 3 and relay.idle())
        wal = data / "mailscreen.db-wal"
        assert wal.exists()  # the write log is cut back to nothing on a checkpoint
        wait_for(lambda: relay.app.store.checkpoint() and wal.stat().st_size == 0)
    finally:
        if relay is not None:
            relay.stop()
        subprocess.run(["umount", "-l", str(data)], check=False)
