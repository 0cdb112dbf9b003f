"""`unchanged` on a step whose statements commit one by one (``transaction: false``,
DDL on MySQL) compares with the state before its first statement; a resumed step's
"before" is gone, so there it stays not evaluated."""
from __future__ import annotations

import pytest

from migrator import api
from tests.dbutil import run_sql

NOT_EVALUATED = "not evaluated: compares the query's result before the step with the result after it"

SETUP = """
    migrator: 1
    name: demo
    phases:
      - id: p
        steps:
          - id: mk
            sql:
              - CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER, w INTEGER)
              - INSERT INTO t (id, v) VALUES (1, 1), (2, 2), (3, 3)
"""


def _step(report, step_id):
    return next(s for s in report.steps if s.step == step_id)


def _plan(step: str) -> str:
    return SETUP + step


MYSQL_DDL_STEP = """
          - id: widen
            sql:
              - ALTER TABLE t ADD COLUMN x INTEGER
              - UPDATE t SET v = v + 10 WHERE id = 2
            verify:
              - unchanged: SELECT id FROM t ORDER BY id
              {second}
"""


def test_mysql_a_ddl_step_evaluates_an_unchanged_check_that_holds(mysql_url, write_plan):
    report = api.apply(write_plan(_plan(MYSQL_DDL_STEP.replace("{second}", ""))), mysql_url)
    widen = _step(report, "widen")
    assert (report.status, widen.outcome) == ("ok", "applied")
    assert [(c.held, c.detail) for c in widen.verify] == [(True, "result unchanged (3 rows)")]


def test_mysql_a_ddl_step_fails_on_an_unchanged_check_that_does_not_hold(mysql_url, write_plan):
    plan = _plan(MYSQL_DDL_STEP.replace("{second}", "- unchanged: SELECT id, v FROM t ORDER BY id"))
    report = api.apply(write_plan(plan), mysql_url)
    widen = _step(report, "widen")
    assert (report.status, widen.outcome, widen.statements_done) == ("failed", "failed", 2)
    assert [c.held for c in widen.verify] == [True, False]
    assert widen.verify[1].detail.startswith(
        "result changed: 3 rows before, 3 after; first difference at row 2: before (2, 2), after (2, 12)")
    assert widen.error.endswith("the step's statements stay committed (MySQL commits DDL at once); "
                                "`migrator apply` runs only its verify again (fix the data, or `migrator rollback` first)")


NON_TRANSACTIONAL_STEP = """
          - id: fill
            transaction: false
            sql:
              - UPDATE t SET w = v WHERE id < 3
              - UPDATE t SET w = v WHERE id = 3
            verify:
              - unchanged: SELECT id, v FROM t ORDER BY id
              - unchanged: SELECT count(*) FROM t WHERE w IS NULL
"""


def test_a_transaction_false_step_compares_with_the_state_before_its_first_statement(db_url, write_plan):
    report = api.apply(write_plan(_plan(NON_TRANSACTIONAL_STEP)), db_url)
    fill = _step(report, "fill")
    assert [c.held for c in fill.verify] == [True, False]
    assert fill.verify[0].detail == "result unchanged (3 rows)"
    assert fill.verify[1].detail.startswith(
        "result changed: 1 row before, 1 after; first difference at row 1: before (3), after (0)")
    assert (fill.outcome, fill.statements_done) == ("failed", 2)
    assert fill.error.endswith("the step's statements stay committed (they ran outside a transaction); "
                               "`migrator apply` runs only its verify again (fix the data, or `migrator rollback` first)")


def test_a_resumed_step_leaves_unchanged_not_evaluated(db_url, write_plan):
    """Statement 1 committed before the failure: the state before the step is gone."""
    plan = _plan("""
          - id: fill
            transaction: false
            sql:
              - UPDATE t SET w = v WHERE id < 3
              - INSERT INTO later (id) VALUES (1)
            verify:
              - unchanged: SELECT id, v FROM t ORDER BY id
""")
    path = write_plan(plan)
    first = _step(api.apply(path, db_url), "fill")
    assert (first.outcome, first.statements_done) == ("failed", 1)
    assert [c.held for c in first.verify] == []  # a statement failed: the verify did not run
    run_sql(db_url, "CREATE TABLE later (id INTEGER)")
    again = _step(api.apply(path, db_url), "fill")
    assert (again.verdict, again.outcome) == ("resume", "applied")
    assert [(c.held, c.detail) for c in again.verify] == [(None, NOT_EVALUATED)]


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
def test_a_step_that_failed_at_its_first_statement_evaluates_unchanged_when_it_runs_again(db_url, write_plan):
    """Nothing of it was committed: the next apply runs it from the start, "before" included."""
    plan = _plan("""
          - id: fill
            transaction: false
            sql:
              - INSERT INTO later (id) VALUES (1)
              - UPDATE t SET w = v
            verify:
              - unchanged: SELECT id, v FROM t ORDER BY id
""")
    path = write_plan(plan)
    assert _step(api.apply(path, db_url), "fill").outcome == "failed"
    run_sql(db_url, "CREATE TABLE later (id INTEGER)")
    again = _step(api.apply(path, db_url), "fill")
    assert (again.verdict, again.outcome) == ("run", "applied")
    assert [c.held for c in again.verify] == [True]


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
def test_a_transaction_false_python_step_compares_with_the_state_before_it(db_url, write_plan, tmp_path):
    (tmp_path / "steps.py").write_text(
        "def fill(ctx):\n"
        "    return ctx.batch('UPDATE t SET w = v WHERE id IN (SELECT id FROM '\n"
        "                     '(SELECT id FROM t WHERE w IS NULL ORDER BY id LIMIT :batch_size) AS b)', size=2)\n"
    )
    plan = _plan("""
          - id: fill
            transaction: false
            python: steps.py:fill
            verify:
              - unchanged: SELECT id, v FROM t ORDER BY id
              - unchanged: SELECT count(*) FROM t WHERE w IS NULL
""")
    fill = _step(api.apply(write_plan(plan), db_url), "fill")
    assert [c.held for c in fill.verify] == [True, False]
    assert fill.outcome == "failed"
