"""The review console in a real browser: a real relay holds mail; the console (uvicorn, in a
thread of this process) reads and decides through the relay's admin socket as the CLI
does; Debian's chromium, driven by Playwright, logs in, filters, opens a held message and
releases it with a reason, and the upstream sink receives it. A POST without the form's
token is refused, a read-only user sees the message but cannot decide, and wrong
passwords are backed off.

The admins are the members of admin.group: the system group `daemon`, whose user `daemon`
every Debian has; `bin` is read-only. One screenshot a page; with $MAILSCREEN_SCREENSHOTS
set they are written to docs/console/ (the README shows them)."""
from __future__ import annotations

import dataclasses
import shutil
import smtplib
from datetime import datetime, timezone

import pytest
from conftest import free_port, message, wait_for
from harness import chromium, screenshot, serving

from gateway.config import AuthSettings
from gateway.control import RemoteModerator
from gateway.passwords import hash_password
from gateway.quarantine.moderation import Filters
from gateway.web.app import create_app

pytestmark = pytest.mark.slow
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
PASSWORD = "correct horse battery"
NHS = "Our patient Jane Doe, NHS number 999 000 0018, had filler on Tuesday."


@pytest.fixture
def console(make_relay, tmp_path):
    """A relay holding two messages from two senders, and the console on a free port."""
    port = free_port()
    relay = make_relay(admin={"group": "daemon"},
                       web={"port": port, "cookie_secure": False, "readonly_users": ["bin"]})
    settings = dataclasses.replace(relay.settings, server=dataclasses.replace(
        relay.settings.server, auth=AuthSettings(max_failures_per_user=3, backoff_start=600)))
    for user in ("daemon", "bin"):  # as `mailscreen admin passwd` does, through the relay
        RemoteModerator(settings, settings.admin.socket).set_password(user, hash_password(PASSWORD))
    with smtplib.SMTP("127.0.0.1", relay.port, timeout=10) as client:
        for sender, to in (("reception@glowclinic.example", "sam@example.com"),
                           ("nurse@glowclinic.example", "alex@example.com")):
            client.sendmail(sender, [to], message(subject=f"Referral for {to}", body=NHS,
                                                  sender=sender, to=to))
    wait_for(lambda: len(relay.queue("hold")) == 2)
    # patient data to outside: four eyes. alice (root may act for anyone on the admin
    # socket) approves the nurse's message; the console's admin is the second reviewer
    alice = RemoteModerator(settings, settings.admin.socket, user="alice")
    nurse = alice.find(Filters(sender="nurse@"))[0]
    assert nurse.four_eyes
    alice.approve(nurse.id, "checked with the clinic")
    with serving(create_app(settings), port) as url:
        yield relay, url



def log_in(page, url: str, user: str, password: str = PASSWORD) -> None:
    page.goto(f"{url}/login")
    page.fill("input[name=user]", user)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs "
                                             "Debian's chromium package)")
