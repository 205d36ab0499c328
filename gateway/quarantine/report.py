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

import copy
import json
import re
import statistics
import weakref
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone

from sqlalchemy import case, func
from sqlmodel import select

from gateway.database.store import HeldMessage, ScreeningLog, Store, as_utc
from scanners import redact

TOP = 10
TREND_WEEKS = 8
SETTLE = timedelta(hours=1)  # after its end, a week's rows no longer change (_kept)
_KEPT: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # Store -> {key: numbers}
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
    backlog: list[BacklogItem] = field(default_factory=list)  # the oldest first
    backlog_count: int = 0  # still held at the end of the week: backlog may list fewer
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
        if self.so_far:
            d["so_far"]["until"] = self.so_far.until.isoformat()
        return d


def _kept(store: Store, key: tuple, settled: bool, compute):
    """What a settled week's own rows say, computed once per store: rows are never deleted,
    and a week's holds, decisions and screening log do not change once it has ended (a
    message screened again after a crash is written again within minutes; SETTLE after the
    week's end it is settled). So the page costs the week's rows once, not every time."""
    if not settled:
        return compute()
    kept = _KEPT.setdefault(store, {})
    if key not in kept:
        if len(kept) >= 512:  # years of weeks asked for by hand: start again
            kept.clear()
        kept[key] = compute()
    return copy.deepcopy(kept[key])  # the report is the caller's; the kept stays as it was


def _totals(store: Store, weeks: list[datetime], until: datetime,
            now: datetime) -> list[Totals]:
    """Totals of each week starting at `weeks` (in order), the last one up to `until`: from
    the first not kept from before on, one grouped query, each row put in its week by a
    CASE on the bounds."""
    ends = [*weeks[1:], until]
    kept = _KEPT.get(store, {})
    totals = [copy.copy(kept.get(("totals", w))) for w in weeks]  # the caller's
    if None not in totals:
        return totals
    k = totals.index(None)
    week = case(*((ScreeningLog.screened_at < e, i) for i, e in enumerate(ends[k:], k)))
    with store.session() as s:
        rows = s.exec(select(week, ScreeningLog.action, func.count()).where(
            ScreeningLog.screened_at >= weeks[k], ScreeningLog.screened_at < until)
            .group_by(week, ScreeningLog.action)).all()
    counts: list[Counter] = [Counter() for _ in weeks]
    for i, action, n in rows:
        counts[i][action] += n
    for i in range(k, len(weeks)):
        c = counts[i]
        t = Totals(sum(c.values()), c["pass"], c["tag"], c["hold"])
        totals[i] = _kept(store, ("totals", weeks[i]), ends[i] <= now - SETTLE, lambda t=t: t)
    return totals


def _split(value: str) -> list[str]:
    return [v for v in value.split(",") if v]


def _ranked(groups) -> dict[str, int]:
    """(comma-separated values, messages, the first one's number) grouped rows -> each value's
    messages, most first; equal counts in the order first seen, as Counter.most_common."""
    counts: Counter = Counter()
    seen: dict[str, tuple[int, int]] = {}
    for values, n, first in groups:
        for place, value in enumerate(_split(values)):
            counts[value] += n
            seen[value] = min(seen.get(value, (first, place)), (first, place))
    return dict(sorted(counts.items(), key=lambda item: (-item[1], seen[item[0]])))


