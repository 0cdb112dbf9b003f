"""End to end, on each dialect: the dry run's note on a precondition that would halt
`apply`, `status` showing every journaled warning, and the `apply --report` of the run
that finishes a plan listing the warnings an earlier run journaled."""
from __future__ import annotations

import json
import re
import textwrap

import pytest

from tests.cli.clirun import run, write_plan_file

CAVEAT = " (checked against the database as it is now; earlier steps of this run may change that)"

HALTS = textwrap.dedent(
    """\
    migrator: 1
    name: halts
    phases:
      - id: a
        steps:
          - id: guarded-first
            preconditions:
              - table_exists: nowhere
            sql: SELECT 1
            rollback: SELECT 1
          - id: make
            sql: CREATE TABLE made (id INTEGER)
            rollback: DROP TABLE made
          - id: use
            preconditions:
              - table_exists: made
                message: run make first
            sql: INSERT INTO made (id) VALUES (1)
            rollback: DELETE FROM made
      - id: b
        preconditions:
          - table_exists: made
        steps:
          - id: later
            sql: SELECT 2
            rollback: SELECT 1
    """
)


def test_dry_run_says_where_apply_would_halt_and_that_an_earlier_step_may_change_it(db_url, tmp_path, capsys):
    plan = write_plan_file(tmp_path, HALTS)
    code, out, _ = run(capsys, "--database", db_url, "plan", plan, "--format", "json")
    # guarded-first halts whatever happens: nothing runs before it. Exit 1, as apply's.
    assert code == 1
    doc = json.loads(out)
    assert (doc["status"], doc["message"]) == ("failed", "step guarded-first: apply would halt here: precondition "
                                                         "table_exists: nowhere failed: table nowhere does not exist")
    steps = {s["step"]: s for p in doc["phases"] for s in p["steps"]}
    # The verdicts stay what they are; the reason says what the precondition found.
    assert {k: s["verdict"] for k, s in steps.items()} == dict.fromkeys(steps, "run")
    assert steps["guarded-first"]["reason"] == (
        "not applied yet; apply would halt here: precondition table_exists: nowhere failed: table nowhere does not exist"
    )
    assert steps["make"]["reason"] == "not applied yet"
    use = "not applied yet; apply would halt here: precondition table_exists: made failed: run make first" + CAVEAT
    later = ("not applied yet; apply would halt at phase b: precondition table_exists: made failed: "
             "table made does not exist" + CAVEAT)
    assert (steps["use"]["reason"], steps["later"]["reason"]) == (use, later)
    # Text and Markdown give the same reason.
    out = run(capsys, "--database", db_url, "plan", plan)[1]
    assert f"  use: would run — {use}\n" in out
    assert f"  later: would run — {later}\n" in out
    md = run(capsys, "--database", db_url, "plan", plan, "--format", "markdown")[1]
    assert "| ▶️ would run | not applied yet; apply would halt here: precondition table_exists: made failed: " \
           "run make first" + CAVEAT + " |" in md


@pytest.mark.parametrize("edit, code", [
    # Only halts that an earlier step of the run may undo: apply may well get through.
    (lambda text: text.replace("          - table_exists: nowhere\n", "          - dialect: [sqlite, postgresql, mysql]\n"), 0),
    # The certain halt is on an optional step: apply goes on past it (exit 0), so does plan.
    (lambda text: text.replace("      - id: guarded-first\n", "      - id: guarded-first\n        optional: true\n"), 0),
])
def test_dry_run_exits_1_only_where_apply_will_certainly_halt(db_url, tmp_path, capsys, edit, code):
    plan = write_plan_file(tmp_path, edit(HALTS))
    assert run(capsys, "--database", db_url, "plan", plan)[0] == code
    assert run(capsys, "--database", db_url, "plan", plan, "--detailed-exitcode")[0] == 4


WARNS = textwrap.dedent(
    """\
    migrator: 1
    name: warns
    phases:
      - id: first
        steps:
          - id: inventory
            idempotent: true
            preconditions:
              - table_exists: nowhere
                on_fail: warn
                message: nowhere is missing; phase two adds it
              - table_exists: elsewhere
                on_fail: warn
                message: elsewhere is missing; nobody adds it
      - id: two
        steps:
          - id: gate
            manual: Ask the DBA
          - id: final
            sql: SELECT 1
            rollback: SELECT 1
    """
)
FIRST = "precondition table_exists: nowhere failed: nowhere is missing; phase two adds it"
SECOND = "precondition table_exists: elsewhere failed: elsewhere is missing; nobody adds it"


def test_status_and_the_final_report_keep_the_warnings_of_an_earlier_run(db_url, tmp_path, capsys):
    plan = write_plan_file(tmp_path, WARNS)
    assert run(capsys, "--database", db_url, "apply", plan, "--yes")[0] == 3  # waits at the gate
    out = run(capsys, "--database", db_url, "status", plan)[1]
    assert f"\n    warning: {FIRST}\n    warning: {SECOND}\n" in out
    report = tmp_path / "summary.md"
    code, _, _ = run(capsys, "--database", db_url, "apply", plan, "--confirm", "gate", "--report", str(report))
    assert code == 0
    md = report.read_text()
    findings = md.split("## Key Findings", 1)[1].split("## Skipped / Failed", 1)[0]
    earlier = re.compile(r" \(raised by an earlier run, \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\)$")
    listed = [line for line in findings.splitlines() if line.startswith("   - `inventory`: ")]
    assert [earlier.sub("", line) for line in listed] == [
        "   - `inventory`: precondition table_exists: nowhere failed: nowhere is missing; phase two adds it",
        "   - `inventory`: precondition table_exists: elsewhere failed: elsewhere is missing; nobody adds it",
    ]
    assert all(earlier.search(line) for line in listed)
    skipped = md.split("## Skipped / Failed", 1)[1].split("## Next Steps", 1)[0]
    assert skipped.strip() == "Nothing was skipped or failed; 2 warnings are listed under Key Findings."


