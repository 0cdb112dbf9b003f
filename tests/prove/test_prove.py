"""``migrator test`` end to end: plans that are idempotent and reversible, and plans that are not."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from migrator import api
from migrator.cli import main
from migrator.errors import UsageError
from migrator.prove.runner import SetupFailed

REPO = Path(__file__).resolve().parents[2]


def _drop_index(dialect: str, name: str, table: str) -> str:
    return f"DROP INDEX {name} ON {table}" if dialect == "mysql" else f"DROP INDEX {name}"


def _write(tmp_path: Path, text: str, name: str = "plan.yaml") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def correct_plan(dialect: str) -> str:
    return f"""
migrator: 1
name: proof-ok
phases:
  - id: schema
    steps:
      - id: create-jobs
        sql: |
          CREATE TABLE jobs (id INTEGER NOT NULL PRIMARY KEY, status VARCHAR(20) NOT NULL);
          INSERT INTO jobs (id, status) VALUES (1, 'new'), (2, 'done');
        rollback: DROP TABLE jobs
        allow: [mysql-partial-ddl]
      - id: index-jobs-status
        idempotent: true
        sql: CREATE INDEX IF NOT EXISTS ix_jobs_status ON jobs (status)
        rollback: {_drop_index(dialect, "ix_jobs_status", "jobs")}
        verify:
          - index_exists: {{table: jobs, columns: [status]}}
      - id: confirm-backup
        manual: Take a backup of the jobs table.
        verify:
          - table_exists: jobs
  - id: data
    steps:
      - id: queue-new-jobs
        idempotent: true
        sql: UPDATE jobs SET status = 'queued' WHERE status = 'new'
        verify:
          - row_count: {{table: jobs, where: "status = 'new'", expect: 0}}
"""


def test_a_correct_plan_is_proved(db_url, db_dialect, tmp_path):
    report = api.test_plan(_write(tmp_path, correct_plan(db_dialect)), db_url)
    assert [(p.step, p.kind, p.status, p.detail) for p in report.proofs] == [
        ("create-jobs", "rollback", "proved",
         "rolled back to the schema before the step, re-applied to the schema after it"),
        ("index-jobs-status", "idempotent", "proved", "ran a second time: verify held, schema and row counts unchanged"),
        ("index-jobs-status", "rollback", "proved",
         "rolled back to the schema before the step, re-applied to the schema after it"),
        ("confirm-backup", None, "unproved", "not idempotent and no rollback"),
        ("queue-new-jobs", "idempotent", "proved", "ran a second time: verify held, schema and row counts unchanged"),
    ]
    assert report.counts == {"proved": 4, "failed": 0, "unproved": 1}
    assert report.notes == (
        "steps that stayed applied during the rollback proof (no rollback): confirm-backup, queue-new-jobs",
        "after every rollback, newest first, the schema was back to before the plan",
        "after the re-apply, the schema was the one of the first apply",
    )
    assert report.exit_code == 0


def test_an_idempotent_step_that_is_not_fails_with_the_row_count_that_changed(db_url, tmp_path):
    plan = _write(tmp_path, """
migrator: 1
name: proof-insert
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
    report = api.test_plan(plan, db_url)
    failed = [p for p in report.proofs if p.status == "failed"]
    assert [(p.step, p.kind, p.detail, p.diff) for p in failed] == [
        ("add-signup-event", "idempotent", "the second run changed the database",
         ("row count of events changed 1 → 2 after re-run",)),
    ]
    assert report.exit_code == 1


def test_an_idempotent_step_whose_second_run_fails_is_reported_with_the_error(db_url, tmp_path):
    plan = _write(tmp_path, """
migrator: 1
name: proof-create-twice
phases:
  - id: only
    steps:
      - id: create-t
        idempotent: true
        sql: CREATE TABLE t (id INTEGER NOT NULL PRIMARY KEY)
        rollback: DROP TABLE t
""")
    report = api.test_plan(plan, db_url)
    (second_run, rollback) = report.proofs
    assert (second_run.kind, second_run.status, second_run.diff) == ("idempotent", "failed", ())
    assert second_run.detail.startswith("the second run failed: ")
    assert "t" in second_run.detail and "exist" in second_run.detail
    assert (rollback.kind, rollback.status) == ("rollback", "proved")
    assert report.exit_code == 1


