"""Error texts a person reads, pinned in full."""
from __future__ import annotations

from migrator.errors import Issue, LockHeld, Location, PlanInvalid


def test_lock_held_names_the_holder_and_the_way_out():
    error = LockHeld(holder="migrator apply by ann@db1 pid 4121 since 12:03 UTC", waited=30.0)
    assert (error.exit_code, error.holder) == (3, "migrator apply by ann@db1 pid 4121 since 12:03 UTC")
    assert str(error) == (
        "database locked by migrator apply by ann@db1 pid 4121 since 12:03 UTC; waited 30s "
        "(the lock ends with that process's database session, "
        "so a dead process cannot leave it stuck; retry later or raise --lock-timeout)"
    )
    # SQLite's lock is a file lock: the OS lets go of it when the process exits.
    assert "(the lock ends when that process exits, so a dead process" in str(LockHeld("pid 7", 1.0, kind="file"))


def test_plan_invalid_lists_issues_in_file_order_with_a_cap():
    issues = [Issue(Location("p.yaml", line, 1), f"phases[{line}]", "bad") for line in range(60, 0, -1)]
    lines = str(PlanInvalid(issues)).splitlines()
    assert lines[0] == "p.yaml:1:1: phases[1]: bad"
    assert lines[49] == "p.yaml:50:1: phases[50]: bad"
    assert lines[50:] == ["... and 10 more"]


def test_a_driver_error_is_one_line_with_mysqls_code_after_its_message():
    import sqlite3

    import psycopg
    import pymysql
    import sqlalchemy as sa

    from migrator.urls import first_line

    missing = pymysql.err.ProgrammingError(1146, "Table 'test.x' doesn't exist")
    assert first_line(missing) == "Table 'test.x' doesn't exist (MySQL error 1146)"
    # Wrapped by SQLAlchemy, the driver's error is what is shown (no [SQL: ...], no link).
    assert first_line(sa.exc.ProgrammingError("SELECT 1 FROM x", {}, missing)) == (
        "Table 'test.x' doesn't exist (MySQL error 1146)")
    assert first_line(pymysql.err.OperationalError(2003, "Can't connect to MySQL server on 'h'\n(timed out)")) == (
        "Can't connect to MySQL server on 'h' (MySQL error 2003)")
    assert first_line(pymysql.err.InterfaceError(0, "")) == "InterfaceError"
    # The other drivers' text is theirs, first line only.
    assert first_line(psycopg.errors.UndefinedTable('relation "x" does not exist\nLINE 1: SELECT 1 FROM x')) == (
        'relation "x" does not exist')
    assert first_line(sqlite3.OperationalError("no such table: x")) == "no such table: x"
    # (errno, text) is PyMySQL's shape too, but an OSError says it well already.
    assert first_line(ConnectionRefusedError(111, "Connection refused")) == "[Errno 111] Connection refused"
    assert first_line(RuntimeError("")) == "RuntimeError"


def test_sqlalchemys_own_error_loses_its_background_link_on_the_same_line():
    import sqlalchemy as sa

    from migrator.urls import first_line

    error = sa.exc.InvalidRequestError("This connection is closed")
    error.code = "e3q8"
    assert "(Background on this error" in str(error)
    assert first_line(error) == "This connection is closed"
