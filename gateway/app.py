"""Wiring only: build the parts from Settings, run the SMTP front, the screening threads
and the delivery threads, and stop them cleanly."""
from __future__ import annotations

import dataclasses
import ipaddress
import logging
import os
import queue
import resource
import signal
import socket
import threading
import time

from sqlalchemy.exc import OperationalError

from gateway.config import ConfigError, Settings, load_config
from gateway.content.limits import Limits
from gateway.control import Control, ControlServer
from gateway.database import audit
from gateway.database.store import WAL_LIMIT, HeldMessage, Store, as_utc, sqlite_path
from gateway.decision.audience import ClinicIdentity
from gateway.metrics import Metrics
from gateway.quarantine.dispatch import Dispatcher, ReleaseSignal
from gateway.quarantine.justify import Replies
from gateway.quarantine.moderation import Moderator
from gateway.relay.delivery import Deliverer, MaildirTransport, SmtpTransport, Transport
from gateway.relay.listeners import Listeners
from gateway.relay.sandbox import Sandbox, SandboxConfig
from gateway.relay.smtp import RelayController, RelayHandler
from gateway.relay.spool import Spool, SpoolEntry
from gateway.relay.worker import Screener
from scanners import registry

log = logging.getLogger("mailscreen.app")
# sections a running relay cannot change: they need a restart
RESTART_ONLY = ("data_dir", "database_url", "log_level", "log_format", "server", "upstream",
                "delivery", "metrics", "cluster")
HOUSEKEEPING_INTERVAL = 3600.0


def sandbox_config(settings: Settings) -> SandboxConfig:
    scan = settings.scan
    clinic = ClinicIdentity.of(settings)
    return SandboxConfig(
        limits=Limits(**{f.name: getattr(scan, f.name) for f in dataclasses.fields(Limits)}),
        max_header_size=settings.server.max_header_size,
        memory_limit_mb=scan.memory_limit_mb, time_budget=scan.time_budget,
        max_use=scan.max_use, max_rss_mb=scan.max_rss_mb,
        scanners=scan.scanners,
        scanner_options={"copyright": {"own_names": clinic.names,
                                       "own_domains": tuple(sorted(clinic.domains))},
                         "patient_data": patient_data_options(settings)},
        database_url=settings.db_url, key_file=str(settings.key_path))


def patient_data_options(settings: Settings) -> dict:
    """The patient-data scanner's keyword arguments: the clinic's own details ([clinic])."""
    c, clinic = settings.clinic, ClinicIdentity.of(settings)
    return {"clinic_names": clinic.names, "practitioners": clinic.practitioners,
            "addresses": tuple(c.addresses), "postcodes": tuple(c.postcodes),
            "phones": tuple(c.phones), "domains": tuple(sorted(clinic.domains))}


FDS_PER_WORKER = 16  # a sandbox's pipes, an upstream socket, the spool and database files
FDS_SPARE = 64  # listening sockets, logs, the admin socket, libraries


def check_file_limit(settings: Settings) -> int:
    """Make sure the process may open a file for every connection it allows, plus its own:
    raise the soft RLIMIT_NOFILE up to the hard one if needed, else refuse to start (past
    the limit, accept() fails and legitimate clients are locked out)."""
    s = settings.server
    needed = s.max_connections + FDS_SPARE + FDS_PER_WORKER * (
        settings.scan.workers + settings.delivery.workers)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        if hard == resource.RLIM_INFINITY or hard >= needed:
            resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))
            soft = needed
        else:
            raise ConfigError(
                f"server.max_connections = {s.max_connections} needs about {needed} open "
                f"files, but this process may open only {hard} (raise LimitNOFILE in the "
                f"systemd unit, or lower server.max_connections)")
    return soft


def _addresses(host: str, port: int) -> set[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM)
    except OSError:
        return set()  # unresolvable: not a loop (check-config says what else it is)
    return {ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos}


def _local(address) -> bool:
    """Whether `address` is one of this machine's own (it can be bound)."""
    family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as s:
        try:
            s.bind((str(address), 0))
        except OSError:
            return False
    return True


