"""The ``apply --report`` summary and the plan's Markdown on real runs: a failed phase
check is a failure, each next step is said once, a plan's instructions carry no raw HTML."""
from __future__ import annotations

import re

from markdown_it import MarkdownIt

from migrator import api
from migrator.render import render, render_summary
from migrator.report import CheckResult, PhaseResult, RunReport, StepResult

PHASE_VERIFY_FAILS = """\
migrator: 1
name: phase-verify-fails
phases:
  - id: one
    verify:
      - name: one row in acc_r
        query: SELECT count(*) FROM acc_r
        expect: 1
        message: acc_r needs one row
    steps:
      - id: make-r
        sql: CREATE TABLE acc_r (id INTEGER PRIMARY KEY)
        rollback: DROP TABLE acc_r
  - id: two
    steps:
      - id: two-a
        idempotent: true
        sql: SELECT 1
"""

PHASE_PRECONDITION_HALTS = """\
migrator: 1
name: phase-precondition-halts
phases:
  - id: one
    preconditions:
      - table_exists: acc_nothing
        message: create acc_nothing first
    steps:
      - id: a
        idempotent: true
        sql: SELECT 1
"""

# A manual gate, a partial batch, an optional failure, a skipped and a blocked step and
# a step not reached: each has a next step of its own.
EVERYTHING_PENDING = """\
migrator: 1
name: everything-pending
phases:
  - id: setup
    steps:
      - id: make-items
        sql:
          - CREATE TABLE acc_items (id INTEGER PRIMARY KEY, done INTEGER NOT NULL DEFAULT 0)
          - INSERT INTO acc_items (id) VALUES (1), (2), (3), (4), (5)
        rollback: DROP TABLE acc_items
        allow: [mysql-partial-ddl]
      - id: optional-fails
        optional: true
        idempotent: true
        sql: UPDATE acc_no_such_table SET x = 1
      - id: skipped
        idempotent: true
        preconditions:
          - table_exists: acc_later
            on_fail: skip
        sql: SELECT 1
      - id: blocked
        requires: [skipped]
        idempotent: true
        sql: SELECT 2
      - id: backfill
        idempotent: true
        batch:
          size: 2
          max_batches: 1
          sql: >-
            UPDATE acc_items SET done = 1
            WHERE id IN (SELECT id FROM (SELECT id FROM acc_items WHERE done = 0
                                         ORDER BY id LIMIT :batch_size) AS batch)
  - id: gate
    steps:
      - id: approve
        manual: Look at acc_items, then confirm.
      - id: after-gate
        idempotent: true
        sql: SELECT 3
"""


def _summary(tmp_path, db_url, plan_text: str):
    path = tmp_path / "plan.yaml"
    path.write_text(plan_text)
    report = api.apply(str(path), db_url, yes=True)
    return report, render_summary(report)


def _section(summary: str, title: str) -> str:
    return summary.split(f"## {title}\n\n", 1)[1].split("\n## ", 1)[0]


def test_a_failed_phase_verification_is_listed_and_the_phase_is_not_complete(tmp_path, db_url):
    report, summary = _summary(tmp_path, db_url, PHASE_VERIFY_FAILS)
    assert report.exit_code == 1
    assert "Phases completed: 0 of 2." in summary
    assert "### Phase one (verification failed)" in summary
    assert _section(summary, "Skipped / Failed").splitlines() == [
        "- phase `one` — verification failed: one row in acc_r — acc_r needs one row; expected 1, got 0"
    ]


def test_a_halting_phase_precondition_is_listed_with_what_to_do(tmp_path, db_url):
    report, summary = _summary(tmp_path, db_url, PHASE_PRECONDITION_HALTS)
    assert report.exit_code == 1
    assert _section(summary, "Skipped / Failed").splitlines() == [
        "- phase `one` — precondition failed: table_exists: acc_nothing — create acc_nothing first; "
        "table acc_nothing does not exist"
    ]
    assert _section(summary, "Next Steps").startswith("- Fix the failure above, then run `migrator apply ")


