"""Two real `mailscreen serve` nodes on one PostgreSQL database, with one upstream sink:
a release typed on either node leaves once, within seconds; a purge on either removes the
bytes everywhere; the audit chain survives both writing at once; a node killed
mid-delivery loses nothing, and a dead node's claim on a release runs out.

PostgreSQL comes from $MAILSCREEN_TEST_PG_URL (conftest.pg_database: skipped without it,
except in CI where that fails)."""
from __future__ import annotations

import asyncio
import os
import signal
import smtplib
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from conftest import (
    Sink,
    SinkHandler,
    drop_pg_database,
    free_port,
    message,
    pg_database,
    wait_for,
    write_config,
)
from sqlalchemy import text

from gateway.config import load_config
from gateway.database import audit
from gateway.database.store import Store

MAILSCREEN = str(Path(sys.executable).with_name("mailscreen"))
SENDER = "reception@glowclinic.example"
NHS_BODY = "Our patient Jane Doe, NHS number 999 000 0018, had filler on Monday."
FLIGHT = ("incoming", "active", "outgoing", "sending")


class StallingSink(SinkHandler):
    """A sink that can be told to hang at RCPT: a delivery then stays in flight."""

    def __init__(self):
        super().__init__()
        self.stall = threading.Event()
        self.stalled: list[str] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.stall.is_set():
            self.stalled.append(address)
            while self.stall.is_set():
                await asyncio.sleep(0.05)
        return await super().handle_RCPT(server, session, envelope, address, rcpt_options)


class Node:
    """One `mailscreen serve` process with its own spool, on the shared database."""

    def __init__(self, tmp_path: Path, name: str, sink_port: int, database_url: str,
                 lease_seconds: float = 3.0, release_poll: float = 0.2):
        self.name, self.port = name, free_port()
        self.config = write_config(tmp_path, self.port, sink_port, f"""
[admin]
four_eyes_categories = []
notify_on_hold = false
key_file = "{tmp_path / 'audit.key'}"
[cluster]
node_name = "{name}"
release_poll = {release_poll}
lease_seconds = {lease_seconds}
""", database_url, name=f"{name}.toml", data_dir=name)
        self.spool = tmp_path / name / "spool"
        self.proc: subprocess.Popen | None = None

    def launch(self) -> "Node":
        log = open(self.config.with_suffix(".log"), "ab")
        self.proc = subprocess.Popen([MAILSCREEN, "serve", "--config", str(self.config)],
                                     stdout=log, stderr=subprocess.STDOUT)
        return self

    def listening(self) -> "Node":
        def up():
            assert self.proc.poll() is None, \
                self.config.with_suffix(".log").read_text()[-3000:]
            return _listening(self.port)

        wait_for(up, timeout=60)
        return self

    def start(self) -> "Node":
        return self.launch().listening()

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def send(self, body: str, to: str) -> None:
        with smtplib.SMTP("127.0.0.1", self.port, timeout=10) as client:
            client.sendmail(SENDER, [to], message(subject="Case", body=body, to=to))

    def queue(self, name: str) -> list[str]:
        d = self.spool / name
        return sorted(os.listdir(d)) if d.exists() else []

    def idle(self) -> bool:
        return not any(self.queue(q) for q in FLIGHT)

    def cli(self, *args: str, user: str = "alice") -> subprocess.Popen:
        env = {**os.environ, "SUDO_USER": user, "MAILSCREEN_CONFIG": str(self.config)}
        return subprocess.Popen([MAILSCREEN, *args], env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)

    def run(self, *args: str, user: str = "alice") -> tuple[int, str, str]:
        p = self.cli(*args, user=user)
        out, err = p.communicate(timeout=60)
        return p.returncode, out, err


@pytest.fixture
def cluster(tmp_path):
    """(store, sink, make_nodes): nodes on one fresh PostgreSQL database."""
    url = pg_database()
    sink = Sink()
    sink.handler = StallingSink()
    sink.start()
    nodes: list[Node] = []

    def make_nodes(*names: str, started: bool = True, **kw) -> list[Node]:
        """Nodes launched together (a start takes seconds), each then listening."""
        made = [Node(tmp_path, name, sink.port, url, **kw) for name in names]
        nodes.extend(made)
        if started:
            for node in made:
                node.launch()
            for node in made:
                node.listening()
        return made

    store = Store(load_config(write_config(tmp_path, 1, 1, "", url, name="x.toml")).db_url)
    yield store.create(), sink, make_nodes
    sink.handler.stall.clear()
    for node in nodes:
        node.stop()
    sink.stop()
    store.dispose()
    drop_pg_database(url)


