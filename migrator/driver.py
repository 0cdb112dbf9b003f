"""A plain DBAPI connection, for the reads that must not wait for SQLAlchemy.

A no-op re-apply reads the journal and changes nothing; importing SQLAlchemy
alone costs it more than all of its own work (benchmarks/notes.md). So for the
URLs whose meaning is unambiguous without SQLAlchemy's parser — a SQLite file, or
a PostgreSQL or MySQL/MariaDB server named by user, password, host, port and database — the
journal is read through the driver itself (:mod:`sqlite3`, psycopg, PyMySQL), with the
same driver-level SQL the SQLAlchemy path sends through ``exec_driver_sql``
(:class:`DriverConnection` offers that much of SQLAlchemy's Connection). Any
other URL (query options, percent-escapes, sockets, other drivers) gets None
from :func:`driver_target` and goes the SQLAlchemy way.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable

from migrator.errors import DatabaseUnavailable
from migrator.urls import first_line

#: How long a SQLite connection waits for another's write lock: a run that writes waits
#: as long as the migration lock would (it must get through); the read-only commands
#: (``plan``, ``status``, ``verify``) wait briefly, then say who is writing (exit 3).
SQLITE_BUSY_TIMEOUT = 30
SQLITE_READ_BUSY_TIMEOUT = 5

#: Called with each statement a :class:`DriverConnection` executes (query counts in
#: tests and benchmarks; the SQLAlchemy path has its ``before_cursor_execute`` event).
statement_listeners: list[Callable[[str], None]] = []

# Only what SQLAlchemy's make_url parses the same way and renders back unchanged.
_SQLITE_URL = re.compile(r"(?P<driver>sqlite(?:\+pysqlite)?):///(?P<database>[^?#]+)")
_SERVER_URL = re.compile(
    r"(?P<scheme>postgres|postgresql|mysql|mariadb)(?:\+(?P<driver>psycopg|pymysql))?://"
    r"(?:(?P<user>[A-Za-z0-9._-]+)(?::(?P<password>[^@/?#%]*))?@)?"
    r"(?P<host>[A-Za-z0-9.-]+)(?::(?P<port>[0-9]{1,5}))?/(?P<database>[A-Za-z0-9._-]+)"
)
#: scheme -> (migrator's dialect, the driver migrator ships for it, as migrator.db names them)
_SERVERS = {
    "postgres": ("postgresql", "postgresql+psycopg"),
    "postgresql": ("postgresql", "postgresql+psycopg"),
    "mysql": ("mysql", "mysql+pymysql"),
    "mariadb": ("mysql", "mariadb+pymysql"),
}


@dataclass(frozen=True)
class DriverTarget:
    """A database reachable through its driver alone."""

    dialect: str  # migrator's dialect name
    shown: str  # the URL as migrator.db.mask shows it (password hidden)
    database: str  # the SQLite file, or the server's database name
    connect_args: dict[str, Any] = field(default_factory=dict, repr=False)

    def exists(self) -> bool:
        """False when the database is a SQLite file not created yet (a server's database
        is there or not: its connection says)."""
        if self.dialect == "sqlite":
            import os

            return os.path.exists(self.database)
        return True

    def connect(self, sqlite_timeout: float = SQLITE_BUSY_TIMEOUT) -> "DriverConnection | None":
        """A connection; None when a SQLite file does not exist yet (that is for the
        SQLAlchemy path to create). An unreachable server raises DatabaseUnavailable
        with the message the SQLAlchemy path gives. ``sqlite_timeout``: as
        ``migrator.db.create_engine``'s (a read-only command waits less)."""
        if self.dialect == "sqlite":
            import sqlite3
            from urllib.parse import quote

            try:
                # mode=rw: never create the file here. isolation_level=None: no implicit
                # BEGIN, as on the SQLAlchemy path (migrator.db).
                conn = sqlite3.connect(f"file:{quote(self.database)}?mode=rw", uri=True, timeout=sqlite_timeout,
                                       isolation_level=None)
            except sqlite3.Error:
                return None
            return DriverConnection(conn, sqlite3.Error)
        if self.dialect == "mysql":
            import pymysql

            try:
                conn = pymysql.connect(**self.connect_args)
            except pymysql.Error as e:
                raise DatabaseUnavailable(self.shown, first_line(e)) from None
            return DriverConnection(conn, pymysql.Error)
        import psycopg

        try:
            conn = psycopg.connect(**self.connect_args)
        except psycopg.Error as e:
            raise DatabaseUnavailable(self.shown, first_line(e)) from None
        return DriverConnection(conn, psycopg.Error)


def driver_target(url: str) -> DriverTarget | None:
    """The :class:`DriverTarget` of ``url``, or None when SQLAlchemy must handle it."""
    m = _SQLITE_URL.fullmatch(url)
    if m:
        database = m["database"]
        if database == ":memory:":
            return None
        return DriverTarget("sqlite", f"{m['driver']}:///{database}", database)
    m = _SERVER_URL.fullmatch(url)
    if m:
        dialect, driver = _SERVERS[m["scheme"]]
        if m["driver"] and not driver.endswith("+" + m["driver"]):
            return None  # mysql+psycopg and the like: SQLAlchemy says what is wrong
        user, password, host, port, database = m["user"], m["password"], m["host"], m["port"], m["database"]
        credentials = "" if user is None else user + ("" if password is None else ":***") + "@"
        shown = f"{driver}://{credentials}{host}{'' if port is None else ':' + str(int(port))}/{database}"
        args = {"host": host, "dbname" if dialect == "postgresql" else "database": database}
        if user is not None:
            args["user"] = user
        if password is not None:
            args["password"] = password
        if port is not None:
            args["port"] = int(port)
        if dialect == "mysql":
            args["client_flag"] = 2  # FOUND_ROWS, as SQLAlchemy's PyMySQL dialect connects
        return DriverTarget(dialect, shown, database, args)
    return None


class DriverConnection:
    """The part of SQLAlchemy's Connection that driver-level SQL needs, over a DBAPI
    connection: ``exec_driver_sql`` (the driver's own paramstyle), ``commit``,
    ``rollback``, ``close``. ``errors`` is the driver's base exception class."""

    def __init__(self, dbapi_connection, errors: type[Exception]):
        self.dbapi_connection = dbapi_connection
        self.errors = errors

    def exec_driver_sql(self, statement: str, parameters=None) -> "_Result":
        for listener in statement_listeners:
            listener(statement)
        cursor = self.dbapi_connection.cursor()
        cursor.execute(statement, parameters if parameters is not None else ())
        return _Result(cursor)

    def commit(self) -> None:
        self.dbapi_connection.commit()

    def rollback(self) -> None:
        self.dbapi_connection.rollback()

    def close(self) -> None:
        self.dbapi_connection.close()


class _Result:
    """Rows of one statement, read as from SQLAlchemy's CursorResult."""

    def __init__(self, cursor):
        self._cursor = cursor

    def fetchall(self) -> list[tuple]:
        rows = self._cursor.fetchall() if self._cursor.description else []
        self._cursor.close()
        return [tuple(r) for r in rows]

    def fetchone(self) -> tuple | None:
        rows = self.fetchall()
        return rows[0] if rows else None

    def scalar(self):
        row = self.fetchone()
        return None if row is None else row[0]
