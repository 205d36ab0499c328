"""Protocol and access hardening, over raw sockets where a client library would refuse
to send the bytes: STARTTLS injection, AUTH rules and brute force, command and line
limits, recipient floods, slow and vanishing clients."""
from __future__ import annotations

import base64
import logging
import smtplib
import socket
import ssl
import subprocess

import pytest
from conftest import message, wait_for
from harness import read_reply

from gateway.config import AuthSettings, TlsSettings
from gateway.passwords import hash_password

PASSWORD = "s3cret-Passw0rd"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    d = tmp_path_factory.mktemp("tls")
    cert, key = d / "cert.pem", d / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=localhost", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    return cert, key


def client_context(cert) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(cert))
    context.check_hostname = False
    return context


def tls_relay(make_relay, certificate, **auth):
    cert, key = certificate
    return make_relay(server={
        "relay_networks": ["192.0.2.0/24"],
        "tls": TlsSettings(cert_file=str(cert), key_file=str(key)),
        "auth": AuthSettings(users={"reception": hash_password(PASSWORD)}, **auth),
    })


def test_commands_pipelined_after_starttls_are_not_executed(make_relay, sink, certificate):
    relay = tls_relay(make_relay, certificate)
    raw = socket.create_connection(("127.0.0.1", relay.port), timeout=10)
    read_reply(raw)
    raw.sendall(b"EHLO attacker\r\n")
    read_reply(raw)
    raw.sendall(b"STARTTLS\r\nMAIL FROM:<injected@example.org>\r\n")  # one packet
    assert read_reply(raw).startswith(b"220")
    tls = client_context(certificate[0]).wrap_socket(raw, server_hostname="localhost")
    tls.sendall(b"EHLO attacker\r\n")
    read_reply(tls)
    tls.sendall(b"RCPT TO:<victim@example.net>\r\n")
    reply = read_reply(tls)
    assert reply.startswith(b"503"), reply  # the injected MAIL was thrown away
    tls.close()


def test_auth_before_tls_is_538_and_without_auth_relay_is_refused(make_relay, sink, certificate):
    relay = tls_relay(make_relay, certificate)
    with smtplib.SMTP("127.0.0.1", relay.port, timeout=10) as client:
        client.ehlo()
        code, _ = client.docmd("AUTH", "PLAIN " + base64.b64encode(
            f"\0reception\0{PASSWORD}".encode()).decode())
        assert code == 538
        client.mail("a@glowclinic.example")
        assert client.rcpt("b@example.com")[0] == 554  # not in relay_networks, not authenticated


def test_auth_required_means_530_before_auth(make_relay, sink, certificate):
    relay = tls_relay(make_relay, certificate, required=True)
    with smtplib.SMTP("127.0.0.1", relay.port, timeout=10) as client:
        client.starttls(context=client_context(certificate[0]))
        client.ehlo()
        code, reply = client.mail("a@glowclinic.example")
        assert code == 530 and b"Authentication required" in reply
        client.login("reception", PASSWORD)
        assert client.sendmail("a@glowclinic.example", ["b@example.com"], message()) == {}
    wait_for(lambda: sink.messages)


def test_authenticated_user_may_not_send_as_another_domain(make_relay, sink, certificate):
    relay = tls_relay(make_relay, certificate, sender_domains=["glowclinic.example"])
    with smtplib.SMTP("127.0.0.1", relay.port, timeout=10) as client:
        client.starttls(context=client_context(certificate[0]))
        client.login("reception", PASSWORD)
        code, reply = client.mail("boss@otherclinic.example")
        assert code == 550 and reply.startswith(b"5.7.1")
        client.rset()
        assert client.mail("reception@GlowClinic.example")[0] == 250


def test_auth_brute_force_is_cut_off_per_session_and_per_address(make_relay, sink, certificate,
                                                                 caplog):
    caplog.set_level(logging.DEBUG)
    logging.getLogger("mail.log").setLevel(logging.DEBUG)
    relay = tls_relay(make_relay, certificate, max_failures_per_session=3,
                      max_failures_per_address=5, backoff_start=600)
    context = client_context(certificate[0])

    def attempt(client, password):
        token = base64.b64encode(f"\0reception\0{password}".encode()).decode()
        return client.docmd("AUTH", "PLAIN " + token)

    with smtplib.SMTP("127.0.0.1", relay.port, timeout=10) as client:
        client.starttls(context=context)
        client.ehlo()
        assert attempt(client, "guess-one")[0] == 535
        assert attempt(client, "guess-two")[0] == 535
        code, reply = attempt(client, "guess-three")
        assert code == 421 and b"Too many authentication failures" in reply
        with pytest.raises((smtplib.SMTPServerDisconnected, OSError)):
            client.noop()
    with smtplib.SMTP("127.0.0.1", relay.port, timeout=10) as client:  # 3 failures so far
        client.starttls(context=context)
        client.ehlo()
        assert attempt(client, "guess-four")[0] == 535
        assert attempt(client, "guess-five")[0] == 421  # 5 from this address
    with smtplib.SMTP("127.0.0.1", relay.port, timeout=10) as client:
        client.starttls(context=context)
        client.ehlo()
        assert attempt(client, PASSWORD)[0] == 421  # locked out, even with the right one
    for secret in ("guess-one", "guess-three", PASSWORD, base64.b64encode(
            f"\0reception\0{PASSWORD}".encode()).decode()):
        assert secret not in caplog.text