def held(store: Store, n: int) -> list[str]:
    return wait_for(lambda: (ids := sorted(store.held_ids(status="held"))) and
                    len(ids) >= n and ids)


def delivered_to(sink: Sink, address: str) -> int:
    return len(sink.handler.to(address))


def settled(store: Store, msg_id: str, *nodes: Node) -> bool:
    """No further copy can appear: the release is dispatched and no spool has it."""
    row = store.held(msg_id)
    return bool(row.dispatched_by) and all(n.idle() for n in nodes)


def test_held_on_one_node_released_from_the_other_arrives_once_without_a_poll(cluster):
    store, sink, make_nodes = cluster
    # polling every hour: only the release's NOTIFY can make it leave within the test
    node1, node2 = make_nodes("node1", "node2", release_poll=3600.0)
    node1.send(NHS_BODY, "friend@example.com")
    (msg_id,) = held(store, 1)
    assert node1.idle() and node2.idle()  # held: the bytes are in the database, no spool

    code, out, err = node2.run("held", "release", msg_id, "--reason-code", "consent_on_file",
                               "--reason", "patient asked")
    assert code == 0, err
    wait_for(lambda: delivered_to(sink, "friend@example.com"), timeout=120)  # a hang only
    wait_for(lambda: settled(store, msg_id, node1, node2))
    assert delivered_to(sink, "friend@example.com") == 1
    assert b"999 000 0018" in sink.handler.to("friend@example.com")[0]
    assert store.body(msg_id) is None  # the bytes left the database with the dispatch
    assert store.held(msg_id).dispatched_by in ("node1", "node2")


def test_two_admins_on_two_nodes_release_at_once_and_it_leaves_once(cluster):
    store, sink, make_nodes = cluster
    node1, node2 = make_nodes("node1", "node2")
    node2.send(NHS_BODY, "friend@example.com")
    (msg_id,) = held(store, 1)
    args = ("held", "release", msg_id, "--reason-code", "other", "--reason", "fine")
    procs = [node1.cli(*args, user="alice"), node2.cli(*args, user="bob")]
    results = [(p.wait(60), p.stderr.read()) for p in procs]
    assert sorted(code for code, _ in results) == [0, 1], results
    loser = next(err for code, err in results if code)
    assert "already released" in loser or "decided by someone else" in loser
    wait_for(lambda: delivered_to(sink, "friend@example.com"), timeout=10)
    wait_for(lambda: settled(store, msg_id, node1, node2))
    assert delivered_to(sink, "friend@example.com") == 1
    actions = [e.action for e in audit.events(store)]
    assert actions == ["release"]


def test_purge_on_either_node_removes_the_bytes_everywhere(cluster):
    store, sink, make_nodes = cluster
    node1, node2 = make_nodes("node1", "node2")
    node1.send(NHS_BODY, "a@example.com")
    node2.send(NHS_BODY, "b@example.com")
    ids = held(store, 2)
    for node, msg_id in zip((node2, node1), ids):  # each rejected on the other node
        code, _, err = node.run("held", "reject", msg_id, "--reason", "not to personal mail")
        assert code == 0, err
    code, out, _ = node1.run("held", "show", ids[0], "--raw")
    assert code == 0 and "999 000 0018" in out  # root here: any node shows any held mail

    code, out, err = node2.run("held", "purge", "--older-than", "0d")
    assert code == 0 and "purged the raw copy of 2" in out, err
    for node, msg_id in zip((node1, node2), ids):  # node1 purged node2's copy and vice versa
        assert store.body(msg_id) is None
        code, out, err = node.run("held", "show", msg_id, "--raw")
        assert code == 1 and "no longer kept" in err and "0018" not in out
    for node in (node1, node2):  # and no file of either node holds the message
        for path in node.spool.rglob("*"):
            assert not path.is_file() or b"999 000 0018" not in path.read_bytes(), path
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM held_body")).scalar() == 0


