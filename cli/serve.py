"""`mailscreen serve`, `check-config` and `hash-password`: running the relay."""
from __future__ import annotations

import dataclasses
import os
import socket
from pathlib import Path

import typer

from cli import common
from cli.common import ConfigOption, fail, settings_or_exit, setup_logging
from gateway.config import (
    DEFAULT_HOSTNAME,
    ConfigError,
    config_path,
    missing_files,
    shown_url,
    unknown_rules,
)
from gateway.control import user_name
from gateway.keys import KeyFileError
from gateway.passwords import hash_password as make_hash
from scanners import registry


def serve(config: Path = ConfigOption) -> None:
    """Run the relay: SMTP front, screening and delivery, until SIGTERM."""
    from gateway.app import App, check_file_limit, check_upstream

    settings = settings_or_exit(config)
    if not os.access(".", os.X_OK):
        # started from a folder the service user cannot enter (root's home, a 0700 clone):
        # the scan processes, which start in the relay's folder, would all die. A daemon's
        # folder is / (systemd's default); the data directory keeps its absolute place.
        settings = dataclasses.replace(settings, data_dir=os.path.abspath(settings.data_dir))
        config = os.path.abspath(config) if config else config
        os.chdir("/")
    _check_files(settings)
    _check_port(settings.server.host, settings.server.port, "server.port")
    if settings.metrics.port:
        _check_port(settings.metrics.host, settings.metrics.port, "metrics.port")
    _check_scanners(settings)  # loads the scanners: seconds, so after the quick checks
    setup_logging(settings.log_level, settings.log_format)
    try:
        check_file_limit(settings)
        check_upstream(settings)
    except ConfigError as e:
        fail(str(e), code=2)
    try:
        app = App(settings, config_path=config_path(config))
    except OSError as e:
        fail(f"cannot open the data directory {settings.data_dir}: {e.strerror}")
    except KeyFileError as e:  # a key file other than the other nodes' (one key a cluster)
        fail(str(e))
    try:
        app.run()
    except OSError as e:
        fail(f"cannot listen on {settings.server.host}:{settings.server.port}: {e.strerror or e}")


def check_config(config: Path = ConfigOption) -> None:
    """Validate the config file and every file it names, resolve the upstream, check that
    this user can make and write data_dir, and reach the database, without starting
    anything. Run it as the service user (the unit's ExecStartPre does)."""
    from gateway.app import check_upstream

    settings = settings_or_exit(config)
    _check_files(settings)
    try:
        check_upstream(settings)
    except ConfigError as e:
        fail(str(e), code=2)
    _check_upstream(settings)
    _check_data_dir(settings)
    _check_scanners(settings)
    schema = _check_database(settings)
    for warning in _notice_sender(settings):
        typer.echo(f"mailscreen: warning: {warning}", err=True)
    upstream = (f"{settings.upstream.host}:{settings.upstream.port}" if settings.upstream.host
                else f"Maildir outbox {settings.data_path / 'outbox'}")
    typer.echo(f"{common.used}: OK (listen {settings.server.host}:{settings.server.port}, "
               f"deliver to {upstream}, data in {settings.data_dir}; database "
               f"{shown_url(settings.db_url)}: {schema})")


def _check_upstream(settings) -> None:
    """A smart host whose name does not exist would defer every message for days."""
    host = settings.upstream.host
    if not host:
        return
    try:
        socket.getaddrinfo(host, settings.upstream.port, type=socket.SOCK_STREAM)
    except socket.gaierror as e:
        if e.errno == socket.EAI_AGAIN:  # DNS not answering yet (at boot): mail waits
            typer.echo(f"mailscreen: warning: 'upstream.host' {host} cannot be resolved "
                       f"now: {e.strerror}", err=True)
            return
        fail(f"'upstream.host' {host} does not resolve: {e.strerror}", code=2)


def _check_data_dir(settings) -> None:
    """The relay makes data_dir at first start and writes it ever after: this user (the
    service user, under the unit's sandbox) must be able to."""
    path = Path(os.path.abspath(settings.data_dir))
    existing = path
    while not os.path.lexists(existing):
        existing = existing.parent
    if not existing.is_dir():
        fail(f"'data_dir' {path} cannot be made: {existing} is not a directory", code=2)
    if not os.access(existing, os.W_OK | os.X_OK):
        what = "is" if existing == path else f"cannot be made: {existing} is"
        fail(f"'data_dir' {path} {what} not writable by {user_name()}", code=2)


def _notice_sender(settings) -> list[str]:
    """Held and expiry notices and bounces come from postmaster@ and MAILER-DAEMON@
    server.hostname; a domain that does not exist gets them refused by most receivers."""
    name = settings.server.hostname
    if name != DEFAULT_HOSTNAME and "." in name.strip("."):
        return []
    fqdn = socket.getfqdn()
    hint = f' (this host is {fqdn}: hostname = "{fqdn}"?)' if "." in fqdn else ""
    return [f"notices and bounces come from postmaster@{name}, a domain receivers will "
            f"refuse: set [server] hostname to this relay's own name in DNS{hint}"]


def _check_database(settings) -> str:
    """Connect and read the schema revision; never creates or changes anything."""
    from sqlalchemy.exc import SQLAlchemyError

    from gateway import migrations
    from gateway.database.store import make_engine

    url = settings.db_url
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        return f"no database yet: it is made at first start (schema revision {migrations.HEAD})"
    engine = make_engine(url)
    try:
        return migrations.check(engine)
    except migrations.SchemaError as e:
        fail(f"database {shown_url(url)}: {e}", code=2)
    except SQLAlchemyError as e:
        fail(f"cannot reach the database {shown_url(url)}: "
             f"{' '.join(str(getattr(e, 'orig', None) or e).split())}")
    finally:
        engine.dispose()


def hash_password(password: str = typer.Option(..., prompt=True, hide_input=True,
                                               confirmation_prompt=True)) -> None:
    """Print a hash for [server.auth.users] in mailscreen.toml."""
    typer.echo(make_hash(password))


def _check_files(settings) -> None:
    problems = missing_files(settings)
    if problems:
        fail("; ".join(problems), code=2)


def _check_port(host: str, port: int, key: str) -> None:
    """Bind the port once before anything slow starts, so a clash is reported at once."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as e:
            fail(f"cannot listen on {host}:{port} ('{key}'): {e.strerror}", code=1)


def _check_scanners(settings) -> None:
    try:
        registry.build(settings.scan.scanners)
    except registry.UnknownScannerError as e:
        fail(f"'scan.scanners': {e}", code=2)
    problem = unknown_rules(settings, set(registry.rule_descriptions()))
    if problem:
        fail(problem, code=2)