def test_each_next_step_is_said_once(tmp_path, db_url):
    report, summary = _summary(tmp_path, db_url, EVERYTHING_PENDING)
    assert report.exit_code == 3
    bullets = [re.sub(r"`[^`]*`", "CMD", b) for b in _section(summary, "Next Steps").splitlines()]
    # Not again as the run's plain-text hints ("confirm manual step ...", "fix step ...",
    # "continue batch step ...", "step skipped was skipped ...", "1 step(s) not reached").
    assert bullets == [
        "- ✋ Phase CMD waits for a person at step CMD. Look at acc_items, then confirm. When it is done, run CMD.",
        "- Fix the failure above, then run CMD again; applied steps are not repeated.",
        "- Run CMD again to continue the partial batch steps.",
        "- Phase CMD: 4 steps pending (CMD, CMD, CMD, CMD)",
        "- Phase CMD: 2 steps pending (CMD, CMD)",
    ]


def test_a_plans_instructions_keep_their_markdown_but_not_raw_html():
    manual = StepResult(
        step="gate", phase="p", action="manual", verdict="manual",
        instructions="Open the <details> panel and check `a<b`:\n- the </details> list\n- **all** rows",
    )
    report = RunReport(command="plan", plan="p", source="p.yaml", phases=(PhaseResult("p", None, (manual,)),))
    html = MarkdownIt("commonmark").enable("table").render(render(report, "markdown"))
    assert "<details>" not in html and "</details>" not in html
    assert "Open the &lt;details&gt; panel and check <code>a&lt;b</code>:" in html
    assert "<li>the &lt;/details&gt; list</li>" in html and "<li><strong>all</strong> rows</li>" in html


def test_a_dry_run_summary_does_not_count_not_applicable_steps_as_pending():
    steps = (
        StepResult(step="everywhere", phase="p", action="sql", verdict="run"),
        StepResult(step="postgres-only", phase="p", action="sql", verdict="not_applicable"),
    )
    report = RunReport(command="plan", plan="p", source="p.yaml", phases=(PhaseResult("p", None, steps),))
    assert _section(render_summary(report), "Next Steps").strip() == "- Phase `p`: 1 step pending (`everywhere`)"


def test_a_drifted_step_is_not_listed_as_pending(tmp_path, db_url):
    """Drift stops the run before anything executes; the drifted step is applied (its
    edit is the problem, and the next steps say how to deal with it), not pending."""
    path = tmp_path / "plan.yaml"
    plan_text = """\
migrator: 1
name: drift-not-pending
phases:
  - id: one
    steps:
      - id: make-d
        sql: CREATE TABLE acc_drift (id INTEGER PRIMARY KEY)
        rollback: DROP TABLE acc_drift
      - id: later
        idempotent: true
        sql: SELECT 1
        preconditions:
          - table_exists: acc_never
            on_fail: skip
"""
    path.write_text(plan_text)
    assert api.apply(str(path), db_url, yes=True).exit_code == 0
    path.write_text(plan_text.replace("(id INTEGER PRIMARY KEY)", "(id INTEGER PRIMARY KEY, x INTEGER)"))
    report = api.apply(str(path), db_url, yes=True)
    assert report.exit_code == 1
    next_steps = _section(render_summary(report), "Next Steps").splitlines()
    assert next_steps[0] == "- Phase `one`: 1 step pending (`later`)"
    assert next_steps[1].startswith("- restore the changed steps")


# --- the seed's summary, section by section ---------------------------------------

def _seed_like_report() -> RunReport:
    """Phase 1 of the seed: a check step whose `on_fail: warn` preconditions find a
    missing foreign key and orphan rows; phase 2 waits for a person whose instructions
    are several lines (a list of questions); phase 3 runs an optional, idempotent check."""
    fk = CheckResult(
        kind="foreign_key_exists", label="foreign_key_exists: table=t, columns=userId, references=users.id",
        held=False, detail="foreign key t(userId) → users(id) missing; found: none on t",
        message="missing foreign key t.userId → users.id", on_fail="warn",
    )
    orphans = CheckResult(
        kind="no_orphans", label="no_orphans: table=t, columns=userId, references=users.id", held=False,
        detail="3 rows in t(userId) with no matching row in users(id)", count=3, columns=("userId",),
        sample=((901,), (902,), (903,)), message="orphans in t", on_fail="warn",
    )
    passed = CheckResult(kind="table_exists", label="table_exists: t", held=True, detail="table t exists")
    inventory = StepResult(
        step="inventory", phase="preparation", action="check", verdict="run", outcome="applied",
        idempotent=True, rows_affected=0, duration_ms=2, preconditions=(fk, orphans), verify=(passed,),
        warnings=("precondition foreign_key_exists: table=t, columns=userId, references=users.id failed: "
                  "missing foreign key t.userId → users.id",
                  "precondition no_orphans: table=t, columns=userId, references=users.id failed: orphans in t"),
    )
    gate = StepResult(
        step="gate", phase="schema", action="manual", verdict="manual", outcome="waiting",
        instructions="Run `npx drizzle-kit generate` and answer:\n- \"Is a created or renamed?\" create\n- \"Is b?\" create",
    )
    preflight = StepResult(
        step="preflight", phase="data", action="check", verdict="run", outcome="applied",
        optional=True, idempotent=True, verify=(passed,),
    )
    return RunReport(
        command="apply", plan="seed", source="m.yaml", phases=(
            PhaseResult("preparation", "Phase 1: Pre-Migration Preparation", (inventory,)),
            PhaseResult("schema", "Phase 2: Database Schema Migration", (gate,)),
            PhaseResult("data", "Data Migration", (preflight,)),
        ),
    )


