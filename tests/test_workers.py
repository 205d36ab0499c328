"""Scan workers with a bounded life (gateway/relay/sandbox.py): replaced after scan.max_use
messages or above scan.max_rss_mb, and a message whose worker gives out (out of memory,
died) tried once more in a fresh one, held only if that one gives out too.

A worker that "has grown" is made real: its address-space limit is lowered from outside
(prlimit) to just above what it already uses, so its next allocations fail as they would
at the cap."""
from __future__ import annotations

import dataclasses
import os
import random
import signal
import threading
import resource
import smtplib
import textwrap
import tracemalloc

import pytest
from conftest import message, wait_for
from prose import document

from gateway.content.limits import Limits
from gateway.relay.sandbox import Sandbox, SandboxConfig
from scanners import lexicon

# the cheap scanners: these tests are about the process, not about what it finds
CHEAP = {"patient_data": False, "copyright": False, "language": False, "advertising": False}


def test_whole_messages_are_not_kept_by_the_flat_view_cache():
    """The growth of issue 23: every 300 KB message left two views of itself (8 bytes a
    character of offsets) in a 512-deep cache, about 6 MB a message."""
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for i in range(30):
            text = document(i, 2000) + "  \n\n  " + document(i + 1000, 2000)  # ~25 KB
            assert lexicon.flat(text).padded.strip()
            del text
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert kept < 2 * 2**20, f"{kept / 2**20:.1f} MB kept after 30 distinct texts"


def body(seed: int, paragraphs: int) -> str:
    """Distinct prose, about 750 bytes a paragraph, in lines SMTP accepts."""
    rng = random.Random(seed)
    return "\r\n\r\n".join(textwrap.fill(document(rng.randrange(10**9), 120), 76)
                               .replace("\n", "\r\n") for _ in range(paragraphs))


def _msg(tmp_path, n: int, paragraphs: int = 2) -> str:
    path = tmp_path / f"m{n}.eml"
    path.write_bytes(message(subject=f"Notes {n}", body=body(n, paragraphs)))
    return str(path)


def _vm_size_mb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        line = next(l for l in f if l.startswith("VmSize:"))
    return int(line.split()[1]) // 1024


def _shrink(pid: int, spare_mb: int = 1) -> None:
    """Cap a running worker's address space just above what it uses now."""
    cap = (_vm_size_mb(pid) + spare_mb) * 2**20
    resource.prlimit(pid, resource.RLIMIT_AS, (cap, cap))


def _rules(result) -> set[str]:
    return {f.rule for f in result.findings}


@pytest.fixture
def sandbox():
    made = []

    def make(**config) -> Sandbox:
        sb = Sandbox(SandboxConfig(limits=Limits(), scanners=CHEAP, time_budget=60,
                                   **config)).start()
        made.append(sb)
        return sb

    yield make
    for sb in made:
        sb.close()


@pytest.mark.slow
def test_a_worker_is_replaced_after_max_use_messages(sandbox, tmp_path):
    sb = sandbox(max_use=2, max_rss_mb=0)
    pids = []
    for n in range(5):
        pids.append(sb.pid)
        assert "scan_failed" not in _rules(sb.scan(_msg(tmp_path, n)))
    assert pids[0] == pids[1] != pids[2] == pids[3] != pids[4]


@pytest.mark.slow
def test_a_worker_above_the_rss_limit_is_replaced(sandbox, tmp_path):
    sb = sandbox(max_use=0, max_rss_mb=1)  # every worker is above 1 MB after a message
    pids = []
    for n in range(3):
        pids.append(sb.pid)
        assert "scan_failed" not in _rules(sb.scan(_msg(tmp_path, n)))
    assert len(set(pids)) == 3
    # no limit: one worker for all
    sb = sandbox(max_use=0, max_rss_mb=0)
    first = sb.pid
    for n in range(3):
        sb.scan(_msg(tmp_path, n))
    assert sb.pid == first


