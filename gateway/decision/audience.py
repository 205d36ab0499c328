"""Audience: advertising findings raised to high when the envelope shows a wide audience.

The advertising scanner sees the headers but not the envelope. A promotion sent to one
patient is a tag at most; the same text sent to many people, or to people hidden from
each other (Bcc), is advertising to the public and is raised to high (held by default).
Only the gateway knows the envelope, so the rule lives here, with its thresholds in the
config's `[audience]` table:

  * more than `max_recipients` envelope recipients outside the sender's own domain, or
  * more than `max_bcc` envelope recipients that are not in To/Cc and are outside the
    sender's own domain (a copy to the clinic's own archive or CRM does not count).

Findings in quoted text ("#quoted") are never raised: the audience did not write them.
"""
from __future__ import annotations

import dataclasses

from gateway.config import AudienceSettings
from scanners import lexicon
from scanners.base import TO_PROFESSIONALS, Finding, Severity


# Consumer mail providers: a sender on one of these is a person, not an organisation, so
# other people at the same provider are not their colleagues. Matched on the first label
# of the domain (gmail.com, gmail.co.uk).
WEBMAIL = lexicon.words("webmail.txt")


def _domain(address: str) -> str:
    return address.rpartition("@")[2].lower().rstrip(".")


# a finding of the sentence model alone says so in its evidence (scanners/model_findings.py):
# a model score alone only tags, whoever reads the mail
MODEL_MARK = "(model: "


def own_domains(sender: str, clinic_domains: list[str],
                recipients: list[str] = ()) -> frozenset[str]:
    """The clinic's own mail domains: those configured in [clinic] domains, and the
    sender's own domain unless it is a webmail provider. Exact domains: a list server at
    lists.clinic.example is not the clinic's staff. Of `recipients`' domains, the sibling
    domains of these are the clinic's too (see `sibling`)."""
    domains = {d.lower().strip(".") for d in clinic_domains if d}
    domain = _domain(sender) if "@" in sender else ""
    if domain and domain.split(".")[0] not in WEBMAIL:
        domains.add(domain)
    for r in recipients:
        d = _domain(r)
        if d not in domains and any(sibling(d, own) for own in tuple(domains)):
            domains.add(d)
    return frozenset(domains)


SIBLING_STEM = 5  # the shared name must be at least this long: "avonvale", not "abc"


def sibling(domain: str, own: str) -> bool:
    """Whether `domain` is the same organisation's other domain: the same suffix, and a
    first label that is the other's followed by a hyphen and more words
    ("avonvale-group.example" beside "avonvale.example", either way round). A group with
    unrelated domains lists them in [clinic] domains."""
    a, _, a_rest = domain.partition(".")
    b, _, b_rest = own.partition(".")
    if a_rest != b_rest or not a_rest or a == b:
        return False
    short, long = sorted((a, b), key=len)
    return len(short) >= SIBLING_STEM and short not in WEBMAIL and \
        long.startswith(short + "-")


def internal_recipients(recipients: list[str], own: frozenset[str]) -> frozenset[str]:
    """The recipients who are the clinic's own people: at its own domains, and not a list
    address there (newsletter@, friends@, clients@ reach the public)."""
    lists = _list_locals()
    return frozenset(r.lower() for r in recipients
                     if _domain(r) in own and r.partition("@")[0].lower() not in lists)


def _list_locals() -> frozenset[str]:
    return frozenset(e.lower() for e, _, kind in lexicon.table("audience.txt").entries
                     if kind == "local")


def wide(envelope: list[str], header_recipients: list[str], sender: str,
         settings: AudienceSettings) -> str:
    """Why the audience is wide ("" if it is not)."""
    own = _domain(sender) if "@" in sender else ""
    outside = {r.lower() for r in envelope if _domain(r) != own}
    shown = {r.lower() for r in header_recipients}
    blind = outside - shown
    if len(outside) > settings.max_recipients:
        return f"{len(outside)} recipients"
    if len(blind) > settings.max_bcc:
        return f"{len(blind)} Bcc recipient{'s' if len(blind) != 1 else ''}"
    return ""


def escalate(findings: list[Finding], envelope: list[str], header_recipients: list[str],
             sender: str, settings: AudienceSettings,
             internal: frozenset[str] = frozenset()) -> list[Finding]:
    """`findings`, with those of `settings.rules` raised to high when the audience is wide,
    and those of `settings.outside_rules` (the sender's own words) one level (low to medium:
    mild swearing or sarcasm to a supplier is tagged; medium to high) when a recipient is
    outside the clinic's own domains `internal`."""
    outsiders = [r for r in envelope if _domain(r) not in internal]
    if outsiders:
        findings = [dataclasses.replace(
            f, severity=Severity.HIGH if f.severity == Severity.MEDIUM else Severity.MEDIUM,
            evidence=f"{f.evidence} (audience: {len(outsiders)} recipient"
                     f"{'s' if len(outsiders) != 1 else ''} outside the clinic)")
            if f.rule in settings.outside_rules and f.severity < Severity.HIGH
            and not f.where.endswith("#quoted") and MODEL_MARK not in f.evidence
            else f for f in findings]
    candidates = [f for f in findings if f.rule in settings.rules and f.severity < Severity.HIGH
                  and not f.where.endswith("#quoted") and TO_PROFESSIONALS not in f.evidence]
    if not candidates:
        return findings
    reason = wide(envelope, header_recipients, sender, settings)
    if not reason:
        return findings
    return [dataclasses.replace(f, severity=Severity.HIGH,
                                evidence=f"{f.evidence} (audience: {reason})")
            if f in candidates else f for f in findings]