def test_summary_headings_do_not_say_phase_twice():
    headings = [ln for ln in render_summary(_seed_like_report()).splitlines() if ln.startswith("### ")]
    assert headings == ["### Phase 1: Pre-Migration Preparation ✅", "### Phase data: Data Migration ✅"]


def test_summary_steps_say_idempotent_and_optional_and_a_check_changes_no_rows():
    completed = _section(render_summary(_seed_like_report()), "Completed Tasks")
    assert "1. **`inventory`** — check, idempotent, applied, 2 ms" in completed
    assert "1. **`preflight`** — check, optional, idempotent, applied" in completed


def test_summary_shows_what_a_warning_precondition_found_with_count_and_sample():
    summary = render_summary(_seed_like_report())
    completed = _section(summary, "Completed Tasks")
    assert "   - ⚠️ missing foreign key t.userId → users.id — foreign key t(userId) → users(id) missing; found: none on t" in completed
    assert ("   - ⚠️ orphans in t — 3 rows in t(userId) with no matching row in users(id) "
            "(sample: userId 901, 902, 903)") in completed
    warnings = _section(summary, "Key Findings").split("**Warnings**: 2\n", 1)[1].splitlines()
    assert warnings[1] == ("   - `inventory`: precondition no_orphans: table=t, columns=userId, references=users.id "
                           "failed: orphans in t — 3 rows in t(userId) with no matching row in users(id)")


def test_summary_key_findings_do_not_repeat_the_passed_checks_of_completed_steps():
    from dataclasses import replace

    report = _seed_like_report()
    findings = _section(render_summary(report), "Key Findings")
    assert findings.startswith("1. **Verification**: 2 of 2 checks passed (each is listed with its step under Completed Tasks)\n")
    assert "table_exists: t" not in findings
    # A failed check is a finding: listed, with the count of the passed ones.
    bad = CheckResult(kind="table_exists", label="table_exists: u", held=False, detail="table u does not exist")
    failing = replace(report.phases[2].steps[0], outcome="optional_failed", verify=(bad,))
    report = replace(report, phases=(*report.phases[:2], replace(report.phases[2], steps=(failing,))))
    lines = _section(render_summary(report), "Key Findings").splitlines()
    assert lines[:3] == [
        "1. **Verification**: 1 of 2 checks passed",
        "   - ❌ `preflight`: table_exists: u — table u does not exist",
        "   - and 1 passed check of completed steps, listed with them under Completed Tasks",
    ]


def test_summary_next_steps_keep_the_lines_of_multi_line_instructions():
    summary = render_summary(_seed_like_report())
    html = MarkdownIt("commonmark").render(_section(summary, "Next Steps"))
    assert "<li>&quot;Is a created or renamed?&quot; create</li>" in html
    assert "<li>&quot;Is b?&quot; create</li>" in html
    assert "When it is done, run <code>migrator apply m.yaml --confirm gate</code>." in html


def test_summary_names_who_confirmed_a_manual_step():
    step = StepResult(step="gate", phase="p", action="manual", verdict="run", outcome="applied", run_by="alice")
    report = RunReport(command="apply", plan="p", source="p.yaml", phases=(PhaseResult("p", None, (step,)),))
    assert "1. **`gate`** — manual, applied, confirmed by alice" in render_summary(report)
