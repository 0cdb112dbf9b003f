"""plan/apply/status/rollback/resolve on the command line: options, output, exit codes."""
from __future__ import annotations

import json
import textwrap

import pytest

from tests.cli.clirun import run, write_plan_file
from tests.dbutil import run_sql

PLAN = textwrap.dedent(
    """\
    migrator: 1
    name: demo
    phases:
      - id: schema
        preconditions:
          - dialect: [sqlite, postgresql, mysql]
        verify:
          - table_exists: b
        steps:
          - id: create-a
            sql: CREATE TABLE a (id INTEGER)
            rollback: DROP TABLE a
          - id: create-b
            tags: [later]
            sql: CREATE TABLE b (id INTEGER)
            rollback: DROP TABLE b
    """
)


@pytest.fixture
def plan_file(tmp_path):
    return write_plan_file(tmp_path, PLAN)


def test_plan_detailed_exitcode_is_4_with_pending_steps_and_0_after_apply(db_url, plan_file, capsys):
    code, out, _ = run(capsys, "--database", db_url, "plan", plan_file, "--detailed-exitcode")
    assert code == 4
    assert run(capsys, "--database", db_url, "plan", plan_file)[0] == 0
    assert run(capsys, "--database", db_url, "apply", plan_file)[0] == 0
    assert run(capsys, "--database", db_url, "plan", plan_file, "--detailed-exitcode")[0] == 0


def test_plan_offline_needs_no_database(plan_file, capsys):
    code, out, _ = run(capsys, "plan", plan_file, "--offline", "--dialect", "mysql", "--format", "json")
    doc = json.loads(out)
    assert code == 0 and doc["offline"] is True and doc["dialect"] == "mysql"
    assert [(s["step"], s["verdict"]) for p in doc["phases"] for s in p["steps"]] == [("create-a", "run"), ("create-b", "run")]


def test_plan_dialect_without_offline_is_a_usage_error_not_ignored(sqlite_url, plan_file, capsys):
    code, out, err = run(capsys, "--database", sqlite_url, "plan", plan_file, "--dialect", "mysql")
    assert (code, out) == (2, "")
    assert err == "migrator: --dialect mysql goes with --offline; with a database, plan uses the database's dialect\n"


def test_apply_json_and_status_json(db_url, plan_file, capsys):
    code, out, _ = run(capsys, "--database", db_url, "apply", plan_file, "--format", "json")
    doc = json.loads(out)
    assert code == 0 and doc["command"] == "apply" and doc["outcomes"] == {"applied": 2}
    assert [c["status"] for c in doc["phases"][0]["verify"]] == ["passed"]
    code, out, _ = run(capsys, "--database", db_url, "status", plan_file, "--format", "json")
    doc = json.loads(out)
    assert code == 0 and [(s["step"], s["state"]) for s in doc["phases"][0]["steps"]] == [
        ("create-a", "applied"), ("create-b", "applied")
    ]


def test_selection_by_tag_and_unknown_step_exit_2(sqlite_url, plan_file, capsys):
    code, out, _ = run(capsys, "--database", sqlite_url, "apply", plan_file, "--tag", "later", "--format", "json")
    doc = json.loads(out)
    assert code == 0
    assert [(s["step"], s["outcome"]) for s in doc["phases"][0]["steps"]] == [("create-a", "filtered"), ("create-b", "applied")]
    assert run(capsys, "--database", sqlite_url, "apply", plan_file, "--step", "nope") == (
        2, "", "migrator: --step nope: no such step in plan demo\n"
    )


def test_dry_run_changes_nothing(sqlite_url, plan_file, capsys):
    code, out, _ = run(capsys, "--database", sqlite_url, "apply", plan_file, "--dry-run", "--format", "json")
    assert code == 0 and json.loads(out)["command"] == "plan"
    code, out, _ = run(capsys, "--database", sqlite_url, "status", plan_file, "--format", "json")
    assert {s["state"] for s in json.loads(out)["phases"][0]["steps"]} == {"pending"}


def test_rollback_without_a_terminal_needs_yes_and_unknown_to_is_exit_2(sqlite_url, plan_file, capsys):
    run(capsys, "--database", sqlite_url, "apply", plan_file)
    assert run(capsys, "--database", sqlite_url, "rollback", plan_file, "--last", "1") == (
        2, "", "migrator: rollback needs --yes when it cannot ask (not a terminal)\n"
    )
    assert run(capsys, "--database", sqlite_url, "rollback", plan_file, "--to", "nope", "--yes")[0] == 2
    code, out, _ = run(capsys, "--database", sqlite_url, "rollback", plan_file, "--to", "create-a", "--yes")
    assert code == 0 and "  create-b: rolled back — rollback 1 of 1\n" in out and "create-a" not in out.split("Phase")[1]


