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


# --- SQLite: symlinks and read-only databases ------------------------------------------------


def test_a_symlink_to_the_sqlite_database_takes_the_same_lock_as_its_own_name(tmp_path, monkeypatch):
    # Two applies, one through a symlink, used to lock two different files and run the
    # same steps at once (a batch applied twice, a CREATE TABLE failing in the second).
    from migrator.engine.lock import file_lock

    (tmp_path / "data").mkdir()
    database = tmp_path / "data" / "x.db"
    database.write_bytes(b"")
    (tmp_path / "link.db").symlink_to(database)
    monkeypatch.chdir(tmp_path)
    with file_lock(str(database), 0, "apply"):
        with pytest.raises(LockHeld):
            with file_lock("link.db", 0, "apply"):
                pass
    assert not (tmp_path / "link.db.migrator-lock").exists()
    assert (tmp_path / "data" / "x.db.migrator-lock").exists()


def _without_file_permission_override() -> list[str]:
    """A command prefix under which the permission bits apply: nothing for an ordinary
    user; for root, setpriv without the capabilities that let it write anything."""
    import shutil

    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: file permissions cannot be enforced")
    caps = "-dac_override,-dac_read_search,-fowner"
    return [setpriv, f"--bounding-set={caps}", f"--inh-caps={caps}", "--"]


@pytest.mark.parametrize("read_only", ["file", "folder"])
def test_a_read_only_sqlite_database_is_one_line_exit_2_and_nothing_written(tmp_path, write_plan, read_only):
    import sqlite3
    import stat
    import subprocess
    import sys

    from migrator import api

    folder = tmp_path / "data"
    folder.mkdir()
    database = folder / "x.db"
    plan = write_plan("""
    migrator: 1
    name: demo
    phases:
      - id: p
        steps:
          - id: a
            sql: CREATE TABLE a (id INTEGER)
            rollback: DROP TABLE a
          - id: b
            sql: CREATE TABLE b (id INTEGER)
            rollback: DROP TABLE b
    """)
    url = f"sqlite:///{database}"
    assert api.apply(plan, url, steps=("a",)).ok
    before = database.read_bytes()
    if read_only == "file":
        database.chmod(0o444)
    else:
        folder.chmod(0o555)  # the lock file is there already; SQLite cannot create its rollback journal
    try:
        prefix = _without_file_permission_override()
        for args in (["apply", plan], ["rollback", plan, "--last", "1", "--yes"], ["resolve", plan, "b", "--applied"]):
            done = subprocess.run([*prefix, sys.executable, "-m", "migrator", "--database", url, *args],
                                  capture_output=True, text=True, timeout=60)
            assert done.returncode == 2, (args, done.stdout, done.stderr)
            lines = done.stderr.strip().splitlines()
            assert len(lines) == 1 and "is read-only" in lines[0] and "nothing was changed" in lines[0], done.stderr
            assert "Traceback" not in done.stderr
        # The read-only commands read it as ever.
        status = subprocess.run([*prefix, sys.executable, "-m", "migrator", "--database", url, "status", plan],
                                capture_output=True, text=True, timeout=60)
        assert status.returncode == 0 and "1 applied, 1 pending" in status.stdout, status.stdout + status.stderr
    finally:
        folder.chmod(stat.S_IRWXU)
        database.chmod(0o644)
    assert database.read_bytes() == before
    with sqlite3.connect(database) as conn:
        assert conn.execute("SELECT step, status FROM migrator_journal").fetchall() == [("a", "applied")]


