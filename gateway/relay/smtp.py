"""The SMTP front door (aiosmtpd): who may relay, what is too big, and durable before 250.

The handler does no parsing and no scanning. It checks the envelope, refuses smuggling
line endings and oversize header blocks, writes the message to the spool (in a thread,
so the event loop never waits on fsync) and answers 250 only once it is on disk.
"""
from __future__ import annotations

import asyncio
import ipaddress
import logging
import re
import ssl
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword, syntax

from gateway.config import ServerSettings
from gateway.passwords import FailureLog, check_password, dummy_hash
from gateway.rawmail import header_block_size
from gateway.relay.spool import Spool, SpoolEntry

log = logging.getLogger("mailscreen.smtp")

# A CR not followed by LF, or an LF not preceded by CR: the stuff of SMTP smuggling.
BARE_LINE_ENDING = re.compile(rb"\r(?!\n)|(?<!\r)\n")
# EHLO keywords aiosmtpd does not add itself: it reads pipelined commands in order, every
# reply of ours carries an enhanced code, and RelaySMTP takes the DSN parameters.
EXTRA_EHLO = ("PIPELINING", "ENHANCEDSTATUSCODES", "DSN")
# DSN parameters (RFC 3461): RET and ENVID on MAIL, NOTIFY and ORCPT on RCPT
DSN_PARAM = re.compile(r"\s+(RET|ENVID|NOTIFY|ORCPT)=(\S+)", re.IGNORECASE)
NOTIFY_WORDS = {"SUCCESS", "FAILURE", "DELAY"}
# a Received: header field at the start of a line (a folded line starts with white space)
RECEIVED = re.compile(rb"^received[ \t]*:", re.IGNORECASE | re.MULTILINE)


MAX_PENDING_CHECKS = 32  # password checks waiting for a thread; past it: 454 at once