def test_resolve_records_the_decision(sqlite_url, plan_file, capsys):
    assert run(capsys, "--database", sqlite_url, "resolve", plan_file, "create-a", "--applied") == (
        0, "step create-a recorded as applied\n", ""
    )
    assert run(capsys, "--database", sqlite_url, "resolve", plan_file, "create-a")[0] == 2
    # Both flags: refused (exit 2, nothing journaled), not "the last one wins".
    for both in (("--applied", "--pending"), ("--pending", "--applied")):
        assert run(capsys, "--database", sqlite_url, "resolve", plan_file, "create-a", *both) == (
            2, "", "migrator: resolve takes one of --applied or --pending, not both\n"
        )
    code, out, _ = run(capsys, "--database", sqlite_url, "apply", plan_file, "--format", "json")
    assert [s["outcome"] for s in json.loads(out)["phases"][0]["steps"]] == ["already_applied", "applied"]


def test_resolve_takes_yes_like_the_other_commands_that_write(sqlite_url, plan_file, capsys):
    """--yes is a shared option (spec section 5); resolve never asks, and accepts it."""
    assert run(capsys, "--database", sqlite_url, "resolve", plan_file, "create-b", "--pending", "--yes") == (
        0, "step create-b recorded as pending\n", ""
    )
    assert run(capsys, "--database", sqlite_url, "resolve", plan_file, "create-b", "--applied", "-y")[0] == 0


