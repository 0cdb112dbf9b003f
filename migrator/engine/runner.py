"""The runner: executes an :class:`~migrator.engine.planner.ExecutionPlan` in a thin loop.

Per phase: its preconditions, then each step, then its verify checks; a failure
of those is journaled under the phase id (a phase whose verify failed on the last
apply runs it again even when none of its steps runs, and the run stops there
while it fails). Per step:
its preconditions (with ``on_fail``), the action, its ``verify`` checks and its
journal row. How a step is made safe depends on what it runs:

- ``transaction: true`` (the default): action + verify + the journal row in one
  transaction; a failed verify or statement rolls all of it back, and the
  failure is journaled in a transaction of its own.
- ``transaction: false``, and on MySQL a step with DDL (which commits at once):
  the journal row is written ``running`` first and ``statements_done`` is
  brought up to date after every statement, so that the next ``apply`` knows
  where the step stopped (spec section 4). Its ``unchanged`` checks read the
  state before it first, in a transaction of their own (so do a batch step's).
- ``batch``: each batch is its own transaction, together with the journal's
  progress (``batches_done``, ``rows_affected``), so a crash loses at most the
  batch in flight and never counts a batch twice.

The runner never prints: progress goes to the ``progress`` callback and
questions to ``ask`` (both from the CLI).
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from typing import Callable

import sqlalchemy as sa

from migrator.checks.compare import show
from migrator.commandline import with_arguments
from migrator.dialects import Dialect
from migrator.engine.batches import Progress, run_batches
from migrator.engine.journal import Journal, Row, current_user, now
from migrator.engine.outcomes import (acts, apply_report, base_result, default_apply_command,
                                      default_resolve_command, initial_outcome, iso_time, settled_report)
from migrator.engine.planner import (
    Decision,
    ExecutionPlan,
    JournalEntry,
    JournalState,
    journal_verdict,
    needs_resolve,
    precondition_outcome,
    unmet_requirement,
)
from migrator.engine.pysteps import (PythonStepError, StepContext, TransactionOwned, load_function, rows_returned,
                                      step_owns_transaction)
from migrator.errors import MigratorError, StepFailed, StepInterrupted
from migrator.plan.model import Phase, Step
from migrator.report import CheckResult, RunReport, StepResult, plural, statement_span
from migrator.sql.split import statements_of

#: Outcomes after which a step counts as applied for ``requires`` in this run.
_SATISFYING = frozenset({"applied", "already_applied", "marked_applied", "not_applicable"})
#: No journal row built yet for the current step (its message may be None).
_NO_ROW = object()
#: Journal statuses of an attempt that committed part of a step (the planner resumes from them).
_UNFINISHED = frozenset({"running", "partial", "failed"})


@dataclass(frozen=True)
class RunOptions:
    """What the caller provides: a way to ask a person (None: not a terminal), a
    progress callback for batches, and who confirms manual steps."""

    ask: Callable[[str], bool] | None = None
    progress: Callable[[Progress], None] | None = None
    run_by: str | None = None
    log: logging.Logger = logging.getLogger("migrator")
    #: Called with each step just before the runner works on it, between transactions
    #: (``migrator test`` snapshots the schema there); it must leave none open.
    before_step: Callable[[Step], None] | None = None
    #: ``migrator apply PLAN`` with the run's options (:mod:`migrator.commandline`), for
    #: the messages that say how to go on; None: the plan's path alone.
    apply_command: str | None = None
    #: ``migrator resolve PLAN`` with the run's ``--database``/``--var``
    #: (:func:`migrator.commandline.resolve_command`), likewise; None: the plan's path alone.
    resolve_command: str | None = None


class _StepFailure(Exception):
    """Internal: a step failed; carries what the journal and the report need."""

    def __init__(self, message: str, *, statements_done: int | None = None, rows: int | None = None,
                 batches: int | None = None, verify: tuple[CheckResult, ...] = (), journaled: bool = False):
        super().__init__(message)
        self.message = message
        self.statements_done = statements_done
        self.rows = rows
        self.batches = batches
        self.verify = verify
        self.journaled = journaled


class _VerifyFailed(Exception):
    def __init__(self, results: tuple[CheckResult, ...]):
        self.results = results


def step_statements(step: Step, dialect: str) -> tuple[str, ...]:
    return tuple(statements_of(step.action, dialect))


class Checks:
    """The runner's view of :mod:`migrator.checks`: one context per run."""

    def __init__(self, conn: sa.Connection, dialect: str, is_applied: Callable[[str], bool]):
        from migrator import checks

        self._checks = checks
        self.ctx = checks.CheckContext.create(conn, dialect=dialect, is_applied=is_applied)

    def evaluate(self, specs) -> tuple[CheckResult, ...]:
        return tuple(self._checks.evaluate_all(specs, self.ctx)) if specs else ()

    def capture(self, specs) -> None:
        if any(c.kind == "unchanged" for spec in specs for c in spec.walk()):
            self._checks.capture_before(specs, self.ctx)

    def invalidate(self) -> None:
        self.ctx.catalog.invalidate()


