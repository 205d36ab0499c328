"""How fast the review console's pages answer with 10,000 held messages.

What it measures
    A temporary data directory whose SQLite database holds N held messages (default 10,000;
    categories, rules, senders and ages spread as a busy clinic group's would be, findings
    JSON of the size the scanners write), a few thousand decided ones, twelve weeks of
    screening log and an audit log of the decisions: all put in with the Store in bulk, not
    through SMTP. Then, as in production, a real `mailscreen serve` (the relay, owning the
    data and its admin socket) and a real `mailscreen web` (the console, reading only
    through that socket in the name of the person logged in). After one login (not timed),
    each page is fetched R times (after one untimed fetch) and the median and worst time to
    the whole response are printed, milliseconds, with the CPU time the relay and the
    console used for one fetch (the mean, less what the relay uses idle; it grows much less
    with other load on the machine than the times do):

      held list            /                  the newest page of held mail
      by category          /?category=...     one category
      by rule              /?rule=...         one rule
      by sender            /?sender=...       part of one sender's address
      oldest first         /?sort=oldest
      page 2               /?page=2
      message              /held/ID           one message with its findings
      audit log            /audit             its newest page
      weekly report        /report            the last complete week

    The target (issue 24): every page under 100 ms with 10,000 held.

How to run
    .venv/bin/python bench/console_bench.py                    # N=10000, R=7
    .venv/bin/python bench/console_bench.py --held 2000 --runs 3
    .venv/bin/python bench/console_bench.py --json > result.json

It runs as root or as a user in the group `daemon` (the console's admin group here; the
relay lets the service user act for that person). It exits 1 if a process does not come up
or a page does not answer 200. Processes and the temporary directory go on exit.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
from sqlalchemy import insert

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from harness import (  # noqa: E402
    RelayProcess,
    free_port,
    log_tail,
    mailscreen_command,
    wait_for,
    write_config,
)

from gateway.config import load_config  # noqa: E402
from gateway.database import audit  # noqa: E402
from gateway.database.store import HeldMessage, ScreeningLog, Store  # noqa: E402

USER, PASSWORD = "daemon", "correct horse battery"
TARGET_MS = 100
# (category, rules, share of holds): patient data and advertising hold most
RULES = [
    ("patient_data", ["uk_nhs_number", "date_of_birth", "patient_name_clinical",
                      "uk_postcode_address", "phone_number", "medical_record_number"], 0.45),
    ("advertising", ["pom_promotion", "misleading_claim", "under18_promotion"], 0.25),
    ("copyright", ["copyright_rights_reserved", "copyright_journal_header",
                   "copyright_publisher"], 0.12),
    ("attachment", ["attachment_encrypted", "attachment_type_mismatch", "pdf_no_text"], 0.10),
    ("language", ["language_profanity", "language_abuse", "defamation"], 0.08),
]
CLINICS = ["glowclinic.example", "rowanskin.example.org", "harleyaesthetics.example",
           "northdermal.example", "lumenclinic.example"]
PEOPLE = ["reception", "nurse", "manager", "dr.shah", "accounts", "marketing", "bookings",
          "jo.price", "sam.lee", "practice"]
SUBJECTS = ["Referral for {n}", "Your treatment plan", "Summer glow-up offer",
            "Aftercare notes for {n}", "Invoice 2026-{k}", "Article we discussed",
            "Before and after photos", "Re: appointment on Tuesday", "Consent form {n}",
            "Price list"]
NAMES = ["Jane D", "Sam P", "Alex K", "Beth H", "Kim O", "Priya S", "Tom W"]


def held_rows(n: int, now: datetime, rnd: random.Random, decided: bool = False) -> list[dict]:
    senders = [f"{p}@{c}" for c in CLINICS for p in PEOPLE]
    weights = [1 / (i + 1) for i in range(len(senders))]  # a few senders send most
    rows = []
    for i in range(n):
        category, rules, _ = rnd.choices(RULES, weights=[w for *_, w in RULES])[0]
        hit = rnd.sample(rules, k=min(len(rules), rnd.choice((1, 1, 2, 3))))
        findings = [{"category": category, "rule": r, "severity": rnd.choice(("high", "medium")),
                     "where": rnd.choice(("body", "subject", "attachment:notes.pdf#page=2",
                                          "attachment:list.xlsx#sheet=Clients")),
                     "evidence": f"{r.replace('_', ' ')}: *** *** {rnd.randint(1000, 9999)} "
                                 f"near 'patient', 'treatment' (redacted)"}
                    for r in hit for _ in range(rnd.choice((1, 1, 2)))]
        # held within admin.hold_days (14), so the relay's hourly expiry leaves them be
        held_at = now - timedelta(seconds=rnd.uniform(60, 13 * 86400))
        rcpts = [f"client{rnd.randint(1, 5000)}@example.com"
                 for _ in range(rnd.choice((1, 1, 1, 2, 5)))]
        row = {"id": f"bench{'d' if decided else 'h'}{i:07d}{secrets.token_hex(2)}",
               "received_at": held_at, "held_at": held_at,
               "mail_from": rnd.choices(senders, weights)[0], "rcpt_tos": json.dumps(rcpts),
               "subject": rnd.choice(SUBJECTS).format(n=rnd.choice(NAMES), k=i),
               "size": rnd.randint(2_000, 2_000_000), "findings": json.dumps(findings),
               "attachments": json.dumps([{"name": "notes.pdf", "real_type": "pdf",
                                           "size": 84_000}] if rnd.random() < 0.4 else []),
               "categories": category, "hold_rules": ",".join(sorted(hit)),
               "top_rule": hit[0], "four_eyes": category in ("patient_data", "advertising"),
               "status": "held", "approved_by": "", "decided_by": "", "reason_code": "",
               "reason": "", "lease_owner": "", "claim_id": "", "dispatched_by": ""}
        if decided:
            row.update(status=rnd.choice(("released", "rejected")), decided_by="alice",
                       decided_at=held_at + timedelta(hours=rnd.uniform(0.2, 30)),
                       reason="checked with the clinic",
                       dispatched_at=held_at + timedelta(hours=31), dispatched_by="node1")
            row["reason_code"] = "false_positive" if row["status"] == "released" else ""
        rows.append(row)
    return rows


def fill(settings, held: int, rnd: random.Random) -> str:
    """The database, in bulk; one held id to open."""
    store = audit.configure(Store(settings.db_url).create(), settings.key_path,
                            settings.anchor_path, create=True, node=settings.node_name)
    audit.check_key(store)
    now = datetime.now(timezone.utc)
    waiting = held_rows(held, now, rnd)
    done = held_rows(held // 2, now, rnd, decided=True)
    twelve_weeks = 84 * 86400
    screened = [{"id": f"log{i:08d}",
                 "screened_at": now - timedelta(seconds=rnd.uniform(0, twelve_weeks)),
                 "sender": rnd.choice(PEOPLE) + "@" + rnd.choice(CLINICS),
                 "recipient_count": 1, "action": rnd.choices(("pass", "tag", "hold"),
                                                             (0.85, 0.1, 0.05))[0],
                 "categories": "", "rules": "", "scan_seconds": 0.05, "size": 4000}
                for i in range(held * 6)]
    with store.engine.begin() as conn:
        # apart: one executemany takes its columns from the first row, and the waiting
        # have no decided_at
        conn.execute(insert(HeldMessage.__table__), waiting)
        conn.execute(insert(HeldMessage.__table__), done)
        conn.execute(insert(ScreeningLog.__table__), screened)
    with store.session() as s:  # the audit log of those decisions, a chain as the relay writes
        for row in done[:2000]:
            audit.append(s, "release" if row["status"] == "released" else "reject",
                         [row["id"]], row["reason"], user=row["decided_by"])
        s.commit()
    store.engine.dispose()
    return waiting[held // 3]["id"]


def run(held: int, runs: int) -> list[dict]:
    rnd = random.Random(24)
    with tempfile.TemporaryDirectory(prefix="console-bench-") as tmp:
        tmp = Path(tmp)
        web_port, smtp_port = free_port(), free_port()
        config = write_config(tmp, smtp_port, free_port(), data_dir=str(tmp / "data"),
                              log_level="WARNING", extra=f"""
