"""Delivery: hand a decided message to the upstream smart host, or to a Maildir outbox.

A Transport sends once and reports; the Deliverer owns the queue discipline: what is
retried (4xx, connection trouble), what is bounced (5xx, past the queue lifetime), and
that a message leaves the spool only once every recipient is settled.
"""
from __future__ import annotations

import email.utils
import logging
import os
import re
import smtplib
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Protocol

from gateway.config import DeliverySettings, UpstreamSettings
from gateway.rawmail import header_block_size
from gateway.relay import notices
from gateway.relay.spool import Spool, SpoolEntry, new_id, out_of_space

log = logging.getLogger("mailscreen.delivery")


# seconds before asking again whether a released copy may be sent, when the database
# could not answer (the release loop's own wait after a database error is 5 s)
CONFIRM_RETRY = 5.0


class DeliveryError(Exception):
    def __init__(self, code: int, reason: str):
        super().__init__(f"{code} {reason}")
        self.code = code
        self.reason = reason


class TemporaryDeliveryError(DeliveryError):
    """Try again later: 4xx, connection refused or dropped, timeout."""


class PermanentDeliveryError(DeliveryError):
    """Will never succeed as it is: 5xx for the whole message."""


class Transport(Protocol):
    def send(self, mail_from: str, rcpt_tos: list[str], data: bytes,
             dsn: SpoolEntry | None = None) -> dict[str, tuple[int, str]]:
        """Send; return the recipients refused, {rcpt: (code, reason)}; raise DeliveryError
        if the message as a whole failed. `dsn`: the entry whose DSN requests (RET, ENVID,
        NOTIFY, ORCPT) a transport that can should pass on."""


def _text(reason) -> str:
    if isinstance(reason, bytes):
        reason = reason.decode("utf-8", "replace")
    return " ".join(str(reason).split())[:300]


def _error(code: int, reason) -> DeliveryError:
    cls = PermanentDeliveryError if 500 <= code < 600 else TemporaryDeliveryError
    return cls(code, _text(reason))


