"""The secret keys, kept in a file (0600, in the data directory) and never in the database:
whoever can read or write the database alone can neither recompute the audit chain nor
brute-force the patient register's hashes.

One line a key, `<id> <64 hex characters>`; the last line is the current key. Rotating
appends a new key and keeps the old ones, so rows signed before still check out. Each use
gets its own subkey (HMAC of the key with the purpose's name), so the audit chain and the
patient register never share one.

Nodes on one database must share the key file: the database keeps each key's fingerprint
(gateway/database/audit.py check_key), and a node whose file differs refuses to start.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path


class KeyFileError(Exception):
    """The key file is missing, unreadable or malformed."""


class KeyMismatch(KeyFileError):
    """The key file is not the one the other nodes on the database use."""


class Keyring:
    """The keys of one key file. A rotation by another process (`mailscreen keys rotate`)
    is seen at the next use: the file is read again when it changed."""

    def __init__(self, path: str | os.PathLike, keys: dict[int, bytes]):
        self.path = Path(path)
        self._keys = keys
        self._stamp = self._stat()

    def _stat(self):
        try:
            st = self.path.stat()
            return st.st_mtime_ns, st.st_size
        except OSError:
            return None

    def _fresh(self) -> dict[int, bytes]:
        stamp = self._stat()
        if stamp is not None and stamp != self._stamp:
            self._keys, self._stamp = Keyring.load(self.path)._keys, stamp
        return self._keys

    @classmethod
    def load(cls, path: str | os.PathLike, create: bool = False) -> "Keyring":
        """Read the key file; with `create`, make it (one key) if it does not exist yet."""
        path = Path(path)
        if create and not path.exists():
            _append(path, 1)
        try:
            text = path.read_text()
        except FileNotFoundError:
            raise KeyFileError(f"{path}: key file not found") from None
        except OSError as e:
            raise KeyFileError(f"{path}: cannot read the key file: {e.strerror}") from None
        keys = {}
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                kid, hexkey = line.split()
                keys[int(kid)] = bytes.fromhex(hexkey)
            except ValueError:
                raise KeyFileError(f"{path}:{n}: not '<id> <hex key>'") from None
        if not keys:
            raise KeyFileError(f"{path}: no key in the key file")
        return cls(path, keys)

    @property
    def current(self) -> int:
        return max(self._fresh())

    def ids(self) -> list[int]:
        return sorted(self._fresh())

    def subkey(self, purpose: str, kid: int | None = None) -> bytes:
        kid = self.current if kid is None else kid
        try:
            key = self._fresh()[kid]
        except KeyError:
            raise KeyFileError(f"{self.path}: no key {kid} (was the key file replaced?)") from None
        return hmac.new(key, purpose.encode(), hashlib.sha256).digest()

    def fingerprint(self, kid: int) -> str:
        """What the database keeps of a key (an HMAC of a fixed label): enough to tell two
        key files apart, nothing to sign or test a register hash with."""
        return self.subkey("key-fingerprint", kid).hex()

    def sign(self, purpose: str, data: bytes, kid: int | None = None) -> str:
        """`k<id>:<hex HMAC-SHA256>` of `data` under the subkey for `purpose`."""
        kid = self.current if kid is None else kid
        mac = hmac.new(self.subkey(purpose, kid), data, hashlib.sha256).hexdigest()
        return f"k{kid}:{mac}"

    def check(self, purpose: str, data: bytes, signature: str) -> bool:
        try:
            kid = int(signature[1:signature.index(":")])
            expected = self.sign(purpose, data, kid)
        except (ValueError, KeyFileError):
            return False
        return hmac.compare_digest(expected, signature)

    def rotate(self) -> int:
        """Append a new current key; the old ones stay for what they signed."""
        kid = self.current + 1
        _append(self.path, kid)
        self._fresh()
        return kid


def is_signature(value: str) -> bool:
    return value.startswith("k") and ":" in value


def _append(path: Path, kid: int) -> None:
    """Add one key line, durably; a new file is 0600 and belongs to the owner of its
    directory (the service user), even when root makes it."""
    new = not path.exists()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.write(fd, f"{kid} {secrets.token_hex(32)}\n".encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    if new and os.geteuid() == 0:
        st = path.parent.stat()
        os.chown(path, st.st_uid, st.st_gid)
