"""Connection limits and AUTH (issue 13, findings 9, 10 and 11), through the real relay
on real sockets: connection caps, command caps, password checks off the event loop, the
per-user and global failure limits, equal work for unknown users, no AUTH in clear."""
from __future__ import annotations

import base64
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from conftest import free_port, wait_for, write_config
from harness import read_reply

from gateway.config import AuthSettings
from gateway.relay.smtp import check_password, hash_password

MAILSCREEN = str(Path(sys.executable).with_name("mailscreen"))
PASSWORD = "s3cret-Passw0rd"
SLOW = {"p": 4}  # a costlier hash (four times the work), so a check on the event loop would show


def connect(port: int, source: str = "127.0.0.1") -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=30,
                                    source_address=(source, 0))
    return sock


def command(sock, line: str) -> bytes:
    sock.sendall(line.encode() + b"\r\n")
    return read_reply(sock)


def plain(user: str, password: str) -> str:
    return "AUTH PLAIN " + base64.b64encode(f"\0{user}\0{password}".encode()).decode()


def auth_relay(make_relay, **auth):
    return make_relay(server={"auth": AuthSettings(
        users={"reception": hash_password(PASSWORD, **SLOW)}, allow_plaintext_auth=True,
        **auth)})


def session(port: int, source: str = "127.0.0.1") -> socket.socket:
    sock = connect(port, source)
    assert read_reply(sock).startswith(b"220")
    assert command(sock, "EHLO client").startswith(b"250")
    return sock


# -- finding 9: connection limits ------------------------------------------------------


def test_connections_are_capped_per_address_and_in_all(make_relay, sink):
    relay = make_relay(server={"max_connections": 6, "max_connections_per_address": 3})
    mine = [connect(relay.port) for _ in range(3)]
    assert all(read_reply(s).startswith(b"220") for s in mine)
    extra = connect(relay.port)
    refused = read_reply(extra)
    assert refused.startswith(b"421 4.7.0") and b"your address" in refused
    assert extra.recv(100) == b""  # and disconnected
    others = [connect(relay.port, "127.0.0.2") for _ in range(3)]
    assert all(read_reply(s).startswith(b"220") for s in others)
    late = connect(relay.port, "127.0.0.3")
    assert read_reply(late).startswith(b"421 4.7.0 Too many connections")
    for s in mine:
        s.close()
    # the slots come back: a legitimate client is served at once
    wait_for(lambda: read_reply(connect(relay.port, "127.0.0.4")).startswith(b"220"))
    for s in others + [extra, late]:
        s.close()


def test_noop_without_progress_is_cut_off(make_relay, sink):
    relay = make_relay(server={"max_idle_commands": 5})
    sock = session(relay.port)  # EHLO is the first idle command
    for _ in range(4):
        assert command(sock, "NOOP").startswith(b"250")
    assert command(sock, "RSET").startswith(b"421 4.7.0 Too many commands")
    assert sock.recv(100) == b""
    sock = session(relay.port)  # a transaction in between resets the count
    for _ in range(3):
        assert command(sock, "NOOP").startswith(b"250")
    assert command(sock, "MAIL FROM:<a@glowclinic.example>").startswith(b"250")
    for _ in range(5):
        assert command(sock, "NOOP").startswith(b"250")
    sock.close()


def test_commands_per_session_are_capped(make_relay, sink):
    relay = make_relay(server={"max_commands": 20})
    sock = session(relay.port)
    for i in range(9):
        assert command(sock, "MAIL FROM:<a@glowclinic.example>").startswith(b"250")
        assert command(sock, "RSET").startswith(b"250")
    assert command(sock, "MAIL FROM:<a@glowclinic.example>").startswith(b"250")  # the 20th
    assert command(sock, "RSET").startswith(b"421")


