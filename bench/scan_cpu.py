"""Scanning CPU per message, beside rspamd's on the same mail:
`python bench/scan_cpu.py [--count N] [--runs R] [--sets text3k text20k mixed] [--no-rspamd]`.

The messages are bench/mailset.py's (generated from a seed; each run takes its own N
messages of each set, so no run sees a message twice and no cache is warmer than it would
be in service). For each set, the median over R runs of:

  in-process       CPU time of this process (time.process_time) spent in
                   gateway.pipeline.examine, the function a scan process runs for
                   `mailscreen scan` and the relay, with the scanners the config builds
                   (the sentence model and every scanner on), after a warm-up message
  mailscreen scan  CPU of the whole command over the N files (its scan process
                   included: RUSAGE_CHILDREN), startup and model load spread over them
  rspamd           where rspamd is installed: CPU of all its processes (/proc/PID/stat,
                   before and after) while it checks the same N messages over HTTP
                   (/checkv2), started on loopback with a temporary config over the
                   packaged default rules; skipped, saying so, where it is absent

and the ratios to rspamd. CPU time, not wall-clock: on a shared machine the ratios are the
figures to read. The issue's targets: text20k in-process <= 3x rspamd, text3k <= 10 ms.
"""
from __future__ import annotations

import argparse
import ctypes
import http.client
import os
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import mailset  # noqa: E402
from gateway.app import sandbox_config  # noqa: E402
from gateway.config import load_config  # noqa: E402
from gateway.pipeline import examine  # noqa: E402
from gateway.relay.sandbox import build_scanners, cpu_seconds  # noqa: E402

PR_SET_CHILD_SUBREAPER = 36  # prctl(2), Linux
RSPAMD_START = 300.0  # seconds: its first start compiles the TLD list and its regexps


def in_process(config: Path, sets: dict[str, list[list[bytes]]], warm: list[bytes]) -> dict:
    """{set: [CPU seconds a message, per run]} of examine() in this process."""
    settings = load_config(config)
    sc = sandbox_config(settings)
    scanners = build_scanners(sc)
    for raw in warm:  # loads the sentence model, the word lists, the registers
        examine(raw, scanners, sc.limits, sc.max_header_size)
    out = {}
    for name, runs in sets.items():
        out[name] = []
        for raws in runs:
            started = time.process_time()
            for raw in raws:
                examine(raw, scanners, sc.limits, sc.max_header_size)
            out[name].append((time.process_time() - started) / len(raws))
    return out


