"""The spool: queue directories as states, one rename per transition (Postfix, Mailman).

Each message is a directory `<queue>/<id>/` holding `message.eml` (the bytes as received,
never rewritten) and `envelope.json` (envelope and delivery state). Moving the directory
moves both at once, so a message is always in exactly one queue:

    tmp/       being written; never answered 250; swept at start
    incoming/  durable, answered 250, waiting to be screened
    active/    being screened; back to incoming/ after a crash
    outgoing/  decided pass/tag/released, or a notice: waiting for (re)delivery
    sending/   being delivered; back to outgoing/ after a crash
    hold/      quarantined until an admin releases (-> outgoing/) or rejects it
    rejected/  rejected or expired; kept until `held purge` deletes it
    corrupt/   bytes that cannot be read as an entry; kept for a person, logged at ERROR
    trash/     being removed: an entry is renamed here whole, then deleted, so a kill
               never leaves half an entry in a queue; emptied at start

A state change that fails for want of space (ENOSPC, EDQUOT) leaves the entry where it
was, to be tried again: only an envelope that cannot be parsed goes to corrupt/.
"""
from __future__ import annotations

import base64
import dataclasses
import errno
import json
import logging
import os
import secrets
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

QUEUES = ("tmp", "incoming", "active", "outgoing", "sending", "hold", "rejected", "corrupt",
          "trash")
# queues whose entries are complete messages (tmp/ is never; trash/ and corrupt/ are not ours)
ENTRY_QUEUES = ("incoming", "active", "outgoing", "sending", "hold", "rejected")
MESSAGE = "message.eml"
ENVELOPE = "envelope.json"
REASON = "corrupt-reason.txt"
SCHEMA_VERSION = 1
NO_SPACE = (errno.ENOSPC, errno.EDQUOT)

log = logging.getLogger("mailscreen.spool")


def out_of_space(error: BaseException) -> bool:
    """A write that failed for want of disk space or quota: wait and try again."""
    return isinstance(error, OSError) and error.errno in NO_SPACE


class SpoolError(Exception):
    pass


@dataclass
class SpoolEntry:
    """envelope.json: the one definition of what the spool keeps beside a message."""
    mail_from: str  # "" for the null sender (bounces and our own notices)
    rcpt_tos: list[str]  # envelope recipients still to deliver to
    received_at: float = 0.0
    size: int = 0
    peer: str = ""  # client address (or our hostname for a notice)
    helo: str = ""
    auth_user: str = ""
    protocol: str = ""  # RFC 3848 "with": ESMTP, ESMTPS, ESMTPA, ESMTPSA (Received: header)
    kind: str = "mail"  # "mail" or "notice" (a DSN or hold notice we wrote)
    id: str = ""  # set by Spool.accept
    # after screening / release
    verdict: str = ""  # pass, tag, released
    approved_by: str = ""
    add_headers: list[tuple[str, str]] = field(default_factory=list)
    subject_prefix: str = ""
    # delivery state
    queued_at: float = 0.0
    next_attempt: float = 0.0
    attempts: int = 0
    last_error: str = ""
    delay_warned: bool = False  # the "still trying" notice went out (once per message)
    # DSN (RFC 3461) as the client asked: RET and ENVID of MAIL, NOTIFY and ORCPT per RCPT
    dsn_ret: str = ""
    dsn_envid: str = ""
    dsn_notify: dict[str, str] = field(default_factory=dict)
    dsn_orcpt: dict[str, str] = field(default_factory=dict)
    # a released message: the quarantine claim that put it here (gateway/quarantine/dispatch.py)
    release_claim: str = ""
    version: int = SCHEMA_VERSION

    def to_json(self) -> bytes:
        return json.dumps(dataclasses.asdict(self)).encode()

    @classmethod
    def from_json(cls, data: bytes) -> "SpoolEntry":
        d = json.loads(data)
        if not isinstance(d, dict) or "rcpt_tos" not in d or "mail_from" not in d:
            raise ValueError("not a spool envelope")
        known = {f.name for f in dataclasses.fields(cls)}
        d = {k: v for k, v in d.items() if k in known}
        d["add_headers"] = [tuple(h) for h in d.get("add_headers") or []]
        d.setdefault("kind", "mail")
        return cls(**d)