def _not_evaluated(checks, why: str) -> tuple[CheckResult, ...]:
    return tuple(CheckResult(kind=c.kind, label=c.label, held=None, path=c.path, detail=f"not evaluated: {why}")
                 for c in checks)


def _failed_checks(results: tuple[CheckResult, ...]) -> list[CheckResult]:
    return [r for r in results if r.held is False]


def describe_failures(results: tuple[CheckResult, ...], what: str = "verify") -> str:
    parts = []
    for r in _failed_checks(results):
        text = r.message or r.detail
        parts.append(f"{r.label}: {text}" if text else r.label)
    return f"{what} failed: " + "; ".join(parts)


class Runner:
    """One ``apply``: call :meth:`run` once, with the lock held on ``conn``."""

    def __init__(self, xplan: ExecutionPlan, conn: sa.Connection, dialect: Dialect, journal: Journal,
                 state: JournalState, options: RunOptions = RunOptions()):
        self.xplan = xplan
        self.plan = xplan.plan
        self.conn = conn
        self.dialect = dialect
        self.journal = journal
        self.state = state
        self.options = options
        self.outcomes: dict[str, str] = {}  # step id -> outcome in this run
        self._checks: Checks | None = None
        #: The current step's `on_fail: warn` warnings, journaled in its rows' `message`.
        self._warning: str | None = None
        #: The message of the last journal row built for the current step (_NO_ROW: none).
        self._row_message: str | None | object = _NO_ROW
        #: The finish time of the last finished journal row built for the current step, so that
        #: the report shows the journal's times and duration (``status`` shows the same).
        self._row_finished = None
        #: The current step's journal state: its entry before this run, then the row of
        #: its attempt as last written (a step without a transaction of its own); what
        #: the next apply decides from when Ctrl-C stops the step.
        self._journaled: JournalEntry | None = None

    @property
    def checks(self) -> Checks:
        if self._checks is None:  # created lazily: a no-op re-apply never needs it
            self._checks = Checks(self.conn, self.dialect.name, self._satisfied)
        return self._checks

    def _satisfied(self, step_id: str) -> bool:
        """Applied for ``step_applied`` checks: in this run, or by an earlier one."""
        outcome = self.outcomes.get(step_id)
        if outcome is not None:
            return outcome in _SATISFYING
        return self.state.is_applied(step_id)

    def _requirement_met(self, step_id: str) -> bool:
        """For ``requires``: applied, or not applicable here (its ``when``), as the dry run
        predicts; a step this run did not work on has no outcome of its own."""
        return self._satisfied(step_id) or self.xplan.decision(step_id).verdict == "not_applicable"

    # --- the run -----------------------------------------------------------------

    def run(self) -> RunReport:
        xp = self.xplan
        settled = settled_report(xp, self.dialect.name, self.options.apply_command, self.options.resolve_command)
        if settled is not None:  # drift, an unresolved step, or nothing to do
            return settled
        results: dict[str, StepResult] = {}
        for d in xp.decisions:
            results[d.step.id] = base_result(d, outcome=initial_outcome(d))

        phase_checks: dict[str, tuple[tuple[CheckResult, ...], tuple[CheckResult, ...]]] = {}
        status, message = "ok", None
        for phase in self.plan.phases:
            decisions = [d for d in xp.for_phase(phase.id) if d.selected and acts(d)]
            reverify = phase.id in xp.reverify  # its verify failed on the last apply
            if not decisions and not reverify:
                continue
            # Phase preconditions guard the phase's first step: none, none to check.
            pre = self._phase_preconditions(phase, decisions, results) if decisions else ((), None, None)
            phase_checks[phase.id] = (pre[0], ())
            if pre[1] is not None:
                status, message = "failed", pre[1]
                break
            if pre[2] is None:
                if decisions and phase.verify:
                    # The phase's `unchanged` checks compare with the state before its first
                    # step (a phase that only verifies again has no "before": not evaluated).
                    with self.conn.begin():
                        self.checks.capture(phase.verify)
                for d in decisions:
                    if self.options.before_step is not None:
                        self.options.before_step(d.step)
                    result = self._step(d)
                    results[d.step.id] = result
                    if result.outcome == "failed":
                        status, message = "failed", f"step {d.step.id} failed: {result.error}"
                        break
                    if result.outcome == "waiting":
                        command = self.options.apply_command or default_apply_command(self.plan)
                        status, message = "waiting", _waiting_message(command, d.step)
                        break
                if status != "ok":
                    break
            ran = any(results[d.step.id].outcome in ("applied", "marked_applied") for d in decisions)
            left_out = self._left_out_of(phase) if phase.verify and (ran or reverify) else []
            if left_out:
                # --step/--skip/--tag/--phase left steps of this phase out, unapplied: the
                # phase is not done, so its verify waits for them (as `migrator verify` does).
                phase_checks[phase.id] = (pre[0], _not_evaluated(
                    phase.verify, f"steps of phase {phase.id} not applied: {', '.join(left_out)}; "
                                  "it runs when they are"))
            elif phase.verify and (ran or reverify):
                verify = self._phase_verify(phase)
                phase_checks[phase.id] = (pre[0], verify)
                if _failed_checks(verify):
                    status, message = "failed", f"phase {phase.id}: {describe_failures(verify)}"
                    break
        return self._report(results, phase_checks, status=status, message=message)

    def _left_out_of(self, phase: Phase) -> list[str]:
        """The steps of ``phase`` this run's selection left out that are not applied (and
        would run here: not optional, not excluded by ``when``)."""
        return [s.id for s in phase.steps
                if not self.xplan.decision(s.id).selected and s.applies_to(self.dialect.name) and not s.optional
                and not self.state.is_applied(s.id)]

    def _report(self, results, phase_checks, *, status: str, message: str | None) -> RunReport:
        return apply_report(self.plan, results, phase_checks, status=status, message=message,
                            dialect=self.dialect.name, apply_command=self.options.apply_command,
                            resolve_command=self.options.resolve_command, reverify=self.xplan.reverify)

    # --- phases ------------------------------------------------------------------

    def _phase_preconditions(self, phase: Phase, decisions: list[Decision], results: dict[str, StepResult]):
        """(results, halt message or None, skip/mark_applied action or None)."""
        if not phase.preconditions:
            return (), None, None
        checks = self._evaluate_in_transaction(phase.preconditions)
        action, reason, _warnings = precondition_outcome(phase.preconditions, checks)
        if action == "halt":
            return checks, f"phase {phase.id}: {reason}", None
        if action in ("skip", "mark_applied"):
            status = "skipped" if action == "skip" else "marked_applied"
            outcome = "skipped" if action == "skip" else "marked_applied"
            text = f"phase {phase.id}: {reason} (on_fail: {action})"
            started = now()
            with self.conn.begin():
                for d in decisions:
                    self.journal.insert(self.conn, self._row(d, status, started, finished=now(), message=text))
            for d in decisions:
                self.outcomes[d.step.id] = outcome
                results[d.step.id] = replace(results[d.step.id], outcome=outcome, state=status, journal_message=text)
            return checks, None, action
        return checks, None, None

    def _phase_verify(self, phase: Phase) -> tuple[CheckResult, ...]:
        """The phase's verify checks. A failure is journaled in the same transaction, as a
        row keyed by the phase id that makes the next apply run them again; so is the pass
        that clears it. Checks that hold as they always have leave no row: the journal
        stays the steps' trail the specification describes (section 4)."""
        started = now()
        clears = phase.id in self.xplan.reverify
        try:
            with self.conn.begin():
                verify = self.checks.evaluate(phase.verify)
                failed = bool(_failed_checks(verify))
                if failed or clears:
                    self.journal.insert(self.conn, Row(
                        plan=self.plan.name, phase=phase.id, step=phase.id, checksum=phase.verify_checksum,
                        status="failed" if failed else "applied", started_at=started, finished_at=now(),
                        run_by=self.options.run_by, message=describe_failures(verify) if failed else None,
                    ))
        except sa.exc.StatementError as e:
            raise MigratorError(f"phase {phase.id}: the journal could not record its verify checks: {db_error(e)}") from None
        return verify

    def _evaluate_in_transaction(self, specs) -> tuple[CheckResult, ...]:
        with self.conn.begin():
            return self.checks.evaluate(specs)

    # --- steps -------------------------------------------------------------------

    def run_step(self, d: Decision) -> StepResult:
        """One step on its own, outside the phase loop: its preconditions, action, verify
        checks and journal row, as in :meth:`run` (``migrator test`` runs an idempotent
        step a second time with a ``rerun`` decision)."""
        return self._step(d)

    def _step(self, d: Decision) -> StepResult:
        self._warning = None
        self._journaled = d.entry
        self._row_message = _NO_ROW
        self._row_finished = None
        try:
            return self._run_step(d)
        except KeyboardInterrupt:
            # Here the step's `with conn.begin()` blocks have rolled back; building the
            # message touches no database, and a second Ctrl-C still interrupts it.
            raise self._interrupted(d) from None
        finally:
            self._warning = None

    def _run_step(self, d: Decision) -> StepResult:
        step = d.step
        statements = step_statements(step, self.dialect.name) if step.action_kind in ("sql", "sql_file", "batch") else ()
        result = base_result(d, statements=statements)
        blocker = unmet_requirement(step, self._requirement_met)
        if blocker is not None:
            why = self.outcomes.get(blocker) or ("not applied" if not self.state.is_applied(blocker) else "")
            if blocker not in self.outcomes and not self.xplan.decision(blocker).selected:
                why = "not applied (not selected in this run)"  # not "skipped": nobody skipped it
            text = f"blocked: requires {blocker}, which is {why.replace('_', ' ')}"
            self._journal_now(d, "skipped", message=text)
            return self._done(d, result, "blocked", state="skipped", blocked_by=blocker, journal_message=text)

        run_by = None
        if step.action_kind == "manual":
            if d.verdict == "manual":
                if self.options.ask is None or not self.options.ask(_manual_prompt(step)):
                    return self._done(d, result, "waiting")
            run_by = self.options.run_by or current_user()

        started = now()
        t0 = time.monotonic()
        pre = self._evaluate_in_transaction(step.preconditions) if step.preconditions else ()
        action, reason, warnings = precondition_outcome(step.preconditions, pre)
        if pre or warnings:
            result = replace(result, preconditions=pre, warnings=tuple(warnings))
        if warnings:
            self._warning = "warning: " + "; ".join(warnings)
        if action == "halt":
            return self._fail(d, result, started, _StepFailure(reason))
        if action in ("skip", "mark_applied"):
            status = "skipped" if action == "skip" else "marked_applied"
            self._journal_now(d, status, started=started, message=reason)
            return self._done(d, result, status if action == "mark_applied" else "skipped", state=status,
                              journal_message=reason)
        try:
            kind = step.action_kind
            if kind == "batch":
                rows, batches, partial, verify = self._batch(d, started, t0)
                outcome = "partial" if partial else "applied"
                return self._done(d, result, outcome, state=outcome, rows_affected=rows, batches_done=batches,
                                  verify=verify, started=started,
                                  journal_message=_stopped_by_max_batches(step.action.max_batches) if partial else None)
            if kind == "python":
                rows, verify = self._python(d, started)
                return self._done(d, result, "applied", state="applied", rows_affected=rows, verify=verify,
                                  started=started)
            if kind in ("sql", "sql_file"):
                rows, done, verify = self._sql(d, statements, started)
                return self._done(d, result, "applied", state="applied", rows_affected=rows,
                                  statements_done=done, verify=verify, started=started)
            # A check step or a confirmed manual step: only its verify checks.
            message = f"confirmed by {run_by}" if run_by else None
            verify = self._in_step_transaction(d, started, lambda: 0, message=message, run_by=run_by)[1]
            return self._done(d, result, "applied", state="applied", verify=verify, started=started, run_by=run_by)
        except _StepFailure as failure:
            return self._fail(d, result, started, failure, run_by=run_by)
        finally:
            if step.action_kind in ("sql", "sql_file", "python", "batch") and self._checks is not None:
                self.checks.invalidate()  # the step may have changed the schema

    def _done(self, d: Decision, result: StepResult, outcome: str, *, started=None, **changes) -> StepResult:
        self.outcomes[d.step.id] = outcome
        if "state" in changes and "journal_message" not in changes and self._row_message is not _NO_ROW:
            # The step's journal row is now the one this run wrote, not the entry it started from.
            changes["journal_message"] = self._row_message
        if started is not None:
            finished = self._row_finished or now()
            changes.update(
                started_at=iso_time(started), finished_at=iso_time(finished),
                duration_ms=int((finished - started).total_seconds() * 1000),
            )
            changes.setdefault("run_by", self.options.run_by or current_user())
        return replace(result, outcome=outcome, **changes)

    def _fail(self, d: Decision, result: StepResult, started, failure: _StepFailure, run_by=None) -> StepResult:
        if not failure.journaled:
            self._journal_now(d, "failed", started=started, message=failure.message,
                              statements_done=failure.statements_done, rows=failure.rows,
                              batches=failure.batches, run_by=run_by)
        outcome = "optional_failed" if d.step.optional else "failed"
        return self._done(
            d, result, outcome, state="failed", error=failure.message, verify=failure.verify or result.verify,
            statements_done=failure.statements_done, rows_affected=failure.rows, batches_done=failure.batches,
            started=started, journal_message=failure.message,
        )

    def _interrupted(self, d: Decision) -> StepInterrupted:
        """What Ctrl-C in step ``d`` left behind, and what the next apply does about it: the
        planner's own verdict on the journal state the step leaves, so the two cannot differ."""
        entry = self._journaled
        attempted = entry is not d.entry  # this attempt journaled a row: it commits as it goes
        return StepInterrupted(d.step.id, self._left_behind(d.step, entry, attempted), self._next_apply(d, entry))

    def _left_behind(self, step: Step, entry: JournalEntry | None, attempted: bool) -> str:
        progress = entry if entry is not None and entry.status in _UNFINISHED else None
        batches = (progress.batches_done or 0) if progress else 0
        rows = (progress.rows_affected or 0) if progress else 0
        counted = f"{plural(batches, 'batch', 'batches')}, {plural(rows, 'row', 'rows')}"
        kind = step.action_kind
        if kind == "batch":
            return f"batch step: {counted} committed" if batches else "batch step: no batch committed"
        if kind in ("sql", "sql_file"):
            statements = step_statements(step, self.dialect.name)
            if self._commits_per_statement(step, statements):
                why = "transaction: false" if not step.transaction else "MySQL commits DDL statement by statement"
                done = (progress.statements_done or 0) if progress else 0
                return f"{why}: {_statements_committed(done, len(statements), running=attempted)}"
        if kind == "python" and not step.transaction:
            # Not "nothing committed": without a transaction the function may have committed by itself.
            committed = (f"{counted} of its ctx.batch committed" if batches
                         else "no ctx.batch batch committed; what the function committed by itself stays")
            return f"transaction: false: {committed}"
        if kind == "python" and not self.dialect.transactional_ddl:
            return "its transaction was rolled back; any DDL it ran stays, as MySQL commits DDL at once"
        return "its transaction was rolled back, nothing of it remains"

    def _next_apply(self, d: Decision, entry: JournalEntry | None) -> str:
        step = d.step
        apply = self.options.apply_command or default_apply_command(self.plan)
        if step.action_kind == "manual" and not d.confirmed:  # confirmed at the prompt: not in the command
            apply = with_arguments(apply, "--confirm", step.id)
        # The planner's verdict from the journal entry alone (spec section 4), not a copy of
        # its rules: what this says is what the next apply decides.
        verdict = journal_verdict(self.plan, step, entry, self.dialect.name)
        if needs_resolve(verdict):
            resolve = self.options.resolve_command or default_resolve_command(self.plan)
            return (f"`{apply}` executes nothing until it is resolved: check the database, then run "
                    f"`{with_arguments(resolve, step.id, '--applied')}` (it completed) or `--pending` (run it again)")
        if verdict.verdict in ("run", "rerun"):
            return f"`{apply}` runs it again"
        if verdict.verdict == "resume" and step.action_kind == "batch":
            return f"`{apply}` resumes it"
        if verdict.verdict == "resume" and entry is not None and entry.status == "running":  # idempotent
            return f"`{apply}` runs it again from the start (it is idempotent)"
        return f"`{apply}` then: {verdict.reason}"

    # --- journal helpers -----------------------------------------------------------

    def _row(self, d: Decision, status: str, started, *, finished=None, message=None, statements_done=None,
             rows=None, batches=None, run_by=None) -> Row:
        step = d.step
        if self._warning and status in ("applied", "running", "partial"):
            # The journal's message holds warnings too (spec section 4).
            message = f"{message}; {self._warning}" if message else self._warning
        self._row_message = message
        if finished is not None:
            self._row_finished = finished
        return Row(
            plan=self.plan.name, phase=step.phase, step=step.id, checksum=step.checksum, status=status,
            started_at=started, finished_at=finished, rows_affected=rows, statements_done=statements_done,
            batches_done=batches, run_by=run_by or self.options.run_by, message=message,
        )

    def _journal_now(self, d: Decision, status: str, *, started=None, message=None, statements_done=None,
                     rows=None, batches=None, run_by=None) -> None:
        """Write one finished row in a transaction of its own."""
        if self.conn.in_transaction():
            self.conn.rollback()
        row = self._row(d, status, started or now(), finished=now(), message=message,
                        statements_done=statements_done, rows=rows, batches=batches, run_by=run_by)
        try:
            with self.conn.begin():
                self.journal.insert(self.conn, row)
        except sa.exc.StatementError as e:
            raise StepFailed(d.step.id, f"{message or status}; the journal could not record it: {db_error(e)}") from None

    def _start_attempt(self, d: Decision, started, *, statements_done=0, rows=0, batches=None) -> int:
        row = self._row(d, "running", started, statements_done=statements_done, rows=rows, batches=batches)
        with self.conn.begin():
            row_id = self.journal.insert(self.conn, row)
        self._journaled = _entry_of(row)
        return row_id

    # --- actions -------------------------------------------------------------------

    def _in_step_transaction(self, d: Decision, started, action: Callable[[], int], *, message=None,
                             run_by=None, statements_done=None) -> tuple[int, tuple[CheckResult, ...]]:
        """Action, verify and the applied row in one transaction (returns rows, verify results)."""
        step = d.step
        try:
            with self.conn.begin():
                if step.verify:
                    self.checks.capture(step.verify)
                rows = action() or 0
                verify = self._verify(step)
                if _failed_checks(verify):
                    raise _VerifyFailed(verify)
                total = d.carry_rows + rows
                self.journal.insert(self.conn, self._row(
                    d, "applied", started, finished=now(), message=message, rows=total,
                    statements_done=statements_done, run_by=run_by))
        except _VerifyFailed as v:
            raise _StepFailure(
                f"{describe_failures(v.results)}; the step's transaction was rolled back", verify=v.results,
                statements_done=0 if statements_done is not None else None,
            ) from None
        return d.carry_rows + rows, verify

    def _verify(self, step: Step) -> tuple[CheckResult, ...]:
        if not step.verify:
            return ()
        if step.action_kind not in ("check", "manual"):
            # The action may have run DDL: what earlier checks read is stale.
            self.checks.invalidate()
        return self.checks.evaluate(step.verify)

    def _sql(self, d: Decision, statements: tuple[str, ...], started):
        if self._commits_per_statement(d.step, statements):
            return self._sql_per_statement(d, statements, started)
        n = len(statements)
        position = {"i": 0}

        def execute() -> int:
            rows = 0
            for i, stmt in enumerate(statements):
                position["i"] = i
                rows += self._execute(stmt)
            return rows

        try:
            rows, verify = self._in_step_transaction(d, started, execute, statements_done=n)
        except sa.exc.StatementError as e:
            i = position["i"]
            raise _StepFailure(
                f"{db_error(e)} (statement {i + 1} of {n}; the step's transaction was rolled back, "
                "nothing of it remains)", statements_done=0,
            ) from None
        return rows, n, verify

    def _commits_per_statement(self, step: Step, statements: tuple[str, ...]) -> bool:
        """Whether the step's statements commit one by one: ``transaction: false``, or DDL on MySQL."""
        return not step.transaction or (
            not self.dialect.transactional_ddl and any(self.dialect.commits_implicitly(s) for s in statements)
        )

    def _sql_per_statement(self, d: Decision, statements: tuple[str, ...], started):
        """Statements that commit one by one: journal ``running`` first, progress after each."""
        step, n = d.step, len(statements)
        first = 0 if step.idempotent else min(d.resume_at, n)
        rows = 0 if step.idempotent else d.carry_rows
        self._capture_before(d)
        row_id = self._start_attempt(d, started, statements_done=first, rows=rows)
        outside = not step.transaction
        for i in range(first, n):
            try:
                if outside:
                    rows += self._execute(statements[i], outside=True)
                    with self.conn.begin():
                        self._progress_row(d, row_id, started, statements_done=i + 1, rows=rows)
                else:
                    with self.conn.begin():
                        rows += self._execute(statements[i])
                        self._progress_row(d, row_id, started, statements_done=i + 1, rows=rows)
            except sa.exc.StatementError as e:
                if self.conn.in_transaction():
                    self.conn.rollback()
                resolve = self.options.resolve_command or default_resolve_command(self.plan)
                message = _partial_message(db_error(e), i, n, resolve, step, self.dialect, outside)
                with self.conn.begin():
                    self._progress_row(d, row_id, started, status="failed", finished=now(), statements_done=i,
                                       rows=rows, message=message)
                raise _StepFailure(message, statements_done=i, rows=rows, journaled=True) from None
        with self.conn.begin():
            verify = self._verify(step)
            if not _failed_checks(verify):
                self._progress_row(d, row_id, started, status="applied", finished=now(), statements_done=n, rows=rows)
                return rows, n, verify
        why = "they ran outside a transaction" if outside else "MySQL commits DDL at once"
        # What the planner does with this row (an idempotent step runs again from the start).
        again = "runs it again from the start (it is idempotent)" if step.idempotent else "runs only its verify again"
        message = (f"{describe_failures(verify)}; the step's statements stay committed ({why}); "
                   f"`migrator apply` {again} (fix the data, or `migrator rollback` first)")
        with self.conn.begin():
            self._progress_row(d, row_id, started, status="failed", finished=now(), statements_done=n, rows=rows,
                               message=message)
        raise _StepFailure(message, statements_done=n, rows=rows, verify=verify, journaled=True)

    def _execute(self, statement: str, *, outside: bool = False) -> int:
        """Run one statement of a step as written (``outside``: in autocommit mode); the
        rows it changed, as the dialect counts them (none for DDL)."""
        if outside:
            rowcount = self.dialect.run_outside_transaction(self.conn, statement)
        else:
            rowcount = execute_statement(self.conn, self.dialect, statement)
        return self.dialect.rows_changed(statement, rowcount)

    def _capture_before(self, d: Decision) -> None:
        """For a step that commits as it goes: read its ``unchanged`` queries before its
        first statement or batch, in a transaction of their own. A resumed step's "before"
        is gone (part of it is committed), so there they stay not evaluated."""
        if d.step.verify and d.verdict != "resume":
            with self.conn.begin():
                self.checks.capture(d.step.verify)

    def _progress_row(self, d: Decision, row_id: int, started, *, status="running", finished=None,
                      statements_done=None, rows=None, batches=None, message=None) -> None:
        row = self._row(d, status, started, finished=finished, statements_done=statements_done, rows=rows,
                        batches=batches, message=message)
        self.journal.update(self.conn, row_id, row)
        # Counted as committed once written: its transaction commits right after (Ctrl-C
        # during a COMMIT cannot tell either way; sqlite3 raises it once the COMMIT is done).
        self._journaled = _entry_of(row)

    def _batch(self, d: Decision, started, t0: float):
        step, action = d.step, d.step.action
        rows, batches = d.carry_rows, d.carry_batches
        self._capture_before(d)
        row_id = self._start_attempt(d, started, rows=rows, batches=batches)
        total = None
        if action.total:
            problem = None
            try:
                with self.conn.begin():
                    result = self.conn.exec_driver_sql(action.total, execution_options={"no_parameters": True})
                    if result.returns_rows:
                        total, problem = _count(result.scalar())
                    else:
                        problem = "returned no result (it is a count query, e.g. SELECT count(*) FROM t WHERE NOT done)"
            except sa.exc.StatementError as e:
                problem = f"failed: {db_error(e)}"
            if problem:
                self._finish_failed_batch(d, row_id, started, rows, batches, f"total query {problem}")
        counts = {"rows": rows, "batches": batches, "this_run": 0}
        progress = self.options.progress

        # A batch counts once its transaction (the batch and its progress row) commits:
        # a batch whose progress row fails to write is rolled back and not counted.
        uncommitted: dict[str, int] = {}

        def after_batch(n: int) -> None:
            if n > 0:
                uncommitted.update(rows=counts["rows"] + n, batches=counts["batches"] + 1,
                                   this_run=counts["this_run"] + n)
            self._progress_row(d, row_id, started, rows=uncommitted.get("rows", counts["rows"]),
                               batches=uncommitted.get("batches", counts["batches"]))

        def committed() -> None:
            counts.update(uncommitted)
            uncommitted.clear()
            report(False)

        def report(done: bool, stopped: bool = False) -> None:
            if progress is not None:
                progress(Progress(step.id, counts["batches"], counts["rows"], total, time.monotonic() - t0,
                                  rows_this_run=counts["this_run"], done=done, stopped=stopped,
                                  pause=action.pause_ms / 1000.0))

        report(False)
        try:
            outcome = run_batches(
                self.conn, action.sql, size=action.size, pause_s=action.pause_ms / 1000.0,
                max_batches=action.max_batches, after_batch=after_batch,
                on_committed=committed,
            )
        except sa.exc.StatementError as e:
            if self.conn.in_transaction():
                self.conn.rollback()
            self._finish_failed_batch(d, row_id, started, counts["rows"], counts["batches"], db_error(e), batch_failed=True)
        report(True, stopped=outcome.stopped)
        rows, batches = counts["rows"], counts["batches"]
        if outcome.stopped:
            with self.conn.begin():
                self._progress_row(d, row_id, started, status="partial", finished=now(), rows=rows, batches=batches,
                                   message=_stopped_by_max_batches(action.max_batches))
            return rows, batches, True, ()
        with self.conn.begin():
            verify = self._verify(step)
            if not _failed_checks(verify):
                self._progress_row(d, row_id, started, status="applied", finished=now(), rows=rows, batches=batches)
                return rows, batches, False, verify
        message = f"{describe_failures(verify)}; the batches stay committed"
        with self.conn.begin():
            self._progress_row(d, row_id, started, status="failed", finished=now(), rows=rows, batches=batches,
                               message=message)
        raise _StepFailure(message, rows=rows, batches=batches, verify=verify, journaled=True)

    def _finish_failed_batch(self, d, row_id, started, rows, batches, error, batch_failed=False):
        message = error
        if batch_failed:
            done = f"batches 1–{batches} are committed" if batches else "no batch was committed"
            message = f"{error}; failed in batch {batches + 1}; {done}; `migrator apply` continues it"
        with self.conn.begin():
            self._progress_row(d, row_id, started, status="failed", finished=now(), rows=rows, batches=batches,
                               message=message)
        raise _StepFailure(message, rows=rows, batches=batches, journaled=True)

    def _python(self, d: Decision, started):
        step, action = d.step, d.step.action
        try:
            fn = load_function(action, self.plan.base_dir)
        except PythonStepError as e:
            raise _StepFailure(str(e)) from None
        log = self.options.log.getChild(f"step.{step.id}")
        ctx = StepContext(self.conn, self.dialect.name, dict(self.plan.vars), log, step=step.id)

        # On MySQL a DDL statement the function runs commits the step's transaction at
        # once (before and after it): note those that ran, so a failure does not claim a rollback.
        ddl: list[str] = []

        def note_ddl(conn, cursor, statement, parameters, context, executemany) -> None:
            if self.dialect.commits_implicitly(statement):
                ddl.append(statement)

        def call() -> int:
            try:
                if step.transaction:
                    with step_owns_transaction(self.conn):
                        if self.dialect.transactional_ddl:
                            value = fn(ctx)
                        else:
                            sa.event.listen(self.conn, "after_cursor_execute", note_ddl)
                            try:
                                value = fn(ctx)
                            finally:
                                sa.event.remove(self.conn, "after_cursor_execute", note_ddl)
                else:
                    value = fn(ctx)
            except TransactionOwned as e:
                raise _StepFailure(f"{action.target}: {e}; the step's transaction was rolled back, nothing of it "
                                   "remains") from None
            except PythonStepError as e:
                raise _StepFailure(str(e)) from None
            except sa.exc.StatementError as e:
                raise _StepFailure(f"{action.target}: {db_error(e)}") from None
            except Exception as e:  # the step's own code failed: a step failure, reported on one line
                first = next((line.strip() for line in str(e).splitlines() if line.strip()), "")
                raise _StepFailure(f"{action.target}: {type(e).__name__}" + (f": {first}" if first else "")) from None
            try:
                return rows_returned(action.target, value)
            except PythonStepError as e:
                raise _StepFailure(str(e)) from None

        if step.transaction:
            try:
                return self._in_step_transaction(d, started, call)
            except _StepFailure as failure:
                if ddl:
                    failure.message = _python_ddl_committed(failure.message, ddl)
                raise
        # No step transaction: ctx.batch commits each batch with the journal's progress.
        self._capture_before(d)
        # A python step's rows keep rows (and ctx.batch's batches), not statements: it has none.
        row_id = self._start_attempt(d, started, statements_done=None)
        counts = {"rows": 0, "batches": 0}

        def on_batch(n: int) -> None:
            if n > 0:
                counts["rows"] += n
                counts["batches"] += 1
            self._progress_row(d, row_id, started, rows=counts["rows"], batches=counts["batches"])

        ctx._commit_batches, ctx._on_batch = True, on_batch
        try:
            rows = call()
            if self.conn.in_transaction():
                self.conn.commit()
        except _StepFailure as failure:
            if self.conn.in_transaction():
                self.conn.rollback()
            with self.conn.begin():
                self._progress_row(d, row_id, started, status="failed", finished=now(), rows=counts["rows"],
                                   batches=counts["batches"], message=failure.message)
            failure.journaled = True
            raise
        rows = rows or counts["rows"]
        with self.conn.begin():
            verify = self._verify(step)
            status = "failed" if _failed_checks(verify) else "applied"
            message = f"{describe_failures(verify)}; its changes stay committed (transaction: false)" if status == "failed" else None
            self._progress_row(d, row_id, started, status=status, finished=now(), rows=rows,
                               batches=counts["batches"] or None, message=message)
        if status == "failed":
            raise _StepFailure(message, rows=rows, verify=verify, journaled=True)
        return rows, verify


