"""The weekly screening report: what was screened, what was held and why, what the admins
decided, and how often each rule's holds turned out to be false positives.

Weeks are ISO weeks in UTC (Monday 00:00 to Monday 00:00). The numbers come from the
screening log (one row per message) and the quarantine rows; nothing here formats them.
The report is read, and mailed, beyond the admins who review held mail: the backlog's
subjects show no names or numbers (the stored subject has only long numbers masked, as
the sender's own notice has).
"""
from __future__ import annotations

import re
import statistics
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone

from sqlmodel import select

from gateway.database.store import HeldMessage, ScreeningLog, Store, as_utc
from scanners import redact

TOP = 10
TREND_WEEKS = 8


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


@dataclass
class Totals:
    screened: int = 0
    passed: int = 0
    tagged: int = 0
    held: int = 0


@dataclass
class RuleOutcome:
    decided: int = 0
    released: int = 0
    false_positive: int = 0

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
        return d


def _totals(store: Store, start: datetime, end: datetime) -> Totals:
    with store.session() as s:
        actions = s.exec(select(ScreeningLog.action).where(
            ScreeningLog.screened_at >= start, ScreeningLog.screened_at < end)).all()
    counts = Counter(actions)
    return Totals(len(actions), counts["pass"], counts["tag"], counts["hold"])


def _split(value: str) -> list[str]:
    return [v for v in value.split(",") if v]


def weekly(store: Store, week: str | None = None, now: datetime | None = None,
           corrupt: list[str] | None = None) -> WeeklyReport:
    name, start, end = week_bounds(week, now)
    with store.session() as s:
        held = s.exec(select(HeldMessage).where(HeldMessage.held_at >= start,
                                                HeldMessage.held_at < end)).all()
        decided = s.exec(select(HeldMessage).where(HeldMessage.decided_at >= start,
                                                   HeldMessage.decided_at < end)).all()
        open_at_end = s.exec(select(HeldMessage).where(HeldMessage.held_at < end)).all()
    by_category = Counter(c for row in held for c in _split(row.categories))
    by_rule = Counter(r for row in held for r in _split(row.hold_rules))
    senders = Counter(row.mail_from for row in held)

    human = [r for r in decided if r.reason_code != "expired"]
    hours = [(as_utc(r.decided_at) - as_utc(r.held_at)).total_seconds() / 3600 for r in human]
    rules: dict[str, RuleOutcome] = {}
    for row in human:
        for rule in _split(row.hold_rules):
            outcome = rules.setdefault(rule, RuleOutcome())
            outcome.decided += 1
            if row.status == "released":
                outcome.released += 1
                outcome.false_positive += row.reason_code == "false_positive"

    as_of = min(end, now or datetime.now(timezone.utc))  # the current week: ages up to now
    backlog = [BacklogItem(r.id, round((as_of - as_utc(r.held_at)).total_seconds() / 3600, 1),
                           r.top_rule, r.mail_from, redact.masked(r.subject))
               for r in open_at_end
               if r.status == "held" or (r.decided_at and as_utc(r.decided_at) >= end)]
    backlog.sort(key=lambda b: b.age_hours, reverse=True)
    return WeeklyReport(
        week=name, start=start, end=end,
        totals=_totals(store, start, end),
        previous=_totals(store, start - timedelta(days=7), start),
        held_by_category=dict(by_category.most_common()),
        held_by_rule=dict(by_rule.most_common()),
        top_held_senders=senders.most_common(TOP),
        released=sum(r.status == "released" for r in decided),
        rejected=sum(r.status == "rejected" and r.reason_code != "expired" for r in decided),
        expired=sum(r.reason_code == "expired" for r in decided),
        median_hours_to_decision=round(statistics.median(hours), 2) if hours else None,
        rules=dict(sorted(rules.items())),
        backlog=backlog,
        trend=trend(store, start),
        corrupt=list(corrupt or []),
    )


def trend(store: Store, start: datetime, weeks: int = TREND_WEEKS) -> list[TrendWeek]:
    """Totals for each of the `weeks` weeks ending with the one starting at `start`."""
    out = []
    for back in range(weeks - 1, -1, -1):
        week_start = start - timedelta(days=7 * back)
        year, number, _ = week_start.isocalendar()
        t = _totals(store, week_start, week_start + timedelta(days=7))
        out.append(TrendWeek(f"{year}-W{number:02d}", t.screened, t.passed, t.tagged, t.held))
    return out
