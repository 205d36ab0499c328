"""`mailscreen serve`, `check-config` and `hash-password`: running the relay."""
from __future__ import annotations

from pathlib import Path

import typer

from cli.common import ConfigOption, fail, settings_or_exit, setup_logging
from gateway.config import ConfigError, config_path, unknown_rules
from gateway.relay.smtp import hash_password as make_hash
from scanners import registry


def serve(config: Path = ConfigOption) -> None:
    """Run the relay: SMTP front, screening and delivery, until SIGTERM."""
    from gateway.app import App, check_file_limit

    settings = settings_or_exit(config)
    _check_scanners(settings)
    setup_logging(settings.log_level)
    try:
        check_file_limit(settings)
    except ConfigError as e:
        fail(str(e), code=2)
    try:
        app = App(settings, config_path=config_path(config))
    except OSError as e:
        fail(f"cannot open the data directory {settings.data_dir}: {e.strerror}")
    try:
        app.run()
    except OSError as e:
        fail(f"cannot listen on {settings.server.host}:{settings.server.port}: {e.strerror}")


def check_config(config: Path = ConfigOption) -> None:
    """Validate the config file without starting anything."""
    settings = settings_or_exit(config)
    _check_scanners(settings)
    where = config or "built-in defaults"
    upstream = (f"{settings.upstream.host}:{settings.upstream.port}" if settings.upstream.host
                else f"Maildir outbox {settings.data_path / 'outbox'}")
    typer.echo(f"{where}: OK (listen {settings.server.host}:{settings.server.port}, "
               f"deliver to {upstream}, data in {settings.data_dir})")


def hash_password(password: str = typer.Option(..., prompt=True, hide_input=True,
                                               confirmation_prompt=True)) -> None:
    """Print a hash for [server.auth.users] in mailscreen.toml."""
    typer.echo(make_hash(password))


def _check_scanners(settings) -> None:
    try:
        registry.build(settings.scan.scanners)
    except registry.UnknownScannerError as e:
        fail(f"'scan.scanners': {e}", code=2)
    problem = unknown_rules(settings, set(registry.rule_descriptions()))
    if problem:
        fail(problem, code=2)
