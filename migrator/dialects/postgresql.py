"""PostgreSQL: transactional DDL, schemas, advisory locks."""
from __future__ import annotations

from migrator.dialects.base import Dialect


class PostgresqlDialect(Dialect):
    name = "postgresql"
    transactional_ddl = True

    # Catalog reads: one query per kind for any number of tables, from pg_catalog
    # (information_schema hides other roles' objects and is slow on large schemas).
    def catalog_settings(self, conn) -> tuple[str, bool]:
        from sqlalchemy import text

        return conn.execute(text("SELECT current_schema()")).scalar() or "public", False

    def read_tables(self, conn, schema: str) -> list[tuple[str, bool]]:
        return [(name, is_view) for name, is_view in _catalog_rows(conn, _PG_TABLES, schema, None)]

    def read_visible_tables(self, conn, default_schema: str) -> list[tuple[str, str, bool]]:
        # As PostgreSQL resolves an unqualified name: the session's temporary schema,
        # then each schema of search_path ("$user", public by default), so that a plan
        # finds the table its own SQL reads (and a temporary table a step created).
        from sqlalchemy import text

        return [tuple(r) for r in conn.execute(text(_PG_VISIBLE_TABLES)).all()]

    def read_columns(self, conn, schema: str, tables: list[str]) -> list[tuple]:
        return [tuple(r) for r in _catalog_rows(conn, _PG_COLUMNS, schema, tables)]

    def read_indexes(self, conn, schema: str, tables: list[str]) -> list[tuple]:
        return [
            (t, n, u, p, tuple(cols), valid) for t, n, u, p, cols, valid in _catalog_rows(conn, _PG_INDEXES, schema, tables)
        ]

    def read_foreign_keys(self, conn, schema: str, tables: list[str]) -> list[tuple]:
        return [
            (t, n, tuple(cols), rs, rt, tuple(rcols), _PG_FK_ACTIONS.get(action, action))
            for n, t, rs, rt, action, cols, rcols in _catalog_rows(conn, _PG_FOREIGN_KEYS, schema, tables)
        ]

    def read_inspect_exclusions(self, conn, schema: str) -> tuple[frozenset[str], frozenset[str]]:
        # A partition (relispartition) gets its keys and indexes from its partitioned table.
        partitions = frozenset(name for (name,) in _catalog_rows(conn, _PG_PARTITIONS, schema, None))
        return partitions, frozenset()

    def insert_returning_id(self, conn, statement: str, parameters: dict, key: str) -> int:
        # psycopg's lastrowid is the row's OID (none for ordinary tables): ask for the key.
        return int(conn.exec_driver_sql(f"{statement} RETURNING {self.quote(key)}", parameters).scalar_one())

    def name_rule(self, kind: str, tables_case_insensitive: bool) -> str:
        # A name written without quotes folds to lower case, as in SQL; "userId" (created
        # quoted) is found as written.
        return "lower"

    def type_families(self, type_name: str) -> frozenset[str]:
        if type_name == "enum":  # labels read and compare as text
            return frozenset(("text",))
        return super().type_families(type_name)

    # The migration lock is a session-level advisory lock: it survives the per-step
    # commits and PostgreSQL releases it when the session ends, even on kill -9.
    # Driver-level SQL (``exec_driver_sql``), so that the driver-only no-op re-apply
    # (migrator.engine.shortcut) takes the same lock the same way.
    def try_lock(self, conn, key: str) -> bool:
        return bool(conn.exec_driver_sql("SELECT pg_try_advisory_lock(%(k)s)", {"k": _lock_number(key)}).scalar())

    def release_lock(self, conn, key: str) -> None:
        conn.exec_driver_sql("SELECT pg_advisory_unlock(%(k)s)", {"k": _lock_number(key)})

    def set_session_label(self, conn, label: str) -> None:
        # application_name is what pg_stat_activity shows others (63 bytes at most).
        conn.exec_driver_sql("SELECT set_config('application_name', %(n)s, false)", {"n": label[:63]})

    def lock_holder(self, conn, key: str) -> str | None:
        # A bigint advisory key shows in pg_locks as classid (high 32 bits),
        # objid (low 32 bits) and objsubid 1.
        number = _lock_number(key)
        row = conn.exec_driver_sql(
            "SELECT a.pid, a.application_name, a.usename, a.client_addr, a.backend_start"
            " FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
            " WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1"
            " AND l.classid = %(hi)s AND l.objid = %(lo)s"
            " AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            {"hi": number >> 32, "lo": number & 0xFFFFFFFF},
        ).fetchone()
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


