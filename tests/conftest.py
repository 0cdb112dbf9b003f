"""Shared fixtures: a fresh database per test on SQLite, PostgreSQL and MariaDB.

The servers come from ``MIGRATOR_TEST_PG_URL`` and ``MIGRATOR_TEST_MYSQL_URL``
(an administrative URL; each test gets its own database created through it and
dropped afterwards). Unset, the machine's local servers are tried. A server that
cannot be reached skips its tests with the reason shown, except under
``CI=true``, where that is a failure: CI must never pass by skipping.
"""
from __future__ import annotations

import os
import uuid

import pytest

PG_ADMIN_URL = os.environ.get("MIGRATOR_TEST_PG_URL", "postgresql://root@127.0.0.1:5432/postgres")
MYSQL_ADMIN_URL = os.environ.get("MIGRATOR_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

_server_errors: dict[str, str | None] = {}


def _admin_engine(admin_url: str):
    import sqlalchemy as sa

    from migrator.db import parse_url

    return sa.create_engine(parse_url(admin_url), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)


def _unavailable(kind: str, admin_url: str) -> str | None:
    """Why the server cannot be used (None when it can); asked once per session."""
    if kind not in _server_errors:
        from migrator.db import mask
        from migrator.urls import first_line

        try:
            with _admin_engine(admin_url).connect() as conn:
                conn.exec_driver_sql("SELECT 1")
            _server_errors[kind] = None
        except Exception as e:  # any failure to reach the server means: not available
            _server_errors[kind] = f"{kind} server at {mask(admin_url)} unavailable: {first_line(e)}"
    return _server_errors[kind]


def _require(kind: str, admin_url: str) -> None:
    reason = _unavailable(kind, admin_url)
    if reason:
        if IN_CI:
            pytest.fail(f"CI=true and {reason}", pytrace=False)
        pytest.skip(reason)


def _fresh_name() -> str:
    return f"migrator_t_{uuid.uuid4().hex[:12]}"


def _server_database(kind: str, admin_url: str):
    """Create a database on the server; yield its URL; drop it afterwards."""
    from migrator.db import parse_url

    _require(kind, admin_url)
    name = _fresh_name()
    admin = _admin_engine(admin_url)
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    url = parse_url(admin_url).set(database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            if kind == "postgresql":
                conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            else:
                conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}")
        admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    """A fresh SQLite database file."""
    return f"sqlite:///{tmp_path / 'test.sqlite'}"


@pytest.fixture
def pg_url():
    """A fresh PostgreSQL database, dropped after the test."""
    yield from _server_database("postgresql", PG_ADMIN_URL)


@pytest.fixture
def mysql_url():
    """A fresh MariaDB/MySQL database, dropped after the test."""
    yield from _server_database("mysql", MYSQL_ADMIN_URL)


@pytest.fixture(params=["sqlite", "postgresql", "mysql"])
def db_url(request, tmp_path):
    """A fresh database of each dialect in turn (the test runs three times)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.sqlite'}"
    elif request.param == "postgresql":
        yield from _server_database("postgresql", PG_ADMIN_URL)
    else:
        yield from _server_database("mysql", MYSQL_ADMIN_URL)


@pytest.fixture
def db_dialect(db_url) -> str:
    """migrator's dialect name for ``db_url``."""
    if db_url.startswith("sqlite"):
        return "sqlite"
    return "postgresql" if db_url.startswith("postgres") else "mysql"


@pytest.fixture
def db_engine(db_url):
    """An Engine (through migrator's own engine factory) on a fresh database."""
    from migrator.db import create_engine

    engine = create_engine(db_url)
    yield engine
    engine.dispose()
