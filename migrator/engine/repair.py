"""``rollback`` and ``resolve``: undoing applied steps, and recording decisions by hand.

``resolve`` records a step as applied or pending by hand; on a phase id it
accepts the phase's ``verify`` as it is, or makes it run again (the phase's row).

``rollback`` runs the ``rollback`` SQL of applied steps newest first (by the
journal's order of application), each in a transaction together with its
``rolled_back`` journal row (a ``transaction: false`` step's rollback runs
outside one, statement by statement, as the step did). It refuses, before
running anything, when a step in the range has no ``rollback``. ``--to STEP``
keeps STEP applied (like ``sqitch revert --to``).
"""
from __future__ import annotations

from dataclasses import replace

import sqlalchemy as sa

from migrator.dialects import Dialect
from migrator.engine.journal import Journal, Row, current_user, now
from migrator.engine.planner import PENDING_BY_HAND, JournalEntry, JournalState, blocks_rollback, decide, not_in_plan
from migrator.engine.outcomes import base_result, iso_time
from migrator.engine.runner import db_error, execute_statement
from migrator.errors import UsageError
from migrator.plan.model import Plan, Step
from migrator.report import PhaseResult, RunReport, StepResult
from migrator.sql.split import statements_of


def rollback_targets(plan: Plan, state: JournalState, *, to: str | None = None, last: int | None = None,
                     dialect: str | None = None) -> list[Step]:
    """The applied steps to roll back, newest first; UsageError (exit 2) when the
    request is invalid or a step in the range has no ``rollback``. An applied step the
    plan no longer has (removed or renamed; :func:`blocks_rollback`) counts in the range
    too, and its rollback is unknown: rolling back past it would leave it applied over
    what it was built on. With ``dialect``, a step that failed only in its ``verify``
    after all its statements committed (MySQL DDL, ``transaction: false``) counts too:
    its effect is all there, and its failure message offers ``rollback`` (spec section 11)."""
    if (to is None) == (last is None):
        raise UsageError("rollback needs exactly one of --to STEP or --last N")
    # (journal row id, step): newest first, with the removed steps as their journal rows.
    applied: list[tuple[int, Step | JournalEntry]] = sorted(
        [(state.get(s.id).id, s) for s in plan.steps
         if state.is_applied(s.id) or (dialect is not None and committed_but_failed(s, state, dialect))]
        + [(e.id, e) for e in not_in_plan(plan, state) if blocks_rollback(e)],
        key=lambda pair: pair[0], reverse=True,
    )
    if to is not None:
        try:
            plan.step(to)
        except KeyError:
            raise UsageError(f"rollback --to {to}: no such step in plan {plan.name}") from None
        if not state.is_applied(to):
            raise UsageError(f"rollback --to {to}: step {to} is not applied, so there is nothing to roll back to")
        mark = state.get(to).id
        in_range = [item for row_id, item in applied if row_id > mark]
    else:
        if last < 1:
            raise UsageError(f"rollback --last {last}: expected a positive number")
        in_range = [item for _, item in applied[:last]]
    targets: list[Step] = []
    for item in in_range:
        if isinstance(item, JournalEntry):
            raise UsageError(
                f"cannot roll back: step {item.step}, applied in this range, is no longer in the plan, so its "
                "rollback is unknown; nothing was rolled back (put it back in the plan, or roll back to a later step)"
            )
        step = item
        targets.append(step)
        if step.rollback is None and step.action_kind != "check" and not marked_by_precondition(state.get(step.id)):
            raise UsageError(
                f"cannot roll back: step {step.id} has no rollback; nothing was rolled back "
                "(add a rollback to it, or roll back to a later step)"
            )
        entry = state.get(step.id)
        if entry is not None and entry.checksum != step.checksum:
            # The plan's rollback belongs to the step as it is now, not as it ran (an
            # edit, or another --var): it could undo the wrong thing. Liquibase refuses too.
            raise UsageError(
                f"cannot roll back: step {step.id} changed since it was applied (journal checksum {entry.checksum}, "
                f"plan checksum {step.checksum}), so its rollback may not undo what ran; nothing was rolled back "
                "(restore the step, and the --var values, as they were applied)"
            )
    return targets


#: The start of the ``message`` of a row written by ``resolve STEP --applied``.
RESOLVED_APPLIED = "resolve --applied by "


