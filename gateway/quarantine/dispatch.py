"""Releases, carried out by whichever node sees them first.

`held release` (on any node) only changes the quarantine row to `released`. Every running
node polls for released rows that no spool has taken yet, claims a few, copies each one's
bytes from `held_body` into its own spool's outgoing/ under the same id (the same delivery
and retry path as any mail: Mailman's re-queue), and then marks the row dispatched,
deleting the bytes from `held_body` in the same transaction.

- On PostgreSQL a release also sends a NOTIFY on CHANNEL (in the releasing transaction),
  and each node's `ReleaseSignal` LISTENs, so the release is taken within milliseconds;
  the poll (`cluster.release_poll`) stays as the fallback, and is all SQLite has.
- A claim is a conditional UPDATE (`... WHERE dispatched_at IS NULL AND the lease is free
  or ran out`) that sets a lease (`cluster.lease_seconds`) and a new random `claim_id`; on
  PostgreSQL the candidates are read with `FOR UPDATE SKIP LOCKED`, so nodes never wait on
  each other's rows. The spool copy carries the claim_id in its envelope. A node claiming a
  row it holds already renews the lease and keeps the claim_id: a copy left in its spool
  by a database error between the copy and the mark is marked at the next poll, instead of
  being made stale by a new claim and dropped (and the release then waiting for the
  deliverer's next look).
- Marking the row dispatched needs its claim_id: only the copy of the latest claim can, and
  the bytes leave the database only then. Before delivering a released message, the
  deliverer asks `confirm()`: a copy whose claim is not the row's (its node hung or died
  and the lease ran out, and another node claimed it since) is dropped, never sent. So a
  release leaves once even when two admins on two nodes press it, a node that dies after
  claiming leaves a lease that runs out, and a node that comes back with an old copy, or
  under another name, neither loses nor repeats it.
"""
from __future__ import annotations

import dataclasses
import logging
import secrets
import time
from datetime import timedelta

from sqlalchemy import case, literal, select, text, update

from gateway.database.store import HeldBody, HeldMessage, Store, utcnow
from gateway.relay.spool import Spool, SpoolEntry

log = logging.getLogger("mailscreen.dispatch")

CHANNEL = "mailscreen_release"  # NOTIFY payload: the released message's id

# dispatched_by of mail released by a mailscreen before revision 0002, which moved it into
# the local spool itself (gateway/migrations/versions/0002_several_nodes.py)
BEFORE_LEASES = "(before revision 0002)"


