"""Several SMTP processes on one port (server.listeners, gateway/relay/listeners.py): each
a real process listening with SO_REUSEPORT, all spooling into the relay's one queue, with
the relay screening and delivering what any of them accepted."""
from __future__ import annotations

import dataclasses
import logging
import os
import signal
import smtplib
import socket

import pytest
from conftest import Relay, message, relay_settings, wait_for

SENDER = "reception@glowclinic.example"
SECRET = "Our patient Jane Doe, NHS number 999 000 0018, had filler on Monday."


def send(port: int, n: int, tag: str) -> list[str]:
    """`n` messages, each on a connection of its own (the kernel picks a listener for
    each); the ids of the 250 replies."""
    ids = []
    for i in range(n):
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
            smtp.ehlo("client.example")
            smtp.mail(SENDER)
            smtp.rcpt(f"{tag}{i}@example.com")
            code, reply = smtp.data(message(subject=f"{tag} {i}"))
            assert code == 250, reply
            ids.append(reply.decode().rsplit(" ", 1)[-1])
    return ids


def test_every_listener_accepts_into_the_one_queue(make_relay, sink, caplog):
    caplog.set_level(logging.INFO)
    relay = make_relay(server={"listeners": 2})
    pids = relay.app.listeners.pids
    assert len(set(pids)) == 2 and os.getpid() not in pids
    ids = send(relay.port, 30, "many")
    wait_for(lambda: len(sink.messages) >= 30 and relay.idle(), timeout=60)
    assert sorted(r for _, rcpts, _ in sink.messages for r in rcpts) == \
        sorted(f"many{i}@example.com" for i in range(30))
    # the accepted lines come from both processes (30 connections on one listener would
    # be a chance of one in 2**29), and name every id that got its 250
    accepted = [r for r in caplog.records if r.getMessage().split(" ")[1:2] == ["accepted"]]
    assert {r.process for r in accepted} == set(pids)
    assert sorted(r.getMessage().split(" ")[0] for r in accepted) == sorted(ids)
    # screened and logged by the relay, as mail the relay's own front accepted
    assert sorted(row.id for row in relay.app.store.logs()) == sorted(ids)


def test_a_listener_that_dies_is_started_again_and_nothing_is_lost(make_relay, sink):
    relay = make_relay(server={"listeners": 2})
    send(relay.port, 5, "before")
    victim = relay.app.listeners.pids[0]
    os.kill(victim, signal.SIGKILL)
    wait_for(lambda: len(relay.app.listeners.pids) == 2
             and victim not in relay.app.listeners.pids, timeout=30)
    send(relay.port, 10, "after")
    wait_for(lambda: len(sink.messages) >= 15 and relay.idle(), timeout=60)
    assert len(sink.messages) == 15


def test_listeners_stop_with_the_relay(make_relay, sink):
    relay = make_relay(server={"listeners": 2})
    pids = relay.app.listeners.pids
    relay.stop()
    def gone(pid: int) -> bool:
        try:
            with open(f"/proc/{pid}/stat") as f:
                return f.read().rpartition(")")[2].split()[0] == "Z"
        except FileNotFoundError:
            return True

    wait_for(lambda: all(gone(pid) for pid in pids), timeout=20)
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", relay.port), timeout=2).close()


def test_a_port_taken_by_another_program_stops_the_start(tmp_path, sink):
    settings = relay_settings(tmp_path, sink.port)
    settings = dataclasses.replace(settings, server=dataclasses.replace(settings.server,
                                                                        listeners=2))
    with socket.socket() as other:  # no SO_REUSEPORT: the port is not to be shared
        other.bind(("127.0.0.1", settings.server.port))
        other.listen()
        relay = Relay(settings)
        try:
            with pytest.raises(OSError, match="could not start"):
                relay.start()
        finally:
            relay.stop()


def test_no_message_content_reaches_the_log_from_a_listener(make_relay, sink, caplog):
    caplog.set_level(logging.DEBUG)
    relay = make_relay(server={"listeners": 1})
    with smtplib.SMTP("127.0.0.1", relay.port, timeout=30) as smtp:
        smtp.sendmail(SENDER, ["sam.patel@example.com"], message(body=SECRET))
    wait_for(lambda: relay.idle() and (relay.queue("hold") or sink.messages), timeout=60)
    assert any(r.process in relay.app.listeners.pids for r in caplog.records)
    assert not [r for r in caplog.records if "999 000 0018" in r.getMessage()]
