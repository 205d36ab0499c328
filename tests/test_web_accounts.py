"""The review console's accounts, in process (Starlette's TestClient, a real SQLite store,
no relay: the console runs as the owner of the data): passwords as scrypt hashes set by
`mailscreen admin passwd`, signed session cookies with an idle timeout, a CSRF token on
every form, logins backed off after failures, a read-only role.

The admins are the members of admin.group: here the system group `daemon`, whose user
`daemon` every Debian has; `bin` is a read-only user; `nobody` is neither."""
from __future__ import annotations

import os
import re

import pytest
from starlette.testclient import TestClient
from typer.testing import CliRunner

from cli.main import app as cli_app
from gateway.config import load_config
from gateway.control import Control, Peer
from gateway.database import audit
from gateway.database.store import Store
from gateway.passwords import check_password, hash_password
from gateway.relay.spool import Spool
from gateway.web.app import COOKIE, create_app
from gateway.web.sessions import Sessions, same

PASSWORD = "correct horse battery"


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def config(tmp_path):
    (tmp_path / "data").mkdir(mode=0o700)  # as the install makes it, owned by this user
    path = tmp_path / "mailscreen.toml"
    path.write_text(f"""
data_dir = "{tmp_path / 'data'}"
[server.auth]
max_failures_per_user = 3
backoff_start = 600
[admin]
group = "daemon"
socket = "{tmp_path / 'no-relay.sock'}"
[web]
readonly_users = ["bin"]
session_idle_minutes = 30
""")
    for user in ("daemon", "bin"):
        done = CliRunner().invoke(cli_app, ["admin", "passwd", user, "--password", PASSWORD,
                                            "--config", str(path)])
        assert done.exit_code == 0, done.output
    return path


def client(config, clock=None) -> TestClient:
    settings = load_config(config)
    web = create_app(settings, clock) if clock else create_app(settings)
    return TestClient(web, base_url="https://testserver", follow_redirects=False)


def login_token(c: TestClient) -> str:
    page = c.get("/login")
    return re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)


def login(c: TestClient, user: str, password: str = PASSWORD):
    return c.post("/login", data={"user": user, "password": password, "csrf": login_token(c)})


def csrf(c: TestClient, path: str = "/") -> str:
    return re.search(r'name="csrf" value="([^"]+)"', c.get(path).text).group(1)


def test_passwords_are_salted_scrypt_hashes():
    one, two = hash_password(PASSWORD), hash_password(PASSWORD)
    assert one.startswith("scrypt$") and one != two and PASSWORD not in one
    assert check_password(PASSWORD, one) and check_password(PASSWORD, two)
    assert not check_password(PASSWORD + "!", one)
    assert not check_password(PASSWORD, "not a hash")


def test_session_cookies_are_signed_and_expire_when_idle():
    clock = Clock()
    sessions = Sessions(idle_seconds=60, clock=clock)
    cookie = sessions.start("daemon", readonly=False)
    assert sessions.get(cookie).user == "daemon"
    sid, _, sig = cookie.rpartition(".")
    assert sessions.get(f"{sid}.{'0' * len(sig)}") is None  # a forged signature
    assert sessions.get(sid) is None
    assert Sessions(60).get(cookie) is None  # signed by another console's key
    clock.now += 59
    assert sessions.get(cookie) is not None  # used: the idle time starts again
    clock.now += 61
    assert sessions.get(cookie) is None
    assert same("a" * 43, "a" * 43) and not same("a" * 43, "b" * 43)
    assert not same(None, None) and not same("", "")


def test_admin_passwd_refuses_someone_the_console_would_not_let_in(config):
    done = CliRunner().invoke(cli_app, ["admin", "passwd", "nobody", "--password", PASSWORD,
                                        "--config", str(config)])
    assert done.exit_code == 1 and "daemon" in done.output


