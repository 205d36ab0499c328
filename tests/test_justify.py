"""Senders who justify a hold themselves (issue 24): the hold notice carries a one-time,
signed, expiring token, as a link to the console's page and in its Reply-To; the sender
withdraws the message or justifies it, and the policy (`[justify] release`) says whether
the justification releases it at once or is attached for an admin.

A real relay holds real mail sent with smtplib, the notices arrive at the real upstream
sink, the console (uvicorn in a thread) is driven by Debian's chromium through Playwright,
and the replies go back through the relay as the sender's mail client would send them."""
from __future__ import annotations

import dataclasses
import email
import email.policy
import re
import shutil
import smtplib
import threading
import time
from datetime import datetime, timezone

import pytest
from conftest import free_port, message, wait_for
from harness import chromium, screenshot, serving
from typer.testing import CliRunner

from cli.main import app
from gateway.config import Settings
from gateway.control import RemoteModerator
from gateway.database import audit
from gateway.database.store import HeldMessage, Store
from gateway.keys import Keyring
from gateway.passwords import hash_password
from gateway.quarantine.justify import first_line
from gateway.quarantine.moderation import (
    Filters,
    ModerationError,
    Moderator,
    justify_releases,
)
from gateway.relay import notices
from gateway.relay.spool import Spool
from gateway.web.app import create_app

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SENDER = "reception@glowclinic.example"
OTHER = "nurse@glowclinic.example"
PASSWORD = "correct horse battery"
# advertising at medium: held where the clinic holds it ([policy.categories.advertising])
ADVERT = "Hi Sam,\r\n\r\nThanks for asking. Our results are guaranteed, so do not worry.\r\n" \
         "\r\nKind regards,\r\nDr Jane Smith"
NHS = "Our patient Jane Doe, NHS number 999 000 0018, had filler on Tuesday."


def held_relay(make_relay, **overrides):
    """A relay that holds medium advertising (the default only tags it)."""
    categories = dict(Settings().policy.categories)
    categories["advertising"] = dataclasses.replace(categories["advertising"], medium="hold")
    return make_relay(policy={"categories": categories}, **overrides)


def send(relay, to: str, body: str, sender: str = SENDER, subject: str = "Your question",
         extra: str = "") -> None:
    with smtplib.SMTP("127.0.0.1", relay.port, timeout=10) as client:
        client.sendmail(sender, [to], message(subject=subject, body=body, sender=sender, to=to,
                                              extra=extra))


def notices_to(sink, address: str, subject: str) -> list[email.message.EmailMessage]:
    return [m for m in (email.message_from_bytes(raw, policy=email.policy.default)
                        for raw in sink.handler.to(address))
            if m["Subject"].startswith(subject)]


def hold_notice(sink, subject: str, address: str = SENDER):
    """The hold notice of the message whose (redacted) subject is `subject`."""
    return wait_for(lambda: next(iter(notices_to(sink, address, f"Held for review: {subject}")),
                                 None))


def held(relay, rcpt: str):
    """The quarantine row of the message to `rcpt`, whatever its status."""
    admin = RemoteModerator(relay.settings, relay.settings.admin.socket)
    return wait_for(lambda: next((r for r in admin.find(Filters(status=None))
                                  if rcpt in r.recipients), None))


def text(notice) -> str:
    """A notice's words, its lines wrapped as they are being of no interest."""
    return " ".join(notice.get_content().split())


def link_of(notice) -> str:
    found = re.search(r"(https?://\S+/justify/\S+)", notice.get_content())
    return found[1] if found else ""


def reply(relay, notice, first: str, sender: str = SENDER, extra: str = "") -> str:
    """Reply to a notice as a mail client does: to its Reply-To, quoting it below."""
    to = notice["Reply-To"]
    quoted = "\r\n".join("> " + line for line in notice.get_content().splitlines())
    send(relay, to, f"{first}\r\n\r\nOn Monday, mailscreen wrote:\r\n{quoted}", sender=sender,
         subject=f"Re: {notice['Subject']}", extra=extra)
    return to


