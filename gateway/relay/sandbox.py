"""A scan process that can be killed: parsing and scanning run here, never in the relay.

The child has a memory cap (RLIMIT_AS) and the parent a wall-clock budget per message.
A child that runs over time is killed; one that dies (PDFium abort, out of memory) is
replaced. Either way the message gets a `scan_failed` finding and is held.
"""
from __future__ import annotations

import logging
import multiprocessing
import resource
import time
from dataclasses import dataclass, field

from gateway.content.limits import Limits
from gateway.pipeline import ScanResult, examine, failed_result

log = logging.getLogger("mailscreen.sandbox")
_CONTEXT = multiprocessing.get_context("forkserver")
_CONTEXT.set_forkserver_preload(["gateway.relay.sandbox", "scanners.registry",
                                  "scanners.classifier_preload"])


@dataclass(frozen=True)
class SandboxConfig:
    limits: Limits = Limits()
    max_header_size: int = 100 * 1024
    memory_limit_mb: int = 2048
    time_budget: float = 30.0
    scanners: dict[str, bool] = field(default_factory=dict)
    # keyword arguments of a scanner's constructor, by scanner name (plain data only)
    scanner_options: dict[str, dict] = field(default_factory=dict)
    # database holding the protected works and patient registers (gateway/works.py,
    # gateway/register.py); "" = no registers
    database_url: str = ""
    # the key file the patient register's hashes are keyed with (gateway/keys.py)
    key_file: str = ""


def _child(conn, config: SandboxConfig) -> None:
    from scanners import registry

    if config.memory_limit_mb > 0:
        cap = config.memory_limit_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    options = {name: dict(kw) for name, kw in config.scanner_options.items()}
    if config.database_url:  # both registers: read here once, again only when they change
        from gateway.registers.patients import Loader as RegisterLoader
        from gateway.registers.works import Loader as WorksLoader
        options.setdefault("copyright", {})["works"] = WorksLoader(config.database_url)
        from gateway.registers.staff import Loader as StaffLoader
        options.setdefault("patient_data", {})["register"] = RegisterLoader(
            config.database_url, config.key_file or None)
        options["patient_data"]["staff"] = StaffLoader(config.database_url)
    scanners = registry.build(config.scanners, options)
    while True:
        try:
            path = conn.recv()
        except (EOFError, KeyboardInterrupt):
            return
        started = time.monotonic()
        try:
            with open(path, "rb") as f:
                raw = f.read()
            result = examine(raw, scanners, config.limits, config.max_header_size)
        except MemoryError:
            result = failed_result("out of memory while scanning", time.monotonic() - started)
        except Exception as e:
            result = failed_result(f"scan error: {type(e).__name__}", time.monotonic() - started)
        conn.send(result.to_dict())


class Sandbox:
    """One child process, used by one thread at a time."""

    def __init__(self, config: SandboxConfig):
        self.config = config
        self._pending: SandboxConfig | None = None
        self._proc = None
        self._conn = None

    def start(self) -> "Sandbox":
        """Start the child now rather than on the first message."""
        if self._proc is None:
            self._start()
        return self

    def _start(self) -> None:
        parent, child = _CONTEXT.Pipe()
        self._proc = _CONTEXT.Process(target=_child, args=(child, self.config),
                                      name="mailscreen-scan", daemon=True)
        self._proc.start()
        child.close()
        self._conn = parent

    def _kill(self) -> None:
        if self._proc is not None:
            self._proc.kill()
            self._proc.join(5)
            self._conn.close()
        self._proc = self._conn = None

    def reconfigure(self, config: SandboxConfig) -> None:
        """Use `config` from the next scan on (the current one, if any, finishes first)."""
        self._pending = config

    def scan(self, path: str) -> ScanResult:
        pending, self._pending = self._pending, None
        if pending is not None and pending != self.config:
            self._kill()
            self.config = pending
        if self._proc is None or not self._proc.is_alive():
            self._kill()
            self._start()
        started = time.monotonic()
        try:
            self._conn.send(str(path))
            if self._conn.poll(self.config.time_budget):
                return ScanResult.from_dict(self._conn.recv())
            reason = f"scan over the time budget of {self.config.time_budget:g} s"
        except (EOFError, OSError, BrokenPipeError):
            self._proc.join(1)
            code = self._proc.exitcode
            reason = f"scan process died (exit code {code})"
        log.warning("scan of %s failed: %s", path, reason)
        self._kill()
        return failed_result(reason, time.monotonic() - started)

    def close(self) -> None:
        self._kill()
