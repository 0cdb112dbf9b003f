"""Report records of decisions: what a step's result and a run's report say before
(or without) anything being executed.

Shared by the runner, the dry run, ``verify``, ``rollback`` and the driver-level
no-op (:mod:`migrator.engine.shortcut`); it imports no SQLAlchemy, so that the
no-op re-apply can report without loading it.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Mapping

from migrator import commandline
from migrator.commandline import with_arguments
from migrator.engine.planner import (EXECUTING_VERDICTS, Decision, ExecutionPlan, JournalState, Selection, decide,
                                     blocks_rollback, not_in_plan, renamed_from)
from migrator.plan.model import Plan
from migrator.report import PhaseResult, RunReport, StepResult


def base_result(d: Decision, *, statements: tuple[str, ...] = (), **changes) -> StepResult:
    """The report record of a decision, before anything ran."""
    s, e = d.step, d.entry
    fields = dict(
        step=s.id,
        phase=s.phase,
        action=s.action_kind,
        verdict=d.verdict,
        reason=d.reason,
        title=s.title,
        checksum=s.checksum,
        recorded_checksum=e.checksum if e else None,
        statements=statements,
        blocked_by=d.blocked_by,
        instructions=getattr(s.action, "instructions", None),
        optional=s.optional,
        idempotent=s.idempotent,
        transaction=s.transaction,
        state=e.status if e else None,
        started_at=iso_time(e.started_at) if e else None,
        finished_at=iso_time(e.finished_at) if e else None,
        duration_ms=e.duration_ms if e else None,
        rows_affected=e.rows_affected if e else None,
        statements_done=e.statements_done if e else None,
        batches_done=e.batches_done if e else None,
        run_by=e.run_by if e else None,
        journal_message=e.message if e else None,
    )
    return StepResult(**{**fields, **changes})  # one construction, no replace(): it runs for every step


def iso_time(value) -> str | None:
    """A journal timestamp as the report shows it: ``YYYY-MM-DD HH:MM:SS``."""
    if value is None:
        return None
    return value.isoformat(sep=" ", timespec="seconds") if hasattr(value, "isoformat") else str(value)


def initial_outcome(d: Decision) -> str:
    """A step's outcome before the run works on it (what a run that stops at once reports)."""
    if not d.selected:
        return "filtered"
    return {
        "applied": "already_applied",
        "not_applicable": "not_applicable",
        "drift": "drift",  # what stopped the run, not a step it did not get to
    }.get(d.verdict, "not_reached")


def acts(d: Decision) -> bool:
    """The runner has something to do for this (selected) step."""
    return d.verdict in EXECUTING_VERDICTS or d.verdict in ("manual", "blocked")


def apply_report(plan: Plan, results: dict[str, StepResult], phase_checks, *, status: str, message: str | None,
                 dialect: str, apply_command: str | None = None, resolve_command: str | None = None,
                 reverify: Mapping[str, str] | None = None) -> RunReport:
    """The :class:`RunReport` of an ``apply``, from each step's result and each phase's checks
    (``phase_checks[phase id] == (preconditions, verify)``). ``apply_command`` and
    ``resolve_command``: ``migrator apply PLAN`` and ``migrator resolve PLAN`` with this
    run's options (:mod:`migrator.commandline`), for the next steps; ``reverify``: the
    planner's :attr:`~migrator.engine.planner.ExecutionPlan.reverify`, whose note a phase
    keeps only while its verify did not run in this apply or failed again."""
    command = apply_command or default_apply_command(plan)
    resolve = resolve_command or default_resolve_command(plan)
    reverify = reverify or {}
    phases = []
    for phase in plan.phases:
        pre, verify = phase_checks.get(phase.id, ((), ()))
        steps = tuple(results[s.id] for s in phase.steps)
        held = bool(verify) and not any(c.held is False for c in verify)
        phases.append(PhaseResult(
            phase=phase.id, title=phase.title, steps=steps, preconditions=pre, verify=verify,
            waits_for_person=any(r.outcome == "waiting" or r.verdict == "manual" and r.outcome != "applied" for r in steps),
            reverify=None if held else reverify.get(phase.id),
        ))
    return RunReport(
        command="apply", plan=plan.name, source=plan.source, phases=tuple(phases), status=status,
        message=message, dialect=dialect, next_steps=next_steps(command, phases, status, resolve),
        apply_command=command,
    )


def settled_report(xplan: ExecutionPlan, dialect: str, apply_command: str | None = None,
                   resolve_command: str | None = None) -> RunReport | None:
    """The report of an ``apply`` that has nothing to execute, or None when it has work.

    The same report :class:`~migrator.engine.runner.Runner` returns before it touches
    the database: it stops on drift or an unresolved step, and it skips a plan whose
    selected steps are all applied, not applicable or filtered out and that has no
    phase verification to run again (one that failed on the last apply).
    """
    if not xplan.stop and (xplan.reverify or any(d.selected and acts(d) for d in xplan.decisions)):
        return None
    results = {d.step.id: base_result(d, outcome=initial_outcome(d)) for d in xplan.decisions}
    status, message = (xplan.stop, xplan.stop_message) if xplan.stop else ("ok", None)
    return apply_report(xplan.plan, results, {}, status=status, message=message, dialect=dialect,
                        apply_command=apply_command, resolve_command=resolve_command)


