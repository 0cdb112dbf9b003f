"""PostgreSQL: transactional DDL, schemas, advisory locks."""
from __future__ import annotations

from migrator.dialects.base import Dialect


class PostgresqlDialect(Dialect):
    name = "postgresql"
    transactional_ddl = True
    supports_schemas = True

    # The migration lock is a session-level advisory lock: it survives the per-step
    # commits and PostgreSQL releases it when the session ends, even on kill -9.
    def try_lock(self, conn, key: str) -> bool:
        from sqlalchemy import text

        return bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": _lock_number(key)}).scalar())

    def release_lock(self, conn, key: str) -> None:
        from sqlalchemy import text

        conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _lock_number(key)})

    def set_session_label(self, conn, label: str) -> None:
        from sqlalchemy import text

        # application_name is what pg_stat_activity shows others (63 bytes at most).
        conn.execute(text("SELECT set_config('application_name', :n, false)"), {"n": label[:63]})

    def lock_holder(self, conn, key: str) -> str | None:
        from sqlalchemy import text

        # A bigint advisory key shows in pg_locks as classid (high 32 bits),
        # objid (low 32 bits) and objsubid 1.
        number = _lock_number(key)
        row = conn.execute(
            text(
                "SELECT a.pid, a.application_name, a.usename, a.client_addr, a.backend_start"
                " FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
                " WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1"
                " AND l.classid = :hi AND l.objid = :lo"
                " AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            ),
            {"hi": number >> 32, "lo": number & 0xFFFFFFFF},
        ).first()
        if row is None:
            return None
        pid, app, user, addr, since = row
        parts = [f"PostgreSQL session pid {pid}"]
        if app:
            parts.append(f"({app})")
        parts.append(f"user {user}")
        parts.append(f"from {addr}" if addr else "from a local socket")
        if since is not None:
            parts.append(f"connected since {since:%Y-%m-%d %H:%M:%S %Z}".rstrip())
        return " ".join(parts)


def _lock_number(key: str) -> int:
    """A stable advisory-lock number for a lock name (positive, fits a bigint)."""
    import hashlib

    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:7], "big")