def test_audit_chain_verifies_after_both_nodes_wrote_at_once(cluster):
    store, sink, make_nodes = cluster
    node1, node2 = make_nodes("node1", "node2")
    for i in range(3):
        node1.send(NHS_BODY, f"a{i}@example.com")
        node2.send(NHS_BODY, f"b{i}@example.com")
    ids = held(store, 6)
    procs = [(node1 if i % 2 else node2).cli("held", "reject", msg_id, "--reason", f"no {i}")
             for i, msg_id in enumerate(ids)]
    # and the relays themselves append at the same moment (a config reload each)
    node1.proc.send_signal(signal.SIGHUP)
    node2.proc.send_signal(signal.SIGHUP)
    assert [p.wait(60) for p in procs] == [0] * 6
    wait_for(lambda: len(audit.events(store)) == 8)
    code, out, err = node2.run("audit", "verify")
    assert code == 0 and out.startswith("audit chain OK: 8 row(s)"), err
    audit.configure(store, node2.config.parent / "audit.key",
                    node2.config.parent / "node2" / "audit-anchor.log", create=False)
    check = audit.verify(store)
    assert check.ok and check.rows == 8
    assert sorted(e.action for e in audit.events(store)) == ["config_reload"] * 2 + ["reject"] * 6


def test_node_killed_mid_delivery_loses_nothing(cluster):
    store, sink, make_nodes = cluster
    node1, node2 = make_nodes("node1", "node2")  # the release is typed on node2
    node1.send(NHS_BODY, "friend@example.com")
    (msg_id,) = held(store, 1)
    sink.handler.stall.set()  # the upstream hangs after MAIL FROM
    code, _, err = node2.run("held", "release", msg_id, "--reason-code", "other",
                             "--reason", "fine")
    assert code == 0, err
    wait_for(lambda: sink.handler.stalled)  # a node took it and is delivering it now
    (sender,) = [n for n in (node1, node2) if n.queue("sending") == [msg_id]]
    sender.kill()
    sink.handler.stall.clear()
    assert delivered_to(sink, "friend@example.com") == 0
    assert sender.queue("sending") == [msg_id]  # durable in that node's own spool

    sender.start()
    wait_for(lambda: delivered_to(sink, "friend@example.com"), timeout=30)
    wait_for(lambda: settled(store, msg_id, sender))
    assert delivered_to(sink, "friend@example.com") == 1
    assert store.held(msg_id).dispatched_by == sender.name


def test_a_dead_nodes_claim_on_a_release_runs_out_and_another_node_sends_it(cluster):
    store, sink, make_nodes = cluster
    node1, node2 = make_nodes("node1", "node2")
    node1.send(NHS_BODY, "friend@example.com")
    (msg_id,) = held(store, 1)
    with store.engine.begin() as conn:  # node9 will claim the release, then die
        conn.execute(text("UPDATE held_message SET lease_owner = 'node9', "
                          "lease_until = now() + interval '4 seconds' WHERE id = :id"),
                     {"id": msg_id})
    lease_until = store.held(msg_id).lease_until
    code, _, err = node1.run("held", "release", msg_id, "--reason-code", "other",
                             "--reason", "fine")
    assert code == 0, err
    wait_for(lambda: delivered_to(sink, "friend@example.com"), timeout=30)
    wait_for(lambda: settled(store, msg_id, node1, node2))
    row = store.held(msg_id)
    assert row.dispatched_at >= lease_until  # nobody took it while node9's lease ran
    assert row.dispatched_by in ("node1", "node2") and row.lease_owner == row.dispatched_by
    assert delivered_to(sink, "friend@example.com") == 1


def test_two_nodes_started_at_once_on_an_empty_database_both_come_up(cluster):
    store, sink, make_nodes = cluster
    with store.engine.begin() as conn:  # empty it again: both nodes must make the schema
        from sqlalchemy import inspect
        for table in inspect(conn).get_table_names():  # every table, later revisions' too
            conn.execute(text(f'DROP TABLE "{table}" CASCADE'))
    node1, node2 = make_nodes("node1", "node2")  # launched together, both must listen
    code, out, err = node1.run("check-config")
    assert code == 0 and "schema at revision" in out, err


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False
