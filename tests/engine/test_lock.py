"""The migration lock: a second holder waits, then is told who holds it."""
from __future__ import annotations

import os
import time

import pytest

from migrator.db import engine_dialect
from migrator.dialects import get_dialect
from migrator.engine.lock import acquire
from migrator.errors import LockHeld


def test_a_second_acquire_waits_for_the_timeout_then_names_the_holder(db_engine):
    dialect = get_dialect(engine_dialect(db_engine))
    with db_engine.connect() as first, db_engine.connect() as second:
        with acquire(first, dialect, timeout=1, purpose="apply"):
            start = time.monotonic()
            with pytest.raises(LockHeld) as e:
                with acquire(second, dialect, timeout=0.3, purpose="apply"):
                    pass
            assert 0.3 <= time.monotonic() - start < 2
        holder = e.value.holder
        assert e.value.exit_code == 3 and e.value.waited >= 0.3
        if dialect.name == "postgresql":
            assert holder.startswith("PostgreSQL session pid ") and f"pid {os.getpid()}" in holder and "(migrator apply by " in holder
        elif dialect.name == "mysql":
            assert holder.startswith("MySQL connection ") and "@" in holder
        else:
            assert holder.startswith("migrator apply by ") and f"pid {os.getpid()} since " in holder
        # Released: the second one gets it now.
        with acquire(second, dialect, timeout=0):
            pass


def test_a_lock_file_that_cannot_be_opened_is_one_line_and_exit_2_on_both_paths(tmp_path, write_plan):
    from migrator import api
    from migrator.errors import UsageError

    database = tmp_path / "db.sqlite"
    plan = write_plan("""
    migrator: 1
    name: demo
    phases:
      - id: p
        steps:
          - id: a
            sql: CREATE TABLE a (id INTEGER)
    """)
    assert api.apply(plan, f"sqlite:///{database}").ok
    (tmp_path / "db.sqlite.migrator-lock").unlink()
    (tmp_path / "db.sqlite.migrator-lock").mkdir()  # in the way: the lock file cannot be opened
    for run in (lambda: api.apply(plan, f"sqlite:///{database}"),  # the driver path (nothing to do)
                lambda: api.rollback(plan, f"sqlite:///{database}", last=1, yes=True)):  # the full path
        with pytest.raises(UsageError) as e:
            run()
        assert str(e.value) == f"cannot open the migration lock file {database}.migrator-lock: Is a directory"
        assert e.value.exit_code == 2


# --- SQLite URI filenames: the lock is beside the file the URI names -----------------------


def _sqlite_engine(url: str):
    from migrator.db import create_engine

    return create_engine(url)


def test_a_sqlite_uri_filename_locks_beside_its_file_not_in_the_working_directory(tmp_path, monkeypatch, write_plan):
    from urllib.parse import quote

    from migrator import api

    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    data = tmp_path / "data dir"
    data.mkdir()
    database = data / "x.db"
    plan = write_plan("""
    migrator: 1
    name: demo
    phases:
      - id: p
        steps:
          - id: a
            sql: CREATE TABLE a (id INTEGER)
    """)
    assert api.apply(plan, f"sqlite:///file:{quote(str(database))}?uri=true").ok
    assert (data / "x.db.migrator-lock").exists()
    assert list(work.iterdir()) == []

    # mode=ro: the same lock as the plain URL's, so the two exclude each other.
    read_only, plain = _sqlite_engine(f"sqlite:///file:{database}?mode=ro&uri=true"), _sqlite_engine(f"sqlite:///{database}")
    dialect = get_dialect("sqlite")
    try:
        with read_only.connect() as first, plain.connect() as second:
            with acquire(first, dialect, timeout=0, purpose="apply"):
                with pytest.raises(LockHeld):
                    with acquire(second, dialect, timeout=0, purpose="apply"):
                        pass
    finally:
        read_only.dispose()
        plain.dispose()
    assert list(work.iterdir()) == []


def test_a_relative_sqlite_uri_filename_locks_beside_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    engine = _sqlite_engine("sqlite:///file:rel%20db.sqlite?uri=true")
    try:
        with engine.connect() as conn, acquire(conn, get_dialect("sqlite"), timeout=0):
            pass
    finally:
        engine.dispose()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rel db.sqlite", "rel db.sqlite.migrator-lock"]


def test_an_in_memory_sqlite_uri_takes_no_file_lock(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    dialect = get_dialect("sqlite")
    for url in ("sqlite:///file:memdb1?mode=memory&cache=shared&uri=true", "sqlite:///file::memory:?uri=true"):
        engine = _sqlite_engine(url)
        try:
            with engine.connect() as first, engine.connect() as second:
                with acquire(first, dialect, timeout=0), acquire(second, dialect, timeout=0):
                    pass  # private to this process: nobody to exclude, nothing to lock
        finally:
            engine.dispose()
    assert list(tmp_path.iterdir()) == []