def notify_release(connection, msg_id: str) -> None:
    """Wake every node's ReleaseSignal when the caller's transaction commits (PostgreSQL)."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_notify(:channel, :id)"),
                           {"channel": CHANNEL, "id": msg_id})


class ReleaseSignal:
    """A wait that ends early when any node releases mail: LISTEN on its own connection
    (PostgreSQL only). Any trouble with that connection just means waiting out the poll."""

    def __init__(self, url: str):
        from sqlalchemy.engine import make_url

        self.dsn = make_url(url).set(drivername="postgresql").render_as_string(
            hide_password=False)
        self.conn = None

    @classmethod
    def for_store(cls, store: Store) -> "ReleaseSignal | None":
        return cls(store.url) if store.engine.dialect.name == "postgresql" else None

    def wait(self, timeout: float) -> None:
        import psycopg

        started = time.monotonic()
        try:
            if self.conn is None or self.conn.closed:
                self.conn = psycopg.connect(self.dsn, autocommit=True, connect_timeout=10)
                self.conn.execute(f"LISTEN {CHANNEL}")
            for _ in self.conn.notifies(timeout=timeout, stop_after=1):
                pass
        except psycopg.Error as e:
            log.warning("release notifications unavailable (polling instead): %s", e)
            self.close()
            time.sleep(max(0.0, timeout - (time.monotonic() - started)))

    def close(self) -> None:
        if self.conn is not None:
            try:
                self.conn.close()
            finally:
                self.conn = None


class Dispatcher:
    def __init__(self, store: Store, spool: Spool, node: str, lease_seconds: float = 60.0):
        self.store = store
        self.spool = spool
        self.node = node
        self.lease = timedelta(seconds=lease_seconds)

    def dispatch(self, limit: int = 20) -> list[str]:
        """Take released mail into this node's spool; the ids now in outgoing/."""
        done = []
        for msg_id, claim in self.claim(limit).items():
            try:
                if not self._copy(msg_id, claim):
                    continue
            except Exception:
                log.exception("%s: could not copy the released message into the spool; "
                              "this node takes it again at its next look", msg_id)
                continue
            if self._mark(msg_id, claim):
                log.info("%s released: queued for delivery on %s", msg_id, self.node)
                done.append(msg_id)
            else:  # our lease ran out and another node claimed it: never send it twice
                self._drop(msg_id, "outgoing")
        return done

    def claim(self, limit: int = 20) -> dict[str, str]:
        """Claim up to `limit` released messages no spool has taken; {id: claim id}. A row
        this node holds already keeps its claim id (module docstring)."""
        t = HeldMessage.__table__
        now = utcnow()
        ours = t.c.lease_owner == self.node
        claimable = ((t.c.status == "released") & t.c.dispatched_at.is_(None)
                     & (t.c.lease_until.is_(None) | (t.c.lease_until < now) | ours))
        lease = {"lease_owner": self.node, "lease_until": now + self.lease,
                 "claim_id": case((ours & t.c.claim_id.is_not(None), t.c.claim_id),
                                  else_=literal(secrets.token_hex(8)))}
        candidates = select(t.c.id).where(claimable).order_by(t.c.decided_at).limit(limit)
        engine = self.store.engine
        if engine.dialect.name == "postgresql":
            with engine.begin() as conn:
                ids = list(conn.execute(candidates.with_for_update(skip_locked=True)).scalars())
                if not ids:
                    return {}
                return dict(conn.execute(update(t).where(t.c.id.in_(ids)).values(**lease)
                                         .returning(t.c.id, t.c.claim_id)).all())
        with engine.connect() as conn:  # SQLite: one writer at a time; each claim alone
            ids = list(conn.execute(candidates).scalars())
        claimed = {}
        for msg_id in ids:
            with engine.begin() as conn:
                claimed.update(conn.execute(update(t).where(t.c.id == msg_id, claimable)
                                            .values(**lease).returning(t.c.id, t.c.claim_id))
                               .all())
        return claimed

    def confirm(self, msg_id: str, claim: str) -> bool:
        """May this node send the released message `msg_id`, whose spool copy came from
        `claim`? Marks it dispatched if a crash came between the copy and the mark."""
        row = self.store.held(msg_id)
        if row is None or row.dispatched_by == BEFORE_LEASES:
            return True
        if not claim or row.claim_id != claim:
            return False  # claimed again since: that claim's copy is the one to send
        return row.dispatched_at is not None or self._mark(msg_id, claim)

    def _copy(self, msg_id: str, claim: str) -> bool:
        """Put the released message into outgoing/ under `claim`; whether this claim's copy
        is now in the spool (to be marked)."""
        for queue in ("outgoing", "sending"):
            if self.spool.path(queue, msg_id).exists():
                # a copy from before a crash or a database error: this claim's is marked
                # now; an older claim's is dropped by delivery, then claimed and copied again
                try:
                    return self.spool.read_envelope(queue, msg_id).release_claim == claim
                except (OSError, ValueError):
                    return False  # moved on meanwhile: look again at the next poll
        row = self.store.held(msg_id)
        body = self.store.body(msg_id)
        if row is None or body is None:
            log.error("%s: released, but its bytes are not in the database", msg_id)
            return False
        now = time.time()
        env = dataclasses.replace(SpoolEntry.from_json(body.envelope.encode()),
                                  verdict="released", approved_by=row.decided_by,
                                  release_claim=claim, queued_at=now, next_attempt=0,
                                  attempts=0, add_headers=[], last_error="")
        self.spool.accept(body.raw, env, queue="outgoing", msg_id=msg_id)
        return True

    def _mark(self, msg_id: str, claim: str) -> bool:
        """Record that this node's spool has it (the bytes leave the database); whether the
        row is now dispatched under `claim`."""
        t, b = HeldMessage.__table__, HeldBody.__table__
        with self.store.engine.begin() as conn:
            if conn.execute(update(t).where(
                    t.c.id == msg_id, t.c.dispatched_at.is_(None), t.c.claim_id == claim)
                    .values(dispatched_by=self.node, dispatched_at=utcnow())).rowcount == 1:
                conn.execute(b.delete().where(b.c.id == msg_id))
                return True
            # the deliverer's confirm() may have marked it a moment ago: still ours then
            row = conn.execute(select(t.c.claim_id, t.c.dispatched_at)
                               .where(t.c.id == msg_id)).first()
            return row is not None and row.claim_id == claim and row.dispatched_at is not None

    def _drop(self, msg_id: str, queue: str) -> None:
        log.warning("%s: claimed by another node meanwhile; dropping this copy", msg_id)
        try:
            self.spool.remove(queue, msg_id)
        except FileNotFoundError:
            pass
