"""`mailscreen scan` counts a Sent-folder copy's Bcc addresses as recipients (issue 21): a
price offer for a prescription-only medicine to the clinic's own address with 40 clients in
Bcc went to 40 people, as the relay would have seen it; --rcpt still overrides."""
import json
import subprocess

import pytest

from harness import mailscreen_command

pytestmark = pytest.mark.slow

BODY = ("Hi all,\r\n\r\nBotox is now 99 pounds for one area, this week only. Book your slot "
        "today by replying to this email.\r\n\r\nGlow Clinic\r\n")


def _message(bcc: str = "") -> bytes:
    return ("From: Reception <reception@glowclinic.example>\r\n"
            "To: Reception <reception@glowclinic.example>\r\n"
            + (f"Bcc: {bcc}\r\n" if bcc else "") +
            "Subject: This week\r\nMessage-ID: <1@glowclinic.example>\r\n"
            "Date: Mon, 7 Dec 2026 09:00:00 +0000\r\n\r\n" + BODY).encode()


def _scan(tmp_path, *args):
    env_model = {"MAILSCREEN_NO_SENTENCE_MODEL": "1", "PATH": "/usr/bin:/bin"}
    out = subprocess.run([mailscreen_command(), "scan", "--json", *args], capture_output=True,
                         text=True, cwd=tmp_path, timeout=120, env=env_model)
    assert out.returncode == 0, out.stderr[-2000:]
    return {json.loads(line)["file"].rsplit("/", 1)[-1]: json.loads(line)
            for line in out.stdout.splitlines()}


def test_bcc_addresses_are_recipients(tmp_path):
    clients = ", ".join(f"client{i}@gmail.example" for i in range(40))
    (tmp_path / "sent.eml").write_bytes(_message(clients))
    (tmp_path / "own.eml").write_bytes(_message())
    results = _scan(tmp_path, str(tmp_path / "sent.eml"), str(tmp_path / "own.eml"))
    assert results["sent.eml"]["action"] == "hold"
    assert any(f["rule"] == "pom_promotion" and f["severity"] == "high"
               for f in results["sent.eml"]["findings"])
    # the same text kept inside the clinic is not an advert to the public
    assert results["own.eml"]["action"] == "pass"
    # the evidence never lists the blind recipients' addresses
    assert "client1@" not in json.dumps(results)


def test_rcpt_overrides_bcc(tmp_path):
    clients = ", ".join(f"client{i}@gmail.example" for i in range(40))
    (tmp_path / "sent.eml").write_bytes(_message(clients))
    results = _scan(tmp_path, "--rcpt", "reception@glowclinic.example", str(tmp_path / "sent.eml"))
    assert results["sent.eml"]["action"] == "pass"


REFERRAL = ("Dear Dr Boyd,\r\n\r\nI would be grateful if you could see Mrs Orla Devlin, "
            "Health and Care Number 999 000 0018, date of birth 14/03/1979, who developed "
            "a vascular occlusion after lip filler on 2 November.\r\n\r\nYours sincerely,\r\n"
            "Dr Ann Keane\r\n")


@pytest.mark.parametrize("to,action", [
    ("gp.boyd@westerntrust.hscni.net", "pass"),      # Northern Ireland's health service
    ("gp.boyd@nhs.scot", "pass"),                     # NHS Scotland
    ("gp.boyd@cardiffandvale.wales.nhs.uk", "pass"),  # NHS Wales
    ("gp.boyd@nhs.net", "pass"),
    ("gp.boyd@hscni-net.example", "hold"),            # a look-alike is not the health service
])
def test_the_health_service_of_all_four_nations_is_trusted(tmp_path, to, action):
    (tmp_path / "referral.eml").write_bytes(
        (f"From: Dr Ann Keane <ann@foyleskin.example>\r\nTo: {to}\r\nSubject: Referral\r\n"
         "Message-ID: <2@foyleskin.example>\r\nDate: Mon, 7 Dec 2026 09:00:00 +0000\r\n\r\n"
         + REFERRAL).encode())
    assert _scan(tmp_path, str(tmp_path / "referral.eml"))["referral.eml"]["action"] == action
