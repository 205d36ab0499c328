"""decide(findings, recipients, policy) -> Verdict. The policy is data from the config
file (`[policy]`), read here as a table; this module knows nothing of parsing or SMTP.

For each finding, the first of these that applies gives its action:
  1. `scan_failed` always holds (unscreened mail never passes);
  1a. patient data (medium or high) to more than `[policy.patient_data] max_recipients`
      envelope recipients holds;
  1b. patient data the scanner found addressed to the patient (`Finding.addressee`), sent to
      that address alone (and to colleagues inside the clinic), passes (`to_patient`) with
      the note `patient_herself` when the patient register knows that address for the
      patient; when the To display name, the greeting and the name in the documents match
      but the register does not know the address, it is tagged at most, with the same note (`by_display_name`): a display name
      is no proof that the address is hers (autocomplete picks another Sarah Jones);
  2. every recipient is at a domain the category trusts (`trusted_domains`), or, where
     the category trusts the clinic's own mail (`trust_internal`), at the clinic's own
     domains (audience.py): pass;
  3. a per-rule override (`[policy.rules]`);
  4. the category's action for the severity (`[policy.categories.NAME]`);
  5. the default action for the severity (`[policy.default]`);
  6. the context rules (context.py) may cap a finding's action at tag or pass, with a note
     (a lawful disclosure, a report to the police).
The message's action is the strictest of its findings' actions: hold > tag > pass. The
verdict's notes say why findings that would have held did not.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass

from gateway.config import PatientDataPolicy, PolicySettings
from scanners.base import Finding, Severity, address_tag


class Action(enum.IntEnum):
    PASS = 0
    TAG = 1
    HOLD = 2

    def __str__(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, value: str) -> "Action":
        return cls[value.upper()]


@dataclass(frozen=True)
class Verdict:
    action: Action
    decisions: tuple[tuple[Finding, Action], ...] = ()
    four_eyes: bool = False  # releasing this hold needs two different admins (judge.py)
    notes: tuple[str, ...] = ()  # "patient_herself: ...", "lawful_disclosure: ..."
    outside: bool = True  # a recipient is outside the clinic (gateway/decision/audience.py)

    @property
    def findings(self) -> list[Finding]:
        return [f for f, _ in self.decisions]

    @property
    def categories(self) -> list[str]:
        return sorted({f.category for f, a in self.decisions if a > Action.PASS})

    @property
    def rules(self) -> list[str]:
        return sorted({f.rule for f, a in self.decisions if a > Action.PASS})

    @property
    def top_rule(self) -> str:
        ranked = sorted(self.decisions, key=lambda d: (d[1], d[0].severity), reverse=True)
        return ranked[0][0].rule if ranked else ""


def domain_trusted(address: str, trusted: list[str]) -> bool:
    domain = address.rpartition("@")[2].lower().rstrip(".")
    return any(domain == t or domain.endswith("." + t) for t in (x.lower() for x in trusted))


def finding_action(finding: Finding, recipients: list[str], policy: PolicySettings,
                   internal: frozenset[str] = frozenset()) -> Action:
    if finding.rule == "scan_failed":
        return Action.HOLD
    if finding.category == "patient_data":
        action = patient_data_action(finding, recipients, policy.patient_data, internal)
        if action is not None:
            return action
        if to_patient_herself(finding, recipients, policy.patient_data, internal) in (
                "by name", "by greeting"):
            return min(Action.TAG, table_action(finding, recipients, policy, internal))
    return table_action(finding, recipients, policy, internal)


def table_action(finding: Finding, recipients: list[str], policy: PolicySettings,
                 internal: frozenset[str] = frozenset()) -> Action:
    """Rules 2 to 5: trusted domains, per-rule overrides, the category and default tables."""
    severity = str(finding.severity)
    category = policy.categories.get(finding.category)
    if category and recipients and (category.trusted_domains or category.trust_internal) and all(
            domain_trusted(r, category.trusted_domains) or
            category.trust_internal and r.lower() in internal for r in recipients):
        return Action.PASS
    if finding.rule in policy.rules:
        return Action.parse(policy.rules[finding.rule])
    if category and getattr(category, severity):
        return Action.parse(getattr(category, severity))
    return Action.parse(policy.default.get(severity, "hold"))


def patient_data_action(finding: Finding, recipients: list[str], rules: PatientDataPolicy,
                        internal: frozenset[str] = frozenset()) -> Action | None:
    """Rules 1a and 1b: bulk holds, the patient's own mail passes; None: neither applies."""
    if rules.max_recipients and finding.severity >= Severity.MEDIUM and \
            len({r.lower() for r in recipients}) > rules.max_recipients:
        return Action.HOLD
    if to_patient_herself(finding, recipients, rules, internal) == "by the patient register":
        return Action.PASS
    return None


def to_patient_herself(finding: Finding, recipients: list[str], rules: PatientDataPolicy,
                       internal: frozenset[str] = frozenset()) -> str:
    """How the finding is known to be about its only recipient outside the clinic ("" if it
    is not): "by the patient register", or "by name" (the To display name and the greeting).
    `internal`: the recipients inside the clinic (a colleague copied in changes nothing)."""
    how, _, tag = finding.addressee.partition(":")
    outside = [r for r in recipients if r.lower() not in internal]
    if not (rules.to_patient and _to_addressee(tag, outside)):
        return ""
    if how == "r":
        return "by the patient register"
    if how in ("n", "g") and rules.by_display_name:
        return "by name" if how == "n" else "by greeting"
    return ""


def _to_addressee(tag: str, recipients: list[str]) -> bool:
    return bool(tag and recipients) and all(address_tag(r) == tag for r in recipients)


def decide(findings: list[Finding], recipients: list[str], policy: PolicySettings,
           internal: frozenset[str] = frozenset(), caps: dict | None = None) -> Verdict:
    """`internal`: the recipients inside the clinic (gateway/decision/audience.py); `caps`:
    the context rules' caps by index into `findings` (context.Capped: most, note)."""
    decisions, notes = [], []
    for n, f in enumerate(findings):
        action = finding_action(f, recipients, policy, internal)
        herself = f.category == "patient_data" and f.severity > Severity.LOW and \
            to_patient_herself(f, recipients, policy.patient_data, internal)
        if herself in ("by the patient register", "by name") and action <= Action.TAG:
            notes.append(f"patient_herself: the patient the data is about is the only "
                         f"recipient ({herself})")
        cap = (caps or {}).get(n)
        if cap is not None and action > Action.parse(cap.most):
            action = Action.parse(cap.most)
            notes.append(cap.note)
        decisions.append((f, action))
    action = max((a for _, a in decisions), default=Action.PASS)
    return Verdict(action, tuple(decisions), notes=tuple(dict.fromkeys(notes)))