def default_apply_command(plan: Plan) -> str:
    """``migrator apply PLAN``, for runs whose caller gave no command line (tests, ``migrator test``)."""
    return commandline.apply_command(plan.source)


def default_resolve_command(plan: Plan) -> str:
    """``migrator resolve PLAN``, likewise."""
    return commandline.resolve_command(plan.source)


#: What to do about drift: the next step of a dry run or an ``apply`` that stops on it.
DRIFT_HINT = "restore the changed steps, or mark them rerun: on_change if they are idempotent"


def accept_phase_hint(resolve: str, phase: str) -> str:
    """How to accept a phase whose verify fails as it is (``resolve PHASE --applied``)."""
    return f"to accept phase {phase} as it is instead, run {with_arguments(resolve, phase, '--applied')}"


def next_steps(command: str, phases, status: str, resolve: str | None = None) -> tuple[str, ...]:
    """What the person should do next, for the summary; ``command`` is ``migrator apply PLAN
    [options]`` as the run was given them, ``resolve`` the same for ``migrator resolve PLAN``."""
    out: list[str] = []
    if status == "drift":
        out.append(DRIFT_HINT)
    for p in phases:
        for r in p.steps:
            if r.outcome == "waiting":
                out.append(f"confirm manual step {r.step} when done: {with_arguments(command, '--confirm', r.step)}")
            elif r.outcome in ("failed", "optional_failed"):
                out.append(f"fix step {r.step} ({r.error}) and run {command} again")
            elif r.outcome == "partial":
                out.append(f"continue batch step {r.step}: {command}")
            elif r.outcome == "skipped":
                out.append(f"step {r.step} was skipped ({r.journal_message}); it stays pending")
        if any(c.held is False for c in p.verify):
            hint = (f"fix what the verify of phase {p.phase} found and run {command} again; "
                    "it runs that verify again before going on")
            if resolve:
                hint += f" ({accept_phase_hint(resolve, p.phase)})"
            out.append(hint)
    pending = [r.step for p in phases for r in p.steps if r.outcome == "not_reached"]
    if pending and status != "ok":
        out.append(f"{len(pending)} step(s) not reached: {', '.join(pending)}")
    return tuple(out)


def not_in_plan_extra(plan: Plan, state: JournalState, selection: Selection) -> dict:
    """``{"not_in_plan": [...]}``, the ``extra`` of ``status`` and the dry run, as Flyway's
    ``info`` lists applied migrations missing locally: the latest row of each journaled
    step the plan no longer has (removed or renamed), oldest first, with ``renamed_as``
    (the never-journaled step of the same checksum, if any) and ``blocks_rollback``.
    Empty when there is none, or when the selection narrows the command to some steps."""
    gone = not_in_plan(plan, state)
    if not gone or selection != Selection():
        return {}
    renamed: dict[str, str] = {}
    for new, old in renamed_from(plan, state).items():
        renamed.setdefault(old.step, new)
    return {"not_in_plan": [
        {"step": e.step, "phase": e.phase, "state": e.status, "checksum": e.checksum,
         "finished_at": iso_time(e.finished_at), "run_by": e.run_by, "renamed_as": renamed.get(e.step),
         "blocks_rollback": blocks_rollback(e)}
        for e in gone
    ]}


def status_report(plan: Plan, state: JournalState, dialect: str, selection: Selection = Selection()) -> RunReport:
    """Each step's state from the journal (``status``), drift marked by the verdict.

    A step never attempted is ``pending``, or ``not_applicable`` when its ``when``
    leaves this database out (as ``plan`` says; ``apply`` never runs it). Only the
    steps ``selection`` includes are listed, and only the phases that keep one; the
    planner gives a step left out no ``drift`` verdict, so its drift is not this report's.
    """
    xp = decide(plan, state, dialect, selection)
    phases = []
    for phase in plan.phases:
        steps: list[StepResult] = []
        for d in xp.for_phase(phase.id):
            if not d.selected:
                continue
            result = base_result(d)
            if d.entry is None:
                result = replace(result, state="not_applicable" if d.verdict == "not_applicable" else "pending")
            steps.append(result)
        if steps:
            # As the dry run says it: the next apply stops at a manual step not confirmed yet.
            phases.append(PhaseResult(phase=phase.id, title=phase.title, steps=tuple(steps),
                                      waits_for_person=any(s.verdict == "manual" for s in steps),
                                      reverify=xp.reverify.get(phase.id)))
    drift = [d.step.id for d in xp.decisions if d.verdict == "drift"]
    return RunReport(
        command="status", plan=plan.name, source=plan.source, phases=tuple(phases),
        status="drift" if drift else "ok",
        message=f"drift: {', '.join(drift)} changed since applied" if drift else None,
        dialect=dialect, extra=not_in_plan_extra(plan, state, selection),
    )
