"""The journal table: created on first use, read in one query, read-only when absent."""
from __future__ import annotations

import pytest

from datetime import datetime

import sqlalchemy as sa

from migrator.dialects import get_dialect
from migrator.engine.journal import SCHEMA_VERSION, Journal, Row, now
from migrator.errors import JournalTooNew

COLUMNS = [
    "id", "plan", "phase", "step", "checksum", "status", "started_at", "finished_at", "duration_ms",
    "rows_affected", "statements_done", "batches_done", "run_by", "host", "tool_version", "message",
]


def _dialect(engine):
    return get_dialect(engine.dialect.name)


def test_reading_a_database_without_a_journal_creates_nothing(db_engine):
    with db_engine.connect() as conn:
        state = Journal().read_state(conn, _dialect(db_engine), "demo")
        conn.rollback()
    assert (state.entries, state.exists) == ({}, False)
    assert sa.inspect(db_engine).get_table_names() == []


def test_the_journal_has_the_documented_columns_and_a_schema_version(db_engine):
    with db_engine.connect() as conn:
        Journal().ensure_table(conn, _dialect(db_engine))
        Journal().ensure_table(conn, _dialect(db_engine))  # a second call changes nothing
    insp = sa.inspect(db_engine)
    assert [c["name"] for c in insp.get_columns("migrator_journal")] == COLUMNS
    with db_engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT name, value FROM migrator_journal_meta").all() == [("schema_version", str(SCHEMA_VERSION))]


@pytest.mark.parametrize("dropped", ["migrator_journal", "migrator_journal_meta"])
def test_either_journal_table_dropped_by_hand_is_created_again(db_engine, dropped):
    with db_engine.connect() as conn:
        Journal().ensure_table(conn, _dialect(db_engine))
        with conn.begin():
            conn.exec_driver_sql(f"DROP TABLE {dropped}")
        Journal().ensure_table(conn, _dialect(db_engine))
    assert {"migrator_journal", "migrator_journal_meta"} <= set(sa.inspect(db_engine).get_table_names())
    with db_engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT name, value FROM migrator_journal_meta").all() == [("schema_version", str(SCHEMA_VERSION))]


def test_the_state_of_a_step_is_its_latest_row(db_engine):
    j = Journal()
    t0 = now()
    with db_engine.connect() as conn:
        j.ensure_table(conn, _dialect(db_engine))
        with conn.begin():
            j.insert(conn, Row("demo", "p", "a", "c1", "failed", t0, now(), message="boom"))
            j.insert(conn, Row("demo", "p", "a", "c1", "applied", t0, now(), rows_affected=3))
            j.insert(conn, Row("demo", "p", "b", "c2", "running", t0, statements_done=1))
            j.insert(conn, Row("other", "p", "a", "zz", "failed", t0, now()))
        state = j.read_state(conn, _dialect(db_engine), "demo")
    assert {k: (e.status, e.checksum) for k, e in state.entries.items()} == {"a": ("applied", "c1"), "b": ("running", "c2")}
    a = state.get("a")
    assert a.rows_affected == 3 and a.tool_version and a.run_by and a.host and a.duration_ms >= 0
    assert state.get("b").statements_done == 1 and state.get("b").finished_at is None
    # Read with driver-level SQL, timestamps are still datetimes on every database.
    assert isinstance(a.started_at, datetime) and isinstance(a.finished_at, datetime)
    assert abs((a.started_at - t0).total_seconds()) < 1


def test_a_journal_table_name_that_needs_quoting_is_read_and_written(db_engine):
    j = Journal("MigratorJournal")  # mixed case: folded to lower case on PostgreSQL unless quoted
    with db_engine.connect() as conn:
        j.ensure_table(conn, _dialect(db_engine))
        with conn.begin():
            j.insert(conn, Row("demo", "p", "a", "c1", "applied", now(), now()))
        state = j.read_state(conn, _dialect(db_engine), "demo")
        assert j.read_version(conn, _dialect(db_engine)) == str(SCHEMA_VERSION)
    assert state.get("a").status == "applied"


def test_a_journal_from_a_newer_migrator_is_refused(db_engine):
    with db_engine.connect() as conn:
        Journal().ensure_table(conn, _dialect(db_engine))
        with conn.begin():
            conn.exec_driver_sql("UPDATE migrator_journal_meta SET value = '99'")
        for use in (lambda: Journal().ensure_table(conn, _dialect(db_engine)),  # apply, rollback, resolve
                    lambda: Journal().read_state(conn, _dialect(db_engine), "demo")):  # plan, status, verify
            with pytest.raises(JournalTooNew) as e:
                use()
            conn.rollback()
            assert e.value.exit_code == 2
            assert str(e.value).startswith(
                "the journal table migrator_journal has schema version 99, newer than this migrator")


def test_times_are_utc_whatever_the_local_time_zone_and_check_steps_are_journaled(db_url, tmp_path, monkeypatch):
    # Spec section 4: started_at and finished_at are UTC; skipped steps and passing check
    # steps are journaled too (skipped, applied), so the trail is complete.
    import time
    from datetime import timedelta, timezone

    from migrator import api
    from tests.dbutil import run_sql

    plan = tmp_path / "plan.yaml"
    plan.write_text(
        "migrator: 1\nname: demo\nphases:\n  - id: p\n    steps:\n"
        "      - id: make\n        sql: CREATE TABLE t (id INTEGER)\n"
        "      - id: check\n        verify:\n          - table_exists: t\n"
        "      - id: later\n        preconditions:\n          - table_exists: nowhere\n            on_fail: skip\n"
        "        sql: CREATE TABLE u (id INTEGER)\n")
    monkeypatch.setenv("TZ", "Asia/Kathmandu")  # UTC+05:45: no whole-hour coincidence
    time.tzset()
    try:
        before = datetime.now(timezone.utc).replace(tzinfo=None)
        assert api.apply(str(plan), db_url).ok
        after = datetime.now(timezone.utc).replace(tzinfo=None)
    finally:
        monkeypatch.undo()
        time.tzset()
    rows = run_sql(db_url, "SELECT step, status, started_at, finished_at FROM migrator_journal ORDER BY id")
    assert [r[:2] for r in rows] == [("make", "applied"), ("check", "applied"), ("later", "skipped")]
    for _, _, started, finished in rows:
        if isinstance(started, str):  # SQLite hands back text
            started, finished = datetime.fromisoformat(started), datetime.fromisoformat(finished)
        # A second of slack for the column's precision; a local time would be 5h45m off.
        assert before - timedelta(seconds=1) <= started <= finished <= after + timedelta(seconds=1), (started, finished)
