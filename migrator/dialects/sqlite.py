"""SQLite: transactional DDL; the database's own write lock serialises writers."""
from __future__ import annotations

from migrator.dialects.base import Dialect


class SqliteDialect(Dialect):
    name = "sqlite"
    transactional_ddl = True
    # The migration lock is an OS file lock next to the database file (see
    # migrator.engine.lock for why not the database's own write lock).
    lock_kind = "file"

    def run_outside_transaction(self, conn, statement: str) -> int:
        # migrator.db emits BEGIN itself on SQLite (for transactional DDL), also under
        # SQLAlchemy's AUTOCOMMIT; the driver connection, whose isolation_level is
        # None, runs the statement on its own instead.
        import sqlite3

        from sqlalchemy.exc import DBAPIError

        cursor = conn.connection.driver_connection.cursor()
        try:
            cursor.execute(statement)
            return cursor.rowcount
        except sqlite3.Error as e:  # as SQLAlchemy would have wrapped it
            raise DBAPIError.instance(statement, None, e, sqlite3.Error) from None
        finally:
            cursor.close()

