"""A phase's `unchanged` verify checks compare with the state before the phase's first
step, on SQLite, PostgreSQL and MariaDB."""
from __future__ import annotations

from migrator import api

PLAN = """
    migrator: 1
    name: demo
    phases:
      - id: setup
        steps:
          - id: make
            sql:
              - CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER)
              - INSERT INTO t (id, n) VALUES (1, 1), (2, 2)
      - id: data
        verify:
          - unchanged: SELECT count(*) FROM t
        steps:
          - id: touch
            sql: {sql}
"""


def test_a_phase_unchanged_check_holds_when_its_steps_keep_the_result(db_url, write_plan):
    report = api.apply(write_plan(PLAN.format(sql="UPDATE t SET n = n + 1")), db_url)
    assert report.ok, report.message
    (check,) = report.phases[1].verify
    assert check.status == "passed"


def test_a_phase_unchanged_check_fails_when_its_steps_change_the_result(db_url, write_plan):
    report = api.apply(write_plan(PLAN.format(sql="INSERT INTO t (id, n) VALUES (3, 3)")), db_url)
    assert report.exit_code == 1
    (check,) = report.phases[1].verify
    assert check.status == "failed"
