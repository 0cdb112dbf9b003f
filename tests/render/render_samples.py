"""Hand-made reports for the renderer tests, after the seed scenario (the job-system migration).

Between them they cover every verdict and every outcome. Run this file to
regenerate the golden files and docs/sample-plan.md:

    python tests/render/render_samples.py
"""
from __future__ import annotations

import sys
from pathlib import Path

from migrator.report import CheckResult, Finding, PhaseResult, RunReport, StepResult

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).resolve().parent / "golden"
SOURCE = "plans/job-system.yaml"


def _finding(rule, severity, step, statement, why, safer, accepted=False, line=0) -> Finding:
    return Finding(rule, severity, step, statement, why, safer, accepted, SOURCE, line, 9)


NO_ROLLBACK = _finding(
    "no-rollback",
    "warning",
    "add-oauth-tables",
    "",
    "The step changes the database, is not idempotent and has no `rollback`: `migrator rollback` cannot undo it and running it again is not safe.",
    "Add a `rollback` that undoes the step, or make it safe to repeat (IF NOT EXISTS, guarded updates) and mark it `idempotent: true`.",
    line=31,
)
FK_FINDING = _finding(
    "fk-validates-table",
    "warning",
    "fk-tool-audit-logs",
    'ALTER TABLE tool_audit_logs ADD CONSTRAINT fk_tool_audit_logs_user FOREIGN KEY ("userId") REFERENCES users (id)',
    "Adding a foreign key checks every existing row while holding a SHARE ROW EXCLUSIVE lock on both tables, which blocks writes to them until the scan ends.",
    "Add the constraint with NOT VALID (only new rows are checked), then run ALTER TABLE ... VALIDATE CONSTRAINT in a separate step, which takes a lock that lets writes go on.",
    line=52,
)
DROP_FINDING = _finding(
    "drop-table",
    "error",
    "drop-legacy-scripts",
    "DROP TABLE scripts_legacy",
    "Dropping a table deletes its data for good, and any code still reading it fails at once.",
    "Stop using the table in the application and deploy that first; then drop it in a later migration, after taking a backup or renaming it aside (e.g. to <name>_old) for a while.",
    accepted=True,
    line=88,
)
UNBOUNDED = _finding(
    "unbounded-dml",
    "warning",
    "normalise-kinds",
    "UPDATE events SET kind = lower(kind)",
    "An UPDATE or DELETE without WHERE changes every row in one transaction: long row locks, a large WAL/undo volume, and no way to stop half-way.",
    "Add a WHERE clause, or make it a `batch` step that works through the rows in small committed chunks and can resume.",
    line=70,
)

USERS_EXIST = CheckResult("table_exists", "table_exists: users", True, "table users exists", path="phases[0].preconditions[0]")
NO_NULL_KINDS = CheckResult(
    "query", "query: SELECT count(*) FROM events WHERE kind IS NULL", True, "0 = 0 (expected eq 0)", count=0
)
ORPHANS = CheckResult(
    "no_orphans",
    "no_orphans: tool_audit_logs.userId → users.id",
    False,
    "3 rows reference a missing users.id",
    message="Delete or fix the orphaned audit rows first | see runbook",
    count=3,
    columns=("userId", "tool"),
    sample=((42, "search"), (43, None), (44, "pipe|name")),
    on_fail="halt",
)
FK_EXISTS_PENDING = CheckResult(
    "foreign_key_exists", "foreign_key_exists: tool_audit_logs(userId) → users.id", None, "not evaluated: the step has not run"
)
ANY_INDEX = CheckResult(
    "any",
    "any: index_exists: jobs(status), index_exists: name=idx_jobs_status",
    True,
    "1 of 2 hold",
    children=(
        CheckResult("index_exists", "index_exists: jobs(status)", True, "idx_jobs_status covers (status)"),
        CheckResult("index_exists", "index_exists: name=idx_jobs_status", False, "no index named idx_jobs_status"),
    ),
)
WARN_PRECONDITION = CheckResult(
    "row_count", "row_count: events (expect gt 0)", False, "0 rows, expected gt 0", on_fail="warn"
)
SKIP_PRECONDITION = CheckResult(
    "column_exists", "column_exists: events.legacy_payload", False, "column events.legacy_payload does not exist", on_fail="skip"
)
MARK_PRECONDITION = CheckResult(
    "not", "not: table_exists: oauth_accounts", False, "table oauth_accounts exists", on_fail="mark_applied"
)