def test_long_lines_and_commands_get_500_and_the_session_goes_on(relay, sink):
    with smtplib.SMTP("127.0.0.1", relay.port, timeout=10) as client:
        client.ehlo()
        code, _ = client.docmd("NOOP " + "x" * 600)
        assert code == 500
        client.mail("a@glowclinic.example")
        client.rcpt("b@example.com")
        code, reply = client.data(message(body="y" * 1001))
        assert code == 500 and b"too long" in reply.lower()
        assert client.sendmail("a@glowclinic.example", ["b@example.com"], message()) == {}
    wait_for(lambda: len(sink.messages) == 1)


def test_ten_thousand_recipients_get_452_past_the_cap_and_the_rest_is_delivered_once(relay, sink):
    rcpts = [f"patient{i}@example.com" for i in range(10_000)]
    with smtplib.SMTP("127.0.0.1", relay.port, timeout=30) as client:
        refused = client.sendmail("a@glowclinic.example", rcpts, message())
    assert len(refused) == 10_000 - 100 and all(c == 452 for c, _ in refused.values())
    wait_for(lambda: sink.messages or relay.queue("hold"))
    wait_for(relay.idle)
    delivered = [r for _, rs, _ in sink.messages for r in rs]
    held = relay.queue("hold")
    assert held == [] and sorted(delivered) == sorted(rcpts[:100])  # the first 100, once each
    assert len(delivered) == len(set(delivered))


def test_a_one_megabyte_header_is_refused(relay, sink):
    header = "X-Big: " + "a" * 900 + "".join("\r\n " + "b" * 900 for _ in range(1100)) + "\r\n"
    with pytest.raises(smtplib.SMTPDataError) as refused:
        with smtplib.SMTP("127.0.0.1", relay.port, timeout=30) as client:
            client.sendmail("a@glowclinic.example", ["b@example.com"], message(extra=header))
    assert refused.value.smtp_code == 552
    assert relay.app.spool.counts()["incoming"] == 0


def test_idle_client_gets_421_and_is_disconnected(make_relay, sink):
    relay = make_relay(server={"timeout": 1.0})
    # the 60 s socket timeout only catches a relay that never hangs up
    with socket.create_connection(("127.0.0.1", relay.port), timeout=60) as s:
        read_reply(s)
        s.sendall(b"EHLO slow\r\n")
        read_reply(s)
        rest = b""
        while chunk := s.recv(4096):
            rest += chunk
        assert rest.startswith(b"421 4.4.2")
    assert send_ok(relay)  # and the relay serves the next client


def send_ok(relay) -> bool:
    with smtplib.SMTP("127.0.0.1", relay.port, timeout=10) as client:
        return client.sendmail("a@glowclinic.example", ["b@example.com"], message()) == {}


def test_disconnect_mid_data_leaves_nothing(relay, sink):
    with socket.create_connection(("127.0.0.1", relay.port), timeout=10) as s:
        read_reply(s)
        s.sendall(b"EHLO gone\r\nMAIL FROM:<a@glowclinic.example>\r\nRCPT TO:<b@example.com>\r\n"
                  b"DATA\r\n")
        buf = b""
        while b"354" not in buf:
            buf += s.recv(4096)
        s.sendall(b"Subject: half\r\n\r\nthe first half of a message and then")
    assert b"250 2.0.0" not in buf
    # a whole message sent after the broken one is the only one screened and delivered
    assert send_ok(relay)
    wait_for(lambda: sink.messages and relay.idle())
    assert len(relay.app.store.logs()) == 1 and len(sink.messages) == 1
    assert b"the first half" not in sink.messages[0][2]
    wait_for(lambda: all(n == 0 for n in relay.app.spool.counts().values()))  # trash/ too