def test_console_in_a_browser_releases_held_mail_to_the_upstream(console, sink, tmp_path):
    playwright = pytest.importorskip("playwright.sync_api", reason="playwright not installed")
    relay, url = console
    with playwright.sync_playwright() as p:
        browser = chromium(p, CHROMIUM)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 800})
            page.goto(url)
            assert page.url.endswith("/login")
            screenshot(page, "login", tmp_path)
            log_in(page, url, "daemon")
            assert page.locator("p.count").inner_text() == "2 message(s) held"
            senders = "table.held tbody tr td:nth-child(3)"  # after the box to tick
            assert page.locator(senders).all_inner_texts() == [
                "nurse@glowclinic.example", "reception@glowclinic.example"]  # newest first
            page.select_option("select[name=sort]", "oldest")
            page.click(".filters button[type=submit]")
            assert page.locator(senders).all_inner_texts() == [
                "reception@glowclinic.example", "nurse@glowclinic.example"]
            page.select_option("select[name=sort]", "newest")

            # filter: one sender, the rule that held it
            page.select_option("select[name=rule]", "uk_nhs_number")
            page.fill("input[name=sender]", "nurse@")
            page.click(".filters button[type=submit]")
            assert page.locator("p.count").inner_text() == "1 message(s) held"
            row = page.locator("table.held tbody").inner_text()
            assert "nurse@glowclinic.example" in row and "waiting for a second reviewer" in row
            screenshot(page, "held", tmp_path)

            # the message: envelope, redacted evidence, the rule's sentence from docs/rules.md
            page.click("table.held tbody a")
            envelope = page.locator("dl.envelope").inner_text()
            assert "alex@example.com" in envelope and "held" in envelope
            assert "approved by alice: waiting for a second reviewer" in envelope
            findings = page.locator("ul.findings").inner_text()
            assert "uk_nhs_number" in findings and "0018" in findings
            assert "999 000 0018" not in page.content()  # only the redacted evidence
            screenshot(page, "message", tmp_path)
            held_id = page.url.rsplit("/", 1)[1]

            # a POST without the form's token is refused, and nothing is decided
            forged = page.request.post(f"{url}/held/{held_id}/release",
                                       form={"reason_code": "other", "reason": "forged"})
            assert forged.status == 403
            assert held_id in relay.queue("hold")

            # the reason is required: by the form, and by the Moderator, as in the CLI
            token = page.locator("form.release input[name=csrf]").input_value()
            bare = page.request.post(f"{url}/held/{held_id}/release",
                                     form={"reason_code": "other", "reason": " ", "csrf": token})
            assert bare.status == 409 and "a reason is required" in bare.text()
            assert page.locator("form.release input[name=reason][required]").count() == 1
            page.select_option("form.release select[name=reason_code]", "false_positive")
            page.fill("form.release input[name=reason]", "the NHS number is the clinic's test")
            page.click("form.release button[type=submit]")
            assert "Released" in page.locator("p.done").inner_text()
            assert page.locator("dd.status").inner_text().startswith("released by daemon")
            wait_for(lambda: sink.handler.to("alex@example.com"))
            assert not sink.handler.to("sam@example.com")
            screenshot(page, "released", tmp_path)

            # read-only: sees the other message, gets no forms, and a 403 on a POST
            readonly = browser.new_context().new_page()
            log_in(readonly, url, "bin")
            assert "(read only)" in readonly.locator("header").inner_text()
            readonly.click("table.held tbody a")
            envelope = readonly.locator("dl.envelope").inner_text()
            assert "sam@example.com" in envelope and "needs approval by one admin" in envelope
            assert readonly.locator("form.decide").count() == 0
            token = readonly.locator("header input[name=csrf]").input_value()
            other = readonly.url.rsplit("/", 1)[1]
            refused = readonly.request.post(f"{url}/held/{other}/reject",
                                            form={"reason": "no", "csrf": token})
            assert refused.status == 403 and other in relay.queue("hold")

            # wrong passwords: past max_failures_per_user even the right one waits
            guesser = browser.new_context().new_page()
            for _ in range(3):
                log_in(guesser, url, "daemon", "guess")
                assert "Wrong user name or password" in guesser.content()
            log_in(guesser, url, "daemon")
            assert "Too many failed logins" in guesser.content()
            assert guesser.url.endswith("/login")

            # bulk: a third message; alice approves both left; ticked, they go with one reason
            with smtplib.SMTP("127.0.0.1", relay.port, timeout=10) as client:
                client.sendmail("reception@glowclinic.example", ["kim@example.com"],
                                message(subject="Referral for kim", body=NHS,
                                        sender="reception@glowclinic.example",
                                        to="kim@example.com"))
            wait_for(lambda: len(relay.queue("hold")) == 2)
            alice = RemoteModerator(relay.settings, relay.settings.admin.socket, user="alice")
            left = alice.find(Filters(status="held"))
            for row in left:
                alice.approve(row.id, "checked with the clinic")
            page.goto(url)
            for row in left:
                page.check(f"input[name=id][value='{row.id}']")
            page.select_option("fieldset.bulk select[name=action]", "release")
            page.select_option("fieldset.bulk select[name=reason_code]", "consent_on_file")
            page.fill("fieldset.bulk input[name=reason]", "consent is on file")
            page.click("fieldset.bulk button[type=submit]")
            # Post/Redirect/Get: the browser lands on the list, which shows the outcome once
            assert page.url == f"{url}/"
            assert page.locator("p.done").inner_text().startswith("2 message(s) decided")
            assert page.locator("p.count").inner_text() == "0 message(s) held"
            page.reload()  # no "resubmit the form?": a plain GET, deciding nothing again
            assert page.locator("p.done").count() == 0
            wait_for(lambda: sink.handler.to("sam@example.com")
                     and sink.handler.to("kim@example.com"))

            # the raw message: daemon is an admin, not in the raw-access group
            page.goto(f"{url}/held/{held_id}")
            assert page.locator("p.raw").count() == 0
            assert page.request.get(f"{url}/held/{held_id}/raw").status == 403

            # the audit log: the releases just made, newest first, and the chain verifies
            page.goto(f"{url}/audit")
            first = page.locator("table.audit tbody tr").first.inner_text()
            assert "daemon" in first and "release" in first and "consent is on file" in first
            page.click("form.verify button")
            assert page.locator(".verify-result").inner_text().startswith("Audit chain OK")
            screenshot(page, "audit", tmp_path)

            # the weekly report of this week: what needs doing first, messages and findings
            # apart, the decisions as the sum of their parts, the rule's false-positive rate
            year, week, _ = datetime.now(timezone.utc).isocalendar()
            this_week = f"{year}-W{week:02d}"
            page.goto(f"{url}/report?week={this_week}")
            assert page.locator("h1").inner_text() == f"Screening report {this_week} (so far)"
            assert page.locator("#todo-waiting").inner_text() == "Nothing waits for a decision."
            assert page.locator("#held-summary").inner_text().startswith(
                "Messages held: 3. Findings that held them:")
            decisions = page.locator("#decisions").inner_text()
            for line in ("released\t3", "as false positive\t1", "as consent on file\t2",
                         "decided in all\t3"):
                assert line in decisions, line
            assert "A valid NHS number" in page.locator("table#rules").inner_text()
            assert "uk_nhs_number" in page.locator("#glossary").inner_text()
            screenshot(page, "report", tmp_path)
            # with no week: the last complete one, and this week so far beside it
            page.goto(f"{url}/report")
            header = page.locator("#totals tr").nth(0).inner_text()
            assert header.split("\t")[-1] == f"{this_week} so far"
            assert page.locator("#totals tr", has_text="held").inner_text().split("\t")[-1] == "3"
        finally:
            browser.close()