@pytest.mark.slow
def test_a_worker_out_of_memory_is_retried_in_a_fresh_one(sandbox, tmp_path, caplog):
    sb = sandbox()
    sb.scan(_msg(tmp_path, 0))
    grown = sb.pid
    _shrink(grown)
    result = sb.scan(_msg(tmp_path, 1, paragraphs=400))  # about 300 KB: more than 1 MB to read
    assert _rules(result) == set(), result.findings  # screened, not held for the worker
    assert sb.pid != grown
    assert "trying again in a fresh scan process" in caplog.text


@pytest.mark.slow
def test_a_message_that_exhausts_a_fresh_worker_too_is_held(sandbox, tmp_path, caplog):
    probe = sandbox()
    probe.scan(_msg(tmp_path, 0))
    fresh_mb = _vm_size_mb(probe.pid)
    probe.close()
    sb = sandbox(memory_limit_mb=fresh_mb + 40)
    assert "scan_failed" not in _rules(sb.scan(_msg(tmp_path, 0)))  # a small one fits
    big = tmp_path / "big.eml"
    big.write_bytes(message(body="Tuesday at ten. " * 4_000_000))  # 64 MB of text
    result = sb.scan(str(big))
    assert [(f.rule, f.evidence) for f in result.findings] == [
        ("scan_failed", "out of memory while scanning")]
    assert caplog.text.count("out of memory while scanning") == 2  # tried twice
    assert "scan_failed" not in _rules(sb.scan(_msg(tmp_path, 1)))  # the next one is fine


def test_a_clean_message_is_delivered_when_its_worker_gives_out(make_relay, sink):
    relay = make_relay(scan={"scanners": CHEAP})
    with smtplib.SMTP("127.0.0.1", relay.port) as client:
        client.sendmail("reception@glowclinic.example", ["sam.patel@example.com"],
                        message(subject="First"))
        wait_for(lambda: sink.messages, timeout=60)
        worker = relay.app._sandboxes[0].pid
        _shrink(worker)  # it has grown to its cap
        client.sendmail("reception@glowclinic.example", ["sam.patel@example.com"],
                        message(subject="Second", body=body(7, 400)))
    wait_for(lambda: len(sink.messages) == 2, timeout=60)
    assert relay.queue("hold") == []
    assert relay.app._sandboxes[0].pid != worker


@pytest.mark.slow
def test_a_scan_that_waits_for_the_cpu_is_not_held_for_it(sandbox, tmp_path):
    """The budget counts the scan process's CPU seconds: on a busy machine a message waits
    for the CPU longer than its budget in wall-clock time, and is screened all the same.
    The wait is made real: the process is stopped (SIGSTOP) for twice its budget."""
    sb = sandbox(max_use=0, max_rss_mb=0)
    sb.config = dataclasses.replace(sb.config, time_budget=1.0)
    assert "scan_failed" not in _rules(sb.scan(_msg(tmp_path, 0)))  # warm
    os.kill(sb.pid, signal.SIGSTOP)
    threading.Timer(2.0, os.kill, (sb.pid, signal.SIGCONT)).start()
    assert "scan_failed" not in _rules(sb.scan(_msg(tmp_path, 1)))


@pytest.mark.slow
def test_a_scan_process_that_never_answers_is_stopped_and_the_message_held(sandbox, tmp_path):
    """A process that spends no CPU and never answers (blocked, stopped) is not waited for
    for ever: after WALL_FACTOR budgets of wall-clock time the message is held."""
    sb = sandbox(max_use=0, max_rss_mb=0)
    sb.config = dataclasses.replace(sb.config, time_budget=0.5)
    assert "scan_failed" not in _rules(sb.scan(_msg(tmp_path, 0)))
    os.kill(sb.pid, signal.SIGSTOP)
    result = sb.scan(_msg(tmp_path, 1))
    assert any(f.rule == "scan_failed" and "time budget" in f.evidence for f in result.findings)
    assert "scan_failed" not in _rules(sb.scan(_msg(tmp_path, 2)))  # a fresh process
