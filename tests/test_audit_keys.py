"""The audit chain anchored outside its table, and keys outside the database (issue 13,
findings 3 and 4): deleting the last rows or rebuilding the chain is seen by `audit
verify`; the register's hashes cannot be tested without the key file; keys rotate."""
from __future__ import annotations

import hashlib
import hmac
import os
import smtplib
import sqlite3
import stat
from pathlib import Path

import pytest
from conftest import ROOT, Relay, free_port, message, wait_for, write_config
from typer.testing import CliRunner

from cli.main import app
from gateway.config import load_config
from gateway.database.store import GENESIS, AuditEvent
from scanners import patient_keys

REGISTER = ROOT / "tests" / "data" / "patient_eval" / "register.csv"
SENDER = "reception@glowclinic.example"
NHS_BODY = "Our patient Jane Doe, NHS number 999 000 0018, had filler on Monday."


@pytest.fixture
def env(tmp_path, sink):
    config = write_config(tmp_path, free_port(), sink.port, "[admin]\nfour_eyes_categories = []\n")
    relay = Relay(load_config(config)).start()
    yield config, relay
    relay.stop()


def cli(config: Path, *args):
    return CliRunner().invoke(app, [*args, "--config", str(config)])


def three_rows(config: Path, relay: Relay) -> Path:
    with smtplib.SMTP("127.0.0.1", relay.port, timeout=30) as client:
        for i in range(3):
            to = f"friend{i}@example.com"
            client.sendmail(SENDER, [to], message(subject=f"Case {i}", body=NHS_BODY, to=to))
    ids = wait_for(lambda: relay.queue("hold") if len(relay.queue("hold")) == 3 else None)
    for i in ids:
        assert cli(config, "held", "reject", i, "--reason", "no").exit_code == 0
    assert cli(config, "audit", "verify").stdout.startswith("audit chain OK: 3 row(s)")
    return relay.settings.data_path / "mailscreen.db"


def test_the_key_and_the_anchor_live_outside_the_database(env):
    config, relay = env
    db = three_rows(config, relay)
    key = relay.settings.key_path
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and key.parent == db.parent
    secret = key.read_text().split()[1]
    assert secret.encode() not in db.read_bytes()
    with sqlite3.connect(db) as conn:
        hashes = [h for (h,) in conn.execute("SELECT hash FROM audit_event ORDER BY id")]
    assert all(h.startswith("k1:") for h in hashes)
    anchored = relay.settings.anchor_path.read_text().splitlines()
    assert len(anchored) == 3 and anchored[-1].split()[:3] == ["3", "3", hashes[-1]]


def test_deleting_the_last_row_is_seen(env):
    config, relay = env
    db = three_rows(config, relay)
    with sqlite3.connect(db) as conn:
        conn.execute("DELETE FROM audit_event WHERE id = 3")
    broken = cli(config, "audit", "verify")
    assert broken.exit_code == 1
    assert "broken at row 3" in broken.stderr and "rows were removed" in broken.stderr


def test_a_rebuilt_chain_is_seen_with_or_without_a_key_of_ones_own(env):
    config, relay = env
    db = three_rows(config, relay)

    def rebuild(sign):
        """What a database writer could do: rewrite a reason, recompute every hash."""
        with sqlite3.connect(db) as conn:
            conn.execute("UPDATE audit_event SET reason = 'approved by the manager' WHERE id = 2")
            prev = GENESIS
            for row_id, in conn.execute("SELECT id FROM audit_event ORDER BY id").fetchall():
                row = AuditEvent(**dict(zip(
                    ("id", "at", "user", "action", "message_ids", "reason", "detail"),
                    conn.execute("SELECT id, at, user, action, message_ids, reason, detail "
                                 "FROM audit_event WHERE id = ?", (row_id,)).fetchone())))
                from datetime import datetime
                row.at = datetime.fromisoformat(str(row.at))
                row.prev_hash = prev
                prev = sign(row)
                conn.execute("UPDATE audit_event SET prev_hash = ?, hash = ? WHERE id = ?",
                             (row.prev_hash, prev, row_id))

    rebuild(lambda row: row.digest())  # plain SHA-256, as before the key
    broken = cli(config, "audit", "verify")
    assert broken.exit_code == 1 and "not signed with the audit key" in broken.stderr
    guess = os.urandom(32)
    rebuild(lambda row: "k1:" + hmac.new(hmac.new(guess, b"audit", hashlib.sha256).digest(),
                                        row.body(), hashlib.sha256).hexdigest())
    broken = cli(config, "audit", "verify")
    assert broken.exit_code == 1 and "broken at row 1" in broken.stderr
    assert "do not match its signature" in broken.stderr


def test_the_register_cannot_be_tested_without_the_key_and_still_matches_with_it(env, sink):
    config, relay = env
    imported = cli(config, "patients", "import", str(REGISTER), "--reason", "initial load")
    assert imported.exit_code == 0, imported.output
    db = relay.settings.data_path / "mailscreen.db"
    with sqlite3.connect(db) as conn:
        (salt,) = conn.execute("SELECT salt FROM patient_register_state").fetchone()
        hashes = {h for (h,) in conn.execute("SELECT hash FROM patient_register")}
    assert salt.startswith(b"k1:")
    # an attacker with the database alone: the salt is there, the key is not
    for kind, value in (("name", "Sarah Jones"), ("dob", "12/03/1985"),
                        ("phone", "07700 900123")):
        guess = patient_keys.digest(salt, kind, patient_keys.normal(kind, value))
        assert guess not in hashes
    # the relay's scan process has the key: a registered patient's details are still held
    with smtplib.SMTP("127.0.0.1", relay.port, timeout=30) as client:
        client.sendmail(SENDER, ["council@example.org"], message(
            subject="Permit", body="Marcus Bell - LS7 3RR - parking permit request.",
            to="council@example.org"))
    (held,) = wait_for(lambda: relay.queue("hold"))
    assert "patient_register_match" in relay.app.store.held(held).hold_rules


def test_keys_rotate_and_old_rows_still_verify(env):
    config, relay = env
    db = three_rows(config, relay)
    rotated = cli(config, "keys", "rotate", "--reason", "yearly rotation")
    assert rotated.exit_code == 0 and "key 2 is now current" in rotated.stdout
    assert len(relay.settings.key_path.read_text().splitlines()) == 2
    assert cli(config, "patients", "import", str(REGISTER)).exit_code == 0
    with sqlite3.connect(db) as conn:
        hashes = [h for (h,) in conn.execute("SELECT hash FROM audit_event ORDER BY id")]
        (salt,) = conn.execute("SELECT salt FROM patient_register_state").fetchone()
    assert [h[:3] for h in hashes] == ["k1:"] * 3 + ["k2:"] * 2 and salt.startswith(b"k2:")
    assert cli(config, "audit", "verify").stdout.startswith("audit chain OK: 5 row(s)")