def _catalog_rows(conn, sql: str, schema: str, tables: list[str] | None):
    from sqlalchemy import text

    params = {"schema": schema} if tables is None else {"schema": schema, "names": list(tables)}
    return conn.execute(text(sql), params).all()


_PG_RELATION = """
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = :schema"""
# Tables (ordinary, partitioned, foreign) and views (plain, materialized); not sequences.
_PG_RELKINDS = " AND c.relkind IN ('r', 'p', 'f', 'v', 'm')"
_PG_PARTITIONS = "SELECT c.relname FROM pg_catalog.pg_class c" + _PG_RELATION + " AND c.relispartition"
_PG_TABLES = "SELECT c.relname, c.relkind IN ('v', 'm') FROM pg_catalog.pg_class c" + _PG_RELATION + _PG_RELKINDS
# current_schemas(true) is the lookup order of relation names, pg_temp_N first once the
# session has one; pg_catalog is left out (a plan's tables are the user's).
_PG_VISIBLE_TABLES = (
    """SELECT p.nspname, c.relname, c.relkind IN ('v', 'm')
    FROM unnest(current_schemas(true)) WITH ORDINALITY AS p(nspname, ord)
    JOIN pg_catalog.pg_namespace n ON n.nspname = p.nspname
    JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid
    WHERE p.nspname <> 'pg_catalog'"""
    + _PG_RELKINDS
    + " ORDER BY p.ord, c.relname"
)
_PG_COLUMNS = (
    """SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), NOT a.attnotnull,
        CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod)
             WHEN t.typtype = 'e' THEN 'enum' END
    FROM pg_catalog.pg_attribute a
    JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
    JOIN pg_catalog.pg_type t ON t.oid = a.atttypid"""
    + _PG_RELATION
    + " AND c.relname = ANY(:names) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY c.relname, a.attnum"
)
# Key columns only (indnkeyatts), in index order; an expression's attnum is 0 (NULL name);
# indisvalid is false for what a failed CREATE INDEX CONCURRENTLY leaves behind.
_PG_INDEXES = (
    """SELECT c.relname, i.relname, x.indisunique, x.indisprimary,
        ARRAY(SELECT a.attname::text
              FROM unnest(x.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
              LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum
              WHERE k.ord <= x.indnkeyatts ORDER BY k.ord),
        x.indisvalid
    FROM pg_catalog.pg_index x
    JOIN pg_catalog.pg_class c ON c.oid = x.indrelid
    JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid"""
    + _PG_RELATION
    + " AND c.relname = ANY(:names) ORDER BY c.relname, i.relname"
)
_PG_FOREIGN_KEYS = (
    """SELECT f.conname, c.relname, rn.nspname, r.relname, f.confdeltype,
        ARRAY(SELECT a.attname::text FROM unnest(f.conkey) WITH ORDINALITY AS k(attnum, ord)
              JOIN pg_catalog.pg_attribute a ON a.attrelid = f.conrelid AND a.attnum = k.attnum ORDER BY k.ord),
        ARRAY(SELECT a.attname::text FROM unnest(f.confkey) WITH ORDINALITY AS k(attnum, ord)
              JOIN pg_catalog.pg_attribute a ON a.attrelid = f.confrelid AND a.attnum = k.attnum ORDER BY k.ord)
    FROM pg_catalog.pg_constraint f
    JOIN pg_catalog.pg_class c ON c.oid = f.conrelid
    JOIN pg_catalog.pg_class r ON r.oid = f.confrelid
    JOIN pg_catalog.pg_namespace rn ON rn.oid = r.relnamespace"""
    + _PG_RELATION
    + " AND f.contype = 'f' AND c.relname = ANY(:names) ORDER BY c.relname, f.conname"
)
_PG_FK_ACTIONS = {"a": "no action", "r": "restrict", "c": "cascade", "n": "set null", "d": "set default"}
