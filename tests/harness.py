"""The test harness, shared by the tests and bench/: free ports, waiting for a condition,
a real upstream SMTP sink, a relay config, and a real `mailscreen serve` process.

bench/ scripts import it with `sys.path.insert(0, <repo>/tests)`.
"""
from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import uvicorn
from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
HOST = "127.0.0.1"


def mailscreen_command() -> str:
    """The `mailscreen` script of the running interpreter's venv (else the repo's .venv)."""
    for candidate in (Path(sys.executable).with_name("mailscreen"),
                      ROOT / ".venv" / "bin" / "mailscreen"):
        if candidate.exists():
            return str(candidate)
    raise RuntimeError("cannot find the 'mailscreen' command (run with .venv/bin/python)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def wait_for(condition, timeout: float = 20.0, interval: float = 0.05):
    """Poll `condition` until it returns something true (returned), or fail at `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")


TRACE = re.compile(rb"\AReceived: from [^\r\n]* \(mailscreen\) with [^\r\n]*\r\n")


class SinkHandler:
    """The upstream smart host: records every message; can be told to refuse.

    `messages` hold each message without the one `Received:` line mailscreen puts on top
    (tests/test_headers.py checks that line), so tests compare with the bytes they sent;
    `traced` keeps the bytes exactly as they arrived."""

    def __init__(self):
        self.messages: list[tuple[str, list[str], bytes]] = []
        self.traced: list[bytes] = []
        self.refuse_rcpt: dict[str, str] = {}  # address -> reply, e.g. "550 5.1.1 No such user"
        self.data_reply: str | None = None  # e.g. "451 4.3.0 try later"
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse_rcpt:
            return self.refuse_rcpt[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.data_reply:
            return self.data_reply
        with self.lock:
            self.traced.append(envelope.original_content)
            self.messages.append((envelope.mail_from, list(envelope.rcpt_tos),
                                  TRACE.sub(b"", envelope.original_content, count=1)))
        return "250 OK sink"

    def to(self, address: str) -> list[bytes]:
        return [data for _, rcpts, data in self.messages if address in rcpts]


class Sink:
    """A real aiosmtpd server on loopback with `handler` (a SinkHandler by default)."""

    def __init__(self, port: int | None = None, handler=None):
        self.port = port or free_port()
        self.handler = handler or SinkHandler()
        self.controller: Controller | None = None

    def start(self) -> "Sink":
        self.controller = Controller(self.handler, hostname=HOST, port=self.port,
                                     ready_timeout=10)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller:
            self.controller.stop()
            self.controller = None

    @property
    def messages(self):
        return self.handler.messages


def write_config(directory: Path, port: int, upstream_port: int, extra: str = "",
                 database_url: str = "", name: str = "mailscreen.toml", data_dir: str = "data",
                 *, log_level: str = "INFO", scan_workers: int = 1, delivery_workers: int = 1,
                 retry_delays: str = "[0.3]") -> Path:
    """A mailscreen.toml for a relay on `port` delivering to a sink on `upstream_port`,
    with fast retries and its admin socket in `directory`; `extra` is appended (more TOML
    tables). `database_url` "" is SQLite under the data directory."""
    path = directory / name
    sock = f'socket = "{directory / (Path(name).stem + ".sock")}"\n'
    extra = extra.replace("[admin]\n", "[admin]\n" + sock, 1) if "[admin]\n" in extra \
        else extra + "\n[admin]\n" + sock
    path.write_text(f"""
data_dir = "{data_dir}"
database_url = "{database_url}"
log_level = "{log_level}"
[server]
port = {port}
[scan]
workers = {scan_workers}
[upstream]
host = "{HOST}"
port = {upstream_port}
starttls = false
timeout = 5
[delivery]
workers = {delivery_workers}
retry_delays = {retry_delays}
poll_interval = 0.1
{extra}""")
    return path


class RelayProcess:
    """A real `mailscreen serve --config FILE` in its own process group, logging to FILE.log."""

    def __init__(self, config: Path, port: int, command: list[str] | None = None):
        self.config, self.port, self.proc = config, port, None
        self.command = command or [mailscreen_command(), "serve", "--config", str(config)]
        self.log_path = config.with_suffix(".log")

    def start(self, timeout: float = 60.0) -> "RelayProcess":
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(self.command, stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True)

        def listening():
            if self.proc.poll() is not None:
                raise AssertionError(f"relay exited with {self.proc.returncode}:\n"
                                     f"{self.log_tail()}")
            try:
                socket.create_connection((HOST, self.port), timeout=0.5).close()
                return True
            except OSError:
                return False

        wait_for(listening, timeout=timeout)
        return self

    def log_tail(self, lines: int = 15) -> str:
        return log_tail(self.log_path, lines)

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self, grace: float = 30.0) -> int:
        """SIGTERM, then SIGKILL; then whatever is left of its process group."""
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(grace)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        return self.proc.returncode


def log_tail(path: Path, lines: int = 15) -> str:
    """The last lines of a log file, indented, for a failure message ("" if unreadable)."""
    try:
        text = path.read_text(errors="replace").splitlines()
    except OSError:
        return ""
    return "\n".join("    " + line for line in text[-lines:])


def read_reply(sock) -> bytes:
    """One complete SMTP reply (possibly multi-line) from a raw socket."""
    buf = b""
    while True:
        chunk = sock.recv(4096)
        if not chunk:
            return buf
        buf += chunk
        lines = buf.split(b"\r\n")
        if len(lines) >= 2 and len(lines[-2]) >= 4 and lines[-2][3:4] == b" ":
            return buf


def spool_list(data_dir: Path, queue: str) -> list[str]:
    d = data_dir / "spool" / queue
    return sorted(os.listdir(d)) if d.exists() else []


def decided(raw: bytes, rcpts: list[str] | None = None, settings=None):
    """The whole offline pass on one message, as `mailscreen scan` makes it: parse, every
    default scanner, and the one decision step with the default configuration (envelope:
    `rcpts`, else the To/Cc/Bcc headers). Returns the Verdict."""
    from gateway.app import sandbox_config
    from gateway.config import Settings
    from gateway.decision.judge import OfflineEnvelope, judge
    from gateway.pipeline import examine
    from scanners import registry

    settings = settings or Settings()
    cfg = sandbox_config(settings)
    scanners = registry.build(cfg.scanners, {k: dict(v) for k, v in cfg.scanner_options.items()})
    result = examine(raw, scanners, cfg.limits, cfg.max_header_size)
    envelope = OfflineEnvelope(result.sender,
                               rcpts or list(dict.fromkeys(result.recipients + result.bcc)))
    return judge(result, envelope, settings)


@contextlib.contextmanager
def serving(app, port: int):
    """`mailscreen web`'s application served by uvicorn on 127.0.0.1:port in a thread, for
    as long as the block runs; yields its base URL."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for(lambda: server.started)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def screenshot(page, name: str, tmp_path) -> None:
    """A page's picture: into docs/console with MAILSCREEN_SCREENSHOTS=1, else tmp_path."""
    folder = ROOT / "docs" / "console" if os.environ.get("MAILSCREEN_SCREENSHOTS") else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def chromium(playwright, executable: str):
    """Debian's chromium, headless, without the network chatter of a desktop browser."""
    return playwright.chromium.launch(executable_path=executable, args=[
        "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"])