def test_the_lock_is_taken_by_test_too(sqlite_url, tmp_path):
    from migrator.db import create_engine
    from migrator.dialects import get_dialect
    from migrator.engine.lock import acquire
    from migrator.errors import LockHeld

    plan = _write(tmp_path, correct_plan("sqlite"))
    engine = create_engine(sqlite_url)
    try:
        with engine.connect() as conn, acquire(conn, get_dialect("sqlite"), 1, purpose="apply"):
            with pytest.raises(LockHeld) as exc:
                api.test_plan(plan, sqlite_url, lock_timeout=0.1)
    finally:
        engine.dispose()
    assert exc.value.exit_code == 3
    assert exc.value.holder.startswith("migrator apply by ")


def test_a_rollback_that_forgets_an_index_names_the_index_and_its_step(db_url, db_dialect, tmp_path):
    plan = _write(tmp_path, f"""
migrator: 1
name: proof-forgets-index
phases:
  - id: only
    steps:
      - id: create-jobs
        sql: CREATE TABLE jobs (id INTEGER NOT NULL PRIMARY KEY, status VARCHAR(20), kind VARCHAR(20))
        rollback: DROP TABLE jobs
      - id: index-jobs
        sql:
          - CREATE INDEX IF NOT EXISTS ix_jobs_status ON jobs (status)
          - CREATE INDEX IF NOT EXISTS ix_jobs_kind ON jobs (kind)
        rollback: {_drop_index(db_dialect, "ix_jobs_kind", "jobs")}
""")
    report = api.test_plan(plan, db_url)
    assert [(p.step, p.status, p.detail, p.diff) for p in report.proofs] == [
        ("create-jobs", "proved", "rolled back to the schema before the step, re-applied to the schema after it", ()),
        ("index-jobs", "failed", "the rollback did not restore the schema before the step",
         ("unexpected index ix_jobs_status on jobs(status) after rollback",)),
    ]
    assert report.exit_code == 1


def test_a_rollback_that_drops_too_much_is_blamed_on_its_own_step_only(db_url, db_dialect, tmp_path):
    plan = _write(tmp_path, f"""
migrator: 1
name: proof-drops-too-much
phases:
  - id: only
    steps:
      - id: create-jobs
        sql:
          - CREATE TABLE jobs (id INTEGER NOT NULL PRIMARY KEY, status VARCHAR(20), kind VARCHAR(20))
          - CREATE INDEX ix_jobs_status ON jobs (status)
        rollback: DROP TABLE jobs
      - id: index-jobs-kind
        sql: CREATE INDEX ix_jobs_kind ON jobs (kind)
        rollback:
          - {_drop_index(db_dialect, "ix_jobs_kind", "jobs")}
          - {_drop_index(db_dialect, "ix_jobs_status", "jobs")}
""")
    report = api.test_plan(plan, db_url)
    assert [(p.step, p.status, p.diff) for p in report.proofs] == [
        ("create-jobs", "proved", ()),
        ("index-jobs-kind", "failed", ("index ix_jobs_status on jobs(status) missing after rollback",)),
    ]


def test_steps_without_rollback_stay_applied_and_the_older_rollbacks_are_still_proved(db_url, db_dialect, tmp_path):
    plan = _write(tmp_path, f"""
migrator: 1
name: proof-mixed
phases:
  - id: only
    steps:
      - id: create-t
        sql: CREATE TABLE t (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(20))
        rollback: DROP TABLE t
      - id: create-u
        sql: CREATE TABLE u (id INTEGER NOT NULL PRIMARY KEY)
      - id: index-t-name
        sql: CREATE INDEX ix_t_name ON t (name)
        rollback: {_drop_index(db_dialect, "ix_t_name", "t")}
""")
    report = api.test_plan(plan, db_url)
    assert [(p.step, p.kind, p.status) for p in report.proofs] == [
        ("create-t", "rollback", "proved"),
        ("create-u", None, "unproved"),
        ("index-t-name", "rollback", "proved"),
    ]
    assert report.notes == (
        "steps that stayed applied during the rollback proof (no rollback): create-u",
        "after every rollback, newest first, the schema differed from before the plan in 3 way(s)",
        "after the re-apply, the schema was the one of the first apply",
    )
    assert report.exit_code == 0


