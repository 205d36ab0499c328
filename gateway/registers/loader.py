"""How a scan process reads a register: read-only, connecting on first use, and seeing no
register at all while there is none (no database file yet, or a database made before the
register's table existed)."""
from __future__ import annotations

from sqlalchemy import inspect

from gateway.database.store import make_engine, sqlite_path


class RegisterLoader:
    table: str  # the register's table, named by the subclass

    def __init__(self, url: str):
        self.url = url
        self._engine = None
        self._seen_table = False

    def connect(self):
        """The engine, or None while there is no register."""
        if self._engine is None:
            path = sqlite_path(self.url)
            if path is not None and not path.exists():
                return None
            self._engine = make_engine(self.url)
        if not self._seen_table:
            if not inspect(self._engine).has_table(self.table):
                return None
            self._seen_table = True
        return self._engine
