"""Several SMTP processes on one port (`server.listeners`, SO_REUSEPORT).

Each listener is a process of its own running the same SMTP front (gateway/relay/smtp.py)
into the same spool: it answers 250 once the message is fsynced there, exactly as the
front in the relay's process does, and then tells the relay the new id over its pipe, so
screening starts at once. The kernel spreads new connections over the listeners. The
relay's process keeps screening, delivery and the database: what an accepted message
costs afterwards never competes with accepting the next one for one interpreter.

What each listener counts is its own: connections from one address
(max_connections_per_address) and AUTH failures with their back-off are per listener;
max_connections is divided among them, so the total stays. max_hops, the size limits and
the spool's reserve are per message and the same everywhere.

The spool is the truth: a listener that dies loses nothing that got its 250 (it is in
incoming/, screened at the latest at the relay's next look), and the relay starts a new
one. A listener whose relay is gone (its pipe closed) stops listening within a second.
"""
from __future__ import annotations

import ctypes
import dataclasses
import logging
import multiprocessing
import multiprocessing.connection
import os
import signal
import threading
import time
from logging.handlers import QueueHandler
from typing import Callable

from gateway.config import ServerSettings
from gateway.relay.smtp import RelayController, RelayHandler
from gateway.relay.spool import Spool

log = logging.getLogger("mailscreen.listeners")
_CONTEXT = multiprocessing.get_context("forkserver")
NAME = b"mailscreen-smtp"  # the process name ps and top show (15 characters at most)
START_TIMEOUT = 30.0
RESTART_PAUSE = 1.0  # seconds before a listener that died is started again


class _PipeHandler(QueueHandler):
    """Log records of a listener, sent to the relay, which writes them as its own."""

    def __init__(self, send):
        super().__init__(None)
        self.send = send

    def enqueue(self, record: logging.LogRecord) -> None:
        self.send(("log", record.__dict__))


def _listen(conn, settings: ServerSettings, spool_root: str, keep_free: int,
            level: int) -> None:
    """A listener process: the SMTP front until SIGTERM or until the relay is gone."""
    ctypes.CDLL(None).prctl(15, NAME, 0, 0, 0)  # PR_SET_NAME (Linux)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the relay's to handle
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    lock = threading.Lock()

    def send(message) -> None:
        with lock:
            conn.send(message)

    root = logging.getLogger()
    root.handlers[:] = [_PipeHandler(send)]
    root.setLevel(level)
    # aiosmtpd logs commands and DATA lines: message content must never reach the logs
    logging.getLogger("mail.log").setLevel(max(logging.WARNING, level))
    spool = Spool(spool_root)
    spool.keep_free = keep_free
    handler = RelayHandler(settings, spool, lambda msg_id: send(("accepted", msg_id)))
    controller = RelayController(handler, settings, reuse_port=True)
    try:
        controller.start()
    except Exception as e:  # noqa: BLE001 - the relay reports it and does not start
        send(("failed", f"{type(e).__name__}: {e}"))
        return
    send(("ready", os.getpid()))
    try:
        while not done.is_set():
            if conn.poll(1.0):
                conn.recv()  # the relay sends nothing: only its end closing gets here
    except (EOFError, OSError):
        pass  # the relay is gone: stop taking mail nobody would screen
    finally:
        controller.stop()
        handler.close()


class Listeners:
    """`count` listener processes for the relay, restarted when one dies."""

    def __init__(self, settings: ServerSettings, spool: Spool, count: int,
                 on_accept: Callable[[str], None] = lambda _id: None):
        share = -(-settings.max_connections // count)  # the total stays max_connections
        self.settings = dataclasses.replace(settings, max_connections=max(1, share))
        self.spool = spool
        self.count = count
        self.on_accept = on_accept
        self._procs: list = [None] * count
        self._conns: list = [None] * count
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self._procs if p is not None]

    def start(self) -> "Listeners":
        """Start every listener and wait until each listens; OSError if one cannot (the
        port taken, a bad certificate), after stopping the others."""
        try:
            for i in range(self.count):  # all at once, then each waited for
                self._spawn(i)
            for i in range(self.count):
                self._ready(i)
        except OSError:
            self.stop()
            raise
        self._thread = threading.Thread(target=self._watch, name="listeners", daemon=True)
        self._thread.start()
        return self

    def _start(self, i: int) -> None:
        self._spawn(i)
        self._ready(i)

    def _spawn(self, i: int) -> None:
        parent, child = _CONTEXT.Pipe()
        proc = _CONTEXT.Process(
            target=_listen, name=f"mailscreen-smtp-{i}", daemon=True,
            args=(child, self.settings, str(self.spool.root), self.spool.keep_free,
                  logging.getLogger().getEffectiveLevel()))
        proc.start()
        child.close()
        self._procs[i], self._conns[i] = proc, parent

    def _ready(self, i: int) -> None:
        """Until listener `i` listens; OSError if it cannot."""
        proc, parent = self._procs[i], self._conns[i]
        deadline = time.monotonic() + START_TIMEOUT
        while parent.poll(max(0.0, deadline - time.monotonic())):
            try:
                message = parent.recv()
            except EOFError:
                break
            if message[0] == "ready":
                return
            if message[0] == "failed":
                raise OSError(f"SMTP listener {i} could not start: {message[1]}")
            self._handle(message)
        raise OSError(f"SMTP listener {i} did not start within {START_TIMEOUT:g} s "
                      f"(exit code {proc.exitcode})")

    def _handle(self, message) -> None:
        kind, value = message
        if kind == "accepted":
            self.on_accept(value)
        elif kind == "log":
            record = logging.makeLogRecord(value)
            logging.getLogger(record.name).handle(record)

    def _watch(self) -> None:
        """Pass accepted ids and log records on; start a listener that died again."""
        while not self._stopping.is_set():
            conns = [c for c in self._conns if c is not None]
            for conn in multiprocessing.connection.wait(conns, timeout=1.0):
                try:
                    self._handle(conn.recv())
                except (EOFError, OSError):
                    self._died(self._conns.index(conn))

    def _died(self, i: int) -> None:
        proc, conn = self._procs[i], self._conns[i]
        conn.close()
        proc.join(5)
        self._procs[i] = self._conns[i] = None
        if self._stopping.is_set():
            return
        log.error("SMTP listener %d (pid %d) exited with status %s; starting it again",
                  i, proc.pid, proc.exitcode)
        while not self._stopping.wait(RESTART_PAUSE):
            try:
                self._start(i)
                return
            except OSError as e:
                log.error("%s; trying again", e)

    def stop(self) -> None:
        """SIGTERM to every listener, SIGKILL to one that does not stop."""
        self._stopping.set()
        for proc in self._procs:
            if proc is not None and proc.is_alive():
                proc.terminate()
        for i, proc in enumerate(self._procs):
            if proc is None:
                continue
            proc.join(10)
            if proc.is_alive():
                proc.kill()
                proc.join(5)
        if self._thread is not None:
            self._thread.join(5)
        for conn in self._conns:
            if conn is not None:
                conn.close()
