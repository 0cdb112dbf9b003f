"""Steps that fail after MySQL/MariaDB committed their DDL (spec section 11): what the
journal and the messages say, and that `rollback` can undo such a step as its message offers."""
from __future__ import annotations

import sqlalchemy as sa

from migrator import api
from migrator.db import create_engine
from tests.dbutil import run_sql

VERIFY_FAILS = """
    migrator: 1
    name: demo
    phases:
      - id: p
        steps:
          - id: first
            sql: CREATE TABLE f1 (id INTEGER)
            rollback: DROP TABLE f1
          - id: make
            {idempotent}
            sql: |
              CREATE TABLE {ine} m1 (id INTEGER);
              CREATE TABLE {ine} m2 (id INTEGER);
            rollback: DROP TABLE m2; DROP TABLE m1
            verify:
              - row_count: {table: m1, expect: 1}
"""


def _plan(idempotent: bool = False) -> str:
    return (VERIFY_FAILS.replace("{idempotent}", "idempotent: true" if idempotent else "")
            .replace("{ine}", "IF NOT EXISTS" if idempotent else ""))


def _tables(url: str) -> set[str]:
    return set(sa.inspect(create_engine(url)).get_table_names())


def _states(url: str) -> list[tuple]:
    return [tuple(r) for r in run_sql(url, "SELECT step, status, statements_done FROM migrator_journal ORDER BY id")]


def test_mysql_rollback_undoes_a_step_whose_verify_failed_after_its_ddl_committed(mysql_url, write_plan):
    path = write_plan(_plan())
    report = api.apply(path, mysql_url)
    assert report.steps[1].outcome == "failed" and "or `migrator rollback` first" in report.steps[1].error
    assert {"m1", "m2"} <= _tables(mysql_url)  # committed, as the message says

    # The message offers `migrator rollback`: it must undo the step, not say "nothing to roll back".
    rolled = api.rollback(path, mysql_url, last=1, yes=True)
    assert rolled.status == "ok"
    assert [(s.step, s.outcome, s.statements_done) for s in rolled.steps] == [("make", "rolled_back", 2)]
    assert not {"m1", "m2"} & _tables(mysql_url) and "f1" in _tables(mysql_url)
    assert _states(mysql_url)[-1] == ("make", "rolled_back", 2)

    # Rolled back, it runs again from its first statement.
    again = api.apply(path, mysql_url)
    assert again.steps[1].verdict == "run" and again.steps[1].statements_done == 2


def test_mysql_rollback_to_an_earlier_step_includes_the_failed_step(mysql_url, write_plan):
    path = write_plan(_plan())
    api.apply(path, mysql_url)
    rolled = api.rollback(path, mysql_url, to="first", yes=True)
    assert [s.step for s in rolled.steps] == ["make"]
    assert _tables(mysql_url) & {"f1", "m1", "m2"} == {"f1"}


def test_rollback_reports_the_counts_of_the_rollback_not_of_the_apply(mysql_url, write_plan):
    # The step runs 2 statements and rows; its rollback 1 statement. "2/1 statements, 1 row"
    # came from showing the apply's journal counts against the rollback's statements.
    path = write_plan("""
        migrator: 1
        name: demo
        phases:
          - id: p
            steps:
              - id: make
                sql: CREATE TABLE r1 (id INTEGER); INSERT INTO r1 (id) VALUES (1)
                rollback: DROP TABLE r1
    """)
    assert api.apply(path, mysql_url).status == "ok"
    rolled = api.rollback(path, mysql_url, last=1, yes=True)
    assert [(s.step, s.statements_done, s.rows_affected) for s in rolled.steps] == [("make", 1, None)]


def test_mysql_an_idempotent_step_whose_verify_failed_says_it_runs_again_from_the_start(mysql_url, write_plan):
    path = write_plan(_plan(idempotent=True))
    report = api.apply(path, mysql_url)
    step = report.steps[1]
    assert "`migrator apply` runs it again from the start (it is idempotent)" in step.error
    assert "runs only its verify again" not in step.error
    # ... which is what the planner does.
    dry = api.plan(path, mysql_url)
    assert [(s.step, s.verdict) for s in dry.steps][1] == ("make", "run")


PYTHON_DDL = '''
from sqlalchemy import text


def ddl_then_fail(ctx):
    ctx.connection.execute(text("CREATE TABLE py1 (id INTEGER)"))
    ctx.connection.execute(text("INSERT INTO py1 (id) VALUES (1)"))
    raise RuntimeError("boom")


def ddl_then_verify(ctx):
    ctx.connection.execute(text("CREATE TABLE py2 (id INTEGER)"))
    ctx.connection.execute(text("INSERT INTO py2 (id) VALUES (1)"))


def dml_then_fail(ctx):
    ctx.connection.execute(text("INSERT INTO base (id) VALUES (1)"))
    raise RuntimeError("boom")
'''


def _python_plan(write_plan, function: str, verify: str = "") -> str:
    write_plan(PYTHON_DDL, name="steps.py")
    return write_plan(f"""
        migrator: 1
        name: demo
        phases:
          - id: p
            steps:
              - id: py
                python: steps.py:{function}
                {verify}
    """)


def test_mysql_a_failed_python_step_that_ran_ddl_does_not_claim_a_rollback(mysql_url, write_plan):
    report = api.apply(_python_plan(write_plan, "ddl_then_fail"), mysql_url)
    error = report.steps[0].error
    assert error.startswith("steps.py:ddl_then_fail: RuntimeError: boom; MySQL committed the function's DDL at once "
                            "(CREATE TABLE py1 (id INTEGER))")
    assert "py1" in _tables(mysql_url)  # what the message says stays
    assert run_sql(mysql_url, "SELECT message FROM migrator_journal")[-1][0] == error


def test_mysql_a_python_step_whose_verify_failed_after_ddl_says_the_ddl_stays(mysql_url, write_plan):
    path = _python_plan(write_plan, "ddl_then_verify", "verify: [{row_count: {table: py2, expect: 2}}]")
    error = api.apply(path, mysql_url).steps[0].error
    assert "the step's transaction was rolled back" not in error
    assert "MySQL committed the function's DDL at once (CREATE TABLE py2 (id INTEGER))" in error
    assert "py2" in _tables(mysql_url)
    assert run_sql(mysql_url, "SELECT count(*) FROM py2") == [(0,)]  # the INSERT after it was rolled back


def test_a_failed_python_step_without_ddl_is_rolled_back_as_before(db_url, write_plan):
    run_sql(db_url, "CREATE TABLE base (id INTEGER)")
    report = api.apply(_python_plan(write_plan, "dml_then_fail"), db_url)
    assert report.steps[0].error == "steps.py:dml_then_fail: RuntimeError: boom"
    assert run_sql(db_url, "SELECT count(*) FROM base") == [(0,)]
