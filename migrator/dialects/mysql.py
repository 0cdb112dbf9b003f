"""MySQL and MariaDB: every DDL statement commits implicitly; GET_LOCK for the lock."""
from __future__ import annotations

from migrator.dialects.base import BASE_TYPE_FAMILIES, DDL_WORDS, Dialect, base_type_name, first_words


class MysqlDialect(Dialect):
    name = "mysql"
    identifier_quote = "`"
    # An implicit commit precedes and follows each DDL statement, so a failed step
    # cannot be undone; the engine records how many statements completed instead.
    transactional_ddl = False

    # Catalog reads from information_schema: one query per kind for any number of tables.
    def catalog_settings(self, conn) -> tuple[str, bool]:
        from sqlalchemy import text

        database, lower_case_table_names = conn.execute(text("SELECT DATABASE(), @@lower_case_table_names")).one()
        # 1 and 2 (Windows, macOS): table names compare case-insensitively; 0: as stored.
        return database or "", int(lower_case_table_names or 0) != 0

    def read_tables(self, conn, schema: str) -> list[tuple[str, bool]]:
        # information_schema lists no temporary tables (MySQL, MariaDB before 11.2).
        return [(name, kind in ("VIEW", "SYSTEM VIEW")) for name, kind in _catalog_rows(conn, _MY_TABLES, schema, None)]

    def read_columns(self, conn, schema: str, tables: list[str]) -> list[tuple]:
        # MariaDB's JSON is LONGTEXT with a json_valid() check named after the column.
        sql = _MARIADB_COLUMNS if getattr(conn.dialect, "is_mariadb", False) else _MY_COLUMNS
        return [
            (t, c, "json" if check and check.lower().startswith("json_valid(") else ctype, nullable == "YES", None)
            for t, c, ctype, nullable, check in _catalog_rows(conn, sql, schema, tables)
        ]

    def read_indexes(self, conn, schema: str, tables: list[str]) -> list[tuple]:
        grouped: dict[tuple, list] = {}
        for t, name, non_unique, column in _catalog_rows(conn, _MY_INDEXES, schema, tables):
            grouped.setdefault((t, name, not int(non_unique), name == "PRIMARY"), []).append(column)
        return [(*key, tuple(cols)) for key, cols in grouped.items()]

    def read_foreign_keys(self, conn, schema: str, tables: list[str]) -> list[tuple]:
        grouped: dict[tuple, tuple[list, list]] = {}
        for name, t, rs, rt, rule, col, rcol in _catalog_rows(conn, _MY_FOREIGN_KEYS, schema, tables):
            cols, rcols = grouped.setdefault((t, name, rs, rt, rule.lower()), ([], []))
            cols.append(col)
            rcols.append(rcol)
        return [(t, n, tuple(c), rs, rt, tuple(rc), rule) for (t, n, rs, rt, rule), (c, rc) in grouped.items()]

    def name_rule(self, kind: str, tables_case_insensitive: bool) -> str:
        # Column and index names never depend on case; table names follow lower_case_table_names.
        return "exact" if kind == "table" and not tables_case_insensitive else "nocase"

    def type_families(self, type_name: str) -> frozenset[str]:
        lowered = type_name.lower().replace(" ", "")
        # BOOLEAN is a synonym for TINYINT(1), and BIT(1) is used as one.
        if lowered.startswith(("tinyint(1)", "bit(1)")):
            return frozenset(("integer", "boolean")) if lowered.startswith("tinyint") else frozenset(("boolean",))
        if lowered.startswith(("enum(", "set(")):
            return frozenset(("text",))
        return super().type_families(type_name)

    def can_reference(self, type_name: str, referenced_type_name: str) -> bool:
        # InnoDB refuses a foreign key between integers of another size or signedness
        # (errno 150, "Foreign key constraint is incorrectly formed").
        def integer(name: str) -> tuple[str, bool] | None:
            base = base_type_name(name)
            if BASE_TYPE_FAMILIES.get(base) != "integer":
                return None
            return ("int" if base == "integer" else base), "unsigned" in name.lower().split()

        a, b = integer(type_name), integer(referenced_type_name)
        return a is None or b is None or a == b

    def read_inspect_exclusions(self, conn, schema: str) -> tuple[frozenset[str], frozenset[str]]:
        # Only InnoDB (and NDB) keep foreign keys: MyISAM, Aria, MEMORY... accept
        # ADD FOREIGN KEY and silently drop it; a partitioned table refuses one (error 1506).
        rows = _catalog_rows(conn, _MY_NO_FOREIGN_KEYS, schema, None)
        return frozenset(), frozenset(name for (name,) in rows)

    def same_fk_action(self, found: str, expected: str) -> bool:
        # InnoDB treats NO ACTION as RESTRICT, and MariaDB reports an unspecified action as RESTRICT.
        def alias(action: str) -> str:
            return "restrict" if action == "no action" else action

        return alias(found) == alias(expected)

    # GET_LOCK names are server-wide, so the lock name includes the database's name (at
    # most 64 characters); the lock belongs to the session and the server releases it when
    # that ends. Driver-level SQL (``exec_driver_sql``), so that the driver-only no-op
    # re-apply (migrator.engine.shortcut) takes the same lock the same way.
    _LOCK_NAME = "LEFT(CONCAT(%(k)s, ':', COALESCE(DATABASE(), '')), 64)"

    def try_lock(self, conn, key: str) -> bool:
        return conn.exec_driver_sql(f"SELECT GET_LOCK({self._LOCK_NAME}, 0)", {"k": key}).scalar() == 1

    def release_lock(self, conn, key: str) -> None:
        conn.exec_driver_sql(f"SELECT RELEASE_LOCK({self._LOCK_NAME})", {"k": key})

    def lock_holder(self, conn, key: str) -> str | None:
        holder = conn.exec_driver_sql(f"SELECT IS_USED_LOCK({self._LOCK_NAME})", {"k": key}).scalar()
        if holder is None:
            return None
        row = conn.exec_driver_sql(
            "SELECT USER, HOST FROM information_schema.PROCESSLIST WHERE ID = %(id)s", {"id": holder}
        ).fetchone()
        if row is None:
            return f"MySQL connection {holder}"
        return f"MySQL connection {holder} ({row[0]}@{row[1]})"

    def rejected_url_option(self, url) -> str | None:
        # PyMySQL looks an unknown charset up as None and fails on its .encoding.
        charset = url.query.get("charset")
        if url.get_driver_name() == "pymysql" and isinstance(charset, str):
            from pymysql.charset import charset_by_name

            if charset_by_name(charset) is None:
                return f"charset {charset!r} is not one MySQL/MariaDB knows (e.g. utf8mb4)"
        return None

    def commits_implicitly(self, statement: str) -> bool:
        words = first_words(statement, 2)
        if not words:
            return False
        if words[0] in ("CREATE", "DROP") and words[1:] == ["TEMPORARY"]:
            return False  # MySQL's documented exception: temporary tables do not commit
        if words[0] in _IMPLICIT_COMMIT:
            return True
        # LOCK TABLES / UNLOCK TABLES commit too.
        return words[0] in ("LOCK", "UNLOCK") and words[1:] == ["TABLES"]


