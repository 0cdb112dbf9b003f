"""How reports show a `not` check's nested result, a journal message holding several
warnings (``status``) and the warnings an earlier run journaled (``apply --report``)."""
from __future__ import annotations

import json

from migrator.render import render, render_summary
from migrator.report import CheckResult, PhaseResult, RunReport, StepResult

TABLE_GONE = CheckResult("table_exists", "table_exists: scripts", False, "table scripts does not exist")
TABLE_THERE = CheckResult("table_exists", "table_exists: scripts", True, "table scripts exists")
NOT_PASSING = CheckResult(
    "not", "not: table_exists: scripts", True, "the check did not hold: table scripts does not exist",
    children=(TABLE_GONE,),
)
NOT_FAILING = CheckResult(
    "not", "not: table_exists: scripts", False, "the check held: table scripts exists",
    message="scripts is still there", children=(TABLE_THERE,),
)
NOT_BROKEN = CheckResult(
    "not", "not: no_rows: SELECT * FROM nowhere", False, "the check could not run: query failed",
    error="no such table: nowhere",
    children=(CheckResult("no_rows", "no_rows: SELECT * FROM nowhere", False, "query failed",
                          error="no such table: nowhere"),),
)
#: Two `on_fail: warn` warnings as the runner journals them; the first has "; " of its own.
WARNED = ("warning: precondition foreign_key_exists: t.userId failed: missing foreign key; phase 2 adds it; "
          "precondition no_orphans: t.userId failed: orphans in t; clean-orphans deletes them")


def _report(command: str, *steps: StepResult, **kw) -> RunReport:
    return RunReport(command=command, plan="demo", source="plan.yaml",
                     phases=(PhaseResult("p", None, tuple(steps)),), dialect="sqlite", **kw)


def _step(step: str, **kw) -> StepResult:
    return StepResult(**{"step": step, "phase": "p", "action": "sql", "verdict": "applied", **kw})


def test_a_passing_not_shows_its_nested_check_not_holding_as_expected_in_text():
    out = render(_report("verify", _step("drop-scripts", verify=(NOT_PASSING,))), "text")
    assert out.splitlines()[4:6] == [
        "    ✓ not: table_exists: scripts — the check did not hold: table scripts does not exist",
        "      ✓ table_exists: scripts — does not hold, as expected: table scripts does not exist",
    ]
    assert "✗" not in out


def test_a_failing_not_shows_its_nested_check_holding_but_must_not_in_text():
    out = render(_report("verify", _step("drop-scripts", verify=(NOT_FAILING,))), "text")
    assert out.splitlines()[4:7] == [
        "    ✗ not: table_exists: scripts — the check held: table scripts exists",
        "      scripts is still there",
        "      ✗ table_exists: scripts — holds, but must not: table scripts exists",
    ]


def test_a_nested_check_that_could_not_run_stays_failed_under_not():
    out = render(_report("verify", _step("s", verify=(NOT_BROKEN,))), "text")
    assert "      ✗ no_rows: SELECT * FROM nowhere — query failed; error: no such table: nowhere" in out
    assert "as expected" not in out


def test_markdown_shows_the_nested_check_of_a_not_the_same_way():
    step = _step("drop-scripts", verdict="run", outcome="applied", verify=(NOT_PASSING, NOT_FAILING))
    md = render(_report("apply", step), "markdown")
    assert "  - ✅ table_exists: scripts — does not hold, as expected: table scripts does not exist" in md
    assert "  - ❌ table_exists: scripts — holds, but must not: table scripts exists" in md
    assert md.count("❌") == 2  # the failing not and its nested check; nothing under the passing one


def test_json_keeps_each_nested_check_its_own_result():
    doc = json.loads(render(_report("verify", _step("s", verify=(NOT_PASSING,))), "json"))
    check = doc["phases"][0]["steps"][0]["verify"][0]
    assert (check["status"], check["held"]) == ("passed", True)
    child = check["children"][0]
    assert (child["status"], child["held"], child["detail"]) == ("failed", False, "table scripts does not exist")


def test_journal_notes_split_the_warnings_from_the_rows_own_message():
    from migrator.render.common import journal_notes

    assert journal_notes(None) == ("", [])
    assert journal_notes("confirmed by root") == ("confirmed by root", [])
    assert journal_notes("confirmed by root; " + WARNED) == ("confirmed by root", [
        "precondition foreign_key_exists: t.userId failed: missing foreign key; phase 2 adds it",
        "precondition no_orphans: t.userId failed: orphans in t; clean-orphans deletes them",
    ])


def test_status_text_shows_every_journaled_warning_whole():
    step = _step("inventory", state="applied", finished_at="2025-07-14 09:10:00",
                 journal_message="confirmed by root; " + WARNED)
    lines = render(_report("status", step), "text").splitlines()
    at = lines.index("    confirmed by root")
    assert lines[at + 1:at + 3] == [
        "    warning: precondition foreign_key_exists: t.userId failed: missing foreign key; phase 2 adds it",
        "    warning: precondition no_orphans: t.userId failed: orphans in t; clean-orphans deletes them",
    ]


def test_status_markdown_and_json_keep_the_journal_message_whole():
    step = _step("inventory", state="applied", journal_message=WARNED)
    md = render(_report("status", step), "markdown")
    assert "- `inventory`: warning: precondition foreign_key_exists: t.userId failed: missing foreign key; " \
           "phase 2 adds it; precondition no_orphans: t.userId failed: orphans in t; clean-orphans deletes them" in md
    doc = json.loads(render(_report("status", step), "json"))
    assert doc["phases"][0]["steps"][0]["journal_message"] == WARNED


def _findings_and_skipped(summary: str) -> tuple[str, str]:
    findings = summary.split("## Key Findings", 1)[1].split("## Skipped / Failed", 1)[0]
    return findings, summary.split("## Skipped / Failed", 1)[1].split("## Next Steps", 1)[0]


def test_summary_lists_the_warnings_an_earlier_run_journaled_for_an_applied_step():
    report = _report(
        "apply",
        _step("inventory", outcome="already_applied", state="applied", finished_at="2025-07-14 09:10:00",
              journal_message=WARNED),
        _step("undated", outcome="already_applied", state="marked_applied",
              journal_message="warning: precondition x failed: y"),
        # Not applied: its old row's warnings are not those of an applied step.
        _step("left-out", verdict="run", outcome="filtered", state="failed", journal_message="warning: no"),
        _step("new", verdict="run", outcome="applied", state="applied", journal_message="warning: precondition z failed",
              warnings=("precondition z failed",)),
    )
    findings, skipped = _findings_and_skipped(render_summary(report))
    assert findings.strip().splitlines() == [
        "1. **Warnings**: 4",
        "   - `new`: precondition z failed",
        "   - `inventory`: precondition foreign_key_exists: t.userId failed: missing foreign key; phase 2 adds it"
        " (raised by an earlier run, 2025-07-14 09:10:00)",
        "   - `inventory`: precondition no_orphans: t.userId failed: orphans in t; clean-orphans deletes them"
        " (raised by an earlier run, 2025-07-14 09:10:00)",
        "   - `undated`: precondition x failed: y (raised by an earlier run)",
    ]
    assert skipped.strip() == "Nothing was skipped or failed; 4 warnings are listed under Key Findings."


def test_summary_without_warnings_says_nothing_was_skipped_or_failed():
    report = _report("apply", _step("a", outcome="already_applied", state="applied", journal_message="confirmed by root"))
    findings, skipped = _findings_and_skipped(render_summary(report))
    assert "Warnings" not in findings
    assert skipped.strip() == "Nothing was skipped or failed."
