"""A batch statement binds only its real parameters: ``:word`` inside a string literal or a
comment (JSON, times, URLs) is text, on every dialect, in ``batch`` and in ``ctx.batch``."""
from __future__ import annotations

import textwrap

import pytest

from migrator.sql.binds import escape_literal_colons
from tests.cli.clirun import run, write_plan_file
from tests.dbutil import run_sql


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql", "mysql"])
def test_only_parameters_outside_literals_and_comments_stay_bindable(dialect):
    sql = "UPDATE t SET m = '{\"a\":true}' /* :c */ WHERE id < :batch_size AND k = :key -- :d"
    assert escape_literal_colons(sql, dialect) == (
        "UPDATE t SET m = '{\"a\"\\:true}' /* \\:c */ WHERE id < :batch_size AND k = :key -- \\:d"
    )
    plain = "UPDATE t SET x = 1 WHERE id IN (SELECT id FROM t LIMIT :batch_size)"
    assert escape_literal_colons(plain, dialect) == plain


PLAN = textwrap.dedent(
    """\
    migrator: 1
    name: colons
    phases:
      - id: p
        steps:
          - id: setup
            sql:
              - CREATE TABLE b (id int PRIMARY KEY, meta varchar(100))
              - INSERT INTO b VALUES (1, NULL), (2, NULL), (3, NULL)
          - id: fill
            batch:
              sql: |
                UPDATE b SET meta = '{"migrated":true, "at": "10:30"}' -- :note
                WHERE id IN (SELECT id FROM (SELECT id FROM b WHERE meta IS NULL ORDER BY id LIMIT :batch_size) x)
              size: 2
          - id: again
            python: steps.py:again
    """
)

STEPS = textwrap.dedent(
    """\
    def again(ctx):
        return ctx.batch(
            "UPDATE b SET meta = ':again' WHERE id IN (SELECT id FROM"
            " (SELECT id FROM b WHERE meta <> ':again' AND id > :low ORDER BY id LIMIT :batch_size) x)",
            size=1,
            low=1,
        )
    """
)


def test_batch_and_ctx_batch_leave_colons_in_literals_alone(db_url, tmp_path, capsys):
    (tmp_path / "steps.py").write_text(STEPS)
    plan = write_plan_file(tmp_path, PLAN)
    code, out, err = run(capsys, "--database", db_url, "apply", plan, "--yes")
    assert code == 0, out + err
    assert run_sql(db_url, "SELECT id, meta FROM b ORDER BY id") == [
        (1, '{"migrated":true, "at": "10:30"}'),
        (2, ":again"),
        (3, ":again"),
    ]
