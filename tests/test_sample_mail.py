"""The sample corpus (sample_mail/*.eml) through `mailscreen scan --json` in one real
subprocess: every message gets the verdict a clinic admin expects (sample_mail/expected.json),
the expected rules fire, clean mail stays clean, and no evidence carries an NHS number."""
from __future__ import annotations

import email
import email.utils
import smtplib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_mail"
EXPECTED: dict[str, dict] = json.loads((SAMPLES / "expected.json").read_text(encoding="utf-8"))
MAILSCREEN = Path(sys.executable).with_name("mailscreen")
REQUIRED_HEADERS = ("From", "To", "Subject", "Date", "Message-ID", "MIME-Version")
TEN_DIGITS = re.compile(r"\d{10}")
SEPARATORS = re.compile(r"[\s\-]+")


def sample_files() -> list[Path]:
    return sorted(SAMPLES.glob("*.eml"))


def scan_command(files: list[str]) -> list[str]:
    if MAILSCREEN.is_file():
        return [str(MAILSCREEN), "scan", "--json", *files]
    return [sys.executable, "-m", "cli.main", "scan", "--json", *files]


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> dict[str, dict]:
    """One `mailscreen scan --json` over every sample, with the built-in default policy."""
    files = [str(p) for p in sample_files()]
    env = {k: v for k, v in os.environ.items() if k != "MAILSCREEN_CONFIG"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
    proc = subprocess.run(scan_command(files), cwd=tmp_path_factory.mktemp("scan"), env=env,
                          capture_output=True, text=True, timeout=600)
    assert "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    by_name = {Path(r["file"]).name: r for r in lines}
    assert len(lines) == len(by_name) == len(files)
    return by_name


def test_corpus_is_large_and_every_file_is_in_expected_json():
    names = {p.name for p in sample_files()}
    assert len(names) >= 15
    assert names == set(EXPECTED), (
        f"not in expected.json: {sorted(names - set(EXPECTED))}; "
        f"in expected.json but missing: {sorted(set(EXPECTED) - names)}")


def test_every_category_has_a_failing_sample():
    held_or_tagged = {rule for e in EXPECTED.values() if e["action"] != "pass" for rule in e["rules"]}
    for rule in ("uk_nhs_number", "date_of_birth", "copyright_rights_reserved",
                 "language_profanity", "language_abuse", "pom_promotion",
                 "attachment_type_mismatch", "pdf_encrypted", "attachment_executable"):
        assert rule in held_or_tagged, rule
    clean = [name for name, e in EXPECTED.items() if e["action"] == "pass" and not e["rules"]]
    assert len(clean) >= 7


def test_readme_table_lists_every_sample():
    readme = (SAMPLES / "README.md").read_text(encoding="utf-8")
    for name in EXPECTED:
        assert f"`{name}`" in readme, name


@pytest.mark.parametrize("path", sample_files(), ids=lambda p: p.name)
def test_sample_is_well_formed(path: Path):
    raw = path.read_bytes()
    assert b"\n" not in raw.replace(b"\r\n", b""), "bare LF: the relay refuses it"
    assert b"\r" not in raw.replace(b"\r\n", b""), "bare CR"
    msg = email.message_from_bytes(raw)
    for header in REQUIRED_HEADERS:
        assert len(msg.get_all(header, [])) == 1, f"{header} missing or repeated"
    assert not msg.defects


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_gets_expected_verdict(results, name: str):
    expected = EXPECTED[name]
    result = results[name]
    findings = result["findings"]
    summary = [(f["rule"], f["severity"], f["where"]) for f in findings]
    assert "error" not in result, result["error"]
    assert result["action"] == expected["action"], summary
    found = {f["rule"] for f in findings}
    for rule in expected["rules"]:
        assert rule in found, summary
    if not expected["rules"]:  # clean mail: nothing above low severity
        assert expected["action"] == "pass"
        assert not [f for f in findings if f["severity"] in ("medium", "high")], summary


def test_no_evidence_carries_a_full_nhs_number(results):
    for name, result in results.items():
        for f in result["findings"]:
            evidence = f["evidence"]
            assert not TEN_DIGITS.search(SEPARATORS.sub("", evidence)), (name, f["rule"], evidence)


def test_generator_is_deterministic(tmp_path):
    script = SAMPLES / "make_samples.py"
    built = []
    for run in ("a", "b"):
        out = tmp_path / run
        subprocess.run([sys.executable, str(script), "--out", str(out)], check=True,
                       capture_output=True, timeout=120)
        built.append({p.name: p.read_bytes() for p in sorted(out.iterdir())})
    assert built[0] == built[1]
    assert set(built[0]) == {p.name for p in sample_files()} | {"expected.json"}


def test_the_relay_gives_every_sample_the_verdict_scan_gives(results, make_relay, sink):
    """One decision step: `mailscreen scan` and the relay judge each sample alike (the
    envelope recipients are the To and Cc headers, as `scan` assumes)."""
    from conftest import wait_for

    def msg_id(msg) -> str:
        return " ".join(str(msg["Message-ID"]).split())

    relay = make_relay()
    sent = {}
    with smtplib.SMTP("127.0.0.1", relay.port, timeout=30) as smtp:
        for path in sample_files():
            raw = path.read_bytes()
            msg = email.message_from_bytes(raw)
            rcpts = [a for _, a in email.utils.getaddresses(msg.get_all("To", []) +
                                                             msg.get_all("Cc", []))]
            smtp.sendmail("sender@sample.example", rcpts, raw)
            sent[msg_id(msg)] = path.name
    wait_for(relay.idle, timeout=300, interval=0.2)

    def held_ids():
        ids = set()
        for spool_id in relay.queue("hold"):
            with open(relay.app.spool.message_path("hold", spool_id), "rb") as f:
                ids.add(msg_id(email.message_from_binary_file(f)))
        return ids

    def relay_actions():
        actions = {sent[i]: "hold" for i in held_ids() if i in sent}
        for _, _, data in list(sink.messages):
            delivered = email.message_from_bytes(data)
            if msg_id(delivered) in sent:
                actions[sent[msg_id(delivered)]] = delivered.get("X-Mailscreen-Verdict", "pass")
        return actions if len(actions) == len(sent) else None

    actions = wait_for(relay_actions, timeout=120, interval=0.2)
    assert actions == {name: r["action"] for name, r in results.items()}
