"""NHS numbers, Northern Ireland's Health and Care Numbers and Scotland's CHI numbers: one
checksum, told apart by the label beside the number and its range (scanners/identifiers.py),
each reported under its own rule and named in the evidence (scanners/patient_data.py), and
known to the table reader and the patient register.

Fictitious numbers only: 999 ... (NHS test range), 320 418 3572 (H&C range), CHI numbers
built on made-up dates, phone numbers from Ofcom's drama ranges."""
from __future__ import annotations

import pytest

from gateway.database.store import Store
from gateway.registers import patients as register
from scanners import identifiers, lexicon, patient_keys, tables
from scanners.base import ParsedMessage, Severity, Table, TextPart
from scanners.patient_data import PatientDataScanner

NHS = "999 059 3817"
HCN = "320 418 3572"  # in 320 000 0000-399 999 9999, mod 11 passes
CHI = "1503857123"  # 15/03/85, serial 71, 2: a woman, check digit 3
CHI_NO_DATE = "3102991343"  # 31/02/99 does not exist; mod 11 passes
CHI_SHAPED = "0211864439"  # 02/11/86 and mod 11: an order number may look like this


def msg(body: str) -> ParsedMessage:
    sender = "Glow <reception@glowclinic.example>"
    return ParsedMessage(headers=(("From", sender), ("To", "Someone <someone@example.net>")),
                         subject="", sender=sender, recipients=(),
                         body_parts=(TextPart("body", body),), attachments=())


def findings(body: str, scanner=None) -> dict[str, tuple[Severity, str]]:
    """rule -> (severity, evidence) of the scanner's findings on `body`."""
    scanner = scanner or PatientDataScanner()
    return {f.rule: (f.severity, f.evidence) for f in scanner.scan(msg(body))}


def kinds(text: str) -> list[str]:
    return [i.kind for i in identifiers.health_numbers(text)]


# -- validators and naming ------------------------------------------------------------------

def test_a_chi_number_needs_a_real_date_and_the_check_digit():
    assert identifiers.chi_number_valid(CHI)
    assert identifiers.chi_number_valid("2902000006")  # 29 February 2000
    assert not identifiers.chi_number_valid(CHI_NO_DATE)
    assert identifiers.nhs_number_valid(CHI_NO_DATE)
    assert not identifiers.chi_number_valid("1503857124")  # check digit wrong
    assert not identifiers.chi_number_valid("1513857123")  # month 13


@pytest.mark.parametrize("digits, label, kind", [
    ("3204183572", "", "hcn"),  # unlabelled, in the H&C range
    ("3204183572", "hcn", "hcn"),
    ("3204183572", "nhs", "nhs"),  # the label decides
    ("3204183572", "chi", ""),  # 32/04 is no date
    ("1503857123", "", "chi"),
    ("1503857123", "chi", "chi"),
    ("1503857123", "hcn", ""),  # outside the H&C range
    ("3102991343", "chi", ""),
    ("3102991343", "", "nhs"),  # neither H&C nor CHI: named as before
    ("9990593817", "", "nhs"),
    ("9990593818", "", ""),  # checksum fails
])
def test_health_kind_by_label_and_range(digits, label, kind):
    assert identifiers.health_kind(digits, label) == kind


@pytest.mark.parametrize("text, label", [
    ("CHI number: ", "chi"), ("CHI No. ", "chi"), ("chi no ", "chi"), ("Her CHI is ", "chi"),
    ("H&C ", "hcn"), ("H & C number: ", "hcn"), ("HCN: ", "hcn"),
    ("Health and Care Number ", "hcn"), ("Health & Care No: ", "hcn"),
    ("NHS number ", "nhs"), ("NHS No.: ", "nhs"), ("NHS no. is ", "nhs"),
    ("Diolch i chi ", ""),  # "chi" is Welsh for "you": the bare label only in capitals
    ("Order no. ", ""), ("Invoice ", ""),
])
def test_labels_before_a_number(text, label):
    assert identifiers.health_label(text + "1503857123", len(text)) == label


def test_evidence_names_the_identifier_and_keeps_four_digits():
    (hcn,) = identifiers.health_numbers(f"H&C {HCN}")
    assert hcn.evidence == "Health and Care Number *** *** 3572" and hcn.key == "3204183572"
    (chi,) = identifiers.health_numbers("CHI 150385 7123")  # DDMMYY NNNN, labelled only
    assert chi.evidence == "CHI number ****** 7123" and chi.key == CHI
    (nhs,) = identifiers.health_numbers(f"NHS number {NHS}")
    assert nhs.evidence == "NHS *** *** 3817"
    assert identifiers.health_numbers("Ref 150385 7123") == []


# -- findings -------------------------------------------------------------------------------

def test_a_labelled_chi_number_is_high_under_its_own_rule():
    for body in (f"CHI number: {CHI}", f"Her CHI no. is {CHI}.", "CHI 150385 7123"):
        got = findings(body)
        assert set(got) == {"scot_chi_number"}, body  # not also a record number
        severity, evidence = got["scot_chi_number"]
        assert severity is Severity.HIGH and evidence.startswith("CHI number ") \
            and evidence.endswith("7123") and "1503" not in evidence