def _step(step, phase, action, verdict, **kw) -> StepResult:
    return StepResult(step=step, phase=phase, action=action, verdict=verdict, **kw)


def plan_report(*, offline: bool = False) -> RunReport:
    """A dry run with every verdict."""
    preflight = PhaseResult(
        "preflight",
        "Pre-Migration Preparation",
        (
            _step(
                "verify-job-compatibility", "preflight", "check", "run", reason="never applied",
                title="Pre-flight check", optional=True, verify=(NO_NULL_KINDS,),
            ),
            _step(
                "add-oauth-tables", "preflight", "sql", "mark_applied",
                reason="precondition not: table_exists: oauth_accounts failed (on_fail: mark_applied)",
                title="Add OAuth tables", preconditions=(MARK_PRECONDITION,),
                statements=("CREATE TABLE oauth_accounts (id bigserial PRIMARY KEY, user_id bigint NOT NULL)",),
                findings=(NO_ROLLBACK,),
            ),
        ),
        preconditions=(USERS_EXIST,),
    )
    schema = PhaseResult(
        "schema",
        "Database Schema Migration",
        (
            _step(
                "drizzle-kit-push", "schema", "manual", "manual", reason="needs a person",
                title="Answer Drizzle Kit's questions",
                instructions="Run `npx drizzle-kit push` and answer:\n- rename scripts → events: yes\n- create jobs: yes",
            ),
            _step("create-jobs", "schema", "sql", "applied", reason="applied 2025-07-14T09:12:03Z", title="Create jobs table"),
            _step(
                "fk-tool-audit-logs", "schema", "sql", "run", reason="never applied",
                title="Foreign key tool_audit_logs.userId → users.id",
                statements=(FK_FINDING.statement,), preconditions=(ORPHANS,), verify=(FK_EXISTS_PENDING,),
                findings=(FK_FINDING,),
            ),
            _step(
                "job-indexes", "schema", "sql_file", "rerun", reason="checksum changed and rerun: on_change",
                checksum="9f8e7d6c5b4a3f2e", recorded_checksum="0a1b2c3d4e5f6a7b", idempotent=True,
                statements=(
                    "-- jobs are polled by status\nCREATE INDEX IF NOT EXISTS idx_jobs_status ON jobs (status)",
                    "CREATE INDEX IF NOT EXISTS idx_job_logs_job ON job_logs (job_id)",
                ),
                verify=(ANY_INDEX,),
            ),
            _step(
                "pg-concurrent-index", "schema", "sql", "not_applicable", reason="when: dialect postgresql (this is sqlite)",
                transaction=False,
            ),
        ),
    )
    data = PhaseResult(
        "data",
        "Data Migration",
        (
            _step(
                "migrate-events", "data", "batch", "resume", reason="interrupted after 12 batches; continues where it stopped",
                title="Copy scripts into events",
                statements=(
                    "INSERT INTO events (id, name, body)\nSELECT id, name, body FROM scripts\nWHERE id NOT IN (SELECT id FROM events)\nLIMIT :batch_size",
                ),
                batches_done=12, rows_affected=12000,
            ),
            _step(
                "normalise-kinds", "data", "sql", "drift",
                reason="applied with checksum 1111aaaa2222bbbb, the plan now has 3333cccc4444dddd",
                checksum="3333cccc4444dddd", recorded_checksum="1111aaaa2222bbbb",
                statements=(UNBOUNDED.statement,), findings=(UNBOUNDED,),
            ),
            _step(
                "backfill-legacy-payload", "data", "python", "skip",
                reason="precondition column_exists: events.legacy_payload failed (on_fail: skip)",
                preconditions=(SKIP_PRECONDITION,),
            ),
            _step(
                "migrate-workflows", "data", "python", "blocked", reason="requires backfill-legacy-payload, which is skipped",
                blocked_by="backfill-legacy-payload",
            ),
        ),
    )
    cleanup = PhaseResult(
        "cleanup",
        "Post-Migration Cleanup",
        (
            _step(
                "drop-legacy-scripts", "cleanup", "sql", "run", reason="never applied",
                statements=(DROP_FINDING.statement,), findings=(DROP_FINDING,),
                preconditions=(WARN_PRECONDITION,),
            ),
        ),
    )
    return RunReport(
        command="plan",
        plan="job-system",
        source=SOURCE,
        phases=(preflight, schema, data, cleanup),
        status="drift",
        message="drift: step normalise-kinds changed since it was applied (1111aaaa2222bbbb → 3333cccc4444dddd); apply would stop before executing anything",
        dialect="postgresql" if offline else "sqlite",
        database=None if offline else "sqlite:///app.sqlite",
        offline=offline,
    )