def weekly(store: Store, week: str | None = None, now: datetime | None = None,
           corrupt: list[str] | None = None, backlog_limit: int | None = None) -> WeeklyReport:
    """`backlog_limit`: list only the oldest so many still held (the page shows 20 and the
    count; the CSV and JSON list them all): they are counted, and only those read."""
    now = now or datetime.now(timezone.utc)
    name, start, end = week_bounds(week, now)
    m = HeldMessage
    still_held = (m.held_at < end, (m.status == "held") | (m.decided_at >= end))
    with store.session() as s:
        backlog_count = s.exec(select(func.count()).select_from(m).where(*still_held)).one()
        open_at_end = s.exec(select(m.id, m.held_at, m.top_rule, m.mail_from, m.subject)
                             .where(*still_held).order_by(m.held_at, m.id)
                             .limit(backlog_limit)).all()
    as_of = min(end, now)  # the current week: ages up to now
    backlog = [BacklogItem(r.id, round((as_of - as_utc(r.held_at)).total_seconds() / 3600, 1),
                           r.top_rule, r.mail_from, redact.masked(r.subject))
               for r in open_at_end]
    # the 8-week trend ends with this week; the one before is in it, and, for the last
    # complete week, the next one so far comes after it
    first = start - timedelta(days=7 * (TREND_WEEKS - 1))
    weeks = [first + timedelta(days=7 * i) for i in range(TREND_WEEKS)]
    so_far = None
    if end <= now < end + timedelta(days=7):  # the last complete week: the next one so far
        *totals, next_week = _totals(store, [*weeks, end], now, now)
        so_far = WeekSoFar(**asdict(next_week), week=week_name(end), until=now)
    else:
        totals = _totals(store, weeks, end, now)
    return WeeklyReport(
        week=name, start=start, end=end,
        totals=totals[-1],
        previous=totals[-2],
        **_kept(store, ("week", start), end <= now - SETTLE, lambda: _week(store, start, end)),
        backlog=backlog,
        backlog_count=backlog_count,
        trend=[TrendWeek(week_name(w), *asdict(t).values()) for w, t in zip(weeks, totals)],
        corrupt=list(corrupt or []),
        complete=end <= now,
        so_far=so_far,
        todo=todo(store, now),
    )


def _week(store: Store, start: datetime, end: datetime) -> dict:
    """The week's own holds and decisions, counted: WeeklyReport's fields by name."""
    m = HeldMessage  # only the columns counted, only the rows that count
    in_week = (m.held_at >= start, m.held_at < end)
    # each held row numbered in time order, so that equal counts rank the same way every
    # time (the one first held first); grouped by what is counted, so few rows come back
    numbered = select(m.categories, m.hold_rules, m.top_rule, m.mail_from,
                      func.row_number().over(order_by=(m.held_at, m.id)).label("seq")
                      ).where(*in_week).subquery()
    held_groups = [numbered.c.categories, numbered.c.hold_rules, numbered.c.top_rule]
    n, first = func.count(), func.min(numbered.c.seq)
    with store.session() as s:
        held = s.exec(select(*held_groups, n, first).group_by(*held_groups)).all()
        senders = s.exec(select(numbered.c.mail_from, n).group_by(numbered.c.mail_from)
                         .order_by(n.desc(), first).limit(TOP)).all()
        # the findings are counted one by one: a message's JSON list, in time order
        findings = s.exec(select(m.hold_rules, m.findings).where(*in_week)
                          .order_by(m.held_at, m.id)).all()
        decided = s.exec(select(m.id, m.status, m.reason_code, m.reason, m.hold_rules,
                                m.top_rule, m.mail_from, m.held_at, m.decided_at)
                         .where(m.decided_at >= start, m.decided_at < end)).all()
    holding = [f for row in findings for f in json.loads(row.findings)
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
    released = [r for r in decided if r.status == "released"]
    return dict(
        held_by_category=_ranked((r.categories, r[3], r[4]) for r in held),
        held_by_rule=_ranked((r.hold_rules, r[3], r[4]) for r in held),
        top_held_senders=[(sender, count) for sender, count in senders],
        released=len(released),
        rejected=sum(r.status == "rejected" and r.reason_code != "expired" for r in decided),
        expired=sum(r.reason_code == "expired" for r in decided),
        median_hours_to_decision=round(statistics.median(hours), 2) if hours else None,
        rules=dict(sorted(rules.items())),
        held_messages=sum(r[3] for r in held),
        held_by_top_rule=_ranked((r.top_rule, r[3], r[4]) for r in held),
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
    """Held mail waiting for a person now, counted in the database in one pass."""
    m = HeldMessage
    waiting = m.status == "held"

    def count(where):  # the waiting rows where `where` holds (CASE is NULL elsewhere)
        return func.count(case((where, 1)))
    with store.session() as s:
        oldest = s.exec(select(m.id, m.held_at).where(waiting)
                        .order_by(m.held_at).limit(1)).first()
        n, approval, second, justified = s.exec(select(
            func.count(), count(m.four_eyes & (m.approved_by == "")),
            count(m.four_eyes & (m.approved_by != "")), count(m.justification != ""))
            .where(waiting)).one()
    return ToDo(waiting=n, oldest_id=oldest[0] if oldest else "",
                oldest_hours=round((now - as_utc(oldest[1])).total_seconds() / 3600, 1)
                if oldest else None,
                needs_approval=approval, waiting_second_reviewer=second,
                justifications_to_review=justified)
