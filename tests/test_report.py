"""The weekly report: a generated week of screening log and quarantine rows, every number
checked in all four formats, and the HTML rendered in a real headless browser."""
from __future__ import annotations

import csv
import email
import email.policy
import io
import json
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner
from harness import chromium

from cli.main import app
from gateway.config import load_config
from gateway.database.store import HeldMessage, ScreeningLog, Store

WEEK = "2026-W47"  # Monday 16 to Monday 23 November 2026

pytestmark = pytest.mark.both_databases


def at(day: int, hour: int) -> datetime:
    return datetime(2026, 11, day, hour, 0, tzinfo=timezone.utc)


def held(id, sender, held_at, categories, rules, status="held", decided_at=None, code=""):
    findings = [{"category": categories, "rule": rule, "severity": "high", "where": "body",
                 "evidence": "***"} for rule in rules.split(",")]
    return HeldMessage(id=id, received_at=held_at, held_at=held_at, mail_from=sender,
                       rcpt_tos='["x@example.com"]', categories=categories, hold_rules=rules,
                       findings=json.dumps(findings),
                       top_rule=rules.split(",")[0], status=status, decided_at=decided_at,
                       decided_by="alice" if decided_at else "", reason_code=code)


A, B, C = "a@glowclinic.example", "b@glowclinic.example", "c@glowclinic.example"


def held_rows() -> list[HeldMessage]:
    return [
        held("h1", A, at(16, 10), "patient_data", "uk_nhs_number", "released", at(16, 12), "false_positive"),
        held("h2", A, at(17, 9), "patient_data", "date_of_birth,uk_nhs_number", "rejected", at(17, 13)),
        held("h3", B, at(18, 9), "advertising", "pom_promotion", "released", at(19, 9), "approved_exception"),
        held("h4", C, at(19, 10), "copyright", "copyright_rights_reserved"),
        held("h5", A, at(20, 10), "language", "language_abuse", "rejected", at(23, 10)),
        held("h6", B, at(21, 10), "patient_data", "uk_nhs_number", "released", at(21, 11), "false_positive"),
        held("h0", C, at(2, 10), "patient_data", "uk_nhs_number", "rejected", at(16, 10), "expired"),
    ]


@pytest.fixture
def config(tmp_path, db_url) -> Path:
    path = tmp_path / "mailscreen.toml"
    path.write_text(f'data_dir = "data"\ndatabase_url = "{db_url}"\n')
    store = Store(load_config(path).db_url).create()
    logs = []
    for n, (action, week_start) in enumerate([("pass", 16)] * 50 + [("tag", 16)] * 8 +
                                             [("hold", 16)] * 6 + [("pass", 9)] * 40 +
                                             [("tag", 9)] * 5 + [("hold", 9)] * 3):
        logs.append(ScreeningLog(id=f"log{n}", screened_at=at(week_start + n % 7, 8 + n % 10),
                                 sender=A, recipient_count=1, action=action))
    logs.append(ScreeningLog(id="late", screened_at=at(23, 0), sender=A, recipient_count=1,
                             action="hold"))  # next week: not counted
    with store.session() as s:
        s.add_all(logs + held_rows())
        s.commit()
    return path


EXPECTED = {
    ("totals", "screened"): 64, ("totals", "passed"): 50, ("totals", "tagged"): 8,
    ("totals", "held"): 6,
    ("previous_week", "screened"): 48, ("previous_week", "passed"): 40,
    ("previous_week", "tagged"): 5, ("previous_week", "held"): 3,
    ("change", "screened"): 16, ("change", "passed"): 10, ("change", "tagged"): 3,
    ("change", "held"): 3,
    ("held_by_category", "patient_data"): 3, ("held_by_category", "advertising"): 1,
    ("held_by_category", "copyright"): 1, ("held_by_category", "language"): 1,
    ("held_by_rule", "uk_nhs_number"): 3, ("held_by_rule", "date_of_birth"): 1,
    ("held_by_rule", "pom_promotion"): 1, ("held_by_rule", "copyright_rights_reserved"): 1,
    ("held_by_rule", "language_abuse"): 1,
    ("top_held_senders", A): 3, ("top_held_senders", B): 2, ("top_held_senders", C): 1,
    ("decisions", "released"): 3, ("decisions", "rejected"): 1, ("decisions", "expired"): 1,
    ("decisions", "median_hours_to_decision"): 3.0,
    ("rule_decided", "uk_nhs_number"): 3, ("rule_released", "uk_nhs_number"): 2,
    ("rule_false_positive", "uk_nhs_number"): 2,
    ("rule_false_positive_rate", "uk_nhs_number"): 0.6667,
    ("rule_decided", "date_of_birth"): 1, ("rule_false_positive_rate", "date_of_birth"): 0.0,
    ("rule_decided", "pom_promotion"): 1, ("rule_released", "pom_promotion"): 1,
    ("rule_false_positive_rate", "pom_promotion"): 0.0,
    ("backlog", "count"): 2, ("backlog_age_hours", "h4"): 86.0,
    ("backlog_age_hours", "h5"): 62.0,
}


