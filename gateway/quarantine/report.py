"""The weekly screening report: what was screened, what was held and why, what the admins
decided, and how often each rule's holds turned out to be false positives.

Weeks are ISO weeks in UTC (Monday 00:00 to Monday 00:00). The numbers come from the
screening log (one row per message) and the quarantine rows; nothing here formats them.
What needs doing (held mail waiting for a person) is counted as of now, whatever the week;
the last complete week carries the week under way beside it. Messages and findings are
counted apart, and every breakdown adds up to its total. A sender's own release or
withdrawal (sender justification) is not an admin's decision and is counted apart.
The report is read, and mailed, beyond the admins who review held mail: the backlog's
subjects show no names or numbers (the stored subject has only long numbers masked, as
the sender's own notice has).
"""
from __future__ import annotations

import json

import re
import statistics
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone

from sqlalchemy import func
from sqlmodel import select

from gateway.database.store import HeldMessage, ScreeningLog, Store, as_utc
from scanners import redact

TOP = 10
TREND_WEEKS = 8
# What a category holds mail for, in a practice manager's words (the report's glossary).
CATEGORY_MEANINGS = {
    "patient_data": "details that identify a patient: numbers, names with treatments, "
                    "photographs, lists",
    "copyright": "someone else's published or protected work sent on",
    "language": "abusive, threatening, discriminating or defamatory words",
    "advertising": "promotion the advertising codes forbid, such as prescription-only "
                   "medicines or unproven claims",
    "attachment": "attachments that cannot be screened or may be harmful",
}
# Decisions a sender made from the hold notice (sender justification), not an admin: kept
# out of the admins' false-positive rates and shown apart.
SENDER_JUSTIFIED, SENDER_WITHDREW = "sender_justified", "sender_withdrew"


def week_bounds(week: str | None, now: datetime | None = None) -> tuple[str, datetime, datetime]:
    """('2026-W47', Monday 00:00 UTC, next Monday); no week: the last complete one."""
    if week is None:
        now = now or datetime.now(timezone.utc)
        last = now - timedelta(days=7)
        year, number, _ = last.isocalendar()
    else:
        m = re.fullmatch(r"(\d{4})-?W(\d{1,2})", week.strip(), re.IGNORECASE)
        if not m:
            raise ValueError(f"not an ISO week: {week!r} (use e.g. 2026-W47)")
        year, number = int(m.group(1)), int(m.group(2))
    try:
        start = datetime.fromisocalendar(year, number, 1).replace(tzinfo=timezone.utc)
    except ValueError:
        raise ValueError(f"no such week: {year}-W{number:02d}") from None
    return f"{year}-W{number:02d}", start, start + timedelta(days=7)


def week_name(day: datetime) -> str:
    year, number, _ = day.isocalendar()
    return f"{year}-W{number:02d}"


@dataclass
class Totals:
    screened: int = 0
    passed: int = 0
    tagged: int = 0
    held: int = 0


@dataclass
class WeekSoFar(Totals):
    """The week under way, beside the last complete one: a Monday look is not all zeros."""
    week: str = ""
    until: datetime | None = None


@dataclass
class ToDo:
    """What needs a person now, whatever week the report is of: the top of the report."""
    waiting: int = 0  # held, no decision yet
    oldest_id: str = ""
    oldest_hours: float | None = None
    needs_approval: int = 0  # four eyes, nobody has approved yet
    waiting_second_reviewer: int = 0  # four eyes, approved: its release is another admin's
    justifications_to_review: int = 0  # a sender's justification for an admin to weigh


@dataclass
class Justified:
    """A message released on its sender's justification."""
    id: str
    sender: str
    top_rule: str
    justification: str  # masked as the backlog's subjects are (scanners/redact.py masked)


@dataclass
class RuleOutcome:
    decided: int = 0  # by an admin
    released: int = 0
    false_positive: int = 0
    sender_justified: int = 0  # released on the sender's justification: not the admins' call
    sender_withdrew: int = 0

    @property
    def false_positive_rate(self) -> float | None:
        return round(self.false_positive / self.decided, 4) if self.decided else None


@dataclass
class BacklogItem:
    id: str
    age_hours: float
    top_rule: str
    sender: str
    subject: str = ""  # names and numbers masked (scanners/redact.py masked)


