"""Soak: nothing lost under kills and upstream trouble.

Sends N messages (unique Message-IDs; one in ten carries patient data and is held) from C
concurrent clients through a real `mailscreen serve` process, on loopback only, while it
  * SIGKILLs the relay K times at random moments and restarts it at once, and
  * makes the upstream sink tempfail (451), drop connections mid-transaction and go away
    entirely, for periods, between periods of normal service.
A client whose connection dies retries the same message on a new connection until it gets
a 250 (so a message whose 250 was lost to a kill may arrive twice, as SMTP allows).

At the end every message that got a 250 must be in the upstream sink or in quarantine
(counted by Message-ID): lost must be 0. Duplicates are counted and reported.

    .venv/bin/python bench/soak.py                      # 10,000 messages, 20 clients, 5 kills
    .venv/bin/python bench/soak.py -n 1000 --kills 2    # the CI size (tests/test_soak.py)
"""
from __future__ import annotations

import argparse
import email
import json
import os
import random
import shutil
import smtplib
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

from aiosmtpd.controller import Controller

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from harness import RelayProcess, free_port, write_config  # noqa: E402

SENDER = "reception@glowclinic.example"


class FlakySink:
    """The upstream: counts what arrives by Message-ID; its mode changes over time."""

    def __init__(self, port: int):
        self.port = port
        self.mode = "ok"  # ok, tempfail, drop
        self.arrived: Counter = Counter()
        self.lock = threading.Lock()
        self.controller: Controller | None = None

    async def handle_DATA(self, server, session, envelope):
        if self.mode == "tempfail":
            return "451 4.3.0 sink says try later"
        if self.mode == "drop":
            server.transport.close()
            return "421 4.3.0 closing"
        if envelope.mail_from not in ("", "<>"):  # notices to the sender are not counted
            msg = email.message_from_bytes(envelope.original_content)
            with self.lock:
                self.arrived[msg.get("Message-ID", "")] += 1
        return "250 OK"

    def up(self) -> None:
        if self.controller is None:
            self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
            self.controller.start()

    def down(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@dataclass
class Result:
    messages: int
    accepted: int
    kills: int
    delivered: int
    held: int
    lost: int
    duplicates: int
    seconds: float

    @property
    def ok(self) -> bool:
        return self.lost == 0 and self.accepted == self.messages


class Relay(RelayProcess):
    def __init__(self, workdir: Path, port: int, sink_port: int):
        config = write_config(workdir, port, sink_port, log_level="WARNING", scan_workers=2,
                              delivery_workers=2, retry_delays="[0.5, 1.0]",
                              extra="[admin]\nnotify_on_hold = false\n")
        super().__init__(config, port)
        self.data = workdir / "data"

    def start(self) -> None:
        super().start(timeout=30)

    def queued(self) -> int:
        spool = self.data / "spool"
        return sum(len(os.listdir(spool / q)) for q in ("incoming", "active", "outgoing",
                                                          "sending") if (spool / q).exists())

    def held_ids(self) -> Counter:
        found: Counter = Counter()
        for queue in ("hold", "rejected"):
            d = self.data / "spool" / queue
            for entry in (d.iterdir() if d.exists() else ()):
                with open(entry / "message.eml", "rb") as f:
                    found[email.message_from_binary_file(f).get("Message-ID", "")] += 1
        return found


def make_message(n: int, run: str) -> bytes:
    patient = n % 10 == 0
    body = (f"Our patient Jane Doe, NHS number 999 000 0018, had filler on Monday ({n})."
            if patient else f"Reminder {n}: your appointment is on Tuesday at 10:00.")
    return (f"From: Glow Clinic <{SENDER}>\r\nTo: patient{n}@example.com\r\n"
            f"Subject: Appointment {n}\r\nMessage-ID: <soak-{run}-{n}@glowclinic.example>\r\n"
            f"Date: Tue, 24 Nov 2026 10:00:00 +0000\r\n\r\n{body}\r\n").encode()


def soak(messages: int = 10_000, clients: int = 20, kills: int = 5, seed: int = 1,
         settle: float = 180.0, verbose: bool = True) -> Result:
    rng = random.Random(seed)
    run = f"{os.getpid()}-{seed}"
    workdir = Path(tempfile.mkdtemp(prefix="mailscreen-soak-"))
    sink = FlakySink(free_port())
    relay = Relay(workdir, free_port(), sink.port)
    accepted: set[str] = set()
    lock = threading.Lock()
    todo = list(range(messages))
    done_sending = threading.Event()
    started = time.monotonic()

    def say(text: str) -> None:
        if verbose:
            print(f"[{time.monotonic() - started:6.1f}s] {text}", file=sys.stderr, flush=True)

    def client() -> None:
        conn = None
        while True:
            with lock:
                if not todo:
                    break
                n = todo.pop()
            data = make_message(n, run)
            while True:  # retry this one until it gets a 250
                try:
                    if conn is None:
                        conn = smtplib.SMTP("127.0.0.1", relay.port, timeout=30)
                    conn.sendmail(SENDER, [f"patient{n}@example.com"], data)
                    with lock:
                        accepted.add(f"<soak-{run}-{n}@glowclinic.example>")
                    break
                except (smtplib.SMTPException, OSError):
                    try:
                        if conn is not None:
                            conn.close()
                    except OSError:
                        pass
                    conn = None
                    time.sleep(0.05)
        if conn is not None:
            try:
                conn.quit()
            except (smtplib.SMTPException, OSError):
                pass

    def chaos() -> None:
        while not done_sending.is_set():
            time.sleep(rng.uniform(0.5, 1.5))
            mode = rng.choice(["ok", "ok", "tempfail", "drop", "down"])
            if mode == "down":
                sink.down()
            else:
                sink.mode = mode
                sink.up()
        sink.mode = "ok"

    try:
        sink.up()
        relay.start()
        threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
        for t in threads:
            t.start()
        chaos_thread = threading.Thread(target=chaos, daemon=True)
        chaos_thread.start()
        killed = 0
        # kill points spread over the whole run: when so many messages have been accepted
        points = sorted(rng.sample(range(messages // 20, messages - messages // 20), kills))
        while killed < kills and any(t.is_alive() for t in threads):
            time.sleep(rng.uniform(0.05, 0.3))
            if len(accepted) < points[killed]:
                continue
            relay.kill()
            killed += 1
            say(f"SIGKILL {killed}/{kills} after {len(accepted)} accepted; restarting")
            relay.start()
        for t in threads:
            t.join()
        done_sending.set()
        chaos_thread.join()
        sink.mode = "ok"
        sink.up()
        say(f"all {len(accepted)} accepted; waiting for the queue to drain")
        deadline = time.monotonic() + settle
        while time.monotonic() < deadline and relay.queued():
            time.sleep(0.2)
        time.sleep(1.0)
        relay.stop()
        held = relay.held_ids()
        arrived = sink.arrived
        lost = [m for m in accepted if not arrived[m] and not held[m]]
        dups = sum(max(0, arrived[m] + held[m] - 1) for m in accepted)
        result = Result(messages, len(accepted), killed, sum(1 for m in accepted if arrived[m]),
                        sum(1 for m in accepted if held[m]), len(lost), dups,
                        round(time.monotonic() - started, 1))
        if lost:
            say(f"LOST {len(lost)}, e.g. {lost[:5]}; still queued: {relay.queued()}; "
                f"workdir kept: {workdir}")
        return result
    finally:
        relay.stop()
        sink.down()
        if not verbose or (locals().get("result") and result.ok):
            shutil.rmtree(workdir, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", "--messages", type=int, default=10_000)
    parser.add_argument("-c", "--clients", type=int, default=20)
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = soak(args.messages, args.clients, args.kills, args.seed)
    if args.json:
        print(json.dumps(asdict(result)))
    else:
        print(f"messages {result.messages}, accepted {result.accepted}, kills {result.kills}, "
              f"delivered {result.delivered}, held {result.held}, lost {result.lost}, "
              f"duplicates {result.duplicates}, {result.seconds} s")
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
