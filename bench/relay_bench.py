"""Throughput, latency and CPU of the mailscreen relay, next to a bare relay and Postfix.

What it measures
    The relays run side by side as real processes, all delivering to the same upstream
    sink (an aiosmtpd server inside this process that counts messages by Message-ID):

    mailscreen  `mailscreen serve` with a temporary data_dir: every message is spooled with
                fsync before 250, screened in a sandbox process, logged to SQLite, then
                delivered by the delivery threads.
    scan+pg     (with --postgresql) the same, with its quarantine database (screening log,
                bulk-repetition counters, held mail) on PostgreSQL: a database made for the
                run on the given server and dropped after it.
    postfix     a throwaway Postfix instance (tests/postfix.py: its own config and queue
                directories under a temporary directory) relaying everything to the sink:
                what a production MTA costs for "receive, queue with fsync, send on".
                Skipped, with the reason, without root or without Debian's postfix.
    bare        bench/bare_relay.py: aiosmtpd whose handle_DATA forwards the message to the
                sink with smtplib (in the default thread pool) and then answers 250. No spool,
                no scanning: the floor cost of "receive over SMTP, send over SMTP".

    For each relay, C client threads (one smtplib connection each, reused) push N distinct
    plain-text clinic messages of --kb KB (20 or 3). Per run it records:
      accepted msg/s    N / time from the first MAIL until the last 250
      end-to-end msg/s  N / time from the first MAIL until the sink holds all N
      p50 / p99 ms      latency of one SMTP transaction, MAIL FROM .. end of DATA -> 250
      CPU ms/msg        CPU time of the relay's processes (all of them: mailscreen's scan
                        processes, Postfix's smtpd, cleanup, qmgr and smtp) from the first
                        MAIL until the sink holds all N, per message
      main ms/msg       the same for the relay's first process alone: mailscreen's SMTP
                        front with its screening and delivery threads (not its scan
                        processes); the whole bare relay; 0 for Postfix
    Each relay is run R times (alternating); the table shows the median of each figure and
    each relay's ratio to the bare relay's median. Note the different meaning of 250: the
    bare relay says it once the sink has the message; mailscreen and Postfix say it once the
    message is on disk and deliver later.

How to run
    .venv/bin/python bench/relay_bench.py                       # N=400 of 20 KB, C=8, R=3
    .venv/bin/python bench/relay_bench.py --kb 3                # 3 KB appointment letters
    .venv/bin/python bench/relay_bench.py --messages 50 --runs 1 --no-postfix
    .venv/bin/python bench/relay_bench.py --json > result.json
    .venv/bin/python bench/relay_bench.py --postgresql postgresql://USER:PASS@127.0.0.1/postgres

It exits 1 with a message if a relay does not come up, refuses a message, or if messages
have not all reached the sink --timeout seconds (default 120) after the last 250. Relay
processes and temporary directories are removed on exit, Ctrl-C included.
"""
from __future__ import annotations

import argparse
import contextlib
import email.utils
import json
import math
import os
import random
import re
import shutil
import signal
import smtplib
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from aiosmtpd.controller import Controller

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from harness import free_port, log_tail, mailscreen_command  # noqa: E402
from postfix import Postfix, postfix_root, skip_reason  # noqa: E402

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
HOST = "127.0.0.1"
MESSAGE_ID = re.compile(rb"^Message-ID:[ \t]*(<[^>\r\n]+>)", re.IGNORECASE | re.MULTILINE)


class BenchError(Exception):
    """Something that makes the numbers meaningless: reported, exit status 1."""


# -- the upstream sink ---------------------------------------------------------------------


