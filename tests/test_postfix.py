"""mailscreen between real Postfix instances (Debian's postfix, started per test module
with its own config and queue directories on high loopback ports):

    relayhost:       client -> Postfix "front" -> mailscreen -> Postfix "gateway" -> sink
    content_filter:  client -> Postfix "gateway" :filtered -> mailscreen
                            -> Postfix "gateway" :re-injection -> sink

The settings are the ones docs/deploy/postfix.md gives."""
from __future__ import annotations

import email
import email.policy
import json
import os
import shutil
import smtplib

import pytest
from conftest import Relay, Sink, free_port, message, wait_for, write_config
from postfix import Postfix, postfix_root, skip_reason
from typer.testing import CliRunner

from cli.main import app
from gateway.config import load_config

# skipped on a developer's machine without root or postfix; in CI (CI=true) it must run
pytestmark = pytest.mark.skipif(bool(skip_reason()) and not os.environ.get("CI"),
                                reason=skip_reason() or "-")

SENDER = "reception@glowclinic.example"
NHS_BODY = "Our patient Jane Doe, NHS number 999 000 0018, had filler on Monday."


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    root = postfix_root()  # not under pytest's 0700 tmp: the postfix user must get in
    sink = Sink().start()
    front_port, filtered_port, reinject_port = free_port(), free_port(), free_port()
    mailscreen_port = free_port()
    config = write_config(root, mailscreen_port, reinject_port,
                          "[admin]\nfour_eyes_categories = []\nnotify_on_hold = false\n")
    relay = Relay(load_config(config)).start()
    gateway = Postfix(root, "gateway", {"relayhost": f"[127.0.0.1]:{sink.port}"}, [
        # mail from the clinic, handed to mailscreen after it is queued here
        f"127.0.0.1:{filtered_port} inet n - n - - smtpd"
        f" -o content_filter=mailscreen:[127.0.0.1]:{mailscreen_port}",
        # mailscreen's upstream: re-injection (and smart host), never filtered again
        f"127.0.0.1:{reinject_port} inet n - n - - smtpd -o content_filter="
        " -o receive_override_options=no_unknown_recipient_checks,no_header_body_checks,no_milters"
        " -o smtpd_client_restrictions= -o mynetworks=127.0.0.0/8",
        "mailscreen unix - - n - 4 smtp -o smtp_send_xforward_command=no"
        " -o smtp_tls_security_level=none -o smtp_dns_support_level=disabled",
    ]).start()
    front = Postfix(root, "front", {"relayhost": f"[127.0.0.1]:{mailscreen_port}",
                                    "smtp_tls_security_level": "none"},
                    [f"127.0.0.1:{front_port} inet n - n - - smtpd"]).start()
    try:
        yield {"sink": sink, "relay": relay, "config": config, "front": front_port,
               "filtered": filtered_port, "postfix": (front, gateway)}
    finally:
        for pf in (front, gateway):
            pf.stop()
        relay.stop()
        sink.stop()
        shutil.rmtree(root, ignore_errors=True)


def send(port: int, to: str, body: str = "See you on Tuesday at 10:00.", **options) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.ehlo("clinic-pc.test.example")
        client.sendmail(SENDER, [to], message(body=body, to=to), **options)


def received_by(data: bytes) -> list[str]:
    msg = email.message_from_bytes(data, policy=email.policy.compat32)
    return [" ".join(h.split()) for h in msg.get_all("Received", [])]


def logs(chain) -> str:
    return "\n".join(pf.maillog()[-4000:] for pf in chain["postfix"])


def test_relayhost_delivery_and_a_dsn_through_three_hops(chain):
    sink = chain["sink"]
    send(chain["front"], "sam@example.com")
    data = wait_for(lambda: sink.handler.to("sam@example.com"), timeout=60)[0]
    hops = received_by(data)
    gateway_hop = next(i for i, h in enumerate(hops) if "by gateway.test.example" in h)
    front_hop = next(i for i, h in enumerate(hops) if "by front.test.example" in h)
    assert gateway_hop < front_hop, hops  # newest first: the gateway after the front
    assert b"See you on Tuesday" in data

    # a recipient the final hop refuses: the gateway Postfix bounces, and the DSN
    # parameters the client gave survived Postfix -> mailscreen -> Postfix
    sink.handler.refuse_rcpt["gone@example.com"] = "550 5.1.1 No such user"
    send(chain["front"], "gone@example.com", mail_options=["RET=HDRS", "ENVID=CASE-4711"],
         rcpt_options=["NOTIFY=FAILURE"])
    bounce = wait_for(lambda: [d for d in sink.handler.to(SENDER)
                               if b"CASE-4711" in d], timeout=60)[0]
    assert b"Original-Envelope-Id: CASE-4711" in bounce, logs(chain)
    assert b"Action: failed" in bounce and b"gone@example.com" in bounce
    assert b"999 000" not in bounce


def test_content_filter_holds_and_releases_and_reinjects(chain):
    sink, relay, config = chain["sink"], chain["relay"], chain["config"]
    send(chain["filtered"], "ann@example.com")
    data = wait_for(lambda: sink.handler.to("ann@example.com"), timeout=60)[0]
    assert sum("by gateway.test.example" in h for h in received_by(data)) == 2  # in, re-injected

    before = set(relay.queue("hold"))
    send(chain["filtered"], "friend@example.com", body=NHS_BODY)
    held = wait_for(lambda: set(relay.queue("hold")) - before, timeout=60).pop()
    wait_for(lambda: chain["postfix"][1].queued() == 0, timeout=30)  # Postfix handed it over
    assert not sink.handler.to("friend@example.com")

    runner = CliRunner()
    listed = runner.invoke(app, ["held", "list", "--json", "--config", str(config)])
    assert held in {json.loads(line)["id"] for line in listed.stdout.splitlines()}
    released = runner.invoke(app, ["held", "release", held, "--reason-code", "consent_on_file",
                                   "--reason", "patient asked", "--config", str(config)],
                             env={"SUDO_USER": "alice"})
    assert released.exit_code == 0, released.output
    data = wait_for(lambda: sink.handler.to("friend@example.com"), timeout=60)[0]
    assert b"999 000 0018" in data  # released as sent, through the re-injection port
    assert sum("by gateway.test.example" in h for h in received_by(data)) == 2