class RelayHandler:
    def __init__(self, settings: ServerSettings, spool: Spool,
                 on_accept: Callable[[str], None] = lambda _id: None):
        self.settings = settings
        self.spool = spool
        self.on_accept = on_accept
        self.networks = [ipaddress.ip_network(n, strict=False) for n in settings.relay_networks]
        auth = settings.auth
        # by client address, and by (user name, client address)
        self._failures = FailureLog(auth.failure_window, auth.backoff_start, auth.backoff_max)
        self._hashing = ThreadPoolExecutor(max_workers=settings.auth.hash_threads,
                                           thread_name_prefix="auth")
        self._pending_checks = 0
        self._dummy_hash = dummy_hash(settings.auth.users) if settings.auth.users else ""
        self.connections: Counter[str] = Counter()  # client address -> open sessions
        self.sessions: list[RelaySMTP] = []  # the admitted ones, oldest first

    def close(self) -> None:
        self._hashing.shutdown(wait=False, cancel_futures=True)

    # -- connections -----------------------------------------------------------------------

    def admit(self, peer: str, session: RelaySMTP) -> str | None:
        """Count a new connection in; a 421 reply if it is over a cap (then not counted).

        At the global cap, a client from an address with fewer sessions open takes the
        place of the idlest session of the address with the most: idle connections from
        a few addresses cannot shut every other client out."""
        if self.connections[peer] >= self.settings.max_connections_per_address:
            log.warning("connection from %s refused: %d open from that address "
                        "(max_connections_per_address)", peer, self.connections[peer])
            return "421 4.7.0 Too many connections from your address, try again later"
        if sum(self.connections.values()) >= self.settings.max_connections \
                and not self._evict_for(peer):
            log.warning("connection from %s refused: %d connections open (max_connections)",
                        peer, self.settings.max_connections)
            return "421 4.7.0 Too many connections, try again later"
        self.connections[peer] += 1
        self.sessions.append(session)
        return None

    def _evict_for(self, peer: str) -> bool:
        """Close the idlest session, outside a transaction, of an address with more
        sessions than `peer` would have; whether one was closed."""
        mine = self.connections[peer] + 1
        idle = [s for s in self.sessions if self.connections[s.admitted] > mine
                and not (s.envelope is not None and s.envelope.rcpt_tos)]
        if not idle:
            return False
        victim = max(idle, key=lambda s: (self.connections[s.admitted], s._commands == 0,
                                          -s.last_active))
        log.warning("connection from %s: closing an idle session from %s to make room "
                    "(max_connections)", peer, victim.admitted)
        victim.evict()
        return True

    def release(self, peer: str, session: RelaySMTP) -> None:
        self.connections[peer] -= 1
        if self.connections[peer] <= 0:
            del self.connections[peer]
        self.sessions.remove(session)

    # -- access ----------------------------------------------------------------------------

    def client_trusted(self, session) -> bool:
        if getattr(session, "authenticated", False):
            return True
        try:
            address = ipaddress.ip_address(session.peer[0])
        except (TypeError, ValueError, IndexError):
            return False
        if address.version == 6 and address.ipv4_mapped:
            address = address.ipv4_mapped
        return any(address in net for net in self.networks)

    async def authenticate(self, server, session, mechanism, auth_data) -> AuthResult:
        """Check a user's password in the hashing threads, never on the event loop.

        Failures are counted per session, per client address, and per user name from one
        client address, never per user name alone nor in all: those would let an attacker
        anywhere lock a user (or everyone) out. Past the session limit the client gets 421
        and is disconnected; past the address limit the address is backed off (421, for a
        time that doubles with each further failure); past the limit for a user from one
        address, AUTH for that user from there gets 454 for a doubling time, without a
        password being checked. An unknown user costs the same scrypt work as a known one.
        Passwords are never logged."""
        peer = session.peer[0] if session.peer else "?"
        auth = self.settings.auth
        if self._failures.wait(peer, auth.max_failures_per_address):
            return self._lock_out(server, peer, "address")
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        user = auth_data.login.decode("utf-8", "replace")
        if self._failures.wait((user, peer), auth.max_failures_per_user):
            log.warning("AUTH refused for %r from %s: backing off after failures for that "
                        "user from that address (max_failures_per_user)", user[:64], peer)
            return AuthResult(success=False, handled=False,
                              message="454 4.7.0 Temporary authentication failure")
        if self._pending_checks >= MAX_PENDING_CHECKS:
            return AuthResult(success=False, handled=False,
                              message="454 4.7.0 Temporary authentication failure")
        stored = auth.users.get(user)
        password = auth_data.password.decode("utf-8", "replace")
        self._pending_checks += 1
        try:
            ok = await asyncio.get_running_loop().run_in_executor(
                self._hashing, check_password, password, stored or self._dummy_hash)
        finally:
            self._pending_checks -= 1
        ok = ok and stored is not None
        log.info("AUTH %s for user %r from %s", "succeeded" if ok else "failed", user[:64], peer)
        if ok:
            return AuthResult(success=True, handled=False, auth_data=user)
        session.auth_failures = getattr(session, "auth_failures", 0) + 1
        self._failures.add(peer)
        self._failures.add((user, peer))
        if session.auth_failures >= auth.max_failures_per_session:
            return self._lock_out(server, peer, "session")
        if self._failures.wait(peer, auth.max_failures_per_address):
            return self._lock_out(server, peer, "address")
        return AuthResult(success=False, handled=False)

    def _lock_out(self, server, peer: str, scope: str) -> AuthResult:
        log.warning("too many AUTH failures (%s) from %s: disconnecting", scope, peer)
        server.loop.call_soon(server.transport.close)  # after the 421 below is written
        return AuthResult(success=False, handled=False,
                          message="421 4.7.0 Too many authentication failures, closing")

    # -- SMTP hooks ------------------------------------------------------------------------

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname  # this form of the hook takes over that duty
        if not self.settings.auth.users:  # nothing to log in to: do not offer it
            responses = [r for r in responses if not r[4:].upper().startswith("AUTH")]
        return responses[:-1] + [f"250-{k}" for k in EXTRA_EHLO] + responses[-1:]

    def space_short(self, incoming: int = 0) -> bool:
        """Less free space than the reserve (after `incoming` more bytes): new mail waits."""
        try:
            free = self.spool.free_bytes()
        except OSError:
            return True
        return free - incoming < self.settings.spool_reserve_mb * 1024 * 1024

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.space_short():
            log.error("spool file system below its reserve (server.spool_reserve_mb); "
                      "new mail is refused with 452 until there is room")
            return "452 4.3.1 Insufficient system storage, please try again later"
        domains = [d.lower() for d in self.settings.auth.sender_domains]
        if session.authenticated and domains:
            domain = address.rpartition("@")[2].lower()
            if domain not in domains:
                return "550 5.7.1 Sender address not allowed for this user"
        envelope.mail_from = "" if address == "<>" else address  # the null sender of a bounce
        envelope.mail_options.extend(mail_options)
        return "250 2.1.0 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if not self.client_trusted(session):
            log.warning("relay refused for %s", session.peer[0] if session.peer else "?")
            return "554 5.7.1 Relay access denied"
        if len(envelope.rcpt_tos) >= self.settings.max_recipients:
            return "452 4.5.3 Too many recipients"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or b""
        loop = asyncio.get_running_loop()
        try:
            refusal = await loop.run_in_executor(None, self._refusal, raw)
            if refusal:
                return refusal
            if self.space_short(len(raw)):
                log.error("spool file system below its reserve: message refused with 452")
                return "452 4.3.1 Insufficient system storage, please try again later"
            meta = SpoolEntry(
                mail_from=envelope.mail_from or "",
                rcpt_tos=list(envelope.rcpt_tos),
                received_at=time.time(),
                size=len(raw),
                peer=session.peer[0] if session.peer else "",
                helo=session.host_name or "",
                auth_user=session.auth_data if isinstance(session.auth_data, str) else "",
                dsn_ret=getattr(envelope, "dsn_ret", ""),
                dsn_envid=getattr(envelope, "dsn_envid", ""),
                dsn_notify=dict(getattr(envelope, "dsn_notify", {})),
                dsn_orcpt=dict(getattr(envelope, "dsn_orcpt", {})),
                protocol=protocol(session),
            )
            msg_id = await loop.run_in_executor(None, self.spool.accept, raw, meta)
        except Exception as e:  # disk full, permissions, anything: never 250, never a traceback
            log.error("could not spool a message: %s: %s", type(e).__name__, e)
            return "451 4.3.0 Temporary local problem, please try again later"
        log.info("%s accepted from=<%s> nrcpt=%d size=%d peer=%s", msg_id, envelope.mail_from,
                 len(envelope.rcpt_tos), len(raw), meta.peer)
        self.on_accept(msg_id)
        return f"250 2.0.0 Ok: queued as {msg_id}"

    def _refusal(self, raw: bytes) -> str | None:
        """Why the message is refused at DATA, or None. A refusal here is the sending MTA's
        to report (a permanent one makes it bounce to the sender); nothing is queued, and
        we never write a bounce for mail we cannot know the sender of."""
        if BARE_LINE_ENDING.search(raw):
            return "550 5.6.11 Bare CR or LF in message data is not allowed (RFC 5321 2.3.8)"
        if b"\x00" in raw:  # some MTAs drop NULs, which would turn "\r\n\x00.\r\n" into an end
            return "550 5.6.0 NUL byte in message data is not allowed"
        end = header_block_size(raw)
        if end > self.settings.max_header_size:
            return "552 5.3.4 Message header block too large"
        # A mail loop (an upstream that relays back to us): each pass adds a Received:
        # line (ours at delivery, see delivery.received_header). Refused past the limit,
        # like Postfix's hopcount_limit, rather than accepted and bounced by us: the loop
        # stops at once, and the bounce comes from the MTA that holds the message.
        hops = len(RECEIVED.findall(raw, 0, end))
        if hops > self.settings.max_hops:
            log.warning("message refused: %d Received: headers (server.max_hops %d), "
                        "a mail loop?", hops, self.settings.max_hops)
            return "554 5.4.6 Too many hops"
        return None


