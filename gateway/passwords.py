"""Passwords as scrypt hashes, and the back-off after failed logins: shared by SMTP AUTH
(gateway/relay/smtp.py) and the review console (gateway/web)."""
from __future__ import annotations

import hashlib
import hmac
import secrets
import time


def hash_password(password: str, *, n: int = 2 ** 14, r: int = 8, p: int = 1) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, dklen=32)
    return f"scrypt${n}${r}${p}${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    try:
        _, n, r, p, salt, digest = stored.split("$")
        got = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r),
                             p=int(p), dklen=len(digest) // 2)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got.hex(), digest)


def dummy_hash(users: dict[str, str]) -> str:
    """Checked for a user name that does not exist, with the cost parameters of the
    configured hashes, so an unknown user costs the same scrypt work (and time) as a
    known one: the reply time tells nothing."""
    for stored in users.values():
        try:
            _, n, r, p, _, _ = stored.split("$")
            return hash_password(secrets.token_urlsafe(16), n=int(n), r=int(r), p=int(p))
        except ValueError:
            continue
    return hash_password(secrets.token_urlsafe(16))


class FailureLog:
    """Failure times by key within a sliding window, and the back-off they earn: past
    `allowed` failures a key waits `start` seconds after its last failure, doubling with
    each further failure up to `cap`."""

    MAX_KEYS = 10000  # past it, keys with no failure left in the window are forgotten

    def __init__(self, window: float, start: float, cap: float):
        self.window, self.start, self.cap = window, start, cap
        self._times: dict[object, list[float]] = {}

    def add(self, key) -> None:
        if len(self._times) >= self.MAX_KEYS:
            for old in list(self._times):
                self.count(old)
        self._times.setdefault(key, []).append(time.monotonic())

    def count(self, key) -> int:
        cutoff = time.monotonic() - self.window
        recent = [t for t in self._times.get(key, []) if t > cutoff]
        if recent:
            self._times[key] = recent
        else:
            self._times.pop(key, None)
        return len(recent)

    def wait(self, key, allowed: int) -> float:
        """Seconds `key` must still wait (0: it may try)."""
        n = self.count(key)
        if n < allowed:
            return 0.0
        delay = min(self.cap, self.start * 2.0 ** (n - allowed))
        return max(0.0, self._times[key][-1] + delay - time.monotonic())
