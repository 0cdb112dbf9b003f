"""`migrator verify PLAN`: the verify checks of applied steps and phases, read-only."""
from __future__ import annotations

import json

import sqlalchemy as sa

from migrator import api
from migrator.cli import main

PLAN = """\
migrator: 1
name: verify-test
phases:
  - id: schema
    verify:
      - foreign_key_exists: {table: tool_audit_logs, columns: user_id, references: users.id}
    steps:
      - id: create-users
        sql: CREATE TABLE users (id INTEGER PRIMARY KEY, email VARCHAR(50))
        verify:
          - table_exists: users
      - id: create-logs
        sql: CREATE TABLE tool_audit_logs (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users (id))
  - id: data
    steps:
      - id: seed-users
        sql: INSERT INTO users (id, email) VALUES (1, 'a@x'), (2, 'b@x')
        verify:
          - row_count: {table: users, expect: 2}
          - unchanged: SELECT id FROM users WHERE id > 100
"""


def _write(tmp_path):
    path = tmp_path / "plan.yaml"
    path.write_text(PLAN)
    return str(path)


def _tables(url) -> set[str]:
    from migrator.db import create_engine

    engine = create_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def _checks(report):
    return [(scope, c.held, c.detail) for scope, c in _all(report)]


def _all(report):
    out = []
    for phase in report.phases:
        out += [(s.step, c) for s in phase.steps for c in s.verify]
        out += [(f"phase {phase.phase}", c) for c in phase.verify]
    return out


def test_verify_runs_checks_of_applied_steps_and_complete_phases_only(db_url, tmp_path):
    plan = _write(tmp_path)
    before = api.verify(plan, db_url)
    assert (before.command, before.status, before.exit_code) == ("verify", "ok", 0)
    assert [(s.step, s.reason) for s in before.steps] == [
        ("create-users", "not applied (never run); not verified"),
        ("create-logs", "not applied (never run); not verified"),
        ("seed-users", "not applied (never run); not verified"),
    ]
    assert _checks(before) == [
        ("phase schema", None, "not evaluated: steps of phase schema not applied: create-users, create-logs"),
    ]
    assert _tables(db_url) == set()  # read-only: not even the journal table

    assert api.apply(plan, db_url).ok
    after = api.verify(plan, db_url)
    assert (after.status, after.message) == ("ok", None)
    assert _checks(after) == [
        ("create-users", True, "table users exists"),
        ("phase schema", True, after.phases[0].verify[0].detail),
        ("seed-users", True, "got 2 rows in users (expected 2)"),
        ("seed-users", None, "not evaluated: compares the query's result before the step with the result after it"),
    ]
    assert after.phases[0].verify[0].detail.startswith("foreign key tool_audit_logs(user_id) → users(id) exists")
    assert [s.reason for s in after.steps][1] == "applied; has no verify checks"


def test_verify_fails_with_exit_1_when_a_check_fails_and_writes_nothing(db_url, tmp_path, capsys):
    from migrator.db import create_engine

    plan = _write(tmp_path)
    assert api.apply(plan, db_url).ok
    engine = create_engine(db_url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("DELETE FROM users WHERE id = 2")
            journal_rows = conn.exec_driver_sql("SELECT count(*) FROM migrator_journal").scalar()
        report = api.verify(plan, db_url)
        assert (report.status, report.exit_code, report.message) == ("failed", 1, "1 of 4 checks failed")
        assert ("seed-users", False, "expected 2, got 1 row in users") in _checks(report)

        assert main(["verify", plan, "--database", db_url, "--format", "json"]) == 1
        document = json.loads(capsys.readouterr().out)
        assert (document["command"], document["status"]) == ("verify", "failed")
        failed = [c for p in document["phases"] for s in p["steps"] for c in s["verify"] if c["status"] == "failed"]
        assert [(c["kind"], c["detail"], c["count"]) for c in failed] == [("row_count", "expected 2, got 1 row in users", 1)]

        assert main(["verify", plan, "--database", db_url, "--step", "create-users"]) == 0
        text = capsys.readouterr().out
        assert "✓ table_exists: users — table users exists" in text
        assert "phase schema" not in text  # the selection does not cover the whole phase
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM migrator_journal").scalar() == journal_rows
    finally:
        engine.dispose()
