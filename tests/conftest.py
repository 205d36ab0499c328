"""Shared fixtures: a real upstream SMTP sink, a real relay on a free port, and helpers
(the harness itself is tests/harness.py, shared with bench/)."""
from __future__ import annotations

import dataclasses
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
)


# Tests that start processes, servers or read the corpora: the `slow` tier. The unit tier
# (`pytest -m "not slow"`) runs the scanners, parser and policy in well under a minute.
SLOW_FIXTURES = {"sink", "relay", "make_relay", "results"}
SLOW_MODULES = {"test_crash", "test_faults", "test_soak", "test_corpus", "test_pdf_corpus",
                "test_hardening_smtp", "test_admin_cli", "test_reload", "test_relay",
                "test_report", "test_config"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        module = item.module.__name__ if item.module else ""
        if module in SLOW_MODULES or SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


@pytest.fixture
def sink():
    s = Sink().start()
    yield s
    s.stop()


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
