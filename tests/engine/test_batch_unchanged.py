"""`unchanged` on a batch step compares with the state before its first batch."""
from __future__ import annotations

from migrator import api

PLAN = """\
migrator: 1
name: ub
phases:
  - id: p
    steps:
      - id: mk
        sql:
          - CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER, w INTEGER)
          - INSERT INTO t (id, v) VALUES (1, 1), (2, 2), (3, 3)
        rollback: DROP TABLE t
      - id: fill
        idempotent: true
        batch:
          sql: UPDATE t SET w = v WHERE id IN (SELECT id FROM (SELECT id FROM t WHERE w IS NULL LIMIT :batch_size) AS todo)
          size: 2
        verify:
          - unchanged: SELECT id, v FROM t ORDER BY id
          - unchanged: SELECT count(*) FROM t WHERE w IS NULL
"""


def test_unchanged_is_evaluated_on_a_batch_step(tmp_path, db_url):
    path = tmp_path / "plan.yaml"
    path.write_text(PLAN)
    report = api.apply(str(path), db_url)
    fill = next(s for s in report.steps if s.step == "fill")
    assert [c.held for c in fill.verify] == [True, False]
    assert fill.verify[0].detail == "result unchanged (3 rows)"
    assert fill.verify[1].detail.startswith("result changed: 1 row before, 1 after; first difference at row 1: before (3), after (0)")
    assert (fill.outcome, report.status) == ("failed", "failed")