def held_show(relay, ref: str, tmp_path) -> str:
    """`mailscreen held show REF`, through the relay's admin socket."""
    config = tmp_path / "cli.toml"
    config.write_text(f'data_dir = "{relay.settings.data_dir}"\n'
                      f'database_url = "{relay.settings.database_url}"\n'
                      f'[admin]\nsocket = "{relay.settings.admin.socket}"\n')
    result = CliRunner().invoke(app, ["held", "show", ref, "--config", str(config)])
    assert result.exit_code == 0, result.output
    return " ".join(result.output.split())


def audit_rows(relay):
    return [e for e in audit.events(relay.app.store) if e.user.startswith("sender:")]


# -- the token --------------------------------------------------------------------------


def test_a_token_is_signed_expires_and_fits_a_reply_address(tmp_path):
    ring = Keyring.load(tmp_path / "k", create=True)
    token = notices.justify_token(ring, "agra46mztrnvfqoj", time.time() + 60)
    assert len(f"justify+{token}") <= 64  # RFC 5321's limit on a local part
    assert notices.read_token(ring, token)[0] == "agra46mztrnvfqoj"
    assert notices.read_token(ring, token.upper())[0] == "agra46mztrnvfqoj"  # case folded
    other = token.replace("agra46mztrnvfqoj", "agra46mztrnvfqok")  # another message's id
    with pytest.raises(notices.TokenError, match="not valid"):
        notices.read_token(ring, other)
    longer = token.split(".")
    longer[1] = notices._base36(int(longer[1], 36) + 86400)  # a day more
    with pytest.raises(notices.TokenError, match="not valid"):
        notices.read_token(ring, ".".join(longer))
    with pytest.raises(notices.TokenError, match="not valid"):  # another key file
        notices.read_token(Keyring.load(tmp_path / "k2", create=True), token)
    old = notices.justify_token(ring, "agra46mztrnvfqoj", time.time() - 1)
    with pytest.raises(notices.TokenError, match="expired"):
        notices.read_token(ring, old)
    host = "mailscreen.clinic.example"
    assert notices.reply_token(f"Justify+{token}@Mailscreen.Clinic.Example", host) == token
    assert notices.reply_token(f"justify+{token}@elsewhere.example", host) is None
    assert notices.reply_token(f"sales+{token}@{host}", host) is None


def test_the_first_line_of_a_reply_is_read_from_its_text_or_html():
    plain = message(body="\r\n\r\n  JUSTIFY: a patient asked for the price list\r\n> quoted")
    assert first_line(plain) == "JUSTIFY: a patient asked for the price list"
    html = (b"From: a@b.example\r\nMIME-Version: 1.0\r\nContent-Type: text/html\r\n\r\n"
            b"<div dir=ltr>WITHDRAW</div><div><br></div><blockquote>...</blockquote>\r\n")
    assert first_line(html) == "WITHDRAW"
    assert first_line(b"MIME-Version: 1.0\r\nContent-Type: image/png\r\n\r\niVBORw0K\r\n") == ""


# -- by reply, through the relay ---------------------------------------------------------


