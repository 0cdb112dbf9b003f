"""SQLite: transactional DDL; the database's own write lock serialises writers."""
from __future__ import annotations

from migrator.dialects.base import Dialect

#: sqlite3's result code for a file that is not a database.
_SQLITE_NOTADB = 26


def _counted(driver, rowcount: int, total_before: int) -> int:
    """``rowcount`` of the statement just run on the sqlite3 connection ``driver``, or, where
    sqlite3 said -1 although the statement changed rows, SQLite's own count of them.

    Python 3.11's sqlite3 reports -1 for a statement that starts with ``WITH`` (a CTE
    before ``INSERT``/``UPDATE``/``DELETE``), so a batch would stop after its first batch
    and the journal would record 0 rows. ``changes()`` counts as ``rowcount`` does (rows
    of the statement itself, not of triggers); the connection's total tells whether the
    statement changed anything, so DDL does not pick up an earlier statement's count.
    """
    if rowcount == -1 and driver.total_changes != total_before:
        return driver.execute("SELECT changes()").fetchone()[0]
    return rowcount


class SqliteDialect(Dialect):
    name = "sqlite"
    transactional_ddl = True
    # The migration lock is an OS file lock next to the database file (see
    # migrator.engine.lock for why not the database's own write lock).
    lock_kind = "file"
    driver_parameter = ":{}"

    def names_no_database(self, error: BaseException) -> bool:
        # SQLite opens any file lazily; the first read of one that is not a database
        # fails with SQLITE_NOTADB ("file is not a database").
        orig = getattr(error, "orig", None) or error
        return getattr(orig, "sqlite_errorcode", None) == _SQLITE_NOTADB

    def timestamp_parameter(self, value):
        # No timestamp type: the text SQLAlchemy's DateTime stores ("YYYY-MM-DD
        # HH:MM:SS.ffffff"), so a row reads back the same whoever wrote it.
        return None if value is None else value.isoformat(" ", "microseconds")

    def changed_rows(self, conn, execute) -> int:
        driver = conn.connection.driver_connection
        before = driver.total_changes
        rowcount = super().changed_rows(conn, execute)
        return _counted(driver, rowcount, before)

    def run_outside_transaction(self, conn, statement: str) -> int:
        # migrator.db emits BEGIN itself on SQLite (for transactional DDL), also under
        # SQLAlchemy's AUTOCOMMIT; the driver connection, whose isolation_level is
        # None, runs the statement on its own instead.
        import sqlite3

        from sqlalchemy.exc import DBAPIError

        driver = conn.connection.driver_connection
        before = driver.total_changes
        cursor = driver.cursor()
        try:
            cursor.execute(statement)
            rowcount = -1 if cursor.description is not None else cursor.rowcount
        except sqlite3.Error as e:  # as SQLAlchemy would have wrapped it
            raise DBAPIError.instance(statement, None, e, sqlite3.Error) from None
        finally:
            cursor.close()
        return _counted(driver, rowcount, before)

    # Catalog reads: the pragma table-valued functions joined to sqlite_master read
    # every requested table in one query. "main" is the database; others are attached.
    static_catalog_settings = ("main", True)

    def read_tables(self, conn, schema: str) -> list[tuple[str, bool]]:
        return [(name, is_view) for _, name, is_view in self._read_masters(conn, (schema,))]

    def read_visible_tables(self, conn, default_schema: str) -> list[tuple[str, str, bool]]:
        # SQLite looks for an unqualified name in "temp" (the connection's temporary
        # tables) before "main".
        return self._read_masters(conn, ("temp", default_schema))

    def _read_masters(self, conn, schemas: tuple[str, ...]) -> list[tuple[str, str, bool]]:
        sql = " UNION ALL ".join(
            f"SELECT {i}, name, type = 'view' FROM {self.quote(schema)}.sqlite_master WHERE type IN ('table', 'view')"
            for i, schema in enumerate(schemas)
        )
        return [(schemas[i], name, bool(is_view)) for i, name, is_view in _catalog_rows(conn, sql, "", None)]

    def read_columns(self, conn, schema: str, tables: list[str]) -> list[tuple]:
        sql = _SQLITE_COLUMNS.format(master=f"{self.quote(schema)}.sqlite_master")
        # An INTEGER PRIMARY KEY is the rowid and never NULL; other key columns may be (SQLite's quirk).
        return [
            (t, c, ctype or "", not notnull and not (pk and ctype.upper() == "INTEGER"), None)
            for t, c, ctype, notnull, pk in _catalog_rows(conn, sql, schema, tables)
        ]

    def read_indexes(self, conn, schema: str, tables: list[str]) -> list[tuple]:
        sql = _SQLITE_INDEXES.format(master=f"{self.quote(schema)}.sqlite_master")
        grouped: dict[tuple, list] = {}
        constraint_indexes: set[str] = set()
        for t, name, unique, origin, column in _catalog_rows(conn, sql, schema, tables):
            grouped.setdefault((t, name, bool(unique), origin == "pk"), []).append(column)
            if origin == "u" and (name or "").startswith("sqlite_autoindex_"):
                constraint_indexes.add(t)
        # The index of a UNIQUE constraint is named sqlite_autoindex_*; the constraint's
        # own name (CONSTRAINT uq_x UNIQUE (...)) is only in the CREATE TABLE text, which
        # SQLAlchemy parses. Give the index that name, as PostgreSQL and MySQL do.
        names = {t: _unique_constraint_names(conn, schema, t) for t in sorted(constraint_indexes)}
        out = []
        for (t, name, unique, primary), cols in grouped.items():
            if t in names and (name or "").startswith("sqlite_autoindex_") and not primary:
                name = names[t].get(tuple(cols), name)
            out.append((t, name, unique, primary, tuple(cols)))
        return out

    def read_foreign_keys(self, conn, schema: str, tables: list[str]) -> list[tuple]:
        sql = _SQLITE_FOREIGN_KEYS.format(master=f"{self.quote(schema)}.sqlite_master")
        grouped: dict[tuple, tuple[list, list]] = {}
        for t, fk_id, rt, col, rcol, on_delete in _catalog_rows(conn, sql, schema, tables):
            cols, rcols = grouped.setdefault((t, fk_id, rt, on_delete.lower()), ([], []))
            cols.append(col)
            if rcol is not None:  # REFERENCES t without columns: t's primary key
                rcols.append(rcol)
        # SQLite keeps no constraint names in its catalog.
        return [(t, None, tuple(c), None, rt, tuple(rc), rule) for (t, _, rt, rule), (c, rc) in grouped.items()]

    def type_families(self, type_name: str) -> frozenset[str]:
        found = super().type_families(type_name)
        if found:
            return found
        # Any other declared type: SQLite's own affinity rules (section 3.1 of its datatype page).
        upper = type_name.upper()
        if "INT" in upper:
            return frozenset(("integer",))
        if any(word in upper for word in ("CHAR", "CLOB", "TEXT")):
            return frozenset(("text",))
        if not upper or "BLOB" in upper:
            return frozenset(("binary",))
        return frozenset(("numeric",))


