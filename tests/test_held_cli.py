"""`held list` as read at 80 columns, with a status column, a recipient filter and
errors for unknown filter values; a bulk action lists what it will act on first. And
start-up errors that name the setting and file at fault, before the scanners load."""
from __future__ import annotations

import json
import subprocess

from conftest import free_port, wait_for, write_config
from test_admin_cli import MAILSCREEN, cli, env, hold  # noqa: F401 (env is a fixture)
from typer.testing import CliRunner

from cli.main import app


def wide(config, *args, columns: int = 80):
    return CliRunner().invoke(app, [*args, "--config", str(config)],
                              env={"SUDO_USER": "alice", "COLUMNS": str(columns)})


def test_held_list_at_80_columns_status_recipient_and_bulk(env):
    config, relay = env()
    ids = hold(relay, 3)
    assert cli(config, "held", "release", ids[0], "--reason-code", "other",
               "--reason", "fine").exit_code == 0

    def released_gone():
        out = wide(config, "held", "list")
        return out if ids[0] not in out.stdout else None

    listed = wait_for(released_gone, timeout=30, interval=0.5)
    assert listed.exit_code == 0
    lines = listed.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines)
    header = next(line for line in lines if line.lstrip().startswith("id"))
    assert header.split() == ["id", "age", "sender", "to", "subject", "rule"]
    assert all(i in listed.stdout for i in ids[1:]) and ids[0] not in listed.stdout

    every = wide(config, "held", "list", "--status", "all")
    header = next(line for line in every.stdout.splitlines() if line.lstrip().startswith("id"))
    assert "status" in header.split() and "released" in every.stdout

    rows = [json.loads(line) for line in cli(config, "held", "list", "--json").stdout.splitlines()]
    assert len(rows) == 2  # the two still held, each to one friend<n>@example.com
    (target, other), recipient = (rows[0]["id"], rows[1]["id"]), rows[0]["recipients"][0]
    one = wide(config, "held", "list", "--recipient", recipient.split("@")[0] + "@")
    assert target in one.stdout and other not in one.stdout

    bad = wide(config, "held", "list", "--category", "patient-data")
    assert bad.exit_code == 1 and "unknown category 'patient-data'" in bad.stderr
    assert "patient_data" in bad.stderr
    bad = wide(config, "held", "list", "--rule", "uk_nhs_numbr")
    assert bad.exit_code == 1 and "unknown rule" in bad.stderr

    asked = CliRunner().invoke(app, ["held", "reject", "--all-matching", "--reason", "no",
                                     "--config", str(config)], input="n\n",
                               env={"SUDO_USER": "alice", "COLUMNS": "80"})
    assert asked.exit_code == 1
    assert ids[1] in asked.stdout and ids[2] in asked.stdout  # listed before the question
    assert "Reject these 2 held message(s)?" in asked.stdout
    assert relay.queue("hold") == sorted(ids[1:])


def run(*args, timeout=30):
    return subprocess.run([MAILSCREEN, *args], capture_output=True, text=True, timeout=timeout)


def test_start_up_errors_name_the_missing_file_and_the_busy_port(tmp_path):
    config = write_config(tmp_path, free_port(), free_port(), "")
    text = config.read_text().replace("timeout = 5\n", 'timeout = 5\nusername = "relay"\n'
                                      'password_file = "/nonexistent/relay.pass"\n', 1)
    config.write_text(text + '[server.tls]\ncert_file = "/nonexistent/cert.pem"\n'
                             'key_file = "/nonexistent/key.pem"\n')
    checked = run("check-config", "--config", str(config))
    assert checked.returncode == 2
    assert "'upstream.password_file'" in checked.stderr and "/nonexistent/relay.pass" in checked.stderr
    assert "'server.tls.cert_file'" in checked.stderr and "does not exist" in checked.stderr
    served = run("serve", "--config", str(config))
    assert served.returncode == 2 and "'server.tls.cert_file'" in served.stderr
    assert "cannot open the data directory" not in served.stderr

    import socket
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    port = busy.getsockname()[1]
    try:
        config = write_config(tmp_path, port, free_port(), "")
        served = run("serve", "--config", str(config))
        assert served.returncode == 1
        assert f"cannot listen on 127.0.0.1:{port} ('server.port')" in served.stderr
    finally:
        busy.close()