def check_upstream(settings: Settings) -> None:
    """Refuse an upstream that is this relay's own listening address (ConfigError): every
    message would come straight back, be screened and "delivered" again, in a loop that
    only the hop count (server.max_hops) would end."""
    up, server = settings.upstream, settings.server
    if not up.host or up.port != server.port:
        return
    listening = _addresses(server.host, server.port)
    for address in _addresses(up.host, up.port):
        if address in listening or (_local(address) and (
                address.is_unspecified or any(a.is_unspecified for a in listening))):
            raise ConfigError(
                f"'upstream' {up.host}:{up.port} is this relay's own listening address "
                f"(server.host {server.host}, server.port {server.port}): mail would loop "
                f"back into mailscreen. Point [upstream] at the mail server that sends mail "
                f"on (with Postfix, its second instance, e.g. port 10026).")


def database_headroom(settings: Settings, spool: Spool) -> int:
    """Room an SQLite database on the spool's file system needs beyond the spool's reserve:
    its write log up to WAL_LIMIT, and the largest message twice over (a held message's
    bytes go through the log into the database file). Without it, accepted mail could take
    the last bytes and leave the screener unable to record anything."""
    db = sqlite_path(settings.db_url)
    try:
        if db is None or db.parent.stat().st_dev != spool.root.stat().st_dev:
            return 0
    except OSError:
        return 0
    return WAL_LIMIT + 2 * settings.server.max_message_size


def build_transport(settings: Settings) -> Transport:
    if settings.upstream.host:
        return SmtpTransport(settings.upstream, settings.server.hostname)
    return MaildirTransport(settings.data_path / "outbox")


