"""Editing a plan that has been applied: what ``plan``, ``apply``, ``status`` and
``rollback`` make of steps added before applied ones, renamed, removed, and of edits
that are or are not drift; on SQLite, PostgreSQL and MariaDB through the CLI."""
from __future__ import annotations

import json

import pytest

from migrator import api
from migrator.engine.planner import JournalEntry, JournalState, decide
from tests.cli.clirun import run
from tests.dbutil import run_sql
from tests.engine.plans import plan, step

BASE = """\
migrator: 1
name: app
phases:
  - id: p1
    title: Phase one
    steps:
      - id: a
        sql: CREATE TABLE ed_a (id int)
        rollback: DROP TABLE ed_a
      - id: b
        sql: CREATE TABLE ed_b (id int)
        rollback: DROP TABLE ed_b
  - id: p2
    steps:
      - id: c
        sql: CREATE TABLE ed_c (id int)
        rollback: DROP TABLE ed_c
"""
ADDED_BEFORE = BASE.replace("      - id: b\n", "      - id: x\n        sql: CREATE TABLE ed_x (id int)\n"
                            "        rollback: DROP TABLE ed_x\n      - id: b\n")
ADDED_AT_END = BASE + "      - id: d\n        sql: CREATE TABLE ed_d (id int)\n        rollback: DROP TABLE ed_d\n"
B_RENAMED = BASE.replace("- id: b\n", "- id: b2\n")
STEP_B = "      - id: b\n        sql: CREATE TABLE ed_b (id int)\n        rollback: DROP TABLE ed_b\n"
B_REMOVED = BASE.replace(STEP_B, "")


@pytest.fixture
def applied(db_url, tmp_path, capsys):
    """The database with BASE applied; ``edit(text)`` writes the edited plan and returns its path."""
    path = tmp_path / "plan.yaml"
    path.write_text(BASE)
    assert run(capsys, "--database", db_url, "apply", str(path))[0] == 0

    def edit(text: str) -> str:
        path.write_text(text)
        return str(path)

    return edit


def _reason(report, step_id: str) -> str:
    return next(s.reason for s in report.steps if s.step == step_id)


def _journal(db_url: str) -> list[tuple]:
    return run_sql(db_url, "SELECT plan, step, status FROM migrator_journal ORDER BY id")


def test_a_step_added_before_applied_steps_runs_and_the_dry_run_says_it_is_out_of_order(db_url, applied, capsys):
    path = applied(ADDED_BEFORE)
    assert _reason(api.plan(path, db_url), "x") == (
        "not applied yet; step b, after it in the plan, is already applied, so it runs out of plan order")
    code, out, _ = run(capsys, "--database", db_url, "apply", path)
    assert code == 0 and "x: applied" in out
    assert _reason(api.plan(path, db_url), "x") == "applied; checksum unchanged"


def test_a_step_added_at_the_end_is_simply_not_applied_yet(db_url, applied):
    assert _reason(api.plan(applied(ADDED_AT_END), db_url), "d") == "not applied yet"


def test_a_renamed_applied_step_is_named_by_the_dry_run_and_status_and_resolve_keeps_it_applied(
        db_url, applied, capsys):
    path = applied(B_RENAMED)
    resolve = f"migrator resolve {path} b2 --applied --database {db_url}"
    code, out, _ = run(capsys, "--database", db_url, "plan", path)
    assert code == 0
    assert (f"b2: would run — not applied yet; step b, no longer in the plan, was applied with the same checksum: "
            f"if this step is b renamed, `{resolve}` records it as applied instead of running it again") in out
    assert "  b (phase p1): applied — same checksum as b2, not applied yet: renamed?; rollback cannot go past it" in out
    code, out, _ = run(capsys, "--database", db_url, "status", path, "--format", "json")
    gone = json.loads(out)["extra"]["not_in_plan"]
    assert [(g["step"], g["phase"], g["state"], g["renamed_as"], g["blocks_rollback"]) for g in gone] == [
        ("b", "p1", "applied", "b2", True)]
    assert run(capsys, *resolve.split()[1:])[0] == 0
    code, out, _ = run(capsys, "--database", db_url, "apply", path)
    assert code == 0 and "Summary: 3 already applied" in out
    code, out, _ = run(capsys, "--database", db_url, "status", path)
    assert "  b (phase p1): applied " in out and "renamed?" not in out
    assert out.rstrip().endswith("Summary: 2 applied, 1 marked applied, 1 not in the plan")