@pytest.mark.both_databases
def test_a_reply_justifies_or_withdraws_and_is_never_relayed(make_relay, sink, tmp_path):
    relay = held_relay(make_relay)
    send(relay, "sam@example.com", ADVERT, subject="Your question")
    send(relay, "alex@example.com", NHS, subject="Referral for Alex")
    send(relay, "kim@example.com", ADVERT, subject="Prices for Kim")
    advert = hold_notice(sink, "Your question")
    patient = hold_notice(sink, "Referral for Alex")
    kim = hold_notice(sink, "Prices for Kim")

    # no web.public_url: no link, but the notice says how to reply, and the reply address
    # carries the token
    assert link_of(advert) == ""
    assert "JUSTIFY: your reason" in text(advert)
    assert advert["Reply-To"].startswith("justify+") and \
        advert["Reply-To"].endswith("@" + relay.settings.server.hostname)

    # another sender's reply: refused, and the message stays held
    reply(relay, advert, "JUSTIFY: let me through", sender=OTHER)
    refused = wait_for(lambda: notices_to(sink, OTHER, "Your reply to a hold notice"))
    assert "only the address that sent the held message" in text(refused[0])
    assert held(relay, "sam@example.com").status == "held"

    # medium advertising: the justification releases it, and the upstream receives it
    reply(relay, advert, "JUSTIFY: Sam asked us about results; this is our reply")
    wait_for(lambda: sink.handler.to("sam@example.com"))
    row = held(relay, "sam@example.com")
    assert (row.status, row.reason_code, row.decided_by) == (
        "released", "sender_justified", f"sender:{SENDER}")
    assert row.reason == row.justification == "Sam asked us about results; this is our reply"
    answer = wait_for(lambda: notices_to(sink, SENDER, "Released: Your question"))
    assert "on its way" in text(answer[0])

    # patient data (four eyes): the justification is attached, the message stays held
    reply(relay, patient, "Justify: Alex's GP asked for the treatment record")
    wait_for(lambda: held(relay, "alex@example.com").justification)
    row = held(relay, "alex@example.com")
    assert row.status == "held" and row.decided_by == ""
    assert row.justification == "Alex's GP asked for the treatment record"
    assert wait_for(lambda: notices_to(sink, SENDER, "Justification received: Referral"))
    shown = held_show(relay, row.id, tmp_path)
    assert "justified by the sender: Alex's GP asked for the treatment record" in shown

    # the token works once
    reply(relay, patient, "JUSTIFY: once more")
    again = wait_for(lambda: notices_to(sink, SENDER, "Your reply to a hold notice"))
    assert "already used" in text(again[0])
    assert held(relay, "alex@example.com").justification == \
        "Alex's GP asked for the treatment record"

    # WITHDRAW: rejected in the sender's name
    reply(relay, kim, "WITHDRAW")
    wait_for(lambda: held(relay, "kim@example.com").status == "rejected")
    row = held(relay, "kim@example.com")
    assert (row.reason_code, row.decided_by) == ("sender_withdrew", f"sender:{SENDER}")
    assert wait_for(lambda: notices_to(sink, SENDER, "Withdrawn: Prices for Kim"))

    # an out-of-office to the reply address is dropped without an answer (no loop)
    before = len(sink.handler.to(SENDER))
    reply(relay, kim, "I am away until Monday.", extra="Auto-Submitted: auto-replied\r\n")
    wait_for(relay.idle)

    # no reply was relayed upstream, nor screened as outbound mail
    assert not [m for _, rcpts, _ in sink.messages for m in rcpts if m.startswith("justify+")]
    assert len(relay.app.store.logs()) == 3  # the three held messages only
    assert len(sink.handler.to(SENDER)) == before
    assert sink.handler.to("kim@example.com") == []

    # the audit log, in the sender's name; and admins cannot choose the sender's codes
    assert [(e.action, e.user) for e in audit_rows(relay)] == [
        ("release", f"sender:{SENDER}"), ("justify", f"sender:{SENDER}"),
        ("withdraw", f"sender:{SENDER}")]
    admin = RemoteModerator(relay.settings, relay.settings.admin.socket)
    with pytest.raises(ModerationError, match="reason code must be one of"):
        admin.release(held(relay, "alex@example.com").id, "sender_justified", "as the sender")


def test_with_justification_off_notices_offer_nothing_and_a_reply_is_mail(make_relay, sink):
    relay = held_relay(make_relay, justify={"enabled": False},
                       web={"public_url": "https://mail.glowclinic.example"})
    send(relay, "sam@example.com", ADVERT)
    notice = hold_notice(sink, "Your question")
    assert notice["Reply-To"] is None and link_of(notice) == ""
    assert "JUSTIFY" not in text(notice)
    # a reply to a reply address of a notice made while it was on: ordinary outbound mail
    ring = Keyring.load(relay.settings.key_path)
    row = held(relay, "sam@example.com")
    address = f"justify+{notices.justify_token(ring, row.id, time.time() + 60)}@" \
              f"{relay.settings.server.hostname}"
    send(relay, address, "JUSTIFY: please")
    wait_for(lambda: sink.handler.to(address))
    assert held(relay, "sam@example.com").status == "held"


