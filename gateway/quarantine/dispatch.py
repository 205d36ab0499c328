"""Releases, carried out by whichever node sees them first.

`held release` (on any node) only changes the quarantine row to `released`. Every running
node polls for released rows that no spool has taken yet, claims a few with a lease,
copies each one's bytes from `held_body` into its own spool's outgoing/ under the same id
(the same delivery and retry path as any mail: Mailman's re-queue), and then marks the
row dispatched by itself, deleting the bytes from `held_body` in the same transaction.

- A claim is a conditional UPDATE (`... WHERE dispatched_at IS NULL AND the lease is free
  or ran out`); on PostgreSQL the candidates are read with `FOR UPDATE SKIP LOCKED`, so
  nodes never wait on each other's rows. Two nodes never both win.
- A node that dies after claiming leaves a lease that runs out (`cluster.lease_seconds`);
  another node then takes the release over.
- Before delivering a released message, the deliverer asks `confirm()`: only the node the
  row names as dispatcher sends it. A node that lost its lease while copying (it hung, the
  others took over) drops its copy instead of sending a second one.
"""
from __future__ import annotations

import dataclasses
import logging
import time
from datetime import timedelta

from sqlalchemy import select, update

from gateway.quarantine.store import HeldBody, HeldMessage, Store, utcnow
from gateway.relay.spool import Spool, SpoolEntry

log = logging.getLogger("mailscreen.dispatch")

# dispatched_by of mail released by a mailscreen before revision 0002, which moved it into
# the local spool itself (gateway/migrations/versions/0002_several_nodes.py)
BEFORE_LEASES = "(before revision 0002)"


class Dispatcher:
    def __init__(self, store: Store, spool: Spool, node: str, lease_seconds: float = 60.0):
        self.store = store
        self.spool = spool
        self.node = node
        self.lease = timedelta(seconds=lease_seconds)

    def dispatch(self, limit: int = 20) -> list[str]:
        """Take released mail into this node's spool; the ids now in outgoing/."""
        done = []
        for msg_id in self.claim(limit):
            try:
                if not self._copy(msg_id):
                    continue
            except Exception:
                log.exception("%s: could not copy the released message into the spool; "
                              "another node takes it over when the lease runs out", msg_id)
                continue
            if self._mark(msg_id):
                log.info("%s released: queued for delivery on %s", msg_id, self.node)
                done.append(msg_id)
            else:  # our lease ran out and another node took it: never send it twice
                self._drop(msg_id, "outgoing")
        return done

    def claim(self, limit: int = 20) -> list[str]:
        t = HeldMessage.__table__
        now = utcnow()
        claimable = ((t.c.status == "released") & t.c.dispatched_at.is_(None)
                     & (t.c.lease_until.is_(None) | (t.c.lease_until < now)
                        | (t.c.lease_owner == self.node)))
        lease = {"lease_owner": self.node, "lease_until": now + self.lease}
        candidates = select(t.c.id).where(claimable).order_by(t.c.decided_at).limit(limit)
        engine = self.store.engine
        if engine.dialect.name == "postgresql":
            with engine.begin() as conn:
                ids = list(conn.execute(candidates.with_for_update(skip_locked=True)).scalars())
                if ids:
                    conn.execute(update(t).where(t.c.id.in_(ids)).values(**lease))
            return ids
        with engine.connect() as conn:  # SQLite: one writer at a time; each claim alone
            ids = list(conn.execute(candidates).scalars())
        claimed = []
        for msg_id in ids:
            with engine.begin() as conn:
                if conn.execute(update(t).where(t.c.id == msg_id, claimable)
                                .values(**lease)).rowcount == 1:
                    claimed.append(msg_id)
        return claimed

    def confirm(self, msg_id: str) -> bool:
        """May this node deliver the released message `msg_id` it has in its spool?"""
        row = self.store.held(msg_id)
        if row is None or row.dispatched_by in (self.node, BEFORE_LEASES):
            return True
        if not row.dispatched_by and row.lease_owner == self.node:
            return self._mark(msg_id)  # copied, but the mark was lost (a crash): finish it
        return False

    def _copy(self, msg_id: str) -> bool:
        if any(self.spool.path(q, msg_id).exists() for q in ("outgoing", "sending")):
            return True  # copied before a crash; only the mark is missing
        row = self.store.held(msg_id)
        body = self.store.body(msg_id)
        if row is None or body is None:
            log.error("%s: released, but its bytes are not in the database", msg_id)
            return False
        now = time.time()
        env = dataclasses.replace(SpoolEntry.from_json(body.envelope.encode()),
                                  verdict="released", approved_by=row.decided_by,
                                  queued_at=now, next_attempt=0, attempts=0, add_headers=[],
                                  last_error="")
        self.spool.accept(body.raw, env, queue="outgoing", msg_id=msg_id)
        return True

    def _mark(self, msg_id: str) -> bool:
        t, b = HeldMessage.__table__, HeldBody.__table__
        with self.store.engine.begin() as conn:
            won = conn.execute(update(t).where(
                t.c.id == msg_id, t.c.dispatched_at.is_(None), t.c.lease_owner == self.node)
                .values(dispatched_by=self.node, dispatched_at=utcnow())).rowcount == 1
            if won:  # the spool has the bytes now; the database keeps none
                conn.execute(b.delete().where(b.c.id == msg_id))
                return True
            # the deliverer's confirm() may have marked it a moment ago: still ours then
            return conn.execute(select(t.c.dispatched_by).where(t.c.id == msg_id)) \
                .scalar() == self.node

    def _drop(self, msg_id: str, queue: str) -> None:
        log.warning("%s: dispatched by another node meanwhile; dropping this copy", msg_id)
        try:
            self.spool.remove(queue, msg_id)
        except FileNotFoundError:
            pass