def apply_report() -> RunReport:
    """An apply that stopped at a manual step, with every outcome."""
    a = _step
    preflight = PhaseResult(
        "preflight",
        "Pre-Migration Preparation",
        (
            a("verify-job-compatibility", "preflight", "check", "run", outcome="applied", title="Pre-flight check",
              verify=(NO_NULL_KINDS,), duration_ms=12, reason="never applied"),
            a("add-oauth-tables", "preflight", "sql", "mark_applied", outcome="marked_applied",
              reason="precondition not: table_exists: oauth_accounts failed (on_fail: mark_applied)", title="Add OAuth tables"),
            a("create-test-events", "preflight", "python", "run", outcome="optional_failed", optional=True,
              error="ValueError: no test fixtures configured", duration_ms=40, reason="never applied"),
            a("legacy-report", "preflight", "sql", "run", outcome="filtered", reason="left out by --skip legacy-report"),
        ),
        preconditions=(USERS_EXIST,),
    )
    schema = PhaseResult(
        "schema",
        "Database Schema Migration",
        (
            a("create-jobs", "schema", "sql", "applied", outcome="already_applied", reason="applied 2025-07-14T09:12:03Z"),
            a("job-indexes", "schema", "sql_file", "run", outcome="applied", statements_done=2,
              statements=("CREATE INDEX idx_jobs_status ON jobs (status)", "CREATE INDEX idx_job_logs_job ON job_logs (job_id)"),
              duration_ms=2480, verify=(ANY_INDEX,), reason="never applied",
              warnings=("precondition row_count: jobs (expect gt 0) failed (on_fail: warn): 0 rows",)),
            a("fk-tool-audit-logs", "schema", "sql", "run", outcome="failed", statements_done=0,
              statements=(FK_FINDING.statement,), preconditions=(ORPHANS,), reason="never applied",
              error="precondition no_orphans: tool_audit_logs.userId → users.id failed: 3 rows reference a missing users.id"),
            a("pg-concurrent-index", "schema", "sql", "not_applicable", outcome="not_applicable",
              reason="when: dialect postgresql (this is sqlite)"),
        ),
    )
    data = PhaseResult(
        "data",
        "Data Migration",
        (
            a("migrate-events", "data", "batch", "run", outcome="partial", batches_done=5, rows_affected=5000,
              duration_ms=185_000, reason="not applied yet",
              journal_message="stopped by max_batches (5); the next apply continues it"),
            a("backfill-legacy-payload", "data", "python", "skip", outcome="skipped",
              reason="precondition column_exists: events.legacy_payload failed (on_fail: skip)", preconditions=(SKIP_PRECONDITION,)),
            a("migrate-workflows", "data", "python", "blocked", outcome="blocked", blocked_by="backfill-legacy-payload",
              reason="requires backfill-legacy-payload"),
            a("drizzle-kit-push", "data", "manual", "manual", outcome="waiting", title="Answer Drizzle Kit's questions",
              instructions="Run `npx drizzle-kit push` and answer the rename questions."),
        ),
        waits_for_person=True,
    )
    validation = PhaseResult(
        "validation",
        "Validation",
        (a("count-events", "validation", "check", "run", outcome="not_reached", reason="the run stopped before this step"),),
    )
    return RunReport(
        command="apply",
        plan="job-system",
        source=SOURCE,
        phases=(preflight, schema, data, validation),
        status="waiting",
        message="waiting for a person at step drizzle-kit-push; when it is done run: migrator apply plans/job-system.yaml --confirm drizzle-kit-push",
        dialect="sqlite",
        database="sqlite:///app.sqlite",
        next_steps=("migrator apply plans/job-system.yaml --confirm drizzle-kit-push",),
    )


