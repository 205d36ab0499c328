"""The review console's accounts, in process (Starlette's TestClient, a real SQLite store,
no relay: the console runs as the owner of the data): passwords as scrypt hashes set by
`mailscreen admin passwd`, signed session cookies with an idle timeout, a CSRF token on
every form, logins backed off after failures, a read-only role.

The admins are the members of admin.group: here the system group `daemon`, whose user
`daemon` every Debian has; `bin` is a read-only user; `nobody` is neither."""
from __future__ import annotations

import base64
import dataclasses
import json
import os
import re
from datetime import datetime, timezone

import pytest
from sqlalchemy import event
from sqlalchemy import update as sql_update
from sqlalchemy.engine import Engine
from starlette.testclient import TestClient
from typer.testing import CliRunner

from cli.main import app as cli_app
from gateway.config import load_config
from gateway.control import Control, Peer
from gateway.database import audit
from gateway.database.store import AuditEvent, HeldMessage, Store
from gateway.passwords import check_password, hash_password
from gateway.relay.spool import Spool
from gateway.web import app as web_app
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
    newest = ctl.handle(alice, {"op": "audit.page", "args": {"limit": 1}})["result"]
    assert [(e["user"], e["action"]) for e in newest] == [("alice", "web_password")]


def hold_rows(config, *rows: tuple[str, bool]) -> Store:
    """Held messages in the console's own store: (id, four eyes)."""
    store = Store(load_config(config).db_url).create()
    now = datetime.now(timezone.utc)
    with store.session() as s:
        s.add_all([HeldMessage(id=id, received_at=now, held_at=now,
                               mail_from="reception@glowclinic.example",
                               rcpt_tos='["sam@example.com"]', categories="patient_data",
                               hold_rules="uk_nhs_number", top_rule="uk_nhs_number",
                               four_eyes=four_eyes) for id, four_eyes in rows])
        s.commit()
    return store


def test_ticked_messages_are_decided_one_by_one_and_a_refused_one_is_named(config):
    store = hold_rows(config, ("m-one", False), ("m-two", False), ("m-four-eyes", True))
    c = client(config)
    assert login(c, "daemon").status_code == 303
    page = c.get("/")
    assert page.text.count('type="checkbox" name="id"') == 3
    token = csrf(c)
    form = {"csrf": token, "action": "release", "reason_code": "false_positive",
            "id": ["m-one", "m-two", "m-four-eyes"]}
    bare = c.post("/held", data={**form, "reason": ""})  # the reason is required
    assert bare.status_code == 303 and "a reason is required" in c.get("/").text
    assert store.held_ids("held") == {"m-one", "m-two", "m-four-eyes"}
    assert c.post("/held", data={**form, "reason": "fine", "csrf": ""}).status_code == 403
    # Post/Redirect/Get: the answer is a redirect to the list, which shows the outcome once
    done = c.post("/held", data={**form, "reason": "no patient named",
                                 "back": "https://elsewhere.example/?rule=uk_nhs_number"})
    assert done.status_code == 303 and done.headers["location"] == "/?rule=uk_nhs_number"
    shown = c.get(done.headers["location"]).text
    assert "2 message(s) decided" in shown
    assert "<strong>m-four-eyes</strong>" in shown and "needs four eyes" in shown
    assert store.held_ids("held") == {"m-four-eyes"}
    again = c.get(done.headers["location"]).text  # a reload decides nothing, shows nothing
    assert "decided" not in again and "needs four eyes" not in again
    for id in ("m-one", "m-two"):
        row = store.held(id)
        assert (row.status, row.decided_by, row.reason_code) == \
            ("released", "daemon", "false_positive")
    assert {i for e in audit.events(store) if e.action == "release" and e.user == "daemon"
            for i in json.loads(e.message_ids)} == {"m-one", "m-two"}


def test_a_read_only_user_has_no_boxes_to_tick_and_cannot_decide_many(config):
    store = hold_rows(config, ("m-one", False))
    c = client(config)
    assert login(c, "bin").status_code == 303
    assert 'name="id"' not in c.get("/").text
    refused = c.post("/held", data={"csrf": csrf(c), "action": "reject", "reason": "no",
                                    "id": ["m-one"]})
    assert refused.status_code == 403 and store.held_ids("held") == {"m-one"}


RAW = b"From: reception@glowclinic.example\r\nSubject: referral\r\n\r\nNHS number 999 000 0018\r\n"