def marked_by_precondition(entry: JournalEntry | None) -> bool:
    """A step its ``on_fail: mark_applied`` precondition marked applied: its action never
    ran (what it would do was there already), so its rollback must not run either: it
    would undo what the plan did not do (drop a foreign key it found in place). A step
    ``resolve --applied`` marked did run, as the person said, and rolls back as applied."""
    return (entry is not None and entry.status == "marked_applied"
            and not (entry.message or "").startswith(RESOLVED_APPLIED))


def committed_but_failed(step: Step, state: JournalState, dialect: str) -> bool:
    """Whether the step's latest attempt failed after every one of its statements
    committed (only its ``verify`` failed): the step is in effect, as an applied one is."""
    entry = state.get(step.id)
    if entry is None or entry.status != "failed" or not entry.statements_done:
        return False
    if step.action_kind not in ("sql", "sql_file"):
        return False
    return entry.statements_done >= len(statements_of(step.action, dialect))


def describe_targets(targets: list[Step]) -> str:
    lines = [f"Roll back {len(targets)} step(s), newest first:"]
    lines += [f"  {i}. {s.id}" + (f" — {s.title}" if s.title else "") for i, s in enumerate(targets, 1)]
    return "\n".join(lines)


def run_rollback(plan: Plan, state: JournalState, targets: list[Step], conn: sa.Connection, dialect: Dialect,
                 journal: Journal, *, run_by: str | None = None) -> RunReport:
    """Roll back ``targets`` in order; stops at the first failure (that step stays applied)."""
    xp = decide(plan, state, dialect.name)
    done: dict[str, StepResult] = {}
    status, message = "ok", None
    for i, step in enumerate(targets, 1):
        d = xp.decision(step.id)
        marked = marked_by_precondition(state.get(step.id))
        statements = tuple(statements_of(step.rollback, dialect.name)) if step.rollback and not marked else ()
        reason = f"rollback {i} of {len(targets)}"
        if marked:
            reason += "; its precondition marked it applied without running it, so its rollback does not run either"
        result = base_result(d, statements=statements, reason=reason)
        if status != "ok":
            done[step.id] = replace(result, outcome="not_reached")
            continue
        started = now()
        position = 0
        row = Row(
            plan=plan.name, phase=step.phase, step=step.id, checksum=step.checksum, status="rolled_back",
            started_at=started, finished_at=None, statements_done=len(statements), run_by=run_by,
            message=f"rolled back by {run_by or current_user()}"
                    + (" (marked applied by its precondition: nothing to undo, its rollback not run)" if marked else ""),
        )
        try:
            if step.transaction:
                with conn.begin():
                    for position, stmt in enumerate(statements):
                        execute_statement(conn, dialect, stmt)
                    journal.insert(conn, replace(row, finished_at=now()))
            else:
                # As the step itself: its rollback (DROP INDEX CONCURRENTLY...) cannot
                # run in a transaction block either.
                for position, stmt in enumerate(statements):
                    dialect.run_outside_transaction(conn, stmt)
                with conn.begin():
                    journal.insert(conn, replace(row, finished_at=now()))
        except sa.exc.StatementError as e:
            if conn.in_transaction():
                conn.rollback()
            n = len(statements)
            committed = ""
            if not step.transaction and position:
                committed = f"; statements 1–{position} of its rollback are committed (they ran outside a transaction)"
            elif not dialect.transactional_ddl and any(dialect.commits_implicitly(s) for s in statements[:position]):
                committed = f"; statements 1–{position} of its rollback are committed (MySQL commits DDL at once)"
            error = f"{db_error(e)} (rollback statement {position + 1} of {n}){committed}; the step stays applied"
            status, message = "failed", f"rollback of step {step.id} failed: {error}"
            done[step.id] = replace(result, outcome="failed", error=error, **_rollback_counts(started, position))
            continue
        # The counts are the rollback's own, not those of the apply it undid ("5/3 statements").
        done[step.id] = replace(result, outcome="rolled_back", state="rolled_back",
                                **_rollback_counts(started, len(statements)))
    phases = []
    for phase in plan.phases:
        steps = tuple(done[s.id] for s in phase.steps if s.id in done)
        if steps:
            phases.append(PhaseResult(phase=phase.id, title=phase.title, steps=steps))
    return RunReport(
        command="rollback", plan=plan.name, source=plan.source, phases=tuple(phases), status=status, message=message,
        dialect=dialect.name, extra={"rollback_order": [s.id for s in targets]},
    )


