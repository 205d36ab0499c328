"""The weekly report a practice manager reads in ten seconds, at the level of its numbers:
rows put by hand in a real database, the report built as of a fixed "now" (Wednesday of
the week after the report's), then rendered as the page that is mailed and served. What
needs doing now, counts that add up, the week so far beside the last complete week, and the
senders' own decisions (sender justification) counted apart from the admins'."""
from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from html import unescape

import pytest
from sqlalchemy import event

from gateway.config import load_config
from gateway.database.store import HeldMessage, ScreeningLog, Store
from gateway.quarantine import report_html
from gateway.quarantine.report import CATEGORY_MEANINGS, weekly
from scanners import registry

pytestmark = pytest.mark.both_databases

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)  # Wednesday of 2026-W48
A, B, C = "a@glowclinic.example", "b@glowclinic.example", "c@glowclinic.example"
JUSTIFICATION = "Jane Doe asked for our Botox price list, call her on 07700 900123"


def at(day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=timezone.utc)


def finding(rule: str, severity: str = "high") -> dict:
    category = {"uk_nhs_number": "patient_data", "date_of_birth": "patient_data",
                "phone_number": "patient_data", "pom_promotion": "advertising",
                "misleading_claim": "advertising", "language_abuse": "language",
                "copyright_rights_reserved": "copyright"}[rule]
    return {"category": category, "rule": rule, "severity": severity, "where": "body",
            "evidence": "***"}


def row(id, sender, held_at, rules, holds, status="held", decided_at=None, code="",
        by="alice", reason="", four_eyes=False, approved_by="") -> HeldMessage:
    """`rules`: every finding's rule; `holds`: those that held it, the top one first."""
    findings = [finding(r, "high" if r in holds else "low") for r in rules]
    return HeldMessage(
        id=id, received_at=held_at, held_at=held_at, mail_from=sender,
        rcpt_tos='["x@example.com"]', findings=json.dumps(findings),
        categories=",".join(sorted({f["category"] for f in findings if f["rule"] in holds})),
        hold_rules=",".join(sorted(holds)), top_rule=holds[0], four_eyes=four_eyes,
        approved_by=approved_by, status=status, decided_at=decided_at,
        decided_by=by if decided_at else "", reason_code=code, reason=reason)


NHS, DOB, POM = "uk_nhs_number", "date_of_birth", "pom_promotion"


def rows() -> list[HeldMessage]:
    return [
        # held in 2026-W47 (16 to 22 November): 8 messages, 11 findings that held them
        row("m1", A, at(16), [NHS, NHS, "phone_number"], [NHS], "released", at(16, 12),
            "false_positive"),  # two NHS numbers; the low phone number held nothing
        row("m2", A, at(17), [DOB, NHS], [NHS, DOB], "rejected", at(17, 14)),
        row("m3", B, at(18), [POM], [POM], "released", at(19), "approved_exception"),
        row("m4", B, at(18, 11), [POM], [POM], "released", at(18, 11, 15), "sender_justified",
            f"sender:{B}", JUSTIFICATION),
        row("m5", C, at(19), [POM, "misleading_claim"], [POM, "misleading_claim"], "rejected",
            at(19, 10, 15), "sender_withdrew", f"sender:{C}", "sent to the wrong list"),
        row("m6", C, at(20), ["language_abuse"], ["language_abuse"], "released", at(20, 10, 15),
            "sender_justified", f"sender:{C}", "quoting the complaint we received"),
        row("m7", A, at(21), [NHS], [NHS], four_eyes=True),  # nobody has approved it yet
        row("m8", B, at(22), [POM], [POM], four_eyes=True, approved_by="alice"),
        # held before, still waiting: the oldest; held after, in the week so far
        row("m9", C, at(9), ["copyright_rights_reserved"], ["copyright_rights_reserved"]),
        row("m10", A, at(23, 9), ["language_abuse"], ["language_abuse"]),
        # held long before, expired in 2026-W47
        row("m0", C, at(2), [NHS], [NHS], "rejected", at(16), "expired", "mailscreen"),
    ]