def test_attachments_show_their_findings_and_only_the_raw_access_group_downloads(config):
    store = hold_rows(config, ("m-one", False))
    findings = [{"category": "patient_data", "rule": "uk_nhs_number", "severity": "high",
                 "where": w, "evidence": f"NHS number [{w}]"}
                for w in ("body", "attachment:list.xlsx#sheet=Clients", "attachment:list.xlsx")]
    attachments = [{"name": "list.xlsx", "real_type": "xlsx", "size": 9000},
                   {"name": "logo.png", "real_type": "png", "size": 300}]
    with store.session() as s:
        row = s.get(HeldMessage, "m-one")
        row.findings, row.attachments = json.dumps(findings), json.dumps(attachments)
        s.add(row)
        s.commit()
    store.keep_body("m-one", RAW, b"{}")
    c = client(config)
    assert login(c, "daemon").status_code == 303
    page = c.get("/held/m-one").text
    cells = re.findall(r'<tr><td>([^<]+)</td>.*?<td class="found">(.*?)</td></tr>', page, re.S)
    assert [name for name, _ in cells] == ["list.xlsx", "logo.png"]
    assert "[attachment:list.xlsx#sheet=Clients]" in cells[0][1] and "(sheet=Clients)" in \
        cells[0][1] and "[attachment:list.xlsx]" in cells[0][1] and "[body]" not in cells[0][1]
    assert cells[1][1] == "nothing"
    # daemon is an admin, but not in the raw-access group (mailscreen-admin)
    assert "/held/m-one/raw" not in page
    refused = c.get("/held/m-one/raw")
    assert refused.status_code == 403 and "mailscreen-admin" in refused.text
    assert RAW not in refused.content

    config.write_text(config.read_text().replace('group = "daemon"\n',
                                                 'group = "daemon"\nraw_access_group = "daemon"\n'))
    c = client(config)
    assert login(c, "daemon").status_code == 303
    assert "/held/m-one/raw" in c.get("/held/m-one").text
    assert not [e for e in audit.events(store) if e.action == "read_raw"]  # refused: none
    raw = c.get("/held/m-one/raw")
    assert raw.status_code == 200 and raw.content == RAW
    assert raw.headers["content-disposition"] == 'attachment; filename="m-one.eml"'
    # who read patient data is in the audit log, in their name
    assert [(e.user, json.loads(e.message_ids)) for e in audit.events(store)
            if e.action == "read_raw"] == [("daemon", ["m-one"])]


def test_held_show_raw_is_audited_in_the_readers_name(config):
    """The CLI's path: `held show --raw` (here without a relay, as the owner of the data)
    and the relay's answer to an admin asking over the admin socket."""
    store = hold_rows(config, ("m-one", False))
    store.keep_body("m-one", RAW, b"{}")
    shown = CliRunner().invoke(cli_app, ["held", "show", "m-one", "--raw",
                                         "--config", str(config)])
    assert shown.exit_code == 0 and shown.stdout_bytes == RAW
    settings = load_config(config)
    store = audit.configure(store, settings.key_path, settings.anchor_path)  # as the relay's
    alice = Peer(uid=os.geteuid() + 4242, gid=4242, pid=1, name="alice",
                 groups=frozenset({"daemon", settings.admin.raw_access_group}))
    asked = Control(settings, store, Spool(settings.data_path / "spool")).handle(
        alice, {"op": "held.raw", "args": {"ref": "m-one"}})
    assert asked["ok"] and base64.b64decode(asked["result"]) == RAW
    assert [(e.user, json.loads(e.message_ids)) for e in audit.events(store)
            if e.action == "read_raw"] == [(audit.current_user(), ["m-one"]), ("alice", ["m-one"])]
    assert CliRunner().invoke(cli_app, ["audit", "verify", "--config", str(config)]).exit_code == 0

    with store.engine.begin() as conn:  # the audit log cannot take a row: fail closed
        conn.exec_driver_sql("CREATE TRIGGER no_audit BEFORE INSERT ON audit_event "
                             "BEGIN SELECT RAISE(ABORT, 'no more rows'); END")
    refused = CliRunner().invoke(cli_app, ["held", "show", "m-one", "--raw",
                                           "--config", str(config)])
    assert refused.exit_code == 1 and RAW not in refused.stdout_bytes
    assert "audit log cannot record who reads it" in refused.output


def test_the_relay_gives_the_raw_message_to_the_console_only_for_the_raw_access_group(config):
    """The console acts for the person over the admin socket: the relay decides raw access
    by that person's groups, not by the service user's."""
    hold_rows(config, ("m-one", False))
    settings = load_config(config)
    store = Store(settings.db_url).create()
    store.keep_body("m-one", RAW, b"{}")
    service = Peer(uid=os.geteuid(), gid=os.getegid(), pid=1, name="mailscreen",
                   groups=frozenset())
    ask = {"op": "held.raw", "args": {"ref": "m-one"}, "as": "daemon"}
    refused = Control(settings, store, Spool(settings.data_path / "spool")).handle(service, ask)
    assert not refused["ok"] and "mailscreen-admin" in refused["error"]
    settings = dataclasses.replace(settings, admin=dataclasses.replace(
        settings.admin, raw_access_group="daemon"))
    given = Control(settings, store, Spool(settings.data_path / "spool")).handle(service, ask)
    assert given["ok"] and base64.b64decode(given["result"]) == RAW
    assert [e.user for e in audit.events(store) if e.action == "read_raw"] == ["daemon"]