@dataclass
class TrendWeek:
    week: str
    screened: int
    passed: int
    tagged: int
    held: int


@dataclass
class WeeklyReport:
    week: str
    start: datetime
    end: datetime
    totals: Totals
    previous: Totals
    held_by_category: dict[str, int]
    held_by_rule: dict[str, int]
    top_held_senders: list[tuple[str, int]]
    released: int
    rejected: int
    expired: int
    median_hours_to_decision: float | None
    rules: dict[str, RuleOutcome]
    backlog: list[BacklogItem] = field(default_factory=list)
    trend: list[TrendWeek] = field(default_factory=list)  # the last 8 weeks, this one last
    # spool entries in corrupt/ now (unreadable envelopes): each needs a person to look
    corrupt: list[str] = field(default_factory=list)
    complete: bool = True  # False for the week under way: its numbers are so far
    so_far: WeekSoFar | None = None  # beside the last complete week: the one under way
    todo: ToDo = field(default_factory=ToDo)
    # the quarantine's count of the week's holds, and the findings that held them: each
    # ..._by_... below adds up to its total (one message, one top rule)
    held_messages: int = 0
    held_by_top_rule: dict[str, int] = field(default_factory=dict)
    findings: int = 0
    findings_by_category: dict[str, int] = field(default_factory=dict)
    findings_by_rule: dict[str, int] = field(default_factory=dict)
    released_by_reason: dict[str, int] = field(default_factory=dict)  # adds up to released
    withdrawn_by_sender: int = 0  # part of rejected
    sender_justified: list[Justified] = field(default_factory=list)

    def change(self, name: str) -> int:
        return getattr(self.totals, name) - getattr(self.previous, name)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["start"], d["end"] = self.start.isoformat(), self.end.isoformat()
        d["change"] = {k: self.change(k) for k in asdict(self.totals)}
        d["top_held_senders"] = [{"sender": s, "held": n} for s, n in self.top_held_senders]
        d["rules"] = {r: {**asdict(o), "false_positive_rate": o.false_positive_rate}
                      for r, o in self.rules.items()}
        d["backlog_count"] = len(self.backlog)
        if self.so_far:
            d["so_far"]["until"] = self.so_far.until.isoformat()
        return d


def _totals(store: Store, start: datetime, end: datetime) -> Totals:
    with store.session() as s:
        counts = dict(s.exec(select(ScreeningLog.action, func.count()).where(
            ScreeningLog.screened_at >= start, ScreeningLog.screened_at < end)
            .group_by(ScreeningLog.action)).all())
    return Totals(sum(counts.values()), counts.get("pass", 0), counts.get("tag", 0),
                  counts.get("hold", 0))


def _split(value: str) -> list[str]:
    return [v for v in value.split(",") if v]


