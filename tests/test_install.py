"""The system install (issue 23, "A system install"), for real on this machine: install/
install.sh into /opt/mailscreen, /etc/mailscreen, /var/lib/mailscreen and /usr/local/bin;
the relay started as the service user the way systemd/mailscreen.service starts it; mail
through it; an admin who is an ordinary user in the admin group reviews and releases held
mail with the commands the guides give (no --config, no sudo); then the uninstall.

It refuses to touch a real install: whatever it finds in those places must carry the
marker a previous run of this test left (written before it installs, removed only once
everything is cleaned up again)."""
from __future__ import annotations

import grp
import json
import os
import pwd
import secrets
import shlex
import shutil
import signal
import smtplib
import stat
import subprocess
import tempfile
import time
from email import message_from_bytes
from email.utils import getaddresses
from pathlib import Path

import pytest
from conftest import ROOT, free_port, wait_for
from harness import log_tail

PREFIX, ETC, DATA = Path("/opt/mailscreen"), Path("/etc/mailscreen"), Path("/var/lib/mailscreen")
LINK = Path("/usr/local/bin/mailscreen")
UNIT = Path("/etc/systemd/system/mailscreen.service")
PLACES = (PREFIX, ETC, DATA, LINK, UNIT)
MARKER = Path("/var/tmp/mailscreen-test-install.marker")
SYSTEMD = Path("/run/systemd/system").is_dir()
# what an admin's login shell has: Debian's PATH, no MAILSCREEN_CONFIG, no PYTHONPATH
LOGIN_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "COLUMNS": "160"}
RUNUSER = shutil.which("runuser") or "runuser"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(1200),  # the first install downloads the dependencies
    pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("useradd")
                       or not shutil.which("runuser"),
                       reason="the system install needs root (useradd, runuser)"),
    pytest.mark.skipif(not Path("/usr/bin/python3").exists(),
                       reason="the install uses Debian's /usr/bin/python3, absent here"),
]


def run(*cmd, check=True, **kw) -> subprocess.CompletedProcess:
    done = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, check=False,
                          timeout=kw.pop("timeout", 900), **kw)
    if check:
        assert done.returncode == 0, f"{cmd}: {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done


def exists(name: str, db: str) -> bool:
    return run("getent", db, name, check=False).returncode == 0


def clean_up(admin: str | None) -> None:
    """Everything the install or this test made, whatever state a failure left."""
    if admin and exists(admin, "passwd"):
        run("userdel", admin, check=False)
    if UNIT.exists() or PREFIX.exists():
        run("bash", ROOT / "install" / "uninstall.sh", "--purge", check=False)
    for path in PLACES:
        if path.is_symlink() or path.is_file():
            path.unlink()
        else:
            shutil.rmtree(path, ignore_errors=True)
    for name in ("mailscreen-purge.service", "mailscreen-purge.timer",
                 "mailscreen-report.service", "mailscreen-report.timer"):
        Path("/etc/systemd/system", name).unlink(missing_ok=True)
    shutil.rmtree("/run/mailscreen", ignore_errors=True)
    if exists("mailscreen", "passwd"):
        run("userdel", "mailscreen", check=False)
    for group in ("mailscreen", "mailscreen-admin"):
        if exists(group, "group"):
            run("groupdel", group, check=False)


@pytest.fixture
def machine():
    """This machine, with no install on it before and none after; the admin's user name."""
    found = [str(p) for p in PLACES if p.exists() or p.is_symlink()]
    if exists("mailscreen", "passwd"):
        found.append("user mailscreen")
    if found and not MARKER.exists():
        pytest.skip(f"a mailscreen install is here ({', '.join(found)}) that this test did "
                    f"not make: it removes what it installs, so it does not run")
    MARKER.write_text("made by tests/test_install.py; it removes the install it finds\n")
    admin = f"ms{secrets.token_hex(3)}admin"
    clean_up(None)  # what an interrupted run left
    try:
        yield admin
    finally:
        clean_up(admin)
        MARKER.unlink(missing_ok=True)


