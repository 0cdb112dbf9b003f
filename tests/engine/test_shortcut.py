"""The no-op re-apply through the driver alone (migrator.engine.shortcut).

It must give exactly the report the full (SQLAlchemy) path gives on every database, step back
whenever there is anything to do or anyone else holds the lock, and never load
SQLAlchemy when it answers.
"""
from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from migrator import api, driver
from migrator.db import create_engine, mask, parse_url
from migrator.engine.journal import Journal
from migrator.engine.planner import Selection, decide
from migrator.engine.runner import Runner
from migrator.engine.outcomes import status_report
from migrator.engine.shortcut import driver_status, settled_apply
from migrator.errors import DatabaseUnavailable

PLAN = """\
migrator: 1
name: shortcut
phases:
  - id: schema
    steps:
      - id: create-a
        sql: CREATE TABLE a (id INTEGER PRIMARY KEY)
      - id: create-b
        sql: CREATE TABLE b (id INTEGER PRIMARY KEY)
      - id: only-on-postgres
        when: {dialect: postgresql}
        sql: CREATE TABLE pg_only (id INTEGER PRIMARY KEY)
"""


def _full_report(url, plan, selection=None):
    """What apply reports the full way: lock, journal, planner and Runner over SQLAlchemy."""
    journal = Journal()
    with api._locked_journal(url, plan, journal, 5, "apply") as (db, state):
        xp = decide(plan, state, db.dialect.name, selection or Selection())
        report = Runner(xp, db.conn, db.dialect, journal, state).run()
    return replace(report, database=db.shown)




def test_the_driver_path_reports_exactly_what_the_full_path_reports(db_url, write_plan):
    path = write_plan(PLAN)
    assert api.apply(path, db_url).ok
    plan = api.load(path)
    fast = settled_apply(plan, db_url, Journal())
    assert fast is not None and fast.status == "ok"
    assert {s.outcome for s in fast.steps} >= {"already_applied"}
    assert fast == _full_report(db_url, plan)

    selection = Selection(steps=("create-b",))
    assert settled_apply(plan, db_url, Journal(), selection) == _full_report(db_url, plan, selection)


def test_drift_is_reported_the_same_way_and_nothing_runs(db_url, write_plan):
    path = write_plan(PLAN)
    assert api.apply(path, db_url).ok
    Path(path).write_text(PLAN.replace("b (id INTEGER PRIMARY KEY)", "b (id INTEGER PRIMARY KEY, x INTEGER)"))
    plan = api.load(path)
    fast = settled_apply(plan, db_url, Journal())
    assert fast is not None and fast.status == "drift"
    assert fast == _full_report(db_url, plan)


def _full_status(url, plan, selection=None):
    journal = Journal()
    with api._Database(url) as db:
        state = journal.read_state(db.conn, db.dialect, plan.name)
        db.conn.rollback()
    return replace(status_report(plan, state, db.dialect.name, selection or Selection()), database=db.shown)


def test_status_through_the_driver_is_the_full_path_s_status(db_url, write_plan):
    path = write_plan(PLAN)
    before = driver_status(api.load(path), db_url, Journal())
    # No journal yet: the full way says so on a server; a SQLite file not created yet says it here.
    assert before is None if not db_url.startswith("sqlite") else [s.state for s in before.steps] == [
        "pending", "pending", "not_applicable"]
    assert api.apply(path, db_url).ok
    more = write_plan(PLAN + "      - id: create-c\n        sql: CREATE TABLE c (id INTEGER PRIMARY KEY)\n")
    Path(more).write_text(Path(more).read_text().replace(
        "CREATE TABLE a (id INTEGER PRIMARY KEY)", "CREATE TABLE a (id INTEGER PRIMARY KEY, y INTEGER)"))
    plan = api.load(more)  # a pending step and a drifted one
    fast = driver_status(plan, db_url, Journal())
    assert fast is not None and fast.status == "drift"
    assert {s.step: s.state for s in fast.steps}["create-c"] == "pending"
    assert fast == _full_status(db_url, plan)

    # A selection without the drifted step: the same report either way, and no drift in it.
    selection = Selection(skips=("create-a",))
    fast = driver_status(plan, db_url, Journal(), selection)
    assert fast is not None and fast.status == "ok" and fast.message is None
    assert [s.step for s in fast.steps] == ["create-b", "only-on-postgres", "create-c"]
    assert fast == _full_status(db_url, plan, selection)
    assert fast == api.status(more, db_url, skips=("create-a",))


def test_anything_to_do_goes_the_full_way(db_url, write_plan):
    path = write_plan(PLAN)
    assert settled_apply(api.load(path), db_url, Journal()) is None  # no journal yet
    assert api.apply(path, db_url).ok
    more = write_plan(PLAN + "      - id: create-c\n        sql: CREATE TABLE c (id INTEGER PRIMARY KEY)\n")
    assert settled_apply(api.load(more), db_url, Journal()) is None
    report = api.apply(more, db_url)
    assert report.ok and report.steps[-1].outcome == "applied"