def _python_ddl_committed(message: str, ddl: list[str]) -> str:
    """A failed ``python`` step's message when its function ran DDL on MySQL, which
    committed the step's transaction: what ran up to the last DDL statement stays."""
    for claim in ("; the step's transaction was rolled back, nothing of it remains",
                  "; the step's transaction was rolled back"):
        message = message.removesuffix(claim)
    first = " ".join(ddl[0].split())
    first = first if len(first) <= 60 else first[:57] + "..."
    more = f" and {plural(len(ddl) - 1, 'other')}" if len(ddl) > 1 else ""
    return (f"{message}; MySQL committed the function's DDL at once ({first}{more}) and all it did before: that "
            "stays; only what followed its last DDL statement was rolled back")


def _stopped_by_max_batches(max_batches: int) -> str:
    return f"stopped by max_batches ({max_batches}); the next apply continues it"


def _entry_of(row: Row) -> JournalEntry:
    """A journal row as the planner reads it back."""
    return JournalEntry(step=row.step, status=row.status, checksum=row.checksum, phase=row.phase,
                        rows_affected=row.rows_affected, statements_done=row.statements_done,
                        batches_done=row.batches_done, message=row.message)


def _statements_committed(done: int, n: int, *, running: bool) -> str:
    """How far a step whose statements commit one by one got; ``running``: it was stopped
    while working on statement ``done + 1``, which may have completed (Ctrl-C does not
    always stop a statement the server is running, and its journal update may not have run)."""
    if done >= n:
        return f"all {plural(n, 'statement')} committed"
    if done == 0:
        return f"no statement of {n} committed" + (", though statement 1 may have completed" if running else "")
    committed = f"{statement_span(1, done)} of {n} committed"
    return committed + (f", statement {done + 1} may have completed too" if running else "")


