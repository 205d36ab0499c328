"""Mail loops: a message that has passed too many hops is refused at DATA (nothing queued),
and a relay whose upstream is its own listening address refuses to start. A real relay,
real SMTP clients, the real `mailscreen` command."""
from __future__ import annotations

import smtplib
import subprocess

import pytest
from conftest import message, wait_for, write_config
from harness import free_port, mailscreen_command


def hops(n: int) -> str:
    return "".join(f"Received: from hop{i}.example ([192.0.2.{i % 250}]) by mx{i}.example "
                   f"with ESMTP id {i};\r\n\tTue, 24 Nov 2026 10:00:{i % 60:02d} +0000\r\n"
                   for i in range(n))


def test_past_fifty_hops_a_message_is_refused_and_nothing_is_queued(relay, sink):
    with smtplib.SMTP("127.0.0.1", relay.port, timeout=30) as client:
        with pytest.raises(smtplib.SMTPDataError) as refused:
            client.sendmail("a@glowclinic.example", ["b@example.com"],
                            message(extra=hops(51)))
        assert refused.value.smtp_code == 554
        assert refused.value.smtp_error.startswith(b"5.4.6 Too many hops")
        assert relay.app.spool.counts() == {q: 0 for q in relay.app.spool.counts()}
        assert client.sendmail("a@glowclinic.example", ["b@example.com"],
                               message(subject="Fifty", extra=hops(50))) == {}
    wait_for(lambda: sink.messages)
    (_, _, data), = sink.messages
    assert data.count(b"\r\nReceived: ") == 50  # as sent ...
    assert sink.handler.traced[0].startswith(b"Received: from ")  # ... and ours on top


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([mailscreen_command(), *args], capture_output=True, text=True,
                          timeout=120, stdin=subprocess.DEVNULL, check=False)


@pytest.mark.parametrize("listen", ["127.0.0.1", "0.0.0.0"])
def test_a_relay_whose_upstream_is_itself_refuses_to_start(tmp_path, listen):
    port = free_port()
    config = write_config(tmp_path, port, port)  # upstream 127.0.0.1, the same port
    config.write_text(config.read_text().replace("[server]\n", f'[server]\nhost = "{listen}"\n'))
    for command in ("check-config", "serve"):
        result = run(command, "--config", str(config))
        assert result.returncode == 2, (command, result.stdout, result.stderr)
        assert "own listening address" in result.stderr and "loop" in result.stderr
    assert not (tmp_path / "data").exists()  # refused before anything was made


def test_an_upstream_on_another_port_of_this_host_is_fine(tmp_path):
    config = write_config(tmp_path, free_port(), free_port())
    result = run("check-config", "--config", str(config))
    assert result.returncode == 0, result.stderr
