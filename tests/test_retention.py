"""Retention for everything and the data subject's rights (issue 13, finding 6): rows past
their retention period are purged by the daily `held purge`, audited, and the audit chain
still verifies; one patient can be erased from the register; everything kept about one
address can be exported."""
from __future__ import annotations

import base64
import json
import smtplib
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import ROOT, Relay, free_port, message, wait_for, write_config
from typer.testing import CliRunner

from cli.main import app
from gateway.config import load_config
from gateway.database import audit
from gateway.database.store import utcnow
from gateway.quarantine.moderation import Moderator

REGISTER = ROOT / "tests" / "data" / "patient_eval" / "register.csv"
SENDER = "reception@glowclinic.example"
NHS_BODY = "Our patient Jane Doe, NHS number 999 000 0018, had filler on Monday."
RETENTION = """[admin]
four_eyes_categories = []
retention_days = 1
log_retention_days = 1
row_retention_days = 1
audit_retention_days = 2
"""


@pytest.fixture
def env(tmp_path, sink):
    config = write_config(tmp_path, free_port(), sink.port, RETENTION)
    relay = Relay(load_config(config)).start()
    yield config, relay
    relay.stop()


def cli(config: Path, *args):
    return CliRunner().invoke(app, [*args, "--config", str(config)])


def send(relay: Relay, to: str, body: str = NHS_BODY, subject: str = "Jane's notes") -> None:
    with smtplib.SMTP("127.0.0.1", relay.port, timeout=30) as client:
        client.sendmail(SENDER, [to], message(subject=subject, body=body, to=to))


def test_rows_past_retention_are_purged_daily_and_audited(env):
    config, relay = env
    send(relay, "friend0@example.com")
    send(relay, "friend1@example.com")
    ids = wait_for(lambda: relay.queue("hold") if len(relay.queue("hold")) == 2 else None)
    # ids made in one millisecond do not sort in sending order: tell them by recipient
    old, recent = sorted(ids, key=lambda i: relay.app.store.held(i).recipients != [
        "friend0@example.com"])
    assert cli(config, "held", "reject", old, "--reason", "not to personal mail").exit_code == 0
    db = relay.settings.data_path / "mailscreen.db"
    with sqlite3.connect(db) as conn:  # two days on: decided long ago, screened long ago
        conn.execute("UPDATE held_message SET decided_at = '2020-01-01 00:00:00' WHERE id = ?",
                     (old,))
        conn.execute("UPDATE screening_log SET screened_at = '2020-01-01 00:00:00' WHERE id = ?",
                     (old,))
    purged = cli(config, "held", "purge")
    assert purged.exit_code == 0, purged.output
    assert "1 screening log row(s), 1 quarantine row(s), 0 audit row(s) deleted" in purged.stdout
    with sqlite3.connect(db) as conn:
        subjects = [s for (s,) in conn.execute("SELECT subject FROM held_message")]
        logged = [i for (i,) in conn.execute("SELECT id FROM screening_log")]
        held_to = conn.execute("SELECT rcpt_tos FROM held_message").fetchall()
    assert len(subjects) == 1 and logged == [recent] and "friend0" not in str(held_to)
    trail = [json.loads(line) for line in cli(config, "audit", "--json").stdout.splitlines()]
    assert trail[-1]["action"] == "retention" and trail[-1]["detail"]["held_rows"] == 1

    # audit rows past their floor go too, and the chain checks out from the first row kept
    moderator = Moderator(relay.settings, relay.app.store, relay.app.spool, user="root")
    later = moderator.retain(now=utcnow() + timedelta(days=3))
    assert later["audit_rows"] == len(trail)
    check = audit.verify(relay.app.store)
    assert check.ok and check.rows == 1, check
    assert cli(config, "audit", "verify").exit_code == 0
    with sqlite3.connect(db) as conn:  # removing the purge record itself is still seen
        conn.execute("DELETE FROM audit_event")
    assert cli(config, "audit", "verify").exit_code == 1


def test_one_patient_is_forgotten_and_no_longer_matched(env, sink):
    config, relay = env
    assert cli(config, "patients", "import", str(REGISTER)).exit_code == 0
    permit = "Marcus Bell - LS7 3RR - parking permit request."
    send(relay, "council@example.org", permit, "Permit")
    wait_for(lambda: relay.queue("hold"))
    forgotten = cli(config, "patients", "forget", "Marcus Bell", "--reason", "erasure request")
    assert forgotten.exit_code == 0 and "1 patient(s) removed" in forgotten.stdout
    assert cli(config, "patients", "forget", "Marcus Bell", "--reason", "again").exit_code == 1
    assert "9 patients registered" in cli(config, "patients", "count").stdout
    send(relay, "council@example.org", permit, "Permit again")
    wait_for(lambda: any(b"Permit again" in m for m in sink.handler.to("council@example.org")))
    trail = cli(config, "audit", "--json").stdout
    assert "patients_forget" in trail and "Marcus" not in trail and "Bell" not in trail
    assert cli(config, "patients", "forget", "3", "--reason", "by number").exit_code == 0
    assert "8 patients registered" in cli(config, "patients", "count").stdout


def test_everything_about_one_address_is_exported(env):
    config, relay = env
    assert cli(config, "patients", "import", str(REGISTER)).exit_code == 0
    send(relay, "sarah.jones@example.com")
    (held,) = wait_for(lambda: relay.queue("hold"))
    assert cli(config, "held", "reject", held, "--reason", "ask first").exit_code == 0
    exported = cli(config, "held", "export", "Sarah.Jones@example.com", "--raw")
    assert exported.exit_code == 0, exported.output
    data = json.loads(exported.stdout)
    assert [r["id"] for r in data["held_messages"]] == [held]
    assert [e["action"] for e in data["audit"]] == ["reject"]
    assert data["patient_register"]["patient_numbers"] == [1]
    assert b"999 000 0018" in base64.b64decode(data["raw_messages"][held])
    trail = [json.loads(line) for line in cli(config, "audit", "--json").stdout.splitlines()]
    assert trail[-1]["action"] == "export" and trail[-1]["message_ids"] == [held]