#: Statements after which MySQL has committed (its "Statements That Cause an Implicit Commit"):
#: DDL, and the table maintenance and plugin statements.
_IMPLICIT_COMMIT = DDL_WORDS | {"ANALYZE", "OPTIMIZE", "REPAIR", "INSTALL", "UNINSTALL"}


def _catalog_rows(conn, sql: str, schema: str, tables: list[str] | None):
    from sqlalchemy import bindparam, text

    if tables is None:
        return conn.execute(text(sql), {"schema": schema}).all()
    stmt = text(sql).bindparams(bindparam("names", expanding=True))
    return conn.execute(stmt, {"schema": schema, "names": list(tables)}).all()


_MY_TABLES = "SELECT TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES WHERE TABLE_SCHEMA = :schema"
_MY_NO_FOREIGN_KEYS = (
    "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = :schema"
    " AND TABLE_TYPE = 'BASE TABLE' AND (UPPER(ENGINE) NOT IN ('INNODB', 'NDBCLUSTER', 'NDB')"
    " OR LOCATE('partitioned', COALESCE(CREATE_OPTIONS, '')) > 0)"
)
_MY_COLUMNS = (
    "SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, NULL FROM information_schema.COLUMNS"
    " WHERE TABLE_SCHEMA = :schema AND TABLE_NAME IN :names ORDER BY TABLE_NAME, ORDINAL_POSITION"
)
_MARIADB_COLUMNS = (
    "SELECT c.TABLE_NAME, c.COLUMN_NAME, c.COLUMN_TYPE, c.IS_NULLABLE, k.CHECK_CLAUSE"
    " FROM information_schema.COLUMNS c LEFT JOIN information_schema.CHECK_CONSTRAINTS k"
    " ON k.CONSTRAINT_SCHEMA = c.TABLE_SCHEMA AND k.TABLE_NAME = c.TABLE_NAME"
    " AND k.CONSTRAINT_NAME = c.COLUMN_NAME AND k.LEVEL = 'Column'"
    " WHERE c.TABLE_SCHEMA = :schema AND c.TABLE_NAME IN :names ORDER BY c.TABLE_NAME, c.ORDINAL_POSITION"
)
_MY_INDEXES = (
    "SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE, COLUMN_NAME FROM information_schema.STATISTICS"
    " WHERE TABLE_SCHEMA = :schema AND TABLE_NAME IN :names ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX"
)
_MY_FOREIGN_KEYS = (
    "SELECT k.CONSTRAINT_NAME, k.TABLE_NAME, k.REFERENCED_TABLE_SCHEMA, k.REFERENCED_TABLE_NAME, r.DELETE_RULE,"
    " k.COLUMN_NAME, k.REFERENCED_COLUMN_NAME"
    " FROM information_schema.KEY_COLUMN_USAGE k JOIN information_schema.REFERENTIAL_CONSTRAINTS r"
    " ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.TABLE_NAME = k.TABLE_NAME AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME"
    " WHERE k.TABLE_SCHEMA = :schema AND k.TABLE_NAME IN :names AND k.REFERENCED_TABLE_NAME IS NOT NULL"
    " ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION"
)
