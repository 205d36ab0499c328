"""The admin socket: how admin commands reach the relay (privilege separation, as Postfix
does it with its queue and postdrop).

The relay (the service user) owns the data. `mailscreen held ...` run by an admin, as
themselves and without sudo, connects to a Unix socket; the relay learns who is asking
from the socket's peer credentials (SO_PEERCRED, set by the kernel: no environment
variable, no argument), checks that this user is root, the service user, or a member of
`admin.group`, and then does every read, move, write and delivery itself, under that
identity for four eyes, "not your own mail" and the audit log.

One request a connection: a JSON object on one line, {"op": ..., "args": {...}}, and one
JSON object back: {"ok": true, "result": ...} or {"ok": false, "error": "..."}.
"""
from __future__ import annotations

import base64
import dataclasses
import grp
import json
import logging
import os
import pwd
import socket
import socketserver
import struct
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.exc import InterfaceError, OperationalError

from gateway.config import Settings, database_unavailable
from gateway.database import audit
from gateway.database.store import AuditEvent, HeldMessage, Store
from gateway.quarantine.moderation import Filters, ModerationError, Moderator
from gateway.relay.spool import Spool

log = logging.getLogger("mailscreen.control")
MAX_REQUEST = 1024 * 1024


class ControlError(Exception):
    """The socket cannot be reached, or the relay refused the request."""