# -- on the console's page, in a browser -------------------------------------------------


@pytest.fixture
def console(make_relay, tmp_path):
    """A relay whose notices link to the console, and the console on a free port."""
    port = free_port()
    relay = held_relay(make_relay, admin={"group": "daemon"},
                       web={"port": port, "cookie_secure": False,
                            "public_url": f"http://127.0.0.1:{port}/"})
    RemoteModerator(relay.settings, relay.settings.admin.socket).set_password(
        "daemon", hash_password(PASSWORD))
    with serving(create_app(relay.settings), port) as url:
        yield relay, url



@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs "
                                             "Debian's chromium package)")
def test_the_notice_links_to_a_page_where_the_sender_justifies_or_withdraws(
        console, sink, tmp_path):
    playwright = pytest.importorskip("playwright.sync_api", reason="playwright not installed")
    relay, url = console
    send(relay, "sam@example.com", ADVERT, subject="Your question")
    send(relay, "alex@example.com", NHS, subject="Referral for Alex")
    send(relay, "kim@example.com", ADVERT, subject="Prices for Kim")
    advert = link_of(hold_notice(sink, "Your question"))
    patient = link_of(hold_notice(sink, "Referral for Alex"))
    kim = link_of(hold_notice(sink, "Prices for Kim"))
    assert advert.startswith(f"{url}/justify/")
    with playwright.sync_playwright() as p:
        browser = chromium(p, CHROMIUM)
        try:
            page = browser.new_page(viewport={"width": 1000, "height": 760})

            # no login: the link shows what was found, redacted, and the two choices
            page.goto(advert)
            assert "misleading_claim" in page.locator("ul.findings").inner_text()
            assert "releases the message at once" in page.locator("form.justify").inner_text()
            screenshot(page, "justify", tmp_path)
            # a form without its token is refused; looking spent nothing
            forged = page.request.post(advert, form={"action": "withdraw"})
            assert forged.status == 403
            page.fill("textarea[name=justification]", "Sam asked about results; our answer")
            page.click("form.justify button[type=submit]")
            assert "released the message" in page.locator("p.done").inner_text()
            wait_for(lambda: sink.handler.to("sam@example.com"))
            row = held(relay, "sam@example.com")
            assert (row.status, row.reason_code, row.decided_by) == (
                "released", "sender_justified", f"sender:{SENDER}")
            # the token is spent: the link is refused from now on
            page.goto(advert)
            assert "already used" in page.locator("p.error").inner_text()
            assert page.locator("form").count() == 0

            # patient data: never the evidence unredacted; the justification is attached
            page.goto(patient)
            assert "0018" in page.locator("ul.findings").inner_text()
            assert "999 000 0018" not in page.content()
            assert "goes to the administrator" in page.locator("form.justify").inner_text()
            page.fill("textarea[name=justification]", "x" * 1001)  # past max_chars
            assert len(page.locator("textarea").input_value()) == 1000  # the form's limit
            token = page.locator("form.justify input[name=csrf]").input_value()
            long = page.request.post(patient, form={"action": "justify", "csrf": token,
                                                    "justification": "x" * 1001})
            assert long.status == 409 and "at most 1000 characters" in long.text()
            page.goto(patient)
            page.fill("textarea[name=justification]", "Alex's GP asked for the record")
            page.click("form.justify button[type=submit]")
            assert "with the administrator" in page.locator("p.done").inner_text()
            row = held(relay, "alex@example.com")
            assert row.status == "held" and row.justification == "Alex's GP asked for the record"

            # ... where the admin sees it, on the message page
            admin = browser.new_context().new_page()
            admin.goto(f"{url}/login")
            admin.fill("input[name=user]", "daemon")
            admin.fill("input[name=password]", PASSWORD)
            admin.click("button[type=submit]")
            assert "justified by the sender" in admin.locator("table.held tbody").inner_text()
            admin.goto(f"{url}/held/{row.id}")
            assert "Alex's GP asked for the record" in admin.locator("dd.justification").inner_text()

            # withdraw
            page.goto(kim)
            page.click("form.withdraw button[type=submit]")
            assert "will not be sent" in page.locator("p.done").inner_text()
            row = held(relay, "kim@example.com")
            assert (row.status, row.reason_code) == ("rejected", "sender_withdrew")

            # a changed token, and an expired one, are refused
            tampered = kim[:-3] + ("aaa" if not kim.endswith("aaa") else "bbb")
            assert page.request.get(tampered).status == 403
            ring = Keyring.load(relay.settings.key_path)
            expired = notices.justify_token(ring, held(relay, "alex@example.com").id,
                                            time.time() - 60)
            gone = page.request.get(f"{url}/justify/{expired}")
            assert gone.status == 403 and "expired" in gone.text()
        finally:
            browser.close()
    wait_for(relay.idle)
    assert sink.handler.to("kim@example.com") == []


