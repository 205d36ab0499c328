"""What every command shares: the --config option and turning errors into exit codes."""
from __future__ import annotations

import json
import logging
import sys
from datetime import datetime, timezone

import typer

from gateway.config import ConfigError, Settings, config_path, load_config

ConfigOption = typer.Option(None, "--config", "-c", envvar="MAILSCREEN_CONFIG",
                            help="mailscreen.toml to use (default: $MAILSCREEN_CONFIG, "
                                 "else built-in defaults).")


def settings_or_exit(path) -> Settings:
    try:
        return load_config(config_path(path))
    except ConfigError as e:
        fail(str(e), code=2)


def owner_or_exit(settings: Settings) -> None:
    """Commands that write the database or the key file themselves run as the owner of the
    data (the service user): a file root made there (a SQLite journal, a key) would lock
    the relay out of its own data (issue 13, finding 1)."""
    import os

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


def store_or_exit(settings: Settings):
    """The database, with the audit key and anchor (gateway/keys.py, audit.configure)."""
    from gateway.keys import KeyFileError
    from gateway.quarantine import audit
    from gateway.quarantine.store import Store

    try:
        store = audit.configure(Store(settings.db_url).create(), settings.key_path,
                                settings.anchor_path, node=settings.node_name)
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
    return create(store_or_exit(settings))


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