def test_dropping_a_table_also_drops_what_a_step_without_rollback_added_to_it(db_url, tmp_path):
    # The index and the column come from steps without a rollback, so they stay applied;
    # DROP TABLE takes them with it, which is right, not a fault of create-t's rollback.
    plan = _write(tmp_path, """
migrator: 1
name: proof-table-takes-its-index
phases:
  - id: only
    steps:
      - id: create-t
        sql: CREATE TABLE t (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(20))
        rollback: DROP TABLE t
      - id: index-t-name
        idempotent: true
        sql: CREATE INDEX IF NOT EXISTS ix_t_name ON t (name)
      - id: add-t-note
        sql: ALTER TABLE t ADD COLUMN note VARCHAR(20)
""")
    report = api.test_plan(plan, db_url)
    assert [(p.step, p.kind, p.status, p.diff) for p in report.proofs] == [
        ("create-t", "rollback", "proved", ()),
        ("index-t-name", "idempotent", "proved", ()),
        ("add-t-note", None, "unproved", ()),
    ]
    assert report.exit_code == 0


def test_a_failing_rollback_stops_the_rollback_proof(db_url, tmp_path):
    plan = _write(tmp_path, """
migrator: 1
name: proof-bad-rollback
phases:
  - id: only
    steps:
      - id: create-t
        sql: CREATE TABLE t (id INTEGER NOT NULL PRIMARY KEY)
        rollback: DROP TABLE t
      - id: create-u
        sql: CREATE TABLE u (id INTEGER NOT NULL PRIMARY KEY)
        rollback: DROP TABLE no_such_table
""")
    report = api.test_plan(plan, db_url)
    (t, u) = report.proofs
    assert (u.step, u.status) == ("create-u", "failed")
    assert u.detail.startswith("the rollback failed: ")
    assert u.detail.endswith("(rollback statement 1 of 1); the step stays applied")
    assert (t.step, t.status, t.detail) == ("create-t", "unproved",
                                           "not rolled back: the rollback of step create-u failed first")


def test_a_step_failing_in_the_first_apply_fails_the_test(sqlite_url, tmp_path):
    plan = _write(tmp_path, """
migrator: 1
name: proof-apply-fails
phases:
  - id: only
    steps:
      - id: create-t
        sql: CREATE TABLE t (id INTEGER NOT NULL PRIMARY KEY)
        rollback: DROP TABLE t
      - id: check-rows
        verify:
          - row_count: {table: t, expect: 1}
      - id: later
        sql: CREATE TABLE u (id INTEGER)
""")
    report = api.test_plan(plan, sqlite_url)
    assert [(p.step, p.kind, p.status, p.detail) for p in report.proofs] == [
        ("create-t", None, "unproved", "not proved: the first apply stopped at step check-rows"),
        ("check-rows", "apply", "failed",
         "the first apply failed: verify failed: row_count: table=t, expect=1: expected 1, got 0 rows in t; "
         "the step's transaction was rolled back"),
        ("later", None, "unproved", "not proved: the first apply stopped at step check-rows"),
    ]
    assert report.exit_code == 1


def test_a_database_that_holds_a_journal_for_the_plan_is_refused(db_url, db_dialect, tmp_path):
    plan = _write(tmp_path, correct_plan(db_dialect))
    api.apply(plan, db_url, confirm=["confirm-backup"])
    with pytest.raises(UsageError) as exc:
        api.test_plan(plan, db_url)
    assert exc.value.exit_code == 2
    assert str(exc.value).endswith(
        " already holds a journal for plan proof-ok (4 step(s) recorded); `migrator test` needs a scratch "
        "database (leave out --database for a temporary SQLite file)"
    )


