"""``migrator verify``: run the verify checks of what is applied, now, read-only."""
from __future__ import annotations

from migrator.checks import CheckContext, evaluate_all
from migrator.engine.planner import decide
from migrator.engine.outcomes import base_result
from migrator.report import CheckResult, PhaseResult, RunReport


def verify_report(plan, state, dialect: str, selection, conn) -> RunReport:
    """``migrator verify``: the verify checks of applied steps and complete phases, run now.

    Read-only: the checks run in a transaction that is rolled back.
    """
    xp = decide(plan, state, dialect, selection)
    ctx = CheckContext.create(conn, dialect=dialect, is_applied=state.is_applied)
    phases = []
    with conn.begin() as tx:
        try:
            for phase in plan.phases:
                results = []
                for d in (d for d in xp.for_phase(phase.id) if d.selected):
                    if not d.step.applies_to(dialect):
                        results.append(base_result(d))
                    elif not state.is_applied(d.step.id):
                        was = state.get(d.step.id)
                        results.append(base_result(d, reason=f"not applied ({was.status if was else 'never run'}); not verified"))
                    elif d.step.verify:
                        results.append(base_result(d, verify=evaluate_all(d.step.verify, ctx)))
                    else:
                        results.append(base_result(d, reason="applied; has no verify checks"))
                checks = ()
                if phase.verify and all(selection.includes(s) for s in phase.steps):
                    pending = [s.id for s in phase.steps if s.applies_to(dialect) and not s.optional
                               and not state.is_applied(s.id)]
                    checks = evaluate_all(phase.verify, ctx) if not pending else tuple(
                        CheckResult(kind=c.kind, label=c.label, held=None, path=c.path,
                                    detail=f"not evaluated: steps of phase {phase.id} not applied: {', '.join(pending)}")
                        for c in phase.verify
                    )
                if results or checks:
                    phases.append(PhaseResult(phase=phase.id, title=phase.title, steps=tuple(results), verify=checks))
        finally:
            tx.rollback()  # read-only: nothing a check did may stay
    every = [c for p in phases for c in (*p.verify, *(x for s in p.steps for x in s.verify))]
    failed = sum(1 for c in every if c.held is False)
    return RunReport(
        command="verify", plan=plan.name, source=plan.source, phases=tuple(phases), dialect=dialect,
        status="failed" if failed else "ok",
        message=f"{failed} of {len(every)} checks failed" if failed else None,
    )
