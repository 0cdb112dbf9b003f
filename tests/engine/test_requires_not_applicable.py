"""A step that is not applicable here (``when``) satisfies ``requires``: the dry run and
apply agree (one planner), on SQLite, PostgreSQL and MariaDB."""
from __future__ import annotations

from migrator import api

PLAN = """
    migrator: 1
    name: demo
    phases:
      - id: p
        steps:
          - id: fill
            when: {{dialect: {other}}}
            sql: CREATE TABLE f (id INTEGER)
          - id: after
            requires: [fill]
            sql: CREATE TABLE g (id INTEGER)
"""


def test_a_step_requiring_a_step_not_applicable_here_runs_as_the_dry_run_says(db_url, db_dialect, write_plan):
    path = write_plan(PLAN.format(other="sqlite" if db_dialect != "sqlite" else "postgresql"))
    dry = api.plan(path, db_url)
    assert [(s.step, s.verdict) for s in dry.steps] == [("fill", "not_applicable"), ("after", "run")]
    report = api.apply(path, db_url)
    assert report.ok, report.message
    assert [(s.step, s.outcome) for s in report.steps] == [("fill", "not_applicable"), ("after", "applied")]
