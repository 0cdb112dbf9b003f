"""``migrator test`` says what happened to every step: an optional step that failed is
not reported as merely "not idempotent and no rollback", and the notes do not call a
step whose rollback failed (or was never reached) a step without a rollback."""
from __future__ import annotations

from pathlib import Path

from migrator import api
from migrator.cli import main


def _write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "plan.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_an_optional_step_that_failed_says_so(db_url, tmp_path):
    plan = _write(tmp_path, """
migrator: 1
name: proof-optional-fails
phases:
  - id: only
    steps:
      - id: create-t
        sql: CREATE TABLE t (id INTEGER NOT NULL PRIMARY KEY)
        rollback: DROP TABLE t
      - id: fill-missing
        optional: true
        sql: INSERT INTO no_such_table (id) VALUES (1)
""")
    report = api.test_plan(plan, db_url)
    (_t, fill) = report.proofs
    assert (fill.step, fill.kind, fill.status) == ("fill-missing", None, "unproved")
    assert fill.detail.startswith("not idempotent and no rollback; it failed in the first apply (optional): ")
    assert report.exit_code == 0  # optional: a warning in apply, unproved here


def test_the_notes_of_a_stopped_rollback_proof_name_why_steps_stayed_applied(db_url, tmp_path):
    plan = _write(tmp_path, """
migrator: 1
name: proof-stopped-rollbacks
phases:
  - id: only
    steps:
      - id: create-t
        sql: CREATE TABLE t (id INTEGER NOT NULL PRIMARY KEY)
        rollback: DROP TABLE t
      - id: create-v
        sql: CREATE TABLE v (id INTEGER NOT NULL PRIMARY KEY)
      - id: create-u
        sql: CREATE TABLE u (id INTEGER NOT NULL PRIMARY KEY)
        rollback: DROP TABLE no_such_table
""")
    report = api.test_plan(plan, db_url)
    assert report.notes[:2] == (
        "steps that stayed applied during the rollback proof (no rollback): create-v",
        "steps that stayed applied during the rollback proof (their rollback failed or was not reached): "
        "create-t, create-u",
    )
    assert report.notes[2].startswith("after the rollbacks that ran, newest first, the schema differed")
    assert report.exit_code == 1


def test_quiet_shows_only_the_failures(tmp_path, capsys):
    plan = _write(tmp_path, """
migrator: 1
name: proof-quiet
phases:
  - id: only
    steps:
      - id: create-events
        sql: CREATE TABLE events (kind VARCHAR(20) NOT NULL)
        rollback: DROP TABLE events
      - id: add-signup-event
        idempotent: true
        sql: INSERT INTO events (kind) VALUES ('signup')
""")
    assert main(["test", plan, "-q"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        "  FAILED    add-signup-event  idempotent  the second run changed the database\n"
        "            - row count of events changed 1 → 2 after re-run\n"
    )
    ok = _write(tmp_path, """
migrator: 1
name: proof-quiet-ok
phases:
  - id: only
    steps:
      - id: create-events
        sql: CREATE TABLE events (kind VARCHAR(20) NOT NULL)
        rollback: DROP TABLE events
""")
    assert main(["-q", "test", ok]) == 0
    assert capsys.readouterr() == ("", "")
    # -q is about text: an asked-for JSON document is still printed.
    assert main(["-q", "test", ok, "--format", "json"]) == 0
    assert capsys.readouterr().out.startswith("{")


def test_a_rollback_fault_is_named_even_when_the_re_apply_stopped_before_its_step(sqlite_url, tmp_path):
    """The diff under a failed rollback proof is the rollback's; its detail must say so,
    not only that the re-apply never reached the step."""
    plan = _write(tmp_path, """
migrator: 1
name: proof-fault-not-reapplied
phases:
  - id: only
    steps:
      - id: create-t
        sql: CREATE TABLE t (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(20))
        rollback: DROP TABLE t
      - id: add-row
        idempotent: true
        sql: INSERT INTO t (id, name) VALUES (1, 'a')
      - id: index-t
        sql: CREATE INDEX ix_t_name ON t (name)
        rollback: DROP TABLE t
""")
    report = api.test_plan(plan, sqlite_url)
    index_t = next(p for p in report.proofs if p.step == "index-t")
    assert (index_t.kind, index_t.status) == ("rollback", "failed")
    assert index_t.detail == ("the rollback did not restore the schema before the step; "
                              "not re-applied: the re-apply stopped at step add-row")
    assert "table t missing after rollback" in index_t.diff


def test_a_rollback_that_leaves_its_table_is_blamed_before_the_re_apply_it_breaks(db_url, tmp_path):
    plan = _write(tmp_path, """
migrator: 1
name: proof-rollback-leaves-table
phases:
  - id: only
    steps:
      - id: create-b
        sql: CREATE TABLE b (id INTEGER)
        rollback: SELECT 1
""")
    report = api.test_plan(plan, db_url)
    (proof,) = report.proofs
    assert (proof.kind, proof.status) == ("rollback", "failed")
    assert proof.detail.startswith("the rollback did not restore the schema before the step; the re-apply failed: ")
    assert "unexpected table b after rollback" in proof.diff
    assert report.exit_code == 1