def test_a_held_lock_sends_the_run_the_full_way(db_url, write_plan):
    from migrator.dialects import get_dialect
    from migrator.engine.lock import acquire

    path = write_plan(PLAN)
    assert api.apply(path, db_url).ok
    engine = create_engine(db_url)
    try:
        with engine.connect() as other, acquire(other, get_dialect(engine.dialect.name), 1, purpose="apply"):
            assert settled_apply(api.load(path), db_url, Journal()) is None
    finally:
        engine.dispose()
    assert settled_apply(api.load(path), db_url, Journal()) is not None  # released: answered again


def test_a_connection_lost_midway_sends_the_run_the_full_way(pg_url, write_plan, monkeypatch):
    import psycopg

    from migrator.dialects.postgresql import PostgresqlDialect

    path = write_plan(PLAN)
    assert api.apply(path, pg_url).ok

    def lost(self, conn, *args):
        raise psycopg.OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(PostgresqlDialect, "try_lock", lost)
    assert settled_apply(api.load(path), pg_url, Journal()) is None
    monkeypatch.undo()

    # Lost only while letting go of the lock: the answer read under it stands, and the
    # server dropped the session's lock with the session (as on the full path).
    monkeypatch.setattr(PostgresqlDialect, "release_lock", lost)
    report = settled_apply(api.load(path), pg_url, Journal())
    assert report is not None and report.ok


def test_a_missing_sqlite_file_is_not_created(tmp_path, write_plan):
    target = tmp_path / "none.sqlite"
    assert settled_apply(api.load(write_plan(PLAN)), f"sqlite:///{target}", Journal()) is None
    assert not target.exists()
    report = api.status(write_plan(PLAN), f"sqlite:///{target}")  # read-only: says pending, creates nothing
    assert [s.state for s in report.steps] == ["pending", "pending", "not_applicable"] and report.status == "ok"
    assert not target.exists()


@pytest.mark.parametrize("command", [["apply"], ["status"], ["status", "--step", "create-b"]])
def test_a_no_op_apply_and_status_never_import_sqlalchemy(command, db_url, write_plan):
    url = db_url
    path = write_plan(PLAN)
    assert api.apply(path, url).ok
    code = (
        "import sys\n"
        "from migrator import cli\n"
        f"rc = cli.main([{command[0]!r}, {path!r}, *{command[1:]!r}, '--database', {url!r}])\n"
        "print(rc, 'sqlalchemy' in sys.modules)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "MIGRATOR_DATABASE_URL"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[-1] == "0 False"
    assert ("already applied" if command == ["apply"] else "applied") in out.stdout


@pytest.mark.parametrize("url", [
    "sqlite:///relative/file.db",
    "sqlite:////tmp/absolute.db",
    "sqlite+pysqlite:///with space.db",
    "postgresql://root@127.0.0.1:5432/test",
    "postgres://user:secret@db.example.com/app",
    "postgresql+psycopg://user:p:ss@host:6543/app_db",
    "postgresql://host.internal/app",
    "mysql://root@127.0.0.1:3306/test",
    "mariadb+pymysql://user:secret@db.example.com/app",
])
def test_urls_the_driver_path_takes_are_shown_and_connected_as_sqlalchemy_does(url):
    target = driver.driver_target(url)
    assert target is not None
    parsed = parse_url(url)
    assert target.shown == mask(parsed)
    if target.dialect == "sqlite":
        assert target.database == parsed.database
    else:
        import sqlalchemy as sa

        _, kwargs = sa.create_engine(parsed).dialect.create_connect_args(parsed)
        kwargs.pop("context", None)
        assert target.connect_args == kwargs


@pytest.mark.parametrize("url", [
    "sqlite://",
    "sqlite:///:memory:",
    "sqlite:///file.db?timeout=5",
    "postgresql://user:p%40ss@host/app",
    "postgresql://user:p/ss@host/app",
    "postgresql://host/app?sslmode=require",
    "postgresql:///app",
    "postgresql+psycopg2://host/app",
    "mysql+psycopg://root@127.0.0.1:3306/test",
    "mysql+mysqldb://root@127.0.0.1:3306/test",
    "postgresql+pymysql://host/app",
])
def test_other_urls_go_the_sqlalchemy_way(url):
    assert driver.driver_target(url) is None


@pytest.mark.parametrize("url", ["postgresql://root@127.0.0.1:1/nowhere", "mysql://root@127.0.0.1:1/nowhere"])
def test_an_unreachable_server_gets_the_same_one_line_error_either_way(url, write_plan):
    with pytest.raises(DatabaseUnavailable) as fast:
        api.apply(write_plan(PLAN), url)
    with pytest.raises(DatabaseUnavailable) as full:
        create_engine(url)
    assert str(fast.value) == str(full.value)
    assert "\n" not in str(fast.value)
