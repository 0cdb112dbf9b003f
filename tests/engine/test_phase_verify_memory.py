"""A failed phase verification is remembered: like a failed step, it blocks the later
phases until it holds (journaled as a row keyed by the phase id)."""
from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from migrator import api
from migrator.cli import main
from migrator.db import create_engine
from migrator.engine.journal import Journal
from migrator.engine.outcomes import settled_report
from migrator.engine.planner import JournalEntry, JournalState, Selection, decide
from migrator.engine.shortcut import settled_apply
from migrator.errors import Location, UsageError
from migrator.plan.build import load_plan
from migrator.plan.model import CheckSpec, Phase, Plan
from migrator.render import render, render_summary
from tests.dbutil import run_sql as _sql

from .plans import LOC, step

PLAN = """\
migrator: 1
name: phase-memory
phases:
  - id: one
    verify:
      - row_count: {table: t, expect: 1}
    steps:
      - id: make-t
        sql:
          - CREATE TABLE t (id integer)
          - INSERT INTO t (id) VALUES (1), (2)
  - id: two
    steps:
      - id: make-u
        sql: CREATE TABLE u (id integer)
"""


def _has_table(url: str, name: str) -> bool:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return sa.inspect(conn).has_table(name)
    finally:
        engine.dispose()


def _fix_the_data(url: str) -> None:
    _sql(url, "DELETE FROM t WHERE id = 2")


def _outcomes(report) -> dict[str, str]:
    return {s.step: s.outcome for s in report.steps}


# --- end to end through the API ---------------------------------------------------------


def test_a_failed_phase_verify_runs_again_and_blocks_later_phases_until_it_holds(db_url, write_plan):
    path = write_plan(PLAN)

    first = api.apply(path, db_url)
    assert (first.status, first.exit_code) == ("failed", 1)
    assert _outcomes(first) == {"make-t": "applied", "make-u": "not_reached"}
    assert first.message == "phase one: verify failed: row_count: table=t, expect=1: expected 1, got 2 rows in t"

    second = api.apply(path, db_url)
    assert (second.status, second.exit_code) == ("failed", 1)
    assert _outcomes(second) == {"make-t": "already_applied", "make-u": "not_reached"}
    one = second.phases[0]
    assert [c.held for c in one.verify] == [False]
    assert one.reverify.startswith("the verify of phase one failed on the last apply")
    assert not _has_table(db_url, "u")

    _fix_the_data(db_url)
    third = api.apply(path, db_url)
    assert (third.status, third.exit_code) == ("ok", 0)
    assert _outcomes(third) == {"make-t": "already_applied", "make-u": "applied"}
    assert [c.held for c in third.phases[0].verify] == [True]
    assert _has_table(db_url, "u")

    fourth = api.apply(path, db_url)  # the verify held: nothing left to do
    assert (fourth.status, fourth.exit_code) == ("ok", 0)
    assert fourth.phases[0].verify == () and fourth.phases[0].reverify is None


def test_the_apply_report_drops_the_runs_again_note_once_the_verify_held_in_this_run(sqlite_url, write_plan):
    path = write_plan(PLAN)
    api.apply(path, sqlite_url)
    failed_again = api.apply(path, sqlite_url)  # the verify ran and failed: the note stays
    note = failed_again.phases[0].reverify
    assert note.startswith("the verify of phase one failed on the last apply")
    for fmt in ("text", "markdown"):
        assert note in render(failed_again, fmt)
    assert json.loads(render(failed_again, "json"))["phases"][0]["reverify"] == note

    _fix_the_data(sqlite_url)
    held = api.apply(path, sqlite_url)
    assert [c.held for c in held.phases[0].verify] == [True]
    assert held.phases[0].reverify is None
    for text in (render(held, "text"), render(held, "markdown"), render_summary(held)):
        assert "failed on the last apply" not in text and "runs again" not in text
    assert json.loads(render(held, "json"))["phases"][0]["reverify"] is None


