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

Memory: the resident size (RSS) of every process of the relay (the relay itself with its
screening and delivery threads, its SMTP listeners with `--listeners`, the fork server,
each scan worker) at the start, when a tenth of the messages are accepted (warm: the
scanners' models loaded), when half are, and at the end after the queue has drained.
Run without kills (`--kills 0`) to follow the same processes throughout; scan workers
are replaced after scan.max_use messages by design.

    .venv/bin/python bench/soak.py                      # 10,000 messages, 20 clients, 5 kills
    .venv/bin/python bench/soak.py -n 1000 --kills 2    # the CI size (tests/test_soak.py)
    .venv/bin/python bench/soak.py -n 2000 --kills 0    # memory of each process, flat?
"""
from __future__ import annotations

import argparse
import email
import json
import os
import random
import shutil
import smtplib
import sqlite3
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
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
    # phase (start, warm, middle, end) -> process -> resident MiB
    rss: dict[str, dict[str, float]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.lost == 0 and self.accepted == self.messages


def _proc(pid: int) -> tuple[int, int, str, float] | None:
    """(parent, process group, name, resident MiB) of a living process, from /proc; the
    name is "forkserver" or "resource_tracker" for those of multiprocessing."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            head, _, rest = f.read().rpartition(")")
        with open(f"/proc/{pid}/statm") as f:
            pages = int(f.read().split()[1])
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            cmdline = f.read()
    except (OSError, ValueError, IndexError):
        return None
    fields = rest.split()
    if fields[0] == "Z":
        return None
    name = head.partition("(")[2]
    for helper in ("forkserver", "resource_tracker"):
        if helper.encode() in cmdline and name != "mailscreen-smtp":
            name = helper
    return int(fields[1]), int(fields[2]), name, pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def resident(group: int) -> dict[str, float]:
    """Resident MiB of each process of the relay (its process group), by role: the relay,
    multiprocessing's fork server, and the fork server's children, each a listener
    (named mailscreen-smtp) or a scan worker."""
    found = {}
    for name in os.listdir("/proc"):
        if name.isdigit() and (info := _proc(int(name))) and info[1] == group:
            found[int(name)] = info
    servers = {pid for pid, (ppid, _, name, _) in found.items()
               if ppid == group and name == "forkserver"}
    out, counts = {}, Counter()
    for pid, (ppid, _, name, mib) in sorted(found.items()):
        if pid == group:
            role = "relay"
        elif ppid in servers:
            role = "listener" if name == "mailscreen-smtp" else "scan worker"
        else:
            role = name  # forkserver, resource_tracker
        counts[role] += 1
        out[f"{role} {counts[role]}" if role in ("listener", "scan worker") else role] = \
            round(mib, 1)
    return out


class Relay(RelayProcess):
    def __init__(self, workdir: Path, port: int, sink_port: int, listeners: int | None = None):
        config = write_config(workdir, port, sink_port, log_level="WARNING", scan_workers=2,
                              delivery_workers=2, retry_delays="[0.5, 1.0]",
                              extra="[admin]\nnotify_on_hold = false\n")
        if listeners is not None:  # else the relay's default
            config.write_text(config.read_text().replace(
                "[server]\n", f"[server]\nlisteners = {listeners}\n", 1))
        super().__init__(config, port)
        self.data = workdir / "data"

    def start(self) -> None:
        super().start(timeout=30)

    def queued(self) -> int:
        spool = self.data / "spool"
        return sum(len(os.listdir(spool / q)) for q in ("incoming", "active", "outgoing",
                                                          "sending") if (spool / q).exists())

    def held_ids(self) -> Counter:
        """Message-IDs of the held mail, whose bytes are in the quarantine database."""
        found: Counter = Counter()
        db = self.data / "mailscreen.db"
        if not db.exists():
            return found
        with sqlite3.connect(db) as conn:
            try:
                rows = conn.execute("SELECT raw FROM held_body").fetchall()
            except sqlite3.OperationalError:  # not made yet
                return found
        for (raw,) in rows:
            found[email.message_from_bytes(raw).get("Message-ID", "")] += 1
        return found