def _rollback_counts(started, statements_done: int) -> dict:
    finished = now()
    return dict(statements_done=statements_done, rows_affected=None, batches_done=None,
                started_at=iso_time(started), finished_at=iso_time(finished),
                duration_ms=int((finished - started).total_seconds() * 1000))


def resolve_step(plan: Plan, state: JournalState, step_id: str, conn: sa.Connection, dialect: Dialect,
                 journal: Journal, *, applied: bool, run_by: str | None = None) -> RunReport:
    """Record by hand that a step is applied (``marked_applied``) or pending again.

    Pending is journaled as ``skipped`` with its counters at 0: the next
    ``apply`` runs the step again from its first statement (or batch).
    """
    try:
        step = plan.step(step_id)
    except KeyError:
        raise UsageError(f"resolve {step_id}: no such step in plan {plan.name}") from None
    who = run_by or current_user()
    before = state.get(step_id)
    was = f" (was {before.status})" if before else ""
    if applied:
        status, message = "marked_applied", f"{RESOLVED_APPLIED}{who}{was}"
    else:
        status, message = "skipped", f"resolve --pending by {who}{was}: runs again from the start"
    started = now()
    xp = _recorded(plan, conn, dialect, journal, Row(
        plan=plan.name, phase=step.phase, step=step.id, checksum=step.checksum, status=status,
        started_at=started, finished_at=started, **_zero_counters(step), run_by=who, message=message,
    ))
    result = base_result(xp.decision(step.id))
    return RunReport(
        command="resolve", plan=plan.name, source=plan.source,
        phases=(PhaseResult(phase=step.phase, title=plan.phase(step.phase).title, steps=(result,)),),
        message=f"step {step.id} recorded as {'applied' if applied else 'pending'}", dialect=dialect.name,
    )


def _zero_counters(step: Step) -> dict[str, int]:
    """The counters the runner's rows keep for this kind of step, at 0: statements for
    SQL, batches for a batch step, rows for all (the others' stay NULL, as the runner's)."""
    counters = {"rows_affected": 0}
    if step.action_kind in ("sql", "sql_file"):
        counters["statements_done"] = 0
    elif step.action_kind == "batch":
        counters["batches_done"] = 0
    return counters


def resolve_phase(plan: Plan, state: JournalState, phase_id: str, conn: sa.Connection, dialect: Dialect,
                  journal: Journal, *, applied: bool, run_by: str | None = None) -> RunReport:
    """Record by hand the outcome of a phase's ``verify``: accepted (an ``applied`` row,
    so the next ``apply`` goes on past a verify that failed) or pending (a ``failed`` row
    marked pending by hand, so the next ``apply`` runs the verify again and later
    phases wait until it holds). The caller has checked that the phase has ``verify`` checks.
    """
    phase = plan.phase(phase_id)
    who = run_by or current_user()
    before = state.phase_verify(phase_id)
    was = f" (was {before.status})" if before else ""
    if applied:
        status, message = "applied", f"resolve --applied by {who}{was}: its verify accepted by hand"
    else:
        status, message = "failed", f"{PENDING_BY_HAND} by {who} with resolve --pending{was}"
    started = now()
    xp = _recorded(plan, conn, dialect, journal, Row(
        plan=plan.name, phase=phase.id, step=phase.id, checksum=phase.verify_checksum, status=status,
        started_at=started, finished_at=started, run_by=who, message=message,
    ))
    steps = tuple(base_result(d) for d in xp.for_phase(phase.id))
    what = "accepted: the next apply goes on past it" if applied else "pending: the next apply runs it again"
    return RunReport(
        command="resolve", plan=plan.name, source=plan.source,
        phases=(PhaseResult(phase=phase.id, title=phase.title, steps=steps, reverify=xp.reverify.get(phase.id)),),
        message=f"the verify of phase {phase.id} recorded as {what}", dialect=dialect.name,
    )


def _recorded(plan: Plan, conn: sa.Connection, dialect: Dialect, journal: Journal, row: Row):
    """Journal ``row`` (a decision made by hand) and decide the plan again from the
    journal as it now reads, for the report."""
    with conn.begin():
        journal.insert(conn, row)
    state = journal.read_state(conn, dialect, plan.name, known_to_exist=True)
    conn.rollback()
    return decide(plan, state, dialect.name)
