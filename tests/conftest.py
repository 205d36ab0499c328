"""Shared fixtures: a real upstream SMTP sink, a real relay on a free port, and helpers.

Databases: `db_url` is "" (SQLite under data_dir, the default) unless a test or module is
marked `both_databases`; then it runs once on SQLite and once on PostgreSQL, each time in
a fresh database made on the server that $MAILSCREEN_TEST_PG_URL names (its role needs
CREATEDB). Without that variable the PostgreSQL runs are skipped, except in CI (CI=true),
where they fail; with it set, a server that cannot be reached fails them too.
"""
from __future__ import annotations

import dataclasses
import os
import secrets
import socket
import threading
import time
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from gateway.app import App
from gateway.config import (
    DeliverySettings,
    ScanSettings,
    ServerSettings,
    Settings,
    UpstreamSettings,
)

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
PG_URL = os.environ.get("MAILSCREEN_TEST_PG_URL", "")


def pytest_configure(config):
    config.addinivalue_line("markers", "both_databases: run on SQLite and on PostgreSQL")


def pytest_generate_tests(metafunc):
    if "db_url" in metafunc.fixturenames and metafunc.definition.get_closest_marker(
            "both_databases"):
        metafunc.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture
def db_url(request):
    """database_url for the relay and the CLI: "" (SQLite in data_dir) or a new PostgreSQL
    database, dropped afterwards."""
    if getattr(request, "param", "sqlite") == "sqlite":
        yield ""
        return
    url = pg_database()
    yield url
    drop_pg_database(url)


def pg_database() -> str:
    """A fresh, empty database on the test server; its URL."""
    if not PG_URL:
        if os.environ.get("CI"):
            pytest.fail("MAILSCREEN_TEST_PG_URL is not set: in CI the PostgreSQL runs must run")
        pytest.skip("MAILSCREEN_TEST_PG_URL is not set")
    import psycopg
    from sqlalchemy.engine import make_url

    name = "mailscreen_test_" + secrets.token_hex(6)
    try:
        with psycopg.connect(PG_URL, autocommit=True, connect_timeout=10) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as e:
        pytest.fail(f"MAILSCREEN_TEST_PG_URL is set but PostgreSQL cannot be used: {e}")
    return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)


def drop_pg_database(url: str) -> None:
    import psycopg
    from sqlalchemy.engine import make_url

    with psycopg.connect(PG_URL, autocommit=True, connect_timeout=10) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')


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


class SinkHandler:
    """The upstream smart host: records every message; can be told to refuse."""

    def __init__(self):
        self.messages: list[tuple[str, list[str], bytes]] = []
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
            self.messages.append((envelope.mail_from, list(envelope.rcpt_tos),
                                  envelope.original_content))
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


def write_config(tmp_path: Path, port: int, upstream_port: int, extra: str = "",
                 database_url: str = "", name: str = "mailscreen.toml",
                 data_dir: str = "data") -> Path:
    """A mailscreen.toml for a relay on `port` delivering to a sink on `upstream_port`,
    with fast retries; `extra` is appended (more TOML tables)."""
    path = tmp_path / name
    path.write_text(f"""
data_dir = "{data_dir}"
database_url = "{database_url}"
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


def relay_settings(tmp_path: Path, upstream_port: int, database_url: str = "",
                   **server) -> Settings:
    return Settings(
        data_dir=str(tmp_path / "data"),
        database_url=database_url,
        server=ServerSettings(port=free_port(), **server),
        scan=ScanSettings(workers=1, time_budget=20),
        upstream=UpstreamSettings(host="127.0.0.1", port=upstream_port, starttls=False,
                                  timeout=5),
        delivery=DeliverySettings(workers=1, retry_delays=[0.3], poll_interval=0.1),
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
        if name == "hold":  # held mail is in the quarantine database, not in a spool queue
            return sorted(self.app.store.held_ids(status="held"))
        return self.app.spool.list(name)

    def idle(self) -> bool:
        return not any(self.queue(q) for q in ("incoming", "active", "outgoing", "sending"))


@pytest.fixture
def make_relay(tmp_path, sink, db_url):
    started = []

    def make(**overrides) -> Relay:
        settings = relay_settings(tmp_path, sink.port, db_url)
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
