"""The policy table: defaults, trusted domains, rule overrides, and fail-closed scan_failed."""
from __future__ import annotations

import dataclasses

import pytest

from gateway.config import CategoryPolicy, PolicySettings
from gateway.content.parse import parse
from gateway.decision.policy import Action, decide
from gateway.pipeline import scan_failed, screen
from scanners.base import Finding, Severity

NHS = Finding("patient_data", "uk_nhs_number", Severity.HIGH, "body", "NHS *** *** 0018")
SWEAR = Finding("language", "language_profanity", Severity.MEDIUM, "body", "…shit…")
BARE = Finding("patient_data", "uk_nhs_number_bare", Severity.LOW, "body", "NHS *** *** 0018")


@pytest.mark.parametrize("findings, action", [
    ([], Action.PASS),
    ([BARE], Action.PASS),
    ([SWEAR], Action.TAG),
    ([NHS], Action.HOLD),
    ([BARE, SWEAR, NHS], Action.HOLD),
])
def test_default_table_by_severity(findings, action):
    assert decide(findings, ["a@example.com"], PolicySettings()).action is action


def test_trusted_domain_passes_its_category_only():
    policy = PolicySettings()
    assert decide([NHS], ["gp@nhs.net", "ward@leeds.nhs.net"], policy).action is Action.PASS
    assert decide([NHS], ["gp@nhs.net", "friend@example.com"], policy).action is Action.HOLD
    assert decide([NHS], ["gp@notnhs.net"], policy).action is Action.HOLD
    assert decide([NHS, SWEAR], ["gp@nhs.net"], policy).action is Action.TAG


def test_rule_and_category_overrides():
    policy = PolicySettings(rules={"language_profanity": "hold"},
                            categories={"patient_data": CategoryPolicy(high="tag")})
    assert decide([SWEAR], ["a@example.com"], policy).action is Action.HOLD
    assert decide([NHS], ["a@example.com"], policy).action is Action.TAG


def test_scan_failed_holds_whatever_the_config_says():
    policy = PolicySettings(default={"low": "pass", "medium": "pass", "high": "pass"},
                            rules={"scan_failed": "pass"},
                            categories={"attachment": CategoryPolicy(trusted_domains=["example.com"])})
    verdict = decide([scan_failed("scanner x failed")], ["a@example.com"], policy)
    assert verdict.action is Action.HOLD and verdict.top_rule == "scan_failed"


def test_a_scanner_that_raises_is_a_hold_not_silence():
    class Broken:
        name = "language"
        rules = {}

        def scan(self, msg, views=None):
            raise ValueError("boom")
            yield

    class Fine:
        name = "copyright"
        rules = {}

        def scan(self, msg, views=None):
            return [SWEAR]

    msg = parse(b"From: a@clinic.example\r\nTo: b@example.com\r\nSubject: hi\r\n\r\nHello\r\n")
    findings = screen(msg, [Broken(), Fine()])
    assert findings[0].rule == "scan_failed" and findings[0].category == "language"
    assert "scanner language failed: ValueError" in findings[0].evidence
    assert findings[1] == SWEAR
    assert decide(findings, ["a@example.com"], PolicySettings()).action is Action.HOLD


# -- audience: the clinic's own mail (issue 11) ------------------------------------------------

def test_patient_data_inside_the_clinic_or_to_nhs_net_passes_and_webmail_is_not_internal():
    from gateway.config import Settings
    from gateway.decision.judge import OfflineEnvelope, judge
    from gateway.pipeline import ScanResult

    finding = Finding("patient_data", "date_of_birth", Severity.HIGH, "body", "DOB **/**/****")
    settings = Settings()

    def action(sender, rcpts):
        result = ScanResult([finding], sender=sender)
        return judge(result, OfflineEnvelope(sender, rcpts), settings).action

    assert action("nurse@clinic.example", ["manager@clinic.example"]) is Action.PASS
    assert action("nurse@clinic.example", ["gp@nhs.net", "manager@clinic.example"]) is Action.PASS
    assert action("nurse@clinic.example", ["manager@clinic.example", "x@gmail.com"]) is Action.HOLD
    assert action("jo@gmail.com", ["sam@gmail.com"]) is Action.HOLD  # webmail is not a clinic
    other = Settings(clinic=dataclasses.replace(settings.clinic, domains=["clinic-group.example"]))
    result = ScanResult([finding], sender="nurse@clinic.example")
    assert judge(result, OfflineEnvelope("nurse@clinic.example", ["hq@clinic-group.example"]),
                 other).action is Action.PASS
    language = Finding("language", "language_abuse", Severity.HIGH, "body", "…")
    result = ScanResult([language], sender="nurse@clinic.example")
    assert judge(result, OfflineEnvelope("nurse@clinic.example", ["manager@clinic.example"]),
                 settings).action is Action.HOLD  # bullying in team mail still holds


def test_a_hyphenated_sibling_domain_of_the_senders_is_the_same_organisation():
    from gateway.decision import audience

    own = audience.own_domains("kay@avonmere.example", [],
                               ["tom@avonmere.example", "jess@avonmere-group.example"])
    assert own == {"avonmere.example", "avonmere-group.example"}
    assert audience.sibling("avonmere.example", "avonmere-group.example")  # either way round
    assert not audience.sibling("avonmereclinic.example", "avonmere.example")  # not hyphenated
    assert not audience.sibling("avonmere-group.example", "avonmere.example.net")  # other suffix
    assert not audience.sibling("abc-group.example", "abc.example")  # too short to be a name
    assert not audience.sibling("gmail-group.example", "gmail.example")  # webmail
    assert audience.own_domains("jo@gmail.example", [], ["x@gmail-group.example"]) == frozenset()


def test_configured_professional_domains_receive_prescription_medicine_offers():
    """[policy.categories.advertising] trusted_domains: a study club's list server."""
    from gateway.config import Settings, load_config
    from gateway.decision.judge import OfflineEnvelope, judge
    from gateway.pipeline import ScanResult

    offer = Finding("advertising", "pom_promotion", Severity.MEDIUM, "body", "Botox + '£99'")
    to_club = [f"member{i}@studyclub.example" for i in range(40)]
    result = ScanResult([offer], sender="news@clinic.example", recipients=[])
    settings = Settings()
    # forty Bcc recipients are a wide audience: held by default
    assert judge(result, OfflineEnvelope("news@clinic.example", to_club), settings).action \
        is Action.HOLD
    import tempfile
    from pathlib import Path
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "mailscreen.toml"
        path.write_text('[policy.categories.advertising]\ntrusted_domains = ["studyclub.example"]\n')
        configured = load_config(path)
    assert judge(result, OfflineEnvelope("news@clinic.example", to_club), configured).action \
        is Action.PASS
    public = to_club + ["someone@gmail.example"]
    assert judge(result, OfflineEnvelope("news@clinic.example", public), configured).action \
        is Action.HOLD
