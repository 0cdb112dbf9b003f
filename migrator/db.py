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
import warnings

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, Engine, make_url

from migrator.dialects import dialect_name, get_dialect
from migrator.driver import SQLITE_BUSY_TIMEOUT
from migrator.errors import DatabaseUnavailable, UsageError
from migrator.urls import first_line, hide_query_password, mask_text, resolve_url

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
    return hide_query_password(url.render_as_string(hide_password=True))


def create_engine(url: str | None, *, missing_file: str = "create", sqlite_timeout: float = SQLITE_BUSY_TIMEOUT,
                  **kwargs) -> Engine:
    """An Engine for ``url`` (resolved as in :func:`resolve_url`), connection checked.

    Bad URLs, unknown drivers and unreachable servers raise errors with exit
    code 2 and a one-line message that names the masked URL. ``missing_file``
    says what a SQLite database file that does not exist yet means: ``create``
    (``apply``: connecting creates it), ``empty`` (``plan``, ``status``,
    ``verify`` only read: it is read as the empty database it would be, in
    memory, and not created) or ``error`` (``inspect``: a UsageError, since a
    typo would otherwise report a clean database). ``sqlite_timeout``: seconds a
    SQLite connection waits for a writer's lock before "database is locked".
    """
    parsed = parse_url(resolve_url(url))
    shown = mask(parsed)
    if parsed.get_backend_name() == "sqlite":
        _check_sqlite_url(parsed, shown)
    if missing_file != "create" and _missing_sqlite_file(parsed):
        if missing_file == "error":
            raise UsageError(f"no database at {shown}: the file {parsed.database} does not exist")
        parsed = make_url("sqlite://")
    try:
        with warnings.catch_warnings():
            # SQLAlchemy warns (on several lines of stderr) about URL options it ignores;
            # an option that does nothing is a mistake in the URL.
            warnings.simplefilter("error", sa_exc.SAWarning)
            engine = sa.create_engine(parsed, **_engine_options(parsed, sqlite_timeout), **kwargs)
    except sa_exc.NoSuchModuleError:
        raise UsageError(f"unknown database driver {parsed.drivername!r} in {shown}") from None
    except ImportError as e:
        raise UsageError(f"the driver for {shown} is not installed: {e}") from None
    except (sa_exc.ArgumentError, sa_exc.SAWarning, TypeError, ValueError) as e:
        raise UsageError(f"invalid database URL {shown}: {_one_line(e)}") from None
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
    except (TypeError, ValueError, AttributeError, LookupError) as e:
        engine.dispose()
        if not parsed.query:
            raise
        # The driver's connect() choked on the URL's query options instead of raising
        # one of its own errors (PyMySQL: TypeError for an unknown option,
        # AttributeError for an unknown charset).
        options = ", ".join(sorted(parsed.query))
        why = get_dialect(dialect_name(parsed.get_backend_name())).rejected_url_option(parsed)
        raise UsageError(
            f"invalid database URL {shown}: the driver rejected its query options ({options}): "
            + (why or f"{type(e).__name__}: {_one_line(e)}")
        ) from None
    return engine


#: The query options SQLAlchemy's pysqlite dialect passes to ``sqlite3.connect``.
_PYSQLITE_OPTIONS = ("uri", "timeout", "isolation_level", "detect_types", "check_same_thread", "cached_statements")


def _check_sqlite_url(url: URL, shown: str) -> None:
    """A SQLite URL names a file and options of Python's sqlite3 driver, nothing else."""
    if url.username or url.password or url.host or url.port:
        raise UsageError(
            f"invalid database URL {shown}: a SQLite URL names no user, password, host or port; "
            "use sqlite:///relative/path.db, sqlite:////absolute/path.db or sqlite:// (in memory)"
        )
    if str(url.query.get("uri", "")).lower() in ("true", "1", "yes", "on"):
        return  # a URI filename: the other options go to SQLite, which judges them
    unknown = sorted(set(url.query) - set(_PYSQLITE_OPTIONS))
    if unknown:
        raise UsageError(
            f"invalid database URL {shown}: unknown SQLite URL option(s) {', '.join(map(repr, unknown))} "
            f"(the driver takes {', '.join(_PYSQLITE_OPTIONS)}; SQLite's own URI options need uri=true too)"
        )


def _one_line(error: BaseException) -> str:
    """An exception's message on one line, without SQLAlchemy's background link."""
    text = " ".join(line.strip() for line in str(error).splitlines() if line.strip())
    return text.split(" (Background on this ", 1)[0] or type(error).__name__


def _missing_sqlite_file(url: URL) -> bool:
    if url.get_backend_name() != "sqlite" or url.query:  # URI filenames and options: as given
        return False
    database = url.database
    return bool(database) and database != ":memory:" and not os.path.exists(database)


def _engine_options(url: URL, sqlite_timeout: float = SQLITE_BUSY_TIMEOUT) -> dict:
    if url.get_backend_name() == "sqlite":
        # Wait for another writer instead of failing at once with "database is locked".
        options: dict = {"connect_args": {"timeout": sqlite_timeout}}
        if url.query.get("mode") == "memory":
            # An in-memory URI database lives as long as its one connection; SQLAlchemy
            # picks this pool for it today but asks (with a deprecation warning) to be told.
            options["poolclass"] = sa.pool.SingletonThreadPool
        return options
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
