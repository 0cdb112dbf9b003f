"""The planner decides every step's verdict from the plan and the journal alone."""
from __future__ import annotations

import pytest

from migrator.engine.planner import JournalEntry, JournalState, Selection, decide
from migrator.errors import UsageError
from tests.engine.plans import BatchAction, ManualAction, plan, step


def state(*entries: JournalEntry) -> JournalState:
    return JournalState({e.step: e for e in entries}, exists=True)


def entry(s, status="applied", checksum=None, **kw) -> JournalEntry:
    return JournalEntry(step=s.id, status=status, checksum=checksum or s.checksum, **kw)


def verdicts(xp):
    return [(d.step.id, d.verdict) for d in xp.decisions]


A = step("a", "CREATE TABLE a (id INT)")
B = step("b", "CREATE TABLE b (id INT)", requires=("a",))


def test_a_fresh_database_runs_every_step():
    xp = decide(plan(A, B), JournalState(), "sqlite")
    assert verdicts(xp) == [("a", "run"), ("b", "run")]
    assert xp.stop is None


def test_applied_steps_with_unchanged_checksum_are_not_run_again():
    xp = decide(plan(A, B), state(entry(A), entry(B, "marked_applied")), "sqlite")
    assert verdicts(xp) == [("a", "applied"), ("b", "applied")]
    assert xp.decision("b").reason == "marked applied; checksum unchanged"


def test_a_changed_applied_step_is_drift_and_stops_the_run_naming_both_checksums():
    xp = decide(plan(A, B), state(entry(A, checksum="old")), "sqlite")
    assert verdicts(xp) == [("a", "drift"), ("b", "run")]
    assert xp.stop == "drift"
    assert xp.stop_message == (
        f"drift: step a changed since it was applied (journal checksum old, plan checksum {A.checksum}); "
        "apply executes nothing while a step has drifted"
    )


def test_rerun_on_change_and_always():
    on_change = step("a", "CREATE TABLE IF NOT EXISTS a (id INT)", idempotent=True, rerun="on_change")
    always = step("b", "DELETE FROM cache", idempotent=True, rerun="always")
    xp = decide(plan(on_change, always), state(entry(on_change, checksum="old"), entry(always)), "sqlite")
    assert verdicts(xp) == [("a", "rerun"), ("b", "rerun")]
    xp = decide(plan(on_change, always), state(entry(on_change), entry(always)), "sqlite")
    assert verdicts(xp) == [("a", "applied"), ("b", "rerun")]


def test_failed_and_rolled_back_steps_run_again():
    xp = decide(plan(A, B), state(entry(A, "failed"), entry(B, "rolled_back")), "sqlite")
    assert verdicts(xp) == [("a", "run"), ("b", "run")]


def test_a_step_that_failed_after_committed_statements_resumes_after_them():
    s = step("s", "CREATE TABLE x (id INT); CREATE TABLE y (id INT); CREATE TABLE z (id INT)")
    xp = decide(plan(s), state(entry(s, "failed", statements_done=2, rows_affected=0)), "mysql")
    d = xp.decision("s")
    assert (d.verdict, d.resume_at, d.reason) == ("resume", 2, "failed with statements 1–2 committed; resumes at statement 3")


def test_an_idempotent_step_that_failed_half_way_runs_again_from_the_start():
    s = step("s", "CREATE TABLE IF NOT EXISTS x (id INT)", idempotent=True)
    d = decide(plan(s), state(entry(s, "failed", statements_done=1)), "mysql").decision("s")
    assert (d.verdict, d.resume_at) == ("run", 0)


def test_a_running_non_idempotent_step_stops_the_run_until_resolve():
    s = step("s", "INSERT INTO t VALUES (1)", transaction=False)
    xp = decide(plan(s, B), state(entry(s, "running", statements_done=0)), "postgresql", )
    assert xp.stop == "needs_resolve"
    assert xp.stop_message == (
        "step s was interrupted while running (after 0 statements) and is not idempotent; apply executes nothing until it is resolved. "
        "Check the database, then run `migrator resolve plan.yaml s --applied` (it completed) or `--pending` (run it again)"
    )


def test_a_running_python_step_is_described_by_its_ctx_batch_progress_not_statements():
    from migrator.plan.model import PythonAction

    py = step("py", PythonAction(target="steps.py:fix", module=None, file="/x/steps.py", function="fix"),
              transaction=False)
    xp = decide(plan(py), state(entry(py, "running", batches_done=40, rows_affected=200)), "sqlite")
    assert xp.stop == "needs_resolve"
    assert xp.decision("py").reason == (
        "interrupted while running with 40 ctx.batch batches, 200 rows committed; not idempotent: needs `migrator resolve`"
    )
    assert xp.stop_message.startswith(
        "step py was interrupted while running (with 40 ctx.batch batches, 200 rows committed) and is not idempotent")
    xp = decide(plan(py), state(entry(py, "running", rows_affected=0)), "sqlite")
    assert "statement" not in xp.stop_message
    assert xp.stop_message.startswith("step py was interrupted while running (with no ctx.batch batch committed)")


