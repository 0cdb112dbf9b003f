"""SQLite: transactional DDL; the database's own write lock serialises writers."""
from __future__ import annotations

from migrator.dialects.base import Dialect


class SqliteDialect(Dialect):
    name = "sqlite"
    transactional_ddl = True
