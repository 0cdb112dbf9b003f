"""``plan`` (the dry run) and ``status``: reports built without changing anything.

The dry run asks the same planner as ``apply``; the only thing it adds is a
read-only evaluation of the preconditions of the steps that would run, inside
a transaction that is rolled back, whose failures turn verdicts into ``skip``
or ``mark_applied`` exactly as ``apply`` would; a failure that would halt ``apply``
leaves the verdict and is added to the reason. Those checks see the database as
it is now: when an earlier step of the same run would change it, the reason says
so.
"""
from __future__ import annotations

from dataclasses import replace

import sqlalchemy as sa

from migrator.commandline import with_arguments
from migrator.engine.planner import (
    ExecutionPlan,
    JournalState,
    Selection,
    decide,
    precondition_outcome,
)
from migrator.engine.outcomes import (DRIFT_HINT, accept_phase_hint, base_result, default_apply_command,
                                      default_resolve_command, not_in_plan_extra)
from migrator.engine.runner import Checks, step_statements
from migrator.plan.model import Plan
from migrator.report import CheckResult, PhaseResult, RunReport

_SHOWS_SQL = frozenset({"run", "rerun", "resume", "manual"})
_CHANGES_DB = frozenset({"run", "rerun", "resume"})


def dry_run(
    plan: Plan,
    state: JournalState,
    dialect: str,
    selection: Selection = Selection(),
    *,
    confirmed: frozenset[str] = frozenset(),
    conn: sa.Connection | None = None,
    apply_command: str | None = None,
    resolve_command: str | None = None,
) -> RunReport:
    """What ``apply`` would do now. ``conn`` None is the offline dry run: no
    preconditions are evaluated and the journal is taken as empty. ``apply_command``,
    ``resolve_command``: the ``migrator apply`` and ``migrator resolve`` commands with
    this run's options (:mod:`migrator.commandline`)."""
    command = apply_command or default_apply_command(plan)
    resolve = resolve_command or default_resolve_command(plan)
    xp = decide(plan, state, dialect, selection, confirmed=confirmed, resolve_command=resolve)
    step_checks: dict[str, tuple[CheckResult, ...]] = {}
    phase_checks: dict[str, tuple[CheckResult, ...]] = {}
    halts: dict[str, str] = {}  # step id -> why apply would halt there
    certain: list[str] = []  # the steps where apply will halt whatever runs before them
    if conn is not None and not xp.stop:
        outcomes = _evaluate_preconditions(xp, conn, state, step_checks, phase_checks, halts, certain)
        if outcomes:
            xp = decide(plan, state, dialect, selection, confirmed=confirmed, precondition_outcomes=outcomes,
                        resolve_command=resolve)
    phases = []
    proofs = _not_null_proofs()  # the SET NOT NULL recipe, followed across the plan's steps
    for phase in plan.phases:
        steps = []
        for d in xp.for_phase(phase.id):
            if not d.selected or d.verdict not in _SHOWS_SQL:
                if d.verdict != "not_applicable":
                    proofs.note_step(d.step, dialect)
            if not d.selected:
                continue
            statements = step_statements(d.step, dialect) if d.verdict in _SHOWS_SQL else ()
            first = 0
            if d.verdict == "resume" and d.resume_at:
                # Only what would run, numbered by its place in the step (as the runner
                # resumes: at most past the last statement of a step that now has fewer).
                first = min(d.resume_at, len(statements))
                statements = statements[first:]
            reason = d.reason
            if d.verdict in _CHANGES_DB and d.step.id in halts:
                reason = f"{reason}; {halts[d.step.id]}" if reason else halts[d.step.id]
            result = base_result(d, statements=statements, first_statement=first + 1,
                                 preconditions=step_checks.get(d.step.id, ()), reason=reason)
            if d.verdict in _SHOWS_SQL:
                result = replace(result, findings=_findings(d.step, dialect, statements, proofs))
            steps.append(result)
        if steps:
            phases.append(PhaseResult(
                phase=phase.id, title=phase.title, steps=tuple(steps), preconditions=phase_checks.get(phase.id, ()),
                waits_for_person=any(s.verdict == "manual" for s in steps), reverify=xp.reverify.get(phase.id),
            ))
    status, message = xp.stop or "ok", xp.stop_message
    if status == "ok" and certain:
        # As apply would end: exit 1, so that a CI gate on the dry run stops here too.
        status, message = "failed", f"step {certain[0]}: {halts[certain[0]]}"
    return RunReport(
        command="plan", plan=plan.name, source=plan.source, phases=tuple(phases),
        status=status, message=message, dialect=dialect, offline=conn is None,
        next_steps=_next(command, resolve, xp), apply_command=command,
        extra=not_in_plan_extra(plan, state, selection),
    )