def protocol(session) -> str:
    """The "with" of a Received: header (RFC 3848)."""
    name = "ESMTP" if getattr(session, "extended_smtp", False) else "SMTP"
    if name == "ESMTP" and session.ssl:
        name += "S"
    if name != "SMTP" and session.authenticated:
        name += "A"
    return name


def tls_context(settings: ServerSettings) -> ssl.SSLContext | None:
    if not settings.tls.cert_file:
        return None
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(settings.tls.cert_file, settings.tls.key_file)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    return ctx


def dsn_params(arg: str | None, allowed: tuple[str, ...]) -> tuple[str | None, dict, str]:
    """Take the DSN parameters out of a MAIL or RCPT argument, which aiosmtpd would refuse
    (555). Returns the argument without them, the parameters, and a 501 reply if one is
    malformed."""
    if not arg:
        return arg, {}, ""
    params = {}
    for m in DSN_PARAM.finditer(arg):
        key, value = m.group(1).upper(), m.group(2)
        if key not in allowed or key in params:
            return arg, {}, f"501 5.5.4 Unexpected or repeated {key} parameter"
        params[key] = value
    if "RET" in params:
        params["RET"] = params["RET"].upper()
        if params["RET"] not in ("FULL", "HDRS"):
            return arg, {}, "501 5.5.4 RET must be FULL or HDRS"
    if "NOTIFY" in params:
        words = params["NOTIFY"].upper().split(",")
        if not (words == ["NEVER"] or set(words) <= NOTIFY_WORDS):
            return arg, {}, "501 5.5.4 NOTIFY must be NEVER or SUCCESS, FAILURE, DELAY"
        params["NOTIFY"] = ",".join(words)
    for key in ("ENVID", "ORCPT"):
        if key in params and (len(params[key]) > 500 or not params[key].isprintable()):
            return arg, {}, f"501 5.5.4 {key} is malformed"
    return DSN_PARAM.sub("", arg), params, ""


