"""`mailscreen queue`: list, show, hold, flush, release and delete mail waiting in the spool
of a real relay with a real upstream sink; the delay warning is sent once per message."""
from __future__ import annotations

import email
import email.policy
import json
import smtplib
from pathlib import Path

from conftest import Relay, free_port, message, wait_for
from typer.testing import CliRunner

from cli.main import app
from gateway.config import load_config

SENDER = "reception@glowclinic.example"
BUSY = "451 4.2.0 Mailbox busy, try later"


def config_file(tmp_path: Path, sink_port: int) -> Path:
    path = tmp_path / "mailscreen.toml"
    path.write_text(f"""
data_dir = "data"
[server]
port = {free_port()}
[scan]
workers = 1
[upstream]
host = "127.0.0.1"
port = {sink_port}
starttls = false
timeout = 5
[delivery]
workers = 1
retry_delays = [0.3, 0.3, 3600]
poll_interval = 0.1
delay_warning = 0.2
[admin]
four_eyes_categories = []
""")
    return path


def cli(config: Path, *args, input: str | None = None):
    return CliRunner().invoke(app, ["queue", *args, "--config", str(config)], input=input,
                              env={"SUDO_USER": "alice", "COLUMNS": "160"})


def listed(config: Path) -> dict[str, dict]:
    result = cli(config, "list", "--json")
    assert result.exit_code == 0, result.output
    return {r["id"]: r for r in map(json.loads, result.stdout.splitlines())}


def text_of(data: bytes) -> str:
    msg = email.message_from_bytes(data, policy=email.policy.default)
    return msg.get_body(("plain",)).get_content()


def send(relay: Relay, to: str, body: str = "See you on Tuesday.") -> None:
    with smtplib.SMTP("127.0.0.1", relay.port, timeout=10) as client:
        client.sendmail(SENDER, [to], message(body=body, to=to))


def test_queue_tool_over_a_deferring_upstream(tmp_path, sink):
    config = config_file(tmp_path, sink.port)
    relay = Relay(load_config(config)).start()
    try:
        for rcpt in ("ann@example.com", "bob@example.com"):
            sink.handler.refuse_rcpt[rcpt] = BUSY
            send(relay, rcpt)
        # both deferred three times, then parked for an hour
        wait_for(lambda: len(listed(config)) == 2 and
                 all(r["attempts"] == 3 for r in listed(config).values()))
        rows = listed(config)
        assert all(r["state"] == "deferred" and r["last_error"].startswith("4.2.0 Mailbox busy")
                   or "Mailbox busy" in r["last_error"] for r in rows.values())
        ann = next(i for i, r in rows.items() if r["recipients"] == ["ann@example.com"])
        bob = next(i for i, r in rows.items() if r["recipients"] == ["bob@example.com"])

        # the delay warning: one per message, to the sender, naming what still waits
        warnings = [d for d in sink.handler.to(SENDER) if b"Delayed Mail" in d]
        assert len(warnings) == 2
        assert all(b"Action: delayed" in d and "still trying" in text_of(d) for d in warnings)
        assert all(r["delay_warned"] for r in rows.values())

        table = cli(config, "list")
        assert table.exit_code == 0 and ann in table.stdout and "deferred" in table.stdout
        shown = cli(config, "show", ann[-6:])
        assert shown.exit_code == 0, shown.output
        assert "ann@example.com" in shown.stdout and "Mailbox busy" in shown.stdout
        assert "still being tried" in shown.stdout

        # hold one, then flush: only the other goes, at once (not in an hour)
        assert cli(config, "hold", ann).exit_code == 0
        assert listed(config)[ann]["state"] == "hold (admin)"
        sink.handler.refuse_rcpt.clear()
        flushed = cli(config, "flush")
        assert flushed.exit_code == 0 and "1 message(s)" in flushed.stdout
        wait_for(lambda: sink.handler.to("bob@example.com"), timeout=10)
        assert not sink.handler.to("ann@example.com")
        assert bob not in listed(config)

        released = cli(config, "release", ann)
        assert released.exit_code == 0, released.output
        wait_for(lambda: sink.handler.to("ann@example.com"), timeout=10)
        wait_for(relay.idle)
        assert listed(config) == {}
        assert len([d for d in sink.handler.to(SENDER) if b"Delayed Mail" in d]) == 2

        audit = CliRunner().invoke(app, ["audit", "--json", "--config", str(config)])
        actions = [json.loads(line)["action"] for line in audit.stdout.splitlines()]
        assert actions == ["queue_held", "queue_released"]
    finally:
        relay.stop()


def test_corrupt_and_quarantined_entries(tmp_path, sink):
    config = config_file(tmp_path, sink.port)
    relay = Relay(load_config(config)).start()
    try:
        send(relay, "friend@example.com",
             body="Our patient Jane Doe, NHS number 999 000 0018, had filler on Monday.")
        # held mail leaves the spool for the quarantine database: `held` decides it,
        # the queue tool neither lists nor touches it
        held = wait_for(lambda: relay.app.store.held_ids(status="held"))
        held = next(iter(held))
        bad = relay.app.spool.path("corrupt", "zzzzzzzzzzzzzzzz")
        bad.mkdir()
        (bad / "envelope.json").write_text("{not json")
        (bad / "message.eml").write_bytes(b"Subject: x\r\n\r\nx\r\n")

        rows = listed(config)
        assert held not in rows
        assert rows["zzzzzzzzzzzzzzzz"]["state"] == "corrupt"
        assert "unreadable" in rows["zzzzzzzzzzzzzzzz"]["problem"]
        assert cli(config, "release", held).exit_code == 1
        assert cli(config, "show", "nosuchid").exit_code == 1

        asked = cli(config, "delete", "zzzz", input="n\n")
        assert asked.exit_code == 1 and "zzzzzzzzzzzzzzzz" in asked.stdout
        deleted = cli(config, "delete", "zzzz", input="y\n")
        assert deleted.exit_code == 0, deleted.output
        assert not bad.exists() and held in relay.app.store.held_ids(status="held")
    finally:
        relay.stop()
