"""What the schema checks find on PostgreSQL and MariaDB: views, temporary tables, the
search path, invalid indexes, and names that are reserved words, hold quotes,
semicolons, dashes, spaces or unicode (quoted by the tool, never pasted into SQL)."""
from __future__ import annotations

import json

import pytest

from migrator.checks import CheckContext, evaluate_all
from migrator.db import create_engine
from tests.checks.helpers import check, quoter, spec
from tests.cli.clirun import run, write_plan_file
from tests.dbutil import run_sql


def _run(conn, *specs):
    ctx = CheckContext.create(conn)
    return [(r.held, r.detail) for r in evaluate_all(list(specs), ctx)]


VARCHAR20 = {"sqlite": "VARCHAR(20)", "postgresql": "character varying(20)", "mysql": "varchar(20)"}


def test_table_exists_is_false_for_a_view_which_the_other_checks_still_read(db_engine, db_dialect):
    """As Liquibase's tableExists: a view is not a table, and the detail says what it is."""
    with db_engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE people (id INTEGER PRIMARY KEY, name VARCHAR(20))")
        conn.exec_driver_sql("INSERT INTO people VALUES (1, 'a'), (2, 'b')")
        conn.exec_driver_sql("CREATE VIEW active_people AS SELECT id, name FROM people")
    assert check(
        db_engine,
        spec("table_exists", "active_people"),
        spec("not", spec("table_exists", "active_people")),
        spec("column_exists", {"table": "active_people", "column": "name", "type": "text"}),
        spec("row_count", {"table": "active_people", "expect": 2}),
        spec("table_exists", "people"),
    ) == [
        (False, "table active_people does not exist: active_people is a view"),
        (True, "the check did not hold: table active_people does not exist: active_people is a view"),
        (True, f"column active_people.name exists ({VARCHAR20[db_dialect]}, nullable)"),
        (True, "got 2 rows in active_people (expected 2)"),
        (True, "table people exists"),
    ]


def test_a_temporary_table_is_found_as_the_sessions_sql_finds_it(db_engine, db_dialect):
    """PostgreSQL and SQLite look in the session's temporary schema first; MySQL's
    information_schema does not list temporary tables (documented)."""
    with db_engine.connect() as conn, conn.begin():
        conn.exec_driver_sql("CREATE TABLE scratch (id INTEGER PRIMARY KEY)")
        conn.exec_driver_sql("INSERT INTO scratch VALUES (1)")
        if db_dialect == "mysql":
            return
        conn.exec_driver_sql("CREATE TEMPORARY TABLE scratch (id INTEGER PRIMARY KEY, note VARCHAR(20))")
        conn.exec_driver_sql("CREATE TEMPORARY TABLE only_temp (id INTEGER)")
        assert _run(
            conn,
            spec("table_exists", "only_temp"),
            spec("column_exists", {"table": "scratch", "column": "note"}),
            spec("row_count", {"table": "scratch", "expect": 0}),  # the temporary one, as SELECT reads it
        ) == [
            (True, "table only_temp exists"),
            (True, f"column scratch.note exists ({VARCHAR20[db_dialect]}, nullable)"),
            (True, "got 0 rows in scratch (expected 0)"),
        ]


