"""Who is logged in to the review console: sessions kept in the console's memory, named by
a random id in a signed cookie, each with its own CSRF token and an idle timeout.

A restart of the console logs everyone out (its signing key is made at start); that is the
price of keeping no session on disk.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass, field


@dataclass
class Session:
    user: str
    readonly: bool
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    seen: float = 0.0
    flash: tuple | None = None  # (done, refused) of a bulk decision, for the list to show once


def same(a: str | None, b: str | None) -> bool:
    """Two tokens compared in constant time; a missing one is never equal."""
    return bool(a) and bool(b) and hmac.compare_digest(a.encode(), b.encode())


class Sessions:
    def __init__(self, idle_seconds: float, clock=time.monotonic):
        self.idle = idle_seconds
        self.clock = clock
        self._key = secrets.token_bytes(32)
        self._by_id: dict[str, Session] = {}
        self._lock = threading.Lock()

    def sign(self, value: str) -> str:
        return f"{value}.{hmac.new(self._key, value.encode(), hashlib.sha256).hexdigest()}"

    def unsign(self, signed: str | None) -> str | None:
        value, _, _ = (signed or "").rpartition(".")
        return value if value and same(self.sign(value), signed) else None

    def start(self, user: str, readonly: bool) -> str:
        """A new session (never one the browser brought: no fixation); its cookie value."""
        sid = secrets.token_urlsafe(32)
        with self._lock:
            self._forget_idle()
            self._by_id[sid] = Session(user, readonly, seen=self.clock())
        return self.sign(sid)

    def get(self, cookie: str | None) -> Session | None:
        """The session of a cookie, if it is signed by us and was used within the idle
        time; using it starts the idle time again."""
        sid = self.unsign(cookie)
        with self._lock:
            session = self._by_id.get(sid) if sid else None
            if session is None:
                return None
            now = self.clock()
            if now - session.seen > self.idle:
                del self._by_id[sid]
                return None
            session.seen = now
            return session

    def end(self, cookie: str | None) -> None:
        sid = self.unsign(cookie)
        with self._lock:
            self._by_id.pop(sid or "", None)

    def _forget_idle(self) -> None:
        now = self.clock()
        for sid in [s for s, v in self._by_id.items() if now - v.seen > self.idle]:
            del self._by_id[sid]