def test_a_running_idempotent_step_runs_again_and_a_running_batch_continues():
    s = step("s", "CREATE INDEX IF NOT EXISTS i ON t (a)", transaction=False, idempotent=True)
    b = step("b", BatchAction(sql="UPDATE t SET a = 1 WHERE id IN (SELECT id FROM t WHERE a IS NULL LIMIT :batch_size)"))
    xp = decide(plan(s, b), state(entry(s, "running"), entry(b, "running", batches_done=3, rows_affected=300)), "sqlite")
    assert xp.stop is None
    assert verdicts(xp) == [("s", "resume"), ("b", "resume")]
    d = xp.decision("b")
    assert (d.carry_batches, d.carry_rows, d.reason) == (3, 300, "interrupted after 3 batch(es), 300 row(s); continues")


def test_a_partial_batch_resumes():
    b = step("b", BatchAction(sql="DELETE FROM t WHERE id IN (SELECT id FROM t LIMIT :batch_size)", max_batches=2))
    d = decide(plan(b), state(entry(b, "partial", batches_done=2, rows_affected=20)), "sqlite").decision("b")
    assert d.verdict == "resume" and d.carry_batches == 2


def test_steps_for_another_dialect_are_not_applicable():
    s = step("s", "CREATE EXTENSION x", when_dialects=("postgresql",))
    d = decide(plan(s), JournalState(), "sqlite").decision("s")
    assert (d.verdict, d.reason) == ("not_applicable", "only for postgresql; this database is sqlite")


def test_manual_steps_wait_unless_confirmed():
    m = step("m", ManualAction("Run drizzle-kit push and answer its questions"))
    assert decide(plan(m), JournalState(), "sqlite").decision("m").verdict == "manual"
    d = decide(plan(m), JournalState(), "sqlite", confirmed={"m"}).decision("m")
    assert (d.verdict, d.confirmed) == ("run", True)


def test_precondition_outcomes_skip_a_step_and_block_its_dependents():
    c = step("c", "SELECT 1", requires=("b",))
    xp = decide(plan(A, B, c), JournalState(), "sqlite", precondition_outcomes={"a": ("skip", "table a exists")})
    assert verdicts(xp) == [("a", "skip"), ("b", "blocked"), ("c", "blocked")]
    assert xp.decision("b").reason == "requires a, which is skipped"
    assert xp.decision("c").blocked_by == "b"


def test_mark_applied_satisfies_requires():
    xp = decide(plan(A, B), JournalState(), "sqlite", precondition_outcomes={"a": ("mark_applied", "already there")})
    assert verdicts(xp) == [("a", "mark_applied"), ("b", "run")]


def test_requiring_a_later_step_that_is_not_applied_blocks():
    first = step("first", "SELECT 1", requires=("second",))
    second = step("second", "SELECT 2")
    xp = decide(plan(first, second), JournalState(), "sqlite")
    assert verdicts(xp) == [("first", "blocked"), ("second", "run")]
    assert xp.decision("first").reason == "requires second, which comes later in the plan and is not applied"


def test_selection_leaves_other_steps_out_and_blocks_on_unapplied_requirements():
    xp = decide(plan(A, B), JournalState(), "sqlite", Selection(steps=("b",)))
    assert verdicts(xp) == [("a", "skip"), ("b", "blocked")]
    assert xp.decision("a").selected is False
    xp = decide(plan(A, B), state(entry(A)), "sqlite", Selection(skips=("a",)))
    assert verdicts(xp) == [("a", "applied"), ("b", "run")]


def test_selection_by_phase_and_tag():
    x = step("x", "SELECT 1", phase="one", tags=("fast",))
    y = step("y", "SELECT 2", phase="two")
    assert [d.selected for d in decide(plan(x, y), JournalState(), "sqlite", Selection(phases=("two",))).decisions] == [False, True]
    assert [d.selected for d in decide(plan(x, y), JournalState(), "sqlite", Selection(tags=("fast",))).decisions] == [True, False]
    assert [d.selected for d in decide(plan(x, y), JournalState(), "sqlite", Selection(skips=("one",))).decisions] == [False, True]


@pytest.mark.parametrize(
    "selection, message",
    [
        (Selection(steps=("nope",)), "--step nope: no such step in plan demo"),
        (Selection(phases=("a",)), "--phase a: no such phase in plan demo"),
        (Selection(skips=("zz",)), "--skip zz: no such phase or step in plan demo"),
        (Selection(tags=("slow",)), "--tag slow: no step of plan demo has this tag"),
    ],
)
def test_unknown_ids_in_the_selection_are_usage_errors(selection, message):
    with pytest.raises(UsageError) as e:
        selection.check(plan(A, B))
    assert str(e.value) == message
    assert e.value.exit_code == 2
