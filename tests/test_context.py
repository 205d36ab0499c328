"""The context rules (gateway/decision/context.toml): one picture of the audience per message,
and rows of data that raise or cap findings by it."""
from __future__ import annotations

from pathlib import Path

import pytest

from gateway.config import AudienceSettings
from gateway.decision import context
from gateway.decision.audience import Audience, ClinicIdentity
from gateway.decision.judge import OfflineEnvelope
from gateway.pipeline import ScanResult
from scanners.base import Finding, Severity

SENDER = "lena@brightskin.example"
PD = Finding("patient_data", "jigsaw_identification", Severity.HIGH, "body", "S**** J**** + filler")
LIST = Finding("patient_data", "patient_list", Severity.HIGH, "attachment:x.csv", "12 people")
CASE = Finding("patient_data", "identifiable_description", Severity.MEDIUM, "body", "teacher + age")


def audience(rcpts, roles=(), named=(), sender=SENDER):
    result = ScanResult([], recipients=[r for r in rcpts], sender=sender, named=list(named),
                        roles=list(roles))
    return Audience.of(result, OfflineEnvelope(sender, list(rcpts)), ClinicIdentity(),
                       AudienceSettings())


def test_every_row_of_the_shipped_table_loads_and_names_a_known_effect():
    rows = context.rows()
    assert {r.name for r in rows} >= {"audience", "private reader", "lawful_disclosure",
                                      "report_to_authority"}
    assert all(r.then in context.EFFECTS for r in rows)
    for row in rows:  # every condition is one the audience can answer
        row.reason(audience(["x@example.org"]))


def test_a_row_with_an_unknown_effect_or_condition_is_refused(tmp_path: Path):
    bad = tmp_path / "rows.toml"
    bad.write_text('[[rule]]\nname = "x"\nrules = ["a"]\nwhen = "wide"\nthen = "delete"\n')
    with pytest.raises(ValueError, match="unknown effect"):
        context.rows.__wrapped__(bad)
    odd = context.Row("x", "moon_phase", "tag", ("jigsaw_identification",))
    with pytest.raises(ValueError, match="unknown condition"):
        context.apply([PD], audience(["x@example.org"]), AudienceSettings(), (odd,))


def test_patient_data_to_a_lawful_reader_is_capped_at_tag_with_a_note():
    police = audience(["desk@kent.police.uk"])
    assert police.readers[0].role == "police"
    findings, caps = context.apply([PD, LIST], police, AudienceSettings())
    assert caps[0].most == "tag" and caps[0].note.startswith("lawful_disclosure: recipient role police")
    assert 1 not in caps  # a patient list is never a lawful disclosure
    # one other reader beside the police: no cap
    both = audience(["desk@kent.police.uk", "tom@gmail.example"])
    assert context.apply([PD], both, AudienceSettings())[1] == {}


def test_a_role_read_at_scan_time_from_the_senders_words_reaches_the_audience():
    seen = audience(["officer@westshire.gov.example"],
                    roles=[("officer@westshire.gov.example", "coroner",
                            "greeting 'Dear Coroner's Officer'")])
    assert seen.all_outside(["coroner"]).startswith("coroner (greeting")
    _, caps = context.apply([PD], seen, AudienceSettings())
    assert caps[0].most == "tag"


def test_a_nameless_case_is_raised_for_a_private_reader_only():
    raised, _ = context.apply([CASE], audience(["kirsty@hotmail.example"]), AudienceSettings())
    assert raised[0].severity is Severity.HIGH and "private reader" in raised[0].evidence
    kept, _ = context.apply([CASE], audience(["cases@forum.example"]), AudienceSettings())
    assert kept[0].severity is Severity.MEDIUM
    professional = CASE.tagged("to_professionals")
    kept, _ = context.apply([professional], audience(["kirsty@hotmail.example"]),
                            AudienceSettings())
    assert kept[0].severity is Severity.MEDIUM


def test_the_senders_own_copy_is_inside_and_a_list_on_the_own_domain_is_not():
    seen = audience(["lena@brightskin.example", "patients-list@brightskin.example",
                     "mia@brightskin.example"])
    assert seen.internal == {"lena@brightskin.example", "mia@brightskin.example"}
    own_webmail = audience(["lena.m@hotmail.example"], sender="lena.m@hotmail.example")
    assert own_webmail.outside == []


def test_the_clinic_identity_merges_the_older_copyright_keys():
    from gateway.config import ClinicSettings, CopyrightSettings, Settings
    settings = Settings(clinic=ClinicSettings(names=["Bright Skin"], trading_names=["The Skin Nurse"],
                                              domains=["brightskin.example"]),
                        copyright=CopyrightSettings(own_names=["Bright Skin Clinic Ltd"],
                                                    own_domains=["brightskin-group.example"]))
    clinic = ClinicIdentity.of(settings)
    assert clinic.names == ("Bright Skin", "The Skin Nurse", "Bright Skin Clinic Ltd")
    assert clinic.domains == {"brightskin.example", "brightskin-group.example"}
