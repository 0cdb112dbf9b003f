"""Renderers against golden files, built from hand-made reports covering every verdict and outcome.

After an intended change to the output, regenerate with
``python tests/render/render_samples.py`` and review the diff.
"""
from __future__ import annotations

import difflib
import json

import pytest
from render_samples import (
    GOLDEN,
    ROOT,
    apply_report,
    drift_apply_report,
    findings,
    goldens,
    plan_report,
    rollback_report,
    status_report,
    verify_report,
)

from migrator.errors import Issue, Location, UsageError
from migrator.render import render, render_findings, render_issues, render_summary
from migrator.report import OUTCOMES, VERDICT_WORDS, VERDICTS, RunReport


@pytest.mark.parametrize("name", sorted(goldens()))
def test_output_matches_golden_file(name):
    expected = (GOLDEN / name).read_text(encoding="utf-8")
    got = goldens()[name]()
    if got != expected:
        diff = "".join(difflib.unified_diff(expected.splitlines(True), got.splitlines(True), "golden", "now"))
        pytest.fail(f"{name} differs from its golden file:\n{diff}")


def test_docs_sample_is_the_current_markdown_rendering():
    sample = (ROOT / "docs" / "sample-plan.md").read_text(encoding="utf-8")
    assert sample.endswith(render(plan_report(), "markdown"))


def test_samples_cover_every_verdict_and_outcome():
    verdicts = {s.verdict for s in plan_report().steps}
    outcomes = {s.outcome for s in apply_report().steps + rollback_report().steps + drift_apply_report().steps}
    assert verdicts == set(VERDICTS)
    assert outcomes == set(OUTCOMES)


@pytest.mark.parametrize("verdict", VERDICTS)
def test_text_and_markdown_show_every_verdict_as_its_word(verdict):
    step = next(s for s in plan_report().steps if s.verdict == verdict)
    assert f"{step.step}: {VERDICT_WORDS[verdict]}" in render(plan_report(), "text")
    assert VERDICT_WORDS[verdict] in render(plan_report(), "markdown")


def test_markdown_is_deterministic_and_has_no_timestamps():
    first = render(plan_report(), "markdown")
    assert first == render(plan_report(), "markdown")
    assert "2025-07-14" not in render_summary(apply_report())
    assert render_summary(apply_report(), date="2025-07-14").splitlines()[2] == "**Date:** 2025-07-14"


def test_markdown_starts_with_a_summary_line_of_counts():
    lines = render(plan_report(), "markdown").splitlines()
    assert lines[0] == "## migrator plan: `job-system`"
    assert lines[2] == (
        "**Summary:** 3 would run · 1 would re-run (changed) · 1 would resume · 1 already applied · 1 DRIFT · "
        "1 would skip · 1 would mark applied · 1 blocked · 1 not applicable · 1 waits for a person · "
        "4 risk findings (1 error, 3 warnings; 1 accepted)"
    )


def test_text_summary_line_counts_apply_outcomes():
    last = render(apply_report(), "text").splitlines()[-1]
    assert last == (
        "Summary: 2 applied, 1 already applied, 1 FAILED, 1 failed (optional), 1 skipped, 1 marked applied, "
        "1 partial, 1 blocked, 1 not applicable, 1 waits for a person, 1 not reached, 1 not selected, 1 with warnings"
    )


def test_colour_only_when_asked():
    plain = render(plan_report(), "text")
    coloured = render(plan_report(), "text", color=True)
    assert "\x1b[" not in plain
    assert "\x1b[31m\x1b[1mDRIFT\x1b[0m" in coloured
    assert "\x1b[" not in render(plan_report(), "markdown") + render(plan_report(), "json")


def test_json_is_to_dict_with_schema_version():
    report = apply_report()
    doc = json.loads(render(report, "json"))
    assert doc.pop("schema_version") == 1
    assert doc == json.loads(json.dumps(report.to_dict()))