def test_a_permission_error_is_one_line_and_exit_1(pg_url, plan_file, capsys):
    import uuid

    import sqlalchemy as sa

    from migrator.db import create_engine

    role = f"nopriv_{uuid.uuid4().hex[:8]}"
    admin = create_engine(pg_url)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE ROLE {role} LOGIN")
        conn.exec_driver_sql("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    try:
        url = sa.engine.make_url(pg_url).set(username=role, password="secret-pw").render_as_string(hide_password=False)
        code, out, err = run(capsys, "--database", url, "apply", plan_file)
        assert code == 1 and out == ""
        shown = sa.engine.make_url(url).set(drivername="postgresql+psycopg").render_as_string(hide_password=True)
        assert err.strip().endswith(f"database error on {shown}: permission denied for schema public")
        assert len(err.strip().splitlines()) == 1 and "secret-pw" not in err
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP OWNED BY {role}")
            conn.exec_driver_sql(f"DROP ROLE {role}")
        admin.dispose()


def test_an_unwritable_report_path_is_refused_before_anything_runs(sqlite_url, plan_file, capsys, tmp_path):
    missing = tmp_path / "no" / "such" / "report.md"
    code, out, err = run(capsys, "apply", plan_file, "--database", sqlite_url, "--report", str(missing))
    assert (code, err) == (2, f"migrator: cannot write report {missing}: no such directory {missing.parent}\n")
    code, out, err = run(capsys, "status", plan_file, "--database", sqlite_url, "--format", "json")
    assert {s["state"] for p in json.loads(out)["phases"] for s in p["steps"]} == {"pending"}


def test_report_file_is_the_dated_summary(sqlite_url, plan_file, capsys, tmp_path):
    import datetime

    target = tmp_path / "report.md"
    code, _, _ = run(capsys, "apply", plan_file, "--database", sqlite_url, "--report", str(target))
    text = target.read_text()
    assert code == 0
    assert text.startswith("# Migration Summary: ")
    assert f"**Date:** {datetime.date.today().isoformat()}" in text
    assert "## Overview" in text and "## Next Steps" in text


def test_quiet_prints_only_errors_before_or_after_the_command(sqlite_url, plan_file, capsys):
    assert run(capsys, "-q", "apply", plan_file, "--database", sqlite_url) == (0, "", "")
    assert run(capsys, "status", plan_file, "--database", sqlite_url, "-q") == (0, "", "")
    code, out, _ = run(capsys, "status", plan_file, "--database", sqlite_url, "-q", "--format", "json")
    assert code == 0 and json.loads(out)["command"] == "status"


@pytest.mark.parametrize("command", ["plan", "verify", "status"])
def test_read_only_commands_do_not_create_a_missing_sqlite_file(capsys, plan_file, tmp_path, command):
    target = tmp_path / "not-yet.sqlite"
    code, out, err = run(capsys, command, plan_file, "--database", f"sqlite:///{target}", "--format", "json")
    assert not target.exists(), f"{command} created {target}"
    assert code == 0, err
    # Read as the empty database the file would be: nothing applied, the URL asked for shown.
    doc = json.loads(out)
    assert doc["database"] == f"sqlite:///{target}"
    assert [(s["step"], s["verdict"]) for p in doc["phases"] for s in p["steps"]] == [("create-a", "run"), ("create-b", "run")]
    # apply then creates it, as the embedded database always has been.
    assert run(capsys, "apply", plan_file, "--database", f"sqlite:///{target}")[0] == 0
    assert target.exists()


@pytest.mark.parametrize(("alias", "dialect"), [("mariadb", "mysql"), ("postgres", "postgresql")])
def test_plan_offline_takes_the_url_schemes_dialect_names_and_shows_migrators(plan_file, capsys, alias, dialect):
    code, out, _ = run(capsys, "plan", plan_file, "--offline", "--dialect", alias, "--format", "json")
    assert code == 0 and json.loads(out)["dialect"] == dialect
    code, out, _ = run(capsys, "plan", plan_file, "--offline", "--dialect", alias)
    assert code == 0 and out.splitlines()[0] == f"Plan demo ({plan_file}): offline, for {dialect}"
    code, _, err = run(capsys, "plan", plan_file, "--offline", "--dialect", "oracle")
    assert code == 2 and "'oracle' is not one of 'sqlite', 'postgresql', 'mysql' (see `migrator plan --help`)" in err


@pytest.mark.parametrize("command", [
    ["apply"], ["plan"], ["status"], ["verify"], ["rollback", "--last", "1", "--yes"],
    ["resolve", "create-a", "--applied"], ["inspect"],
])
def test_a_sqlite_url_naming_a_file_that_is_not_a_database_is_bad_input(tmp_path, plan_file, capsys, command):
    # SQLite opens any file; the first read says SQLITE_NOTADB. That is a wrong URL
    # (exit 2, like an unreachable server), and the file is left as it was.
    not_a_db = tmp_path / "notes.txt"
    not_a_db.write_text("hello\n")
    args = command[:1] + ([] if command == ["inspect"] else [plan_file]) + command[1:]
    code, out, err = run(capsys, "--database", f"sqlite:///{not_a_db}", *args)
    assert (code, out) == (2, "")
    assert err == f"migrator: cannot connect to sqlite:///{not_a_db}: file is not a database\n"
    assert not_a_db.read_text() == "hello\n"


@pytest.mark.parametrize("command", [
    ["apply"], ["plan"], ["status"], ["verify"], ["rollback", "--last", "1", "--yes"],
    ["resolve", "create-a", "--applied"], ["test"], ["inspect"],
])
@pytest.mark.parametrize("where", ["before", "after"])
def test_an_empty_database_url_is_refused_not_taken_for_the_default(tmp_path, plan_file, capsys, monkeypatch,
                                                                     command, where):
    """`--database "$PROD_URL"` with the variable unset must not apply to ./migrator.sqlite."""
    monkeypatch.chdir(tmp_path)
    args = command[:1] + ([] if command == ["inspect"] else [plan_file]) + command[1:]
    args = ["--database", "", *args] if where == "before" else [*args, "--database", ""]
    code, out, err = run(capsys, *args)
    assert (code, out) == (2, "")
    assert err.startswith("migrator: Invalid value for '--database' / '-d': the URL is empty (leave the option out "
                          "to use $MIGRATOR_DATABASE_URL or the default)")
    assert len(err.splitlines()) == 1
    assert not (tmp_path / "migrator.sqlite").exists()


DIALECT_PLAN = textwrap.dedent(
    """\
    migrator: 1
    name: schemes
    phases:
      - id: p
        steps:
          - id: only-mysql
            when: {dialect: mysql}
            sql: CREATE TABLE m (id INTEGER)
          - id: only-postgresql
            when: {dialect: [postgresql]}
            sql: CREATE TABLE g (id INTEGER)
          - id: check
            preconditions:
              - dialect: [mysql, postgresql]
            verify:
              - any: [{table_exists: m}, {table_exists: g}]
    """
)


@pytest.mark.parametrize(("scheme", "fixture", "runs"), [
    ("mariadb", "mysql_url", "only-mysql"), ("postgres", "pg_url", "only-postgresql"),
])
def test_the_hosting_url_schemes_connect_and_match_migrators_dialect_names(tmp_path, capsys, request, scheme,
                                                                           fixture, runs):
    # Spec sections 5 and 11: mariadb:// (PyMySQL) is the dialect mysql for `when` and
    # `dialect` checks; postgres:// (psycopg 3) is postgresql.
    url = request.getfixturevalue(fixture)
    url = scheme + url[url.index("://"):]
    plan = write_plan_file(tmp_path, DIALECT_PLAN)
    code, out, err = run(capsys, "--database", url, "apply", plan, "--format", "json")
    assert code == 0, out + err
    doc = json.loads(out)
    other = ({"only-mysql", "only-postgresql"} - {runs}).pop()
    assert {s["step"]: s["outcome"] for s in doc["phases"][0]["steps"]} == {
        runs: "applied", other: "not_applicable", "check": "applied"}
    assert doc["database"].startswith("mariadb+pymysql://" if scheme == "mariadb" else "postgresql+psycopg://")


def test_plan_offline_judges_for_postgresql_when_no_dialect_is_given(tmp_path, capsys):
    plan = write_plan_file(tmp_path, PLAN.replace("CREATE TABLE a (id INTEGER)", "CREATE INDEX ix_a ON a (id)"))
    code, out, _ = run(capsys, "plan", plan, "--offline", "--format", "json")
    doc = json.loads(out)
    assert (code, doc["dialect"]) == (0, "postgresql")
    assert "index-not-concurrent" in [f["rule"] for f in doc["phases"][0]["steps"][0]["findings"]]
    code, out, _ = run(capsys, "plan", plan, "--offline", "--dialect", "sqlite", "--format", "json")
    assert "index-not-concurrent" not in [f["rule"] for f in json.loads(out)["phases"][0]["steps"][0]["findings"]]


def test_database_beats_the_environment_which_beats_the_embedded_default(tmp_path, capsys, monkeypatch):
    # Spec section 5: --database, else MIGRATOR_DATABASE_URL, else sqlite:///migrator.sqlite
    # in the working directory.
    import sqlite3

    monkeypatch.chdir(tmp_path)
    plan_file = write_plan_file(tmp_path, PLAN.replace("    verify:\n      - table_exists: b\n", ""))
    from_env, from_option = tmp_path / "env.db", tmp_path / "option.db"
    monkeypatch.setenv("MIGRATOR_DATABASE_URL", f"sqlite:///{from_env}")
    assert run(capsys, "--database", f"sqlite:///{from_option}", "apply", plan_file, "--step", "create-a")[0] == 0
    assert run(capsys, "apply", plan_file, "--step", "create-b")[0] == 0
    monkeypatch.delenv("MIGRATOR_DATABASE_URL")
    assert run(capsys, "apply", plan_file)[0] == 0

    def steps(path):
        with sqlite3.connect(path) as conn:
            return [r[0] for r in conn.execute("SELECT step FROM migrator_journal ORDER BY id")]

    assert steps(from_option) == ["create-a"]
    assert steps(from_env) == ["create-b"]
    assert steps(tmp_path / "migrator.sqlite") == ["create-a", "create-b"]


@pytest.mark.parametrize("selection", [("--step", "create-a"), ("--skip", "create-b")])
def test_a_phase_verify_waits_for_the_steps_a_selection_left_out(db_url, plan_file, capsys, selection):
    """The phase is not done while create-b is left out: its verify (table b exists) is not
    evaluated yet, nothing fails and no phase row is journaled; it runs with create-b."""
    code, out, _ = run(capsys, "--database", db_url, "apply", plan_file, *selection, "--format", "json")
    assert code == 0
    (phase,) = json.loads(out)["phases"]
    assert [(c["held"], c["detail"]) for c in phase["verify"]] == [
        (None, "not evaluated: steps of phase schema not applied: create-b; it runs when they are")]
    assert run_sql(db_url, "SELECT step, status FROM migrator_journal ORDER BY id") == [("create-a", "applied")]
    code, out, _ = run(capsys, "--database", db_url, "apply", plan_file, "--format", "json")
    assert code == 0
    assert [c["held"] for c in json.loads(out)["phases"][0]["verify"]] == [True]


def test_a_step_left_out_by_the_selection_says_so_once(sqlite_url, plan_file, capsys):
    out = run(capsys, "--database", sqlite_url, "apply", plan_file, "--step", "create-a")[1]
    assert "  create-b: not selected — left out of this run by --phase/--step/--skip/--tag\n" in out
    out = run(capsys, "--database", sqlite_url, "apply", plan_file, "--step", "create-b")[1]
    assert "  create-a: not selected — already applied (left out of this run by --phase/--step/--skip/--tag)\n" in out
