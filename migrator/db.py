"""Database URLs and engines: which database, which driver, and clear errors.

The URL comes from ``--database``, else ``MIGRATOR_DATABASE_URL``, else the
embedded default ``sqlite:///migrator.sqlite`` (spec section 5). A URL that
names no driver gets the one migrator installs: psycopg 3 for PostgreSQL
(``postgres://`` too, as hosting services hand it out) and PyMySQL for MySQL
and MariaDB. Passwords never leave this module unmasked.

Importing this module imports SQLAlchemy, so the CLI imports it only on the
paths that talk to a database.
"""
from __future__ import annotations

import os

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, Engine, make_url

from migrator.dialects import dialect_name
from migrator.errors import DatabaseUnavailable, UsageError
from migrator.urls import first_line, mask_text, resolve_url

# Bare scheme → the driver migrator ships with.
_DEFAULT_DRIVERS = {
    "postgres": "postgresql+psycopg",
    "postgresql": "postgresql+psycopg",
    "mysql": "mysql+pymysql",
    "mariadb": "mariadb+pymysql",
}


def parse_url(url: str) -> URL:
    """Parse and normalise a database URL; a malformed one is a UsageError (exit 2)."""
    try:
        parsed = make_url(url)
    except (sa_exc.ArgumentError, ValueError) as e:
        raise UsageError(f"invalid database URL {mask_text(url)!r}: {e}") from None
    driver = _DEFAULT_DRIVERS.get(parsed.drivername)
    if driver:
        parsed = parsed.set(drivername=driver)
    return parsed


def mask(url: str | URL) -> str:
    """The URL as it may be shown: the password replaced by ``***``."""
    if isinstance(url, str):
        try:
            url = make_url(url)
        except (sa_exc.ArgumentError, ValueError):
            return mask_text(url)
    return url.render_as_string(hide_password=True)


def create_engine(url: str | None, *, missing_file: str = "create", **kwargs) -> Engine:
    """An Engine for ``url`` (resolved as in :func:`resolve_url`), connection checked.

    Bad URLs, unknown drivers and unreachable servers raise errors with exit
    code 2 and a one-line message that names the masked URL. ``missing_file``
    says what a SQLite database file that does not exist yet means: ``create``
    (``apply``: connecting creates it), ``empty`` (``plan``, ``status``,
    ``verify`` only read: it is read as the empty database it would be, in
    memory, and not created) or ``error`` (``inspect``: a UsageError, since a
    typo would otherwise report a clean database).
    """
    parsed = parse_url(resolve_url(url))
    shown = mask(parsed)
    if missing_file != "create" and _missing_sqlite_file(parsed):
        if missing_file == "error":
            raise UsageError(f"no database at {shown}: the file {parsed.database} does not exist")
        parsed = make_url("sqlite://")
    try:
        engine = sa.create_engine(parsed, **_engine_options(parsed), **kwargs)
    except sa_exc.NoSuchModuleError:
        raise UsageError(f"unknown database driver {parsed.drivername!r} in {shown}") from None
    except ImportError as e:
        raise UsageError(f"the driver for {shown} is not installed: {e}") from None
    except (sa_exc.ArgumentError, TypeError, ValueError) as e:
        raise UsageError(f"invalid database URL {shown}: {e}") from None
    if parsed.get_backend_name() == "sqlite":
        _take_over_sqlite_transactions(engine)
    try:
        with engine.connect():
            pass
    except sa_exc.DBAPIError as e:
        engine.dispose()
        raise DatabaseUnavailable(shown, first_line(e.orig if e.orig is not None else e)) from None
    except sa_exc.SQLAlchemyError as e:
        engine.dispose()
        raise DatabaseUnavailable(shown, first_line(e)) from None
    return engine


def _missing_sqlite_file(url: URL) -> bool:
    if url.get_backend_name() != "sqlite" or url.query:  # URI filenames and options: as given
        return False
    database = url.database
    return bool(database) and database != ":memory:" and not os.path.exists(database)


def _engine_options(url: URL) -> dict:
    if url.get_backend_name() == "sqlite":
        # Wait for another writer instead of failing at once with "database is locked".
        return {"connect_args": {"timeout": 30}}
    return {}


def _take_over_sqlite_transactions(engine: Engine) -> None:
    # pysqlite defers BEGIN until the first DML statement, so DDL would run outside
    # the step's transaction and survive a rollback. SQLAlchemy's documented recipe:
    # turn the driver's handling off and emit BEGIN ourselves.
    @sa.event.listens_for(engine, "connect")
    def _no_driver_transactions(dbapi_connection, _record):
        dbapi_connection.isolation_level = None

    @sa.event.listens_for(engine, "begin")
    def _begin(conn):
        conn.exec_driver_sql("BEGIN")


def engine_dialect(engine: Engine | sa.Connection) -> str:
    """migrator's dialect name for an engine or connection."""
    return dialect_name(engine.dialect.name)
