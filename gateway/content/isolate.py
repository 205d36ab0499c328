"""Run one reader in a forked child that is killed past its deadline: C and C++ readers
(PDFium above all) can abort the process or loop for ever on a hostile file, and a child
that dies loses only that one attachment, never the message."""
from __future__ import annotations

import ctypes
import faulthandler
import os
import pickle
import resource
import select
import signal
import time

SIGNAL_NAMES = {signal.SIGABRT: "SIGABRT", signal.SIGSEGV: "SIGSEGV", signal.SIGKILL: "SIGKILL",
                signal.SIGBUS: "SIGBUS", signal.SIGILL: "SIGILL", signal.SIGFPE: "SIGFPE"}


def run_isolated(fn, timeout: float, *args):
    """Run fn(*args) in a forked child: ("ok", result), ("error", exception name),
    ("crashed", signal name) or ("timeout", None). The child is killed past `timeout`."""
    r, w = os.pipe()
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:  # the child: never returns into the caller's code
        status = 0
        try:
            os.close(r)
            _outlive_nobody(parent, timeout)
            faulthandler.disable()  # a PDFium abort is expected here, not worth a stack dump
            try:
                payload = pickle.dumps(("ok", fn(*args)))
            except BaseException as e:  # noqa: BLE001 - reported to the parent by name
                payload = pickle.dumps(("error", type(e).__name__))
            with os.fdopen(w, "wb") as pipe:
                pipe.write(payload)
        except BaseException:  # noqa: BLE001
            status = 1
        finally:
            os._exit(status)
    os.close(w)
    chunks, deadline, timed_out = [], time.monotonic() + timeout, False
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([r], [], [], left)[0]:
                timed_out = True
                break
            chunk = os.read(r, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(r)
        if timed_out:
            os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
    if timed_out:
        return "timeout", None
    if os.WIFSIGNALED(status) or not chunks:
        sig = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
        return "crashed", SIGNAL_NAMES.get(sig, f"signal {sig}" if sig else
                                           f"exit {os.WEXITSTATUS(status)}")
    try:
        return pickle.loads(b"".join(chunks))
    except Exception:
        return "crashed", "garbled result"


def _outlive_nobody(parent: int, timeout: float) -> None:
    """In a child: die with the parent (the sandbox may be killed at its time budget while
    this child works), and in any case after `timeout` seconds of CPU."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG (Linux)
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)
    cpu = int(timeout) + 2
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