class SmtpTransport:
    """Delivers to the smart host over one reused connection per delivery thread (checked
    with NOOP before each message, replaced after MAX_PER_CONNECTION messages or any error)."""

    MAX_PER_CONNECTION = 100

    def __init__(self, settings: UpstreamSettings, local_hostname: str | None = None):
        self.settings = settings
        self.local_hostname = local_hostname
        self.password = ""
        if settings.password_file:
            self.password = Path(settings.password_file).read_text().strip()
        self._local = threading.local()

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        if s.implicit_tls:
            smtp = smtplib.SMTP_SSL(s.host, s.port, local_hostname=self.local_hostname,
                                    timeout=s.timeout, context=upstream_tls_context(s))
        else:
            smtp = smtplib.SMTP(s.host, s.port, local_hostname=self.local_hostname,
                                timeout=s.timeout)
        try:
            smtp.ehlo()
            if s.starttls and not s.implicit_tls:
                if not smtp.has_extn("starttls"):
                    raise TemporaryDeliveryError(0, "upstream does not offer STARTTLS")
                smtp.starttls(context=upstream_tls_context(s))
                smtp.ehlo()
            if s.username:
                smtp.login(s.username, self.password)
        except BaseException:
            smtp.close()
            raise
        return smtp

    def _connection(self) -> smtplib.SMTP:
        smtp = getattr(self._local, "smtp", None)
        if smtp is not None:
            try:
                if self._local.sent < self.MAX_PER_CONNECTION and smtp.noop()[0] == 250:
                    return smtp
            except (smtplib.SMTPException, OSError):
                pass
            self.close()
        self._local.smtp = self._connect()
        self._local.sent = 0
        return self._local.smtp

    @staticmethod
    def _send_with_dsn(smtp: smtplib.SMTP, mail_from, rcpt_tos, data, options,
                       env: SpoolEntry) -> dict:
        """smtplib's sendmail, passing the client's DSN requests on (RFC 3461 5.2): RET and
        ENVID on MAIL, NOTIFY and ORCPT on each RCPT, so the next hop reports as asked."""
        options = list(options)
        if env.dsn_ret:
            options.append(f"RET={env.dsn_ret}")
        if env.dsn_envid:
            options.append(f"ENVID={env.dsn_envid}")
        code, resp = smtp.mail(mail_from, options)
        if code != 250:
            smtp.rset() if code != 421 else smtp.close()
            raise smtplib.SMTPSenderRefused(code, resp, mail_from)
        refused = {}
        for rcpt in rcpt_tos:
            rcpt_options = []
            if env.dsn_notify.get(rcpt):
                rcpt_options.append(f"NOTIFY={env.dsn_notify[rcpt]}")
            if env.dsn_orcpt.get(rcpt):
                rcpt_options.append(f"ORCPT={env.dsn_orcpt[rcpt]}")
            code, resp = smtp.rcpt(rcpt, rcpt_options)
            if code not in (250, 251):
                refused[rcpt] = (code, resp)
            if code == 421:
                smtp.close()
                raise smtplib.SMTPRecipientsRefused(refused)
        if len(refused) == len(rcpt_tos):
            smtp.rset()
            raise smtplib.SMTPRecipientsRefused(refused)
        code, resp = smtp.data(data)
        if code != 250:
            smtp.rset() if code != 421 else smtp.close()
            raise smtplib.SMTPDataError(code, resp)
        return refused

    def close(self) -> None:
        smtp = getattr(self._local, "smtp", None)
        self._local.smtp = None
        if smtp is not None:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()

    def send(self, mail_from, rcpt_tos, data, dsn: SpoolEntry | None = None):
        try:
            smtp = self._connection()
            options = []
            if smtp.has_extn("8bitmime") and not data.isascii():
                options.append("BODY=8BITMIME")
            if smtp.has_extn("smtputf8") and not (mail_from + "".join(rcpt_tos)).isascii():
                options.append("SMTPUTF8")
            self._local.sent += 1
            if dsn is not None and smtp.has_extn("dsn") and (
                    dsn.dsn_ret or dsn.dsn_envid or dsn.dsn_notify or dsn.dsn_orcpt):
                refused = self._send_with_dsn(smtp, mail_from, rcpt_tos, data, options, dsn)
            else:
                refused = smtp.sendmail(mail_from, rcpt_tos, data, mail_options=options)
            return {r: (code, _text(msg)) for r, (code, msg) in refused.items()}
        except smtplib.SMTPRecipientsRefused as e:  # smtplib has sent RSET: still usable
            return {r: (code, _text(msg)) for r, (code, msg) in e.recipients.items()}
        except smtplib.SMTPResponseException as e:
            self.close()
            raise _error(e.smtp_code, e.smtp_error) from None
        except DeliveryError:
            self.close()
            raise
        except (smtplib.SMTPException, OSError, socket.timeout, ssl.SSLError) as e:
            self.close()
            raise TemporaryDeliveryError(0, f"{type(e).__name__}: {_text(e)}") from None


def upstream_tls_context(settings: UpstreamSettings) -> ssl.SSLContext:
    """TLS towards the upstream: its CA file or the system store, certificate checks unless
    `verify = false` (a private relay with a self-made certificate), a client certificate
    if one is configured."""
    ctx = ssl.create_default_context(cafile=settings.ca_file or None)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    if not settings.verify:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    if settings.cert_file:
        ctx.load_cert_chain(settings.cert_file, settings.key_file or None)
    return ctx


