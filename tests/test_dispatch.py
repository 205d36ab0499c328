"""Releases taken into a node's spool (gateway/quarantine/dispatch.py), node by node, with
the crashes in between that the lease and the claim id are there for; on SQLite and on
PostgreSQL. The same thing with real relay processes is tests/test_nodes.py."""
from __future__ import annotations

import json
import time
from datetime import datetime, timezone

import pytest
from sqlalchemy import update

from gateway.config import Settings
from gateway.quarantine.dispatch import Dispatcher
from gateway.quarantine.store import HeldMessage, ScreeningLog, Store
from gateway.relay.spool import Spool, SpoolEntry

pytestmark = pytest.mark.both_databases

RAW = b"Subject: Referral\r\n\r\nNHS number 999 000 0018\r\n"


@pytest.fixture
def store(tmp_path, db_url):
    s = Store(Settings(data_dir=str(tmp_path), database_url=db_url).db_url).create()
    yield s
    s.dispose()


def held_and_released(store: Store, msg_id: str = "m1") -> str:
    now = datetime.now(timezone.utc)
    env = SpoolEntry(mail_from="a@glowclinic.example", rcpt_tos=["x@example.com"], id=msg_id)
    store.hold(HeldMessage(id=msg_id, received_at=now, mail_from=env.mail_from,
                           rcpt_tos=json.dumps(env.rcpt_tos)),
               ScreeningLog(id=msg_id, sender=env.mail_from, recipient_count=1, action="hold"),
               RAW, env.to_json())
    with store.session() as s:  # what Moderator.release does to the row
        s.exec(update(HeldMessage).where(HeldMessage.id == msg_id).values(
            status="released", decided_at=now, decided_by="alice"))
        s.commit()
    return msg_id


def node(store: Store, tmp_path, name: str, lease: float = 60.0) -> Dispatcher:
    return Dispatcher(store, Spool(tmp_path / name).create(), name, lease)


def test_a_release_is_taken_by_one_node_and_its_bytes_leave_the_database(store, tmp_path):
    msg_id = held_and_released(store)
    a, b = node(store, tmp_path, "a"), node(store, tmp_path, "b")
    assert a.dispatch() == [msg_id]
    assert b.dispatch() == []
    env = a.spool.read_envelope("outgoing", msg_id)
    assert env.verdict == "released" and env.approved_by == "alice"
    assert a.spool.message_path("outgoing", msg_id).read_bytes() == RAW
    assert a.confirm(msg_id, env.release_claim)
    assert store.body(msg_id) is None and store.held(msg_id).dispatched_by == "a"
    assert b.spool.list("outgoing") == []


def test_a_live_lease_is_respected_and_a_dead_one_is_taken_over(store, tmp_path):
    msg_id = held_and_released(store)
    a, b = node(store, tmp_path, "a", lease=0.5), node(store, tmp_path, "b")
    claim, ids = a.claim()  # a claims, copies, and dies before marking it dispatched
    assert ids == [msg_id] and a._copy(msg_id, claim)
    assert b.dispatch() == []  # a's lease still runs
    deadline = time.monotonic() + 10
    while not (taken := b.dispatch()) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert taken == [msg_id]
    # a comes back: its old copy is dropped by its deliverer, never sent
    assert not a.confirm(msg_id, a.spool.read_envelope("outgoing", msg_id).release_claim)
    assert b.confirm(msg_id, b.spool.read_envelope("outgoing", msg_id).release_claim)
    assert store.held(msg_id).dispatched_by == "b"


def test_a_node_that_crashed_between_copy_and_mark_sends_its_copy_even_renamed(store, tmp_path):
    msg_id = held_and_released(store)
    a = node(store, tmp_path, "a")
    claim, _ = a.claim()
    a._copy(msg_id, claim)  # crash here; back under another name, same spool
    renamed = Dispatcher(store, a.spool, "a-renamed", 60.0)
    assert renamed.dispatch() == []  # a's lease runs: nobody claims it again
    assert renamed.confirm(msg_id, a.spool.read_envelope("outgoing", msg_id).release_claim)
    assert store.held(msg_id).dispatched_at is not None and store.body(msg_id) is None
    assert node(store, tmp_path, "b", lease=0.1).dispatch() == []  # dispatched: nothing left


def test_a_copy_left_by_a_crash_is_not_written_twice(store, tmp_path):
    msg_id = held_and_released(store)
    a = node(store, tmp_path, "a")
    first, _ = a.claim()
    a._copy(msg_id, first)
    assert a.dispatch() == []  # claims again (its own lease) but leaves the copy alone
    second = store.held(msg_id).claim_id
    assert second != first
    old = a.spool.read_envelope("outgoing", msg_id).release_claim
    assert not a.confirm(msg_id, old)  # the deliverer drops the stale copy ...
    a.spool.remove("outgoing", msg_id)
    deadline = time.monotonic() + 10
    while not (taken := a.dispatch()) and time.monotonic() < deadline:  # ... and it comes back
        time.sleep(0.1)
    assert taken == [msg_id]
    assert a.confirm(msg_id, a.spool.read_envelope("outgoing", msg_id).release_claim)
    assert a.spool.message_path("outgoing", msg_id).read_bytes() == RAW
