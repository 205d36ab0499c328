"""A scan process that can be killed: parsing and scanning run here, never in the relay.

The child has a memory cap (RLIMIT_AS) and the parent a budget per message, counted in
the child's CPU seconds (its own and its finished helpers', such as Tesseract), so that a
busy machine never holds a message a quiet one would pass; a child that sits without
spending CPU (blocked) is given WALL_FACTOR times the budget in wall-clock time. A child
over either is killed and the message held (`scan_failed`). One that dies
(PDFium abort, the OOM killer) or runs out of memory may be spent rather than the message
at fault, so the message is tried once more in a fresh process, and held only if that one
gives out too. A child lives for `max_use` messages, or until its resident memory after a
message is above `max_rss_mb` (Postfix's max_use, amavis's max_requests): whatever a long
life accumulates is given back before it reaches the cap.
"""
from __future__ import annotations

import logging
import multiprocessing
import os
import resource
import time
from dataclasses import dataclass, field

from gateway.content.limits import Limits
from gateway.pipeline import ScanResult, examine, failed_result

log = logging.getLogger("mailscreen.sandbox")
EXHAUSTED = 75  # exit status of a scan process that ran out of memory
_CONTEXT = multiprocessing.get_context("forkserver")
_CONTEXT.set_forkserver_preload(["gateway.relay.sandbox", "scanners.registry",
                                  "scanners.classifier_preload", "gateway.relay.listeners"])


@dataclass(frozen=True)
class SandboxConfig:
    limits: Limits = Limits()
    max_header_size: int = 100 * 1024
    memory_limit_mb: int = 2048
    time_budget: float = 30.0
    # a child is replaced after this many messages, or when its resident memory after one
    # is above max_rss_mb (0: no limit)
    max_use: int = 500
    max_rss_mb: int = 768
    scanners: dict[str, bool] = field(default_factory=dict)
    # keyword arguments of a scanner's constructor, by scanner name (plain data only)
    scanner_options: dict[str, dict] = field(default_factory=dict)
    # database holding the protected works and patient registers (gateway/works.py,
    # gateway/register.py); "" = no registers
    database_url: str = ""
    # the key file the patient register's hashes are keyed with (gateway/keys.py)
    key_file: str = ""


def build_scanners(config: SandboxConfig) -> list:
    """The scanners a scan process runs, registers included (bench/ measures with these)."""
    from scanners import registry

    options = {name: dict(kw) for name, kw in config.scanner_options.items()}
    if config.database_url:  # both registers: read here once, again only when they change
        from gateway.registers.patients import Loader as RegisterLoader
        from gateway.registers.works import Loader as WorksLoader
        options.setdefault("copyright", {})["works"] = WorksLoader(config.database_url)
        from gateway.registers.staff import Loader as StaffLoader
        options.setdefault("patient_data", {})["register"] = RegisterLoader(
            config.database_url, config.key_file or None)
        options["patient_data"]["staff"] = StaffLoader(config.database_url)
    return registry.build(config.scanners, options)


def _child(conn, config: SandboxConfig) -> None:
    if config.memory_limit_mb > 0:
        cap = config.memory_limit_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    scanners = build_scanners(config)
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
            os._exit(EXHAUSTED)
        except Exception as e:
            result = failed_result(f"scan error: {type(e).__name__}", time.monotonic() - started)
        if _out_of_memory(result):
            os._exit(EXHAUSTED)  # spent: the parent tries the message in a fresh process
        conn.send(result.to_dict())


def _out_of_memory(result: ScanResult) -> bool:
    """Whether a MemoryError was caught on the way: the pipeline turns one in a scanner into
    `scan_failed` ("scanner language failed: MemoryError"), the attachment readers into
    `attachment_unreadable` ("out of memory while reading")."""
    return any(f.evidence.endswith("MemoryError") or f.evidence.startswith("out of memory")
               for f in result.findings if f.rule in ("scan_failed", "attachment_unreadable"))


# a child that spends no CPU yet does not answer (blocked on a pipe, stopped) is killed
# after this many budgets of wall-clock time
WALL_FACTOR = 4


def cpu_seconds(pid: int) -> float:
    """CPU time a process and its waited-for children have used (0 where /proc cannot
    tell): utime, stime, cutime and cstime of /proc/<pid>/stat."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rpartition(")")[2].split()
        return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


def rss_mb(pid: int) -> float:
    """Resident memory of a process, in MiB (0 where /proc cannot tell)."""
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return 0.0


class Sandbox:
    """One child process, used by one thread at a time."""

    def __init__(self, config: SandboxConfig):
        self.config = config
        self._pending: SandboxConfig | None = None
        self._proc = None
        self._conn = None
        self._used = 0  # messages the current child has scanned

    @property
    def pid(self) -> int | None:
        """The current scan process (a new one after each replacement)."""
        return self._proc.pid if self._proc is not None else None

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
        self._used = 0

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
        result, spent = self._attempt(path)
        if spent:  # the process gave out, maybe not for this message: once more, afresh
            log.warning("scan of %s: trying again in a fresh scan process", path)
            result, spent = self._attempt(path)
        self._renew()
        return result

    def _attempt(self, path: str) -> tuple[ScanResult, bool]:
        """The result of one try, and whether the process gave out (died, out of memory)."""
        if self._proc is None or not self._proc.is_alive():
            self._kill()
            self._start()
        started = time.monotonic()
        self._used += 1
        spent = False
        try:
            self._conn.send(str(path))
            if self._answered(started):
                return ScanResult.from_dict(self._conn.recv()), False
            reason = f"scan over the time budget of {self.config.time_budget:g} s"
        except (EOFError, OSError):
            self._proc.join(1)
            code = self._proc.exitcode
            reason = "out of memory while scanning" if code == EXHAUSTED else \
                f"scan process died (exit code {code})"
            spent = True
        log.warning("scan of %s failed: %s", path, reason)
        self._kill()
        return failed_result(reason, time.monotonic() - started), spent

    def _answered(self, started: float) -> bool:
        """Wait for the child's answer while it is within its budget of CPU seconds (and
        WALL_FACTOR budgets of wall-clock time); False when it ran over."""
        budget, pid = self.config.time_budget, self._proc.pid
        cpu_at_start = cpu_seconds(pid)
        while True:
            if self._conn.poll(min(budget, 0.5)):
                return True
            if (cpu_seconds(pid) - cpu_at_start > budget
                    or time.monotonic() - started > WALL_FACTOR * budget):
                return self._conn.poll(0)

    def _renew(self) -> None:
        """Replace the process after max_use messages or above max_rss_mb, between messages."""
        if self._proc is None:
            return
        c, rss = self.config, rss_mb(self._proc.pid)
        if c.max_use and self._used >= c.max_use:
            log.info("scan process replaced after %d messages (scan.max_use)", self._used)
        elif c.max_rss_mb and rss > c.max_rss_mb:
            log.log(logging.WARNING if self._used == 1 else logging.INFO,
                    "scan process replaced at %.0f MB resident after %d messages "
                    "(scan.max_rss_mb = %d)", rss, self._used, c.max_rss_mb)
        else:
            return
        self._kill()
        self._start()

    def close(self) -> None:
        self._kill()
