"""Hostile content through the real relay: deep and wide MIME trees, path tricks in file
names, header injection through findings, a scan that runs for the whole budget while
other sessions keep sending."""
from __future__ import annotations

import smtplib
import threading
import time
from pathlib import Path

import pytest
from conftest import SHARED, message, wait_for

SENDER = "reception@glowclinic.example"


def send(port: int, data: bytes, rcpts=("sam.patel@example.com",)) -> dict:
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        return client.sendmail(SENDER, list(rcpts), data)


def nested(depth: int) -> bytes:
    head = b"From: a@glowclinic.example\r\nTo: b@example.com\r\nSubject: nest\r\nMIME-Version: 1.0\r\n"
    parts = []
    for level in range(depth):
        parts.append(f'Content-Type: multipart/mixed; boundary="b{level}"\r\n\r\n--b{level}\r\n'.encode())
    middle = b"Content-Type: text/plain\r\n\r\nhello\r\n"
    tail = b"".join(f"--b{level}--\r\n".encode() for level in reversed(range(depth)))
    return head + b"".join(parts) + middle + tail


def wide(count: int) -> bytes:
    body = b"".join(b'--w\r\nContent-Type: text/plain\r\n\r\npart %d\r\n' % i for i in range(count))
    return (b"From: a@glowclinic.example\r\nTo: b@example.com\r\nSubject: wide\r\nMIME-Version: 1.0\r\n"
            b'Content-Type: multipart/mixed; boundary="w"\r\n\r\n' + body + b"--w--\r\n")


@pytest.mark.parametrize("data, held", [(nested(20), False), (nested(1000), True),
                                         (wide(3000), True)],
                         ids=["20-deep", "1000-deep", "3000-parts"])
def test_deep_and_wide_mime_trees_are_capped_then_held(relay, sink, data, held):
    send(relay.port, data)
    wait_for(lambda: sink.handler.to("sam.patel@example.com") or relay.queue("hold"))
    wait_for(relay.idle)
    if held:
        (held_id,) = relay.queue("hold")
        row = relay.app.store.held(held_id)
        assert row.top_rule == "scan_failed"
        assert "RecursionError" not in row.findings
    else:
        assert relay.queue("hold") == [] and len(sink.handler.to("sam.patel@example.com")) == 1


TRICKY_NAMES = ['../../../../tmp/mailscreen-escape.txt', '..\\\\..\\\\windows\\\\evil.txt',
                '/etc/mailscreen-abs.txt', 'a' * 300 + '.txt']


def attachment(name_param: str, body: bytes = b"harmless text\r\n") -> bytes:
    return (b"From: a@glowclinic.example\r\nTo: b@example.com\r\nSubject: files\r\n"
            b'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="f"\r\n\r\n'
            b"--f\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n--f\r\n"
            b"Content-Type: application/octet-stream\r\n"
            b"Content-Disposition: attachment; " + name_param.encode() + b"\r\n\r\n" + body +
            b"--f--\r\n")


@pytest.mark.parametrize("param", [f'filename="{n}"' for n in TRICKY_NAMES] + [
    "filename*=utf-8''..%2F..%2F..%2Ftmp%2Fmailscreen-2231.txt",
    "filename*=utf-8''evil%00.txt",
], ids=["dotdot", "backslash", "absolute", "300-chars", "rfc2231-traversal", "nul"])
def test_attachment_names_never_become_paths(relay, sink, param):
    send(relay.port, attachment(param))
    wait_for(lambda: sink.messages or relay.queue("hold"))
    wait_for(relay.idle)
    assert not Path("/tmp/mailscreen-escape.txt").exists()
    assert not Path("/tmp/mailscreen-2231.txt").exists()
    data_dir = relay.settings.data_path
    for path in data_dir.rglob("*"):  # every file the relay wrote has a name of its own
        assert "escape" not in path.name and "2231" not in path.name and "evil" not in path.name
    for row in relay.app.store.logs():
        assert "/" not in row.rules


def test_verdict_headers_stay_one_line_whatever_the_file_name_says(make_relay, sink):
    relay = make_relay(tag={"external_headers": True})  # X-Mailscreen-Findings too
    injected = "filename*=utf-8''report%0D%0ABcc%3A%20evil%40example.org%0D%0AX-Evil%3A%201%0D%0A.pdf"
    data = attachment(injected, b"this is plain text, not a PDF\r\n")
    send(relay.port, data)
    (mail,) = wait_for(lambda: sink.handler.to("sam.patel@example.com"))
    assert mail.endswith(data)  # the original bytes, unchanged, after the added headers
    added = mail[: len(mail) - len(data)].split(b"\r\n")
    assert added[-1] == b""
    assert [line.split(b":")[0] for line in added[:-1]] == [b"X-Mailscreen-Verdict",
                                                            b"X-Mailscreen-Findings"]
    assert b"attachment_type_mismatch" in added[1] and b"***@example.org" in added[1]


# Form XObjects nested 10^8 deep: PDFium works on its one page until it runs out of memory
# or time, then pypdf reads it: several seconds for each copy.
CORPUS_PAGES = SHARED / "corpus" / "pdf" / "generated" / "gen-xobject-laughs.pdf"


@pytest.mark.skipif(not CORPUS_PAGES.exists(), reason=f"{CORPUS_PAGES} not found (../shared)")
def test_other_sessions_keep_flowing_while_one_scan_uses_its_whole_budget(make_relay, sink):
    from email.message import EmailMessage

    relay = make_relay(scan={"time_budget": 20.0, "workers": 2, "pdf_seconds": 60.0})
    slow = EmailMessage()
    slow["From"], slow["To"], slow["Subject"] = SENDER, "sam.patel@example.com", "big PDF"
    slow.set_content("attached")
    for i in range(10):  # 5 to 60 s of text extraction each: well over the 20 s budget
        slow.add_attachment(CORPUS_PAGES.read_bytes(), maintype="application", subtype="pdf",
                            filename=f"big{i}.pdf")
    send(relay.port, slow.as_bytes(policy=slow.policy.clone(linesep="\r\n")))
    sent: dict[int, int] = {}  # messages each client had accepted while the big scan ran
    errors: list[BaseException] = []
    held = threading.Event()

    def client(k: int) -> None:
        try:
            with smtplib.SMTP("127.0.0.1", relay.port, timeout=60) as c:  # 60 s: a hang only
                while not held.is_set():
                    c.sendmail(SENDER, [f"client{k}@example.com"], message())
                    sent[k] = sent.get(k, 0) + 1
                    time.sleep(0.2)
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=client, args=(k,)) for k in range(20)]
    for t in threads:
        t.start()
    try:
        held_id = wait_for(lambda: relay.queue("hold"), timeout=120)[0]
    finally:
        held.set()
        for t in threads:
            t.join()
    assert not errors
    row = relay.app.store.held(held_id)
    assert row.top_rule == "scan_failed" and "time budget" in row.findings
    # every client went on sending while one scan used its whole budget: a relay that waited
    # for that scan would have accepted at most one message from each
    assert len(sent) == 20 and min(sent.values()) >= 3, sent
    wait_for(lambda: len([m for m in sink.messages if m[0] == SENDER]) >= sum(sent.values()),
             timeout=120)
