"""Tables read as tables: a client export as CSV, TSV, XLSX, ODS or an HTML table, vCards and
calendar events listing several patients, is one high patient_list finding with the row
count and the column kinds, not dozens of low cell findings; staff lists and one patient's
own history are not lists of patients."""
from __future__ import annotations

import documents as docs
import pytest
import reading as rd
from test_attachments import outcomes, send

from gateway.content.parse import parse
from scanners.registry import build

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ODS = "application/vnd.oasis.opendocument.spreadsheet"


def agency_mail(name: str, ctype: str, data: bytes, body: str = "Export attached for the "
                "campaign audience.") -> bytes:
    return docs.mail("export", body=body, attachments=[(name, ctype, data)],
                     to="team@adagency.example")


def patient_findings(raw: bytes) -> list:
    scanner = next(s for s in build({}) if s.name == "patient_data")
    return [f for f in scanner.scan(parse(raw))]


@pytest.mark.parametrize("name,ctype,data", [
    ("export.csv", "text/csv", rd.csv_text(rd.export_rows())),
    ("export.tsv", "text/tab-separated-values", rd.csv_text(rd.export_rows(), "\t")),
    ("export.txt", "text/plain", rd.csv_text(rd.export_rows(with_header=False), ";")),
    ("export.xlsx", XLSX, rd.xlsx_workbook({"Clients": rd.export_rows()})),
    ("export.ods", ODS, rd.ods({"Clients": rd.export_rows()})),
    ("export.html", "text/html", rd.html_table(rd.export_rows()).encode()),
    ("clients.vcf", "text/vcard", rd.vcf(rd.PATIENTS)),
    ("diary.ics", "text/calendar", rd.ics(rd.PATIENTS)),
])
def test_a_client_list_is_one_high_patient_list_finding(name, ctype, data):
    findings = patient_findings(agency_mail(name, ctype, data))
    lists = [f for f in findings if f.rule == "patient_list"]
    assert len(lists) == 1, findings
    (found,) = lists
    assert str(found.severity) == "high" and found.where.startswith(f"attachment:{name}")
    assert f"{len(rd.PATIENTS)} people" in found.evidence and "name" in found.evidence
    assert not any(p[0] in found.evidence or p[2] in found.evidence for p in rd.PATIENTS)
    cells = [f for f in findings if f.where.startswith(f"attachment:{name}")
             and f.rule != "patient_list" and str(f.severity) != "high"]
    assert cells == []  # not dozens of low ones


def test_a_table_in_the_html_body_is_a_list_too():
    from email.message import EmailMessage
    from email.policy import SMTP

    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = ("reception@glowclinic.example",
                                              "me@webmail.example", "tomorrow")
    msg.set_content("Tomorrow's list")
    msg.add_alternative("<p>Tomorrow's list</p>" + rd.html_table(rd.export_rows()), subtype="html")
    (found,) = [f for f in patient_findings(msg.as_bytes(policy=SMTP)) if f.rule == "patient_list"]
    assert found.where == "body#table=1"


def test_sheet_names_and_hidden_state_are_in_where():
    book = rd.xlsx_workbook({"Income": [["Month", "Total"], ["Jan", "1200"]],
                             "Clients": rd.export_rows()}, hidden={"Clients": "veryHidden"})
    (found,) = [f for f in patient_findings(agency_mail("q1.xlsx", XLSX, book))
                if f.rule == "patient_list"]
    assert found.where == "attachment:q1.xlsx#sheet=Clients (veryHidden)"


@pytest.mark.parametrize("rows", [
    [["first", "last", "role", "mobile"],  # a staff contact list
     *[[p[0].split()[0], p[0].split()[1], "Aesthetic nurse", p[2]] for p in rd.PATIENTS]],
    [["Date", "Treatment", "Product", "Practitioner"],  # one patient's own history
     ["12/01/2026", "Lip filler", "Juvederm Volbella 1ml", "Nurse Ada Finch"],
     ["03/03/2026", "Review", "", "Nurse Ada Finch"]],
    [["Product", "Pack", "Price"],  # a supplier price list naming medicines
     ["Botox 100u", "1 vial", "165.00"], ["Azzalure 125u", "1 vial", "140.00"],
     ["Hyaluronidase 1500u", "10 amps", "190.00"]],
])
def test_tables_that_are_not_patient_lists(rows):
    findings = patient_findings(agency_mail("sheet.csv", "text/csv", rd.csv_text(rows)))
    assert not [f for f in findings if f.rule == "patient_list"], findings