def test_unqualified_names_follow_the_postgresql_search_path(pg_url):
    engine = create_engine(pg_url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE SCHEMA app")
            conn.exec_driver_sql("CREATE TABLE app.items (id int PRIMARY KEY)")
            conn.exec_driver_sql("CREATE TABLE app.users (id int PRIMARY KEY, app_only int)")
            conn.exec_driver_sql("CREATE TABLE public.users (id int PRIMARY KEY)")
            conn.exec_driver_sql("INSERT INTO app.items VALUES (1)")
        with engine.connect() as conn, conn.begin():
            conn.exec_driver_sql("SET LOCAL search_path = public, app")
            assert _run(
                conn,
                spec("table_exists", "items"),
                spec("row_count", {"table": "items", "expect": 1}),
                spec("column_exists", {"table": "users", "column": "app_only"}),  # public.users comes first
                spec("column_exists", {"table": "app.users", "column": "app_only"}),
            ) == [
                (True, "table items exists"),
                (True, "got 1 row in items (expected 1)"),
                (False, "column users.app_only does not exist; found: id"),
                (True, "column app.users.app_only exists (integer, nullable)"),
            ]
        # The default search_path is "$user", public: a schema named after the user comes
        # first (current_schema()), and tables in public are still found.
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE SCHEMA " + quoter(engine)(conn.exec_driver_sql("SELECT current_user").scalar()))
        assert check(engine, spec("table_exists", "users"), spec("table_exists", "items")) == [
            (True, "table users exists"),
            (False, "table items does not exist"),
        ]
    finally:
        engine.dispose()


def test_an_invalid_postgresql_index_does_not_count(pg_url):
    """A failed CREATE INDEX CONCURRENTLY leaves an INVALID index that no query uses."""
    run_sql(pg_url, "CREATE TABLE dup (v int)")
    run_sql(pg_url, "INSERT INTO dup VALUES (1), (1)")
    engine = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn, pytest.raises(Exception, match="could not create unique index"):
            conn.exec_driver_sql("CREATE UNIQUE INDEX CONCURRENTLY ux_dup ON dup (v)")
        assert check(
            engine,
            spec("index_exists", {"table": "dup", "columns": "v"}),
            spec("index_exists", {"table": "dup", "name": "ux_dup"}),
        ) == [
            (False, "index on dup(v) missing; found: ux_dup(v) unique INVALID"),
            (False, "index ux_dup on dup missing; found: ux_dup(v) unique INVALID"),
        ]
    finally:
        engine.dispose()


#: Names a plan may hold: reserved words, quotes, a semicolon, a comment, spaces, unicode.
ODD = ["order", "user", "it's", "a;b", "c--d", "my col", "naïve", "x'); DROP TABLE keep; --"]


def test_odd_names_are_quoted_by_the_tool_through_the_cli(db_engine, db_url, tmp_path, capsys):
    q = quoter(db_engine)
    cols = ", ".join(f"{q(c)} INTEGER" for c in ODD[1:])
    run_sql(db_url, "CREATE TABLE keep (id INTEGER PRIMARY KEY)")
    run_sql(db_url, f"CREATE TABLE {q('order')} (id INTEGER PRIMARY KEY, {cols})")
    run_sql(db_url, f"CREATE TABLE {q('group by')} (id INTEGER PRIMARY KEY, {q('user')} INTEGER)")
    run_sql(db_url, f"INSERT INTO {q('order')} VALUES (1, {', '.join('1' for _ in ODD[1:])})")
    run_sql(db_url, f"INSERT INTO {q('group by')} VALUES (1, 1)")
    verify = [{"table_exists": "order"}, {"table_exists": "group by"}, {"row_count": {"table": "group by", "expect": 1}}]
    for column in ODD[1:]:
        verify.append({"column_exists": {"table": "order", "column": column, "type": "integer"}})
        verify.append({"no_orphans": {"table": "order", "columns": column, "references": {"table": "group by", "columns": ["user"]}}})
    verify.append({"index_exists": {"table": "order", "columns": "id", "unique": True}})
    verify.append({"not": {"table_exists": ODD[-1]}})
    plan = {"migrator": 1, "name": "odd", "phases": [{"id": "p", "steps": [{"id": "s", "verify": verify}]}]}
    code, out, err = run(capsys, "--database", db_url, "apply", write_plan_file(tmp_path, json.dumps(plan)), "--format", "json")
    assert (code, err) == (0, ""), out
    results = json.loads(out)["phases"][0]["steps"][0]["verify"]
    assert [r["held"] for r in results] == [True] * len(verify)
    assert run_sql(db_url, "SELECT count(*) FROM keep") == [(0,)]