def complete_apply_report() -> RunReport:
    """An apply that got to the end: every phase complete."""
    steps = (
        _step("verify-job-compatibility", "preflight", "check", "run", outcome="applied", verify=(NO_NULL_KINDS,), duration_ms=8),
        _step("add-oauth-tables", "preflight", "sql", "run", outcome="applied", rows_affected=0, duration_ms=31),
    )
    return RunReport(
        command="apply",
        plan="job-system",
        source=SOURCE,
        phases=(PhaseResult("preflight", "Pre-Migration Preparation", steps),),
        dialect="postgresql",
        database="postgresql://app@db.internal/app",
    )


def drift_apply_report() -> RunReport:
    """An apply that stopped on drift before executing anything (its own sample: such a
    run has no other outcomes than already applied, drift, not reached and not selected)."""
    steps = (
        _step("verify-job-compatibility", "preflight", "check", "applied", outcome="already_applied"),
        _step("add-oauth-tables", "preflight", "sql", "drift", outcome="drift", checksum="9f2c",
              recorded_checksum="41ab", reason="changed since applied: journal checksum 41ab, plan checksum 9f2c"),
    )
    return RunReport(
        command="apply",
        plan="job-system",
        source=SOURCE,
        phases=(PhaseResult("preflight", "Pre-Migration Preparation", steps),),
        status="drift",
        message="drift: step add-oauth-tables changed since it was applied (journal checksum 41ab, plan checksum 9f2c); apply executes nothing while a step has drifted",
        dialect="postgresql",
        database="postgresql://app@db.internal/app",
    )


def status_report() -> RunReport:
    s = _step
    phases = (
        PhaseResult(
            "preflight",
            "Pre-Migration Preparation",
            (
                s("verify-job-compatibility", "preflight", "check", "applied", state="applied",
                  finished_at="2025-07-14T09:10:00Z", run_by="deploy", duration_ms=12),
                s("add-oauth-tables", "preflight", "sql", "applied", state="marked_applied",
                  finished_at="2025-07-14T09:10:01Z", run_by="deploy", duration_ms=0,
                  journal_message="precondition not: table_exists: oauth_accounts failed: marked applied"),
            ),
        ),
        PhaseResult(
            "data",
            "Data Migration",
            (
                s("migrate-events", "data", "batch", "resume", state="partial", finished_at="2025-07-14T09:20:00Z",
                  run_by="deploy", duration_ms=185_000, batches_done=5, rows_affected=5000),
                s("normalise-kinds", "data", "sql", "drift", state="applied", finished_at="2025-07-14T09:21:00Z",
                  run_by="alice", duration_ms=4_200_000, checksum="3333cccc4444dddd", recorded_checksum="1111aaaa2222bbbb"),
                s("fk-tool-audit-logs", "data", "sql", "run", state="failed", finished_at="2025-07-14T09:22:00Z",
                  run_by="deploy", duration_ms=15, journal_message="failed at statement 1 of 1: violates foreign key | constraint"),
                s("migrate-workflows", "data", "python", "run"),
            ),
        ),
    )
    return RunReport(command="status", plan="job-system", source=SOURCE, phases=phases, status="drift",
                     dialect="postgresql", database="postgresql://app@db.internal/app")