# (action, day, how many): W46 before, W47 the report's week, W48 the week so far
LOG = [("pass", 9, 10), ("tag", 10, 2), ("hold", 11, 1),
       ("pass", 16, 20), ("tag", 18, 3), ("hold", 20, 8),
       ("pass", 23, 5), ("tag", 24, 1), ("hold", 25, 1)]


@pytest.fixture
def store(tmp_path, db_url):
    path = tmp_path / "mailscreen.toml"
    path.write_text(f'data_dir = "data"\ndatabase_url = "{db_url}"\n')
    (tmp_path / "data").mkdir()
    store = Store(load_config(path).db_url).create()
    logs = [ScreeningLog(id=f"{action}{day}-{n}", screened_at=at(day, 8 + n % 3), sender=A,
                         recipient_count=1, action=action)
            for action, day, count in LOG for n in range(count)]
    with store.session() as s:
        s.add_all(logs + rows())
        s.commit()
    yield store
    store.dispose()


def html(r) -> str:
    return report_html.render(r, descriptions=registry.rule_descriptions())


def section(page: str, element_id: str) -> str:
    """The text of the element with this id (tags dropped), to read as a person does."""
    start = page.index(f'id="{element_id}"')
    tag = page.rfind("<", 0, start)
    name = re.match(r"<(\w+)", page[tag:]).group(1)
    end = page.index(f"</{name}>", start)
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page[tag:end])).strip())


def test_counts_add_up_and_messages_and_findings_are_counted_apart(store):
    r = weekly(store, now=NOW)  # no week: the last complete one
    assert r.week == "2026-W47"
    for t in (r.totals, r.previous, r.so_far):
        assert t.screened == t.passed + t.tagged + t.held
    assert (r.totals.screened, r.totals.held) == (31, 8)

    assert r.held_messages == 8 == sum(r.held_by_top_rule.values())
    assert r.held_by_top_rule == {POM: 4, NHS: 3, "language_abuse": 1}
    assert r.findings == 11 == sum(r.findings_by_category.values()) \
        == sum(r.findings_by_rule.values())
    assert r.findings_by_category == {"patient_data": 5, "advertising": 5, "language": 1}
    assert "phone_number" not in r.findings_by_rule  # found, but held nothing

    assert r.released == 4 == sum(r.released_by_reason.values())
    assert r.released_by_reason == {"sender_justified": 2, "false_positive": 1,
                                    "approved_exception": 1}
    assert (r.rejected, r.withdrawn_by_sender, r.expired) == (2, 1, 1)

    page = html(r)
    assert section(page, "held-summary") == (
        "Messages held: 8 . Findings that held them: 11 in those 8 messages "
        "(one message can hold for several).")
    assert section(page, "chart-held-rule").endswith("all held messages 8")
    assert section(page, "chart-findings-category").endswith("all findings 11")
    assert section(page, "chart-findings-rule").endswith("all findings 11")
    assert section(page, "decisions") == (
        "Decisions made this week (messages) released 4 on the sender's justification 2 "
        "as false positive 1 as approved exception 1 rejected 2 by an admin 1 withdrawn by "
        "the sender 1 expired undecided 1 decided in all 7 median time to an admin decision "
        "4 h")


def test_the_week_so_far_stands_beside_the_last_complete_week(store):
    last = weekly(store, now=NOW)
    assert last.complete and last.so_far is not None
    assert last.so_far.week == "2026-W48" and last.so_far.until == NOW
    assert (last.so_far.screened, last.so_far.passed, last.so_far.tagged,
            last.so_far.held) == (7, 5, 1, 1)
    assert "<th>2026-W47</th><th>week before</th><th>change</th><th>2026-W48 so far</th>" in html(last)
    d = last.to_dict()
    assert d["so_far"] == {"screened": 7, "passed": 5, "tagged": 1, "held": 1,
                           "week": "2026-W48", "until": NOW.isoformat()}
    assert d["complete"] is True

    current = weekly(store, "2026-W48", now=NOW)  # the week under way, asked for by name
    assert not current.complete and current.so_far is None
    assert (current.totals.screened, current.previous.screened) == (7, 31)
    page = html(current)
    assert "Screening report 2026-W48 (so far)" in page and "<th>2026-W48 so far</th>" in page

    past = weekly(store, "2026-W46", now=NOW)  # --week: a past week, as it was
    assert past.complete and past.so_far is None and past.to_dict()["so_far"] is None
    assert (past.totals.screened, past.totals.held) == (13, 1)