class SinkHandler:
    """Records when each expected Message-ID arrives; counts duplicates and strangers."""

    def __init__(self):
        self._cond = threading.Condition()
        self.expected: set[str] = set()
        self.arrivals: dict[str, float] = {}
        self.duplicates = 0
        self.unexpected = 0

    def expect(self, ids) -> None:
        with self._cond:
            self.expected = set(ids)
            self.arrivals = {}
            self.duplicates = self.unexpected = 0

    async def handle_DATA(self, server, session, envelope):
        now = time.perf_counter()
        data = envelope.original_content or b""
        header = data[:data.find(b"\r\n\r\n")]
        m = MESSAGE_ID.search(header)
        msg_id = m.group(1).decode("ascii", "replace") if m else ""
        with self._cond:
            if msg_id not in self.expected:
                self.unexpected += 1
            elif msg_id in self.arrivals:
                self.duplicates += 1
            else:
                self.arrivals[msg_id] = now
                self._cond.notify_all()
        return "250 2.0.0 OK: sunk"

    def wait_all(self, timeout: float) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: len(self.arrivals) >= len(self.expected),
                                       timeout=timeout)


def start_sink(stack: contextlib.ExitStack) -> tuple[SinkHandler, int]:
    handler = SinkHandler()
    port = free_port()
    controller = Controller(handler, hostname=HOST, port=port, decode_data=False,
                            ident="bench-sink", ready_timeout=10)
    controller.start()
    stack.callback(controller.stop)
    return handler, port


# -- the relays under test -----------------------------------------------------------------


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds of the process and its reaped children) from /proc."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rpartition(")")[2].split()
    except OSError:
        return None
    return int(fields[1]), sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def tree_cpu(root: int) -> float:
    """CPU seconds of a process and every descendant, living or reaped (a child that exited
    is in its parent's cutime/cstime once waited for, as Postfix's master and
    multiprocessing's fork server do)."""
    stats = {}
    for name in os.listdir("/proc"):
        if name.isdigit() and (st := _stat(int(name))) is not None:
            stats[int(name)] = st
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in stats.items():
        children.setdefault(ppid, []).append(pid)
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        if pid in stats:
            total += stats[pid][1]
            todo.extend(children.get(pid, []))
    return total


@dataclass
class Relay:
    name: str
    port: int
    proc: subprocess.Popen | None
    log_path: Path
    spool: Path | None = None  # mailscreen's spool, for diagnosis
    postfix: Postfix | None = None

    def log_tail(self, lines: int = 15) -> str:
        if self.postfix is not None:
            return "\n".join("    " + x for x in self.postfix.maillog().splitlines()[-lines:])
        return log_tail(self.log_path, lines)

    def exited(self) -> int | None:
        return self.proc.poll() if self.proc is not None else None

    def own_cpu(self) -> float:
        """CPU seconds of the relay's first process alone (mailscreen's SMTP, screening
        and delivery threads, without its scan processes; 0 for Postfix)."""
        if self.proc is None:
            return 0.0
        try:
            with open(f"/proc/{self.proc.pid}/stat") as f:
                fields = f.read().rpartition(")")[2].split()
            return sum(int(x) for x in fields[11:13]) / os.sysconf("SC_CLK_TCK")
        except OSError:
            return 0.0

    def cpu(self) -> float:
        """CPU seconds used so far by the relay's processes."""
        if self.postfix is not None:
            try:
                pid = int((self.postfix.queue / "pid" / "master.pid").read_text().split()[0])
            except (OSError, ValueError, IndexError):
                return 0.0
            return tree_cpu(pid)
        return tree_cpu(self.proc.pid)

    def spool_counts(self) -> dict[str, int]:
        if self.spool is None:
            return {}
        return {q.name: len(os.listdir(q)) for q in sorted(self.spool.iterdir()) if q.is_dir()}


def spawn(name: str, cmd: list[str], port: int, log_path: Path, **extra) -> Relay:
    """Start a relay in its own session, so Ctrl-C reaches only us and we stop it in order."""
    with log_path.open("wb") as log:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                start_new_session=True, cwd=REPO)
    return Relay(name, port, proc, log_path, **extra)


def stop(relay: Relay, grace: float = 15.0) -> None:
    """SIGTERM, then SIGKILL; then whatever is left of its process group (scan children)."""
    proc = relay.proc
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


