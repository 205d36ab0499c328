"""`mailscreen serve`, `check-config` and `hash-password`: running the relay."""
from __future__ import annotations

from pathlib import Path

import typer

from cli.common import ConfigOption, fail, settings_or_exit, setup_logging
from gateway.config import config_path, unknown_rules
from gateway.relay.smtp import hash_password as make_hash
from scanners import registry


def serve(config: Path = ConfigOption) -> None:
    """Run the relay: SMTP front, screening and delivery, until SIGTERM."""
    from gateway.app import App

    settings = settings_or_exit(config)
    _check_scanners(settings)
    setup_logging(settings.log_level)
    try:
        app = App(settings, config_path=config_path(config))
    except OSError as e:
        fail(f"cannot open the data directory {settings.data_dir}: {e.strerror}")
    try:
        app.run()
    except OSError as e:
        fail(f"cannot listen on {settings.server.host}:{settings.server.port}: {e.strerror}")


def check_config(config: Path = ConfigOption) -> None:
    """Validate the config file and reach the database, without starting anything."""
    settings = settings_or_exit(config)
    _check_scanners(settings)
    schema = _check_database(settings)
    where = config or "built-in defaults"
    upstream = (f"{settings.upstream.host}:{settings.upstream.port}" if settings.upstream.host
                else f"Maildir outbox {settings.data_path / 'outbox'}")
    typer.echo(f"{where}: OK (listen {settings.server.host}:{settings.server.port}, "
               f"deliver to {upstream}, data in {settings.data_dir}; database "
               f"{_shown_url(settings.db_url)}: {schema})")


def _check_database(settings) -> str:
    """Connect and read the schema revision; never creates or changes anything."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    from gateway import migrations
    from gateway.quarantine.store import make_engine

    url = settings.db_url
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        return f"no database yet: it is made at first start (schema revision {migrations.HEAD})"
    engine = make_engine(url)
    try:
        return migrations.check(engine)
    except migrations.SchemaError as e:
        fail(f"database {_shown_url(url)}: {e}", code=2)
    except SQLAlchemyError as e:
        fail(f"cannot reach the database {make_url(url).render_as_string(hide_password=True)}: "
             f"{' '.join(str(getattr(e, 'orig', None) or e).split())}")
    finally:
        engine.dispose()


def _shown_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


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