def test_login_sets_a_strict_secure_cookie_and_every_post_needs_the_token(config):
    c = client(config)
    assert c.get("/").headers["location"] == "/login"
    assert c.post("/login", data={"user": "daemon", "password": PASSWORD}).status_code == 403
    ok = login(c, "daemon")
    assert ok.status_code == 303 and ok.headers["location"] == "/"
    cookie = next(h for h in ok.headers.get_list("set-cookie") if h.startswith(COOKIE))
    assert all(flag in cookie.lower() for flag in ("httponly", "samesite=strict", "secure"))
    page = c.get("/")
    assert page.status_code == 200 and "0 message(s) held" in page.text
    typo = c.get("/", params={"rule": "uk_nhs_numbr"})
    assert typo.status_code == 400 and "unknown rule" in typo.text
    token = csrf(c)
    refused = c.post("/held/abcd/reject", data={"reason": "no"})
    assert refused.status_code == 403 and "form token" in refused.text
    wrong = c.post("/held/abcd/reject", data={"reason": "no", "csrf": token[::-1]})
    assert wrong.status_code == 403
    # with the token the request reaches the Moderator, which knows no such message
    reached = c.post("/held/abcd/reject", data={"reason": "no", "csrf": token})
    assert reached.status_code == 404 and "no held message" in reached.text
    assert c.post("/logout", data={"csrf": token}).status_code == 303
    assert c.get("/").status_code == 303


def test_an_idle_session_must_log_in_again(config):
    clock = Clock()
    c = client(config, clock)
    assert login(c, "daemon").status_code == 303
    clock.now += 29 * 60
    assert c.get("/").status_code == 200
    clock.now += 31 * 60
    assert c.get("/").headers["location"] == "/login"


def test_wrong_passwords_are_backed_off_per_user_and_address(config):
    c = client(config)
    for _ in range(3):
        assert login(c, "daemon", "guess").status_code == 401
    backed_off = login(c, "daemon")  # now even the right password is not checked
    assert backed_off.status_code == 429 and "Too many failed logins" in backed_off.text
    assert login(c, "bin").status_code == 303  # another user from there is not locked out
    assert login(c, "nobody").status_code == 401  # not an admin: never let in


def test_a_read_only_user_may_look_but_not_decide(config):
    c = client(config)
    assert login(c, "bin").status_code == 303
    page = c.get("/")
    assert page.status_code == 200 and "(read only)" in page.text
    refused = c.post("/held/abcd/release", data={"reason": "fine", "reason_code": "other",
                                                  "csrf": csrf(c)})
    assert refused.status_code == 403 and "may look" in refused.text


def test_only_the_service_user_may_act_for_someone_or_read_password_hashes(config):
    """The relay's side of the admin socket: an admin (a peer in admin.group) may set
    their own console password, not another's, read no hash, and not act for anyone."""
    settings = load_config(config)
    store = Store(settings.db_url).create()
    ctl = Control(settings, store, Spool(settings.data_path / "spool"))
    alice = Peer(uid=os.geteuid() + 4242, gid=4242, pid=1, name="alice",
                 groups=frozenset({"daemon"}))
    assert ctl.handle(alice, {"op": "whoami"}) == {"ok": True, "result": "alice"}
    acting = ctl.handle(alice, {"op": "whoami", "as": "daemon"})
    assert not acting["ok"] and "may not act for another user" in acting["error"]
    assert not ctl.handle(alice, {"op": "web.password", "args": {"user": "alice"}})["ok"]
    other = ctl.handle(alice, {"op": "web.set_password",
                               "args": {"user": "daemon", "hashed": "scrypt$x"}})
    assert not other["ok"] and "only their own" in other["error"]
    own = hash_password(PASSWORD)
    assert ctl.handle(alice, {"op": "web.set_password",
                              "args": {"user": "alice", "hashed": own}})["ok"]
    service = Peer(uid=os.geteuid(), gid=os.getegid(), pid=1, name="mailscreen",
                   groups=frozenset())
    assert ctl.handle(service, {"op": "whoami", "as": "daemon"})["result"] == "daemon"
    assert ctl.handle(service, {"op": "web.password", "args": {"user": "alice"}})["result"] == own
    assert "alice" in [e.user for e in audit.events(store)
                       if e.action == "web_password"]