def test_a_chi_number_with_an_impossible_date_is_refused():
    assert findings(f"CHI: {CHI_NO_DATE}") == {}
    # "CHI No" is also a record label: the number is held as one, never named a CHI number
    got = findings(f"CHI No: {CHI_NO_DATE}")
    assert set(got) == {"medical_record_number"}
    assert got["medical_record_number"][1] == "CHI No ********43"


def test_a_health_and_care_number_labelled_or_not():
    for body in (f"H&C number {HCN}", "Health & Care No: 3204183572", f"HCN {HCN}"):
        got = findings(body)
        assert set(got) == {"ni_health_care_number"}, body
        assert got["ni_health_care_number"][0] is Severity.HIGH
    got = findings(f"Patient Jane Doe, {HCN}, seen in Belfast.")
    assert got["ni_health_care_number"] == (Severity.HIGH, "Health and Care Number *** *** 3572")
    assert "uk_nhs_number" not in got
    # unlabelled with no cue: only the low checksum finding, as an NHS number would be
    assert findings(f"Ref {HCN} for the courier") == {
        "uk_nhs_number_bare": (Severity.LOW, "Health and Care Number *** *** 3572")}


def test_an_nhs_number_is_still_an_nhs_number():
    assert findings(f"NHS number {NHS}") == {"uk_nhs_number": (Severity.HIGH, "NHS *** *** 3817")}
    # an NHS label beats the H&C range
    assert findings(f"NHS No: {HCN}") == {"uk_nhs_number": (Severity.HIGH, "NHS *** *** 3572")}
    assert set(findings(f"DOB 14/02/1988, NHS {NHS}")) == {"uk_nhs_number", "date_of_birth"}


def test_an_unlabelled_chi_number_needs_a_cue_as_an_nhs_number_does():
    got = findings("Mrs Jane Doe 0707916240, DOB 07/07/1991")
    assert got["scot_chi_number"] == (Severity.HIGH, "CHI number ******6240")
    assert findings(f"Diolch i chi {CHI}") == {
        "uk_nhs_number_bare": (Severity.LOW, "CHI number ******7123")}


# -- hard negatives: ten digits that are not a patient's ------------------------------------

def most_severe(got) -> Severity | None:
    return max((s for s, _ in got.values()), default=None)


@pytest.mark.parametrize("body", [
    "Call +44 306 999 0002 or 0306 999 0002 to rebook.",  # a drama number with a checksum
    "Belfast reception: 028 9018 0321, mobile 07700 900462.",
    "Our 0113 496 0018 line is open until six.",
])
def test_phone_numbers_are_phone_numbers(body):
    got = findings(body)
    assert set(got) == {"phone_number"}, got


@pytest.mark.parametrize("body", [
    f"Invoice {HCN.replace(' ', '')} is due on Friday.",
    f"Order no. {CHI_SHAPED} has shipped.",
    f"Order ref: {CHI_SHAPED} - two boxes of gloves and a sharps bin.",
    f"Your parcel {CHI_SHAPED} from the wholesaler is out for delivery.",
])
def test_invoice_and_order_numbers_are_no_health_numbers(body):
    got = findings(body)
    assert not {"scot_chi_number", "ni_health_care_number", "uk_nhs_number",
                "medical_record_number"} & set(got), got
    assert most_severe(got) in (None, Severity.LOW)


def test_numbers_glued_to_letters_or_longer_runs_are_nothing():
    for body in (f"INV-{HCN.replace(' ', '')} paid", f"PO/{CHI_SHAPED}", f"Ref {CHI}9",
                 f"Ref 150385 71234", "Tracking 32041835720GB"):
        assert identifiers.health_numbers(body) == [], body


# -- tables and the register ----------------------------------------------------------------

def test_a_table_with_a_chi_or_h_and_c_column_is_a_patient_list():
    cues = lexicon.plural_matcher("patient_cues.txt", "treatment", "condition")
    rows = (("Name", "CHI"), ("Sarah Jones", CHI), ("Megan Price", "0707916240"),
            ("Aled Morgan", "2902000006"))
    assert tables.header_kinds("CHI number") == {"chi"}
    assert tables.header_kinds("H&C No") == {"hcn"}
    assert tables.header_kinds("Health and Care Number") == {"hcn"}
    assert "CHI number" in tables.judge(Table("attachment:clients.csv", rows), cues)
    assert tables.cell_kinds(HCN, cues) == {"hcn"}
    assert tables.cell_kinds(CHI, cues) == {"chi"}


def test_register_keys_and_columns_for_the_new_kinds(tmp_path):
    assert {"hcn", "chi"} <= set(patient_keys.KINDS)
    assert patient_keys.normal("hcn", HCN) == "3204183572"
    assert patient_keys.normal("chi", CHI) == CHI
    path = tmp_path / "register.csv"
    path.write_text(f"name,chi number,h&c number\nSarah Jones,{CHI},\nMegan Price,,{HCN}\n")
    store = register.create(Store(f"sqlite:///{tmp_path / 'mailscreen.db'}").create())
    report = register.import_csv(store, path)
    assert report.values == {"name": 2, "chi": 1, "hcn": 1}
    scanner = PatientDataScanner(register=register.Loader(store.url))
    got = findings(f"Sarah Jones {CHI} - parking permit request.", scanner)
    assert got["patient_register_match"] == (Severity.HIGH, "S**** J**** + chi")
    got = findings(f"Megan Price {HCN} - parking permit request.", scanner)
    assert got["patient_register_match"] == (Severity.HIGH, "M**** P**** + hcn")
