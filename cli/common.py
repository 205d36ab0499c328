"""What every command shares: the --config option and turning errors into exit codes."""
from __future__ import annotations

import logging
import sys

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
        return audit.configure(Store(settings.db_url).create(), settings.key_path,
                               settings.anchor_path)
    except KeyFileError as e:
        fail(str(e))


def fail(message: str, code: int = 1):
    typer.echo(f"mailscreen: {message}", err=True)
    raise typer.Exit(code)


def setup_logging(level: str) -> None:
    logging.basicConfig(level=level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # aiosmtpd logs every command line at INFO, AUTH exchanges included: keep it quiet.
    logging.getLogger("mail.log").setLevel(max(logging.WARNING, logging.getLogger().level))