def test_what_needs_doing_now_is_at_the_top(store):
    for week in (None, "2026-W46"):  # whatever week the report is of: now
        t = weekly(store, week, now=NOW).todo
        assert (t.waiting, t.oldest_id, t.needs_approval, t.waiting_second_reviewer,
                t.justifications_to_review) == (4, "m9", 1, 1, 0)
        assert t.oldest_hours == 16 * 24 + 2
    page = html(weekly(store, now=NOW))
    assert page.index('id="todo"') < page.index('id="totals"')
    assert section(page, "todo-waiting") == (
        "4 messages wait for a decision; the oldest has waited 2 weeks ( m9 ).")
    assert section(page, "todo-second") == (
        "1 waits for a second reviewer (four eyes, approved once).")
    assert section(page, "todo-approval") == "1 needs a first approval (four eyes)."


def test_justifications_waiting_for_review_are_counted(store):
    with store.session() as s:
        for id, text in (("m7", "the patient asked for it"), ("m9", "")):
            held = s.get(HeldMessage, id)
            held.justification = text
            s.add(held)
        s.commit()
    assert weekly(store, now=NOW).todo.justifications_to_review == 1


def test_senders_own_decisions_are_counted_apart_from_the_admins(store):
    r = weekly(store, now=NOW)
    pom = r.rules[POM]
    assert (pom.decided, pom.released, pom.false_positive) == (1, 1, 0)  # m3, by an admin
    assert (pom.sender_justified, pom.sender_withdrew) == (1, 1)
    assert (r.rules[NHS].decided, r.rules[NHS].false_positive_rate) == (2, 0.5)
    assert r.rules["language_abuse"].decided == 0
    assert r.rules["language_abuse"].false_positive_rate is None  # no admin decided it
    assert r.median_hours_to_decision == 4.0  # the admins' 2, 4 and 24 hours only

    assert [(j.id, j.sender, j.top_rule) for j in r.sender_justified] == [
        ("m4", B, POM), ("m6", C, "language_abuse")]
    masked = r.sender_justified[0].justification
    for leak in ("Jane", "Doe", "900123", "Botox"):
        assert leak not in masked
    assert "price list" in masked

    d = json.loads(json.dumps(r.to_dict()))
    assert d["rules"][POM] == {"decided": 1, "released": 1, "false_positive": 0,
                               "sender_justified": 1, "sender_withdrew": 1,
                               "false_positive_rate": 0.0}
    assert d["sender_justified"][0] == {"id": "m4", "sender": B, "top_rule": POM,
                                        "justification": masked}
    assert (d["released"], d["withdrawn_by_sender"]) == (4, 1)

    page = html(r)
    assert "Released on the sender's justification: 2" in page
    assert masked in section(page, "justified")
    for leak in ("Jane", "900123"):
        assert leak not in page


def test_charts_have_no_bar_at_zero_and_rules_are_named_in_words(store):
    page = html(weekly(store, now=NOW))
    values = re.findall(r'class="bar"[^>]*data-value="([^"]+)"', page)
    assert values and all(float(v) > 0 for v in values)
    fp = section(page, "chart-fp-rate")  # pom_promotion's 0% is in the table, not a bar
    assert "50%" in fp and "A prescription-only medicine" not in fp
    assert "A prescription-only medicine" in section(page, "chart-held-rule")
    glossary = section(page, "glossary")
    sentences = registry.rule_descriptions()
    for rule in (NHS, DOB, POM, "misleading_claim", "language_abuse",
                 "copyright_rights_reserved"):
        assert f"{rule} {sentences[rule]}" in glossary
    for category, meaning in CATEGORY_MEANINGS.items():
        assert f"{category} {meaning}" in glossary
    assert page.index('id="glossary"') > page.index('id="backlog"')  # at the end


