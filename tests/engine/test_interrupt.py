"""Ctrl-C inside a step: `apply` raises StepInterrupted (exit 130), which names the step,
says what of it the journal keeps and what the next apply does, and writes no journal row."""
from __future__ import annotations

import pytest

from migrator import api
from migrator.dialects.base import Dialect
from migrator.dialects.sqlite import SqliteDialect
from migrator.errors import StepInterrupted
from tests.cli.clirun import run
from tests.dbutil import run_sql


def journal(url: str) -> list[tuple]:
    return run_sql(url, "SELECT step, status, statements_done, batches_done, rows_affected FROM migrator_journal "
                        "ORDER BY id")


BATCH_PLAN = """
    migrator: 1
    name: demo
    phases:
      - id: p
        steps:
          - id: make
            sql: |
              CREATE TABLE items (id INTEGER PRIMARY KEY, n INTEGER NOT NULL);
              INSERT INTO items (id, n) VALUES (1, 0), (2, 0), (3, 0), (4, 0), (5, 0), (6, 0);
          - id: bump
            batch:
              sql: >-
                UPDATE items SET n = n + 1 WHERE id IN (SELECT id FROM (SELECT id FROM items WHERE n = 0
                ORDER BY id LIMIT :batch_size) AS b)
              size: 1
"""


def test_ctrl_c_between_batches_names_the_step_its_committed_batches_and_that_apply_resumes_it(db_url, write_plan):
    path = write_plan(BATCH_PLAN)

    def ctrl_c_after_three(p) -> None:
        if p.batches == 3 and not p.done:
            raise KeyboardInterrupt

    with pytest.raises(StepInterrupted) as e:
        api.apply(path, db_url, progress=ctrl_c_after_three)
    assert e.value.exit_code == 130 and e.value.step == "bump"
    assert str(e.value) == (f"interrupted during step bump (batch step: 3 batches, 3 rows committed); "
                            f"`migrator apply {path} --database {db_url}` resumes it")
    # The journal is as the batches left it: nothing is written on the way out.
    assert journal(db_url) == [("make", "applied", 2, None, 6), ("bump", "running", None, 3, 3)]

    report = api.apply(path, db_url)
    assert report.ok, report.message
    assert journal(db_url)[-1] == ("bump", "applied", None, 6, 6)
    assert run_sql(db_url, "SELECT min(n), max(n) FROM items") == [(1, 1)]


PYTHON_PLAN = """
    migrator: 1
    name: demo
    phases:
      - id: p
        steps:
          - id: make
            sql: CREATE TABLE items (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)
          - id: py
            python: steps.py:{function}
            transaction: {transaction}
"""

STEPS_PY = (
    "def insert_then_ctrl_c(ctx):\n"
    "    ctx.connection.exec_driver_sql('INSERT INTO items (id, n) VALUES (1, 0)')\n"
    "    raise KeyboardInterrupt\n"
    "def batches_then_ctrl_c(ctx):\n"
    "    for i in range(1, 7):\n"
    "        ctx.connection.exec_driver_sql(f'INSERT INTO items (id, n) VALUES ({i}, 0)')\n"
    "    ctx.connection.commit()\n"
    "    ctx.batch('UPDATE items SET n = 1 WHERE id IN (SELECT id FROM (SELECT id FROM items WHERE n = 0 '\n"
    "              'ORDER BY id LIMIT :batch_size) AS b)', size=2)\n"
    "    raise KeyboardInterrupt\n"
    "def commit_then_ctrl_c(ctx):\n"
    "    ctx.connection.exec_driver_sql('INSERT INTO items (id, n) VALUES (1, 0)')\n"
    "    ctx.connection.commit()\n"
    "    raise KeyboardInterrupt\n"
)


def python_plan(tmp_path, write_plan, function: str, transaction: bool) -> str:
    (tmp_path / "steps.py").write_text(STEPS_PY)
    return write_plan(PYTHON_PLAN.format(function=function, transaction=str(transaction).lower()))


def test_ctrl_c_in_a_step_transaction_says_it_was_rolled_back_and_apply_runs_it_again(
        db_url, db_dialect, tmp_path, write_plan):
    path = python_plan(tmp_path, write_plan, "insert_then_ctrl_c", transaction=True)
    with pytest.raises(StepInterrupted) as e:
        api.apply(path, db_url)
    left = ("its transaction was rolled back; any DDL it ran stays, as MySQL commits DDL at once"
            if db_dialect == "mysql" else "its transaction was rolled back, nothing of it remains")
    assert str(e.value) == (f"interrupted during step py ({left}); "
                            f"`migrator apply {path} --database {db_url}` runs it again")
    assert journal(db_url) == [("make", "applied", 1, None, 0)]
    assert run_sql(db_url, "SELECT count(*) FROM items") == [(0,)]


def test_ctrl_c_in_a_python_step_without_transaction_counts_its_batches_and_needs_resolve(db_url, tmp_path, write_plan):
    path = python_plan(tmp_path, write_plan, "batches_then_ctrl_c", transaction=False)
    with pytest.raises(StepInterrupted) as e:
        api.apply(path, db_url)
    assert str(e.value) == (
        f"interrupted during step py (transaction: false: 3 batches, 6 rows of its ctx.batch committed); "
        f"`migrator apply {path} --database {db_url}` executes nothing until it is resolved: check the database, "
        f"then run `migrator resolve {path} py --applied --database {db_url}` (it completed) or `--pending` "
        "(run it again)"
    )
    assert journal(db_url)[-1] == ("py", "running", None, 3, 6)
    assert api.apply(path, db_url).status == "needs_resolve"  # what the message said