def new_id() -> str:
    """16 lower-case characters, sorting by time: milliseconds then 32 random bits."""
    raw = int(time.time() * 1000).to_bytes(6, "big") + secrets.token_bytes(4)
    return base64.b32encode(raw).decode("ascii").lower().rstrip("=")


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_file(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
    finally:
        os.close(fd)


class Spool:
    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)
        # bytes the file system must keep for others before the spool counts free space:
        # an SQLite database beside it (its write log, a held message's copy), set by the app
        self.keep_free = 0

    def create(self) -> "Spool":
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(self.root, 0o700)
        for q in QUEUES:
            (self.root / q).mkdir(mode=0o700, exist_ok=True)
        return self

    def path(self, queue: str, msg_id: str) -> Path:
        return self.root / queue / msg_id

    def message_path(self, queue: str, msg_id: str) -> Path:
        return self.path(queue, msg_id) / MESSAGE

    # -- writing ---------------------------------------------------------------------------

    def accept(self, raw: bytes, envelope: SpoolEntry, queue: str = "incoming",
               msg_id: str | None = None) -> str:
        """Store a message durably in `queue` and return its id. Only then may SMTP say 250.
        `msg_id` keeps an id given before (a released message coming back from the
        quarantine database)."""
        given = msg_id
        for _ in range(5):
            msg_id = given or new_id()
            entry = self.path("tmp", msg_id)
            try:
                entry.mkdir(mode=0o700)
                break
            except FileExistsError:
                if given:  # a partial copy a crash left behind: write it again
                    shutil.rmtree(entry, ignore_errors=True)
                continue
        else:
            raise SpoolError("could not allocate a spool id")
        try:
            _write_file(entry / MESSAGE, raw)
            envelope = dataclasses.replace(envelope, id=msg_id)
            _write_file(entry / ENVELOPE, envelope.to_json())
            _fsync_dir(entry)
            os.rename(entry, self.path(queue, msg_id))
            _fsync_dir(self.root / queue)
        except BaseException:
            shutil.rmtree(entry, ignore_errors=True)
            raise
        return msg_id

    def read_envelope(self, queue: str, msg_id: str) -> SpoolEntry:
        return SpoolEntry.from_json((self.path(queue, msg_id) / ENVELOPE).read_bytes())

    def write_envelope(self, queue: str, msg_id: str, envelope: SpoolEntry) -> None:
        """Replace envelope.json atomically (write aside, fsync, rename)."""
        entry = self.path(queue, msg_id)
        tmp = entry / (ENVELOPE + ".new")
        tmp.unlink(missing_ok=True)
        try:
            _write_file(tmp, envelope.to_json())
        except BaseException:
            tmp.unlink(missing_ok=True)  # never leave a partial .new behind (disk full)
            raise
        os.rename(tmp, entry / ENVELOPE)
        _fsync_dir(entry)

    # -- moving ----------------------------------------------------------------------------

    def move(self, msg_id: str, src: str, dst: str, durable: bool = True) -> None:
        """One atomic rename; FileNotFoundError if someone else moved it first.

        `durable=False` skips the directory fsync, for steps a crash may undo safely: the
        entry then reappears in an earlier queue and that step is simply done again."""
        os.rename(self.path(src, msg_id), self.path(dst, msg_id))
        if durable:
            _fsync_dir(self.root / dst)

    def claim(self, src: str, dst: str, ids=None) -> str | None:
        """Take the oldest entry of `src` (or of `ids`) by renaming it into `dst`. Not made
        durable: after a crash, recover() puts claimed entries back where they came from."""
        for msg_id in ids if ids is not None else self.list(src):
            try:
                self.move(msg_id, src, dst, durable=False)
                return msg_id
            except FileNotFoundError:
                continue  # another worker took it
        return None

    def remove(self, queue: str, msg_id: str) -> None:
        """Rename the whole entry into trash/ (one atomic step), then delete it there: a
        kill in between leaves a complete entry in trash/, which start-up empties."""
        trashed = self.root / "trash" / f"{msg_id}.{secrets.token_hex(4)}"
        os.rename(self.path(queue, msg_id), trashed)
        _fsync_dir(self.root / queue)
        shutil.rmtree(trashed, ignore_errors=True)

    def to_corrupt(self, queue: str, msg_id: str, why: str) -> bool:
        """Keep an entry that cannot be read for a person to look at, and say so loudly."""
        try:
            self.move(msg_id, queue, "corrupt")
        except FileNotFoundError:
            return False
        log.error("%s moved from %s/ to corrupt/: %s", msg_id, queue, why)
        try:  # a note for the person who looks; it may not fit on a full disk
            (self.path("corrupt", msg_id) / REASON).write_text(f"from {queue}/: {why}\n")
        except OSError:
            pass
        return True

    def list(self, queue: str) -> list[str]:
        try:
            return sorted(os.listdir(self.root / queue))
        except FileNotFoundError:
            return []

    def recover(self, rebuild=None) -> dict[str, int]:
        """At start, before anything else uses the spool: unfinished work goes back to its
        queue, and nothing half-written survives.

        - tmp/ (writes that never got their 250, possibly holding patient data) and trash/
          (removals a kill interrupted) are emptied;
        - an entry with a message and no envelope is rebuilt by `rebuild(queue, id)` (the
          quarantine row knows a held message's envelope), else kept in corrupt/;
        - an entry with an envelope and no message (a removal interrupted before trash/
          existed) or with neither is dropped, with a log line."""
        counts = {"incoming": 0, "outgoing": 0, "tmp": 0, "trash": 0, "rebuilt": 0,
                  "corrupt": 0, "dropped": 0}
        for queue in ("tmp", "trash"):
            for name in self.list(queue):
                shutil.rmtree(self.root / queue / name, ignore_errors=True)
                counts[queue] += 1
        for queue in ENTRY_QUEUES:
            for msg_id in self.list(queue):
                try:
                    self._repair(queue, msg_id, rebuild, counts)
                except OSError as e:  # a full disk must not keep the relay from starting
                    log.error("%s in %s/: could not check or repair it at start: %s", msg_id,
                              queue, e)
        for msg_id in self.list("active"):
            self.move(msg_id, "active", "incoming")
            counts["incoming"] += 1
        for msg_id in self.list("sending"):
            self.move(msg_id, "sending", "outgoing")
            counts["outgoing"] += 1
        return counts

    def _repair(self, queue: str, msg_id: str, rebuild, counts: dict[str, int]) -> None:
        """One entry at start: complete, rebuilt, kept in corrupt/, or dropped."""
        entry = self.path(queue, msg_id)
        has_message = (entry / MESSAGE).is_file()
        has_envelope = (entry / ENVELOPE).is_file()
        (entry / (ENVELOPE + ".new")).unlink(missing_ok=True)
        if has_message and has_envelope:
            return
        if has_message:
            envelope = rebuild(queue, msg_id) if rebuild else None
            if envelope is not None:
                self.write_envelope(queue, msg_id, dataclasses.replace(envelope, id=msg_id))
                log.warning("%s in %s/ had no envelope; rebuilt from the quarantine record",
                            msg_id, queue)
                counts["rebuilt"] += 1
            else:
                self.to_corrupt(queue, msg_id, "message without its envelope")
                counts["corrupt"] += 1
        else:
            log.warning("%s in %s/ had no message (an interrupted removal); dropped",
                        msg_id, queue)
            self.remove(queue, msg_id)
            counts["dropped"] += 1

    def free_bytes(self) -> int:
        """Free space for mail: the file system's, less what the database beside it needs
        (so new mail gets 452 before the database cannot write: issue 23, finding 6)."""
        st = os.statvfs(self.root)
        return max(0, st.f_bavail * st.f_frsize - self.keep_free)

    def counts(self) -> dict[str, int]:
        return {q: len(self.list(q)) for q in QUEUES}

    # -- flush requests (`mailscreen queue flush`) -------------------------------------------

    @property
    def flush_marker(self) -> Path:
        return self.root / "flush"

    def request_flush(self) -> None:
        """Tell the running relay to read the outgoing envelopes again (postqueue -f)."""
        self.flush_marker.touch()
        os.utime(self.flush_marker)

    def flush_requested_at(self) -> int:
        try:
            return self.flush_marker.stat().st_mtime_ns
        except FileNotFoundError:
            return 0