def test_a_removed_applied_step_is_listed_by_status_and_plan_and_ignored_by_apply(db_url, applied, capsys):
    path = applied(B_REMOVED)
    code, out, _ = run(capsys, "--database", db_url, "apply", path)
    assert code == 0 and out.rstrip().endswith("Summary: 2 already applied")
    code, out, _ = run(capsys, "--database", db_url, "status", path)
    assert ("Not in the plan (journaled steps removed or renamed since; apply ignores them)\n"
            "  b (phase p1): applied ") in out
    assert out.rstrip().endswith("Summary: 2 applied, 1 not in the plan")
    # The dry run lists it too, without the time: its Markdown stays the same from run to run.
    markdown = run(capsys, "--database", db_url, "plan", path, "--format", "markdown")[1]
    assert "- `b` (phase `p1`): applied — ⚠️ rollback cannot go past it\n" in markdown
    # Narrowed to some steps, status lists only those.
    assert "Not in the plan" not in run(capsys, "--database", db_url, "status", path, "--step", "a")[1]


@pytest.mark.parametrize("args", [("--last", "2"), ("--to", "a")])
def test_rollback_refuses_to_cross_an_applied_step_removed_from_the_plan(db_url, applied, capsys, args):
    path = applied(B_REMOVED)
    before = _journal(db_url)
    code, out, err = run(capsys, "--database", db_url, "rollback", path, *args, "--yes")
    assert code == 2 and out == ""
    assert err == ("migrator: cannot roll back: step b, applied in this range, is no longer in the plan, so its "
                   "rollback is unknown; nothing was rolled back (put it back in the plan, or roll back to a later "
                   "step)\n")
    assert _journal(db_url) == before
    # The steps applied after it still roll back.
    assert run(capsys, "--database", db_url, "rollback", path, "--last", "1", "--yes")[0] == 0
    assert _journal(db_url)[-1] == ("app", "c", "rolled_back")


@pytest.mark.parametrize("args", [("--last", "2"), ("--to", "a")])
def test_rollback_refuses_a_step_changed_since_it_was_applied(db_url, applied, capsys, args):
    """Its rollback belongs to the edited step (here: a table renamed), not to what ran."""
    path = applied(BASE.replace("ed_b", "ed_b2"))
    before = _journal(db_url)
    code, out, err = run(capsys, "--database", db_url, "rollback", path, *args, "--yes")
    assert code == 2 and out == ""
    assert err.startswith("migrator: cannot roll back: step b changed since it was applied (journal checksum ")
    assert err.rstrip().endswith("so its rollback may not undo what ran; nothing was rolled back (restore the step, "
                                 "and the --var values, as they were applied)")
    assert _journal(db_url) == before
    assert run(capsys, "--database", db_url, "rollback", path, "--last", "1", "--yes")[0] == 0  # c is unchanged


def test_a_removed_check_step_does_not_stop_rollback(db_url, tmp_path, capsys):
    check = "      - id: pre\n        verify:\n          - query: SELECT 1\n            expect: 1\n"
    path = tmp_path / "plan.yaml"
    path.write_text(BASE.replace("      - id: b\n", check + "      - id: b\n"))
    assert run(capsys, "--database", db_url, "apply", str(path))[0] == 0
    path.write_text(BASE)
    assert "pre (phase p1): applied" in run(capsys, "--database", db_url, "status", str(path))[1]
    assert run(capsys, "--database", db_url, "rollback", str(path), "--to", "a", "--yes")[0] == 0
    assert [s for _, s, status in _journal(db_url) if status == "rolled_back"] == ["c", "b"]


def test_a_renamed_plan_starts_a_journal_of_its_own_and_two_plans_share_a_database(db_url, applied, capsys):
    other = applied(BASE.replace("name: app", "name: other").replace("ed_", "other_"))
    report = api.plan(other, db_url)
    assert [s.verdict for s in report.steps] == ["run", "run", "run"] and not report.extra
    assert run(capsys, "--database", db_url, "apply", other)[0] == 0
    app = applied(BASE)
    assert [s.verdict for s in api.plan(app, db_url).steps] == ["applied"] * 3
    assert [s.state for s in api.status(app, db_url).steps] == ["applied"] * 3