class MaildirTransport:
    """The outbox used when no upstream is configured: one durable file per message,
    with the envelope recorded in Return-Path and X-Original-To lines."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        for sub in ("tmp", "new", "cur"):
            (self.path / sub).mkdir(mode=0o700, parents=True, exist_ok=True)

    def send(self, mail_from, rcpt_tos, data, dsn=None):
        trace = f"Return-Path: <{mail_from}>\r\n".encode()
        trace += b"".join(f"X-Original-To: {r}\r\n".encode() for r in rcpt_tos)
        name = f"{time.time():.6f}.{new_id()}.{socket.gethostname()}"
        tmp = self.path / "tmp" / name
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                os.write(fd, trace + data)
                os.fsync(fd)
            finally:
                os.close(fd)
            os.rename(tmp, self.path / "new" / name)
            dfd = os.open(self.path / "new", os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)
        except OSError as e:
            tmp.unlink(missing_ok=True)
            raise TemporaryDeliveryError(0, f"outbox write failed: {e.strerror}") from None
        return {}


def tag(raw: bytes, headers: list[tuple[str, str]], subject_prefix: str = "") -> bytes:
    """Add header lines above the original bytes (and a subject prefix, if configured);
    the message is never re-serialised. Values are made single-line here so a finding or
    a file name can never inject a header."""
    lines = []
    for name, value in headers:
        value = " ".join(value.replace("\r", " ").replace("\n", " ").split())
        lines.append(f"{name}: {value}\r\n".encode("utf-8"))
    if subject_prefix:
        prefix = " ".join(subject_prefix.split()).encode("utf-8") + b" "
        end = header_block_size(raw)
        m = re.search(rb"(?im)^subject:[ \t]*", raw[:end])
        raw = raw[:m.end()] + prefix + raw[m.end():] if m else \
            b"Subject: " + prefix.strip() + b"\r\n" + raw
    return b"".join(lines) + raw


def received_header(env: SpoolEntry, hostname: str) -> tuple[str, str]:
    """The trace line for a relayed message (RFC 5321 4.4), without the recipients (a "for"
    clause would show Bcc recipients to everyone)."""
    helo = re.sub(r"[^A-Za-z0-9.\-_:\[\]]", "", env.helo)[:64] or "unknown"
    peer = re.sub(r"[^0-9A-Fa-f.:]", "", env.peer)[:45] or "unknown"
    when = email.utils.formatdate(env.received_at or time.time(), localtime=False)
    return ("Received", f"from {helo} ([{peer}]) by {hostname} (mailscreen) with "
                        f"{env.protocol or 'ESMTP'} id {env.id}; {when}")


@dataclass
class Outcome:
    delivered: list[str]
    deferred: list[str]
    bounced: list[str]


class Deliverer:
    def __init__(self, spool: Spool, transport: Transport, settings: DeliverySettings,
                 hostname: str, metrics=None,
                 confirm_release: Callable[[str, str], bool] | None = None):
        self.spool = spool
        self.metrics = metrics  # gateway.metrics.Metrics, or None
        self.transport = transport
        self.settings = settings
        self.hostname = hostname
        # asked (id, the envelope's release_claim) before sending released mail: is this
        # copy the one to send? (gateway/quarantine/dispatch.py; an exception puts the
        # message back for later)
        self.confirm_release = confirm_release
        self._lock = threading.Lock()
        self._next_attempt: dict[str, float] = {}  # outgoing id -> when it is due
        self._flush_seen = spool.flush_requested_at()

    def _schedule(self, msg_id: str, when: float) -> None:
        with self._lock:
            self._next_attempt[msg_id] = when

    def due(self, now: float | None = None) -> list[str]:
        """Ids in outgoing/ whose next attempt has come, soonest first.

        The next-attempt times are kept in memory; only entries not seen before (new mail,
        a release from the CLI, mail left by a previous run) have their envelope read, so a
        long queue during an upstream outage costs a directory listing, not a file read
        per message per look."""
        now = time.time() if now is None else now
        flush = self.spool.flush_requested_at()
        with self._lock:
            if flush != self._flush_seen:  # `mailscreen queue flush`: read every envelope
                self._flush_seen = flush
                self._next_attempt = {}
        present = self.spool.list("outgoing")
        with self._lock:
            known = dict(self._next_attempt)
        fresh = {}
        for msg_id in present:
            if msg_id in known:
                fresh[msg_id] = known[msg_id]
                continue
            try:
                fresh[msg_id] = self.spool.read_envelope("outgoing", msg_id).next_attempt
            except FileNotFoundError:
                continue  # taken meanwhile
            except ValueError as e:  # bytes that are not an envelope: nothing to retry
                self.spool.to_corrupt("outgoing", msg_id, f"unreadable envelope: {e}")
                continue
            except OSError as e:  # I/O trouble: look again next time
                log.error("%s: cannot read its envelope now (%s); will try again", msg_id, e)
                continue
        with self._lock:  # a time set meanwhile by a deferral is later, so the max wins
            fresh = {i: max(t, self._next_attempt.get(i, t)) for i, t in fresh.items()}
            self._next_attempt = fresh
        return sorted((i for i, t in fresh.items() if t <= now), key=lambda i: (fresh[i], i))

    def deferred_count(self, now: float | None = None) -> int:
        """Messages in outgoing/ waiting for a retry (as last seen by due())."""
        now = time.time() if now is None else now
        with self._lock:
            return sum(1 for t in self._next_attempt.values() if t > now)

    def deliver_due(self) -> int:
        """Deliver every message that is due now; the number handled."""
        handled = 0
        for msg_id in self.due():
            if self.spool.claim("outgoing", "sending", [msg_id]) is None:
                continue  # another delivery thread has it
            try:
                self.deliver(msg_id)
            except FileNotFoundError as e:
                if self.spool.message_path("sending", msg_id).exists():
                    log.exception("%s: delivery attempt failed; queued again in a minute",
                                  msg_id)
                    self._put_back(msg_id, delay=60)
                else:  # an envelope whose message is gone: nothing can ever be sent
                    log.error("%s: its message is gone (%s); the envelope is dropped",
                              msg_id, e)
                    self.spool.remove("sending", msg_id)
            except Exception:
                log.exception("%s: delivery attempt failed; queued again in a minute", msg_id)
                self._put_back(msg_id, delay=60)
            handled += 1
        return handled

    def _put_back(self, msg_id: str, delay: float) -> None:
        """Back to outgoing/ for a later attempt. The envelope on disk is the one from
        before this attempt; if the new time cannot be written (disk full) it stays, and
        the time is kept in memory: the entry is never lost for want of space."""
        try:
            env = self.spool.read_envelope("sending", msg_id)
        except ValueError as e:
            self.spool.to_corrupt("sending", msg_id, f"unreadable envelope: {e}")
            return
        except OSError as e:
            env = None
            log.error("%s: cannot read its envelope (%s); queued again as it is", msg_id, e)
        when = time.time() + delay
        if env is not None:
            env.next_attempt = when
            try:
                self.spool.write_envelope("sending", msg_id, env)
            except OSError as e:
                log.error("%s: cannot record the next attempt (%s); queued again as it is",
                          msg_id, e)
        self._schedule(msg_id, when)
        self._move_back(msg_id)

    def _move_back(self, msg_id: str) -> None:
        """sending/ -> outgoing/ is a rename: it needs no space. Only an I/O error can stop
        it, and then recover() at the next start does it."""
        try:
            self.spool.move(msg_id, "sending", "outgoing")
        except OSError as e:
            log.error("%s: could not move back to outgoing/ (%s); recovered at restart",
                      msg_id, e)

    def deliver(self, msg_id: str) -> Outcome:
        env = self.spool.read_envelope("sending", msg_id)
        if env.verdict == "released" and self.confirm_release is not None:
            try:
                confirmed = self.confirm_release(msg_id, env.release_claim)
            except Exception as e:  # noqa: BLE001 - the database, for a moment: a minute is long
                log.error("%s: cannot confirm the release now (%s); asking again in %g s",
                          msg_id, type(e).__name__, CONFIRM_RETRY)
                self._put_back(msg_id, delay=CONFIRM_RETRY)
                return Outcome([], [], [])
            if not confirmed:
                log.warning("%s: released through another claim or node; dropping this copy",
                            msg_id)
                self.spool.remove("sending", msg_id)
                return Outcome([], [], [])
        raw = self.spool.message_path("sending", msg_id).read_bytes()
        trace = [received_header(env, self.hostname)] if env.kind != "notice" else []
        data = tag(raw, trace + [tuple(h) for h in env.add_headers], env.subject_prefix)
        pending = list(env.rcpt_tos)
        try:
            refused = self.transport.send(env.mail_from, pending, data, dsn=env)
        except PermanentDeliveryError as e:
            refused = {r: (e.code, e.reason) for r in pending}
        except TemporaryDeliveryError as e:
            refused = {r: (e.code or 451, e.reason) for r in pending}
        delivered = [r for r in pending if r not in refused]
        failed = {r: v for r, v in refused.items() if 500 <= v[0] < 600}
        retry = {r: v for r, v in refused.items() if r not in failed}
        expired = bool(retry) and time.time() - (env.queued_at or time.time()) \
            >= self.settings.queue_lifetime
        if expired:
            failed.update({r: (v[0], f"{v[1]} (gave up after "
                           f"{self.settings.queue_lifetime / 86400:g} days)") for r, v in retry.items()})
            retry = {}
        for r in delivered:
            log.info("%s delivered to %s", msg_id, r)
        if failed and not self._bounce(env, raw, failed):
            # no room for the DSN now: keep the recipients; the next attempt bounces again
            retry.update(failed)
            failed = {}
        if retry:
            self._warn_delay(env, raw, retry)
            attempts = env.attempts + 1
            delays = self.settings.retry_delays
            env.rcpt_tos, env.attempts = list(retry), attempts
            env.next_attempt = time.time() + delays[min(attempts, len(delays)) - 1]
            env.last_error = next(iter(retry.values()))[1]
            try:
                self.spool.write_envelope("sending", msg_id, env)
            except OSError as e:  # disk full: the old envelope stays, with more recipients
                log.error("%s: cannot record the deferral (%s); the entry stays as it was",
                          msg_id, e)
            self._schedule(msg_id, env.next_attempt)
            self._move_back(msg_id)
            log.warning("%s deferred for %d recipient(s), attempt %d: %s", msg_id, len(retry),
                        attempts, env.last_error)
        else:
            self.spool.remove("sending", msg_id)
        if self.metrics is not None:
            self.metrics.delivered(len(delivered), len(retry), len(failed),
                                   "temporary" if retry else "permanent" if failed else "")
        return Outcome(delivered, list(retry), list(failed))

    def _bounce(self, env: SpoolEntry, raw: bytes, failed: dict[str, tuple[int, str]]) -> bool:
        """Queue a DSN for `failed` (those whose NOTIFY asks for failures); False when the
        disk has no room for it (try later)."""
        for r, (code, reason) in failed.items():
            log.warning("%s bounced for %s: %s %s", env.id, r, code, reason)
        if not env.mail_from or env.kind == "notice":
            return True  # never bounce a bounce
        failed = {r: v for r, v in failed.items() if wants_dsn(env, r, "FAILURE")}
        if not failed:
            return True  # NOTIFY=NEVER (or without FAILURE) for every one of them
        try:
            notice = notices.build_dsn(self.hostname, env.mail_from, env.id, raw, failed,
                                       envid=env.dsn_envid, orcpt=env.dsn_orcpt)
            queue_notice(self.spool, self.hostname, env.mail_from, notice)
            if self.metrics is not None:
                self.metrics.notices.labels("bounce").inc()
        except OSError as e:
            if out_of_space(e):
                log.error("%s: no space for the delivery status notice; bounce kept for "
                          "the next attempt", env.id)
                return False
            log.exception("%s: could not queue the delivery status notice", env.id)
        except Exception:  # never let a failed notice re-deliver what was already delivered
            log.exception("%s: could not queue the delivery status notice", env.id)
        return True


    def _warn_delay(self, env: SpoolEntry, raw: bytes, retry: dict[str, tuple[int, str]]) -> None:
        """Once per message, after delivery.delay_warning seconds: tell the sender we are
        still trying ("Delayed Mail"), for the recipients whose NOTIFY allows it."""
        after = self.settings.delay_warning
        waited = time.time() - (env.received_at or env.queued_at or time.time())
        if not after or env.delay_warned or waited < after or not env.mail_from \
                or env.kind == "notice":
            return
        env.delay_warned = True  # written with the deferral below: sent once at most
        waiting = {r: v for r, v in retry.items() if wants_dsn(env, r, "DELAY")}
        if not waiting:
            return
        try:
            notice = notices.build_dsn(
                self.hostname, env.mail_from, env.id, raw, waiting, action="delayed",
                delayed_for=after, envid=env.dsn_envid, orcpt=env.dsn_orcpt,
                retry_until=(env.queued_at or time.time()) + self.settings.queue_lifetime)
            queue_notice(self.spool, self.hostname, env.mail_from, notice)
            if self.metrics is not None:
                self.metrics.notices.labels("delay").inc()
            log.info("%s: delay warning sent to <%s> for %d recipient(s)", env.id,
                     env.mail_from, len(waiting))
        except Exception:
            log.exception("%s: could not queue the delay warning", env.id)


def wants_dsn(env: SpoolEntry, rcpt: str, event: str) -> bool:
    """Whether the client's RCPT NOTIFY= asks for a notice on `event` (FAILURE, DELAY,
    SUCCESS). Without NOTIFY, failures and delays are reported (RFC 3461 4.1)."""
    notify = env.dsn_notify.get(rcpt, "").upper()
    if not notify:
        return event in ("FAILURE", "DELAY")
    return event in notify.split(",")


def queue_notice(spool: Spool, hostname: str, to: str, data: bytes) -> str:
    """Queue a message we wrote ourselves (DSN, hold notice) straight for delivery."""
    now = time.time()
    return spool.accept(data, SpoolEntry(mail_from="", rcpt_tos=[to], received_at=now,
                                         queued_at=now, kind="notice", peer=hostname),
                        queue="outgoing")
