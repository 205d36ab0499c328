"""The context rules (context.toml): what the audience changes about each finding.

`apply(findings, audience, settings)` gives the findings with their severities raised where
a row says so, and for each finding the most its action may be with the row's name as a
note (`Capped`). The rows are data; this module only reads and applies them.
"""
from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from gateway.config import AudienceSettings
from gateway.decision.audience import Audience, ClinicIdentity
from gateway.pipeline import ScanResult
from scanners.base import Finding, Severity

ROWS_FILE = Path(__file__).with_name("context.toml")
EFFECTS = ("raise_to_high", "raise_one", "tag", "pass")


@dataclass(frozen=True)
class Row:
    name: str
    when: str
    then: str
    rules: tuple[str, ...] | str = ()  # rule ids, or "audience.rules" / "audience.outside_rules"
    categories: tuple[str, ...] = ()
    severities: tuple[str, ...] = ("low", "medium", "high")
    unless: tuple[str, ...] = ()
    except_rules: tuple[str, ...] = ()

    def rule_ids(self, settings: AudienceSettings) -> tuple[str, ...]:
        if isinstance(self.rules, str):
            return tuple(getattr(settings, self.rules.partition(".")[2]))
        return self.rules

    def matches(self, f: Finding, settings: AudienceSettings) -> bool:
        return (f.rule in self.rule_ids(settings) or f.category in self.categories) and \
            f.rule not in self.except_rules and str(f.severity) in self.severities and \
            not set(self.unless) & set(f.tags)

    def reason(self, audience: Audience) -> str:
        """Why the audience meets `when` ("" if it does not)."""
        kind, _, arg = self.when.partition(":")
        outside = audience.outside
        if kind == "wide":
            return audience.wide
        if kind == "outside":
            return f"{len(outside)} recipient{'s' if len(outside) != 1 else ''} outside " \
                   "the clinic" if outside else ""
        if kind == "private":
            return "a personal address outside the clinic" if any(
                r.webmail for r in outside) else ""
        if kind == "every_outside":
            role = audience.all_outside(arg.split(","))
            return f"recipient role {role}" if role else ""
        raise ValueError(f"context row {self.name!r}: unknown condition {self.when!r}")


@lru_cache(maxsize=1)
def rows(path: Path = ROWS_FILE) -> tuple[Row, ...]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    out = []
    for raw in data.get("rule", []):
        rules = raw.get("rules", ())
        row = Row(raw["name"], raw["when"], raw["then"],
                  rules if isinstance(rules, str) else tuple(rules),
                  tuple(raw.get("categories", ())), tuple(raw.get("severities",
                                                                  Row.severities)),
                  tuple(raw.get("unless", ())), tuple(raw.get("except_rules", ())))
        if row.then not in EFFECTS:
            raise ValueError(f"context row {row.name!r}: unknown effect {row.then!r}")
        out.append(row)
    return tuple(out)


@dataclass(frozen=True)
class Capped:
    """The most a finding's action may be ("tag" or "pass"), and the note saying why."""
    most: str
    note: str


def apply(findings: list[Finding], audience: Audience, settings: AudienceSettings,
          table: tuple[Row, ...] | None = None) -> tuple[list[Finding], dict[int, Capped]]:
    """The findings after every row, and the caps by index into that list."""
    table = rows() if table is None else table
    out: list[Finding] = []
    caps: dict[int, Capped] = {}
    reasons: dict[int, str] = {}
    for f in findings:
        for n, row in enumerate(table):
            if not row.matches(f, settings):
                continue
            if n not in reasons:
                reasons[n] = row.reason(audience)
            why = reasons[n]
            if not why:
                continue
            if row.then in ("raise_to_high", "raise_one"):
                severity = Severity.HIGH if row.then == "raise_to_high" or \
                    f.severity is Severity.MEDIUM else Severity.MEDIUM
                f = dataclasses.replace(f, severity=severity,
                                        evidence=f"{f.evidence} ({row.name}: {why})")
            else:
                caps[len(out)] = Capped(row.then, f"{row.name}: {why}")
        out.append(f)
    return out, caps


def escalate(findings: list[Finding], envelope: list[str], header_recipients: list[str],
             sender: str, settings: AudienceSettings,
             clinic: ClinicIdentity = ClinicIdentity()) -> list[Finding]:
    """The findings after the context rules' raises, for mail from `sender` to `envelope`
    whose To/Cc show `header_recipients` (what judge() does, without the policy)."""
    result = ScanResult(findings, recipients=list(header_recipients), sender=sender)
    audience = Audience.of(result, _Envelope(sender, list(envelope)), clinic, settings)
    return apply(findings, audience, settings)[0]


@dataclass
class _Envelope:
    mail_from: str
    rcpt_tos: list[str]
