"""SQLite: transactional DDL; the database's own write lock serialises writers."""
from __future__ import annotations

from migrator.dialects.base import Dialect


class SqliteDialect(Dialect):
    name = "sqlite"
    transactional_ddl = True
    # The migration lock is an OS file lock next to the database file (see
    # migrator.engine.lock for why not the database's own write lock).
    lock_kind = "file"