class App:
    def __init__(self, settings: Settings, transport: Transport | None = None,
                 config_path: str | os.PathLike | None = None):
        self.settings = settings
        self.config_path = config_path
        settings.data_path.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(settings.data_path, 0o700)
        self.spool = Spool(settings.data_path / "spool").create()
        self.spool.keep_free = database_headroom(settings, self.spool)
        self.store = audit.configure(Store(settings.db_url).create(), settings.key_path,
                                     settings.anchor_path, node=settings.node_name)
        audit.check_key(self.store)  # one key for every node on the database, else no start
        self.transport = transport or build_transport(settings)
        self.metrics = Metrics()
        self.dispatcher = Dispatcher(self.store, self.spool, settings.node_name,
                                     settings.cluster.lease_seconds)
        self.deliverer = Deliverer(self.spool, self.transport, settings.delivery,
                                   settings.server.hostname, self.metrics,
                                   self.dispatcher.confirm)
        self.metrics.watch_spool(self.spool, self.deliverer.deferred_count)
        self._screen_wake: queue.Queue = queue.Queue()
        self._deliver_wake: queue.Queue = queue.Queue()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._sandboxes: list[Sandbox] = []
        self._screeners: list[Screener] = []
        self._errors: dict[str, tuple[int, float]] = {}  # id -> (failures, retry at)
        self.controller: RelayController | None = None
        self.listeners: Listeners | None = None
        self.control: ControlServer | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self, smtp: bool = True) -> None:
        if smtp:
            check_upstream(self.settings)  # before anything starts
        # aiosmtpd logs every command at INFO and every DATA line at DEBUG: message
        # content (patient data) and AUTH exchanges must never reach the logs.
        smtp_log = logging.getLogger("mail.log")
        smtp_log.setLevel(max(logging.WARNING, smtp_log.level))
        recovered = self.spool.recover(rebuild=self._envelope_from_quarantine)
        if any(recovered.values()):
            log.info("recovered after restart: %s", recovered)
        for i in range(self.settings.scan.workers):
            sandbox = Sandbox(sandbox_config(self.settings)).start()
            self._sandboxes.append(sandbox)
            screener = Screener(self.spool, self.store, sandbox, self.settings, self.metrics,
                                replies=Replies(self.store, self.spool))
            self._screeners.append(screener)
            self._spawn(f"screen-{i}", self._screen_loop, screener)
        for i in range(self.settings.delivery.workers):
            self._spawn(f"deliver-{i}", self._deliver_loop)
        self._spawn("releases", self._release_loop)
        self._spawn("housekeeping", self._housekeeping_loop)
        if self.settings.metrics.port:
            self.metrics.serve(self.settings.metrics.host, self.settings.metrics.port)
        self._start_control()
        if smtp:
            check_file_limit(self.settings)
            server = self.settings.server
            if server.listeners:
                self.listeners = Listeners(server, self.spool, server.listeners,
                                           self._screen_wake.put).start()
            else:
                handler = RelayHandler(server, self.spool, self._screen_wake.put)
                self.controller = RelayController(handler, server)
                self.controller.start()
            log.info("listening on %s:%d%s", server.host, server.port,
                     f" ({server.listeners} SMTP processes)" if server.listeners else "")

    def _start_control(self) -> None:
        """The admin socket; without it the relay still relays, and the log says why."""
        control = Control(self.settings, self.store, self.spool,
                          wake=lambda: self._deliver_wake.put(None))
        try:
            self.control = ControlServer(self.settings.admin.socket, control).start()
        except OSError as e:
            log.error("admin socket %s unavailable (%s): admin commands cannot reach the "
                      "relay", self.settings.admin.socket, e)

    def _envelope_from_quarantine(self, queue: str, msg_id: str):
        """The envelope of held or rejected mail, rebuilt from its quarantine row."""
        if queue not in ("hold", "rejected"):
            return None
        with self.store.session() as s:
            row = s.get(HeldMessage, msg_id)
        if row is None:
            return None
        received = as_utc(row.received_at).timestamp() if row.received_at else time.time()
        return SpoolEntry(mail_from=row.mail_from, rcpt_tos=row.recipients, received_at=received,
                          size=row.size)

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller.handler.close()
            self.controller = None
        if self.listeners is not None:
            self.listeners.stop()
            self.listeners = None
        self.metrics.stop()
        if self.control is not None:
            self.control.stop()
            self.control = None
        self._stopping.set()
        for _ in self._threads:
            self._screen_wake.put(None)
            self._deliver_wake.put(None)
        for t in self._threads:
            t.join(timeout=self.settings.scan.time_budget + 10)
        for sandbox in self._sandboxes:
            sandbox.close()
        self.store.dispose()

    def reload(self) -> bool:
        """Re-read the config file (SIGHUP): policy, scanners, scan limits, admin and tag
        settings apply from the next message on. Listening, upstream, delivery and storage
        settings need a restart, and the log says so. A bad file changes nothing."""
        if not self.config_path:
            log.warning("reload: no config file was given; nothing to re-read")
            return False
        try:
            new = load_config(self.config_path)
            registry.build(new.scan.scanners)
        except (ConfigError, registry.UnknownScannerError) as e:
            log.error("reload refused, the running config stays: %s", e)
            return False
        old = self.settings
        fixed = {k: getattr(old, k) for k in RESTART_ONLY}
        later = sorted(k for k, v in fixed.items() if getattr(new, k) != v)
        if later:
            log.warning("reload: %s changed; restart mailscreen to apply", ", ".join(later))
        self.settings = dataclasses.replace(new, **fixed)
        for screener in self._screeners:
            screener.reconfigure(self.settings)
        if self.control is not None:
            self.control.control.settings = self.settings
        for sandbox in self._sandboxes:
            sandbox.reconfigure(sandbox_config(self.settings))
        changed = sorted(f.name for f in dataclasses.fields(Settings)
                         if f.name not in RESTART_ONLY
                         and getattr(new, f.name) != getattr(old, f.name))
        audit.record(self.store, "config_reload", [], str(self.config_path),
                     applied=changed, needs_restart=later)
        log.info("config reloaded from %s: %s", self.config_path, ", ".join(changed) or "no changes")
        return True

    def run(self) -> None:
        """Serve until SIGTERM or SIGINT; SIGHUP re-reads the config file."""
        done = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: done.set())
        signal.signal(signal.SIGHUP, lambda *_: threading.Thread(
            target=self.reload, name="reload", daemon=True).start())
        self.start()
        done.wait()
        log.info("stopping")
        self.stop()

    def _spawn(self, name, target, *args) -> None:
        t = threading.Thread(target=target, args=args, name=name, daemon=True)
        t.start()
        self._threads.append(t)

    # -- loops -----------------------------------------------------------------------------

    def _screen_loop(self, screener: Screener) -> None:
        while not self._stopping.is_set():
            msg_id = None
            try:
                msg_id = self.spool.claim("incoming", "active", self._screenable())
                if msg_id is None:
                    self.store.checkpoint(over=WAL_LIMIT)  # idle: the write log back in bounds
                    self._wait(self._screen_wake, 1.0)
                    continue
                screener.screen(msg_id)
                self._errors.pop(msg_id, None)
                self._deliver_wake.put(msg_id)
            except OperationalError as e:  # database down, locked or full: wait, never drop
                log.error("database unavailable while screening %s: %s", msg_id, e.orig)
                if msg_id:
                    self._screen_failed(msg_id)
                if "full" in str(e.orig):  # the write log may be what fills it: cut it back
                    try:
                        self.store.checkpoint()
                    except OperationalError:
                        pass
                self._stopping.wait(5.0)
            except OSError as e:  # disk full, I/O error: the entry waits in incoming/
                log.error("screening %s could not be recorded (%s); it stays queued and is "
                          "tried again", msg_id, e)
                if msg_id:
                    self._screen_failed(msg_id)
                time.sleep(1.0)
            except Exception:
                log.exception("screening %s failed; it stays queued and is tried again", msg_id)
                if msg_id:
                    self._screen_failed(msg_id)
                time.sleep(1.0)

    def _screenable(self) -> list[str]:
        """incoming/ without the entries waiting out a back-off after an error."""
        now = time.monotonic()
        return [i for i in self.spool.list("incoming")
                if self._errors.get(i, (0, 0.0))[1] <= now]

    def _screen_failed(self, msg_id: str) -> None:
        """Put it back in incoming/ to be tried again after a back-off (2 s doubling to
        5 min). It never goes to corrupt/: its bytes and envelope are sound, only the step
        failed (full disk, database, a bug), and 250 was promised for it."""
        count = self._errors.get(msg_id, (0, 0.0))[0] + 1
        self._errors[msg_id] = (count, time.monotonic() + min(300.0, 2.0 ** count))
        try:
            self.spool.move(msg_id, "active", "incoming", durable=False)
        except FileNotFoundError:
            pass  # it reached hold/, corrupt/ or outgoing/ before the error
        except OSError:
            log.exception("could not move %s back to incoming/; recovered at restart", msg_id)

    def _deliver_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                if not self.deliverer.deliver_due():
                    self._wait(self._deliver_wake, self.settings.delivery.poll_interval)
            except Exception:
                log.exception("delivery loop error")
                time.sleep(1.0)

    def _release_loop(self) -> None:
        """Take mail released on any node into this node's spool: at once when PostgreSQL
        notifies, else within cluster.release_poll."""
        signal_ = ReleaseSignal.for_store(self.store)
        while not self._stopping.is_set():
            try:
                if self.dispatcher.dispatch():
                    self._deliver_wake.put(None)
            except OperationalError as e:
                log.error("database unavailable while looking for releases: %s", e.orig)
                self._stopping.wait(5.0)
            except Exception:
                log.exception("taking released mail failed")
            if signal_ is not None:
                signal_.wait(self.settings.cluster.release_poll)
            else:
                self._stopping.wait(self.settings.cluster.release_poll)
        if signal_ is not None:
            signal_.close()

    def _housekeeping_loop(self) -> None:
        """Take in held mail an older version left in the spool, and expire old held
        mail, at start and then hourly."""
        moderator = Moderator(self.settings, self.store, self.spool)
        while not self._stopping.is_set():
            try:
                moved = moderator.reconcile()
                expired = moderator.expire()
                if moved or expired:
                    log.info("housekeeping: %d decided message(s) moved, %d expired", moved,
                             len(expired))
                    self._deliver_wake.put(None)
            except Exception:
                log.exception("housekeeping failed")
            self._stopping.wait(HOUSEKEEPING_INTERVAL)

    @staticmethod
    def _wait(wake: queue.Queue, timeout: float) -> None:
        try:
            wake.get(timeout=timeout)
        except queue.Empty:
            pass