class _PendingAuth(AuthResult):
    """What aiosmtpd's auth_PLAIN/auth_LOGIN get back from `_authenticate`: the decoded
    credentials, to be checked asynchronously by RelaySMTP._checked."""

    def __init__(self, mechanism: str, auth_data):
        super().__init__(success=False, handled=True)
        self.mechanism, self.credentials = mechanism, auth_data


# commands that move a transaction on; anything else in a row counts as idle
PROGRESS = frozenset({"MAIL", "RCPT", "DATA", "BDAT", "STARTTLS", "AUTH"})


class RelaySMTP(SMTP):
    """aiosmtpd's SMTP session with our limits: connection caps (421 before the greeting),
    a cap on commands per session and on commands without progress, password checks off
    the event loop, and 421 before an idle client is dropped (RFC 5321 4.5.3.2); it takes
    the DSN parameters (RFC 3461), which aiosmtpd itself refuses."""

    def __init__(self, handler: RelayHandler, **kwargs):
        super().__init__(handler, **kwargs)
        self.relay = handler
        self.admitted: str | None = None  # the client address counted in by admit()
        self._refusal: str | None = None
        self._commands = 0
        self._idle = 0
        self.last_active = time.monotonic()
        self._smtp_methods = {name: self._counted(name, method)
                              for name, method in self._smtp_methods.items()}

    def connection_made(self, transport) -> None:
        if self.transport is None:  # the first call; the second one follows STARTTLS
            peername = transport.get_extra_info("peername")
            peer = peername[0] if peername else "?"
            self._refusal = self.relay.admit(peer, self)
            if self._refusal is None:
                self.admitted = peer
            super().connection_made(transport)
            # a client that has said nothing yet gets less time than one in a session
            self._reset_timeout(self.relay.settings.first_command_timeout)
            return
        super().connection_made(transport)

    def connection_lost(self, error) -> None:
        self._let_go()
        super().connection_lost(error)

    def _let_go(self) -> None:
        if self.admitted is not None:
            self.relay.release(self.admitted, self)
            self.admitted = None

    def evict(self) -> None:
        """Make room for a client from a quieter address (RelayHandler.admit)."""
        self._let_go()
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(b"421 4.7.0 Too many connections, closing idle session\r\n")
            self.transport.close()

    async def _handle_client(self):
        if self._refusal is not None:
            await self.push(self._refusal)
            self.transport.close()
            return
        await super()._handle_client()

    def _counted(self, name: str, method):
        settings = self.relay.settings

        async def command(arg):
            self._commands += 1
            self.last_active = time.monotonic()
            self._idle = 0 if name in PROGRESS else self._idle + 1
            if self._commands > settings.max_commands or self._idle > settings.max_idle_commands:
                peer = self.session.peer[0] if self.session and self.session.peer else "?"
                log.warning("%s: too many commands %s; disconnecting", peer,
                            "in one session" if self._commands > settings.max_commands
                            else "without progress")
                await self.push("421 4.7.0 Too many commands, closing connection")
                self.transport.close()
                return
            await method(arg)

        return command

    def _authenticate(self, mechanism, auth_data):
        return _PendingAuth(mechanism, auth_data)

    async def _checked(self, result):
        if isinstance(result, _PendingAuth):
            return await self.relay.authenticate(self, self.session, result.mechanism,
                                                 result.credentials)
        return result

    async def auth_PLAIN(self, _, args):
        return await self._checked(await super().auth_PLAIN(_, args))

    async def auth_LOGIN(self, _, args):
        return await self._checked(await super().auth_LOGIN(_, args))

    @syntax("MAIL FROM: <address>", extended=" [SP <mail-parameters>]")
    async def smtp_MAIL(self, arg):
        arg, params, error = dsn_params(arg, ("RET", "ENVID"))
        if params and not (self.session and self.session.extended_smtp):
            error = "501 5.5.4 DSN parameters need EHLO"
        if error:
            return await self.push(error)
        if self.envelope is not None and params:
            self.envelope.dsn_ret = params.get("RET", "")
            self.envelope.dsn_envid = params.get("ENVID", "")
        return await super().smtp_MAIL(arg)

    @syntax("RCPT TO: <address>", extended=" [SP <mail-parameters>]")
    async def smtp_RCPT(self, arg):
        arg, params, error = dsn_params(arg, ("NOTIFY", "ORCPT"))
        if params and not (self.session and self.session.extended_smtp):
            error = "501 5.5.4 DSN parameters need EHLO"
        if error:
            return await self.push(error)
        envelope = self.envelope
        before = len(envelope.rcpt_tos) if envelope is not None else 0
        await super().smtp_RCPT(arg)
        if params and envelope is not None and len(envelope.rcpt_tos) > before:
            rcpt = envelope.rcpt_tos[-1]
            if "NOTIFY" in params:
                envelope.__dict__.setdefault("dsn_notify", {})[rcpt] = params["NOTIFY"]
            if "ORCPT" in params:
                envelope.__dict__.setdefault("dsn_orcpt", {})[rcpt] = params["ORCPT"]

    def _timeout_cb(self):
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(f"421 4.4.2 {self.hostname} Error: timeout exceeded\r\n".encode())
        super()._timeout_cb()