def make_message(n: int, run: str) -> bytes:
    patient = n % 10 == 0
    body = (f"Our patient Jane Doe, NHS number 999 000 0018, had filler on Monday ({n})."
            if patient else f"Reminder {n}: your appointment is on Tuesday at 10:00.")
    return (f"From: Glow Clinic <{SENDER}>\r\nTo: patient{n}@example.com\r\n"
            f"Subject: Appointment {n}\r\nMessage-ID: <soak-{run}-{n}@glowclinic.example>\r\n"
            f"Date: Tue, 24 Nov 2026 10:00:00 +0000\r\n\r\n{body}\r\n").encode()


def soak(messages: int = 10_000, clients: int = 20, kills: int = 5, seed: int = 1,
         settle: float = 180.0, verbose: bool = True, listeners: int | None = None) -> Result:
    rng = random.Random(seed)
    run = f"{os.getpid()}-{seed}"
    workdir = Path(tempfile.mkdtemp(prefix="mailscreen-soak-"))
    sink = FlakySink(free_port())
    relay = Relay(workdir, free_port(), sink.port, listeners)
    rss: dict[str, dict[str, float]] = {}
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
        time.sleep(1.0)  # the scan workers loaded
        rss["start"] = resident(relay.proc.pid)
        threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
        for t in threads:
            t.start()
        chaos_thread = threading.Thread(target=chaos, daemon=True)
        chaos_thread.start()
        killed = 0
        # kill points spread over the whole run: when so many messages have been accepted
        points = sorted(rng.sample(range(messages // 20, messages - messages // 20), kills))
        def middle() -> None:
            while "middle" not in rss and any(t.is_alive() for t in threads):
                if "warm" not in rss and len(accepted) >= messages // 10:
                    rss["warm"] = resident(relay.proc.pid)
                if len(accepted) >= messages // 2:
                    rss["middle"] = resident(relay.proc.pid)
                time.sleep(0.1)

        watcher = threading.Thread(target=middle, daemon=True)
        watcher.start()
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
        watcher.join()
        rss["end"] = resident(relay.proc.pid)
        relay.stop()
        held = relay.held_ids()
        arrived = sink.arrived
        lost = [m for m in accepted if not arrived[m] and not held[m]]
        dups = sum(max(0, arrived[m] + held[m] - 1) for m in accepted)
        result = Result(messages, len(accepted), killed, sum(1 for m in accepted if arrived[m]),
                        sum(1 for m in accepted if held[m]), len(lost), dups,
                        round(time.monotonic() - started, 1), rss)
        if lost:
            say(f"LOST {len(lost)}, e.g. {lost[:5]}; still queued: {relay.queued()}; "
                f"workdir kept: {workdir}")
        return result
    finally:
        relay.stop()
        sink.down()
        if not verbose or (locals().get("result") and result.ok):
            shutil.rmtree(workdir, ignore_errors=True)


def rss_table(rss: dict[str, dict[str, float]]) -> str:
    """Resident MiB of each process at each phase (a process that was not there: -)."""
    phases = [p for p in ("start", "warm", "middle", "end") if p in rss]
    names = list(dict.fromkeys(n for p in phases for n in rss[p]))
    lines = [f"{'RSS MiB':<16}" + "".join(f"{p:>10}" for p in phases)]
    for name in names:
        lines.append(f"{name:<16}" + "".join(
            f"{rss[p][name]:>10.1f}" if name in rss[p] else f"{'-':>10}" for p in phases))
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", "--messages", type=int, default=10_000)
    parser.add_argument("-c", "--clients", type=int, default=20)
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--listeners", type=int, default=None,
                        help="server.listeners (the relay's default)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = soak(args.messages, args.clients, args.kills, args.seed,
                  listeners=args.listeners)
    if args.json:
        print(json.dumps(asdict(result)))
    else:
        print(f"messages {result.messages}, accepted {result.accepted}, kills {result.kills}, "
              f"delivered {result.delivered}, held {result.held}, lost {result.lost}, "
              f"duplicates {result.duplicates}, {result.seconds} s")
        print(rss_table(result.rss))
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
