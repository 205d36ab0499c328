"""Shared fixtures: a real upstream SMTP sink, a real relay on a free port, and helpers.

Databases: `db_url` is "" (SQLite under data_dir, the default) unless a test or module is
marked `both_databases`; then it runs once on SQLite and once on PostgreSQL, each time in
a fresh database made on the server that $MAILSCREEN_TEST_PG_URL names (its role needs
CREATEDB). Without that variable the PostgreSQL runs are skipped, except in CI (CI=true),
where they fail; with it set, a server that cannot be reached fails them too.
The harness itself (free ports, sink, relay process, config) is tests/harness.py, shared
with bench/.
"""
from __future__ import annotations

import dataclasses
import functools
import inspect
import os
import re
import secrets
import time
from pathlib import Path

import pytest
from harness import (  # noqa: F401 - re-exported for the tests
    ROOT,
    SHARED,
    RelayProcess,
    Sink,
    SinkHandler,
    free_port,
    wait_for,
    write_config,
)

from gateway.app import App
from gateway.config import (
    AdminSettings,
    DeliverySettings,
    ScanSettings,
    ServerSettings,
    Settings,
    UpstreamSettings,
    config_path,
)


# Tests that start processes, servers or read the corpora: the `slow` tier. The unit tier
# (`pytest -m "not slow"`) runs the scanners, parser and policy in under two minutes on two
# cores. A test is slow for its reason, found at collection: a fixture that starts a server,
# the `model` marker (the real sentence network), the `ocr` marker (Tesseract on pictures),
# or a call that starts a process (in its own body or in a helper of its module: `mailscreen
# scan`, subprocess, a harness server); the modules listed are slow throughout.
SLOW_FIXTURES = {"sink", "relay", "make_relay", "results", "cluster"}
SLOW_MARKERS = {"model", "ocr"}
STARTS_PROCESS = re.compile(
    r"\bsubprocess\.|\bMAILSCREEN\b|\bmailscreen_command\(|\bos\.fork\(|"
    r"\b(Relay|RelayProcess|Sink)\(|"  # the harness's servers, started by hand
    r"\b(rd|reading)\.scan\(")  # tests/reading.py: `mailscreen scan` in a process
READING_SCAN = re.compile(r"(?<![\w.])(?<!def )scan\(")  # `from reading import scan`
SLOW_MODULES = {"test_crash", "test_faults", "test_soak", "test_corpus", "test_pdf_corpus",
                "test_hardening_smtp", "test_admin_cli", "test_reload", "test_relay",
                "test_report", "test_config", "test_queue", "test_metrics", "test_postfix",
                "test_held_cli", "test_smtp_extensions"}

PG_URL = os.environ.get("MAILSCREEN_TEST_PG_URL", "")


def pytest_configure(config):
    config.addinivalue_line("markers", "both_databases: run on SQLite and on PostgreSQL")


def pytest_generate_tests(metafunc):
    if "db_url" in metafunc.fixturenames and metafunc.definition.get_closest_marker(
            "both_databases"):
        metafunc.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture(scope="session", autouse=True)
def _not_the_installed_config(tmp_path_factory):
    """A mailscreen installed on this machine (/etc/mailscreen/mailscreen.toml, or
    $MAILSCREEN_CONFIG in the shell) is not the tests' config: commands they run without
    --config read an empty file, that is the built-in defaults (the discovery tests set
    their own)."""
    if config_path(None) is None:
        yield
        return
    empty = tmp_path_factory.mktemp("defaults") / "mailscreen.toml"
    empty.write_text("")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MAILSCREEN_CONFIG", str(empty))
        yield


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

    name = make_url(url).database
    for _ in range(20):  # a relay's last connections may still be closing
        try:
            with psycopg.connect(PG_URL, autocommit=True, connect_timeout=10) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            return
        except psycopg.Error:
            time.sleep(0.5)
    # left behind on the test server: harmless, and never a reason to fail a test


def _source(obj) -> str:
    try:
        return inspect.getsource(obj)
    except (OSError, TypeError):
        return ""


def _starts_process(module, source: str) -> bool:
    own_scan = inspect.isfunction(getattr(module, "scan", None)) and \
        module.scan.__module__ == module.__name__  # a module's own `scan` is not reading's
    return bool(STARTS_PROCESS.search(source) or
                (not own_scan and READING_SCAN.search(source)))


@functools.cache
def _process_helpers(module) -> frozenset[str]:
    """Names of the module's own functions that start a process."""
    return frozenset(name for name, obj in vars(module).items()
                     if inspect.isfunction(obj) and obj.__module__ == module.__name__
                     and not name.startswith("test_") and _starts_process(module, _source(obj)))


def starts_process(item) -> bool:
    if item.module is None:
        return False
    body = _source(getattr(item, "function", None))
    return _starts_process(item.module, body) or any(
        re.search(rf"\b{name}\(", body) for name in _process_helpers(item.module))


def pytest_collection_modifyitems(config, items):
    for item in items:
        module = item.module.__name__ if item.module else ""
        if (module in SLOW_MODULES or SLOW_FIXTURES & set(getattr(item, "fixturenames", ()))
                or any(item.get_closest_marker(m) for m in SLOW_MARKERS)
                or starts_process(item)):
            item.add_marker(pytest.mark.slow)


@pytest.fixture
def sink():
    s = Sink().start()
    yield s
    s.stop()


def relay_settings(tmp_path: Path, upstream_port: int, database_url: str = "",
                   **server) -> Settings:
    return Settings(
        data_dir=str(tmp_path / "data"),
        database_url=database_url,
        # the SMTP front in the test's own process (server.listeners = 0), where tests
        # patch its handler and spool; make_relay(server={"listeners": N}) for processes
        server=ServerSettings(port=free_port(), **{"listeners": 0, **server}),
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