def test_the_read_only_commands_name_a_sqlite_writer_after_a_short_wait_exit_3(tmp_path, write_plan, monkeypatch, capsys):
    # A step that writes a lot holds SQLite's exclusive lock until it commits, and nobody
    # can read the file meanwhile. plan/status/verify used to wait 30 s (status twice that)
    # and then fail with "database error ...: database is locked", exit 1.
    import sqlite3
    from contextlib import nullcontext

    import migrator.driver
    import migrator.engine.shortcut
    from migrator import api
    from migrator.cli import main
    from migrator.engine.lock import file_lock
    from migrator.errors import DatabaseBusy

    monkeypatch.setattr(migrator.driver, "SQLITE_READ_BUSY_TIMEOUT", 0.2)
    monkeypatch.setattr(migrator.engine.shortcut, "SQLITE_READ_BUSY_TIMEOUT", 0.2)
    database = tmp_path / "x.db"
    url = f"sqlite:///{database}"
    plan = write_plan("""
    migrator: 1
    name: demo
    phases:
      - id: p
        steps:
          - id: a
            sql: CREATE TABLE a (id INTEGER)
            verify:
              - table_exists: a
    """)
    assert api.apply(plan, url).ok
    for holder, locked in (("another connection (not a migrator run)", False), ("migrator apply by ", True)):
        with file_lock(str(database), 0, "apply") if locked else nullcontext():
            writer = sqlite3.connect(database, isolation_level=None)
            writer.execute("BEGIN EXCLUSIVE")
            try:
                for command in (api.status, api.plan, api.verify):
                    start = time.monotonic()
                    with pytest.raises(DatabaseBusy) as e:
                        command(plan, url)
                    assert time.monotonic() - start < 3
                    assert e.value.exit_code == 3 and e.value.holder.startswith(holder), (command, str(e.value))
                    assert str(e.value).startswith(f"cannot read {url} now: {holder}")
                if not locked:
                    assert main(["--database", url, "status", plan]) == 3
                    err = capsys.readouterr().err
                    assert err.count("\n") == 1 and err.startswith(f"migrator: cannot read {url} now: another connection")
            finally:
                writer.execute("ROLLBACK")
                writer.close()
    assert api.status(plan, url).ok


def test_plan_status_and_verify_read_without_the_migration_lock(db_url, db_engine, write_plan, capsys):
    # Spec section 11: the lock is taken by apply, rollback, resolve and test; plan, status
    # and verify read without it, so they answer at once while an apply holds it.
    from migrator import api
    from migrator.cli import main

    plan = write_plan("""
    migrator: 1
    name: demo
    phases:
      - id: p
        steps:
          - id: a
            sql: CREATE TABLE a (id INTEGER)
            verify:
              - table_exists: a
          - id: b
            sql: CREATE TABLE b (id INTEGER)
    """)
    assert api.apply(plan, db_url, steps=["a"]).ok
    with db_engine.connect() as holder, acquire(holder, get_dialect(engine_dialect(db_engine)), timeout=1, purpose="apply"):
        start = time.monotonic()
        assert [(s.step, s.verdict) for s in api.plan(plan, db_url).steps] == [("a", "applied"), ("b", "run")]
        assert [(s.step, s.state) for s in api.status(plan, db_url).steps] == [("a", "applied"), ("b", "pending")]
        assert api.verify(plan, db_url).ok
        for command in ("plan", "status", "verify"):
            assert main([command, plan, "--database", db_url]) == 0, command
        assert time.monotonic() - start < 5
        with pytest.raises(LockHeld):
            api.apply(plan, db_url, lock_timeout=0)
    capsys.readouterr()


def test_the_writing_commands_wait_30_seconds_by_default_and_lock_timeout_takes_seconds(sqlite_url, write_plan,
                                                                                          monkeypatch, capsys):
    # Spec sections 4 and 11: a second run waits up to --lock-timeout (default 30 s);
    # apply, rollback, resolve and test take the lock.
    from contextlib import contextmanager

    import migrator.engine.lock
    from migrator.cli import main

    taken = []
    real = migrator.engine.lock.acquire

    @contextmanager
    def spy(conn, dialect, timeout, **kw):
        if kw.get("writes", True):  # not the no-op apply's read-only probe (migrator.engine.shortcut)
            taken.append((kw.get("purpose"), timeout))
        with real(conn, dialect, timeout, **kw):
            yield

    monkeypatch.setattr(migrator.engine.lock, "acquire", spy)
    plan = write_plan("""
    migrator: 1
    name: demo
    phases:
      - id: p
        steps:
          - id: a
            sql: CREATE TABLE a (id INTEGER)
            rollback: DROP TABLE a
    """)
    for extra in ([], ["--lock-timeout", "2.5"]):
        taken.clear()
        assert main(["apply", plan, "-d", sqlite_url, *extra]) == 0
        assert main(["rollback", plan, "-d", sqlite_url, "--last", "1", "--yes", *extra]) == 0
        assert main(["resolve", plan, "a", "--pending", "-d", sqlite_url, *extra]) == 0
        assert main(["test", plan, *extra]) == 0
        timeout = float(extra[1]) if extra else 30.0
        assert taken == [("apply", timeout), ("rollback", timeout), ("resolve", timeout), ("test", timeout)]
    capsys.readouterr()
