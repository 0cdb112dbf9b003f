"""The :class:`Dialect` base class and its registry (alembic's ``__dialect__`` idea).

Each supported database is a small named subclass in its own module; code that
needs to behave differently per database asks the dialect object instead of
testing the name in an ``if`` chain.
"""
from __future__ import annotations

import re
from typing import Any, Callable, ClassVar

_REGISTRY: dict[str, type["Dialect"]] = {}


def dialect_name(sqlalchemy_name: str) -> str:
    """migrator's name for a SQLAlchemy dialect name (``mariadb`` is ``mysql``)."""
    return "mysql" if sqlalchemy_name in ("mysql", "mariadb") else sqlalchemy_name


class Dialect:
    """Behaviour of one database family. Subclasses set ``name`` and override."""

    name: ClassVar[str] = ""
    #: DDL can be rolled back with the transaction (PostgreSQL, SQLite: yes; MySQL: no).
    transactional_ddl: ClassVar[bool] = True

    #: How ``engine.lock`` serialises runs: ``"session"`` (a lock owned by the database
    #: session, released when it ends) or ``"file"`` (an OS lock next to the database file).
    lock_kind: ClassVar[str] = "session"

    def try_lock(self, conn, key: str) -> bool:
        """Take the migration lock ``key`` without waiting; True when it was taken."""
        raise NotImplementedError(f"{self.name}: no session lock")

    def release_lock(self, conn, key: str) -> None:
        """Release the lock taken by :meth:`try_lock` on this session."""
        raise NotImplementedError(f"{self.name}: no session lock")

    def lock_holder(self, conn, key: str) -> str | None:
        """Who holds the lock ``key``, for the message of ``LockHeld`` (None: unknown)."""
        return None

    def set_session_label(self, conn, label: str) -> None:
        """Name this session so that others can see who holds the lock (where supported)."""

    def is_ddl(self, statement: str) -> bool:
        """The statement defines the schema or privileges rather than changing rows."""
        words = first_words(statement, 1)
        return bool(words) and words[0] in DDL_WORDS

    def commits_implicitly(self, statement: str) -> bool:
        """The statement commits the open transaction by itself (MySQL DDL)."""
        return False

    def rows_changed(self, statement: str, rowcount: int) -> int:
        """The rows ``statement`` changed, from the driver's ``rowcount`` (-1: not known).
        A DDL statement's count is something else, so it changed none: MySQL reports the
        rows an ``ALTER TABLE`` copied, and ``CREATE TABLE ... AS`` the rows it wrote."""
        return 0 if rowcount < 0 or self.is_ddl(statement) else rowcount

    def changed_rows(self, conn, execute: Callable[[], Any]) -> int:
        """Run ``execute()`` (one statement on ``conn``; it returns the ``CursorResult``) and
        return the driver's count of the rows it changed: -1 for a statement that returns
        rows, or where the driver does not know (:meth:`rows_changed` reads it)."""
        result = execute()
        rowcount = -1 if result.returns_rows else result.rowcount
        result.close()
        return rowcount

    def run_outside_transaction(self, conn, statement: str) -> int:
        """Execute one statement in autocommit mode (``transaction: false`` steps, for
        ``CREATE INDEX CONCURRENTLY`` or ``VACUUM``); returns the driver's rowcount.
        ``conn`` must have no transaction open."""
        conn.execution_options(isolation_level="AUTOCOMMIT")
        try:
            rowcount = conn.exec_driver_sql(statement, execution_options={"no_parameters": True}).rowcount
        finally:
            # Ends SQLAlchemy's logical transaction (the database committed already),
            # which must be over before the isolation level can be restored.
            conn.rollback()
            conn.execution_options(isolation_level=conn.default_isolation_level)
        return rowcount

    # --- Catalog reads, cached per run by migrator.checks.catalog ----------------
    # Each read takes the schema and the exact table names to load and returns
    # plain rows, so that one query serves many tables (a bounded query count).

    #: :meth:`catalog_settings` when they are fixed, so that reading them costs no query.
    static_catalog_settings: ClassVar[tuple[str, bool] | None] = None

    def catalog_settings(self, conn) -> tuple[str, bool]:
        """(the default schema, whether table names compare case-insensitively)."""
        if self.static_catalog_settings is None:
            raise NotImplementedError
        return self.static_catalog_settings

    def read_tables(self, conn, schema: str) -> list[tuple[str, bool]]:
        """Rows ``(name, is_view)``: the tables and views of ``schema``."""
        raise NotImplementedError

    def read_visible_tables(self, conn, default_schema: str) -> list[tuple[str, str, bool]]:
        """Rows ``(schema, name, is_view)`` that a name written without a schema can find,
        in the order the database looks (a name in an earlier schema hides a later one):
        here only the default schema's."""
        return [(default_schema, name, is_view) for name, is_view in self.read_tables(conn, default_schema)]

    def read_columns(self, conn, schema: str, tables: list[str]) -> list[tuple]:
        """Rows ``(table, column, type, nullable, family_type)`` in column order;
        ``family_type`` is the type to classify when it is not ``type`` (a domain's base), else None."""
        raise NotImplementedError

    def read_indexes(self, conn, schema: str, tables: list[str]) -> list[tuple]:
        """Rows ``(table, name, unique, primary, columns)``, primary-key and unique-constraint
        indexes included; an expression column is None; ``name`` None when the index has none.
        A row may add ``valid``: False for an index the database does not use (PostgreSQL's
        INVALID index, left by a failed ``CREATE INDEX CONCURRENTLY``)."""
        raise NotImplementedError

    def read_foreign_keys(self, conn, schema: str, tables: list[str]) -> list[tuple]:
        """Rows ``(table, name, columns, ref_schema, ref_table, ref_columns, on_delete)``;
        ``ref_columns`` empty means the referenced primary key; ``on_delete`` lower case words."""
        raise NotImplementedError

    def name_rule(self, kind: str, tables_case_insensitive: bool) -> str:
        """How a name written in a plan finds a ``kind`` (``table``, ``column``, ``index``) in
        the catalog: ``exact``, ``lower`` (an unquoted name folds to lower case) or ``nocase``."""
        return "nocase"

    def type_families(self, type_name: str) -> frozenset[str]:
        """The ``column_exists.type`` families (spec section 11) of a catalog type name."""
        family = BASE_TYPE_FAMILIES.get(base_type_name(type_name))
        return frozenset((family,)) if family else frozenset()

    def same_fk_action(self, found: str, expected: str) -> bool:
        """Whether a foreign key's ON DELETE action ``found`` is what ``expected`` asks for."""
        return found == expected

    def can_reference(self, type_name: str, referenced_type_name: str) -> bool:
        """Whether a column of catalog type ``type_name`` may hold a foreign key to one of
        ``referenced_type_name``, once their type families agree (``inspect`` checks those)."""
        return True

    def read_inspect_exclusions(self, conn, schema: str) -> tuple[frozenset[str], frozenset[str]]:
        """For ``inspect``: (the tables of ``schema`` that are partitions of another, whose
        keys and indexes come from that table; the tables whose storage engine cannot hold
        or be the target of a foreign key)."""
        return frozenset(), frozenset()

    def names_no_database(self, error: BaseException) -> bool:
        """Whether a driver error says the URL names something that is not a database of
        this kind (bad input, exit 2, like an unreachable server) rather than a failure
        inside one."""
        return False

    def rejected_url_option(self, url) -> str | None:
        """Why the driver's connect() failed on the query options of ``url`` (an SQLAlchemy
        ``URL``), in words, when the driver itself only raised a Python error (None: not known)."""
        return None

    def error_text(self, error: BaseException) -> str:
        """The database's message for a failed statement, on one line (the same text
        steps and the journal show)."""
        from migrator.urls import first_line

        return first_line(error)

    #: The identifier quote character (a quote inside a name is written twice).
    identifier_quote: ClassVar[str] = '"'
    #: How a named parameter is written in SQL sent with ``exec_driver_sql`` or to the
    #: driver's own cursor: the driver's paramstyle (sqlite3: named; psycopg, PyMySQL: pyformat).
    driver_parameter: ClassVar[str] = "%({})s"

    def quote(self, name: str) -> str:
        """``name`` quoted as an identifier, always (never pasted); as SQLAlchemy's
        ``quote_identifier`` does, without needing it."""
        q = self.identifier_quote
        return q + name.replace(q, q + q) + q

    def param(self, name: str) -> str:
        """The placeholder of the named parameter ``name`` in driver-level SQL."""
        return self.driver_parameter.format(name)

    def timestamp_parameter(self, value):
        """A naive UTC datetime (or None) as driver-level SQL binds it to a timestamp column,
        the way SQLAlchemy's ``DateTime`` would: here the datetime itself."""
        return value

    def insert_returning_id(self, conn, statement: str, parameters: dict, key: str) -> int:
        """Execute the driver-level ``INSERT`` of one row and return its autoincrement
        column ``key``: here the driver's ``lastrowid`` (sqlite3, PyMySQL)."""
        return int(conn.exec_driver_sql(statement, parameters).lastrowid)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.name:
            _REGISTRY[cls.name] = cls


