"""SIGHUP re-reads the config: the new policy applies to the next message, a bad file
changes nothing, and the reload is in the audit log."""
from __future__ import annotations

import json
import signal
import smtplib

from conftest import Sink, free_port, message, wait_for, write_config
from test_crash import Process

from gateway.config import load_config
from gateway.database.store import Store

# to a colleague: profanity inside the clinic is medium (tag) until the policy says hold
SWEARY = message(subject="Rota", body="This bloody rota is a shit show, sort it out.",
                 to="manager@glowclinic.example")


def test_sighup_applies_a_new_policy_and_refuses_a_bad_file(tmp_path):
    from typer.testing import CliRunner

    from cli.main import app

    sink = Sink().start()
    port = free_port()
    config = write_config(tmp_path, port, sink.port)
    relay = Process(config, port).start()
    store = Store(load_config(config).db_url)

    def held() -> set[str]:  # held mail is in the quarantine database
        return store.held_ids(status="held")

    try:
        def send():
            with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
                client.sendmail("reception@glowclinic.example", ["manager@glowclinic.example"],
                                SWEARY)

        send()
        wait_for(lambda: len(sink.messages) == 1)
        assert b"X-Mailscreen-Verdict: tag" in sink.messages[0][2]

        config.write_text(config.read_text() + '\n[policy]\nrules = { language_profanity = "hold" }\n')
        relay.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: b"config reloaded" in config.with_suffix(".log").read_bytes())
        send()
        wait_for(held)
        assert len(sink.handler.to("manager@glowclinic.example")) == 1

        good = config.read_text()
        config.write_text(good + "\n[server]\nlisen = 1\n")  # a typo: refused
        relay.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: b"reload refused" in config.with_suffix(".log").read_bytes())
        assert relay.proc.poll() is None
        send()  # the running policy still holds it
        wait_for(lambda: len(held()) == 2)

        config.write_text(good)
        events = CliRunner().invoke(app, ["audit", "--json", "--config", str(config)])
        reloads = [json.loads(line) for line in events.stdout.splitlines()]
        assert [e["action"] for e in reloads] == ["config_reload"]
        assert reloads[0]["detail"]["applied"] == ["policy"]
    finally:
        relay.stop()
        sink.stop()
        store.dispose()