def test_staff_mailboxes_on_the_senders_domain_are_not_a_patient_list():
    rows = [["name", "email", "mobile"], *[[p[0], p[0].split()[0].lower() + "@glowclinic.example",
                                           p[2]] for p in rd.PATIENTS]]
    findings = patient_findings(agency_mail("team.csv", "text/csv", rd.csv_text(rows)))
    assert not [f for f in findings if f.rule == "patient_list"]


def test_calendar_and_vcard_text_is_readable(tmp_path):
    msg = parse(agency_mail("diary.ics", "text/calendar", rd.ics(rd.PATIENTS[:1])))
    (page,) = msg.attachments[0].pages
    name, dob = rd.PATIENTS[0][0], rd.PATIENTS[0][1]
    assert f"Description: Client {name}, DOB {dob}\nMobile" in page
    assert f"Attendee: {name} <{rd.PATIENTS[0][3]}>" in page and "Reminder" not in page
    msg = parse(agency_mail("one.vcf", "text/vcard", rd.vcf(rd.PATIENTS[:1])))
    (page,) = msg.attachments[0].pages
    assert f"Name: {name}" in page and "Note: Lip filler 1ml, reviewed in clinic" in page
    (result,) = rd.scan(tmp_path, agency_mail("one.vcf", "text/vcard", rd.vcf(rd.PATIENTS[:1])))
    assert result["action"] == "hold"  # one patient's card with DOB and treatment


def test_exports_through_the_relay_and_the_cli(make_relay, sink, tmp_path):
    export = ("clients.csv", "text/csv", rd.csv_text(rd.export_rows()))
    (result,) = rd.scan(tmp_path, docs.mail("csv cli", attachments=[export]))
    assert result["action"] == "hold" and rd.rules(result)["patient_list"][0]["severity"] == "high"
    relay = make_relay()
    send(relay.port, docs.mail("csv export", attachments=[export]))
    send(relay.port, docs.mail("xlsx export", attachments=[
        ("clients.xlsx", XLSX, rd.xlsx_workbook({"Clients": rd.export_rows()}))]))
    got = outcomes(relay, sink, ["csv export", "xlsx export"])
    for subject in ("csv export", "xlsx export"):
        assert got[subject]["action"] == "hold", got[subject]
        assert "patient_list" in got[subject]["rules"], got[subject]


def test_a_few_contacts_without_a_header_or_with_job_titles_are_not_a_list():
    contacts = [[p[0], p[2]] for p in rd.PATIENTS]  # names and mobiles, no header
    findings = patient_findings(agency_mail("c.csv", "text/csv", rd.csv_text(contacts)))
    assert not [f for f in findings if f.rule == "patient_list"]
    team = [[p[0], "Receptionist", p[2]] for p in rd.PATIENTS]
    findings = patient_findings(agency_mail("t.csv", "text/csv", rd.csv_text(team)))
    assert not [f for f in findings if f.rule == "patient_list"]
    many = [[f"{first} {last}", f"07700 900{400 + i}"] for i, (first, last) in enumerate(
        [("Harriet", "Quill"), ("Oscar", "Pembury"), ("Niamh", "Tulloch"), ("Grace", "Ellery"),
         ("Megan", "Ashby"), ("Lewis", "Carrow")])]
    findings = patient_findings(agency_mail("m.csv", "text/csv", rd.csv_text(many)))
    assert [f for f in findings if f.rule == "patient_list"]


def test_a_patient_list_naming_the_practitioner_is_still_a_list():
    rows = [["Client", "DOB", "Treatment", "Practitioner"],
            *[[p[0], p[1], p[5], "Nurse Ada Finch"] for p in rd.PATIENTS]]
    findings = patient_findings(agency_mail("l.csv", "text/csv", rd.csv_text(rows)))
    assert [f for f in findings if f.rule == "patient_list"]