def children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def whole_command(config: Path, files: list[Path]) -> float:
    """CPU seconds a message of `mailscreen scan --json` over `files` (scan process
    included)."""
    # the scan process is a child of multiprocessing's fork server, which outlives the
    # command: as the subreaper of what it leaves, this process waits for them all, and
    # their CPU is counted in RUSAGE_CHILDREN
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    mailscreen = Path(sys.executable).with_name("mailscreen")
    before = children_cpu()
    subprocess.run([str(mailscreen), "scan", "--json", "--config", str(config),
                    *map(str, files)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   cwd=config.parent, check=False)
    while True:
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            break
    return (children_cpu() - before) / len(files)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Rspamd:
    """rspamd on loopback with the packaged rules (/etc/rspamd), its sockets, database and
    logs in a temporary folder (override.d), in the foreground, as root if we are root."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.port = free_port()
        over = folder / "override.d"
        over.mkdir(parents=True)
        (folder / "db").mkdir()
        (over / "worker-normal.inc").write_text(
            f'bind_socket = "127.0.0.1:{self.port}";\ncount = 1;\n')
        (over / "worker-controller.inc").write_text(f'bind_socket = "127.0.0.1:{free_port()}";\n')
        (over / "worker-proxy.inc").write_text(f'bind_socket = "127.0.0.1:{free_port()}";\n')
        args = ["rspamd", "-f", "-c", "/etc/rspamd/rspamd.conf",
                "--var", f"LOCAL_CONFDIR={folder}", "--var", f"DBDIR={folder / 'db'}",
                "--var", f"RUNDIR={folder}", "--var", f"LOGDIR={folder}"]
        if os.geteuid() == 0:
            args.insert(2, "-i")
        self.proc = subprocess.Popen(args, cwd=folder, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + RSPAMD_START
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"rspamd exited with {self.proc.returncode} "
                                   f"(log: {folder / 'rspamd.log'})")
            try:
                self.check(b"Subject: hello\r\n\r\nhello\r\n")
                return
            except OSError:
                time.sleep(0.5)
        self.close()
        raise RuntimeError(f"rspamd did not answer within {RSPAMD_START:.0f} s")

    def pids(self) -> list[int]:
        """rspamd's main process and every process under it."""
        family, found = {self.proc.pid}, True
        while found:
            found = False
            for entry in os.listdir("/proc"):
                if entry.isdigit() and int(entry) not in family:
                    try:
                        with open(f"/proc/{entry}/stat") as f:
                            ppid = int(f.read().rpartition(")")[2].split()[1])
                    except (OSError, ValueError, IndexError):
                        continue
                    if ppid in family:
                        family.add(int(entry))
                        found = True
        return sorted(family)

    def cpu(self) -> float:
        return sum(cpu_seconds(pid) for pid in self.pids())

    def check(self, raw: bytes) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request("POST", "/checkv2", body=raw)
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                raise OSError(f"rspamd answered {response.status}")
        finally:
            conn.close()

    def idle(self, quiet: float = 0.05, within: float = 60.0) -> None:
        """Wait until its processes spend under `quiet` CPU seconds in a second (map loads,
        regexp compiling after start)."""
        deadline = time.monotonic() + within
        last = self.cpu()
        while time.monotonic() < deadline:
            time.sleep(1.0)
            now = self.cpu()
            if now - last < quiet:
                return
            last = now

    def measure(self, raws: list[bytes]) -> float:
        self.idle()
        before = self.cpu()
        for raw in raws:
            self.check(raw)
        return (self.cpu() - before) / len(raws)

    def close(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=30, help="messages of each set a run")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--sets", nargs="+", choices=mailset.SETS, default=list(mailset.SETS))
    ap.add_argument("--no-rspamd", action="store_true")
    ap.add_argument("--no-command", action="store_true", help="skip `mailscreen scan`")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="scan-cpu-") as tmp:
        tmp = Path(tmp)
        config = tmp / "mailscreen.toml"
        config.write_text(f'data_dir = "{tmp / "data"}"\n')
        files = {name: [mailset.write(tmp / name / f"run{r}", name, args.count,
                                      seed=25 + r) for r in range(args.runs)]
                 for name in args.sets}
        raws = {name: [[p.read_bytes() for p in run] for run in runs]
                for name, runs in files.items()}
        warm = [mailset.message(name, 0, seed=1) for name in args.sets]
        sizes = {name: statistics.mean(len(r) for run in runs for r in run) / 1000
                 for name, runs in raws.items()}

        rows = {name: {} for name in args.sets}
        for name, cpu in in_process(config, raws, warm).items():
            rows[name]["in-process"] = cpu
        if not args.no_command:
            for name, runs in files.items():
                rows[name]["mailscreen scan"] = [whole_command(config, run) for run in runs]
        if args.no_rspamd:
            print("rspamd: not measured (--no-rspamd)")
        elif shutil.which("rspamd") is None:
            print("rspamd: not installed, not measured (apt-get install rspamd)")
        else:
            try:
                rspamd = Rspamd(tmp / "rspamd")
            except RuntimeError as e:
                print(f"rspamd: not measured: {e}")
            else:
                try:
                    for raw in warm:
                        rspamd.check(raw)
                    for name, runs in raws.items():
                        rows[name]["rspamd"] = [rspamd.measure(run) for run in runs]
                finally:
                    rspamd.close()

    columns = ["in-process", "mailscreen scan", "rspamd"]
    print(f"\nCPU ms a message, median of {args.runs} runs of {args.count} distinct messages")
    print(f"{'set':<9} {'KB':>5} " + " ".join(f"{c:>16}" for c in columns) +
          f" {'in-proc/rspamd':>15} {'scan/rspamd':>12}")
    for name in args.sets:
        med = {c: statistics.median(v) * 1000 for c, v in rows[name].items()}
        cells = " ".join(f"{med[c]:>16.1f}" if c in med else f"{'-':>16}" for c in columns)
        ratio = lambda c: f"{med[c] / med['rspamd']:.1f}x" if c in med and med.get("rspamd") \
            else "-"  # noqa: E731
        print(f"{name:<9} {sizes[name]:>5.1f} {cells} {ratio('in-process'):>15} "
              f"{ratio('mailscreen scan'):>12}")


if __name__ == "__main__":
    main()