def _findings(step, dialect: str, statements, proofs) -> tuple:
    from migrator.lint import lint_step

    return lint_step(step, dialect, list(statements), proofs=proofs)


def _not_null_proofs():
    from migrator.lint import NotNullProofs

    return NotNullProofs()


def _evaluate_preconditions(xp: ExecutionPlan, conn, state: JournalState, step_checks, phase_checks, halts,
                            certain) -> dict:
    """Evaluate, read-only, the preconditions of what would run; the outcomes for ``decide``.
    ``halts`` gets, per step, why ``apply`` would halt there (no verdict says that);
    ``certain`` the steps among them where it will, since no step before them changes
    the database in this run (and an optional step's halt does not end the run)."""
    outcomes: dict[str, tuple[str, str]] = {}
    checks = None
    earlier_changes = False  # an earlier step of this run would change the database
    with conn.begin() as tx:
        try:
            for phase in xp.plan.phases:
                running = [d for d in xp.for_phase(phase.id) if d.selected and d.verdict in _CHANGES_DB]
                if not running:
                    continue
                if checks is None:
                    checks = Checks(conn, xp.dialect, state.is_applied)
                if phase.preconditions:
                    results = checks.evaluate(phase.preconditions)
                    phase_checks[phase.id] = results
                    action, reason, _ = precondition_outcome(phase.preconditions, results)
                    if action in ("skip", "mark_applied"):
                        for d in running:
                            outcomes[d.step.id] = (action, _caveat(f"phase {phase.id}: {reason}", earlier_changes))
                        continue
                    if action == "halt":
                        for d in running:
                            halts[d.step.id] = _caveat(f"apply would halt at phase {phase.id}: {reason}", earlier_changes)
                        if not earlier_changes:
                            certain.append(running[0].step.id)
                for d in running:
                    if d.step.preconditions:
                        results = checks.evaluate(d.step.preconditions)
                        step_checks[d.step.id] = results
                        action, reason, _ = precondition_outcome(d.step.preconditions, results)
                        if action in ("skip", "mark_applied"):
                            outcomes[d.step.id] = (action, _caveat(reason, earlier_changes))
                            continue
                        if action == "halt":
                            halts[d.step.id] = _caveat(f"apply would halt here: {reason}", earlier_changes)
                            if not earlier_changes and not d.step.optional:
                                certain.append(d.step.id)
                    earlier_changes = earlier_changes or d.step.action_kind not in ("check", "manual")
        finally:
            tx.rollback()  # read-only: nothing a check did may stay
    return outcomes


def _caveat(reason: str, earlier_changes: bool) -> str:
    if earlier_changes:
        return f"{reason} (checked against the database as it is now; earlier steps of this run may change that)"
    return reason


def _next(command: str, resolve: str, xp: ExecutionPlan) -> tuple[str, ...]:
    out = []
    if xp.stop == "drift":
        out.append(DRIFT_HINT)
    for phase in xp.plan.phases:
        if phase.id in xp.reverify:
            out.append(f"the verify of phase {phase.id} runs again on the next apply; "
                       + accept_phase_hint(resolve, phase.id))
    for d in xp.decisions:
        if d.selected and d.verdict == "manual":
            out.append(f"manual step {d.step.id} waits for a person: confirm with "
                       f"{with_arguments(command, '--confirm', d.step.id)}")
    return tuple(out)
