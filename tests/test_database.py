"""The database under the quarantine: URLs, check-config, migrations from a database made
before them, and the audit chain's lock under concurrent appends (SQLite and PostgreSQL)."""
from __future__ import annotations

import json
import threading
import time
from datetime import datetime, timezone

import pytest
from conftest import free_port
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from cli.main import app
from gateway import migrations
from gateway.config import Settings, load_config
from gateway.database import audit
from gateway.database.store import Store
from gateway.quarantine.moderation import Moderator
from gateway.relay.spool import Spool, SpoolEntry


def config(tmp_path, database_url: str) -> str:
    path = tmp_path / "mailscreen.toml"
    path.write_text(f'data_dir = "data"\ndatabase_url = "{database_url}"\n')
    return str(path)


def check_config(path: str):
    return CliRunner().invoke(app, ["check-config", "--config", path])


def test_postgresql_urls_mean_psycopg_3():
    for given in ("postgresql://u@db.example/mail", "postgres://u@db.example/mail",
                  "postgresql+psycopg://u@db.example/mail"):
        assert Settings(database_url=given).db_url == "postgresql+psycopg://u@db.example/mail"
    assert Settings(data_dir="/d").db_url == "sqlite:////d/mailscreen.db"


def test_check_config_refuses_an_unknown_database_scheme(tmp_path):
    result = check_config(config(tmp_path, "mysql://u@h/d"))
    assert result.exit_code == 2 and "database_url" in result.stderr


def test_check_config_names_an_unreachable_server_without_its_password(tmp_path):
    url = f"postgresql://mailscreen:s3cret@127.0.0.1:{free_port()}/mailscreen"
    result = check_config(config(tmp_path, url))
    assert result.exit_code == 1 and "cannot reach the database" in result.stderr
    assert "s3cret" not in result.stderr and "Traceback" not in result.stderr


@pytest.mark.both_databases
def test_check_config_reports_the_schema_revision(tmp_path, db_url):
    path = config(tmp_path, db_url)
    first = check_config(path)
    assert first.exit_code == 0, first.output
    if not db_url:
        assert "no database yet" in first.stdout
    Store(load_config(path).db_url).create().dispose()
    ok = check_config(path)
    assert ok.exit_code == 0 and f"schema at revision {migrations.HEAD}" in ok.stdout
    engine = create_engine(load_config(path).db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    newer = check_config(path)
    assert newer.exit_code == 2 and "newer than this mailscreen knows" in newer.stderr


PRE_MIGRATION = [  # what create_all made before migrations, minus columns added later
    """CREATE TABLE held_message (id VARCHAR NOT NULL PRIMARY KEY, received_at DATETIME NOT NULL,
       held_at DATETIME NOT NULL, mail_from VARCHAR NOT NULL, rcpt_tos VARCHAR NOT NULL,
       subject VARCHAR NOT NULL, size INTEGER NOT NULL, findings VARCHAR NOT NULL,
       attachments VARCHAR NOT NULL, categories VARCHAR NOT NULL, top_rule VARCHAR NOT NULL,
       status VARCHAR NOT NULL, decided_at DATETIME, decided_by VARCHAR NOT NULL,
       reason VARCHAR NOT NULL)""",
    """CREATE TABLE audit_event (id INTEGER NOT NULL PRIMARY KEY, at DATETIME NOT NULL,
       user VARCHAR NOT NULL, action VARCHAR NOT NULL, message_ids VARCHAR NOT NULL,
       reason VARCHAR NOT NULL, prev_hash VARCHAR NOT NULL, hash VARCHAR NOT NULL)""",
]


def test_a_database_from_before_migrations_is_upgraded_and_keeps_its_rows(tmp_path):
    db = tmp_path / "data" / "mailscreen.db"
    db.parent.mkdir()
    engine = create_engine(f"sqlite:///{db}")
    with engine.begin() as conn:
        for ddl in PRE_MIGRATION:
            conn.execute(text(ddl))
        for msg_id, status in (("old-held", "held"), ("old-released", "released"),
                               ("old-rejected", "rejected")):
            conn.execute(text(
                "INSERT INTO held_message VALUES (:id, '2026-11-01 10:00:00', "
                "'2026-11-01 10:00:00', 'a@glowclinic.example', '[\"x@example.com\"]', 's', 1, "
                "'[]', '[]', 'patient_data', 'uk_nhs_number', :status, "
                "'2026-11-02 10:00:00', 'alice', 'r')"), {"id": msg_id, "status": status})
    engine.dispose()
    store = Store(f"sqlite:///{db}")
    event = audit.AuditEvent(id=1, at=datetime(2026, 11, 2, 10, tzinfo=timezone.utc),
                             user="alice", action="release", message_ids='["old-released"]',
                             reason="r", detail="")
    event.hash = event.digest()
    with store.engine.begin() as conn:  # an old row, hashed as the old code hashed it
        conn.execute(text("INSERT INTO audit_event VALUES (1, :at, 'alice', 'release', "
                          "'[\"old-released\"]', 'r', :prev, :hash)"),
                     {"at": "2026-11-02 10:00:00.000000", "prev": audit.GENESIS,
                      "hash": event.hash})
    # and the old spool layout: the held mail's bytes in hold/ and rejected/
    spool = Spool(tmp_path / "data" / "spool").create()
    for queue, msg_id in (("hold", "old-held"), ("rejected", "old-rejected")):
        spool.accept(b"Subject: s\r\n\r\nold bytes of " + msg_id.encode() + b"\r\n",
                     SpoolEntry(mail_from="a@glowclinic.example", rcpt_tos=["x@example.com"]),
                     queue=queue, msg_id=msg_id)

    store.create()
    assert migrations.revision(store.engine) == migrations.HEAD
    assert store.held("old-held").four_eyes is False and store.held("old-held").status == "held"
    assert store.held("old-released").dispatched_by  # moved to the spool by the old code
    assert store.held("old-held").dispatched_by == ""
    assert audit.verify(store).ok
    audit.record(store, "test", [], "after the upgrade")
    assert audit.verify(store).ok and audit.verify(store).rows == 2

    moderator = Moderator(load_config(config(tmp_path, "")), store, spool)
    assert moderator.reconcile() == 2
    assert spool.list("hold") == [] and spool.list("rejected") == []
    assert store.body("old-held").raw.endswith(b"old bytes of old-held\r\n")
    assert json.loads(store.body("old-rejected").envelope)["rcpt_tos"] == ["x@example.com"]


@pytest.mark.both_databases
def test_audit_appends_from_many_connections_at_once_never_fork_the_chain(tmp_path, db_url):
    url = load_config(config(tmp_path, db_url)).db_url
    stores = [Store(url).create() for _ in range(4)]
    errors = []

    def append(store: Store, n: int):
        try:
            for i in range(15):
                audit.record(store, "test", [f"m{n}-{i}"], "load")
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=append, args=(s, n)) for n, s in enumerate(stores)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    check = audit.verify(stores[0])
    assert check.ok and check.rows == 60, (check, time.monotonic() - started)
    for s in stores:
        s.dispose()


def test_head_is_the_last_revision_of_the_migration_scripts():
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(migrations.HERE))
    assert ScriptDirectory.from_config(config).get_current_head() == migrations.HEAD
