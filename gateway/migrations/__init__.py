"""Schema migrations (Alembic), for SQLite and PostgreSQL alike.

`upgrade(engine)` brings a database to HEAD: every `Store.create()` calls it, so a new
mailscreen upgrades the schema the first time it starts (or an admin command runs). On
PostgreSQL the whole upgrade runs inside one transaction holding an advisory lock, so
nodes started at the same moment take turns: the first migrates, the others find the
schema at HEAD and go on. On SQLite (one host) a lock file beside the database does the
same between the relay and the admin commands.

A database made before migrations existed (tables, no `alembic_version`) is taken by the
first revision, which only creates what is missing and adds missing columns.

A schema change is a new file in versions/ (NNNN_what.py, `down_revision` the previous
one; script.py.mako is its template), written for both databases, and HEAD set to it
(tests/test_database.py checks HEAD is the scripts' head).
"""
from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

HEAD = "0008"
HERE = Path(__file__).resolve().parent
# pg_advisory_xact_lock key: "mailscreen migrate" (any fixed 64-bit number works)
MIGRATE_LOCK = 0x6D61696C6D696772


class SchemaError(Exception):
    """The database's schema is not one this mailscreen knows."""


def current(connection) -> str | None:
    """The revision the database is at; None for an empty (or pre-migration) database."""
    try:
        with connection.begin_nested() if connection.in_transaction() else contextlib.nullcontext():
            row = connection.execute(text("SELECT version_num FROM alembic_version")).first()
    except DBAPIError:
        return None
    return row[0] if row else None


def revision(engine) -> str | None:
    with engine.connect() as conn:
        return current(conn)


def upgrade(engine) -> None:
    """Migrate to HEAD unless already there; safe to call from several processes at once."""
    if revision(engine) == HEAD:
        return
    with _sqlite_lock(engine), engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATE_LOCK})
        have = current(conn)
        if have == HEAD:
            return  # another node migrated while we waited for the lock
        if have is not None and have not in known_revisions():
            raise SchemaError(f"the database is at schema revision {have}, newer than this "
                              f"mailscreen knows ({HEAD}): upgrade mailscreen first")
        _run(conn, "upgrade", HEAD)


def check(engine) -> str:
    """A one-line state of the schema, for check-config; raises SchemaError if unusable."""
    have = revision(engine)
    if have == HEAD:
        return f"schema at revision {HEAD}"
    if have is None:
        return f"empty database: the schema (revision {HEAD}) is made at first start"
    if have in known_revisions():
        return f"schema at revision {have}: upgraded to {HEAD} at next start"
    raise SchemaError(f"the database is at schema revision {have}, newer than this "
                      f"mailscreen knows ({HEAD})")


def known_revisions() -> set[str]:
    return {p.name.split("_", 1)[0] for p in (HERE / "versions").glob("[0-9]*_*.py")}


def _run(conn, command: str, target: str) -> None:
    from alembic import command as alembic_command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(HERE))
    config.attributes["connection"] = conn
    getattr(alembic_command, command)(config, target)


@contextlib.contextmanager
def _sqlite_lock(engine):
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:":
        yield
        return
    fd = os.open(database + ".migrate.lock", os.O_CREAT | os.O_RDWR, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