def weekly(store: Store, week: str | None = None, now: datetime | None = None,
           corrupt: list[str] | None = None) -> WeeklyReport:
    now = now or datetime.now(timezone.utc)
    name, start, end = week_bounds(week, now)
    m = HeldMessage  # only the columns counted (not the findings), only the rows that count
    with store.session() as s:
        # in time order, so that equal counts rank the same way every time
        held = s.exec(select(m.categories, m.hold_rules, m.mail_from, m.top_rule, m.findings)
                      .where(m.held_at >= start, m.held_at < end)
                      .order_by(m.held_at, m.id)).all()
        decided = s.exec(select(m.id, m.status, m.reason_code, m.reason, m.hold_rules,
                                m.top_rule, m.mail_from, m.held_at, m.decided_at)
                         .where(m.decided_at >= start, m.decided_at < end)).all()
        open_at_end = s.exec(select(m.id, m.held_at, m.top_rule, m.mail_from, m.subject).where(
            m.held_at < end, (m.status == "held") | (m.decided_at >= end))).all()
    by_category = Counter(c for row in held for c in _split(row.categories))
    by_rule = Counter(r for row in held for r in _split(row.hold_rules))
    senders = Counter(row.mail_from for row in held)
    holding = [f for row in held for f in json.loads(row.findings)
               if f["rule"] in _split(row.hold_rules)]  # the findings that held them

    human = [r for r in decided if r.reason_code != "expired"]
    admins = [r for r in human if r.reason_code not in (SENDER_JUSTIFIED, SENDER_WITHDREW)]
    hours = [(as_utc(r.decided_at) - as_utc(r.held_at)).total_seconds() / 3600 for r in admins]
    rules: dict[str, RuleOutcome] = {}
    for row in human:
        for rule in _split(row.hold_rules):
            outcome = rules.setdefault(rule, RuleOutcome())
            if row.reason_code == SENDER_JUSTIFIED:
                outcome.sender_justified += 1
            elif row.reason_code == SENDER_WITHDREW:
                outcome.sender_withdrew += 1
            else:
                outcome.decided += 1
                if row.status == "released":
                    outcome.released += 1
                    outcome.false_positive += row.reason_code == "false_positive"

    as_of = min(end, now)  # the current week: ages up to now
    backlog = [BacklogItem(r.id, round((as_of - as_utc(r.held_at)).total_seconds() / 3600, 1),
                           r.top_rule, r.mail_from, redact.masked(r.subject))
               for r in open_at_end]
    backlog.sort(key=lambda b: b.age_hours, reverse=True)
    released = [r for r in decided if r.status == "released"]
    so_far = None
    if end <= now < end + timedelta(days=7):  # the last complete week: the next one so far
        so_far = WeekSoFar(**asdict(_totals(store, end, now)), week=week_name(end), until=now)
    return WeeklyReport(
        week=name, start=start, end=end,
        totals=_totals(store, start, end),
        previous=_totals(store, start - timedelta(days=7), start),
        held_by_category=dict(by_category.most_common()),
        held_by_rule=dict(by_rule.most_common()),
        top_held_senders=senders.most_common(TOP),
        released=len(released),
        rejected=sum(r.status == "rejected" and r.reason_code != "expired" for r in decided),
        expired=sum(r.reason_code == "expired" for r in decided),
        median_hours_to_decision=round(statistics.median(hours), 2) if hours else None,
        rules=dict(sorted(rules.items())),
        backlog=backlog,
        trend=trend(store, start),
        corrupt=list(corrupt or []),
        complete=end <= now,
        so_far=so_far,
        todo=todo(store, now),
        held_messages=len(held),
        held_by_top_rule=dict(Counter(row.top_rule for row in held).most_common()),
        findings=len(holding),
        findings_by_category=dict(Counter(f["category"] for f in holding).most_common()),
        findings_by_rule=dict(Counter(f["rule"] for f in holding).most_common()),
        released_by_reason=dict(Counter(r.reason_code or "other" for r in released)
                                .most_common()),
        withdrawn_by_sender=sum(r.status == "rejected" and r.reason_code == SENDER_WITHDREW
                                for r in decided),
        sender_justified=[Justified(r.id, r.mail_from, r.top_rule, redact.masked(r.reason))
                          for r in released if r.reason_code == SENDER_JUSTIFIED],
    )


def todo(store: Store, now: datetime) -> ToDo:
    """Held mail waiting for a person now, counted in the database."""
    waiting = HeldMessage.status == "held"
    count = select(func.count()).select_from(HeldMessage).where(waiting)
    with store.session() as s:
        oldest = s.exec(select(HeldMessage.id, HeldMessage.held_at).where(waiting)
                        .order_by(HeldMessage.held_at).limit(1)).first()
        return ToDo(
            waiting=s.exec(count).one(),
            oldest_id=oldest[0] if oldest else "",
            oldest_hours=round((now - as_utc(oldest[1])).total_seconds() / 3600, 1)
            if oldest else None,
            needs_approval=s.exec(count.where(HeldMessage.four_eyes,
                                              HeldMessage.approved_by == "")).one(),
            waiting_second_reviewer=s.exec(count.where(HeldMessage.four_eyes,
                                                       HeldMessage.approved_by != "")).one(),
            justifications_to_review=s.exec(
                count.where(HeldMessage.justification != "")).one())


def trend(store: Store, start: datetime, weeks: int = TREND_WEEKS) -> list[TrendWeek]:
    """Totals for each of the `weeks` weeks ending with the one starting at `start`."""
    out = []
    for back in range(weeks - 1, -1, -1):
        week_start = start - timedelta(days=7 * back)
        t = _totals(store, week_start, week_start + timedelta(days=7))
        out.append(TrendWeek(week_name(week_start), t.screened, t.passed, t.tagged, t.held))
    return out
