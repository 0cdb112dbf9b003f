"""Spec sections 5 and 6 end to end: why steps were skipped in the reports, several
drift lines in Markdown, and `plan --confirm` (the dry run of `apply --confirm`)."""
from __future__ import annotations

import json
import textwrap

import pytest

from tests.cli.clirun import run, write_plan_file

PLAN = textwrap.dedent(
    """\
    migrator: 1
    name: reasons
    phases:
      - id: schema
        steps:
          - id: users
            sql: CREATE TABLE users (id INTEGER PRIMARY KEY)
            rollback: DROP TABLE users
          - id: maybe
            optional: true
            sql: SELECT * FROM no_such_table
            rollback: SELECT 1
          - id: after-maybe
            requires: [maybe]
            sql: SELECT 1
            rollback: SELECT 1
          - id: skipper
            preconditions:
              - table_exists: nope
                on_fail: skip
            sql: SELECT 1
            rollback: SELECT 1
          - id: warner
            preconditions:
              - table_exists: nope
                on_fail: warn
            sql: SELECT 2
            rollback: SELECT 1
      - id: human
        steps:
          - id: sign-off
            manual: Ask the DBA to sign off
          - id: final
            sql: SELECT 3
            rollback: SELECT 1
    """
)


@pytest.fixture
def plan_file(tmp_path):
    return write_plan_file(tmp_path, PLAN)


def test_apply_report_says_why_steps_were_skipped_or_blocked(sqlite_url, plan_file, tmp_path, capsys):
    report = tmp_path / "summary.md"
    code, out, _ = run(capsys, "--database", sqlite_url, "apply", plan_file, "--report", str(report))
    assert code == 3  # waits at sign-off
    md = report.read_text()
    skipped = md.split("## Skipped / Failed", 1)[1].split("##", 1)[0]
    assert "- `skipper` (phase `schema`) — skipped: precondition table_exists: nope failed: table nope does not exist" in skipped
    assert "- `after-maybe` (phase `schema`) — blocked: requires maybe, which is optional failed" in skipped
    assert "not applied yet" not in skipped
    # The warned precondition is one warning, not two.
    findings = md.split("## Key Findings", 1)[1].split("##", 1)[0]
    assert findings.count("precondition table_exists: nope failed") == 1
    assert "Ask the DBA to sign off. When it is done, run" in md
    # The text output gives the same reasons.
    assert "skipper: skipped — precondition table_exists: nope failed: table nope does not exist" in out
    assert "after-maybe: blocked — requires maybe, which is optional failed" in out


def test_markdown_plan_keeps_each_drift_line_apart(sqlite_url, tmp_path, capsys):
    path = tmp_path / "drift.yaml"
    path.write_text(textwrap.dedent(
        """\
        migrator: 1
        name: drifting
        vars: {t: a}
        phases:
          - id: p
            steps:
              - id: one
                sql: CREATE TABLE ${t}1 (id INTEGER)
                rollback: DROP TABLE ${t}1
              - id: two
                sql: CREATE TABLE ${t}2 (id INTEGER)
                rollback: DROP TABLE ${t}2
        """
    ))
    assert run(capsys, "--database", sqlite_url, "apply", str(path))[0] == 0
    code, out, _ = run(capsys, "--database", sqlite_url, "plan", str(path), "--var", "t=b", "--format", "markdown")
    assert code == 1
    quoted = [line for line in out.splitlines() if line.startswith(">")]
    assert len([q for q in quoted if q.startswith("> drift: step one ")]) == 1
    assert len([q for q in quoted if q.startswith("> drift: step two ")]) == 1
    # A blank quote line between them, so Markdown shows two paragraphs, not one run-on line.
    assert quoted[1] == ">"
    report = tmp_path / "summary.md"
    assert run(capsys, "--database", sqlite_url, "apply", str(path), "--var", "t=b", "--report", str(report))[0] == 1
    overview = report.read_text().split("## Overview", 1)[1].split("##", 1)[0]
    assert "\n\ndrift: step one " in overview and "\n\ndrift: step two " in overview


def test_plan_accepts_confirm_like_apply_dry_run(sqlite_url, plan_file, capsys):
    assert run(capsys, "--database", sqlite_url, "apply", plan_file, "--yes")[0] == 3
    code, out, _ = run(capsys, "--database", sqlite_url, "plan", plan_file, "--confirm", "sign-off", "--format", "json")
    verdicts = {s["step"]: s["verdict"] for p in json.loads(out)["phases"] for s in p["steps"]}
    assert code == 0 and verdicts["sign-off"] == "run" and verdicts["final"] == "run"
    _, dry, _ = run(capsys, "--database", sqlite_url, "apply", plan_file, "--dry-run", "--confirm", "sign-off", "--format", "json")
    assert json.loads(dry)["phases"] == json.loads(out)["phases"]
    code, _, err = run(capsys, "--database", sqlite_url, "plan", plan_file, "--confirm", "users")
    assert code == 2 and "--confirm users: step users is not a manual step" in err
    code, _, err = run(capsys, "--database", sqlite_url, "plan", plan_file, "--confirm", "ghost")
    assert code == 2 and "--confirm ghost: no such step" in err


@pytest.mark.parametrize("where", ["before", "after"])
def test_quiet_validate_and_resolve_print_only_errors(sqlite_url, plan_file, tmp_path, capsys, where):
    bad = tmp_path / "bad.yaml"
    bad.write_text("migrator: 2\nname: x\nphases: []\n")

    def quiet(*args):
        return run(capsys, "-q", *args) if where == "before" else run(capsys, *args, "-q")

    assert quiet("validate", plan_file) == (0, "", "")
    code, out, err = quiet("validate", plan_file, str(bad))
    assert code == 2 and out == ""
    assert err.splitlines() == [f"{bad}:1:11: migrator: must be 1, got 2", f"{bad}:3:9: phases: needs at least 1 item"]
    assert quiet("--database", sqlite_url, "resolve", plan_file, "sign-off", "--applied") == (0, "", "")
    code, out, _ = run(capsys, "--database", sqlite_url, "resolve", plan_file, "sign-off", "--applied")
    assert code == 0 and out.strip() == "step sign-off recorded as applied"


def test_apply_report_lists_a_phase_precondition_warning(sqlite_url, tmp_path, capsys):
    path = tmp_path / "warn.yaml"
    path.write_text(textwrap.dedent(
        """\
        migrator: 1
        name: phase-warn
        phases:
          - id: a
            preconditions:
              - table_exists: nope
                on_fail: warn
            steps:
              - id: s
                sql: SELECT 1
                idempotent: true
        """
    ))
    report = tmp_path / "summary.md"
    assert run(capsys, "--database", sqlite_url, "apply", str(path), "--report", str(report))[0] == 0
    findings = report.read_text().split("## Key Findings", 1)[1].split("##", 1)[0]
    assert "**Warnings**: 1" in findings
    assert "- phase `a`: precondition table_exists: nope failed — table nope does not exist" in findings