OUTCOME_REASONS = textwrap.dedent(
    """\
    migrator: 1
    name: reasons
    phases:
      - id: p
        steps:
          - id: t
            sql: CREATE TABLE t (id INTEGER)
          - id: mk
            preconditions:
              - not: {table_exists: t}
                on_fail: mark_applied
            sql: CREATE TABLE t (id INTEGER)
          - id: fill
            batch:
              sql: INSERT INTO t (id) SELECT 1 WHERE (SELECT count(*) FROM t) < 2 AND :batch_size > 0
              max_batches: 1
          - id: bad
            verify:
              - query: SELECT count(*) FROM nosuch
                expect: 0
    """
)


def test_apply_says_why_each_step_ended_as_it_did_not_why_it_was_to_run(sqlite_url, tmp_path, capsys):
    # The planner's "not applied yet" is why a step was to run; after apply the line
    # says why it ended as it did (the journal row's message), or nothing when it ran.
    plan = write_plan_file(tmp_path, OUTCOME_REASONS)
    code, out, _ = run(capsys, "--database", sqlite_url, "apply", plan)
    assert code == 1
    assert "not applied yet" not in out
    assert "  mk: marked applied — precondition not: table_exists: t failed: the check held: table t exists\n" in out
    assert "  fill: partial — stopped by max_batches (1); the next apply continues it\n" in out
    assert "  bad: FAILED\n" in out
    # A failed check's SQL error is quoted once, not again as "; error: ...".
    assert out.count("no such table: nosuch") == out.count("the check's SQL failed: no such table: nosuch")


def test_status_does_not_call_a_changed_rerun_step_drift(sqlite_url, tmp_path, capsys):
    # rerun: on_change runs again when it changed (spec section 4): that is its verdict,
    # not drift, in every format.
    text = textwrap.dedent(
        """\
        migrator: 1
        name: reruns
        phases:
          - id: p
            steps:
              - id: view
                idempotent: true
                rerun: on_change
                sql: CREATE VIEW IF NOT EXISTS v AS SELECT {n} AS n
        """
    )
    plan = write_plan_file(tmp_path, text.format(n=1))
    assert run(capsys, "--database", sqlite_url, "apply", plan)[0] == 0
    write_plan_file(tmp_path, text.format(n=2))
    code, out, _ = run(capsys, "--database", sqlite_url, "status", plan)
    row = next(line for line in out.splitlines() if line.strip().startswith("view "))
    assert code == 0 and "DRIFT" not in row and "drifted" not in out
    code, out, _ = run(capsys, "--database", sqlite_url, "status", plan, "--format", "json")
    doc = json.loads(out)
    assert doc["status"] == "ok" and doc["phases"][0]["steps"][0]["verdict"] == "rerun"


def test_status_json_says_a_phase_waits_for_a_person_as_plan_does(sqlite_url, tmp_path, capsys):
    plan = write_plan_file(tmp_path, textwrap.dedent(
        """\
        migrator: 1
        name: gate
        phases:
          - id: p
            steps:
              - id: make
                sql: CREATE TABLE t (id INTEGER)
              - id: ask
                manual: Check the table.
          - id: q
            steps:
              - id: later
                sql: CREATE TABLE u (id INTEGER)
        """
    ))
    assert run(capsys, "--database", sqlite_url, "apply", plan, "--yes")[0] == 3
    waits = {}
    for command in ("status", "plan"):
        doc = json.loads(run(capsys, "--database", sqlite_url, command, plan, "--format", "json")[1])
        waits[command] = [(p["phase"], p["waits_for_person"]) for p in doc["phases"]]
    assert waits["status"] == waits["plan"] == [("p", True), ("q", False)]


def test_apply_json_shows_the_journal_message_of_the_row_this_run_wrote(sqlite_url, tmp_path, capsys):
    # journal_message is the step's latest journal row: after a failed attempt is fixed,
    # the applied row's (none), not the old error; a confirmed manual step's confirmation.
    plan = write_plan_file(tmp_path, textwrap.dedent(
        """\
        migrator: 1
        name: msgs
        phases:
          - id: p
            steps:
              - id: fill
                sql: INSERT INTO t (id) VALUES (1)
              - id: ask
                manual: Look at t.
        """
    ))
    assert run(capsys, "--database", sqlite_url, "apply", plan, "--yes")[0] == 1  # no table t yet
    from tests.dbutil import run_sql

    run_sql(sqlite_url, "CREATE TABLE t (id INTEGER)")
    code, out, _ = run(capsys, "--database", sqlite_url, "apply", plan, "--confirm", "ask", "--format", "json")
    assert code == 0
    steps = {s["step"]: s for p in json.loads(out)["phases"] for s in p["steps"]}
    assert steps["fill"]["journal_message"] is None
    assert steps["ask"]["journal_message"].startswith("confirmed by ")