def test_the_release_policy_is_the_justify_release_table():
    def row(category, severity, four_eyes=False):
        return HeldMessage(id="x", received_at=datetime.now(timezone.utc), mail_from="a@b", rcpt_tos="[]",
                           findings=f'[{{"category": "{category}", "rule": "r", '
                                    f'"severity": "{severity}"}}]',
                           hold_rules="r", four_eyes=four_eyes)

    settings = Settings()
    assert justify_releases(settings, row("advertising", "medium"))
    assert justify_releases(settings, row("language", "low"))
    assert not justify_releases(settings, row("advertising", "high"))
    assert not justify_releases(settings, row("advertising", "medium", four_eyes=True))
    assert not justify_releases(settings, row("patient_data", "low"))
    assert not justify_releases(settings, row("copyright", "medium"))
    stricter = dataclasses.replace(settings, justify=dataclasses.replace(
        settings.justify, release={"advertising": "", "copyright": "high"}))
    assert not justify_releases(stricter, row("advertising", "low"))
    assert justify_releases(stricter, row("copyright", "high"))


@pytest.mark.both_databases
def test_two_uses_of_one_token_at_once_decide_once(tmp_path, db_url):
    """Two browsers (or a browser and a reply, on two nodes) with one token at the same
    moment: the spent-token row's key lets one through; the other changes nothing."""
    settings = dataclasses.replace(Settings(), data_dir=str(tmp_path / "data"),
                                   database_url=db_url)
    store = audit.configure(Store(settings.db_url).create(), settings.key_path,
                            settings.anchor_path, node="a")
    now = datetime.now(timezone.utc)
    with store.session() as s:
        s.add(HeldMessage(id="agra46mztrnvfqoj", received_at=now, held_at=now, mail_from=SENDER,
                          rcpt_tos='["sam@example.com"]', categories="advertising",
                          hold_rules="misleading_claim", findings='[{"category": "advertising",'
                          ' "rule": "misleading_claim", "severity": "medium"}]'))
        s.commit()
    token = notices.justify_token(store.keyring, "agra46mztrnvfqoj", time.time() + 60)
    gate = threading.Barrier(2)
    outcomes = []

    def use(text):
        m = Moderator(settings, store, Spool(tmp_path / "spool").create())
        gate.wait()
        try:
            outcomes.append(m.justify(token, text).status)
        except ModerationError as e:
            outcomes.append(str(e))

    threads = [threading.Thread(target=use, args=(t,)) for t in ("first", "second")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes) == ["released", "this link was already used: it works once"] or \
        sorted(outcomes) == ["released", "the message was decided meanwhile"]
    assert [e.action for e in audit.events(store)] == ["release"]
    store.dispose()
