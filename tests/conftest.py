"""Shared fixtures: a real upstream SMTP sink, a real relay on a free port, and helpers."""
from __future__ import annotations

import dataclasses
import re
import socket
import threading
import time
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from gateway.app import App
from gateway.config import (
    AdminSettings,
    DeliverySettings,
    ScanSettings,
    ServerSettings,
    Settings,
    UpstreamSettings,
)

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(condition, timeout: float = 20.0, interval: float = 0.05):
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
    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.handler = SinkHandler()
        self.controller: Controller | None = None

    def start(self) -> "Sink":
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller:
            self.controller.stop()
            self.controller = None

    @property
    def messages(self):
        return self.handler.messages


@pytest.fixture
def sink():
    s = Sink().start()
    yield s
    s.stop()


def write_config(tmp_path: Path, port: int, upstream_port: int, extra: str = "") -> Path:
    """A mailscreen.toml for a relay on `port` delivering to a sink on `upstream_port`,
    with fast retries and its admin socket in `tmp_path`; `extra` is appended (more TOML
    tables)."""
    path = tmp_path / "mailscreen.toml"
    sock = f'socket = "{tmp_path / "admin.sock"}"\n'
    extra = extra.replace("[admin]\n", "[admin]\n" + sock, 1) if "[admin]\n" in extra \
        else extra + "\n[admin]\n" + sock
    path.write_text(f"""
data_dir = "data"
log_level = "INFO"
[server]
port = {port}
[scan]
workers = 1
[upstream]
host = "127.0.0.1"
port = {upstream_port}
starttls = false
timeout = 5
[delivery]
workers = 1
retry_delays = [0.3]
poll_interval = 0.1
{extra}""")
    return path


def relay_settings(tmp_path: Path, upstream_port: int, **server) -> Settings:
    return Settings(
        data_dir=str(tmp_path / "data"),
        server=ServerSettings(port=free_port(), **server),
        scan=ScanSettings(workers=1, time_budget=20),
        upstream=UpstreamSettings(host="127.0.0.1", port=upstream_port, starttls=False,
                                  timeout=5),
        delivery=DeliverySettings(workers=1, retry_delays=[0.3], poll_interval=0.1),
        admin=AdminSettings(socket=str(tmp_path / "admin.sock")),
    )


class Relay:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.app = App(settings)

    @property
    def port(self) -> int:
        return self.settings.server.port

    def start(self) -> "Relay":
        self.app.start()
        return self

    def stop(self) -> None:
        self.app.stop()

    def queue(self, name: str) -> list[str]:
        return self.app.spool.list(name)

    def idle(self) -> bool:
        return not any(self.queue(q) for q in ("incoming", "active", "outgoing", "sending"))


@pytest.fixture
def make_relay(tmp_path, sink):
    started = []

    def make(**overrides) -> Relay:
        settings = relay_settings(tmp_path, sink.port)
        for section, values in overrides.items():
            settings = dataclasses.replace(
                settings, **{section: dataclasses.replace(getattr(settings, section), **values)})
        relay = Relay(settings).start()
        started.append(relay)
        return relay

    yield make
    for relay in started:
        relay.stop()


@pytest.fixture
def relay(make_relay) -> Relay:
    return make_relay()


def message(subject: str = "Appointment reminder", body: str = "See you on Tuesday at 10:00.",
            sender: str = "reception@glowclinic.example", to: str = "sam.patel@example.com",
            extra: str = "") -> bytes:
    text = (f"From: Glow Clinic <{sender}>\r\nTo: {to}\r\nSubject: {subject}\r\n"
            f"Date: Tue, 24 Nov 2026 10:00:00 +0000\r\n"
            f"Message-ID: <{time.time_ns()}@glowclinic.example>\r\n{extra}"
            f"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n")
    return text.encode()