def execute_statement(conn: sa.Connection, dialect: Dialect, statement: str) -> int:
    """Run one statement as written (no bind-parameter parsing); the driver's rowcount,
    -1 for a statement that returns rows (:meth:`Dialect.rows_changed` says what it means)."""
    return dialect.changed_rows(
        conn, lambda: conn.exec_driver_sql(statement, execution_options={"no_parameters": True}))


def _count(value) -> tuple[int | None, str | None]:
    """A ``total`` query's value as a row count, or what is wrong with it."""
    if value is None:
        return 0, None  # count of an empty set through SUM, MAX...: nothing to do
    try:
        return int(value), None  # (a str "12" too; Decimal and float as drivers return them)
    except (TypeError, ValueError, OverflowError):
        return None, f"returned {show(value)}, not a number of rows"


def db_error(e: BaseException) -> str:
    """A failed statement's database error on one line (see :func:`migrator.urls.first_line`)."""
    from migrator.urls import first_line

    return first_line(e)


def _partial_message(error: str, i: int, n: int, resolve: str, step: Step, dialect: Dialect, outside: bool) -> str:
    """Where a step whose statements commit one by one stopped (spec section 4); ``resolve``
    is ``migrator resolve PLAN`` with the run's options."""
    k = i + 1
    if i == 0:  # nothing of it committed: nothing to resume or restart
        return f"{error}; failed at statement 1 of {n}; no statement of it is committed; `migrator apply` runs it again"
    committed = f"{statement_span(1, i)} {'is' if i == 1 else 'are'} committed"
    if step.idempotent:
        how = "`migrator apply` runs it again from the start (it is idempotent)"
    else:
        how = (f"`migrator apply` resumes at statement {k}, "
               f"`{with_arguments(resolve, step.id, '--pending')}` restarts it")
    # The specification's sentence first, unbroken; why it could not be undone after it.
    why = "" if outside else " (MySQL commits each DDL statement at once, so they cannot be rolled back)"
    return f"{error}; failed at statement {k} of {n}; {committed}; {how}{why}"


def _manual_prompt(step: Step) -> str:
    title = f" — {step.title}" if step.title else ""
    return f"Manual step {step.id}{title}:\n\n{step.action.instructions.rstrip()}\n\nIs it done?"


def _waiting_message(command: str, step: Step) -> str:
    # The instructions are shown with the step itself (and in JSON as
    # `instructions`); the headline only says where the run stopped and how to go on.
    return (f"stopped at manual step {step.id}, which waits for a person; when it is done, continue with: "
            f"{with_arguments(command, '--confirm', step.id)}")
