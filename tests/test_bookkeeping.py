"""What the relay records of each screened message (gateway/relay/worker.py): the
bulk-repetition row and the screening log line are one transaction, written before the
message leaves active/; the spool is the truth, so a kill anywhere before that commit
screens the message again and a kill after it finds it recorded once."""
from __future__ import annotations

import os
import smtplib
import sqlite3
import threading

from conftest import RelayProcess, Sink, free_port, message, wait_for, write_config
from sqlalchemy.exc import OperationalError

from gateway.database.store import Store

SENDER = "reception@glowclinic.example"
# long enough to be counted by bulk_repetition (bulk.min_chars)
BODY = ("Thank you for choosing Riverside Skin Clinic for your hydrating facial. Please "
        "arrive ten minutes early, avoid retinol for three days beforehand, and come with "
        "clean skin. Parking is free behind the clinic for up to two hours.")


def rows(db, table: str, msg_id: str | None = None) -> int:
    with sqlite3.connect(db) as conn:
        if msg_id is None:
            return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        return conn.execute(f"SELECT count(*) FROM {table} WHERE id = ?",
                            (msg_id,)).fetchone()[0]


def test_a_failed_log_write_takes_the_repetition_row_with_it(make_relay, sink, monkeypatch):
    """One transaction: the log line fails (a database error), and the bulk-repetition row
    of the same message is not left behind; tried again, both are written once."""
    failed, go_on = threading.Event(), threading.Event()
    log = Store.log

    def failing_once(self, entry, conn=None):
        if not failed.is_set():
            failed.set()
            go_on.wait(30)
            raise OperationalError("INSERT INTO screening_log", {}, Exception("disk I/O error"))
        return log(self, entry, conn)

    monkeypatch.setattr(Store, "log", failing_once)
    relay = make_relay()
    db = relay.settings.data_path / "mailscreen.db"
    with smtplib.SMTP("127.0.0.1", relay.port, timeout=30) as smtp:
        smtp.ehlo("client.example")
        smtp.mail(SENDER)
        smtp.rcpt("sam.patel@example.com")
        code, text = smtp.data(message(body=BODY))
    assert code == 250
    msg_id = text.decode().rsplit(" ", 1)[-1]
    assert failed.wait(60)
    go_on.set()
    wait_for(lambda: relay.queue("incoming") == [msg_id], timeout=30)  # waits out the error
    assert rows(db, "recent_body", msg_id) == 0 and rows(db, "screening_log", msg_id) == 0
    wait_for(lambda: sink.messages and relay.idle(), timeout=60)
    assert rows(db, "recent_body", msg_id) == 1 and rows(db, "screening_log", msg_id) == 1


def test_a_killed_relay_takes_its_listeners_along_and_every_250_is_recorded_once(tmp_path):
    """SIGKILL of the relay right after its listeners answered 250: the listeners stop
    (nothing keeps taking mail that nobody screens), and after the restart every message
    is delivered with one log line and one bulk-repetition row."""
    sink = Sink().start()
    port = free_port()
    config = write_config(tmp_path, port, sink.port, "[admin]\nnotify_on_hold = false\n")
    config.write_text(config.read_text().replace("[server]\n", "[server]\nlisteners = 2\n"))
    relay = RelayProcess(config, port)
    try:
        relay.start()
        ids = []
        for i in range(12):
            with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
                smtp.ehlo("client.example")
                smtp.mail(SENDER)
                smtp.rcpt(f"client{i}@example.com")
                code, text = smtp.data(message(body=f"{BODY} Booking {i}."))
                assert code == 250
                ids.append(text.decode().rsplit(" ", 1)[-1])
        group = relay.proc.pid
        relay.kill()

        def alive_in_group() -> list[int]:
            found = []
            for name in os.listdir("/proc"):
                try:
                    with open(f"/proc/{name}/stat") as f:
                        fields = f.read().rpartition(")")[2].split()
                except (OSError, ValueError):
                    continue
                if fields[0] != "Z" and int(fields[2]) == group:
                    found.append(int(name))
            return found

        wait_for(lambda: not alive_in_group(), timeout=20)
        relay.start()
        wait_for(lambda: len(sink.messages) >= 12, timeout=120)
        relay.stop()
        db = tmp_path / "data" / "mailscreen.db"
        assert sorted(r for _, rcpts, _ in sink.messages for r in rcpts) == \
            sorted(f"client{i}@example.com" for i in range(12))
        assert all(rows(db, "screening_log", i) == 1 for i in ids)
        assert all(rows(db, "recent_body", i) == 1 for i in ids)
        assert rows(db, "screening_log") == 12
    finally:
        relay.stop()
        sink.stop()