def verify_report() -> RunReport:
    s = _step
    phases = (
        PhaseResult(
            "schema",
            "Database Schema Migration",
            (
                s("job-indexes", "schema", "sql_file", "applied", verify=(ANY_INDEX,)),
                s("fk-tool-audit-logs", "schema", "sql", "applied", verify=(ORPHANS,)),
                s("pg-concurrent-index", "schema", "sql", "not_applicable", reason="not applied: not checked"),
            ),
            verify=(NO_NULL_KINDS,),
        ),
    )
    return RunReport(command="verify", plan="job-system", source=SOURCE, phases=phases, status="failed",
                     message="1 of 3 checks failed", dialect="postgresql", database="postgresql://app@db.internal/app")


def rollback_report() -> RunReport:
    """``rollback --last 2``: one step rolled back, the next failed and stays applied."""
    steps = (
        _step("job-indexes", "schema", "sql_file", "applied", outcome="rolled_back", state="rolled_back",
              statements=("DROP INDEX IF EXISTS idx_jobs_status",)),
        _step("create-jobs", "schema", "sql", "applied", outcome="failed", statements=("DROP TABLE jobs",),
              error="table jobs is referenced by job_logs (rollback statement 1 of 1); the step stays applied"),
    )
    return RunReport(
        command="rollback", plan="job-system", source=SOURCE,
        phases=(PhaseResult("schema", "Database Schema Migration", steps),), status="failed",
        message="rollback of step create-jobs failed", dialect="sqlite", database="sqlite:///app.sqlite",
        extra={"rollback_order": ["job-indexes", "create-jobs"]},
    )


def findings() -> tuple[Finding, ...]:
    return (DROP_FINDING, FK_FINDING, UNBOUNDED, NO_ROLLBACK)


#: (golden file name, how to make it)
def goldens():
    from migrator.render import render, render_findings, render_summary

    return {
        "plan.txt": lambda: render(plan_report(), "text"),
        "plan-color.txt": lambda: render(plan_report(), "text", color=True),
        "plan.md": lambda: render(plan_report(), "markdown"),
        "plan-offline.md": lambda: render(plan_report(offline=True), "markdown"),
        "plan.json": lambda: render(plan_report(), "json"),
        "apply.txt": lambda: render(apply_report(), "text"),
        "apply.md": lambda: render(apply_report(), "markdown"),
        "apply.json": lambda: render(apply_report(), "json"),
        "rollback.txt": lambda: render(rollback_report(), "text"),
        "rollback.json": lambda: render(rollback_report(), "json"),
        "status.txt": lambda: render(status_report(), "text"),
        "status.md": lambda: render(status_report(), "markdown"),
        "verify.txt": lambda: render(verify_report(), "text"),
        "verify.md": lambda: render(verify_report(), "markdown"),
        "summary.md": lambda: render_summary(apply_report(), date="2025-07-14"),
        "summary-complete.md": lambda: render_summary(complete_apply_report()),
        "lint.txt": lambda: render_findings(findings(), "text"),
        "lint.md": lambda: render_findings(findings(), "markdown"),
        "lint.json": lambda: render_findings(findings(), "json"),
    }


def write_all() -> None:
    from migrator.render import render

    GOLDEN.mkdir(exist_ok=True)
    for name, make in goldens().items():
        (GOLDEN / name).write_text(make(), encoding="utf-8")
    intro = (
        "# Sample: `migrator plan --format markdown`\n\n"
        "What the dry run posts on a pull request (generated by `tests/render/render_samples.py` "
        "from a hand-made report of the seed's job-system migration; every verdict appears once).\n\n"
        "---\n\n"
    )
    (ROOT / "docs").mkdir(exist_ok=True)
    (ROOT / "docs" / "sample-plan.md").write_text(intro + render(plan_report(), "markdown"), encoding="utf-8")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    write_all()