#: ``column_exists.type`` families (spec section 11) of base type names, shared by the
#: dialects; each dialect adds its quirks in :meth:`Dialect.type_families`.
TYPE_FAMILIES = ("integer", "numeric", "text", "boolean", "date", "datetime", "time", "json", "binary", "uuid")
BASE_TYPE_FAMILIES = {
    **dict.fromkeys(
        "int integer smallint bigint tinyint mediumint int2 int4 int8 serial serial2 serial4 serial8"
        " smallserial bigserial".split()
        + ["unsigned big int"],
        "integer",
    ),
    **dict.fromkeys(
        "numeric decimal dec fixed real float double float4 float8 number".split() + ["double precision"], "numeric"
    ),
    **dict.fromkeys(
        "char character varchar nchar nvarchar varchar2 nvarchar2 text tinytext mediumtext longtext clob bpchar"
        " citext string".split()
        + ["character varying", "national character", "national character varying", "varying character", "native character"],
        "text",
    ),
    **dict.fromkeys(["boolean", "bool"], "boolean"),
    "date": "date",
    **dict.fromkeys(
        ["timestamp", "timestamptz", "datetime", "datetime2", "smalldatetime", "timestamp without time zone", "timestamp with time zone"],
        "datetime",
    ),
    **dict.fromkeys(["time", "timetz", "time without time zone", "time with time zone"], "time"),
    **dict.fromkeys(["json", "jsonb"], "json"),
    **dict.fromkeys("blob tinyblob mediumblob longblob bytea binary varbinary".split(), "binary"),
    "uuid": "uuid",
}