def test_the_runs_again_note_stays_when_the_run_stopped_before_the_phase_verify(sqlite_url, write_plan):
    path = write_plan(PLAN)
    assert api.apply(path, sqlite_url).exit_code == 1  # the verify failed
    write_plan(PLAN.replace("      - id: make-t\n", "      - id: gate\n        manual: check t\n      - id: make-t\n"))
    stopped = api.apply(path, sqlite_url)  # waits at the new manual step: the verify did not run
    assert (stopped.exit_code, stopped.phases[0].verify) == (3, ())
    assert stopped.phases[0].reverify.startswith("the verify of phase one failed on the last apply")


def test_the_cli_exits_1_then_1_again_then_0_once_the_data_is_fixed(db_url, write_plan, capsys):
    path = write_plan(PLAN)
    assert main(["apply", path, "--database", db_url]) == 1
    assert main(["apply", path, "--database", db_url]) == 1
    out = capsys.readouterr().out
    assert "the verify of phase one failed on the last apply" in out
    assert not _has_table(db_url, "u")
    _fix_the_data(db_url)
    assert main(["apply", path, "--database", db_url]) == 0
    assert _has_table(db_url, "u")


def test_each_run_of_a_phase_verify_is_journaled_under_the_phase_id(db_url, write_plan):
    path = write_plan(PLAN)
    api.apply(path, db_url)
    api.apply(path, db_url)
    _fix_the_data(db_url)
    api.apply(path, db_url)
    api.apply(path, db_url)  # nothing runs: no new row

    rows = _sql(db_url, "SELECT plan, phase, step, checksum, status, message, started_at, finished_at, duration_ms, "
                        "run_by, host, tool_version, rows_affected FROM migrator_journal WHERE step = 'one' ORDER BY id")
    checksum = load_plan(path).phase("one").verify_checksum
    assert len(checksum) == 32
    failure = "verify failed: row_count: table=t, expect=1: expected 1, got 2 rows in t"
    assert [(r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows] == [
        ("phase-memory", "one", "one", checksum, "failed", failure),
        ("phase-memory", "one", "one", checksum, "failed", failure),
        ("phase-memory", "one", "one", checksum, "applied", None),
    ]
    for r in rows:
        assert r[6] is not None and r[7] is not None and r[8] is not None
        assert r[9] and r[10] and r[11]
        assert r[12] is None
    all_steps = [r[0] for r in _sql(db_url, "SELECT step FROM migrator_journal ORDER BY id")]
    assert all_steps == ["make-t", "one", "one", "one", "make-u"]


def test_a_phase_verify_that_holds_the_first_time_leaves_the_journal_to_the_steps(db_url, write_plan):
    # The journal is the steps' trail (spec section 4); a phase row only records a
    # failure, and the pass that clears it.
    path = write_plan(PLAN.replace("expect: 1", "expect: 2"))
    assert api.apply(path, db_url).exit_code == 0
    assert [r[0] for r in _sql(db_url, "SELECT step FROM migrator_journal ORDER BY id")] == ["make-t", "make-u"]


# --- the dry run, status and the no-op shortcut ------------------------------------------


def test_the_dry_run_says_the_phase_verify_failed_and_runs_again(db_url, write_plan):
    path = write_plan(PLAN)
    api.apply(path, db_url)

    report = api.plan(path, db_url)
    reason = (
        "the verify of phase one failed on the last apply (row_count: table=t, expect=1: expected 1, got 2 rows in t); "
        "it runs again, and later phases wait until it holds"
    )
    assert [(p.phase, p.reverify) for p in report.phases] == [("one", reason), ("two", None)]
    assert report.pending  # plan --detailed-exitcode: 4
    assert reason in render(report, "text")
    assert "1 phase verification would run again" in render(report, "text")
    assert "the verify of phase one failed on the last apply" in render(report, "markdown")
    assert json.loads(render(report, "json"))["phases"][0]["reverify"] == reason
    assert main(["plan", path, "--database", db_url, "--detailed-exitcode"]) == 4

    _fix_the_data(db_url)
    api.apply(path, db_url)
    after = api.plan(path, db_url)
    assert [p.reverify for p in after.phases] == [None, None]
    assert not after.pending


def test_the_no_op_shortcut_does_not_answer_nothing_to_do_while_a_phase_verify_failed(db_url, write_plan):
    path = write_plan(PLAN.replace("  - id: two\n    steps:\n      - id: make-u\n        sql: CREATE TABLE u (id integer)\n", ""))
    plan = load_plan(path)
    assert api.apply(path, db_url).exit_code == 1
    # Every step is applied, yet apply is not a no-op: the phase's verify must run again.
    assert settled_apply(plan, db_url, Journal()) is None
    again = api.apply(path, db_url)
    assert (again.exit_code, [c.held for c in again.phases[0].verify]) == (1, [False])

    _fix_the_data(db_url)
    assert api.apply(path, db_url).exit_code == 0
    settled = settled_apply(plan, db_url, Journal())  # now it is a no-op, answered by the driver
    assert settled is not None and (settled.exit_code, settled.phases[0].verify) == (0, ())


def test_status_lists_steps_only_and_notes_the_failed_phase_verify(db_url, write_plan):
    path = write_plan(PLAN)
    api.apply(path, db_url)
    report = api.status(path, db_url)
    assert [s.step for s in report.steps] == ["make-t", "make-u"]
    assert [s.state for s in report.steps] == ["applied", "pending"]
    assert report.phases[0].reverify.startswith("the verify of phase one failed on the last apply")
    assert report.exit_code == 0


def test_the_phase_row_is_no_step_for_rollback_and_verify(db_url, write_plan):
    path = write_plan(PLAN)
    api.apply(path, db_url)
    with pytest.raises(UsageError, match="rollback --to one: no such step"):
        api.rollback(path, db_url, to="one", yes=True)
    checked = api.verify(path, db_url)
    assert [s.step for s in checked.steps] == ["make-t", "make-u"]


# --- the planner, pure ---------------------------------------------------------------------

ROW_COUNT = CheckSpec(kind="row_count", arg={"table": "t", "expect": 1}, path="phases[0].verify[0]",
                      location=Location("plan.yaml", 5, 9), expect=("eq", 1))


def _plan(verify=(ROW_COUNT,)) -> Plan:
    a, b = step("a", "CREATE TABLE t (id integer)", phase="one"), step("b", "CREATE TABLE u (id integer)", phase="two")
    return Plan(name="demo", source="plan.yaml", base_dir=".", phases=(
        Phase(id="one", path="phases[0]", location=LOC, steps=(a,), verify=verify, verify_checksum="c1"),
        Phase(id="two", path="phases[1]", location=LOC, steps=(b,)),
    ))


def _state(plan: Plan, phase_status: str | None) -> JournalState:
    a = plan.step("a")
    entries = {"a": JournalEntry(step="a", status="applied", checksum=a.checksum, id=1, phase="one")}
    phases = {} if phase_status is None else {
        "one": JournalEntry(step="one", status=phase_status, checksum="c1", id=2, phase="one",
                            message="verify failed: row_count: t: expected 1, got 2 rows in t"),
    }
    return JournalState(entries, exists=True, phases=phases)


def test_the_planner_marks_a_phase_whose_verify_failed_last_time():
    plan = _plan()
    xp = decide(plan, _state(plan, "failed"), "sqlite")
    assert list(xp.reverify) == ["one"]
    assert "(row_count: t: expected 1, got 2 rows in t)" in xp.reverify["one"]
    assert [d.verdict for d in xp.decisions] == ["applied", "run"]
    assert settled_report(xp, "sqlite") is None


def test_the_planner_leaves_alone_a_held_verify_a_removed_one_and_an_unselected_phase():
    plan = _plan()
    assert decide(plan, _state(plan, "applied"), "sqlite").reverify == {}
    assert decide(plan, _state(plan, None), "sqlite").reverify == {}
    assert decide(_plan(verify=()), _state(plan, "failed"), "sqlite").reverify == {}
    assert decide(plan, _state(plan, "failed"), "sqlite", Selection(skips=("one",))).reverify == {}
    assert decide(plan, _state(plan, "failed"), "sqlite", Selection(phases=("two",))).reverify == {}


def test_a_phase_row_is_never_a_step_in_the_journal_state():
    plan = _plan()
    state = _state(plan, "applied")
    assert state.get("one") is None and not state.is_applied("one")
    assert state.phase_verify("one").status == "applied"