def test_a_setup_plan_that_fails_is_reported_as_such(sqlite_url, tmp_path):
    setup = _write(tmp_path, """
migrator: 1
name: broken-setup
phases:
  - id: only
    steps:
      - id: boom
        sql: SELECT * FROM no_such_table
""", "setup.yaml")
    plan = _write(tmp_path, correct_plan("sqlite"))
    with pytest.raises(SetupFailed) as exc:
        api.test_plan(plan, sqlite_url, setup=setup)
    assert exc.value.exit_code == 1
    assert str(exc.value).startswith(f"setup plan {setup} did not apply: step boom failed: no such table: no_such_table")


def test_the_seed_plans_pass(db_url):
    """``migrator test plans/seed-app/migration.yaml --setup plans/seed-app/setup.yaml``."""
    report = api.test_plan(str(REPO / "plans/seed-app/migration.yaml"), db_url,
                           setup=str(REPO / "plans/seed-app/setup.yaml"))
    assert [(p.step, p.status) for p in report.proofs if p.status != "proved"] == [("drizzle-kit-decisions", "unproved")]
    assert report.ok and report.exit_code == 0
    assert report.notes[-2:] == (
        "after every rollback, newest first, the schema was back to before the plan",
        "after the re-apply, the schema was the one of the first apply",
    )


# --- the command ------------------------------------------------------------------


