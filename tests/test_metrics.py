"""Metrics scraped over HTTP from a real relay process, `mailscreen status` against it,
and JSON log lines that carry no more than the plain ones."""
from __future__ import annotations

import json
import smtplib
import urllib.request

from conftest import RelayProcess, Sink, free_port, message, wait_for, write_config
from typer.testing import CliRunner

from cli.main import app

SENDER = "reception@glowclinic.example"
NHS_BODY = "Our patient Jane Doe, NHS number 999 000 0018, had filler on Monday."


def scrape(port: int) -> dict[str, float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
        assert r.status == 200
        text = r.read().decode()
    samples = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            samples[name] = float(value)
    return samples


def test_metrics_status_and_json_logs_from_a_real_relay(tmp_path):
    sink = Sink().start()
    port, metrics_port = free_port(), free_port()
    config = write_config(tmp_path, port, sink.port, f"[metrics]\nport = {metrics_port}\n")
    config.write_text('log_format = "json"\n' + config.read_text())  # a top-level key
    relay = RelayProcess(config, port).start()
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
            client.sendmail(SENDER, ["sam@example.com"], message(to="sam@example.com"))
            client.sendmail(SENDER, ["friend@example.com"],
                            message(body=NHS_BODY, to="friend@example.com"))
        wait_for(lambda: sink.handler.to("sam@example.com"))
        m = wait_for(lambda: (lambda s: s if s.get("mailscreen_scan_seconds_count") == 2
                              else None)(scrape(metrics_port)))
        # held mail is in the quarantine database, not in the spool's hold/ (admin holds)
        assert m['mailscreen_queue_messages{queue="hold"}'] == 0
        assert m['mailscreen_messages_total{action="pass",category="none"}'] == 1
        assert m['mailscreen_messages_total{action="hold",category="patient_data"}'] == 1
        assert m["mailscreen_scan_seconds_count"] == 2
        assert m['mailscreen_deliveries_total{result="delivered"}'] >= 1
        assert m["mailscreen_corrupt_messages"] == 0
        assert m["mailscreen_deferred_messages"] == 0

        # the upstream refuses for a while: an upstream error and a deferred message
        sink.handler.refuse_rcpt["ann@example.com"] = "451 4.2.0 Mailbox busy"
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
            client.sendmail(SENDER, ["ann@example.com"], message(to="ann@example.com"))
        m = wait_for(lambda: (lambda s: s if s.get(
            'mailscreen_upstream_errors_total{kind="temporary"}', 0) >= 1 else None)(
                scrape(metrics_port)))
        assert m['mailscreen_deliveries_total{result="deferred"}'] >= 1
        assert m['mailscreen_queue_messages{queue="outgoing"}'] \
            + m['mailscreen_queue_messages{queue="sending"}'] == 1

        shown = CliRunner().invoke(app, ["status", "--json", "--config", str(config)])
        report = json.loads(shown.stdout)
        assert report["relay"]["up"] and report["upstream"]["up"]
        assert report["held"]["count"] == 1
        assert report["last_24h"] == {"pass": 2, "hold": 1}
        assert report["metrics"].endswith(f":{metrics_port}/metrics")
        assert shown.exit_code == 0, report["problems"]
        screen = CliRunner().invoke(app, ["status", "--config", str(config)],
                                    env={"COLUMNS": "80"})
        assert "held for review  1" in screen.stdout and "all well" in screen.stdout
    finally:
        relay.stop()
        sink.stop()

    down = CliRunner().invoke(app, ["status", "--config", str(config)])
    assert down.exit_code == 1 and "not answering" in down.stdout

    log = config.with_suffix(".log").read_text()
    lines = [json.loads(line) for line in log.splitlines() if line.strip()]
    assert any(r.get("queue_id") and "action=hold" in r["message"] for r in lines)
    assert "999 000 0018" not in log and "0018" not in log
