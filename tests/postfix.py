"""Real Postfix instances for the tests: each with its own config_directory and
queue_directory under a temporary directory, listening on high loopback ports, started
with `postfix -c DIR start` and stopped with `postfix -c DIR stop` (Debian's postfix).

Only root can start Postfix; tests skip with that reason elsewhere (CI runs as root and
.ci/run installs the package)."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

POSTFIX = shutil.which("postfix") or "/usr/sbin/postfix"

# master.cf: only the services a relay needs, none chrooted, one smtpd per listener
MASTER = """\
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       1       1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""


def skip_reason() -> str:
    """Why real Postfix tests cannot run here ("" when they can)."""
    if not Path(POSTFIX).exists():
        return "postfix is not installed (.ci/run installs it: apt-get install postfix)"
    if os.geteuid() != 0:
        return "starting a Postfix instance needs root"
    return ""


def postfix_root() -> Path:
    """A directory for instances that the postfix user can enter (pytest's are 0700)."""
    root = Path(tempfile.mkdtemp(prefix="mailscreen-postfix-"))
    root.chmod(0o755)
    return root


class Postfix:
    def __init__(self, root: Path, name: str, main: dict[str, str], listeners: list[str]):
        """`listeners`: master.cf lines for the smtpd services, e.g.
        '127.0.0.1:10025 inet n - n - - smtpd -o content_filter='."""
        self.root = root / name
        self.config = self.root / "etc"
        self.queue = self.root / "queue"
        self.log = self.root / "maillog"
        self.name = name
        self.config.mkdir(parents=True)
        self.queue.mkdir()
        settings = {
            "compatibility_level": "3.6",
            "queue_directory": str(self.queue),
            "data_directory": str(self.root / "data"),
            "myhostname": f"{name}.test.example",
            "mydomain": "test.example",
            "myorigin": "$myhostname",
            "mydestination": "",
            "local_transport": "error:no local delivery",
            "alias_maps": "",
            "alias_database": "",
            "inet_interfaces": "127.0.0.1",
            "inet_protocols": "ipv4",
            "mynetworks": "127.0.0.0/8",
            "smtpd_relay_restrictions": "permit_mynetworks, reject_unauth_destination",
            "maillog_file": str(self.log),
            "maillog_file_prefixes": str(self.root),
            "smtputf8_enable": "no",
            "biff": "no",
            # retry fast: a test waits seconds, not minutes
            "queue_run_delay": "1s",
            "minimal_backoff_time": "1s",
            "maximal_backoff_time": "2s",
            "smtp_connect_timeout": "5s",
            "delay_warning_time": "0h",
            "master_service_disable": "",
        }
        settings.update(main)
        (self.config / "main.cf").write_text(
            "".join(f"{k} = {v}\n" for k, v in settings.items()))
        (self.config / "master.cf").write_text(MASTER + "".join(f"{l}\n" for l in listeners))

    def _postfix(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run([POSTFIX, "-c", str(self.config), *args], capture_output=True,
                              text=True, timeout=60, check=check)

    def start(self) -> "Postfix":
        result = self._postfix("start", check=False)
        if result.returncode != 0:
            raise RuntimeError(f"postfix {self.name} did not start: {result.stderr}"
                               f"{self.maillog()}")
        return self

    def stop(self) -> None:
        try:
            pid = int((self.queue / "pid" / "master.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            pid = 0
        self._postfix("stop", check=False)
        deadline = time.monotonic() + 20
        while pid and Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
            time.sleep(0.1)

    def flush(self) -> None:
        self._postfix("flush", check=False)

    def maillog(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def queued(self) -> int:
        """Messages in this instance's queue (postqueue -j lines)."""
        result = subprocess.run(["postqueue", "-c", str(self.config), "-j"],
                                capture_output=True, text=True, timeout=30)
        return len([line for line in result.stdout.splitlines() if line.strip()])
