"""Releases taken into a node's spool (gateway/quarantine/dispatch.py), node by node, with
the crashes in between that the lease and the claim id are there for; on SQLite and on
PostgreSQL. The same thing with real relay processes is tests/test_nodes.py."""
from __future__ import annotations

import json
import os
import time
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import update
from sqlalchemy.exc import OperationalError

from gateway.config import DeliverySettings, Settings
from gateway.database.store import HeldMessage, ScreeningLog, Store
from gateway.quarantine import dispatch
from gateway.quarantine.dispatch import Dispatcher
from gateway.relay.delivery import Deliverer, MaildirTransport
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


def test_a_live_lease_is_respected_and_a_dead_one_is_taken_over(store, tmp_path, monkeypatch):
    clock = [dispatch.utcnow()]  # the leases' clock, moved by the test alone
    monkeypatch.setattr(dispatch, "utcnow", lambda: clock[0])
    msg_id = held_and_released(store)
    a, b = node(store, tmp_path, "a", lease=60.0), node(store, tmp_path, "b")
    claims = a.claim()  # a claims, copies, and dies before marking it dispatched
    assert list(claims) == [msg_id] and a._copy(msg_id, claims[msg_id])
    clock[0] += timedelta(seconds=59)
    assert b.dispatch() == []  # a's lease still runs
    clock[0] += timedelta(seconds=2)
    assert b.dispatch() == [msg_id]  # and has run out
    # a comes back: its old copy is dropped by its deliverer, never sent
    assert not a.confirm(msg_id, a.spool.read_envelope("outgoing", msg_id).release_claim)
    assert b.confirm(msg_id, b.spool.read_envelope("outgoing", msg_id).release_claim)
    assert store.held(msg_id).dispatched_by == "b"


def test_a_node_that_crashed_between_copy_and_mark_sends_its_copy_even_renamed(store, tmp_path):
    msg_id = held_and_released(store)
    a = node(store, tmp_path, "a")
    a._copy(msg_id, a.claim()[msg_id])  # crash here; back under another name, same spool
    renamed = Dispatcher(store, a.spool, "a-renamed", 60.0)
    assert renamed.dispatch() == []  # a's lease runs: nobody claims it again
    assert renamed.confirm(msg_id, a.spool.read_envelope("outgoing", msg_id).release_claim)
    assert store.held(msg_id).dispatched_at is not None and store.body(msg_id) is None
    assert node(store, tmp_path, "b", lease=0.1).dispatch() == []  # dispatched: nothing left


def test_a_copy_left_by_a_crash_is_sent_not_written_twice(store, tmp_path):
    msg_id = held_and_released(store)
    a = node(store, tmp_path, "a")
    first = a.claim()[msg_id]
    a._copy(msg_id, first)  # crash here; back under the same name
    written = a.spool.path("outgoing", msg_id).stat().st_ino
    assert a.dispatch() == [msg_id]  # its own lease, its own claim: the copy is marked
    assert store.held(msg_id).claim_id == first and store.body(msg_id) is None
    assert a.spool.path("outgoing", msg_id).stat().st_ino == written
    assert a.confirm(msg_id, a.spool.read_envelope("outgoing", msg_id).release_claim)


def test_a_stale_copy_is_dropped_and_the_release_taken_again(store, tmp_path):
    msg_id = held_and_released(store)
    a, b = node(store, tmp_path, "a", lease=0.1), node(store, tmp_path, "b", lease=0.1)
    a._copy(msg_id, a.claim()[msg_id])  # a hangs; its lease runs out and b claims it
    deadline = time.monotonic() + 10
    while msg_id not in b.claim() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.2)  # b dies too, before copying: its lease runs out
    assert a.dispatch() == []  # a's copy is of an older claim: left for delivery to drop
    old = a.spool.read_envelope("outgoing", msg_id).release_claim
    assert not a.confirm(msg_id, old)  # the deliverer drops the stale copy ...
    a.spool.remove("outgoing", msg_id)
    assert a.dispatch() == [msg_id]  # ... and it comes back at once
    assert a.confirm(msg_id, a.spool.read_envelope("outgoing", msg_id).release_claim)
    assert a.spool.message_path("outgoing", msg_id).read_bytes() == RAW


def database_down_once(method):
    """`method`, failing its first call as a database that went away would."""
    calls = []

    def flaky(*args):
        calls.append(args)
        if len(calls) == 1:
            raise OperationalError("UPDATE held_message", {}, Exception("server closed"))
        return method(*args)

    return flaky


def test_after_a_database_error_between_copy_and_mark_the_next_look_sends_it(store, tmp_path):
    msg_id = held_and_released(store)
    a = node(store, tmp_path, "a")
    a._mark = database_down_once(a._mark)
    with pytest.raises(OperationalError):
        a.dispatch()  # claimed and copied; the mark fails (the release loop waits, retries)
    assert a.dispatch() == [msg_id]  # the next look: at once, not when the lease runs out
    assert store.held(msg_id).dispatched_by == "a" and store.body(msg_id) is None
    assert a.confirm(msg_id, a.spool.read_envelope("outgoing", msg_id).release_claim)


def test_a_release_the_deliverer_cannot_confirm_is_tried_again_within_seconds(store, tmp_path):
    msg_id = held_and_released(store)
    a = node(store, tmp_path, "a")
    outbox = MaildirTransport(tmp_path / "outbox")
    deliverer = Deliverer(a.spool, outbox, DeliverySettings(), "mailscreen.example",
                          confirm_release=database_down_once(a.confirm))
    assert a.dispatch() == [msg_id]
    assert deliverer.deliver_due() == 1  # the database is away while it asks: put back ...
    assert os.listdir(tmp_path / "outbox" / "new") == []
    assert deliverer.due(now=time.time() + 10) == [msg_id]  # ... for seconds, not a minute
    deliverer.deliver(a.spool.claim("outgoing", "sending", [msg_id]))
    assert len(os.listdir(tmp_path / "outbox" / "new")) == 1