class RelayController(Controller):
    """aiosmtpd's Controller with our limits, TLS and AUTH switched on from the settings.
    `reuse_port`: one of several processes listening on the same port (SO_REUSEPORT,
    gateway/relay/listeners.py)."""

    def __init__(self, handler: RelayHandler, settings: ServerSettings,
                 reuse_port: bool = False):
        self.server_settings = settings
        self.reuse_port = reuse_port
        tls = tls_context(settings)
        super().__init__(
            handler, hostname=settings.host, port=settings.port, ready_timeout=10,
            server_hostname=settings.hostname,
            data_size_limit=settings.max_message_size,
            enable_SMTPUTF8=True,
            decode_data=False,
            ident="mailscreen ESMTP",
            tls_context=tls,
            require_starttls=settings.tls.require_starttls,
            auth_require_tls=tls is not None or not settings.auth.allow_plaintext_auth,
            auth_required=settings.auth.required,
            auth_exclude_mechanism=[] if settings.auth.users else ["PLAIN", "LOGIN"],
            timeout=settings.timeout,
        )

    def factory(self):
        return RelaySMTP(self.handler, **self.SMTP_kwargs)


    def _create_server(self):
        if not self.reuse_port:
            return super()._create_server()
        return self.loop.create_server(self._factory_invoker, host=self.hostname,
                                       port=self.port, ssl=self.ssl_context, reuse_port=True)

    def _trigger_server(self):
        """aiosmtpd connects to itself to build a first session; on a shared port that
        connection may reach another listener, so the session is built here directly."""
        if not self.reuse_port:
            return super()._trigger_server()
        self._factory_invoker()