def _unique_constraint_names(conn, schema: str, table: str) -> dict[tuple[str, ...], str]:
    """The named UNIQUE constraints of ``table``: columns -> name."""
    from sqlalchemy import inspect

    found = inspect(conn).get_unique_constraints(table, schema=None if schema == "main" else schema)
    return {tuple(u["column_names"]): u["name"] for u in found if u.get("name")}


def _catalog_rows(conn, sql: str, schema: str, tables: list[str] | None):
    from sqlalchemy import bindparam, text

    if tables is None:
        return conn.execute(text(sql)).all()
    stmt = text(sql).bindparams(bindparam("names", expanding=True))
    return conn.execute(stmt, {"schema": schema, "names": list(tables)}).all()


_SQLITE_COLUMNS = (
    "SELECT m.name, p.name, p.type, p.\"notnull\", p.pk FROM {master} m"
    " JOIN pragma_table_info(m.name, :schema) p"
    " WHERE m.type IN ('table', 'view') AND m.name IN :names ORDER BY m.name, p.cid"
)
# A rowid primary key (INTEGER PRIMARY KEY) has no index of its own: it is added from
# table_info so that index_exists finds it like the other databases' primary key indexes.
_SQLITE_INDEXES = (
    "SELECT t, name, uniq, origin, col FROM ("
    " SELECT m.name AS t, il.name AS name, il.\"unique\" AS uniq, il.origin AS origin, ii.seqno AS seq, ii.name AS col"
    " FROM {master} m JOIN pragma_index_list(m.name, :schema) il JOIN pragma_index_info(il.name, :schema) ii"
    " WHERE m.type = 'table' AND m.name IN :names"
    " UNION ALL"
    " SELECT m.name, NULL, 1, 'pk', p.pk, p.name FROM {master} m JOIN pragma_table_info(m.name, :schema) p"
    " WHERE m.type = 'table' AND m.name IN :names AND p.pk > 0"
    " AND NOT EXISTS (SELECT 1 FROM pragma_index_list(m.name, :schema) WHERE origin = 'pk')"
    ") ORDER BY t, name, seq"
)
_SQLITE_FOREIGN_KEYS = (
    "SELECT m.name, f.id, f.\"table\", f.\"from\", f.\"to\", f.on_delete FROM {master} m"
    " JOIN pragma_foreign_key_list(m.name, :schema) f"
    " WHERE m.type = 'table' AND m.name IN :names ORDER BY m.name, f.id, f.seq"
)
