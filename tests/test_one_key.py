"""Several nodes, one key, and an audit anchor the data directory cannot rewrite (issue 23,
findings 4 and 5): a node whose key file differs from the other nodes' refuses to start and
says how to copy it; with the key copied both verify. Each node's head of the audit chain
is in the database, so removing a node's last rows (with its anchor lines), emptying the
anchor file, or removing a row another node wrote is seen by `audit verify` on any node;
the heads also go to the system log."""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
from pathlib import Path

import pytest
from conftest import RelayProcess, free_port, wait_for, write_config
from harness import mailscreen_command
from sqlalchemy import text
from typer.testing import CliRunner

from cli.main import app
from gateway.config import load_config
from gateway.database import audit
from gateway.database.store import Store
from gateway.keys import KeyMismatch

pytestmark = pytest.mark.both_databases


def node_config(tmp_path: Path, name: str, url: str, sink_port: int = 1,
                key_file: Path | None = None) -> Path:
    extra = f'[cluster]\nnode_name = "{name}"\n[admin]\nnotify_on_hold = false\n'
    if key_file is not None:
        extra += f'key_file = "{key_file}"\n'
    return write_config(tmp_path, free_port(), sink_port, extra, url, name=f"{name}.toml",
                        data_dir=str(tmp_path / name))


def shared_url(tmp_path: Path, db_url: str) -> str:
    """The one database of the nodes: PostgreSQL, or one SQLite file both nodes open."""
    return db_url or f"sqlite:///{tmp_path / 'shared.db'}"


def node_store(config: Path) -> Store:
    settings = load_config(config)
    settings.data_path.mkdir(mode=0o700, exist_ok=True)
    return audit.configure(Store(settings.db_url).create(), settings.key_path,
                           settings.anchor_path, node=settings.node_name)


def verify(config: Path):
    return CliRunner().invoke(app, ["audit", "verify", "--config", str(config)])


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([mailscreen_command(), *args], capture_output=True, text=True,
                          timeout=120)


# -- one key ---------------------------------------------------------------------------


def test_a_node_with_another_key_is_refused_and_told_how_to_copy_it(tmp_path, db_url, sink):
    url = shared_url(tmp_path, db_url)
    a = node_config(tmp_path, "relay-a", url, sink.port)
    b = node_config(tmp_path, "relay-b", url, sink.port)
    key_a, key_b = load_config(a).key_path, load_config(b).key_path
    node_a = RelayProcess(a, load_config(a).server.port).start()
    node_b = RelayProcess(b, load_config(b).server.port)
    try:
        node_a.proc.send_signal(signal.SIGHUP)  # an audit row signed by relay-a's key
        wait_for(lambda: verify(a).stdout.startswith("audit chain OK: 1 row(s)"))

        refused = run("serve", "--config", str(b))  # relay-b makes a key of its own
        assert refused.returncode == 1 and key_b.exists()
        assert "not the one the other nodes on this database use" in refused.stderr
        assert f"scp {socket.gethostname()}:{key_b} {key_b}" in refused.stderr
        assert f"chmod 600 {key_b}" in refused.stderr and "relay-a" in refused.stderr
        assert "Traceback" not in refused.stderr
        cli_b = verify(b)  # nor does an admin command sign with it
        assert cli_b.exit_code == 1 and "scp " in cli_b.stderr

        shutil.copy(key_a, key_b)  # what the message says
        os.chmod(key_b, 0o600)
        node_b.start()
        node_b.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: verify(b).stdout.startswith("audit chain OK: 2 row(s)"))
        assert verify(a).stdout.startswith("audit chain OK: 2 row(s)")

        # a rotation on relay-a: relay-b needs the new file before it starts again
        node_b.stop()
        rotated = run("keys", "rotate", "--reason", "yearly", "--config", str(a))
        assert rotated.returncode == 0, rotated.stderr
        assert "key 2 is now current" in rotated.stdout and "scp " in rotated.stdout
        again = run("serve", "--config", str(b))
        assert again.returncode == 1 and "it has no key 2" in again.stderr
        shutil.copy(key_a, key_b)
        node_b.start()
        for config in (a, b):
            out = run("audit", "verify", "--config", str(config))
            assert out.returncode == 0 and out.stdout.startswith("audit chain OK: 3 row(s)"), \
                out.stderr
    finally:
        node_b.stop()
        node_a.stop()


def test_two_nodes_made_at_once_with_keys_of_their_own_do_not_both_start(tmp_path, db_url):
    url = shared_url(tmp_path, db_url)
    stores = [node_store(node_config(tmp_path, n, url)) for n in ("relay-a", "relay-b")]
    outcomes = []
    for store in stores:
        try:
            audit.check_key(store)
            outcomes.append("started")
        except KeyMismatch:
            outcomes.append("refused")
    assert outcomes == ["started", "refused"]
    for store in stores:
        store.dispose()


