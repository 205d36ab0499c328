"""The protected works register: `mailscreen works add/list/remove` on a real database with
audit rows, excerpt matching by winnowing fingerprints (found when lightly edited, nothing
on unrelated text), and a registered work held through the real relay."""
from __future__ import annotations

import json
import smtplib

import documents as docs
import prose
import pytest
from conftest import wait_for
from typer.testing import CliRunner

from cli.main import app
from gateway.content.parse import parse
from gateway.database import audit
from gateway.database.store import Store
from gateway.registers import works
from scanners import fingerprint
from scanners.base import Finding, Severity
from scanners.copyright import CopyrightScanner

runner = CliRunner()
WORDS_PER_PAGE = 420


@pytest.fixture(scope="module")
def manual_text() -> str:
    return prose.document(seed=7, words=50 * WORDS_PER_PAGE)


@pytest.fixture(scope="module")
def manual_pdf(manual_text, tmp_path_factory):
    """A 50-page paid training manual, as a real PDF."""
    tokens = manual_text.split()
    pages = [[" ".join(tokens[i:i + WORDS_PER_PAGE])] for i in range(0, len(tokens), WORDS_PER_PAGE)]
    path = tmp_path_factory.mktemp("works") / "advanced_filler_manual.pdf"
    path.write_bytes(docs.pdf(pages[:50], title="Advanced filler techniques", size=8))
    return path


def config_file(tmp_path) -> str:
    path = tmp_path / "mailscreen.toml"
    path.write_text(f'data_dir = "{tmp_path / "data"}"\n')
    return str(path)


def test_works_add_list_remove_with_audit(tmp_path, manual_pdf):
    config = config_file(tmp_path)
    added = runner.invoke(app, ["works", "add", str(manual_pdf), "--title", "Filler manual",
                                "--reason", "paid course material", "-c", config])
    assert added.exit_code == 0, added.output
    assert added.output.startswith("1: Filler manual (")
    again = runner.invoke(app, ["works", "add", str(manual_pdf), "-c", config])
    assert again.exit_code == 1 and "already registered" in again.output
    empty = tmp_path / "blank.txt"
    empty.write_text("hi")
    refused = runner.invoke(app, ["works", "add", str(empty), "-c", config])
    assert refused.exit_code == 1 and "too little text" in refused.output
    listed = runner.invoke(app, ["works", "list", "--json", "-c", config])
    (row,) = [json.loads(line) for line in listed.output.splitlines()]
    assert row["title"] == "Filler manual" and row["filename"] == manual_pdf.name
    assert 50 * WORDS_PER_PAGE * 0.95 < row["words"] and row["fingerprints"] > 5000
    assert "Filler manual" in runner.invoke(app, ["works", "list", "-c", config]).output
    missing = runner.invoke(app, ["works", "remove", "9", "--reason", "x", "-c", config])
    assert missing.exit_code == 1 and "no registered work 9" in missing.output
    removed = runner.invoke(app, ["works", "remove", "1", "--reason", "licence bought", "-c", config])
    assert removed.exit_code == 0 and "removed" in removed.output
    store = Store(f"sqlite:///{tmp_path / 'data' / 'mailscreen.db'}")
    audit.configure(store, tmp_path / "data" / "mailscreen.key",  # rows signed with the key
                    tmp_path / "data" / "audit-anchor.log", create=False)
    assert works.listing(store) == []
    rows = audit.events(store)
    assert [(r.action, r.reason) for r in rows] == [("works_add", "paid course material"),
                                                    ("works_remove", "licence bought")]
    assert json.loads(rows[0].detail)["title"] == "Filler manual"
    assert audit.verify(store).ok


def test_excerpt_of_registered_work_is_found_and_unrelated_text_is_not(tmp_path, manual_pdf,
                                                                       manual_text):
    """A 60-word excerpt with 10% of its words changed, in 50 different places of the
    50-page manual, is found every time; 200 unrelated documents (the same field, the same
    stock phrases) match nothing."""
    store = works.create(Store(f"sqlite:///{tmp_path / 'works.db'}").create())
    work = works.add(store, manual_pdf, "Advanced filler techniques")
    loader = works.Loader(store.url)
    index = loader.index()
    assert len(index) == 1
    text = "\n".join(p for a in parse(docs.mail("x", attachments=[
        ("m.pdf", "application/pdf", manual_pdf.read_bytes())])).attachments for p in a.pages)
    for seed in range(50):
        excerpt = prose.edited_excerpt(text, seed, length=60, changed=0.10)
        body = f"Hi Sam,\n\nAs promised, the key bit from the course:\n\n{excerpt}\n\nBest, Chloe"
        matches = index.match(body)
        assert [m.work.id for m in matches] == [work.id], seed
        assert 30 <= matches[0].words <= 70, matches[0]
    for seed in range(200):
        unrelated = prose.document(seed=10_000 + seed, words=600)
        assert index.match(unrelated) == [], seed
    scanner = CopyrightScanner(works=loader)
    msg = parse(docs.mail("course notes", body="Notes:\n" + prose.edited_excerpt(text, 3)))
    (finding,) = [f for f in scanner.scan(msg) if f.rule == "copyright_protected_work"]
    assert finding.where == "body" and str(finding.severity) == "high"
    assert finding.evidence.startswith(f'work {work.id} "Advanced filler techniques": about ')
    whole = index.match(text)[0]
    assert whole.share > 0.95  # the whole manual, reported as such


