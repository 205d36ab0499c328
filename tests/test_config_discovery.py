"""The admin CLI as installed (issue 23): it finds the system config without being told,
says which config it used, never makes a data directory when it only looks, says so when
the database is down, and ends quietly when its output is piped into `head`."""
from __future__ import annotations

import json
import logging
import os
import smtplib
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Relay, free_port, message, wait_for, write_config
from typer.testing import CliRunner

from cli.main import app
from gateway import config as config_module
from gateway.config import ConfigError, Settings, config_path, load_config
from gateway.control import Control, ControlError, ControlServer, request
from gateway.database.store import Store
from gateway.relay.spool import Spool

pytestmark = pytest.mark.slow  # starts relays and `mailscreen` processes

MAILSCREEN = str(Path(sys.executable).with_name("mailscreen"))
NHS_BODY = "Our patient Jane Doe, NHS number 999 000 0018, had filler on Monday."


@pytest.fixture
def system(tmp_path, monkeypatch):
    """SYSTEM_CONFIG moved into tmp_path (not there yet), and no $MAILSCREEN_CONFIG: as
    under sudo, which drops it."""
    path = tmp_path / "etc" / "mailscreen.toml"
    monkeypatch.setattr(config_module, "SYSTEM_CONFIG", path)
    monkeypatch.delenv("MAILSCREEN_CONFIG", raising=False)
    return path


def invoke(*args):
    return CliRunner().invoke(app, list(args))


def test_the_option_then_the_environment_then_the_system_file_then_the_defaults(
        tmp_path, system, monkeypatch):
    assert config_path(None) is None
    system.parent.mkdir()
    system.write_text("")
    assert config_path(None) == system
    monkeypatch.setenv("MAILSCREEN_CONFIG", str(tmp_path / "env.toml"))
    assert config_path(None) == tmp_path / "env.toml"
    assert config_path(tmp_path / "option.toml") == tmp_path / "option.toml"


def test_held_list_and_status_find_the_installed_config_without_being_told(
        tmp_path, system, sink):
    system.parent.mkdir()
    write_config(system.parent, free_port(), sink.port, name=system.name)
    relay = Relay(load_config(system)).start()
    try:
        with smtplib.SMTP("127.0.0.1", relay.port, timeout=10) as client:
            client.sendmail("reception@glowclinic.example", ["friend@example.com"],
                            message(body=NHS_BODY, to="friend@example.com"))
        held = wait_for(lambda: relay.queue("hold"))
        listed = invoke("held", "list", "--json")
        assert listed.exit_code == 0, listed.output
        assert [json.loads(line)["id"] for line in listed.stdout.splitlines()] == held
        assert f"config: {system}" in invoke("held", "list").stderr
        status = invoke("status")
        assert status.stdout.splitlines()[0] == f"config: {system}"
        assert "held for review  1" in status.stdout
        assert json.loads(invoke("status", "--json").stdout)["config"] == str(system)
    finally:
        relay.stop()


READ_ONLY = (["status"], ["held", "list"], ["held", "show", "abc"], ["audit"],
             ["audit", "verify"], ["report", "weekly"], ["queue", "list"],
             ["patients", "count"], ["staff", "list"], ["works", "list"])


@pytest.mark.parametrize("command", READ_ONLY, ids=" ".join)
def test_a_look_from_the_wrong_place_makes_nothing_and_says_why(tmp_path, system, monkeypatch,
                                                               command):
    here = tmp_path / "cwd"
    here.mkdir()
    monkeypatch.chdir(here)
    # a relay installed on this machine answers on the default admin socket; these
    # defaults have no relay of their own, and the look must go to their data directory
    monkeypatch.setattr("gateway.control.relay_socket", lambda settings: None)
    monkeypatch.setattr("cli.audit.relay_socket", lambda settings: None)
    result = invoke(*command)
    assert result.exit_code == 1
    assert f"no data directory at {here / 'data'}" in result.stderr
    assert "config: built-in defaults" in result.stderr
    assert list(here.iterdir()) == []
    assert "Traceback" not in result.output


def test_a_look_never_makes_the_key(tmp_path):
    config = write_config(tmp_path, free_port(), free_port())
    settings = load_config(config)
    Store(settings.db_url).create().dispose()  # a database, but no relay ever started
    result = invoke("audit", "verify", "--config", str(config))
    assert result.exit_code == 1 and "key file not found" in result.stderr
    assert not settings.key_path.exists()


def test_status_fails_when_the_relay_it_is_configured_for_does_not_answer(tmp_path, sink):
    config = write_config(tmp_path, free_port(), sink.port)
    Store(load_config(config).db_url).create().dispose()
    result = invoke("status", "--config", str(config))
    assert result.exit_code == 1
    assert result.stdout.splitlines()[0] == f"config: {config}"
    assert "the relay is not answering" in result.stdout


def closed_port() -> int:
    return free_port()  # bound and closed again: nothing listens there


def test_a_database_that_is_down_is_named_without_its_password(tmp_path):
    pytest.importorskip("psycopg")
    url = f"postgresql://mailscreen:s3cret@127.0.0.1:{closed_port()}/mailscreen"
    config = write_config(tmp_path, free_port(), free_port(), database_url=url)
    (tmp_path / "data").mkdir()
    result = invoke("held", "list", "--config", str(config))
    assert result.exit_code == 1, result.output
    assert "mailscreen: database unavailable: postgresql+psycopg://mailscreen:***@127.0.0.1:" \
        in result.stderr
    assert "s3cret" not in result.output and "Traceback" not in result.output


