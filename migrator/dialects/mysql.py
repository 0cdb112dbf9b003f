"""MySQL and MariaDB: every DDL statement commits implicitly; GET_LOCK for the lock."""
from __future__ import annotations

from migrator.dialects.base import Dialect


class MysqlDialect(Dialect):
    name = "mysql"
    # An implicit commit precedes and follows each DDL statement, so a failed step
    # cannot be undone; the engine records how many statements completed instead.
    transactional_ddl = False

    # GET_LOCK names are server-wide, so the lock name includes the database name;
    # the lock belongs to the session and the server releases it when that ends.
    def try_lock(self, conn, key: str) -> bool:
        from sqlalchemy import text

        return conn.execute(text("SELECT GET_LOCK(:k, 0)"), {"k": self._lock_name(conn, key)}).scalar() == 1

    def release_lock(self, conn, key: str) -> None:
        from sqlalchemy import text

        conn.execute(text("SELECT RELEASE_LOCK(:k)"), {"k": self._lock_name(conn, key)})

    def lock_holder(self, conn, key: str) -> str | None:
        from sqlalchemy import text

        holder = conn.execute(text("SELECT IS_USED_LOCK(:k)"), {"k": self._lock_name(conn, key)}).scalar()
        if holder is None:
            return None
        row = conn.execute(
            text("SELECT USER, HOST FROM information_schema.PROCESSLIST WHERE ID = :id"), {"id": holder}
        ).first()
        if row is None:
            return f"MySQL connection {holder}"
        return f"MySQL connection {holder} ({row[0]}@{row[1]})"

    def _lock_name(self, conn, key: str) -> str:
        # GET_LOCK names are at most 64 characters.
        database = conn.engine.url.database or ""
        return f"{key}:{database}"[:64]

    def commits_implicitly(self, statement: str) -> bool:
        words = _strip_leading_comments(statement).lstrip("( \t\r\n").split(None, 2)
        if not words:
            return False
        first = words[0].upper()
        if first in _IMPLICIT_COMMIT:
            return True
        # LOCK TABLES / UNLOCK TABLES, GRANT and friends commit too.
        return first in ("LOCK", "UNLOCK") and len(words) > 1 and words[1].upper() == "TABLES"


#: Statements after which MySQL has committed (its "Statements That Cause an Implicit Commit").
_IMPLICIT_COMMIT = frozenset(
    {"CREATE", "ALTER", "DROP", "RENAME", "TRUNCATE", "GRANT", "REVOKE", "ANALYZE", "OPTIMIZE", "REPAIR", "INSTALL", "UNINSTALL"}
)


def _strip_leading_comments(text: str) -> str:
    """The statement without the comments before its first word."""
    while True:
        text = text.lstrip()
        if text.startswith(("--", "#")):
            _, _, text = text.partition("\n")
        elif text.startswith("/*") and not text.startswith("/*!"):
            _, _, text = text.partition("*/")
        else:
            return text