#: First words of DDL statements (privileges included): they change no rows (see
#: :meth:`Dialect.rows_changed`), and on MySQL they commit at once.
DDL_WORDS = frozenset({"CREATE", "ALTER", "DROP", "RENAME", "TRUNCATE", "COMMENT", "GRANT", "REVOKE"})


def first_words(statement: str, n: int) -> list[str]:
    """Up to ``n`` words the statement starts with, upper case, after its leading comments
    and opening parentheses (a MySQL ``/*! ... */`` comment is a statement's text)."""
    return [w.upper() for w in _strip_leading_comments(statement).lstrip("( \t\r\n").split(None, n)[:n]]


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


def base_type_name(type_name: str) -> str:
    """``character varying(255)`` -> ``character varying``; ``int(11) unsigned`` -> ``int``."""
    text = re.sub(r"\([^)]*\)", " ", type_name.lower())
    words = [w for w in text.split() if w not in ("unsigned", "signed", "zerofill")]
    return " ".join(words)


def get_dialect(name: str) -> Dialect:
    """The :class:`Dialect` for a SQLAlchemy or migrator dialect name."""
    # Importing the modules registers the subclasses.
    from migrator.dialects import mysql, postgresql, sqlite  # noqa: F401

    key = dialect_name(name)
    try:
        return _REGISTRY[key]()
    except KeyError:
        raise ValueError(f"unsupported database dialect {name!r} (supported: sqlite, postgresql, mysql)") from None