def test_relay_refuses_to_start_without_file_descriptors_for_its_connections(tmp_path, sink):
    config = write_config(tmp_path, free_port(), sink.port, "")
    text = config.read_text().replace("[server]\n", "[server]\nmax_connections = 5000\n")
    config.write_text(text)
    result = subprocess.run(["prlimit", "--nofile=1024:1024", MAILSCREEN, "serve", "--config",
                             str(config)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result.stderr
    assert "LimitNOFILE" in result.stderr and "max_connections" in result.stderr


# -- finding 10: AUTH off the event loop, limits for users and in all --------------------


def test_password_checks_do_not_stall_other_sessions(make_relay, sink):
    relay = auth_relay(make_relay, max_failures_per_address=1000, max_failures_per_user=1000,
                       max_failures_total=1000)
    started = time.monotonic()
    check_password("wrong", hash_password(PASSWORD, **SLOW))
    hash_seconds = time.monotonic() - started
    stop = threading.Event()

    def attacker(source: str):
        while not stop.is_set():
            try:
                sock = session(relay.port, source)
                for i in range(2):
                    command(sock, plain("reception", f"guess-{i}"))
                sock.close()
            except OSError:
                pass

    attackers = [threading.Thread(target=attacker, args=(f"127.0.0.{10 + i}",), daemon=True)
                 for i in range(6)]
    for t in attackers:
        t.start()
    try:
        legit = session(relay.port, "127.0.0.2")
        times = []
        for _ in range(15):  # under max_idle_commands
            t0 = time.monotonic()
            assert command(legit, "NOOP").startswith(b"250")
            times.append(time.monotonic() - t0)
            time.sleep(0.05)
        legit.close()
    finally:
        stop.set()
        for t in attackers:
            t.join(30)
    # a check on the event loop holds every session for a whole hash
    assert statistics.median(times) < hash_seconds / 3, (statistics.median(times), hash_seconds)


def test_unknown_users_cost_the_same_work_as_known_ones(make_relay, sink):
    relay = auth_relay(make_relay, max_failures_per_session=100, max_failures_per_address=1000,
                       max_failures_per_user=1000, max_failures_total=1000)
    sock = session(relay.port)
    known, unknown = [], []
    for i in range(3):
        for user, times in (("reception", known), (f"nobody{i}", unknown)):
            t0 = time.monotonic()
            assert command(sock, plain(user, "wrong")).startswith(b"535")
            times.append(time.monotonic() - t0)
    # the same scrypt cost: the reply time does not tell whether the user exists
    assert min(unknown) > min(known) / 3, (known, unknown)


def test_failures_are_limited_per_user_and_in_all(make_relay, sink):
    relay = auth_relay(make_relay, max_failures_per_address=100, max_failures_per_user=3,
                       max_failures_total=5)
    for i in range(3):  # three addresses, one guess each, for the same user
        sock = session(relay.port, f"127.0.0.{20 + i}")
        assert command(sock, plain("reception", f"guess-{i}")).startswith(b"535")
        sock.close()
    sock = session(relay.port, "127.0.0.30")  # a fresh address, the right password
    assert command(sock, plain("reception", PASSWORD)).startswith(b"454 4.7.0")
    for i in range(2):  # two more failures for other names: five in all
        assert command(sock, plain(f"user{i}", "guess")).startswith(b"535")
    sock.close()
    sock = session(relay.port, "127.0.0.31")
    assert command(sock, plain("someone", "guess")).startswith(b"454 4.7.0")
    sock.close()


# -- finding 11: no AUTH in clear, no AUTH without users --------------------------------


def test_auth_users_without_tls_are_refused_at_start_unless_allowed(tmp_path, sink):
    users = f'[server.auth]\nusers = {{ reception = "{hash_password(PASSWORD)}" }}\n'
    config = write_config(tmp_path, free_port(), sink.port, users)
    checked = subprocess.run([MAILSCREEN, "check-config", "--config", str(config)],
                             capture_output=True, text=True, timeout=60)
    assert checked.returncode == 2
    assert "allow_plaintext_auth" in checked.stderr and "in clear" in checked.stderr
    config.write_text(config.read_text().replace(
        "[server.auth]\n", "[server.auth]\nallow_plaintext_auth = true\n"))
    checked = subprocess.run([MAILSCREEN, "check-config", "--config", str(config)],
                             capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stderr


def test_no_auth_is_offered_without_users(relay, sink):
    sock = connect(relay.port)
    read_reply(sock)
    ehlo = command(sock, "EHLO client")
    assert b"AUTH" not in ehlo
    assert command(sock, plain("reception", PASSWORD))[:3] in (b"504", b"538")
    sock.close()


def test_auth_in_clear_works_only_when_allowed(make_relay, sink):
    allowed = auth_relay(make_relay)
    sock = session(allowed.port)
    assert command(sock, plain("reception", PASSWORD)).startswith(b"235")
    sock.close()
    refused = make_relay(server={"auth": AuthSettings(
        users={"reception": hash_password(PASSWORD)})})  # unvalidated settings, no TLS
    sock = session(refused.port)
    assert command(sock, plain("reception", PASSWORD)).startswith(b"538")
    sock.close()