[admin]
group = "daemon"
[web]
port = {web_port}
cookie_secure = false
""")
        settings = load_config(config)
        t0 = time.monotonic()
        some_id = fill(settings, held, rnd)
        print(f"filled the database in {time.monotonic() - t0:.1f} s", file=sys.stderr)
        relay = RelayProcess(config, smtp_port).start()
        web = None
        try:
            wait_for(lambda: settings.admin.socket and Path(settings.admin.socket).is_socket())
            subprocess.run([mailscreen_command(), "admin", "passwd", USER, "--password",
                            PASSWORD, "--config", str(config)], check=True,
                           stdout=subprocess.DEVNULL)
            web_log = tmp / "web.log"
            with open(web_log, "ab") as out:
                web = subprocess.Popen([mailscreen_command(), "web", "--config", str(config)],
                                       stdin=subprocess.DEVNULL, stdout=out,
                                       stderr=subprocess.STDOUT, start_new_session=True)
            url = f"http://127.0.0.1:{web_port}"

            def up():
                if web.poll() is not None:
                    raise SystemExit(f"mailscreen web exited:\n{log_tail(web_log)}")
                try:
                    return httpx.get(f"{url}/login", timeout=1).status_code == 200
                except httpx.HTTPError:
                    return False

            wait_for(up, timeout=60)
            return measure(url, some_id, runs, [relay.proc.pid, web.pid])
        finally:
            if web is not None:
                web.terminate()
                web.wait(10)
            relay.stop()


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU the processes have used (/proc/PID/stat), in seconds."""
    ticks = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def measure(url: str, some_id: str, runs: int, pids: list[int]) -> list[dict]:
    pages = [("held list", "/"), ("by category", "/?category=advertising"),
             ("by rule", "/?rule=uk_nhs_number"), ("by sender", "/?sender=nurse@glow"),
             ("oldest first", "/?sort=oldest"), ("page 2", "/?page=2"),
             ("message", f"/held/{some_id}"), ("audit log", "/audit"),
             ("weekly report", "/report")]
    with httpx.Client(base_url=url, timeout=60) as c:
        login = c.get("/login")
        token = login.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        done = c.post("/login", data={"user": USER, "password": PASSWORD, "csrf": token})
        if done.status_code != 303:
            raise SystemExit(f"login failed: {done.status_code} {done.text[:300]}")
        idle = cpu_seconds(pids)
        time.sleep(3)  # what the relay spends doing nothing (polling its queues), a second
        idle = (cpu_seconds(pids) - idle) / 3
        results = []
        for name, path in pages:
            times = []
            for i in range(runs + 1):
                if i == 1:
                    cpu, began = cpu_seconds(pids), time.perf_counter()
                t = time.perf_counter()
                r = c.get(path)
                ms = (time.perf_counter() - t) * 1000
                if r.status_code != 200:
                    raise SystemExit(f"{path}: {r.status_code} {r.text[:300]}")
                if i:  # the first fetch warms caches and is not counted
                    times.append(ms)
            cpu += idle * (time.perf_counter() - began)  # less the idle work meanwhile
            cpu = max(0.0, cpu_seconds(pids) - cpu) / runs * 1000
            results.append({"page": name, "path": path,
                            "median_ms": round(statistics.median(times), 1),
                            "cpu_ms": round(cpu, 1),
                            "max_ms": round(max(times), 1), "bytes": len(r.content)})
    return results


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--held", type=int, default=10_000, help="held messages (default 10000)")
    p.add_argument("--runs", type=int, default=7, help="timed fetches a page (default 7)")
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    a = p.parse_args()
    results = run(a.held, a.runs)
    if a.json:
        print(json.dumps({"held": a.held, "runs": a.runs, "target_ms": TARGET_MS,
                          "pages": results}, indent=2))
        return
    print(f"{a.held} held, median of {a.runs} fetches, ms (target {TARGET_MS})")
    print(f"{'page':<15} {'median':>8} {'worst':>8} {'CPU':>8} {'KB':>7}")
    for r in results:
        mark = "" if r["median_ms"] < TARGET_MS else "  over"
        print(f"{r['page']:<15} {r['median_ms']:>8.1f} {r['max_ms']:>8.1f} {r['cpu_ms']:>8.1f} "
              f"{r['bytes'] / 1024:>7.1f}{mark}")


if __name__ == "__main__":
    main()
