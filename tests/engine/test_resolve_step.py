"""``migrator resolve PLAN STEP --applied|--pending``: the journal row it writes keeps
the counters the runner's rows keep for that kind of step, and leaves the others NULL."""
from __future__ import annotations

from migrator import api
from tests.dbutil import run_sql

PLAN = """
    migrator: 1
    name: demo
    phases:
      - id: p
        steps:
          - id: make
            sql: CREATE TABLE items (id INTEGER PRIMARY KEY, done INTEGER NOT NULL DEFAULT 0)
          - id: mark
            batch:
              sql: >-
                UPDATE items SET done = 1 WHERE id IN (SELECT id FROM (SELECT id FROM items WHERE done = 0
                ORDER BY id LIMIT :batch_size) AS b)
              size: 3
          - id: items-exist
            verify:
              - table_exists: items
"""
STEPS = ("make", "mark", "items-exist")


def _counters(url: str) -> list[tuple]:
    return [tuple(r) for r in run_sql(
        url, "SELECT step, status, statements_done, batches_done, rows_affected FROM migrator_journal ORDER BY id")]


def test_resolve_journals_statements_for_a_sql_step_and_batches_only_for_a_batch_step(db_url, write_plan):
    path = write_plan(PLAN)
    for applied in (True, False):
        for step in STEPS:
            api.resolve(path, step, db_url, applied=applied)
    assert _counters(db_url) == [
        ("make", "marked_applied", 0, None, 0),
        ("mark", "marked_applied", None, 0, 0),
        ("items-exist", "marked_applied", None, None, 0),
        ("make", "skipped", 0, None, 0),
        ("mark", "skipped", None, 0, 0),
        ("items-exist", "skipped", None, None, 0),
    ]


def test_a_resolve_row_leaves_null_the_counters_the_runners_row_leaves_null(db_url, write_plan):
    path = write_plan(PLAN)
    assert api.apply(path, db_url).ok
    for step in STEPS:
        api.resolve(path, step, db_url, applied=False)
    rows = _counters(db_url)
    ran, resolved = rows[:len(STEPS)], rows[len(STEPS):]
    assert [r[1] for r in ran] == ["applied"] * len(STEPS) and [r[1] for r in resolved] == ["skipped"] * len(STEPS)
    nulls = [tuple((r[0], [v is None for v in r[2:]])) for r in ran]
    assert [tuple((r[0], [v is None for v in r[2:]])) for r in resolved] == nulls
    assert [(s.step, s.verdict) for s in api.plan(path, db_url).steps] == [(step, "run") for step in STEPS]
