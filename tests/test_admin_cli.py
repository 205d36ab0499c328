"""The admin workflow through the CLI (typer's runner and real subprocesses), against a
database and spool filled by the real relay, with a real upstream sink."""
from __future__ import annotations

import dataclasses
import json
import os
import smtplib
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Relay, free_port, message, wait_for, write_config

from sqlalchemy import text
from typer.testing import CliRunner

from cli.main import app
from gateway.config import load_config

MAILSCREEN = str(Path(sys.executable).with_name("mailscreen"))
SENDER = "reception@glowclinic.example"
NHS_BODY = "Our patient Jane Doe, NHS number 999 000 0018, had filler on Monday."

pytestmark = pytest.mark.both_databases


def config_file(tmp_path: Path, sink_port: int, admin: str = "", database_url: str = "") -> Path:
    return write_config(tmp_path, free_port(), sink_port, f"[admin]\n{admin}\n", database_url)


def sql(relay: Relay, statement: str) -> None:
    """Change the database behind the CLI's back (a tamperer, or time passing)."""
    with relay.app.store.engine.begin() as conn:
        conn.execute(text(statement))


@pytest.fixture
def env(tmp_path, sink, db_url):
    def make(admin: str = "four_eyes_categories = []\nusers = { carol = \"reception@glowclinic.example\" }"):
        path = config_file(tmp_path, sink.port, admin, db_url)
        relay = Relay(load_config(path)).start()
        made.append(relay)
        return path, relay

    made = []
    yield make
    for relay in made:
        relay.stop()


def hold(relay: Relay, n: int, body: str = NHS_BODY) -> list[str]:
    before = len(relay.queue("hold"))
    with smtplib.SMTP("127.0.0.1", relay.port, timeout=10) as client:
        for i in range(n):
            client.sendmail(SENDER, [f"friend{i}@example.com"],
                            message(subject=f"Case {i}", body=body, to=f"friend{i}@example.com"))
    wait_for(lambda: len(relay.queue("hold")) == before + n)
    wait_for(relay.idle)
    return relay.queue("hold")


def cli(config: Path, *args, input: str | None = None):
    """The CLI in this process, as root; tests/test_privsep.py runs it as real admin users."""
    return CliRunner().invoke(app, [*args, "--config", str(config)], input=input)