def test_ctrl_c_in_a_python_step_without_transaction_or_batches_does_not_say_nothing_was_committed(
        db_url, tmp_path, write_plan):
    path = python_plan(tmp_path, write_plan, "commit_then_ctrl_c", transaction=False)
    with pytest.raises(StepInterrupted) as e:
        api.apply(path, db_url)
    assert str(e.value).startswith(
        "interrupted during step py (transaction: false: no ctx.batch batch committed; what the function "
        "committed by itself stays); ")
    assert run_sql(db_url, "SELECT count(*) FROM items") == [(1,)]  # it did commit a row
    assert journal(db_url)[-1] == ("py", "running", None, None, 0)


NO_TRANSACTION_PLAN = """
    migrator: 1
    name: demo
    phases:
      - id: p
        steps:
          - id: make
            sql: CREATE TABLE t (id INTEGER)
          - id: three
            transaction: false
            idempotent: {idempotent}
            sql:
              - INSERT INTO t (id) VALUES (1)
              - INSERT INTO t (id) VALUES (2)
              - INSERT INTO t (id) VALUES (3)
"""


@pytest.fixture
def ctrl_c_at_statement_2(monkeypatch):
    """Ctrl-C as a statement of a `transaction: false` step starts: ``VALUES (2)``."""
    for dialect in (Dialect, SqliteDialect):
        outside = dialect.run_outside_transaction

        def interrupted(self, conn, statement, outside=outside):
            if "VALUES (2)" in statement:
                raise KeyboardInterrupt
            return outside(self, conn, statement)

        monkeypatch.setattr(dialect, "run_outside_transaction", interrupted)
    return monkeypatch


def test_ctrl_c_in_a_step_without_transaction_counts_its_statements_and_apply_waits_for_resolve(
        db_url, write_plan, ctrl_c_at_statement_2):
    path = write_plan(NO_TRANSACTION_PLAN.format(idempotent="false"))
    with pytest.raises(StepInterrupted) as e:
        api.apply(path, db_url)
    assert str(e.value) == (
        "interrupted during step three (transaction: false: statement 1 of 3 committed, statement 2 may have "
        f"completed too); `migrator apply {path} --database {db_url}` executes nothing until it is resolved: check "
        f"the database, then run `migrator resolve {path} three --applied --database {db_url}` (it completed) or "
        "`--pending` (run it again)"
    )
    assert journal(db_url) == [("make", "applied", 1, None, 0), ("three", "running", 1, None, 1)]
    ctrl_c_at_statement_2.undo()
    report = api.apply(path, db_url)
    assert (report.status, report.exit_code) == ("needs_resolve", 1)


def test_ctrl_c_in_an_idempotent_step_without_transaction_says_apply_runs_it_again_from_the_start(
        db_url, write_plan, ctrl_c_at_statement_2):
    path = write_plan(NO_TRANSACTION_PLAN.format(idempotent="true"))
    with pytest.raises(StepInterrupted) as e:
        api.apply(path, db_url)
    assert str(e.value) == (
        "interrupted during step three (transaction: false: statement 1 of 3 committed, statement 2 may have "
        f"completed too); `migrator apply {path} --database {db_url}` runs it again from the start (it is idempotent)"
    )
    ctrl_c_at_statement_2.undo()
    assert api.apply(path, db_url).ok
    assert run_sql(db_url, "SELECT id FROM t ORDER BY id") == [(1,), (1,), (2,), (3,)]


def test_the_cli_prints_the_interrupted_step_and_exits_130(sqlite_url, tmp_path, write_plan, capsys):
    path = python_plan(tmp_path, write_plan, "insert_then_ctrl_c", transaction=True)
    code, out, err = run(capsys, "--database", sqlite_url, "apply", path)
    assert code == 130
    # The blank line ends the terminal's ^C, as click's own for a Ctrl-C elsewhere.
    assert err == (f"\nmigrator: interrupted during step py (its transaction was rolled back, nothing of it "
                   f"remains); `migrator apply {path} --database {sqlite_url}` runs it again\n")


def test_the_cli_says_interrupted_for_ctrl_c_outside_a_step(sqlite_url, write_plan, capsys, monkeypatch):
    def waiting_for_the_lock(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(api, "apply", waiting_for_the_lock)
    code, _, err = run(capsys, "--database", sqlite_url, "apply", write_plan(BATCH_PLAN))
    assert (code, err) == (130, "\nmigrator: interrupted\n")


def test_a_batch_whose_progress_row_fails_to_write_is_not_counted(sqlite_url, write_plan, monkeypatch):
    # The batch and its progress row commit together: when the row cannot be written the
    # batch rolls back, and the failed row must count only the batches that committed.
    import sqlalchemy as sa

    from migrator.engine.journal import Journal

    path = write_plan(BATCH_PLAN)
    real_update, calls = Journal.update, []

    def third_progress_write_fails(self, conn, row_id, row):
        calls.append(row.status)
        if row.status == "running" and calls.count("running") == 3:
            raise sa.exc.OperationalError("UPDATE migrator_journal", {}, Exception("disk I/O error"))
        return real_update(self, conn, row_id, row)

    monkeypatch.setattr(Journal, "update", third_progress_write_fails)
    report = api.apply(path, sqlite_url)
    assert report.exit_code == 1
    assert journal(sqlite_url)[-1] == ("bump", "failed", None, 2, 2)
    assert run_sql(sqlite_url, "SELECT count(*) FROM items WHERE n = 1") == [(2,)]