def unit_command() -> tuple[dict[str, str], list[list[str]], str]:
    """The installed unit's Environment=, ExecStartPre= and ExecStart= lines, and User=."""
    env, commands, user = {}, [], ""
    for line in UNIT.read_text().splitlines():
        key, _, value = line.partition("=")
        if key == "Environment":
            k, _, v = value.partition("=")
            env[k] = v
        elif key in ("ExecStartPre", "ExecStart"):
            commands.append(shlex.split(value))
        elif key == "User":
            user = value
    return env, commands, user


def start_relay(log: Path) -> subprocess.Popen | None:
    """As systemd would: with it, systemctl; without it, the unit's own commands and
    environment as its User= (runuser), in the runtime directory the unit would make."""
    if SYSTEMD:
        run("systemctl", "start", "mailscreen")
        return None
    env, commands, user = unit_command()
    env = {**LOGIN_ENV, **env}
    for pre in commands[:-1]:
        run(RUNUSER, "-u", user, "--", *pre, env=env, cwd="/")
    with open(log, "wb") as out:
        return subprocess.Popen([RUNUSER, "-u", user, "--", *commands[-1]], env=env, cwd="/",
                                stdout=out, stderr=subprocess.STDOUT)


def stop_relay(relay: subprocess.Popen | None) -> None:
    if relay is None:
        run("systemctl", "stop", "mailscreen", check=False)
    elif relay.poll() is None:
        relay.send_signal(signal.SIGTERM)  # runuser passes it on
        relay.wait(60)
    # its scan processes too: the uninstall refuses while the service user runs anything
    wait_for(lambda: run("pgrep", "-u", "mailscreen", check=False).returncode != 0,
             timeout=60, interval=0.2)


def point_at(config: Path, port: int, upstream: int) -> None:
    """The relay on a free port, its upstream the test's sink (the admin's one edit)."""
    section, lines = "", []
    for line in config.read_text().splitlines():
        if line.startswith("["):
            section = line.strip()
        key = line.split("=")[0].strip()
        if section == "[server]" and key == "port":
            line = f"port = {port}"
        elif section == "[upstream]" and key in ("host", "port", "starttls"):
            line = {"host": 'host = "127.0.0.1"', "port": f"port = {upstream}",
                    "starttls": "starttls = false"}[key]
        elif section == "[scan]" and key == "workers":
            line = "workers = 1"
        elif section == "[scan]" and key == "time_budget":
            line = "time_budget = 120.0"  # a loaded machine's first scan is never scan_failed
        lines.append(line)
    config.write_text("\n".join(lines) + "\n")


def send(port: int, sample: str) -> tuple[str, list[str]]:
    """A sample mail through the relay, its envelope from its headers; its recipients."""
    raw = (ROOT / "sample_mail" / sample).read_bytes()
    msg = message_from_bytes(raw)
    sender = getaddresses([msg["From"]])[0][1]
    rcpts = [a for _, a in getaddresses(msg.get_all("To", []) + msg.get_all("Cc", []))]
    with smtplib.SMTP("127.0.0.1", port, timeout=60) as client:
        client.sendmail(sender, rcpts, raw)
    return sender, rcpts


