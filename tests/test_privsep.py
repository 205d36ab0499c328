"""Privilege separation (issue 13, findings 1 and 2), with real Unix users: the relay runs
as a service user and owns the data; admins use the real `mailscreen` CLI as themselves,
without sudo, through the admin socket; the relay knows them by the socket's peer
credentials, so $SUDO_USER and $USER change nothing."""
from __future__ import annotations

import json
import os
import pwd
import secrets
import shutil
import signal
import smtplib
import socket
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

import pytest
from conftest import ROOT, free_port, message, wait_for

SENDER = "reception@glowclinic.example"
NHS_BODY = "Our patient Jane Doe, NHS number 999 000 0018, had filler on Monday."


@pytest.fixture(scope="module")
def mailscreen():
    """A `mailscreen` the throw-away admins can run wherever this checkout is (a clone in a
    0700 `mktemp -d` folder included): a venv of Debian's /usr/bin/python3 in a world-readable
    temporary prefix, holding this venv's libraries (hard links, so it takes seconds) and
    this checkout's code. Removed afterwards."""
    python = Path("/usr/bin/python3")
    same = subprocess.run([python, "-c", "import sys; print(sys.version_info[:2])"],
                          capture_output=True, text=True, check=False) if python.exists() else None
    if same is None or same.stdout.strip() != str(tuple(sys.version_info[:2])):
        pytest.skip(f"the admins need an interpreter they can run: /usr/bin/python3 of this "
                    f"Python's version ({sys.version_info[0]}.{sys.version_info[1]})")
    prefix = Path(tempfile.mkdtemp(prefix="mailscreen-privsep-", dir="/tmp"))
    try:
        os.chmod(prefix, 0o755)
        subprocess.run([python, "-m", "venv", "--without-pip", prefix], check=True)
        site = Path(sysconfig.get_path("purelib", vars={"base": str(prefix)}))
        ours = Path(sysconfig.get_path("purelib"))
        skip = shutil.ignore_patterns("__pycache__", "__editable__*", "mailscreen-*.dist-info")
        for source in [*ours.iterdir(), *(ROOT / name for name in ("gateway", "scanners", "cli"))]:
            if skip(str(source.parent), [source.name]):
                continue
            if source.is_dir():
                shutil.copytree(source, site / source.name, copy_function=link_or_copy,
                                ignore=skip, dirs_exist_ok=True)
            else:
                link_or_copy(source, site / source.name)
        command = prefix / "bin" / "mailscreen"
        # as pip writes it: the scan processes import __main__ again, which must not serve
        command.write_text(f"#!{prefix / 'bin' / 'python3'}\nimport sys\nfrom cli.main import "
                           f"main\nif __name__ == '__main__':\n    sys.exit(main())\n")
        command.chmod(0o755)
        yield str(command)
    finally:
        shutil.rmtree(prefix, ignore_errors=True)


def link_or_copy(source, target) -> None:
    """A hard link keeps the file's own (readable) mode; a copy where /tmp is elsewhere."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


pytestmark = pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("useradd"),
                                reason="needs root (useradd, groupadd, runuser) to make the "
                                       "service user and the admin users")


class Accounts:
    """Throw-away users and groups with unique names, removed afterwards."""

    def __init__(self):
        self.tag = secrets.token_hex(3)
        self.users: list[str] = []
        self.groups: list[str] = []

    def group(self, name: str) -> str:
        name = f"ms{self.tag}{name}"
        subprocess.run(["groupadd", name], check=True, capture_output=True)
        self.groups.append(name)
        return name

    def user(self, name: str, *groups: str) -> str:
        name = f"ms{self.tag}{name}"
        cmd = ["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", name]
        if groups:
            cmd[1:1] = ["--groups", ",".join(groups)]
        subprocess.run(cmd, check=True, capture_output=True)
        self.users.append(name)
        return name

    def remove(self) -> None:
        """userdel refuses while a process of the user runs (the relay stopping)."""
        for name in self.users:
            def gone(name=name):
                if subprocess.run(["pgrep", "-u", name], capture_output=True).returncode == 0:
                    return False
                return subprocess.run(["userdel", name], capture_output=True).returncode in (0, 6)

            wait_for(gone, timeout=60, interval=0.2)
        for name in self.groups:
            subprocess.run(["groupdel", name], capture_output=True)


@pytest.fixture
def site(sink, mailscreen):
    """A deployment as the README describes: service user, admin group, data 0700."""
    accounts = Accounts()
    base = Path(tempfile.mkdtemp(prefix="ms13-", dir="/tmp"))
    relay = None
    try:
        admins = accounts.group("adm")
        readers = accounts.group("raw")
        svc = accounts.user("svc", admins)
        users = {"alice": accounts.user("alice", admins), "bob": accounts.user("bob", admins, readers),
                 "carol": accounts.user("carol", admins), "mallory": accounts.user("mallory")}
        os.chmod(base, 0o755)
        data, run = base / "data", base / "run"
        for d in (data, run):
            d.mkdir()
            shutil.chown(d, svc, svc)
        os.chmod(data, 0o700)
        os.chmod(run, 0o755)
        port = free_port()
        config = base / "mailscreen.toml"
        config.write_text(f"""