def test_an_sqlite_file_that_cannot_be_opened_is_named(tmp_path):
    config = write_config(tmp_path, free_port(), free_port())
    (tmp_path / "data" / "mailscreen.db").mkdir(parents=True)  # not a file a database opens
    result = invoke("queue", "hold", "abc", "--config", str(config))  # writes the audit log
    result = invoke("report", "weekly", "--config", str(config))
    assert result.exit_code == 1, result.output
    assert f"database unavailable: sqlite:///{tmp_path / 'data' / 'mailscreen.db'}: unable " \
           "to open database file" in result.stderr


def test_the_relay_says_the_database_is_down_over_the_admin_socket(tmp_path, caplog):
    pytest.importorskip("psycopg")
    url = f"postgresql://mailscreen:s3cret@127.0.0.1:{closed_port()}/mailscreen"
    settings = Settings(data_dir=str(tmp_path / "data"), database_url=url)
    server = ControlServer(tmp_path / "admin.sock", Control(
        settings, Store(settings.db_url), Spool(tmp_path / "spool"))).start()
    try:
        with pytest.raises(ControlError) as refused:
            request(tmp_path / "admin.sock", "held.find", status="held")
    finally:
        server.stop()
    assert str(refused.value).startswith(
        "database unavailable: postgresql+psycopg://mailscreen:***@127.0.0.1:")
    assert "internal error" not in str(refused.value) and "s3cret" not in caplog.text


def test_output_into_a_closed_pipe_ends_quietly(tmp_path, sink):
    config = write_config(tmp_path, free_port(), sink.port)
    relay = Relay(load_config(config)).start()
    try:
        with smtplib.SMTP("127.0.0.1", relay.port, timeout=10) as client:
            client.sendmail("reception@glowclinic.example", ["friend@example.com"],
                            message(body=NHS_BODY, to="friend@example.com"))
        wait_for(lambda: relay.queue("hold"))
        for command in (["held", "list"], ["held", "list", "--json"], ["status"],
                        ["report", "weekly", "--format", "csv"], ["queue", "list"]):
            reader, writer = os.pipe()
            os.close(reader)  # `| head -0`: whatever the command writes meets a closed pipe
            try:
                done = subprocess.run([MAILSCREEN, *command, "--config", str(config)],
                                      stdout=writer, stderr=subprocess.PIPE, text=True,
                                      timeout=60)
            finally:
                os.close(writer)
            assert done.returncode == 141, (command, done.stderr)
            noise = done.stderr.replace(f"config: {config}\n", "")
            assert noise == "", (command, done.stderr)
    finally:
        relay.stop()


def test_the_relay_takes_a_client_that_left_before_its_answer_calmly(tmp_path, sink, capfd,
                                                                     caplog):
    caplog.set_level(logging.INFO, logger="mailscreen.control")
    config = write_config(tmp_path, free_port(), sink.port)
    relay = Relay(load_config(config)).start()
    try:
        for _ in range(3):
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                s.connect(str(relay.settings.admin.socket))
                # no newline: the relay reads the request at our close, so it always
                # answers a client that has gone
                s.sendall(json.dumps({"op": "held.find", "args": {}}).encode())
        wait_for(lambda: caplog.text.count("the client left before the answer") == 3)
        assert "internal error" not in caplog.text
    finally:
        relay.stop()
    err = capfd.readouterr().err
    assert "Traceback" not in err and "BrokenPipeError" not in err


def test_check_config_refuses_what_cannot_work(tmp_path):
    def check(text: str):
        path = tmp_path / "mailscreen.toml"
        path.write_text(text + '[server]\nhostname = "mail.glowclinic.example"\n')
        return subprocess.run([MAILSCREEN, "check-config", "-c", str(path)],
                              capture_output=True, text=True, timeout=120)

    forgot = check("[upstream]\nport = 587\n")
    assert forgot.returncode == 2 and "'[upstream]' has no 'host'" in forgot.stderr
    with pytest.raises(ConfigError):  # the relay refuses it at start too
        load_config(tmp_path / "mailscreen.toml")
    maildir = check('[upstream]\nhost = ""\n')  # on purpose
    assert maildir.returncode == 0 and "Maildir outbox" in maildir.stdout
    assert maildir.stderr == ""
    nowhere = check('[upstream]\nhost = "smarthost.invalid"\n')
    assert nowhere.returncode == 2
    assert "'upstream.host' smarthost.invalid does not resolve" in nowhere.stderr
    (tmp_path / "a-file").write_text("")
    blocked = check(f'data_dir = "{tmp_path / "a-file" / "data"}"\n')
    assert blocked.returncode == 2
    assert f"'data_dir' {tmp_path / 'a-file' / 'data'} cannot be made" in blocked.stderr


def test_check_config_warns_about_notices_from_a_domain_that_does_not_exist(tmp_path):
    path = tmp_path / "mailscreen.toml"
    path.write_text('[upstream]\nhost = ""\n')
    default = subprocess.run([MAILSCREEN, "check-config", "-c", str(path)],
                             capture_output=True, text=True, timeout=120)
    assert default.returncode == 0
    assert "warning: notices and bounces come from postmaster@mailscreen.localdomain" \
        in default.stderr
    path.write_text('[server]\nhostname = "relay"\n')
    assert "postmaster@relay," in subprocess.run(
        [MAILSCREEN, "check-config", "-c", str(path)], capture_output=True, text=True,
        timeout=120).stderr
