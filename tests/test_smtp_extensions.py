"""ESMTP as a mail engineer expects it: PIPELINING, ENHANCEDSTATUSCODES and DSN in EHLO,
DSN parameters kept and honoured (NOTIFY=NEVER: no bounce), and upstream TLS with a CA
file, without verification, implicit TLS (465) and a client certificate."""
from __future__ import annotations

import smtplib
import ssl
import subprocess
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from conftest import SinkHandler, free_port, message, wait_for

from gateway.config import UpstreamSettings
from gateway.relay.delivery import SmtpTransport, TemporaryDeliveryError

SENDER = "reception@glowclinic.example"


def test_ehlo_advertises_pipelining_enhanced_codes_and_dsn(relay):
    with smtplib.SMTP("127.0.0.1", relay.port, timeout=10) as client:
        client.ehlo("client.example")
        for keyword in ("pipelining", "enhancedstatuscodes", "dsn", "8bitmime", "size"):
            assert client.has_extn(keyword), keyword
        # pipelined: MAIL, RCPT, RCPT, DATA in one write, answered in order
        client.sock.sendall(b"MAIL FROM:<a@glowclinic.example>\r\nRCPT TO:<b@example.com>\r\n"
                            b"RCPT TO:<c@example.com>\r\nDATA\r\n")
        replies = [client.getreply()[0] for _ in range(4)]
        assert replies == [250, 250, 250, 354]
        client.sock.sendall(message(to="b@example.com") + b".\r\n")
        code, reply = client.getreply()
        assert code == 250 and reply.startswith(b"2.0.0")


def test_dsn_parameters_are_kept_and_notify_never_suppresses_the_bounce(make_relay, sink):
    relay = make_relay()
    sink.handler.refuse_rcpt["gone@example.com"] = "550 5.1.1 No such user"
    sink.handler.refuse_rcpt["gone2@example.com"] = "550 5.1.1 No such user"
    with smtplib.SMTP("127.0.0.1", relay.port, timeout=10) as client:
        client.ehlo("client.example")
        client.sendmail(SENDER, ["gone@example.com"], message(to="gone@example.com"),
                        mail_options=["RET=HDRS", "ENVID=QQ314159"],
                        rcpt_options=["NOTIFY=FAILURE", "ORCPT=rfc822;gone@example.com"])
        client.sendmail(SENDER, ["gone2@example.com"], message(to="gone2@example.com"),
                        rcpt_options=["NOTIFY=NEVER"])
        code, reply = client.docmd("MAIL FROM:<a@glowclinic.example> RET=EVERYTHING")
        assert code == 501 and b"5.5.4" in reply
    wait_for(relay.idle)
    bounces = sink.handler.to(SENDER)
    assert len(bounces) == 1  # the NOTIFY=NEVER one is not reported
    assert b"Original-Envelope-Id: QQ314159" in bounces[0]
    assert b"Original-Recipient: rfc822;gone@example.com" in bounces[0]
    assert b"Action: failed" in bounces[0]


def make_cert(directory: Path, name: str) -> tuple[str, str]:
    cert, key = directory / f"{name}.pem", directory / f"{name}.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-keyout", str(key), "-out", str(cert), "-subj", f"/CN={name}",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                   check=True, capture_output=True)
    return str(cert), str(key)


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    d = tmp_path_factory.mktemp("certs")
    return {"server": make_cert(d, "upstream"), "client": make_cert(d, "mailscreen")}


def tls_sink(certs, implicit: bool, client_ca: str = ""):
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(*certs["server"])
    if client_ca:
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(client_ca)
    handler = SinkHandler()
    kwargs = {"ssl_context": ctx} if implicit else {"tls_context": ctx, "require_starttls": True}
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), **kwargs)
    controller.start()
    return controller, handler


@pytest.mark.parametrize("implicit", [False, True], ids=["starttls", "implicit-465"])
def test_upstream_tls_ca_file_verify_and_client_certificate(certs, implicit):
    controller, handler = tls_sink(certs, implicit, client_ca=certs["client"][0])
    try:
        base = dict(host="127.0.0.1", port=controller.port, starttls=not implicit,
                    implicit_tls=implicit, timeout=5)
        ok = SmtpTransport(UpstreamSettings(**base, ca_file=certs["server"][0],
                                            cert_file=certs["client"][0],
                                            key_file=certs["client"][1]))
        assert ok.send(SENDER, ["sam@example.com"], message()) == {}
        ok.close()
        assert len(handler.messages) == 1

        # the system store does not know a self-made certificate: a temporary failure
        with pytest.raises(TemporaryDeliveryError, match="CERTIFICATE_VERIFY_FAILED|SSL"):
            SmtpTransport(UpstreamSettings(**base, cert_file=certs["client"][0],
                                           key_file=certs["client"][1])).send(
                SENDER, ["sam@example.com"], message())
        # verify = false accepts it; no client certificate: this upstream refuses
        unverified = SmtpTransport(UpstreamSettings(**base, verify=False,
                                                    cert_file=certs["client"][0],
                                                    key_file=certs["client"][1]))
        assert unverified.send(SENDER, ["sam@example.com"], message()) == {}
        unverified.close()
        with pytest.raises(TemporaryDeliveryError):
            SmtpTransport(UpstreamSettings(**base, ca_file=certs["server"][0])).send(
                SENDER, ["sam@example.com"], message())
        assert len(handler.messages) == 2
    finally:
        controller.stop()
