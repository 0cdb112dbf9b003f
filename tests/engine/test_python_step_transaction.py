"""A ``transaction: true`` python step's transaction is migrator's: it commits the step's
work together with its journal row. ``ctx.connection.commit()`` (SQLAlchemy 2's "commit
as you go" habit) or ``rollback()`` fails the step with one line and leaves nothing
behind, instead of committing the work with no journal row (an internal error, exit 70,
and a step that runs again over its own committed rows)."""
from __future__ import annotations


import pytest

from tests.cli.clirun import run, write_plan_file
from tests.dbutil import run_sql

PLAN = """\
migrator: 1
name: pytx
phases:
  - id: p
    steps:
      - id: make
        sql: CREATE TABLE pytx_items (id INTEGER PRIMARY KEY)
      - id: fill
        python: steps.py:{fn}
        {transaction}
      - id: after
        sql: INSERT INTO pytx_items (id) VALUES (9)
"""

STEPS = """\
import sqlalchemy as sa

def commits(ctx):
    ctx.connection.execute(sa.text("INSERT INTO pytx_items (id) VALUES (1)"))
    ctx.connection.commit()
    return 1

def rolls_back(ctx):
    ctx.connection.execute(sa.text("INSERT INTO pytx_items (id) VALUES (1)"))
    ctx.connection.rollback()
    ctx.connection.execute(sa.text("INSERT INTO pytx_items (id) VALUES (2)"))
    return 1
"""


@pytest.mark.parametrize("fn, call", [("commits", "commit"), ("rolls_back", "rollback")])
def test_commit_or_rollback_in_a_transactional_python_step_fails_it_and_leaves_nothing(db_url, tmp_path, capsys, fn, call):
    (tmp_path / "steps.py").write_text(STEPS)
    plan = write_plan_file(tmp_path, PLAN.format(fn=fn, transaction=""))
    code, out, err = run(capsys, "--database", db_url, "apply", plan)
    assert code == 1, out + err
    assert "internal error" not in err
    message = (f"steps.py:{fn}: called ctx.connection.{call}() in a step with transaction: true, whose transaction "
               "migrator commits together with the step's journal row; remove the call, or set transaction: false to "
               "commit as it goes; the step's transaction was rolled back, nothing of it remains")
    assert f"    error: {message}\n" in out
    assert run_sql(db_url, "SELECT count(*) FROM pytx_items") == [(0,)]
    assert run_sql(db_url, "SELECT step, status, message FROM migrator_journal WHERE step <> 'make' ORDER BY id") == [
        ("fill", "failed", message)]


def test_a_python_step_with_transaction_false_commits_as_it_goes(db_url, tmp_path, capsys):
    (tmp_path / "steps.py").write_text(STEPS)
    plan = write_plan_file(tmp_path, PLAN.format(fn="commits", transaction="transaction: false"))
    code, out, err = run(capsys, "--database", db_url, "apply", plan)
    assert code == 0, out + err
    assert run_sql(db_url, "SELECT id FROM pytx_items ORDER BY id") == [(1,), (9,)]
    # After the step, the runner's own connection commits again as usual.
    assert run_sql(db_url, "SELECT step, status FROM migrator_journal ORDER BY id") == [
        ("make", "applied"), ("fill", "applied"), ("after", "applied")]
