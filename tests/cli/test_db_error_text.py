"""How a database's error reads on the command line and in the journal, per driver."""
from __future__ import annotations

import textwrap

import sqlalchemy as sa

from tests.cli.clirun import run, write_plan_file
from tests.dbutil import run_sql

PLAN = textwrap.dedent(
    """\
    migrator: 1
    name: errs
    phases:
      - id: p
        steps:
          - id: make
            sql: CREATE TABLE users (id INTEGER)
          - id: again
            sql: CREATE TABLE users (id INTEGER)
          - id: look
            preconditions:
              - query: SELECT count(*) FROM ghosts
                expect: 0
    """
)

# The server's message first; MySQL's code after it, as the mysql client shows it.
TABLE_EXISTS = {
    "sqlite": "table users already exists",
    "postgresql": 'relation "users" already exists',
    "mysql": "Table 'users' already exists (MySQL error 1050)",
}
NO_TABLE = {
    "sqlite": "no such table: ghosts",
    "postgresql": 'relation "ghosts" does not exist',
    "mysql": "Table '{db}.ghosts' doesn't exist (MySQL error 1146)",
}


def test_a_failed_step_and_a_broken_check_show_the_servers_message(db_url, db_dialect, tmp_path, capsys):
    plan = write_plan_file(tmp_path, PLAN)
    code, out, _ = run(capsys, "apply", plan, "--database", db_url)
    exists = TABLE_EXISTS[db_dialect]
    assert code == 1
    # What follows the message (statement 1 of 1 ...) differs by whether DDL is transactional.
    assert f"\n    error: {exists} (statement 1 of 1" in out or f"\n    error: {exists}; failed at statement 1" in out
    assert f"\nstep again failed: {exists}" in out

    code, out, _ = run(capsys, "apply", plan, "--database", db_url, "--skip", "again")
    missing = NO_TABLE[db_dialect].format(db=sa.engine.make_url(db_url).database)
    assert code == 1
    assert f"step look failed: precondition query: SELECT count(*) FROM ghosts failed: the check's SQL failed: {missing}\n" in out

    messages = run_sql(db_url, "SELECT message FROM migrator_journal WHERE status = 'failed' ORDER BY id")
    assert [m.split(";")[0].split(" (statement")[0] for (m,) in messages] == [
        exists,
        f"precondition query: SELECT count(*) FROM ghosts failed: the check's SQL failed: {missing}",
    ]


def test_a_mysql_connection_error_reads_message_then_code(mysql_url, tmp_path, capsys):
    plan = write_plan_file(tmp_path, PLAN)
    url = sa.engine.make_url(mysql_url).set(database="migrator_no_such_db")
    code, out, err = run(capsys, "status", plan, "--database", url.render_as_string(hide_password=False))
    assert (code, out) == (2, "")
    assert err == (f"migrator: cannot connect to {url.set(drivername='mysql+pymysql').render_as_string()}: "
                   "Unknown database 'migrator_no_such_db' (MySQL error 1049)\n")
