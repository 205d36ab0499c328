"""What every command shares: the --config option and turning errors into exit codes."""
from __future__ import annotations

import json
import logging
import os
import sys
from datetime import datetime, timezone

import typer
from rich.console import Console

from gateway.config import (
    SYSTEM_CONFIG,
    ConfigError,
    Settings,
    config_path,
    database_unavailable,
    describe,
    load_config,
)

ConfigOption = typer.Option(None, "--config", "-c",
                            help="mailscreen.toml to use (default: $MAILSCREEN_CONFIG, else "
                                 f"{SYSTEM_CONFIG}, else built-in defaults).")

# which config this command uses, in words: `status` prints it first, and the errors that
# mean "wrong config?" name it (one command a process: set once by settings_or_exit)
used = describe(None)


def say_config(console: Console | None = None, label: str = "config: ") -> None:
    """The config in use, one line never wrapped: on stderr unless a console is given
    (`status` prints it first on stdout), so stdout keeps the tables within 80 columns."""
    console = console or Output(stderr=True)
    console.print(f"{label}{used}", markup=False, highlight=False, soft_wrap=True)


def settings_or_exit(path) -> Settings:
    global used
    found = config_path(path)
    used = describe(found)
    try:
        return load_config(found)
    except ConfigError as e:
        fail(str(e), code=2)


def data_or_exit(settings: Settings, local: bool = True) -> None:
    """Commands that only look never make the data directory, database or key: from the
    wrong directory or with the wrong config they would report an empty new install while
    the real one holds mail (issue 23). They stop here and say why. A command that reads
    only the database (`local` False: the report) needs no data directory when the database
    is a server's (PostgreSQL): a reporting host may have none."""
    from gateway.database.store import sqlite_path

    sqlite = sqlite_path(settings.db_url)
    try:
        if (local or sqlite is not None) and not settings.data_path.is_dir():
            fail(f"no data directory at {os.path.abspath(settings.data_dir)}: is the relay "
                 f"installed, is this the right config? (config: {used})")
        if sqlite is not None and not sqlite.exists():
            fail(f"no database at {sqlite}: has the relay ever started with this config? "
                 f"(config: {used})")
    except PermissionError as e:
        fail(f"cannot read {e.filename}: {e.strerror} (start the relay, whose admin socket "
             f"{settings.admin.socket} answers for it, or run this as the service user)")


def open_store(settings: Settings):
    """The database, schema brought up to date; a database that cannot be reached is one
    clear line, its password left out."""
    from sqlalchemy.exc import InterfaceError, OperationalError

    from gateway.database.store import Store

    try:
        return Store(settings.db_url).create()
    except (OperationalError, InterfaceError) as e:
        fail(database_unavailable(settings.db_url, e))


def owner_or_exit(settings: Settings) -> None:
    """Commands that write the database or the key file themselves run as the owner of the
    data (the service user): a file root made there (a SQLite journal, a key) would lock
    the relay out of its own data (issue 13, finding 1)."""
    try:
        owner = settings.data_path.stat().st_uid
    except FileNotFoundError:
        return  # a first run: the data directory is made by whoever comes first
    except OSError as e:
        fail(f"cannot use the data directory {settings.data_dir}: {e.strerror}")
    if owner != os.geteuid():
        import pwd

        try:
            name = pwd.getpwuid(owner).pw_name
        except KeyError:
            name = str(owner)
        fail(f"this changes the relay's data: run it as the service user "
             f"(sudo -u {name} mailscreen ...)")


def store_or_exit(settings: Settings, write: bool = True):
    """The database, with the audit key and anchor (gateway/keys.py, audit.configure); only
    a command that writes may make a missing key."""
    from gateway.database import audit
    from gateway.keys import KeyFileError

    if not write:
        data_or_exit(settings)
    try:
        store = audit.configure(open_store(settings), settings.key_path, settings.anchor_path,
                                create=write, node=settings.node_name)
        audit.check_key(store)
        return store
    except KeyFileError as e:
        fail(str(e))


def register_store(config, create, write: bool = False):
    """The database for a register command (`create`: the register module's create); a
    command that changes the register must run as the relay's service user."""
    settings = settings_or_exit(config)
    if write:
        owner_or_exit(settings)
    return create(store_or_exit(settings, write))


class Output(Console):
    """The terminal output of a command. Rich ends the process itself (exit 1) when the
    reader of stdout leaves; handing the error on lets cli.main end every command alike."""

    def on_broken_pipe(self) -> None:
        raise BrokenPipeError


def fail(message: str, code: int = 1):
    typer.echo(f"mailscreen: {message}", err=True)
    raise typer.Exit(code)


class JsonFormatter(logging.Formatter):
    """One JSON object a line (log_format = "json"): the same message text as the plain
    format and nothing more, so what the plain log never shows (evidence, bodies,
    passwords) the JSON log does not either. The queue id, when a line starts with one,
    is given its own field for log search."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        line = {"time": datetime.fromtimestamp(record.created, timezone.utc)
                .isoformat(timespec="milliseconds"),
                "level": record.levelname, "logger": record.name, "message": message}
        first = message.split(" ", 1)[0].rstrip(":")
        if len(first) == 16 and first.isalnum() and first.islower():
            line["queue_id"] = first
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def setup_logging(level: str, fmt: str = "text") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(
        "%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=level.upper(), handlers=[handler])
    # aiosmtpd logs every command line at INFO, AUTH exchanges included: keep it quiet.
    logging.getLogger("mail.log").setLevel(max(logging.WARNING, logging.getLogger().level))