@dataclass(frozen=True)
class Peer:
    """Who is on the other end of the socket, as the kernel says."""
    uid: int
    gid: int
    pid: int
    name: str
    groups: frozenset[str]

    @classmethod
    def of(cls, sock: socket.socket) -> "Peer":
        pid, uid, gid = struct.unpack("3i", sock.getsockopt(
            socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i")))
        try:
            name = pwd.getpwuid(uid).pw_name
        except KeyError:
            return cls(uid, gid, pid, f"uid{uid}", _group_names([gid]))
        return cls(uid, gid, pid, name, user_groups(name))

    def member_of(self, group: str) -> bool:
        return self.uid == 0 or group in self.groups


def _group_names(gids) -> frozenset[str]:
    names = set()
    for g in gids:
        try:
            names.add(grp.getgrgid(g).gr_name)
        except KeyError:
            continue
    return frozenset(names)


def user_groups(name: str) -> frozenset[str]:
    """The groups of a user by name, its primary group included, as the system says (the
    review console checks a person who logs in as the admin socket checks a peer)."""
    try:
        return _group_names(os.getgrouplist(name, pwd.getpwnam(name).pw_gid))
    except KeyError:
        return frozenset()


def raw_access(settings: Settings, name: str) -> bool:
    """Whether the person the review console acts for may read quarantined mail: a member
    of admin.raw_access_group, as a peer of the admin socket must be for `held show --raw`."""
    return settings.admin.raw_access_group in user_groups(name)


def user_name() -> str:
    """The user this process runs as, from its uid (never from $USER or $SUDO_USER)."""
    try:
        return pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:
        return f"uid{os.geteuid()}"


# -- the relay's side --------------------------------------------------------------------


def _held_json(row: HeldMessage) -> dict:
    return json.loads(row.model_dump_json())


def _filters(args: dict) -> Filters:
    since = args.get("since")
    return Filters(status=args.get("status"), category=args.get("category"),
                   sender=args.get("sender"), rule=args.get("rule"),
                   since=datetime.fromisoformat(since) if since else None,
                   recipient=args.get("recipient"), oldest=bool(args.get("oldest")))


class Control:
    """What the socket can do: the Moderator's actions under the peer's identity."""

    def __init__(self, settings: Settings, store: Store, spool: Spool,
                 wake=lambda: None):
        self.settings = settings
        self.store = store
        self.spool = spool
        self.wake = wake  # tell the delivery threads a released message is waiting

    def allowed(self, peer: Peer) -> bool:
        return peer.uid in (0, os.geteuid()) or peer.member_of(self.settings.admin.group)

    def handle(self, peer: Peer, request: dict) -> dict:
        op, args = request.get("op"), request.get("args") or {}
        if not self.allowed(peer):
            log.warning("admin socket: %s (uid %d) is not in group %r; refused %s", peer.name,
                        peer.uid, self.settings.admin.group, op)
            return {"ok": False, "error": f"{peer.name} may not administer mailscreen: "
                                          f"ask for membership of the group "
                                          f"{self.settings.admin.group!r}"}
        method = getattr(self, "op_" + str(op).replace(".", "_"), None)
        if method is None:
            return {"ok": False, "error": f"unknown request {op!r}"}
        service = peer.uid in (0, os.geteuid())
        name = peer.name
        raw_allowed = peer.member_of(self.settings.admin.raw_access_group) or \
            peer.uid == os.geteuid()
        acting = request.get("as")
        if acting is not None:
            # the review console (gateway/web) runs as the service user and acts for the
            # person logged in to it: only root and the service user may say so
            if not service:
                return {"ok": False, "error": f"{peer.name} may not act for another user"}
            name = str(acting)
            raw_allowed = raw_access(self.settings, name)
        if op == "web.password" and not service:
            return {"ok": False, "error": "only the review console reads password hashes"}
        if op == "web.set_password" and not service and args.get("user") != name:
            return {"ok": False, "error": f"{name} may set only their own password"}
        moderator = Moderator(self.settings, self.store, self.spool, user=name,
                              raw_allowed=raw_allowed)
        try:
            return {"ok": True, "result": method(moderator, **args)}
        except ModerationError as e:
            return {"ok": False, "error": str(e)}
        except (OperationalError, InterfaceError) as e:  # the database is down: say so
            error = database_unavailable(self.settings.db_url, e)
            log.error("admin socket: %s: %s", op, error)
            return {"ok": False, "error": error}
        except TypeError as e:
            return {"ok": False, "error": f"bad request {op!r}: {e}"}

    def op_held_find(self, m: Moderator, limit: int | None = None, offset: int = 0,
                     **filters) -> list[dict]:
        return [_held_json(r) for r in m.find(_filters(filters), limit, offset)]

    def op_held_count(self, m: Moderator, **filters) -> int:
        return m.count(_filters(filters))

    def op_held_get(self, m: Moderator, ref: str) -> dict:
        return _held_json(m.get(ref))

    def op_held_raw(self, m: Moderator, ref: str) -> str:
        return base64.b64encode(m.raw(m.get(ref))).decode("ascii")

    def op_held_approve(self, m: Moderator, ref: str, reason: str) -> dict:
        return _held_json(m.approve(ref, reason))

    def op_held_release(self, m: Moderator, ref: str, reason_code: str, reason: str) -> dict:
        row = _held_json(m.release(ref, reason_code, reason))
        self.wake()
        return row

    def op_held_reject(self, m: Moderator, ref: str, reason: str, notify: bool = False) -> dict:
        row = _held_json(m.reject(ref, reason, notify))
        self.wake()
        return row

    def op_justify_look(self, m: Moderator, token: str) -> dict:
        return _held_json(m.by_token(token))

    def op_justify_justify(self, m: Moderator, token: str, text: str) -> dict:
        row = _held_json(m.justify(token, text))
        self.wake()
        return row

    def op_justify_withdraw(self, m: Moderator, token: str) -> dict:
        return _held_json(m.withdraw(token))

    def op_held_expire(self, m: Moderator) -> list[str]:
        expired = m.expire()
        self.wake()
        return expired

    def op_held_purge(self, m: Moderator, older_than_seconds: float) -> list[str]:
        return m.purge(timedelta(seconds=older_than_seconds))

    def op_held_export(self, m: Moderator, address: str, raw: bool = False) -> dict:
        return m.export(address, raw)

    def op_held_retain(self, m: Moderator) -> dict:
        return m.retain()

    def op_web_password(self, m: Moderator, user: str) -> str | None:
        return m.password_hash(user)

    def op_web_set_password(self, m: Moderator, user: str, hashed: str) -> None:
        m.set_password(user, hashed)

    def op_whoami(self, m: Moderator) -> str:
        return m.user

    def op_audit_events(self, m: Moderator, since: str | None = None) -> list[dict]:
        rows = audit.events(self.store, datetime.fromisoformat(since) if since else None)
        return [json.loads(r.model_dump_json()) for r in rows]

    def op_audit_verify(self, m: Moderator) -> dict:
        return dataclasses.asdict(m.audit_verify())

    def op_report_weekly_html(self, m: Moderator, week: str | None = None) -> str:
        return m.weekly_report_html(week)

    def op_audit_page(self, m: Moderator, before: int | None = None,
                      limit: int = 50) -> list[dict]:
        return [json.loads(r.model_dump_json()) for r in m.audit_page(before, limit)]


class _Handler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        control: Control = self.server.control  # type: ignore[attr-defined]
        try:
            peer = Peer.of(self.request)
            line = self.rfile.readline(MAX_REQUEST)
            request = json.loads(line)
            if not isinstance(request, dict):
                raise ValueError("not an object")
        except (OSError, ValueError) as e:
            reply = {"ok": False, "error": f"bad request: {e}"}
        else:
            try:
                reply = control.handle(peer, request)
            except Exception:  # the relay keeps running; the admin sees one line
                log.exception("admin socket: %s failed", request.get("op"))
                reply = {"ok": False, "error": "internal error in the relay; see its log"}
        try:
            self.wfile.write(json.dumps(reply, default=str).encode() + b"\n")
        except (BrokenPipeError, ConnectionResetError):
            # the admin's command went away first (Ctrl-C, a pipe into `head`): normal
            log.info("admin socket: the client left before the answer")


class ControlServer:
    """A thread serving the admin socket. The socket file is 0660, group admin.group
    when this process may set it; the peer check does not depend on it."""

    def __init__(self, path: str | os.PathLike, control: Control):
        self.path = Path(path)
        self.control = control
        self._server: socketserver.ThreadingUnixStreamServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> "ControlServer":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.path.is_socket():
            probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                probe.connect(str(self.path))
            except OSError:
                self.path.unlink()  # left by a previous run: nobody answers on it
            else:  # never take over the socket of a relay that is still running
                raise OSError(f"{self.path} is in use by another running relay "
                              f"(give each relay its own admin.socket)")
            finally:
                probe.close()
        server = socketserver.ThreadingUnixStreamServer(str(self.path), _Handler,
                                                        bind_and_activate=False)
        # connections waiting for accept(): socketserver's 5 turned a burst of admin
        # commands (a script, several admins) into "Resource temporarily unavailable"
        server.request_queue_size = socket.SOMAXCONN
        server.daemon_threads = True
        old = os.umask(0o117)
        try:
            server.server_bind()
        finally:
            os.umask(old)
        server.server_activate()
        try:
            os.chown(self.path, -1, grp.getgrnam(self.control.settings.admin.group).gr_gid)
        except (KeyError, PermissionError) as e:
            log.warning("admin socket %s: cannot give it to group %r (%s); admins reach it "
                        "only if its directory and mode let them", self.path,
                        self.control.settings.admin.group, e)
        server.control = self.control  # type: ignore[attr-defined]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="admin-socket",
                                        daemon=True)
        self._thread.start()
        log.info("admin socket on %s", self.path)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
            try:
                self.path.unlink()
            except FileNotFoundError:
                pass


# -- the CLI's side ----------------------------------------------------------------------


def request(path: str | os.PathLike, op: str, timeout: float = 3600.0,
            as_user: str | None = None, **args):
    """Send one request to the relay; its result, or ControlError with its refusal.
    `as_user`: the person the service user acts for (the review console)."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        try:
            sock.connect(str(path))
        except OSError as e:
            raise ControlError(f"cannot reach the relay on {path}: {e.strerror or e}") from None
        try:
            body = {"op": op, "args": args} | ({"as": as_user} if as_user else {})
            sock.sendall(json.dumps(body, default=str).encode() + b"\n")
            with sock.makefile("rb") as f:
                line = f.readline()
        except OSError as e:  # never mistaken for the admin's own stdout closing
            raise ControlError(f"no answer from the relay on {path}: {e.strerror or e}") from None
    finally:
        sock.close()
    if not line:
        raise ControlError("the relay closed the admin socket without an answer")
    reply = json.loads(line)
    if not reply.get("ok"):
        raise ControlError(reply.get("error") or "refused")
    return reply.get("result")


class RemoteModerator:
    """The Moderator's interface for the CLI, carried out by the relay over the socket."""

    def __init__(self, settings: Settings, path: str | os.PathLike, user: str | None = None):
        """`user`: the person the review console acts for (the relay accepts it only from
        the service user); without it, whoever the kernel says this process is."""
        self.settings = settings
        self.path = path
        self.acting_as = user

    def _call(self, op: str, **args):
        try:
            return request(self.path, op, as_user=self.acting_as, **args)
        except ControlError as e:
            raise ModerationError(str(e)) from None

    @property
    def user(self) -> str:
        return self._call("whoami")

    def password_hash(self, user: str) -> str | None:
        return self._call("web.password", user=user)

    def set_password(self, user: str, hashed: str) -> None:
        self._call("web.set_password", user=user, hashed=hashed)

    def find(self, filters: Filters = Filters(), limit: int | None = None,
             offset: int = 0) -> list[HeldMessage]:
        return [HeldMessage.model_validate(r) for r in self._call(
            "held.find", limit=limit, offset=offset, **_filter_args(filters))]

    def count(self, filters: Filters = Filters()) -> int:
        return self._call("held.count", **_filter_args(filters))

    def get(self, ref: str) -> HeldMessage:
        return HeldMessage.model_validate(self._call("held.get", ref=ref))

    def raw(self, row: HeldMessage) -> bytes:
        return base64.b64decode(self._call("held.raw", ref=row.id))

    def approve(self, ref: str, reason: str) -> HeldMessage:
        return HeldMessage.model_validate(self._call("held.approve", ref=ref, reason=reason))

    def audit_page(self, before: int | None = None, limit: int = 50) -> list[AuditEvent]:
        return [AuditEvent.model_validate(r)
                for r in self._call("audit.page", before=before, limit=limit)]

    def audit_verify(self) -> audit.ChainCheck:
        return audit.ChainCheck(**self._call("audit.verify"))

    def weekly_report_html(self, week: str | None = None) -> str:
        return self._call("report.weekly_html", week=week)

    def release(self, ref: str, reason_code: str, reason: str) -> HeldMessage:
        return HeldMessage.model_validate(self._call(
            "held.release", ref=ref, reason_code=reason_code, reason=reason))

    def reject(self, ref: str, reason: str, notify: bool = False) -> HeldMessage:
        return HeldMessage.model_validate(self._call(
            "held.reject", ref=ref, reason=reason, notify=notify))

    def by_token(self, token: str) -> HeldMessage:
        return HeldMessage.model_validate(self._call("justify.look", token=token))

    def justify(self, token: str, text: str) -> HeldMessage:
        return HeldMessage.model_validate(self._call("justify.justify", token=token, text=text))

    def withdraw(self, token: str) -> HeldMessage:
        return HeldMessage.model_validate(self._call("justify.withdraw", token=token))

    def expire(self) -> list[str]:
        return self._call("held.expire")

    def purge(self, older_than: timedelta, progress=lambda: None) -> list[str]:
        return self._call("held.purge", older_than_seconds=older_than.total_seconds())

    def retain(self) -> dict:
        return self._call("held.retain")

    def export(self, address: str, raw: bool = False) -> dict:
        return self._call("held.export", address=address, raw=raw)


def _filter_args(filters: Filters) -> dict:
    args = dataclasses.asdict(filters)
    args["since"] = filters.since.isoformat() if filters.since else None
    return args


def relay_socket(settings: Settings) -> Path | None:
    """The admin socket if a relay is listening there (as far as this user can see)."""
    path = Path(settings.admin.socket)
    try:
        return path if path.is_socket() else None
    except OSError:
        return None


def moderator(settings: Settings, open_store, write: bool = False,
              user: str | None = None) -> Moderator | RemoteModerator:
    """The relay does the work when it is running: the request goes over the admin socket
    and the relay acts under the identity the kernel gives it (or, for the review console,
    the person it names). Without a relay, only the service user (the owner of the data)
    may decide on mail, so that nothing is left that the relay cannot read; anyone who can
    read the database may still look. `open_store(settings, write)` gives the Store."""
    path = relay_socket(settings)
    if path is not None:
        return RemoteModerator(settings, path, user)
    if write and not owns_data(settings):
        raise ModerationError(f"the relay is not running (no admin socket at "
                              f"{settings.admin.socket}); start it (systemctl start "
                              f"mailscreen), or run this as the service user")
    spool = Spool(settings.data_path / "spool")
    m = Moderator(settings, open_store(settings, write), spool, user=user,
                  raw_allowed=raw_access(settings, user) if user else None)
    if write:
        spool.create()
        m.reconcile()
    return m


def owns_data(settings: Settings) -> bool:
    """This process runs as the owner of the data directory (the service user), so what it
    writes the relay can read: the only case where the CLI may act without the relay."""
    try:
        return settings.data_path.stat().st_uid == os.geteuid()
    except OSError:
        return False