def start_scanning_relay(stack, tmp: Path, sink_port: int, scan_workers: int,
                         name: str = "mailscreen", database_url: str = "",
                         listeners: int | None = None) -> Relay:
    port = free_port()
    data_dir = tmp / f"{name}-data"
    config = tmp / f"{name}.toml"
    config.write_text(f"""\
data_dir = {json.dumps(str(data_dir))}
database_url = {json.dumps(database_url)}
log_level = "WARNING"

[server]
host = "{HOST}"
port = {port}
{"" if listeners is None else f"listeners = {listeners}"}

[upstream]
host = "{HOST}"
port = {sink_port}
starttls = false

[scan]
workers = {scan_workers}

[delivery]
poll_interval = 0.2
""")
    cmd = [mailscreen_command(), "serve", "--config", str(config)]
    relay = spawn(name, cmd, port, tmp / f"{name}.log", spool=data_dir / "spool")
    stack.callback(stop, relay)
    return relay


def pg_database(stack, server_url: str) -> str:
    """A database made for this run on the server (the role needs CREATEDB), dropped at the
    end; its URL."""
    try:
        import psycopg
        from sqlalchemy.engine import make_url
    except ImportError:
        raise BenchError("--postgresql needs psycopg: pip install -e '.[postgres]'") from None
    name = f"relay_bench_{os.getpid()}_{random.randrange(1 << 30):x}"

    def admin(sql: str) -> None:
        with psycopg.connect(server_url, autocommit=True, connect_timeout=10) as conn:
            conn.execute(sql)

    try:
        admin(f'CREATE DATABASE "{name}"')
    except psycopg.Error as e:
        raise BenchError(f"cannot make a database on {make_url(server_url)!r}: {e}") from None
    stack.callback(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def start_bare_relay(stack, tmp: Path, sink_port: int) -> Relay:
    port = free_port()
    cmd = [sys.executable, str(BENCH_DIR / "bare_relay.py"), "--host", HOST,
           "--port", str(port), "--upstream-host", HOST, "--upstream-port", str(sink_port)]
    relay = spawn("bare", cmd, port, tmp / "bare.log")
    stack.callback(stop, relay)
    return relay


def start_postfix(stack, tmp: Path, sink_port: int) -> Relay:
    """A Postfix instance of its own relaying everything to the sink (as root only)."""
    root = postfix_root()  # the postfix user must enter it: not under a 0700 directory
    stack.callback(shutil.rmtree, root, ignore_errors=True)
    port = free_port()
    postfix = Postfix(root, "bench", {
        "relayhost": f"[{HOST}]:{sink_port}", "smtp_tls_security_level": "none",
        "smtp_dns_support_level": "disabled", "default_process_limit": "100"},
        [f"{HOST}:{port} inet n - n - - smtpd"])
    try:
        postfix.start()
    except RuntimeError as e:
        raise BenchError(str(e)) from None
    stack.callback(postfix.stop)
    return Relay("postfix", port, None, root / "bench" / "maillog", postfix=postfix)


def wait_ready(relay: Relay, timeout: float = 30.0) -> None:
    """Until the relay answers with a 220 greeting; fail early if it exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if relay.exited() is not None:
            raise BenchError(f"the {relay.name} relay exited with status {relay.exited()} "
                             f"before accepting connections:\n{relay.log_tail()}")
        try:
            with smtplib.SMTP(HOST, relay.port, timeout=2) as smtp:
                smtp.noop()
            return
        except (OSError, smtplib.SMTPException):
            time.sleep(0.1)
    raise BenchError(f"the {relay.name} relay did not accept connections on {HOST}:{relay.port} "
                     f"within {timeout:g} s:\n{relay.log_tail()}")


# -- the messages --------------------------------------------------------------------------

FIRST = ["Amelia", "Oliver", "Isla", "George", "Ava", "Harry", "Mia", "Noah", "Freya", "Jack",
         "Grace", "Leo", "Sophie", "Arthur", "Evie", "Oscar", "Poppy", "Alfie", "Rosie", "Theo"]
LAST = ["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Evans", "Thomas", "Davies",
        "Roberts", "Walker", "Wright", "Hughes", "Green", "Hall", "Wood", "Clarke", "Patel"]
TREATMENTS = ["skin consultation", "chemical peel", "microneedling session", "hydrating facial",
              "LED light therapy", "skin assessment", "laser hair removal patch test"]
AFTERCARE = """\
Before your visit, please read the following notes carefully.

Arrive ten minutes early so that we can go through your consultation form with you and
answer any questions. If you are unwell, have a cold sore, or have had a sunburn in the
last two weeks, please let us know and we will arrange another date for you.

Avoid retinol and exfoliating products for three days before the appointment, and do not
wax or use hair removal cream on the area for a week beforehand. Please come with clean
skin and no make-up if possible.

After the treatment the skin may feel warm and look a little pink for a few hours. This is
normal and settles quickly. Use a gentle cleanser and a plain moisturiser, apply a broad
spectrum sun cream every morning, and keep out of saunas, steam rooms and swimming pools
for two days. Do not pick or scratch any flaking skin; let it come away naturally.

If anything worries you after your visit, reply to this email or ring reception during
opening hours and one of our practitioners will call you back the same day.

Cancellations and changes: we keep your slot for you alone, so please give us at least
forty-eight hours' notice if you need to move or cancel it. A second missed appointment
without notice means we will ask for a deposit when you next book with us.

Parking is free in the Mill Lane car park behind the clinic for up to two hours; the
entrance is on the left just after the bakery. The treatment rooms are on the ground floor
with step-free access, and there is a quiet waiting area if you would like someone to
come with you.

How we look after your information: we keep your consultation notes and photographs
securely and only for as long as we need them to care for you. We never share them with
anyone outside the clinic without your agreement. You can ask to see the information we
hold about you, or ask us to correct it, at any time by writing to our practice manager.
This email is meant only for the person it is addressed to. If it has reached you by
mistake, please let us know and delete it.
"""


PARAGRAPHS = [p.replace("\n", " ") for p in AFTERCARE.split("\n\n")]


def filler(rng: random.Random, kb: int, i: int) -> str:
    """Distinct clinic prose up to about `kb` KB: the aftercare paragraphs shuffled, each
    with a sentence of this message's own (no two messages alike, as in real mail)."""
    parts, size = [], 0
    while size < kb * 1024 - 3200:
        first, treatment = rng.choice(FIRST), rng.choice(TREATMENTS)
        para = (f"{rng.choice(PARAGRAPHS)} {first} asked about the {treatment} on visit "
                f"{i}-{len(parts)}; the notes say {rng.randint(2, 14)} days of rest.")
        parts.append(para)
        size += len(para) + 2
    return "\n\n".join(parts)


def make_message(i: int, run_tag: str, rng: random.Random,
                 kb: int = 3) -> tuple[str, str, str, bytes]:
    """(Message-ID, sender, recipient, bytes): an appointment letter of about `kb` KB
    (3 at least), CRLF."""
    first, last = rng.choice(FIRST), rng.choice(LAST)
    treatment = rng.choice(TREATMENTS)
    msg_id = f"<bench.{run_tag}.{i}@riverside-clinic.example>"
    sender = "reception@riverside-clinic.example"
    rcpt = f"{first}.{last}{i}@mail.example".lower()
    day = email.utils.formatdate(time.time() + 86400 * rng.randint(1, 30), localtime=False)[:16]
    body = (f"Dear {first},\n\nThank you for booking your {treatment} with Riverside Skin "
            f"Clinic. We look forward to seeing you on {day} at {rng.randint(9, 17)}:"
            f"{rng.choice(['00', '15', '30', '45'])} with {rng.choice(FIRST)}.\n\n"
            f"Your booking reference is RSC-{run_tag.upper()}-{i}.\n\n{AFTERCARE}\n"
            f"{filler(rng, kb, i)}\n\n"
            f"Kind regards,\n\nReception team\nRiverside Skin Clinic\n12 Mill Lane, Bristol\n")
    headers = (f"From: Riverside Skin Clinic <{sender}>\nTo: {first} {last} <{rcpt}>\n"
               f"Subject: Your {treatment} appointment\n"
               f"Date: {email.utils.formatdate(localtime=True)}\nMessage-ID: {msg_id}\n"
               "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n"
               "Content-Transfer-Encoding: 7bit\n\n")
    return msg_id, sender, rcpt, (headers + body).replace("\n", "\r\n").encode("ascii")


def make_messages(n: int, run_tag: str, kb: int = 3) -> list[tuple[str, str, str, bytes]]:
    rng = random.Random(run_tag)
    return [make_message(i, run_tag, rng, kb) for i in range(n)]


# -- pushing and measuring -----------------------------------------------------------------


@dataclass
class Push:
    start: float = 0.0
    done: list[float] = field(default_factory=list)  # when each 250 came back
    latencies: list[float] = field(default_factory=list)  # seconds per transaction
    errors: list[str] = field(default_factory=list)


def _client(port: int, messages: list, next_index, barrier: threading.Barrier, out: Push,
            lock: threading.Lock) -> None:
    try:
        smtp = smtplib.SMTP(HOST, port, timeout=120)
        smtp.ehlo("bench-client.example")
    except (OSError, smtplib.SMTPException) as e:
        with lock:
            out.errors.append(f"connect: {type(e).__name__}: {e}")
        barrier.abort()
        return
    try:
        barrier.wait()
        while True:
            with lock:
                i = next(next_index, None)
            if i is None:
                break
            _, sender, rcpt, data = messages[i]
            t0 = time.perf_counter()
            try:
                smtp.sendmail(sender, [rcpt], data)
            except smtplib.SMTPException as e:
                with lock:
                    out.errors.append(f"message {i}: {type(e).__name__}: {e}")
                if isinstance(e, smtplib.SMTPServerDisconnected):
                    return
                continue
            t1 = time.perf_counter()
            with lock:
                out.latencies.append(t1 - t0)
                out.done.append(t1)
    except threading.BrokenBarrierError:
        pass
    finally:
        with contextlib.suppress(OSError, smtplib.SMTPException):
            smtp.quit()


def push(port: int, messages: list, clients: int) -> Push:
    """C threads, one connection each, take messages from a shared counter until none left."""
    out = Push()
    lock = threading.Lock()
    next_index = iter(range(len(messages)))
    barrier = threading.Barrier(clients + 1, timeout=30)
    threads = [threading.Thread(target=_client, args=(port, messages, next_index, barrier,
                                                      out, lock), daemon=True)
               for _ in range(clients)]
    for t in threads:
        t.start()
    try:
        barrier.wait()  # every client connected and greeted: start the clock
    except threading.BrokenBarrierError:
        pass
    out.start = time.perf_counter()
    for t in threads:
        t.join()
    return out


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def run_once(relay: Relay, sink: SinkHandler, n: int, clients: int, run_tag: str,
             timeout: float, kb: int = 3) -> dict:
    messages = make_messages(n, run_tag, kb)
    sink.expect(m[0] for m in messages)
    cpu_before, own_before = relay.cpu(), relay.own_cpu()
    result = push(relay.port, messages, clients)
    if result.errors:
        shown = "\n".join("    " + e for e in result.errors[:5])
        raise BenchError(f"the {relay.name} relay refused {len(result.errors)} of {n} "
                         f"messages:\n{shown}\n{relay.log_tail()}")
    if not sink.wait_all(timeout):
        missing = n - len(sink.arrivals)
        where = f"\n  its spool queues: {relay.spool_counts()}" if relay.spool else ""
        raise BenchError(f"the {relay.name} relay accepted all {n} messages but {missing} had "
                         f"not reached the sink {timeout:g} s after the last 250{where}\n"
                         f"{relay.log_tail()}")
    cpu, own = relay.cpu() - cpu_before, relay.own_cpu() - own_before
    accept_s = max(result.done) - result.start
    e2e_s = max(sink.arrivals.values()) - result.start
    return {
        "accepted_per_s": n / accept_s,
        "end_to_end_per_s": n / e2e_s,
        "p50_ms": percentile(result.latencies, 50) * 1000,
        "p99_ms": percentile(result.latencies, 99) * 1000,
        "cpu_ms_per_message": cpu * 1000 / n,
        "main_cpu_ms_per_message": own * 1000 / n,
        "accept_seconds": accept_s,
        "end_to_end_seconds": e2e_s,
        "duplicates_at_sink": sink.duplicates,
    }


# -- reporting -----------------------------------------------------------------------------

FIGURES = ("accepted_per_s", "end_to_end_per_s", "p50_ms", "p99_ms", "cpu_ms_per_message",
           "main_cpu_ms_per_message")
COLUMNS = (("accepted msg/s", 16, ".1f"), ("end-to-end msg/s", 18, ".1f"),
           ("p50 ms", 10, ".1f"), ("p99 ms", 10, ".1f"), ("CPU ms/msg", 12, ".1f"),
           ("main ms/msg", 13, ".1f"))


def medians(runs: list[dict]) -> dict:
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]}


