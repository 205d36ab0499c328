"""Connection limits and AUTH (issue 13, findings 9, 10 and 11), through the real relay
on real sockets: connection caps, command caps, password checks off the event loop, the
per-user and global failure limits, equal work for unknown users, no AUTH in clear."""
from __future__ import annotations

import base64
import select
import smtplib
import socket
import subprocess
import sys
import threading
from pathlib import Path

from conftest import free_port, message, wait_for, write_config
from harness import read_reply

from gateway.config import AuthSettings
from gateway.relay import smtp
from gateway.passwords import FailureLog, check_password, hash_password

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
    for s in mine:
        s.close()
    # six addresses, one each: no address is busier than a newcomer's would be
    others = [wait_for(lambda i=i: connect_served(relay.port, f"127.0.0.{i}"))
              for i in range(2, 8)]
    late = connect(relay.port, "127.0.0.8")
    assert read_reply(late).startswith(b"421 4.7.0 Too many connections")
    for s in others[:3]:
        s.close()
    # the slots come back: a legitimate client is served at once
    wait_for(lambda: connect_served(relay.port, "127.0.0.9"))
    for s in others[3:] + [extra, late]:
        s.close()


def connect_served(port: int, source: str) -> socket.socket | None:
    """A connection that got the greeting, or None (refused: closed)."""
    sock = connect(port, source)
    if read_reply(sock).startswith(b"220"):
        return sock
    sock.close()
    return None


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


def test_password_checks_do_not_stall_other_sessions(make_relay, sink, monkeypatch):
    """A password check that does not finish (a stand-in for a costly hash) while another
    session is served: on the event loop it would hold every session until it returned."""
    checking, finish = threading.Event(), threading.Event()

    def stuck_check(password, stored):
        checking.set()
        finish.wait(60)
        return False

    monkeypatch.setattr(smtp, "check_password", stuck_check)
    relay = auth_relay(make_relay, max_failures_per_address=1000, max_failures_per_user=1000)
    attacker = session(relay.port, "127.0.0.10")
    attacker.sendall(plain("reception", "guess").encode() + b"\r\n")
    try:
        assert checking.wait(60)
        legit = session(relay.port, "127.0.0.2")
        for _ in range(3):
            assert command(legit, "NOOP").startswith(b"250")
        legit.close()
    finally:
        finish.set()
    assert read_reply(attacker).startswith(b"535")  # the check then ends as usual
    attacker.close()


def test_unknown_users_cost_the_same_work_as_known_ones(make_relay, sink, monkeypatch):
    """An unknown user's password is checked against a hash with the configured scrypt cost,
    so the reply time cannot tell whether the user exists (the work, not a clock, compared)."""
    checked = []

    def recording_check(password, stored):
        checked.append(stored.split("$")[:4])  # scrypt, n, r, p
        return check_password(password, stored)

    monkeypatch.setattr(smtp, "check_password", recording_check)
    relay = auth_relay(make_relay, max_failures_per_session=100, max_failures_per_address=1000,
                       max_failures_per_user=1000)
    sock = session(relay.port)
    for user in ("reception", "nobody"):
        assert command(sock, plain(user, "wrong")).startswith(b"535")
    sock.close()
    known = hash_password("x", **SLOW).split("$")[:4]
    assert checked == [known, known], checked


def test_an_attacker_elsewhere_cannot_lock_a_user_or_everyone_out(make_relay, sink):
    relay = auth_relay(make_relay, max_failures_per_address=4, max_failures_per_user=2,
                       backoff_start=600)
    for a in range(4):  # four addresses guess for the user, and for other users, past
        for name in ("reception", "reception", f"user{a}", f"user{a}"):  # every limit
            sock = session(relay.port, f"127.0.0.{20 + a}")
            assert command(sock, plain(name, "guess"))[:3] in (b"535", b"454", b"421")
            sock.close()
        sock = session(relay.port, f"127.0.0.{20 + a}")
        assert command(sock, plain("reception", PASSWORD)).startswith(b"421 4.7.0")
        sock.close()
    sock = session(relay.port, "127.0.0.30")  # the user at their own address
    assert command(sock, plain("reception", PASSWORD)).startswith(b"235")
    sock.close()


def test_a_source_that_failed_is_backed_off_for_that_user(make_relay, sink):
    relay = auth_relay(make_relay, max_failures_per_user=2, backoff_start=600)
    sock = session(relay.port, "127.0.0.40")
    for _ in range(2):
        assert command(sock, plain("reception", "guess")).startswith(b"535")
    sock.close()
    sock = session(relay.port, "127.0.0.40")  # the right password, too late from there
    assert command(sock, plain("reception", PASSWORD)).startswith(b"454 4.7.0")
    sock.close()


def test_back_off_doubles_with_each_failure_up_to_its_cap():
    log = FailureLog(window=3600, start=100, cap=300)
    assert log.wait("k", allowed=2) == 0
    log.add("k")
    assert log.wait("k", allowed=2) == 0  # under the limit: no wait
    log.add("k")
    assert 99 < log.wait("k", allowed=2) <= 100
    log.add("k")
    assert 199 < log.wait("k", allowed=2) <= 200
    log.add("k")
    assert 299 < log.wait("k", allowed=2) <= 300  # 400, capped


def test_idle_connections_from_a_few_addresses_cannot_shut_out_another(make_relay, sink):
    relay = make_relay(server={"max_connections": 6, "max_connections_per_address": 2})
    idle = [connect(relay.port, f"127.0.0.{50 + i // 2}") for i in range(6)]  # 3 x 2
    assert all(read_reply(s).startswith(b"220") for s in idle)  # all slots taken, silent
    with smtplib.SMTP("127.0.0.1", relay.port, timeout=30,
                      source_address=("127.0.0.60", 0)) as client:
        assert client.sendmail("a@glowclinic.example", ["b@example.com"], message()) == {}
    wait_for(lambda: sink.messages)
    closed = [s for s in idle if select.select([s], [], [], 0)[0]]
    assert len(closed) == 1 and read_reply(closed[0]).startswith(b"421 4.7.0")
    for s in idle:
        s.close()


def test_a_client_that_says_nothing_is_dropped_before_the_session_timeout(make_relay, sink):
    relay = make_relay(server={"first_command_timeout": 0.5})  # timeout stays 300 s
    sock = connect(relay.port)
    assert read_reply(sock).startswith(b"220")
    assert read_reply(sock).startswith(b"421 4.4.2")  # within the socket's 30 s
    assert sock.recv(100) == b""
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
