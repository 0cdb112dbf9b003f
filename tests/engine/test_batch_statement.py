"""A batch statement as users write it: `:batch_size` with a PostgreSQL cast, `:batch_size`
only in a comment or a string, several statements, and progress past the `total`."""
from __future__ import annotations

import textwrap

import pytest

from migrator.engine.batches import Progress
from migrator.sql.binds import bind_names, escape_literal_colons
from tests.cli.clirun import run, write_plan_file
from tests.dbutil import run_sql

PLAN = textwrap.dedent(
    """\
    migrator: 1
    name: batches
    phases:
      - id: p
        steps:
          - id: setup
            sql:
              - CREATE TABLE b (id int PRIMARY KEY, v int)
              - INSERT INTO b VALUES (1, 0), (2, 0), (3, 0), (4, 0), (5, 0)
          - id: fill
            batch:
              sql: {sql}
              size: 2
    """
)


def test_a_parameter_with_a_postgresql_cast_is_bound():
    # text() takes `:batch_size::int` for no parameter at all: PostgreSQL got the colon.
    sql = "UPDATE t SET s = 'a'::text WHERE id IN (SELECT id FROM t LIMIT :batch_size::int) -- :c::int"
    assert escape_literal_colons(sql, "postgresql") == (
        "UPDATE t SET s = 'a'::text WHERE id IN (SELECT id FROM t LIMIT (:batch_size)::int) -- :c::int"
    )
    assert escape_literal_colons("SELECT :n::int", "postgresql") == "SELECT (:n)::int"
    assert bind_names(sql, "postgresql") == {"batch_size"}


def test_a_batch_with_a_cast_parameter_runs_in_batches_on_postgresql(pg_url, tmp_path, capsys):
    sql = "UPDATE b SET v = 1 WHERE id IN (SELECT id FROM b WHERE v = 0 ORDER BY id LIMIT :batch_size::int)"
    code, out, err = run(capsys, "--database", pg_url, "apply", write_plan_file(tmp_path, PLAN.format(sql=sql)))
    assert code == 0, out + err
    assert run_sql(pg_url, "SELECT count(*) FROM b WHERE v = 1") == [(5,)]
    assert run_sql(pg_url, "SELECT batches_done FROM migrator_journal WHERE step = 'fill'") == [(3,)]


@pytest.mark.parametrize("sql", [
    "UPDATE b SET v = 1 WHERE v = 0  -- LIMIT :batch_size",
    "\"UPDATE b SET v = 1 WHERE v = 0 /* LIMIT :batch_size */\"",
    "\"UPDATE b SET note = ':batch_size' WHERE v = 0\"",
])
def test_validate_refuses_a_batch_size_only_in_a_comment_or_a_string(tmp_path, capsys, sql):
    # It would bind nothing: the whole table in one "batch", the step applied as if batched.
    code, out, err = run(capsys, "validate", write_plan_file(tmp_path, PLAN.format(sql=sql)))
    assert code == 2
    assert "plan.yaml:12:16: phases[0].steps[1].batch.sql: :batch_size appears only inside a string or a comment" in err


def test_validate_refuses_several_statements_in_a_batch(tmp_path, capsys):
    # Every database refused it at apply, and the message said `migrator apply` continues it.
    sql = '"UPDATE b SET v = 1 WHERE id IN (SELECT id FROM b WHERE v = 0 LIMIT :batch_size); DELETE FROM b WHERE v = 2"'
    code, out, err = run(capsys, "validate", write_plan_file(tmp_path, PLAN.format(sql=sql)))
    assert code == 2
    assert "batch.sql: a batch runs one statement" in err
    ok = '"UPDATE b SET v = 1 WHERE id IN (SELECT id FROM b WHERE v = 0 LIMIT :batch_size);"'
    assert run(capsys, "validate", write_plan_file(tmp_path, PLAN.format(sql=ok)))[0] == 0


def test_progress_past_the_total_shows_no_eta_and_says_so(sqlite_url, tmp_path, capsys):
    # A statement whose WHERE does not skip rows already done never reaches 0 rows: the log
    # lines said "3,816 of 10 rows, ETA 0s" for ever.
    assert Progress("f", batches=9, rows=30, total=10, elapsed=1.0, rows_this_run=30).eta is None
    plan = PLAN.format(sql="UPDATE b SET v = 1 WHERE id IN (SELECT id FROM b WHERE v = 0 ORDER BY id LIMIT :batch_size)")
    plan = plan.replace("size: 2", "size: 2\n          total: SELECT 1")
    code, out, err = run(capsys, "--database", sqlite_url, "apply", write_plan_file(tmp_path, plan))
    assert code == 0, out + err
    assert "fill: done: 3 batches, 5 rows, more than the 1 the total query counted" in err
    assert "2 of 1 row" not in err and "5 of 1 row" not in err and "ETA 0s" not in err