def table(summary: dict) -> str:
    head = f"{'relay':<15}" + "".join(f"{c:>{w}}" for c, w, _ in COLUMNS)
    lines = [head, "-" * len(head)]
    for name, m in summary["median"].items():
        lines.append(f"{name:<15}" + "".join(
            f"{m[k]:>{w}{fmt}}" for k, (_, w, fmt) in zip(FIGURES, COLUMNS)))
    for name, r in summary["ratio_to_bare"].items():
        lines.append(f"{name + '/bare':<15}" + "".join(
            f"{r[k]:>{w}.2f}" for k, (_, w, _) in zip(FIGURES, COLUMNS)))
    cfg = summary["config"]
    lines.append(f"(median of {cfg['runs']} runs; {cfg['messages']} distinct messages of "
                 f"{cfg['message_bytes'] / 1024:.1f} KB, {cfg['clients']} clients, "
                 f"{cfg['scan_workers']} scan workers)")
    if cfg.get("postfix_skipped"):
        lines.append(f"(postfix skipped: {cfg['postfix_skipped']})")
    return "\n".join(lines)


# -- main ----------------------------------------------------------------------------------


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Benchmark the mailscreen relay against a bare aiosmtpd relay.")
    parser.add_argument("--messages", "-n", type=int, default=400, help="messages per run (400)")
    parser.add_argument("--kb", type=int, default=20, choices=(3, 20),
                        help="size of each message in KB (20)")
    parser.add_argument("--no-postfix", action="store_true", help="leave Postfix out")
    parser.add_argument("--listeners", type=int, default=None,
                        help="mailscreen's server.listeners, SMTP processes on its port "
                             "(the relay's default)")
    parser.add_argument("--compare-listeners", type=int, metavar="N", default=None,
                        help="also run a second mailscreen with server.listeners = N")
    parser.add_argument("--clients", "-c", type=int, default=8, help="concurrent clients (8)")
    parser.add_argument("--runs", "-r", type=int, default=3, help="runs per relay (3)")
    parser.add_argument("--scan-workers", type=int, default=2, help="mailscreen [scan] workers (2)")
    parser.add_argument("--timeout", type=float, default=120.0,
                        help="seconds after the last 250 to wait for the sink (120)")
    parser.add_argument("--warmup", type=int, default=20,
                        help="unmeasured messages sent to each relay first (20)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--postgresql", metavar="URL", default="",
                        help="also run mailscreen on PostgreSQL: the URL of a server and a "
                             "role that may CREATEDB (a database is made for the run)")
    args = parser.parse_args(argv)
    for name in ("messages", "clients", "runs", "scan_workers"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.warmup < 0 or args.timeout <= 0:
        parser.error("--warmup must not be negative and --timeout must be positive")
    return args


def progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def bench(args) -> dict:
    postfix_skipped = "--no-postfix" if args.no_postfix else skip_reason()
    names = ["mailscreen"] + ([f"listeners={args.compare_listeners}"]
                              if args.compare_listeners is not None else []) + \
        (["scan+pg"] if args.postgresql else []) + \
        ([] if postfix_skipped else ["postfix"]) + ["bare"]
    runs: dict[str, list[dict]] = {name: [] for name in names}
    stack = contextlib.ExitStack()
    try:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="relay-bench-")))
        sink, sink_port = start_sink(stack)
        relays = [start_scanning_relay(stack, tmp, sink_port, args.scan_workers,
                                       listeners=args.listeners)]
        if args.compare_listeners is not None:
            relays.append(start_scanning_relay(stack, tmp, sink_port, args.scan_workers,
                                               f"listeners={args.compare_listeners}",
                                               listeners=args.compare_listeners))
        if args.postgresql:
            relays.append(start_scanning_relay(stack, tmp, sink_port, args.scan_workers,
                                               "scan+pg", pg_database(stack, args.postgresql),
                                               listeners=args.listeners))
        if not postfix_skipped:
            relays.append(start_postfix(stack, tmp, sink_port))
        relays.append(start_bare_relay(stack, tmp, sink_port))
        for relay in relays:
            wait_ready(relay)
            if args.warmup:
                run_once(relay, sink, args.warmup, min(args.clients, args.warmup),
                         f"w{relay.name[:6]}", args.timeout, args.kb)
        for r in range(args.runs):
            for relay in relays:
                result = run_once(relay, sink, args.messages, args.clients,
                                  f"r{r}{relay.name[:6]}", args.timeout, args.kb)
                runs[relay.name].append(result)
                progress(f"run {r + 1}/{args.runs} {relay.name:<10} "
                         f"accepted {result['accepted_per_s']:7.1f}/s  "
                         f"end-to-end {result['end_to_end_per_s']:7.1f}/s  "
                         f"p50 {result['p50_ms']:6.1f} ms  p99 {result['p99_ms']:6.1f} ms  "
                         f"CPU {result['cpu_ms_per_message']:6.1f} ms/msg "
                         f"(main {result['main_cpu_ms_per_message']:.1f})")
    finally:
        # No second Ctrl-C halfway through stopping the relays.
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            stack.close()
        finally:
            signal.signal(signal.SIGINT, previous)
    summary_median = {name: medians(rs) for name, rs in runs.items()}
    bare = summary_median["bare"]
    return {
        "config": {"messages": args.messages, "clients": args.clients, "runs": args.runs,
                   "scan_workers": args.scan_workers, "warmup": args.warmup,
                   "postgresql": bool(args.postgresql), "kb": args.kb,
                   "postfix_skipped": postfix_skipped,
                   "listeners": args.listeners, "compare_listeners": args.compare_listeners,
                   "message_bytes": len(make_message(0, "x", random.Random(0), args.kb)[3])},
        "runs": runs,
        "median": summary_median,
        "ratio_to_bare": {name: {k: m[k] / bare[k] if bare[k] else 0.0 for k in FIGURES}
                          for name, m in summary_median.items() if name != "bare"},
    }


def main(argv=None) -> int:
    args = parse_args(argv)
    # SIGTERM as Ctrl-C, so the same clean-up runs.
    signal.signal(signal.SIGTERM, lambda *_: signal.default_int_handler(signal.SIGINT, None))
    try:
        summary = bench(args)
    except BenchError as e:
        print(f"relay_bench: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("relay_bench: interrupted; relays stopped", file=sys.stderr)
        return 130
    print(json.dumps(summary, indent=2) if args.json else table(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
