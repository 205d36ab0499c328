"""The queue tool behind `mailscreen queue`: what waits in the spool, and the few things
an admin may do to it (Postfix's postqueue -p/-f and postsuper -d/-h/-H).

Every change is one rename, like every other spool transition, so it cannot race the
running relay: a message the delivery thread has claimed (sending/) or the screener
has claimed (active/) is busy and left alone. Mail held by screening belongs to the
quarantine (`mailscreen held`); this tool only shows it. A message an admin holds here
goes to hold/ with its delivery verdict kept, which is how the two kinds are told apart.
"""
from __future__ import annotations

import dataclasses
import shutil
from dataclasses import dataclass

from gateway.relay.spool import Spool, SpoolEntry

SHOWN = ("incoming", "active", "outgoing", "sending", "hold", "corrupt")
MIN_REF = 4


class QueueError(Exception):
    """A refusal to show the admin (unknown or ambiguous id, busy, quarantined...)."""


@dataclass
class QueuedMessage:
    id: str
    queue: str
    envelope: SpoolEntry | None  # None: envelope.json unreadable (corrupt/)
    size: int = 0
    problem: str = ""

    @property
    def state(self) -> str:
        """The queue, and for hold/ who holds it: screening (quarantine) or an admin."""
        if self.queue == "hold":
            return "hold (admin)" if self.admin_hold else "hold (screening)"
        if self.queue == "outgoing" and self.envelope and self.envelope.attempts:
            return "deferred"
        return self.queue

    @property
    def admin_hold(self) -> bool:
        env = self.envelope
        return self.queue == "hold" and env is not None and \
            (bool(env.verdict) or env.kind == "notice")

    def to_json(self) -> dict:
        env = self.envelope
        d = {"id": self.id, "queue": self.queue, "state": self.state, "size": self.size}
        if env is None:
            return {**d, "problem": self.problem}
        return {**d, "sender": env.mail_from, "recipients": env.rcpt_tos,
                "received_at": env.received_at, "kind": env.kind, "verdict": env.verdict,
                "attempts": env.attempts, "next_attempt": env.next_attempt,
                "last_error": env.last_error, "delay_warned": env.delay_warned}


class Queues:
    def __init__(self, spool: Spool):
        self.spool = spool

    def list(self, queues=SHOWN) -> list[QueuedMessage]:
        found = []
        for queue in queues:
            for msg_id in self.spool.list(queue):
                entry = self._read(queue, msg_id)
                if entry is not None:
                    found.append(entry)
        return sorted(found, key=lambda m: m.id)

    def _read(self, queue: str, msg_id: str) -> QueuedMessage | None:
        path = self.spool.path(queue, msg_id)
        try:
            size = self.spool.message_path(queue, msg_id).stat().st_size
        except FileNotFoundError:
            if not path.exists():
                return None  # moved on meanwhile
            size = 0
        except OSError:
            size = 0
        try:
            return QueuedMessage(msg_id, queue, self.spool.read_envelope(queue, msg_id), size)
        except FileNotFoundError:
            if not path.exists():
                return None
            return QueuedMessage(msg_id, queue, None, size, "envelope.json missing")
        except (OSError, ValueError, TypeError) as e:
            return QueuedMessage(msg_id, queue, None, size, f"envelope.json unreadable: {e}")

    def get(self, ref: str) -> QueuedMessage:
        """By full id, or a unique beginning or end of one (4 characters at least), as
        `mailscreen held` matches ids."""
        ref = ref.strip().lower()
        entries = self.list()
        exact = [m for m in entries if m.id == ref]
        if exact:
            return exact[0]
        matches = [m for m in entries if len(ref) >= MIN_REF and
                   (m.id.startswith(ref) or m.id.endswith(ref))]
        if len(matches) > 1:
            raise QueueError(f"id {ref!r} is ambiguous: {', '.join(m.id for m in matches[:5])}")
        if not matches:
            raise QueueError(f"no queued message with id {ref!r}")
        return matches[0]

    # -- actions ---------------------------------------------------------------------------

    def flush(self, refs=None) -> list[str]:
        """Make deferred mail due now (all of outgoing/, or the given ids) and tell the
        running relay to look again."""
        targets = [self.get(r) for r in refs] if refs else self.list(("outgoing",))
        flushed = []
        for m in targets:
            if m.queue != "outgoing":
                raise QueueError(f"{m.id} is in {m.state}, not waiting for delivery")
            if m.envelope is None:
                continue
            env = dataclasses.replace(m.envelope, next_attempt=0)
            try:
                self.spool.write_envelope("outgoing", m.id, env)
            except FileNotFoundError:
                continue  # the delivery thread took it meanwhile: it is being tried now
            flushed.append(m.id)
        self.spool.request_flush()
        return flushed

    def delete(self, ref: str) -> QueuedMessage:
        """Delete for good (postsuper -d). Claimed into tmp/ first, so the relay can never
        be half-way through delivering what is being deleted."""
        m = self.get(ref)
        if m.queue in ("active", "sending"):
            raise QueueError(f"{m.id} is being {'screened' if m.queue == 'active' else 'delivered'}"
                             f" right now; try again in a moment")
        if m.queue == "hold" and not m.admin_hold:
            raise QueueError(f"{m.id} is held by screening; decide on it with "
                             f"`mailscreen held reject {m.id}`")
        if self.spool.claim(m.queue, "tmp", [m.id]) is None:
            raise QueueError(f"{m.id} moved meanwhile; look again")
        shutil.rmtree(self.spool.path("tmp", m.id), ignore_errors=True)
        return m

    def hold(self, ref: str) -> QueuedMessage:
        """Keep a message waiting for delivery out of it until released (postsuper -h)."""
        m = self.get(ref)
        if m.queue != "outgoing":
            raise QueueError(f"{m.id} is in {m.state}; only mail waiting for delivery "
                             f"(outgoing) can be held")
        if self.spool.claim("outgoing", "hold", [m.id]) is None:
            raise QueueError(f"{m.id} is being delivered right now; try again in a moment")
        return dataclasses.replace(m, queue="hold")

    def release(self, ref: str) -> QueuedMessage:
        """Send a message an admin held back to delivery, due now (postsuper -H)."""
        m = self.get(ref)
        if m.queue != "hold":
            raise QueueError(f"{m.id} is in {m.state}, not held")
        if not m.admin_hold:
            raise QueueError(f"{m.id} is held by screening; release it with "
                             f"`mailscreen held release {m.id}`")
        env = dataclasses.replace(m.envelope, next_attempt=0)
        self.spool.write_envelope("hold", m.id, env)
        self.spool.move(m.id, "hold", "outgoing")
        self.spool.request_flush()
        return dataclasses.replace(m, queue="outgoing", envelope=env)