def test_command_uses_a_temporary_sqlite_database_never_the_environments(tmp_path, monkeypatch, capsys):
    elsewhere = tmp_path / "production.sqlite"
    monkeypatch.setenv("MIGRATOR_DATABASE_URL", f"sqlite:///{elsewhere}")
    code = main(["test", _write(tmp_path, correct_plan("sqlite")), "--format", "json"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 0
    assert (doc["command"], doc["database"], doc["dialect"], doc["ok"]) == ("test", "temporary SQLite database", "sqlite", True)
    assert doc["counts"] == {"proved": 4, "failed": 0, "unproved": 1}
    assert doc["proofs"][0] == {
        "step": "create-jobs", "phase": "schema", "title": None, "kind": "rollback", "status": "proved",
        "detail": "rolled back to the schema before the step, re-applied to the schema after it", "diff": [],
    }
    assert not elsewhere.exists()


def test_command_exits_1_and_shows_the_difference(tmp_path, capsys):
    plan = _write(tmp_path, """
migrator: 1
name: proof-insert
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
    assert main(["test", plan]) == 1
    assert capsys.readouterr().out == (
        f"Test proof-insert ({plan}) on sqlite (temporary SQLite database)\n"
        "\n"
        "  proved    create-events     rollback    rolled back to the schema before the step, re-applied to the schema after it\n"
        "  FAILED    add-signup-event  idempotent  the second run changed the database\n"
        "            - row count of events changed 1 → 2 after re-run\n"
        "\n"
        "note: steps that stayed applied during the rollback proof (no rollback): add-signup-event\n"
        "note: after every rollback, newest first, the schema was back to before the plan\n"
        "note: after the re-apply, the schema was the one of the first apply\n"
        "\n"
        "1 proved, 1 failed, 0 unproved\n"
    )


def test_command_markdown_for_a_pull_request(tmp_path, capsys):
    plan = _write(tmp_path, correct_plan("sqlite"))
    assert main(["test", plan, "--format", "markdown"]) == 0
    assert capsys.readouterr().out == (
        "## migrator test: `proof-ok`\n"
        "\n"
        "**Summary:** 4 proved · 0 failed · 1 unproved — on sqlite (temporary SQLite database)\n"
        "\n"
        "| step | proof | result | detail |\n"
        "|---|---|---|---|\n"
        "| `create-jobs` | rollback | ✅ proved | rolled back to the schema before the step, re-applied to the schema after it |\n"
        "| `index-jobs-status` | idempotent | ✅ proved | ran a second time: verify held, schema and row counts unchanged |\n"
        "| `index-jobs-status` | rollback | ✅ proved | rolled back to the schema before the step, re-applied to the schema after it |\n"
        "| `confirm-backup` | — | ➖ unproved | not idempotent and no rollback |\n"
        "| `queue-new-jobs` | idempotent | ✅ proved | ran a second time: verify held, schema and row counts unchanged |\n"
        "\n"
        "- steps that stayed applied during the rollback proof (no rollback): confirm-backup, queue-new-jobs\n"
        "- after every rollback, newest first, the schema was back to before the plan\n"
        "- after the re-apply, the schema was the one of the first apply\n"
    )


def test_command_refuses_a_database_with_the_plans_journal_with_exit_2(sqlite_url, tmp_path, capsys):
    plan = _write(tmp_path, correct_plan("sqlite"))
    api.apply(plan, sqlite_url, confirm=["confirm-backup"])
    assert main(["test", plan, "--database", sqlite_url]) == 2
    assert capsys.readouterr().err == (
        f"migrator: {sqlite_url} already holds a journal for plan proof-ok (4 step(s) recorded); `migrator test` "
        "needs a scratch database (leave out --database for a temporary SQLite file)\n"
    )


def test_command_with_an_invalid_plan_exits_2(tmp_path, capsys):
    plan = _write(tmp_path, "migrator: 1\nname: x\n")
    assert main(["test", plan]) == 2
    assert "phases" in capsys.readouterr().err


def test_ctrl_c_in_a_step_of_a_proof_names_the_step_and_does_not_offer_apply(sqlite_url, tmp_path, capsys):
    # The engine's interrupt message tells how `apply` goes on; a proof is not resumed.
    (tmp_path / "steps.py").write_text("def stop(ctx):\n    raise KeyboardInterrupt\n")
    plan = _write(tmp_path, """
migrator: 1
name: proof-interrupted
phases:
  - id: only
    steps:
      - id: py
        python: steps.py:stop
""")
    code = main(["--database", sqlite_url, "test", plan])
    err = capsys.readouterr().err
    assert code == 130
    assert err.strip() == ("migrator: interrupted during step py of `migrator test`; the proof is not resumed: "
                           "run `migrator test` again on a fresh scratch database")


def test_a_verify_that_a_later_step_made_false_is_not_blamed_on_the_second_run(db_url, tmp_path):
    # The cleanup phase drops the column the first step's verify checks: by the time the
    # second runs happen (after the whole plan), that verify no longer holds, whatever the
    # second run does. Idempotency is judged on the second run itself: it succeeds and
    # changes nothing; the stale verify is named, not reported as the step's failure.
    plan = _write(tmp_path, """
migrator: 1
name: proof-stale-verify
phases:
  - id: schema
    steps:
      - id: create-jobs
        idempotent: true
        sql: CREATE TABLE IF NOT EXISTS jobs (id INTEGER NOT NULL PRIMARY KEY, legacy VARCHAR(20))
        rollback: DROP TABLE jobs
        verify:
          - table_exists: jobs
          - column_exists: {table: jobs, column: legacy}
  - id: cleanup
    steps:
      - id: drop-legacy
        sql: ALTER TABLE jobs DROP COLUMN legacy
        rollback: ALTER TABLE jobs ADD COLUMN legacy VARCHAR(20)
        allow: [drop-column]
""")
    report = api.test_plan(plan, db_url)
    by_claim = {(p.step, p.kind): p for p in report.proofs}
    second_run = by_claim[("create-jobs", "idempotent")]
    assert second_run.status == "proved", second_run.detail
    assert second_run.detail == (
        "ran a second time: schema and row counts unchanged, the rest of its verify held; not judged: "
        "column_exists: table=jobs, column=legacy (column jobs.legacy does not exist; found: id), which no "
        "longer held before the second run: a later step of the plan changed what it checks"
    )
    assert by_claim[("create-jobs", "rollback")].status == "proved"
    assert report.exit_code == 0