@pytest.mark.parametrize("hours, words", [
    (0.001, "under a minute"), (0.5, "30 minutes"), (1, "1 hour"), (30, "30 hours"),
    (49, "2 days"), (24 * 13, "13 days"), (24 * 16, "2 weeks")])
def test_ages_are_said_in_words(hours, words):
    assert report_html.in_words(hours) == words


def test_an_empty_week_reads_as_nothing_to_do(tmp_path, db_url):
    path = tmp_path / "mailscreen.toml"
    path.write_text(f'data_dir = "data"\ndatabase_url = "{db_url}"\n')
    (tmp_path / "data").mkdir()
    store = Store(load_config(path).db_url).create()
    try:
        page = html(weekly(store, now=NOW + timedelta(days=5)))
    finally:
        store.dispose()
    assert section(page, "todo-waiting") == "Nothing waits for a decision."
    assert 'class="bar"' not in page
    assert section(page, "chart-actions") == "Messages by action, 2026-W48: none."


def test_the_page_reads_the_oldest_still_held_and_counts_the_rest_in_the_database(store):
    """However many wait, the page (and the mail) reads and masks the 20 oldest subjects
    and asks the database for the count; the totals, the week before, the week so far and
    the trend are one query of the screening log. The CSV and JSON (no limit) list all."""
    with store.session() as s:  # 30 more waiting since 2026-W46, after m9
        s.add_all([row(f"w{i:02d}", A, at(10, 0, i), [NHS], [NHS]) for i in range(30)])
        s.commit()
    statements = []

    def seen(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)
    event.listen(store.engine, "before_cursor_execute", seen)
    try:
        r = weekly(store, now=NOW, backlog_limit=report_html.BACKLOG_SHOWN)
    finally:
        event.remove(store.engine, "before_cursor_execute", seen)
    assert r.backlog_count == 33  # m7, m8, m9 and the 30
    assert [b.id for b in r.backlog] == ["m9"] + [f"w{i:02d}" for i in range(19)]
    subjects = [q for q in statements if "held_message.subject" in q]
    assert len(subjects) == 1 and "LIMIT" in subjects[0]
    assert len([q for q in statements if "FROM screening_log" in q]) == 1
    assert [w.held for w in r.trend[-2:]] == [1, 8] and r.so_far.held == 1

    page = html(r)
    assert "Still held at the end of the week: 33" in page
    listed = re.findall(r"<tr><td><code>(\w+)</code>", page[page.index('id="backlog"'):])
    assert listed == [b.id for b in r.backlog]

    every = weekly(store, now=NOW)
    assert every.backlog_count == len(every.backlog) == 33
    assert every.to_dict()["backlog_count"] == 33
    assert every.backlog[:20] == r.backlog


def test_a_settled_week_is_counted_once_and_a_week_just_ended_each_time(store):
    """An hour after its end a week's rows no longer change: its numbers are kept, and a
    second look reads none of its rows. Until then (a message screened as the week ended
    may still be written) every look counts them again."""
    just_ended = datetime(2026, 11, 23, 0, 30, tzinfo=timezone.utc)  # W47 ended at 0:00
    before = weekly(store, now=just_ended)
    late = datetime(2026, 11, 22, 23, 59, tzinfo=timezone.utc)
    with store.session() as s:
        s.add_all([row("late", A, late, [NHS], [NHS]),
                   ScreeningLog(id="late", screened_at=late, sender=A, recipient_count=1,
                                action="hold")])
        s.commit()
    after = weekly(store, now=just_ended)
    assert (after.held_messages, after.totals.held) == (before.held_messages + 1,
                                                        before.totals.held + 1)

    settled = weekly(store, now=NOW)
    statements = []

    def seen(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)
    event.listen(store.engine, "before_cursor_execute", seen)
    try:
        again = weekly(store, now=NOW)
    finally:
        event.remove(store.engine, "before_cursor_execute", seen)
    assert again == settled and again.held_messages == 9
    assert not [q for q in statements if "held_message.findings" in q  # its holds
                or "held_message.reason_code" in q]  # its decisions
    # the week so far is counted again: the only look at the screening log
    assert len([q for q in statements if "FROM screening_log" in q]) == 1
