"""``migrator test``: prove a plan's idempotent steps and rollbacks on a scratch database.

Everything runs through the engine (:class:`~migrator.engine.runner.Runner` and
:func:`~migrator.engine.repair.run_rollback`), so what is proved is what
``apply`` and ``rollback`` do. The proof, with the lock held by the caller:

1. (``--setup``) apply the setup plan, which builds the "before" database; not proved.
2. Apply the plan, every manual step confirmed (as optional: a test cannot do a
   person's work, so a manual step whose verify fails is unproved and only the steps
   that require it are blocked), with a snapshot of the schema just before each step
   (the runner's ``before_step`` hook); the snapshot before the next step is the one
   after this step, and the two give the step's effect.
3. Run every applied ``idempotent: true`` step a second time (a ``rerun`` decision:
   its preconditions, action, verify and journal row, as ``apply`` would): it must
   succeed, and neither the schema nor any table's row count may change.
4. Roll back every applied step that has a ``rollback``, one at a time, newest first;
   each must take back exactly its step's effect, measured against the snapshot
   taken just before that step was applied, so a difference names the step at fault
   (spec section 11). Steps without a rollback stay applied.
5. Apply again; each re-applied step must have the same effect as the first time
   (up -> down -> up). A difference is blamed once, on the step that caused it.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import replace
from typing import Iterator

import sqlalchemy as sa

from migrator.checks import CheckContext, evaluate_all
from migrator.dialects import Dialect
from migrator.engine.journal import Journal
from migrator.engine.planner import Decision, JournalState, decide
from migrator.engine.repair import run_rollback
from migrator.engine.runner import RunOptions, Runner
from migrator.errors import MigratorError, StepInterrupted, UsageError
from migrator.plan.model import CheckSpec, Plan, Step
from migrator.prove import snapshot
from migrator.prove.proof import ProofReport, StepProof
from migrator.report import CheckResult, RunReport, StepResult

#: Who confirms manual steps and runs everything, in the scratch database's journal.
RUN_BY = "migrator test"
TEMPORARY_DATABASE = "temporary SQLite database"
#: First-apply outcomes after which a step's effect is in the database (and its rollback would run).
_APPLIED = ("applied", "marked_applied")
#: Steps whose action cannot change the schema or the data (checks run read-only).
_NO_SCHEMA_CHANGE = ("check", "manual")


class SetupFailed(MigratorError):
    """The ``--setup`` plan did not apply, so the plan under test cannot be proved."""

    exit_code = 1

    def __init__(self, source: str, message: str):
        self.source = source
        self.message = message
        super().__init__(f"setup plan {source} did not apply: {message}")


@contextmanager
def scratch_database(url: str | None) -> Iterator[str]:
    """``url``, or a temporary SQLite file removed afterwards (never
    ``$MIGRATOR_DATABASE_URL``: a test must not touch a database nobody named)."""
    if url:
        yield url
        return
    directory = tempfile.mkdtemp(prefix="migrator-test-")
    try:
        yield f"sqlite:///{os.path.join(directory, 'scratch.sqlite')}"
    finally:
        shutil.rmtree(directory, ignore_errors=True)


class _Recorder:
    """The ``before_step`` hook: a snapshot before each step the runner works on,
    which is also the snapshot after the step before it."""

    def __init__(self, take):
        self._take = take
        self.order: list[str] = []
        self.before: dict[str, snapshot.Snapshot] = {}
        self.after: dict[str, snapshot.Snapshot] = {}
        self._unchanged = False

    def __call__(self, step: Step) -> None:
        # Reflection is the cost of a proof; a check or manual step changes no schema.
        snap = self.before[self.order[-1]] if self._unchanged else self._take()
        if self.order:
            self.after[self.order[-1]] = snap
        self.order.append(step.id)
        self.before[step.id] = snap
        self._unchanged = step.action_kind in _NO_SCHEMA_CHANGE

    def finish(self) -> snapshot.Snapshot | None:
        if not self.order:
            return None
        snap = self.before[self.order[-1]] if self._unchanged else self._take()
        self.after[self.order[-1]] = snap
        return snap


def prove(plan: Plan, conn: sa.Connection, dialect: Dialect, journal: Journal, *, database: str,
          setup: Plan | None = None) -> ProofReport:
    """Prove ``plan`` on the scratch database behind ``conn`` (the caller holds the lock).

    Raises UsageError (exit 2) when the database already holds a journal for the
    plan, and :class:`SetupFailed` when the setup plan does not apply.
    """
    try:
        return _Prover(plan, conn, dialect, journal, database).prove(setup)
    except StepInterrupted as e:
        # The engine's message says how the next `apply` goes on; a proof is not resumed.
        raise ProofInterrupted(f"interrupted during step {e.step} of `migrator test`; the proof is not "
                               "resumed: run `migrator test` again on a fresh scratch database") from None


class ProofInterrupted(MigratorError):
    """Ctrl-C stopped ``migrator test`` inside a step."""

    exit_code = StepInterrupted.exit_code


class _Prover:
    def __init__(self, plan: Plan, conn: sa.Connection, dialect: Dialect, journal: Journal, database: str):
        self.plan = plan
        self.conn = conn
        self.dialect = dialect
        self.journal = journal
        self.database = database
        self.exclude = (journal.name, f"{journal.name}_meta")
        self.setup: str | None = None
        # A test cannot do a person's work: a manual step whose verify fails after the
        # automatic confirmation is reported unproved, and only the steps that require
        # it are blocked (it runs as optional), instead of the whole proof stopping.
        self._test_plan = _manual_steps_optional(plan)

    def take(self, counts: bool = False) -> snapshot.Snapshot:
        return snapshot.take(self.conn, counts=counts, exclude=self.exclude)

    # --- the engine, as apply and rollback use it ------------------------------------

    def _state(self, plan: Plan):
        state = self.journal.read_state(self.conn, self.dialect, plan.name, known_to_exist=True)
        self.conn.commit()
        return state

    def _runner(self, plan: Plan, before_step=None) -> tuple[Runner, JournalState]:
        state = self._state(plan)
        manual = frozenset(s.id for s in plan.steps if s.action_kind == "manual")
        xp = decide(plan, state, self.dialect.name, confirmed=manual)
        options = RunOptions(run_by=RUN_BY, before_step=before_step)
        return Runner(xp, self.conn, self.dialect, self.journal, state, options), state

    def apply(self, plan: Plan, before_step=None) -> RunReport:
        return self._runner(plan, before_step)[0].run()

    def rerun(self, step: Step) -> StepResult:
        runner, state = self._runner(self._test_plan)
        decision = Decision(step, "rerun", "migrator test: second run", entry=state.get(step.id), confirmed=True)
        return runner.run_step(decision)

    def stale_verify(self, step: Step) -> list[tuple[CheckSpec, CheckResult]]:
        """The step's verify checks that fail now, before its second run, read-only.

        The second runs come after the whole plan, so a later step may have changed what
        a check reads (a cleanup dropping the column it checks): such a check says
        nothing about the second run. ``unchanged`` checks compare with the step's own
        "before" and are left to the second run.
        """
        specs = [c for c in step.verify if not any(x.kind == "unchanged" for x in c.walk())]
        if not specs:
            return []
        state = self._state(self.plan)
        ctx = CheckContext.create(self.conn, dialect=self.dialect.name, is_applied=state.is_applied)
        with self.conn.begin() as tx:
            try:
                results = evaluate_all(specs, ctx)
            finally:
                tx.rollback()  # read-only: nothing a check did may stay
        return [(spec, result) for spec, result in zip(specs, results) if result.held is not True]

    def roll_back(self, step: Step) -> RunReport:
        return run_rollback(self.plan, self._state(self.plan), [step], self.conn, self.dialect, self.journal,
                            run_by=RUN_BY)

    # --- the proof ---------------------------------------------------------------------

    def prove(self, setup: Plan | None) -> ProofReport:
        existing = self.journal.read_state(self.conn, self.dialect, self.plan.name)
        self.conn.rollback()
        if existing.entries or existing.phases:
            raise UsageError(
                f"{self.database} already holds a journal for plan {self.plan.name} "
                f"({len(existing.entries)} step(s) recorded); `migrator test` needs a scratch database "
                "(leave out --database for a temporary SQLite file)"
            )
        self.journal.ensure_table(self.conn, self.dialect)
        if setup is not None:
            self.setup = setup.source
            report = self.apply(setup)
            if report.status != "ok":
                raise SetupFailed(setup.source, report.message or report.status)

        first = _Recorder(self.take)
        report = self.apply(self._test_plan, first)
        first.finish()
        outcomes = _outcomes(report)
        applicable = [s for s in self.plan.steps if outcomes[s.id].outcome != "not_applicable"]
        skipped_dialect = tuple(s.id for s in self.plan.steps if outcomes[s.id].outcome == "not_applicable")
        if report.status != "ok":
            return self._report(_failed_apply(applicable, outcomes, report), skipped_dialect, (),
                                error=None if any(r.outcome == "failed" for r in outcomes.values())
                                else f"the apply did not complete: {report.message}")

        idempotent: dict[str, StepProof] = {}
        current = None  # the snapshot (with row counts) after the previous second run
        for step in applicable:
            if step.idempotent:
                idempotent[step.id], current = self._prove_idempotent(step, outcomes[step.id], current)
        rollbacks, notes = self._prove_rollbacks(first, outcomes)
        proofs: list[StepProof] = []
        for step in applicable:
            if step.action_kind == "manual" and not step.optional and outcomes[step.id].outcome == "optional_failed":
                proofs.append(_proof(step, None, "unproved", f"a manual step, confirmed automatically, but "
                                     f"{outcomes[step.id].error} (`migrator test` cannot do a person's work)"))
                continue
            claims = [p for p in (idempotent.get(step.id), rollbacks.get(step.id)) if p is not None]
            if not claims:
                # An optional step that failed, or one skipped or blocked, says so: the
                # report must not hide what happened to it in the first apply.
                first_apply = outcomes[step.id]
                why = "" if first_apply.outcome == "applied" else f"; {_why_not_applied(first_apply)}"
                claims = [_proof(step, None, "unproved", f"not idempotent and no rollback{why}")]
            proofs.extend(claims)
        return self._report(proofs, skipped_dialect, notes)

    def _report(self, proofs, not_applicable, notes, error=None) -> ProofReport:
        return ProofReport(
            plan=self.plan.name, source=self.plan.source, dialect=self.dialect.name, database=self.database,
            proofs=tuple(proofs), setup=self.setup, not_applicable=tuple(not_applicable), notes=tuple(notes),
            error=error,
        )

    def _prove_idempotent(self, step: Step, first: StepResult, before: snapshot.Snapshot | None):
        """The proof, and the snapshot after the second run (the next second run's "before")."""
        if first.outcome != "applied":
            why = f"not run a second time: {_why_not_applied(first)}"
            return _proof(step, "idempotent", "unproved", why), before
        before = before or self.take(counts=True)
        stale = self.stale_verify(step)
        if stale:
            # Judged without the checks a later step made false (see stale_verify), named instead.
            step = replace(step, verify=tuple(c for c in step.verify if all(c is not spec for spec, _ in stale)))
            not_judged = ("; not judged: " + ", ".join(f"{r.label} ({r.detail})" for _, r in stale)
                          + f", which no longer held before the second run: a later step of the plan changed "
                          f"what {'it checks' if len(stale) == 1 else 'they check'}")
        else:
            not_judged = ""
        result = self.rerun(step)
        after = before if step.action_kind in _NO_SCHEMA_CHANGE else self.take(counts=True)
        changes = snapshot.diff(before, after, "after re-run", counts=True)
        if result.outcome in ("failed", "optional_failed"):
            proof = _proof(step, "idempotent", "failed", f"the second run failed: {result.error}{not_judged}", changes)
        elif changes:
            proof = _proof(step, "idempotent", "failed", f"the second run changed the database{not_judged}", changes)
        elif result.outcome == "applied":
            held = ("verify held, schema and row counts unchanged" if not stale else
                    "schema and row counts unchanged, the rest of its verify held" if step.verify else
                    "schema and row counts unchanged")
            proof = _proof(step, "idempotent", "proved", f"ran a second time: {held}{not_judged}")
        else:
            how = (result.journal_message or "").strip()
            proof = _proof(step, "idempotent", "proved", f"second run {result.outcome.replace('_', ' ')} by its "
                           f"preconditions{f' ({how})' if how else ''}; schema and row counts unchanged{not_judged}")
        return proof, after

    def _prove_rollbacks(self, first: _Recorder, outcomes: dict[str, StepResult]):
        """Rollback proofs by step id, and the notes about the whole pass.

        Each rollback must take back exactly what its step did in the first apply
        (compared with the snapshot just before it ran), and re-applying it must do
        it again; so a difference names the step at fault, and an earlier fault is
        not blamed on the next step.
        """
        steps = {s.id: s for s in self.plan.steps}
        order = [sid for sid in first.order if outcomes[sid].outcome in _APPLIED]
        targets = [sid for sid in reversed(order) if steps[sid].rollback is not None]
        proofs: dict[str, StepProof] = {}
        for step in self.plan.steps:
            if step.rollback is not None and step.id not in targets and outcomes[step.id].outcome != "not_applicable":
                why = _why_not_applied(outcomes[step.id])
                proofs[step.id] = _proof(step, "rollback", "unproved", f"not rolled back: {why}")
        if not targets:
            return proofs, ()
        effect = {sid: snapshot.delta(first.before[sid], first.after[sid]) for sid in order}
        down: dict[str, tuple[str, ...]] = {}
        current = self.take()
        expectation = _Expectation(current)
        for i, sid in enumerate(targets):
            report = self.roll_back(steps[sid])
            if report.status != "ok":
                error = report.phases[0].steps[0].error if report.phases else report.message
                proofs[sid] = _proof(steps[sid], "rollback", "failed", f"the rollback failed: {error}")
                for rest in targets[i + 1:]:
                    proofs[rest] = _proof(steps[rest], "rollback", "unproved",
                                          f"not rolled back: the rollback of step {sid} failed first")
                break
            current = self.take()
            down[sid] = expectation.step(snapshot.undo(expectation.ideal, effect[sid]), current, "after rollback")
        notes = _rollback_notes(first, order, set(down), steps, current)

        again = _Recorder(self.take)
        results = _outcomes(self.apply(self._test_plan, again))
        end = again.finish()
        up: dict[str, tuple[str, ...]] = {}
        expectation = _Expectation(current)
        for sid in again.order:
            if sid in down and results[sid].outcome == "applied":
                up[sid] = expectation.step(snapshot.redo(expectation.ideal, effect[sid]), again.after[sid],
                                           "after re-apply")
        if end is not None:
            changed = snapshot.diff(first.after[first.order[-1]], end, "")
            notes.append("after the re-apply, the schema was the one of the first apply" if not changed else
                         f"after the re-apply, the schema differed from the first apply in {len(changed)} way(s)")
        stopped = next((r for r in results.values() if r.outcome in ("failed", "optional_failed")), None)
        for sid in (t for t in targets if t in down):
            step, result = steps[sid], results[sid]
            # The fault the diff shows comes first: it is why the proof failed (a re-apply
            # that fails on what the rollback left behind is its consequence).
            fault = "the rollback did not restore the schema before the step; " if down[sid] else ""
            if result.outcome in ("failed", "optional_failed"):
                proofs[sid] = _proof(step, "rollback", "failed", f"{fault}the re-apply failed: {result.error}", down[sid])
            elif sid not in up:
                where = f" at step {stopped.step}" if stopped else ""
                proofs[sid] = _proof(step, "rollback", "failed" if down[sid] else "unproved",
                                     f"{fault}not re-applied: the re-apply stopped{where}", down[sid])
            else:
                proofs[sid] = _rollback_proof(step, outcomes[sid], down[sid], up[sid])
        return proofs, notes


class _Expectation:
    """Where the schema should be as steps are rolled back (or re-applied) one at a time,
    and which differences are new at each step: a fault is blamed once, on its own
    step, and not again on the next step that happens to clean it up."""

    def __init__(self, start: snapshot.Snapshot):
        self.ideal = start
        self._faults: dict = {}

    def step(self, ideal: snapshot.Snapshot, actual: snapshot.Snapshot, when: str) -> tuple[str, ...]:
        self.ideal = ideal
        faults = snapshot.mismatches(ideal, actual)
        new = [k for k, v in faults.items() if self._faults.get(k) != v]
        self._faults = faults
        return snapshot.diff(ideal, actual, when, only=new)


def _rollback_notes(first: _Recorder, order: list[str], rolled_back: set[str], steps, now: snapshot.Snapshot):
    notes = []
    stayed = [sid for sid in order if sid not in rolled_back and steps[sid].action_kind != "check"]
    no_rollback = [sid for sid in stayed if steps[sid].rollback is None]
    # A failed rollback stops the pass: it and the older steps that have one stay applied too.
    stopped = [sid for sid in stayed if steps[sid].rollback is not None]
    if no_rollback:
        notes.append(f"steps that stayed applied during the rollback proof (no rollback): {', '.join(no_rollback)}")
    if stopped:
        notes.append(f"steps that stayed applied during the rollback proof (their rollback failed or was not "
                     f"reached): {', '.join(stopped)}")
    rollbacks = "the rollbacks that ran" if stopped else "every rollback"
    left = snapshot.diff(first.before[order[0]], now, "after rolling back")
    if not left:
        notes.append(f"after {rollbacks}, newest first, the schema was back to before the plan")
    else:
        notes.append(f"after {rollbacks}, newest first, the schema differed from before the plan in "
                     f"{len(left)} way(s)")
    return notes


def _rollback_proof(step: Step, first: StepResult, down: tuple[str, ...], up: tuple[str, ...]) -> StepProof:
    if not down and not up:
        return _proof(step, "rollback", "proved",
                      "rolled back to the schema before the step, re-applied to the schema after it")
    problems = []
    if down:
        problem = "the rollback did not restore the schema before the step"
        if first.outcome == "marked_applied":
            problem += (" (a precondition marked the step applied, so its rollback undoes what was there "
                        "before the plan)")
        problems.append(problem)
    if up:
        problems.append("the re-apply did not give the schema of the first apply")
    return _proof(step, "rollback", "failed", "; ".join(problems), down + up)


def _manual_steps_optional(plan: Plan) -> Plan:
    phases = tuple(
        replace(phase, steps=tuple(replace(s, optional=True) if s.action_kind == "manual" else s for s in phase.steps))
        for phase in plan.phases
    )
    return replace(plan, phases=phases)


def _failed_apply(applicable: list[Step], outcomes: dict[str, StepResult], report: RunReport) -> list[StepProof]:
    failed = next((r for r in outcomes.values() if r.outcome == "failed"), None)
    proofs = []
    for step in applicable:
        r = outcomes[step.id]
        if r is failed:
            proofs.append(_proof(step, "apply", "failed", f"the first apply failed: {r.error}"))
        else:
            where = f"at step {failed.step}" if failed else f"({report.message})"
            proofs.append(_proof(step, None, "unproved", f"not proved: the first apply stopped {where}"))
    return proofs


def _outcomes(report: RunReport) -> dict[str, StepResult]:
    return {r.step: r for p in report.phases for r in p.steps}


def _why_not_applied(r: StepResult) -> str:
    if r.outcome == "optional_failed":
        return f"it failed in the first apply (optional): {r.error}"
    if r.outcome == "blocked":
        return f"blocked: requires {r.blocked_by}"
    if r.outcome == "skipped":
        return f"skipped by its preconditions ({r.journal_message})"
    if r.outcome == "marked_applied":
        return "marked applied by its preconditions; its action did not run"
    if r.outcome == "partial":
        return "stopped by max_batches in the first apply"
    return f"its first apply ended {r.outcome.replace('_', ' ')}"


def _proof(step: Step, kind: str | None, status: str, detail: str, diff: tuple[str, ...] = ()) -> StepProof:
    return StepProof(step=step.id, phase=step.phase, kind=kind, status=status, detail=detail, diff=tuple(diff),
                     title=step.title)