def run(config: Path, *args) -> subprocess.Popen:
    env = {**os.environ, "MAILSCREEN_CONFIG": str(config)}
    return subprocess.Popen([MAILSCREEN, *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_hold_release_reject_purge_and_the_audit_shows_it_all(env, sink):
    config, relay = env()
    ids = hold(relay, 3)
    wait_for(lambda: len(sink.handler.to(SENDER)) == 3)  # one "held for review" notice each
    notices = 3

    listed = cli(config, "held", "list", "--json")
    assert listed.exit_code == 0
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert {r["id"] for r in rows} == set(ids)
    assert all(r["top_rule"] == "uk_nhs_number" and r["status"] == "held" for r in rows)
    assert "999 000 0018" not in listed.stdout

    shown = cli(config, "held", "show", ids[0])
    assert shown.exit_code == 0
    assert "NHS *** *** 0018" in shown.stdout and "uk_nhs_number" in shown.stdout
    assert "999 000 0018" not in shown.stdout

    # release one, twice at once from two terminals: delivered exactly once
    first, second = (run(config, "held", "release", ids[0], "--reason-code", "consent_on_file",
                         "--reason", "patient asked for it to be sent") for _ in range(2))
    results = [(p.wait(30), p.stderr.read()) for p in (first, second)]
    assert sorted(code for code, _ in results) == [0, 1]
    loser = next(err for code, err in results if code)
    assert "already released" in loser or "decided by someone else" in loser
    assert "Traceback" not in loser
    wait_for(lambda: sink.handler.to("friend0@example.com") or
             sink.handler.to("friend1@example.com") or sink.handler.to("friend2@example.com"))
    wait_for(relay.idle)
    delivered = [m for m in sink.messages if m[0] == SENDER]
    assert len(delivered) == 1 and b"999 000 0018" in delivered[0][2]
    again = cli(config, "held", "release", ids[0], "--reason-code", "other", "--reason", "again")
    assert again.exit_code == 1 and "already released" in again.stderr

    # reject one with a notice to the sender: category and rule, never the evidence
    rejected = cli(config, "held", "reject", ids[1], "--reason", "not to personal email",
                   "--notify")
    assert rejected.exit_code == 0, rejected.output
    wait_for(lambda: len(sink.handler.to(SENDER)) == notices + 1)
    notice = sink.handler.to(SENDER)[-1]
    assert b"Subject: Not sent:" in notice and b"uk_nhs_number" in notice
    assert b"not to personal email" in notice
    assert b"0018" not in notice
    assert relay.app.store.body(ids[1]) is not None  # kept until purged

    # purge: raw bytes of decided mail go, rows and the screening log stay
    purged = cli(config, "held", "purge", "--older-than", "0d")
    assert purged.exit_code == 0 and "purged the raw copy of 1" in purged.stdout
    assert relay.app.store.body(ids[1]) is None
    assert relay.queue("hold") == [ids[2]]  # still held, untouched
    assert relay.app.store.body(ids[2]) is not None
    assert len(relay.app.store.logs()) == 3 + 0  # screening log rows kept
    still = cli(config, "held", "list", "--status", "all", "--json")
    assert len(still.stdout.splitlines()) == 3

    trail = cli(config, "audit", "--json")
    events = [json.loads(line) for line in trail.stdout.splitlines()]
    assert [(e["action"], e["message_ids"], e["user"]) for e in events] == [
        ("release", [ids[0]], "root"), ("reject", [ids[1]], "root"),
        ("purge", [ids[1]], "root"), ("retention", [], "root")]
    assert events[0]["detail"] == {"reason_code": "consent_on_file"}
    assert events[1]["reason"] == "not to personal email"
    assert cli(config, "audit", "verify").stdout.startswith("audit chain OK: 4 row(s)")


def test_audit_verify_names_the_first_tampered_row(env):
    config, relay = env()
    ids = hold(relay, 3)
    for i in ids:
        assert cli(config, "held", "reject", i, "--reason", "no").exit_code == 0
    sql(relay, "UPDATE audit_event SET reason = 'yes' WHERE id = 2")
    broken = cli(config, "audit", "verify")
    assert broken.exit_code == 1
    assert "broken at row 2" in broken.stderr and "changed" in broken.stderr
    sql(relay, "UPDATE audit_event SET reason = 'no' WHERE id = 2")
    sql(relay, "DELETE FROM audit_event WHERE id = 2")
    broken = cli(config, "audit", "verify")
    assert broken.exit_code == 1 and "broken at row 3" in broken.stderr


def test_unknown_ids_missing_reasons_and_bad_codes_are_clear_errors(env):
    config, relay = env()
    (held_id,) = hold(relay, 1)
    for args in (["held", "show", "nosuchid"], ["held", "release", "nosuchid",
                 "--reason-code", "other", "--reason", "x"]):
        result = cli(config, *args)
        assert result.exit_code == 1 and "no held message with id 'nosuchid'" in result.stderr
    no_reason = cli(config, "held", "reject", held_id, "--reason", " ")
    assert no_reason.exit_code == 1 and "a reason is required" in no_reason.stderr
    missing = cli(config, "held", "release", held_id, "--reason-code", "other")
    assert missing.exit_code == 2  # typer: --reason is required
    bad_code = cli(config, "held", "release", held_id, "--reason-code", "because",
                   "--reason", "x")
    assert bad_code.exit_code == 1 and "false_positive" in bad_code.stderr
    by_prefix = cli(config, "held", "show", held_id[:8])
    assert by_prefix.exit_code == 0 and held_id in by_prefix.stdout


def test_bulk_release_asks_first_and_filters(env, sink):
    config, relay = env()
    hold(relay, 2)
    with smtplib.SMTP("127.0.0.1", relay.port, timeout=10) as client:
        client.sendmail(SENDER, ["list@example.com"], message(
            subject="Offer", body="Botox only £99 this week, book now!", to="list@example.com"))
    wait_for(lambda: len(relay.queue("hold")) == 3)
    by_rule = cli(config, "held", "list", "--rule", "pom_promotion", "--json")
    assert len(by_rule.stdout.splitlines()) == 1
    by_category = cli(config, "held", "list", "--category", "patient_data", "--json")
    assert len(by_category.stdout.splitlines()) == 2
    declined = cli(config, "held", "release", "--all-matching", "--category", "patient_data",
                   "--reason-code", "false_positive", "--reason", "test data", input="n\n")
    assert declined.exit_code == 1 and len(relay.queue("hold")) == 3
    done = cli(config, "held", "release", "--all-matching", "--category", "patient_data",
               "--reason-code", "false_positive", "--reason", "test data", "--yes")
    assert done.exit_code == 0, done.output
    assert len(relay.queue("hold")) == 1
    wait_for(lambda: sink.handler.to("friend0@example.com") and sink.handler.to("friend1@example.com"))


def test_held_mail_expires_after_hold_days_with_a_notice(env, sink):
    config, relay = env()
    (held_id,) = hold(relay, 1)
    sql(relay, "UPDATE held_message SET held_at = '2020-01-01 00:00:00'")
    result = cli(config, "held", "purge")
    assert result.exit_code == 0 and "expired 1 held message" in result.stdout
    row = relay.app.store.held(held_id)
    assert row.status == "rejected" and row.reason.startswith("expired")
    wait_for(lambda: any(b"Subject: Not sent" in m for m in sink.handler.to(SENDER)))


def test_a_second_relay_never_takes_over_a_running_relays_admin_socket(env, tmp_path, sink):
    config, relay = env()
    # another node on the same database (PostgreSQL): its own data directory, the one key
    admin = dataclasses.replace(relay.settings.admin, key_file=str(relay.settings.key_path))
    second = Relay(dataclasses.replace(relay.settings, server=dataclasses.replace(
        relay.settings.server, port=free_port()), data_dir=str(tmp_path / "data2"),
        admin=admin)).start()
    try:
        assert second.app.control is None  # refused, logged; the second relay still relays
        assert cli(config, "held", "list").exit_code == 0  # answered by the first relay
    finally:
        second.stop()
    assert relay.app.control is not None and Path(relay.settings.admin.socket).is_socket()