data_dir = "{data}"
[server]
port = {port}
[scan]
workers = 1
time_budget = 120  # a worker's first message on a loaded machine: never held as scan_failed
[upstream]
host = "127.0.0.1"
port = {sink.port}
starttls = false
[delivery]
workers = 1
retry_delays = [0.3]
poll_interval = 0.1
[admin]
group = "{admins}"
raw_access_group = "{readers}"
socket = "{run / 'admin.sock'}"
users = {{ {users['carol']} = "{SENDER}" }}
""")
        os.chmod(config, 0o644)
        log = open(base / "relay.log", "wb")
        # from a folder the service user may not enter (an admin's home, a 0700 clone): the
        # scan processes start in the relay's folder, so the relay must leave it for /
        closed = base / "closed"
        closed.mkdir(mode=0o700)
        relay = subprocess.Popen(["runuser", "-u", svc, "--", mailscreen, "serve", "--config",
                                  str(config)], stdout=log, stderr=subprocess.STDOUT,
                                 cwd=closed)

        def listening():
            assert relay.poll() is None, (base / "relay.log").read_text()
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                return (run / "admin.sock").exists()
            except OSError:
                return False

        wait_for(listening, timeout=60)
        yield Site(base, config, port, data, users, svc, relay, mailscreen)
    finally:
        if relay is not None and relay.poll() is None:
            relay.send_signal(signal.SIGTERM)
            relay.wait(60)
        accounts.remove()
        shutil.rmtree(base, ignore_errors=True)


class Site:
    def __init__(self, base, config, port, data, users, svc, relay, mailscreen):
        self.base, self.config, self.port, self.data = base, config, port, data
        self.users, self.svc, self.relay, self.mailscreen = users, svc, relay, mailscreen

    def cli(self, who: str, *args, env: dict | None = None) -> subprocess.CompletedProcess:
        """The real CLI as one of the users ("root" for root itself), never through sudo."""
        prefix = [] if who == "root" else ["runuser", "-u", self.users[who], "--"]
        environment = {"PATH": os.environ["PATH"], "LANG": "C.UTF-8", **(env or {})}
        return subprocess.run(prefix + [self.mailscreen, *args, "--config", str(self.config)],
                              capture_output=True, text=True, timeout=120, env=environment,
                              cwd="/")

    def queue(self, name: str) -> list[str]:
        d = self.data / "spool" / name
        return sorted(os.listdir(d)) if d.exists() else []

    def held(self) -> set[str]:
        """Ids of held mail (in the quarantine database), as root sees them via the CLI."""
        listed = self.cli("root", "held", "list", "--json")
        assert listed.returncode == 0, listed.stderr
        return {json.loads(line)["id"] for line in listed.stdout.splitlines()}

    def hold(self, n: int = 1) -> list[str]:
        before = self.held()
        with smtplib.SMTP("127.0.0.1", self.port, timeout=30) as client:
            for i in range(n):
                to = f"friend{len(before) + i}@example.com"
                client.sendmail(SENDER, [to], message(subject=f"Case {i}", body=NHS_BODY, to=to))
        return wait_for(lambda: sorted(self.held() - before)
                        if len(self.held() - before) == n else None, timeout=60, interval=0.5)


def test_admins_use_the_cli_as_themselves_and_the_relay_does_the_work(site, sink):
    """Finding 1: group members can use the CLI at all; what root or an admin decides is
    carried out by the relay, so the envelope and notices stay readable and are sent."""
    with smtplib.SMTP("127.0.0.1", site.port, timeout=30) as client:  # screened, not held
        client.sendmail(SENDER, ["clean@example.com"],
                        message(subject="Rota", body="The rota for next week is attached.",
                                to="clean@example.com"))
    wait_for(lambda: sink.handler.to("clean@example.com"), timeout=60)
    a, b = site.hold(2)
    listed = site.cli("alice", "held", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert {json.loads(line)["id"] for line in listed.stdout.splitlines()} >= {a, b}
    # root, the user whose release used to leave root-owned files the relay could not read
    released = site.cli("root", "held", "approve", a, "--reason", "checked")
    assert released.returncode == 0, released.stderr
    released = site.cli("alice", "held", "release", a, "--reason-code", "consent_on_file",
                        "--reason", "the GP asked for it")
    assert released.returncode == 0, released.stderr
    wait_for(lambda: sink.handler.to(f"friend{0}@example.com") or
             sink.handler.to(f"friend{1}@example.com"), timeout=60)
    rejected = site.cli("alice", "held", "reject", b, "--reason", "wrong recipient", "--notify")
    assert rejected.returncode == 0, rejected.stderr
    wait_for(lambda: any(b"Subject: Not sent" in m for m in sink.handler.to(SENDER)), timeout=60)
    svc = pwd.getpwnam(site.svc).pw_uid
    for path in site.data.rglob("*"):  # everything in the data directory is the relay's
        assert path.stat().st_uid == svc, path
    assert site.queue("corrupt") == []
    # commands that write the data themselves are for the service user alone, root included
    refused = site.cli("root", "patients", "forget", "1", "--reason", "erasure request")
    assert refused.returncode == 1 and f"sudo -u {site.svc}" in refused.stderr
    trail = site.cli("alice", "audit", "--json")
    assert trail.returncode == 0, trail.stderr
    users = [(e["action"], e["user"]) for e in map(json.loads, trail.stdout.splitlines())]
    assert users == [("approve", "root"), ("release", site.users["alice"]),
                     ("reject", site.users["alice"])]


def test_identity_comes_from_the_kernel_not_the_environment(site, sink):
    """Finding 2: $SUDO_USER and $USER are ignored; four eyes and "not your own mail" hold."""
    (held,) = site.hold(1)
    alice, bob = site.users["alice"], site.users["bob"]
    approved = site.cli("alice", "held", "approve", held, "--reason", "checked",
                        env={"SUDO_USER": bob, "USER": bob})
    assert approved.returncode == 0, approved.stderr
    release = ("held", "release", held, "--reason-code", "approved_exception", "--reason", "ok")
    same = site.cli("alice", *release, env={"SUDO_USER": bob, "USER": bob, "LOGNAME": bob})
    assert same.returncode == 1 and "a different admin must release it" in same.stderr
    own = site.cli("carol", *release)
    assert own.returncode == 1 and "sent by you" in own.stderr
    outsider = site.cli("mallory", *release, env={"SUDO_USER": alice})
    assert outsider.returncode == 1
    assert "may not administer" in outsider.stderr or "Permission denied" in outsider.stderr
    done = site.cli("bob", *release)
    assert done.returncode == 0, done.stderr
    wait_for(lambda: sink.handler.to("friend0@example.com"), timeout=60)
    trail = [json.loads(line) for line in site.cli("root", "audit", "--json").stdout.splitlines()]
    assert [(e["action"], e["user"]) for e in trail] == [("approve", alice), ("release", bob)]


def test_raw_mail_only_for_the_raw_access_group(site, sink):
    (held,) = site.hold(1)
    refused = site.cli("alice", "held", "show", held, "--raw")
    assert refused.returncode == 1 and "reading quarantined mail needs" in refused.stderr
    assert "999 000 0018" not in refused.stdout
    shown = site.cli("alice", "held", "show", held)  # metadata and redacted evidence
    assert shown.returncode == 0 and "NHS *** *** 0018" in shown.stdout
    raw = site.cli("bob", "held", "show", held, "--raw")
    assert raw.returncode == 0 and "999 000 0018" in raw.stdout
    trail = [json.loads(line) for line in site.cli("root", "audit", "--json").stdout.splitlines()]
    assert [(e["action"], e["user"], e["message_ids"]) for e in trail] == [
        ("read_raw", site.users["bob"], [held])]  # who read it; the refused read is not there


def test_without_the_relay_admins_cannot_decide(site, sink):
    (held,) = site.hold(1)
    site.relay.send_signal(signal.SIGTERM)  # to runuser, which passes it on
    site.relay.wait(60)
    wait_for(lambda: not (site.base / "run" / "admin.sock").exists())
    refused = site.cli("alice", "held", "release", held, "--reason-code", "other",
                       "--reason", "x")
    assert refused.returncode == 1 and "the relay is not running" in refused.stderr