# -- the audit chain's heads -----------------------------------------------------------


@pytest.fixture
def nodes(tmp_path, db_url):
    """Two nodes' configs and stores on one database and one (shared) key file."""
    url, key = shared_url(tmp_path, db_url), tmp_path / "cluster.key"
    configs = [node_config(tmp_path, n, url, key_file=key) for n in ("relay-a", "relay-b")]
    stores = [node_store(c) for c in configs]
    yield configs, stores
    for store in stores:
        store.dispose()


def rows(store: Store, n: int) -> None:
    for i in range(n):
        audit.record(store, "config_reload", [], f"change {i}")


def delete_rows(store: Store, *ids: int) -> None:
    with store.engine.begin() as conn:
        for row_id in ids:
            conn.execute(text("DELETE FROM audit_event WHERE id = :id"), {"id": row_id})


def drop_anchor_lines(store: Store, n: int) -> None:
    lines = store.anchor.path.read_text().splitlines(keepends=True)
    store.anchor.path.write_text("".join(lines[:-n]))


def test_the_last_rows_and_their_anchor_lines_removed_are_named(nodes):
    (config_a, _), (store_a, _) = nodes
    rows(store_a, 4)
    assert verify(config_a).stdout.startswith("audit chain OK: 4 row(s)")
    delete_rows(store_a, 4)
    drop_anchor_lines(store_a, 1)
    broken = verify(config_a)
    assert broken.exit_code == 1
    assert "broken at row 4: node relay-a: row 4 missing (head in database says 4, chain " \
           "ends at 3)" in broken.stderr
    delete_rows(store_a, 3)
    drop_anchor_lines(store_a, 1)
    assert "node relay-a: rows 3-4 missing (head in database says 4, chain ends at 2)" in \
        verify(config_a).stderr


def test_an_emptied_anchor_file_is_seen(nodes):
    (config_a, _), (store_a, _) = nodes
    rows(store_a, 2)
    store_a.anchor.path.write_text("")
    broken = verify(config_a)
    assert broken.exit_code == 1 and "anchor file" in broken.stderr
    assert "is empty or missing" in broken.stderr and "up to 2" in broken.stderr
    store_a.anchor.path.unlink()
    assert verify(config_a).exit_code == 1


def test_a_row_another_node_wrote_removed_is_seen_on_this_one(nodes):
    (config_a, _), (store_a, store_b) = nodes
    rows(store_a, 2)
    rows(store_b, 1)
    rows(store_a, 1)
    rows(store_b, 1)
    assert verify(config_a).stdout.startswith("audit chain OK: 5 row(s)")
    delete_rows(store_b, 5)  # relay-b's last row; its anchor file is on relay-b's disk
    broken = verify(config_a)
    assert broken.exit_code == 1 and "node relay-b: row 5 missing" in broken.stderr
    # and its head removed too: relay-b's other row has no head any more
    with store_a.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_head WHERE node = 'relay-b'"))
    broken = verify(config_a)
    assert broken.exit_code == 1 and "node relay-b: its head is gone" in broken.stderr


def test_an_old_head_put_back_or_a_forged_one_is_seen(nodes):
    (config_a, _), (store_a, _) = nodes
    rows(store_a, 1)
    with store_a.engine.connect() as conn:
        old = conn.execute(text("SELECT last_id, hash, signature FROM audit_head")).one()
    rows(store_a, 2)
    with store_a.engine.begin() as conn:  # a signed head, but not the last one
        conn.execute(text("UPDATE audit_head SET last_id = :i, hash = :h, signature = :s"),
                     {"i": old[0], "h": old[1], "s": old[2]})
    broken = verify(config_a)
    assert broken.exit_code == 1 and "an old head was put back" in broken.stderr
    rows(store_a, 1)
    with store_a.engine.begin() as conn:
        conn.execute(text("UPDATE audit_head SET last_id = 3"))
    broken = verify(config_a)
    assert broken.exit_code == 1 and "head in the database was altered" in broken.stderr


def test_each_head_goes_to_the_system_log_and_no_system_log_is_no_error(nodes, tmp_path,
                                                                          monkeypatch):
    (_, _), (store_a, _) = nodes
    path = tmp_path / "log.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as syslog:
        syslog.bind(str(path))
        syslog.settimeout(10)
        monkeypatch.setattr(audit, "SYSLOG", str(path))
        monkeypatch.setattr(audit, "_syslog", {})
        event = audit.record(store_a, "config_reload", [], "a change")
        line = syslog.recv(4096).decode()
    assert "mailscreen-audit: " in line
    assert f"audit head: node relay-a row {event.id} hash {event.hash}" in line
    monkeypatch.setattr(audit, "SYSLOG", str(tmp_path / "no-such-socket"))
    audit.record(store_a, "config_reload", [], "another")  # a container without /dev/log
    assert audit.verify(store_a).ok