def test_loader_sees_changes_without_a_restart(tmp_path, manual_pdf):
    store = works.create(Store(f"sqlite:///{tmp_path / 'w.db'}").create())
    loader = works.Loader(store.url)
    assert len(loader.index()) == 0
    first = works.add(store, manual_pdf)
    assert len(loader.index()) == 1
    works.remove(store, first.id, "test")
    assert len(loader.index()) == 0
    second = works.add(store, manual_pdf)
    assert second.id != first.id and list(loader.index().works) == [second.id]
    assert len(works.Loader(f"sqlite:///{tmp_path / 'none.db'}").index()) == 0
    assert not (tmp_path / "none.db").exists()  # a scan never creates a database


def test_fingerprints_ignore_case_accents_and_punctuation():
    a = fingerprint.fingerprints("The Café-au-lait spot, near the LEFT orbit; treated twice.")
    b = fingerprint.fingerprints("the cafe au lait spot near the left orbit treated twice")
    assert list(a[0]) == list(b[0]) and a[2] == b[2] == 11


def test_registered_work_is_held_through_the_relay(make_relay, sink, manual_pdf, manual_text):
    relay = make_relay()
    works.add(works.create(relay.app.store), manual_pdf, "Advanced filler techniques")
    excerpt = prose.edited_excerpt(manual_text, 11)
    handout = docs.docx(["Staff handout", excerpt])
    data = docs.mail("handout for the team", attachments=[
        ("handout.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
         handout)])
    with smtplib.SMTP("127.0.0.1", relay.port, timeout=10) as client:
        client.sendmail("reception@glowclinic.example", ["sam.patel@example.com"], data)
    held_id = wait_for(lambda: relay.queue("hold"), timeout=60)[0]
    row = relay.app.store.held(held_id)
    assert row.top_rule == "copyright_protected_work"
    (finding,) = [f for f in row.finding_dicts if f["rule"] == "copyright_protected_work"]
    assert finding["where"] == "attachment:handout.docx"
    assert '"Advanced filler techniques"' in finding["evidence"]


# -- licence terms, ownership and shared logins (issue 11) ------------------------------------

def _copyright(raw: bytes) -> dict[str, Finding]:
    return {f.rule: f for f in CopyrightScanner().scan(parse(raw))}


def _mail(sender: str, body: str, attachment: str = "") -> bytes:
    parts = (f"From: {sender}\r\nTo: Ana Cruz <ana@otherclinic.example>\r\nSubject: Manual\r\n"
             "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
             f"--b\r\nContent-Type: text/plain\r\n\r\n{body}\r\n")
    if attachment:
        parts += ("--b\r\nContent-Type: text/plain; name=manual.txt\r\n"
                  "Content-Disposition: attachment; filename=manual.txt\r\n\r\n"
                  f"{attachment}\r\n")
    return (parts + "--b--\r\n").encode()


def test_a_document_licensed_to_its_buyer_sent_on_is_high_but_a_disclaimer_is_not():
    manual = ("Advanced Toxin Techniques, module 3. Licensed to Dr P. Hale, delegate copy. "
              "© 2025 Summit Injector Training Ltd. Not for distribution.")
    found = _copyright(_mail("Jo Reed <jo@glowclinic.example>", "Here is the manual.", manual))
    assert found["copyright_licence_restricted"].severity is Severity.HIGH
    disclaimer = ("See you Friday.\r\n\r\nThis e-mail is confidential. If you are not the "
                  "intended recipient, do not copy or forward it.")
    assert "copyright_licence_restricted" not in _copyright(
        _mail("Jo Reed <jo@glowclinic.example>", disclaimer))


def test_the_owner_sending_its_own_course_to_its_delegate_is_not_third_party():
    manual = ("Foundation Toxin Course manual. Licensed to delegate Ana Cruz. "
              "© 2025 Summit Injector Training Academy. Not for distribution.")
    own = _copyright(_mail("Summit Injector Training Academy <courses@summitacademy.example>",
                           "Your course manual is attached.", manual))
    assert "copyright_licence_restricted" not in own
    other = _copyright(_mail("Jo Reed <jo@glowclinic.example>", "Found this for you.", manual))
    assert "copyright_licence_restricted" in other


def test_shared_logins_to_a_paid_portal_are_high_and_a_door_code_is_not():
    body = ("Use my account for the CPD portal, no point paying twice:\r\n"
            "username: phale@glowclinic.example\r\npassword: Summer2025!")
    assert _copyright(_mail("Jo Reed <jo@glowclinic.example>", body))[
        "copyright_shared_login"].severity is Severity.HIGH
    door = "The side door code is 4417 and the alarm password is on the rota."
    assert "copyright_shared_login" not in _copyright(_mail("Jo Reed <jo@glowclinic.example>", door))


def test_a_shared_login_written_without_colons_is_found_and_a_password_reset_is_not():
    chatty = ("Hi Kerry, you can use my login for the Masterclass video course - username "
              "jmoss, password Glow2026! - just don't tell them I shared it x")
    assert _copyright(_mail("Jo Reed <jo@glowclinic.example>", chatty))[
        "copyright_shared_login"].severity is Severity.HIGH
    reset = ("Your username is your work email. Your password is reset every 90 days; "
             "the training portal will prompt you.")
    assert "copyright_shared_login" not in _copyright(_mail("Jo Reed <jo@glowclinic.example>",
                                                            reset))