def report(config: Path, *args) -> str:
    result = CliRunner().invoke(app, ["report", "weekly", "--week", WEEK, "--config",
                                      str(config), *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_csv_has_every_number(config):
    rows = list(csv.DictReader(io.StringIO(report(config, "--format", "csv"))))
    assert {r["week"] for r in rows} == {WEEK}
    got = {(r["section"], r["name"]): r["value"] for r in rows}
    for key, value in EXPECTED.items():
        assert float(got[key]) == value, key
    assert ("rule_decided", "language_abuse") not in got  # decided after the week ended


def test_json_has_every_number(config):
    d = json.loads(report(config, "--format", "json"))
    assert d["week"] == WEEK and d["start"].startswith("2026-11-16")
    assert d["totals"] == {"screened": 64, "passed": 50, "tagged": 8, "held": 6}
    assert d["previous"] == {"screened": 48, "passed": 40, "tagged": 5, "held": 3}
    assert d["change"] == {"screened": 16, "passed": 10, "tagged": 3, "held": 3}
    assert d["held_by_category"] == {"patient_data": 3, "advertising": 1, "copyright": 1,
                                     "language": 1}
    assert d["held_by_rule"]["uk_nhs_number"] == 3 and len(d["held_by_rule"]) == 5
    assert d["top_held_senders"] == [{"sender": A, "held": 3}, {"sender": B, "held": 2},
                                     {"sender": C, "held": 1}]
    assert (d["released"], d["rejected"], d["expired"]) == (3, 1, 1)
    assert d["median_hours_to_decision"] == 3.0
    assert d["rules"]["uk_nhs_number"] == {"decided": 3, "released": 2, "false_positive": 2,
                                           "sender_justified": 0, "sender_withdrew": 0,
                                           "false_positive_rate": 0.6667}
    # added for the report read in ten seconds; the fields above keep their names
    assert (d["held_messages"], d["findings"]) == (6, 7)
    assert d["held_by_top_rule"] == {"uk_nhs_number": 2, "date_of_birth": 1, "pom_promotion": 1,
                                     "copyright_rights_reserved": 1, "language_abuse": 1}
    assert d["findings_by_category"] == {"patient_data": 4, "advertising": 1, "copyright": 1,
                                         "language": 1}
    assert d["released_by_reason"] == {"false_positive": 2, "approved_exception": 1}
    assert (d["withdrawn_by_sender"], d["sender_justified"]) == (0, [])
    assert set(d["todo"]) == {"waiting", "oldest_id", "oldest_hours", "needs_approval",
                              "waiting_second_reviewer", "justifications_to_review"}
    assert d["complete"] is True and "so_far" in d
    assert [(b["id"], b["age_hours"]) for b in d["backlog"]] == [("h4", 86.0), ("h5", 62.0)]
    assert d["backlog_count"] == 2


def test_table_has_every_number(config):
    text = report(config)
    for needle in ("Screening report 2026-W47", "screened", "64", "48", "+16", "uk_nhs_number",
                   "67%", "median_hours_to_decision", "3.0", "still held at the end of the "
                   "week: 2, oldest 86 h (h4)", A):
        assert needle in text, needle


def test_html_has_every_number(config):
    html = report(config, "--format", "html")
    assert html.startswith("<!DOCTYPE html>") and "<script" not in html and "http" not in html
    for needle in ('data-label="pass" data-value="50"', 'data-label="hold" data-value="6"',
                   'data-label="patient_data" data-value="4"', '<span class="change">+16</span>',
                   '<span class="up">+3</span>',  # only more held mail is a warning
                   "<td>released</td><td class=n>3</td>", "<td>expired undecided</td><td class=n>1</td>",
                   "<td class=indent>as false positive</td><td class=n>2</td>",
                   "<td>decided in all</td><td class=n>5</td>",
                   "Released on the sender's justification: 0",
                   "Messages held: <b>6</b>. Findings that held them:\n<b>7</b> in those 6",
                   "<td class=n>3 h</td>", "67%", "Still held at the end of the week: 2",
                   "<code>h4</code></td><td class=n>3.6 d",
                   'data-week="2026-W46" data-action="pass" data-value="40"',
                   'data-week="2026-W47" data-action="hold" data-value="6"',
                   'data-week="2026-W40" data-action="pass" data-value="0"',
                   "A valid NHS number (mod-11 check digit passes)"):
        assert needle in html, needle


def test_bad_week_and_format_are_clear_errors(config):
    for args, message in ((["--week", "2026-47"], "not an ISO week"),
                          (["--week", "2026-W60"], "no such week"),
                          (["--format", "pdf"], "--format must be one of")):
        result = CliRunner().invoke(app, ["report", "weekly", "--config", str(config), *args])
        assert result.exit_code == 1 and message in result.stderr


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs "
                                             "Debian's chromium package)")
def test_html_report_renders_in_a_real_browser_with_the_right_bars(config, tmp_path):
    playwright = pytest.importorskip("playwright.sync_api", reason="playwright not installed")
    page_file = tmp_path / "report.html"
    report(config, "--format", "html", "--output", str(page_file))
    with playwright.sync_playwright() as p:
        browser = chromium(p, CHROMIUM)
        try:
            page = browser.new_page()
            page.goto(page_file.as_uri())
            assert page.title() == "mailscreen weekly report 2026-W47"

            def bars(chart):
                return page.eval_on_selector_all(
                    f"#{chart} .bar", "els => els.map(e => [e.dataset.label, "
                    "Number(e.dataset.value), e.getBoundingClientRect().width])")

            def labels(chart):
                return page.eval_on_selector_all(f"#{chart} .value",
                                                 "els => els.map(e => e.textContent)")

            actions = bars("chart-actions")
            assert [(l, v) for l, v, _ in actions] == [("pass", 50), ("tag", 8), ("hold", 6)]
            widest = actions[0][2]
            assert widest > 100
            for _, value, width in actions:  # drawn to scale
                assert width == pytest.approx(widest * value / 50, abs=1.0)
            assert labels("chart-actions") == ["50", "8", "6"]

            category = bars("chart-findings-category")
            assert [(l, v) for l, v, _ in category] == [
                ("patient_data", 4), ("advertising", 1), ("copyright", 1), ("language", 1)]
            assert category[1][2] == pytest.approx(category[0][2] / 4, abs=1.0)
            # the sum, beneath the parts; and no bar anywhere stands at 0
            assert page.inner_text("#chart-findings-category tr.total") == "all findings\t7"
            assert all(v > 0 and w >= 1 for _, v, w in bars("chart-findings-rule") +
                       bars("chart-held-rule") + bars("chart-fp-rate") + actions)

            rates = dict((l, v) for l, v, _ in bars("chart-fp-rate"))
            assert rates == {"uk_nhs_number": 0.6667}  # 0% is in the table, not a bar
            assert "67%" in labels("chart-fp-rate")
            totals = page.inner_text("#totals")
            assert "64" in totals and "+16" in totals
            assert page.inner_text("#todo").startswith("Needs doing now")

            # the trend: 8 weeks of stacked columns, drawn to scale, this week last
            trend = page.eval_on_selector_all(
                "#chart-trend rect.trend", "els => els.map(e => [e.dataset.week, "
                "e.dataset.action, Number(e.dataset.value), e.getBoundingClientRect().height])")
            weeks = sorted({w for w, *_ in trend})
            assert len(weeks) == 8 and weeks[0] == "2026-W40" and weeks[-1] == "2026-W47"
            column = {(w, a): (v, h) for w, a, v, h in trend}
            assert column[("2026-W47", "pass")][0] == 50 and column[("2026-W46", "pass")][0] == 40
            tallest = sum(column[("2026-W47", a)][1] for a in ("pass", "tag", "hold"))
            assert tallest > 100
            assert column[("2026-W46", "pass")][1] == pytest.approx(tallest * 40 / 64, abs=1.0)
            assert column[("2026-W41", "hold")][1] == 0
            assert page.eval_on_selector_all("#chart-trend text.week",
                                             "els => els.map(e => e.textContent)")[-2:] == [
                "W46", "W47"]
            # each rule with the sentence an admin reads, not only its id
            rules = page.inner_text("#rules")
            assert "uk_nhs_number" in rules and "A valid NHS number" in rules
            assert "A prescription-only medicine" in page.inner_text("#chart-held-rule")
            assert "A prescription-only medicine" in page.inner_text("#glossary")
            page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        finally:
            browser.close()


def test_mail_to_sends_the_html_report_through_the_relay(tmp_path, sink, db_url):
    from conftest import Relay, relay_settings, wait_for

    relay = Relay(relay_settings(tmp_path, sink.port, db_url)).start()
    try:
        path = tmp_path / "mailscreen.toml"
        path.write_text(f'data_dir = "data"\ndatabase_url = "{db_url}"\n'
                        f'[server]\nport = {relay.port}\n')
        # what the manager must see: one message waiting for a second reviewer, and one
        # released on its sender's justification, whose names and numbers stay masked
        store = Store(load_config(path).db_url)
        with store.session() as s:
            s.add_all([held("w1", A, at(20, 9), "patient_data", "uk_nhs_number"),
                       held("j1", B, at(18, 9), "advertising", "pom_promotion", "released",
                            at(18, 10), "sender_justified")])
            s.commit()
            s.get(HeldMessage, "w1").four_eyes = True
            s.get(HeldMessage, "w1").approved_by = "alice"
            s.get(HeldMessage, "j1").reason = "Jane Doe asked for the price list, 07700 900123"
            s.commit()
        store.dispose()
        result = CliRunner().invoke(app, ["report", "weekly", "--week", WEEK, "--config",
                                          str(path), "--mail-to", "manager@glowclinic.example"])
        assert result.exit_code == 0, result.output
        (raw,) = wait_for(lambda: sink.handler.to("manager@glowclinic.example"))
        assert b"Subject: mailscreen screening report 2026-W47" in raw
        assert b"Content-Type: text/html" in raw and b"multipart/alternative" in raw
        mail = email.message_from_bytes(raw, policy=email.policy.default)
        text = mail.get_body(("plain",)).get_content()
        assert text.startswith("waiting for a decision: 1, the oldest for ")
        assert "waiting for a second reviewer: 1; needing a first approval: 0" in text
        page = mail.get_body(("html",)).get_content()
        assert page.index('id="todo"') < page.index('id="totals"') < page.index('id="glossary"')
        assert "<b>1</b> waits for a second reviewer" in page
        assert "Released on the sender's justification: 1" in page
        assert "J*** D** asked for the price list, ##### ######" in page
        assert "Jane" not in page and "900123" not in page and "<script" not in page
    finally:
        relay.stop()


def test_backlog_subjects_show_no_names_or_numbers_in_any_format(config):
    """Issue 23: the report goes beyond the reviewing admins (it is mailed), so a held
    subject's patient name, phone number and treatment brand are masked in every format."""
    store = Store(load_config(config).db_url)
    with store.session() as s:
        row = s.get(HeldMessage, "h4")
        row.subject = "Jane Doe 07700 900123 - Botox review, lip filler £250"
        s.add(row)
        s.commit()
    store.dispose()
    for fmt in ("table", "csv", "json", "html"):
        out = report(config, "--format", fmt)
        for leak in ("Jane", "Doe", "900123", "Botox review"):
            assert leak not in out, (fmt, leak)
    (item,) = [b for b in json.loads(report(config, "--format", "json"))["backlog"]
               if b["id"] == "h4"]
    assert item["subject"] == "J*** D** ##### ###### - B**** review, lip filler £250"