#: Edits of an applied step (``b``) and whether they are drift.
EDITS = {
    "title and description": ("- id: b\n", "- id: b\n        title: T\n        description: D\n", False),
    "tags": ("- id: b\n", "- id: b\n        tags: [slow]\n", False),
    "verify and preconditions": ("- id: b\n", "- id: b\n        preconditions: [{table_exists: ed_a}]\n"
                                 "        verify: [{table_exists: ed_b}]\n", False),
    "idempotent, transaction, optional": ("- id: b\n", "- id: b\n        idempotent: true\n        transaction: false\n"
                                          "        optional: true\n", False),
    "moved to another phase": (STEP_B + "  - id: p2\n    steps:\n", "  - id: p2\n    steps:\n" + STEP_B, False),
    "phase renamed": ("- id: p1\n", "- id: q1\n", False),
    "line endings and trailing blanks": ("sql: CREATE TABLE ed_b (id int)", 'sql: "CREATE TABLE ed_b (id int)  \\r\\n"',
                                         False),
    "an SQL comment": ("sql: CREATE TABLE ed_b (id int)", "sql: CREATE TABLE ed_b (id int) -- why", True),
    "its rollback": ("rollback: DROP TABLE ed_b", "rollback: DROP TABLE IF EXISTS ed_b", True),
}


@pytest.mark.parametrize("edit", EDITS, ids=list(EDITS))
def test_what_is_drift_when_an_applied_step_is_edited(db_url, applied, capsys, edit):
    old, new, drift = EDITS[edit]
    assert old in BASE
    path = applied(BASE.replace(old, new, 1))
    assert api.plan(path, db_url).status == ("drift" if drift else "ok")
    assert api.status(path, db_url).status == ("drift" if drift else "ok")
    assert run(capsys, "--database", db_url, "apply", path)[0] == (1 if drift else 0)


# --- the planner alone -------------------------------------------------------------

A = step("a", "CREATE TABLE a (id INT)")
B = step("b", "CREATE TABLE b (id INT)")


def _applied(*steps, checksum=None) -> JournalState:
    return JournalState({s.id: JournalEntry(s.id, "applied", checksum or s.checksum, id=i)
                         for i, s in enumerate(steps, 1)}, exists=True)


def test_a_new_check_step_is_never_taken_for_a_renamed_one():
    old_check, new_check = step("old-check", None), step("new-check", None)
    assert old_check.checksum == new_check.checksum  # every check step's
    xp = decide(plan(new_check, A), _applied(old_check, A), "sqlite")
    assert xp.decision("new-check").reason == (
        "not applied yet; step a, after it in the plan, is already applied, so it runs out of plan order")


def test_a_step_not_applied_after_a_failed_one_is_not_out_of_order():
    state = JournalState({"a": JournalEntry("a", "failed", A.checksum, id=1)}, exists=True)
    assert decide(plan(B, A), state, "sqlite").decision("b").reason == "not applied yet"


# --- the whole plan renamed: its name is the journal's key -------------------------------

RENAMED_NOTE = "plan app applied this same step (id and checksum) here: if this plan is app renamed, put back `name: app`"


def test_a_renamed_plan_is_named_in_the_dry_run_of_each_step_it_would_run_again(applied, db_url):
    path = applied(BASE.replace("name: app", "name: app-v2").replace("ed_c (id int)", "ed_c (id bigint)"))
    report = api.plan(path, db_url)
    assert [(s.step, s.verdict) for s in report.steps] == [("a", "run"), ("b", "run"), ("c", "run")]
    assert RENAMED_NOTE in _reason(report, "a") and RENAMED_NOTE in _reason(report, "b")
    assert "plan app" not in _reason(report, "c")  # its SQL changed: not the same step


def test_another_plan_with_the_same_step_ids_but_other_sql_gets_no_note(applied, db_url):
    other = BASE.replace("name: app", "name: other").replace("ed_", "other_")
    report = api.plan(applied(other), db_url)
    assert all(s.verdict == "run" and "plan app" not in s.reason for s in report.steps)


def test_after_its_first_apply_a_new_plan_name_is_its_own(applied, db_url, capsys):
    path = applied(BASE.replace("name: app", "name: app-v2").replace("ed_", "v2_"))
    assert run(capsys, "--database", db_url, "apply", path)[0] == 0
    path = applied(BASE.replace("name: app", "name: app-v2").replace("ed_", "v2_") + STEP_B.replace("id: b", "id: e")
                   .replace("ed_b", "v2_e"))
    report = api.plan(path, db_url)
    assert [(s.step, s.verdict) for s in report.steps] == [("a", "applied"), ("b", "applied"), ("c", "applied"),
                                                          ("e", "run")]
    assert "plan app" not in _reason(report, "e")


def test_the_renamed_plan_note_from_journal_state_alone():
    p = plan(step("a", "CREATE TABLE t (id int)"), step("b", "CREATE TABLE u (id int)"))
    a, b = p.steps
    state = JournalState({}, exists=True, elsewhere={"a": ("old", a.checksum), "b": ("old", "0" * 32)})
    decisions = {d.step.id: d for d in decide(p, state, "sqlite").decisions}
    assert "plan old applied this same step" in decisions["a"].reason
    assert "plan old" not in decisions["b"].reason  # same id, other checksum: another step