def test_status_marks_drift_and_shows_journal_columns():
    text = render(status_report(), "text")
    assert "  step                state    finished at           by      duration    drift" in text
    assert "  normalise-kinds     applied  2025-07-14T09:21:00Z  alice   1 h 10 min  DRIFT" in text
    assert "  migrate-workflows   pending" in text
    md = render(status_report(), "markdown")
    assert "| `normalise-kinds` | ✅ applied | 2025-07-14T09:21:00Z | alice | 1 h 10 min | ⚠️ **drift** |" in md


def test_verify_lists_each_check_with_pass_or_fail():
    md = render(verify_report(), "markdown")
    assert (
        "| `fk-tool-audit-logs` | no_orphans: tool_audit_logs.userId → users.id | ❌ **fail** | "
        "Delete or fix the orphaned audit rows first \\| see runbook<br>3 rows reference a missing users.id |"
    ) in md
    assert render(verify_report(), "text").splitlines()[-1] == "Summary: 3 checks, 2 passed, 1 failed"


def test_summary_next_steps_name_the_person_and_the_exact_command():
    summary = render_summary(apply_report())
    next_steps = summary.split("## Next Steps\n\n", 1)[1]
    assert next_steps.splitlines()[0] == (
        "- ✋ Phase `data` waits for a person at step `drizzle-kit-push`. Run `npx drizzle-kit push` and "
        "answer the rename questions. When it is done, run "
        "`migrator apply plans/job-system.yaml --confirm drizzle-kit-push`."
    )


def test_summary_sections_in_the_seed_order():
    headings = [line for line in render_summary(apply_report()).splitlines() if line.startswith("#")]
    assert headings == [
        "# Migration Summary: job-system",
        "## Overview",
        "## Completed Tasks",
        "### Phase preflight: Pre-Migration Preparation (in progress)",
        "### Phase schema: Database Schema Migration (in progress)",
        "## Key Findings",
        "## Skipped / Failed",
        "## Next Steps",
    ]


def test_confirm_command_quotes_a_plan_path_with_spaces():
    from dataclasses import replace

    report = replace(apply_report(), source="my plans/job.yaml")
    assert "`migrator apply 'my plans/job.yaml' --confirm drizzle-kit-push`" in render_summary(report)


def test_render_issues_one_per_line():
    issues = [
        Issue(Location("plan.yaml", 14, 7), "phases[0].steps[2]", "unknown key 'sqll'"),
        Issue(Location("plan.yaml", 3, 1), "", "'name' is a required property"),
    ]
    assert render_issues(issues) == (
        "plan.yaml:14:7: phases[0].steps[2]: unknown key 'sqll'\nplan.yaml:3:1: 'name' is a required property\n"
    )


def test_render_findings_text_starts_each_with_its_location():
    first = render_findings(findings(), "text").splitlines()[0]
    assert first.startswith("plans/job-system.yaml:88:9: error drop-table (step drop-legacy-scripts) [accepted]: ")
    assert render_findings((), "text") == "no risk findings\n"
    assert render_findings((), "markdown") == "## migrator lint\n\nNo risk findings.\n"


def test_lint_json_ok_is_false_only_for_an_unaccepted_error():
    from dataclasses import replace

    assert json.loads(render_findings(findings(), "json"))["ok"] is True
    blocking = [replace(findings()[0], accepted=False)]
    assert json.loads(render_findings(blocking, "json"))["ok"] is False


def test_unknown_format_is_a_usage_error():
    with pytest.raises(UsageError) as exc:
        render(plan_report(), "yaml")
    assert str(exc.value) == "unknown format 'yaml': expected one of text, markdown, json"


def test_empty_report_renders():
    report = RunReport(command="plan", plan="empty", source="e.yaml", phases=(), dialect="sqlite")
    assert render(report, "text").splitlines()[-1] == "Summary: no steps"
    assert "**Summary:** no steps" in render(report, "markdown")
