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


def test_a_step_requiring_a_step_marked_applied_runs_now_and_after_resolve(db_url, write_plan):
    # Spec section 2: `requires` names steps that must be applied (or marked applied).
    path = write_plan("""
    migrator: 1
    name: demo
    phases:
      - id: p
        steps:
          - id: marked
            preconditions:
              - table_exists: nowhere
                on_fail: mark_applied
            sql: CREATE TABLE m (id INTEGER)
          - id: after-marked
            requires: [marked]
            sql: CREATE TABLE am (id INTEGER)
          - id: by-hand
            sql: CREATE TABLE h (id INTEGER)
          - id: after-by-hand
            requires: [by-hand]
            sql: CREATE TABLE ah (id INTEGER)
    """)
    api.resolve(path, "by-hand", db_url, applied=True)
    assert [(s.step, s.verdict) for s in api.plan(path, db_url).steps] == [
        ("marked", "mark_applied"), ("after-marked", "run"), ("by-hand", "applied"), ("after-by-hand", "run")]
    report = api.apply(path, db_url)
    assert report.ok, report.message
    assert [(s.step, s.outcome) for s in report.steps] == [
        ("marked", "marked_applied"), ("after-marked", "applied"), ("by-hand", "already_applied"),
        ("after-by-hand", "applied")]