def test_the_audit_log_shows_decisions_newest_first_a_page_at_a_time_and_verifies(
        config, monkeypatch):
    store = hold_rows(config, ("m-one", False), ("m-two", False))
    c = client(config)
    assert login(c, "bin").status_code == 303  # read-only: may read the log
    assert "web_password" in c.get("/audit").text  # `admin passwd` is audited
    assert login(c, "daemon").status_code == 303
    assert c.post("/held", data={"csrf": csrf(c), "action": "release", "reason": "no patient",
                                 "reason_code": "other", "id": ["m-one", "m-two"]}
                  ).status_code == 303
    page = c.get("/audit").text
    assert page.index('href="/held/m-two"') < page.index('href="/held/m-one"')  # newest first
    assert "reason_code=other" in page and "verify-result" not in page
    monkeypatch.setattr(web_app, "AUDIT_PAGE", 1)
    first = c.get("/audit").text
    assert "/held/m-two" in first and "/held/m-one" not in first
    older = re.search(r'href="(/audit\?before=\d+)" rel="next"', first).group(1)
    second = c.get(older).text
    assert "/held/m-one" in second and "/held/m-two" not in second
    verified = c.get("/audit", params={"verify": "1"}).text
    count = len(audit.events(store))
    assert f"Audit chain OK: {count} row(s) check out." in verified
    with store.session() as s:  # someone edits a reason in the database
        s.exec(sql_update(AuditEvent).where(AuditEvent.reason == "no patient")
               .values(reason="edited"))
        s.commit()
    broken = c.get("/audit", params={"verify": "1"}).text
    assert "Audit chain broken at row" in broken


def test_the_weekly_report_page_is_the_html_report_with_false_positive_rates(config):
    hold_rows(config, ("m-one", False), ("m-two", False))
    c = client(config)
    assert login(c, "daemon").status_code == 303
    c.post("/held", data={"csrf": csrf(c), "action": "release", "reason": "no patient",
                          "reason_code": "false_positive", "id": ["m-one"]})
    year, week, _ = datetime.now(timezone.utc).isocalendar()
    assert c.get("/report").status_code == 200  # the last complete week: nothing decided
    page = c.get("/report", params={"week": f"{year}-W{week:02d}"})
    assert page.status_code == 200 and f"Screening report {year}-W{week:02d}" in page.text
    assert "script-src" not in page.headers["content-security-policy"]
    assert "<script" not in page.text and 'href="/"' in page.text
    rules = re.search(r'<table id="rules">(.*?)</table>', page.text, re.S).group(1)
    assert "uk_nhs_number" in rules and "100%" in rules  # its one decided hold: released
    backlog = re.search(r'<table id="backlog">(.*?)</table>', page.text, re.S).group(1)
    assert "m-two" in backlog and "m-one" not in backlog
    bad = c.get("/report", params={"week": "last tuesday"})
    assert bad.status_code == 400


def test_the_held_list_is_read_a_page_at_a_time_from_the_database(config):
    """300 held: the list shows one page, says which of how many, and links to the next
    with its filters and order kept; every query that reads held rows asks the database for
    one page (LIMIT), so 10,000 held cost what 50 do; the admin socket answers a page too."""
    store = hold_rows(config, *((f"m-{i:03d}", False) for i in range(300)))
    c = client(config)
    assert login(c, "daemon").status_code == 303
    reads = []

    def seen(conn, cursor, statement, parameters, context, executemany):
        if "FROM held_message" in statement and "count(" not in statement:
            reads.append(statement)

    event.listen(Engine, "before_cursor_execute", seen)
    try:
        page = c.get("/", params={"rule": "uk_nhs_number", "sort": "oldest"}).text
    finally:
        event.remove(Engine, "before_cursor_execute", seen)
    assert reads and all("LIMIT" in q for q in reads)
    ticks = re.findall(r'name="id" value="([^"]+)"', page)
    assert ticks == [f"m-{i:03d}" for i in range(web_app.HELD_PAGE)]
    assert "300 message(s) held" in page and "page 1 of 6" in page
    following = re.search(r'href="([^"]+)" rel="next"', page).group(1).replace("&amp;", "&")
    assert following == "/?rule=uk_nhs_number&sort=oldest&page=2"
    second = c.get(following).text
    assert re.findall(r'name="id" value="([^"]+)"', second)[0] == "m-050"
    assert "page 2 of 6" in second and 'rel="prev"' in second
    assert 'rel="next"' not in c.get("/", params={"page": "6"}).text

    settings = load_config(config)
    service = Peer(uid=os.geteuid(), gid=os.getegid(), pid=1, name="mailscreen",
                   groups=frozenset())
    ctl = Control(settings, store, Spool(settings.data_path / "spool"))
    found = ctl.handle(service, {"op": "held.find", "as": "daemon", "args": {
        "status": "held", "oldest": True, "limit": 50, "offset": 250}})["result"]
    assert [r["id"] for r in found] == [f"m-{i:03d}" for i in range(250, 300)]
    assert ctl.handle(service, {"op": "held.count", "args": {"status": "held",
                                                             "rule": "uk_nhs_number"}}) == \
        {"ok": True, "result": 300}
