"""``migrator status`` shows a step whose ``when: {dialect: ...}`` leaves the database
out as not applicable, as ``plan`` does, never as pending: on the full path and the
driver-level one alike, in every format."""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import jsonschema

from migrator import api
from migrator.engine.journal import Journal
from migrator.engine.outcomes import status_report
from migrator.engine.planner import Selection
from migrator.engine.shortcut import driver_status
from tests.cli.clirun import run, write_plan_file

REPORT_SCHEMA = json.loads((Path(__file__).parents[2] / "schemas" / "report.schema.json").read_text(encoding="utf-8"))

PLAN = """\
migrator: 1
name: dia
phases:
  - id: p
    steps:
      - id: on-sqlite
        when: {dialect: sqlite}
        sql: CREATE TABLE s (id INTEGER)
      - id: on-postgresql
        when: {dialect: postgresql}
        sql: CREATE TABLE g (id INTEGER)
      - id: on-mysql
        when: {dialect: mysql}
        sql: CREATE TABLE m (id INTEGER)
      - id: everywhere
        sql: CREATE TABLE e (id INTEGER)
"""


def _states(dialect: str, applicable: str) -> list[tuple[str, str]]:
    """Each step's expected state: ``applicable`` for this database's step and the common one."""
    per_dialect = [(f"on-{d}", applicable if d == dialect else "not_applicable")
                   for d in ("sqlite", "postgresql", "mysql")]
    return per_dialect + [("everywhere", applicable)]


def _full_status(url: str, plan) -> object:
    with api._Database(url) as db:
        state = Journal().read_state(db.conn, db.dialect, plan.name)
        db.conn.rollback()
    return replace(status_report(plan, state, db.dialect.name, Selection()), database=db.shown)


def test_status_after_a_complete_apply_shows_the_other_dialects_steps_as_not_applicable(db_url, db_dialect,
                                                                                       tmp_path, capsys):
    path = write_plan_file(tmp_path, PLAN)
    assert run(capsys, "--database", db_url, "apply", path)[0] == 0
    report = api.status(path, db_url)
    assert [(s.step, s.state) for s in report.steps] == _states(db_dialect, "applied")

    code, out, err = run(capsys, "--database", db_url, "status", path, "--format", "json")
    assert (code, err) == (0, "")
    doc = json.loads(out)
    assert [(s["step"], s["state"]) for s in doc["phases"][0]["steps"]] == _states(db_dialect, "applied")
    assert doc["counts"] == {"applied": 2, "not_applicable": 2}
    assert [e.message for e in jsonschema.Draft202012Validator(REPORT_SCHEMA).iter_errors(doc)] == []

    for fmt in ("text", "markdown"):
        code, out, err = run(capsys, "--database", db_url, "status", path, "--format", fmt)
        assert (code, err) == (0, "") and "pending" not in out


def test_status_before_any_apply_keeps_the_applicable_steps_pending(db_url, db_dialect, tmp_path):
    path = write_plan_file(tmp_path, PLAN)
    report = api.status(path, db_url)
    assert [(s.step, s.state) for s in report.steps] == _states(db_dialect, "pending")


def test_the_driver_path_gives_the_full_path_s_status(db_url, tmp_path, capsys):
    path = write_plan_file(tmp_path, PLAN)
    assert run(capsys, "--database", db_url, "apply", path)[0] == 0
    plan = api.load(path)
    fast = driver_status(plan, db_url, Journal())
    assert fast is not None
    assert fast == _full_status(db_url, plan)
    assert sorted(s.state for s in fast.steps) == ["applied", "applied", "not_applicable", "not_applicable"]