def test_install_mail_admin_release_uninstall(machine, sink, tmp_path):
    admin = machine
    # from a copy of the checkout that is gone before the relay starts: the install must not
    # need it afterwards (pip install ., not -e); only what the build and the install read
    source = Path(tempfile.mkdtemp(prefix="mailscreen-src-"))
    for name in ("pyproject.toml", "README.md", "mailscreen.example.toml", "gateway",
                 "scanners", "cli", "install", "systemd"):
        copy = shutil.copytree if (ROOT / name).is_dir() else shutil.copy2
        copy(ROOT / name, source / name)
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/root"), "LANG": "C.UTF-8"}
    env.update({k: v for k, v in os.environ.items() if k.startswith("PIP_")})  # pip's cache too
    started = time.monotonic()
    first = run("bash", source / "install" / "install.sh", env=env)
    took = time.monotonic() - started
    print(f"install: {took:.0f} s")
    assert "set [upstream] host" in first.stdout
    assert SYSTEMD or "systemd is not running" in first.stdout  # it says what it skipped

    # the layout the README describes
    cfg = ETC / "mailscreen.toml"
    assert stat.S_IMODE(cfg.stat().st_mode) == 0o640 and cfg.stat().st_uid == 0
    assert grp.getgrgid(cfg.stat().st_gid).gr_name == "mailscreen-admin"
    assert 'data_dir = "/var/lib/mailscreen"' in cfg.read_text()
    assert stat.S_IMODE(DATA.stat().st_mode) == 0o700
    assert pwd.getpwuid(DATA.stat().st_uid).pw_name == "mailscreen"
    service = pwd.getpwnam("mailscreen")
    assert service.pw_shell == "/usr/sbin/nologin" and service.pw_uid < 1000  # system user
    assert "mailscreen" in grp.getgrnam("mailscreen-admin").gr_mem
    assert LINK.resolve() == (PREFIX / "bin" / "mailscreen").resolve()
    if SYSTEMD:
        assert run("systemctl", "is-enabled", "mailscreen").stdout.strip() == "enabled"

    # the admin's one edit; a second install keeps it and only reinstalls the program
    point_at(cfg, free_port(), sink.port)
    edited = cfg.read_text()
    again = run("bash", source / "install" / "install.sh", env=env)
    assert "kept as it is" in again.stdout and cfg.read_text() == edited
    shutil.rmtree(source)
    port = int(next(line.split("=")[1] for line in edited.split("[server]")[1].splitlines()
                    if line.startswith("port")))

    run("useradd", "--no-create-home", "--shell", "/usr/sbin/nologin",
        "--groups", "mailscreen-admin", admin)
    relay = start_relay(tmp_path / "relay.log")
    try:
        def listening():
            assert relay is None or relay.poll() is None, (tmp_path / "relay.log").read_text()
            try:
                smtplib.SMTP("127.0.0.1", port, timeout=2).quit()
                return Path("/run/mailscreen/admin.sock").exists()
            except OSError:
                return False

        wait_for(listening, timeout=300, interval=0.5)
        _, clean_to = send(port, "clean_appointment_reminder.eml")
        _, held_to = send(port, "hold_copyright_journal_article.eml")
        wait_for(lambda: sink.handler.to(clean_to[0]), timeout=300, interval=0.5)

        def as_admin(*args) -> subprocess.CompletedProcess:
            """As the guides write it: `mailscreen ...`, from the admin's own shell."""
            return run(RUNUSER, "-u", admin, "--", "mailscreen", *args, env=LOGIN_ENV,
                       cwd="/", check=False)

        def held_ids():
            listed = as_admin("held", "list", "--json")
            assert listed.returncode == 0, listed.stderr
            return [json.loads(line)["id"] for line in listed.stdout.splitlines()]

        (held,) = wait_for(held_ids, timeout=300, interval=2)
        assert sink.handler.to(held_to[0]) == []
        table = as_admin("held", "list")
        assert table.returncode == 0 and held in table.stdout, table.stderr
        # the admin reaches the relay, not the data: the directory stays closed to them
        assert run(RUNUSER, "-u", admin, "--", "ls", DATA, check=False).returncode != 0
        released = as_admin("held", "release", held, "--reason-code", "false_positive",
                            "--reason", "the article is the clinic's own")
        assert released.returncode == 0, released.stderr
        assert f"{held}: released" in released.stdout
        wait_for(lambda: sink.handler.to(held_to[0]), timeout=300, interval=0.5)
        # `sudo mailscreen status` (sudo keeps no MAILSCREEN_CONFIG): the installed config's
        # relay and upstream, not the defaults' 127.0.0.1:2525 and a new ./data
        status = run("mailscreen", "status", env=LOGIN_ENV, cwd="/", check=False)
        assert status.returncode == 0, status.stdout + status.stderr
        assert str(port) in status.stdout and str(sink.port) in status.stdout
    except BaseException:
        print("relay log:", log_tail(tmp_path / "relay.log", 40), sep="\n")
        raise
    finally:
        stop_relay(relay)

    run("bash", ROOT / "install" / "uninstall.sh")  # keeps the config and the data
    assert not PREFIX.exists() and not LINK.exists() and not UNIT.exists()
    assert cfg.read_text() == edited and (DATA / "mailscreen.db").exists()
    assert exists("mailscreen", "passwd")
    run("userdel", admin)
    run("bash", ROOT / "install" / "uninstall.sh", "--purge")
    assert not ETC.exists() and not DATA.exists()
    assert not exists("mailscreen", "passwd") and not exists("mailscreen-admin", "group")
