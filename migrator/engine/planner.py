"""The planner: what ``apply`` would do with each step, decided in pure code.

``decide(plan, journal_state, dialect, selection)`` returns an
:class:`ExecutionPlan`: one :class:`Decision` (a verdict from
:data:`migrator.report.VERDICTS` and the reason) per step, and whether the run
must stop before executing anything (drift, or a non-idempotent step left
``running``). It never touches a database, like alembic's ``RevisionMap``:
the dry run and ``apply`` both call it, so they cannot disagree.

Verdicts that depend on the database's current contents (a precondition with
``on_fail: skip`` or ``mark_applied``) are not decided here: the caller
evaluates the preconditions and passes the outcomes in ``precondition_outcomes``
(the dry run does so read-only before rendering; ``apply`` at each step).
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Callable, Mapping

from migrator.errors import UsageError
from migrator.plan.model import CheckSpec, Plan, Step
from migrator.report import CheckResult, plural, statement_span

#: Journal statuses that count as "applied" (spec section 4).
APPLIED_STATUSES = frozenset({"applied", "marked_applied"})
#: Verdicts under which ``apply`` executes the step's action.
EXECUTING_VERDICTS = frozenset({"run", "rerun", "resume"})
#: Verdicts after which the step counts as applied for ``requires`` (predicted).
_WILL_BE_APPLIED = frozenset({"applied", "drift", "run", "rerun", "resume", "mark_applied", "manual", "not_applicable"})


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """A step's latest journal row (its current state), or a phase's: the latest
    outcome of its ``verify`` checks (a row whose ``step`` is the phase id)."""

    step: str
    status: str
    checksum: str
    id: int = 0
    phase: str = ""
    started_at: datetime | None = None
    finished_at: datetime | None = None
    duration_ms: int | None = None
    rows_affected: int | None = None
    statements_done: int | None = None
    batches_done: int | None = None
    run_by: str | None = None
    host: str | None = None
    tool_version: str | None = None
    message: str | None = None

    @property
    def applied(self) -> bool:
        return self.status in APPLIED_STATUSES


@dataclass(frozen=True, slots=True)
class JournalState:
    """Every step's latest journal row for one plan; ``exists`` is False when the
    journal table has not been created yet (a database never migrated).

    ``phases`` holds, apart, each phase's latest verify row (``step`` = ``phase`` =
    the phase id), so that ``get``/``is_applied``, drift, ``status`` and ``rollback``
    only ever see steps.
    """

    entries: Mapping[str, JournalEntry] = field(default_factory=dict)
    exists: bool = False
    phases: Mapping[str, JournalEntry] = field(default_factory=dict)
    #: Read only when the plan has no row: step id -> (plan, checksum) of the steps
    #: other plans applied in this journal (see :func:`_edit_note`).
    elsewhere: Mapping[str, tuple[str, str]] = field(default_factory=dict)

    def get(self, step_id: str) -> JournalEntry | None:
        return self.entries.get(step_id)

    def is_applied(self, step_id: str) -> bool:
        entry = self.entries.get(step_id)
        return entry is not None and entry.applied

    def phase_verify(self, phase_id: str) -> JournalEntry | None:
        """The latest outcome of the phase's verify checks during ``apply``, if any."""
        return self.phases.get(phase_id)


@dataclass(frozen=True, slots=True)
class Selection:
    """``--phase``/``--step``/``--skip``/``--tag``: the steps a command works on."""

    phases: tuple[str, ...] = ()
    steps: tuple[str, ...] = ()
    skips: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()

    def check(self, plan: Plan) -> None:
        """Raise UsageError (exit 2) for an id or tag the plan does not have."""
        phase_ids = {p.id for p in plan.phases}
        step_ids = {s.id for s in plan.steps}
        for option, ids, known in (
            ("--phase", self.phases, phase_ids),
            ("--step", self.steps, step_ids),
            ("--skip", self.skips, phase_ids | step_ids),
        ):
            for ident in ids:
                if ident not in known:
                    raise UsageError(f"{option} {ident}: no such {_what(option)} in plan {plan.name}")
        tags = {t for s in plan.steps for t in s.tags}
        for tag in self.tags:
            if tag not in tags:
                raise UsageError(f"--tag {tag}: no step of plan {plan.name} has this tag")

    def includes(self, step: Step) -> bool:
        if step.id in self.skips or step.phase in self.skips:
            return False
        if self.phases and step.phase not in self.phases:
            return False
        if self.steps and step.id not in self.steps:
            return False
        if self.tags and not set(self.tags) & set(step.tags):
            return False
        return True


def _what(option: str) -> str:
    return {"--phase": "phase", "--step": "step", "--skip": "phase or step"}[option]


@dataclass(frozen=True, slots=True)
class Decision:
    """The planner's verdict on one step.

    ``resume_at`` is the 0-based index of the first statement to execute (a step
    continued after a partial failure); ``carry_*`` are the totals of the current
    attempt so far, which the next journal row continues from (spec section 11).
    """

    step: Step
    verdict: str
    reason: str
    selected: bool = True
    entry: JournalEntry | None = None
    blocked_by: str | None = None
    resume_at: int = 0
    carry_rows: int = 0
    carry_batches: int = 0
    confirmed: bool = False

    @property
    def executes(self) -> bool:
        return self.verdict in EXECUTING_VERDICTS

    @property
    def drifted(self) -> bool:
        e = self.entry
        return e is not None and e.applied and e.checksum != self.step.checksum


@dataclass(frozen=True, slots=True)
class ExecutionPlan:
    """Every step's decision in plan order, and whether the run stops before any.

    ``stop`` is None, ``"drift"`` or ``"needs_resolve"``; ``stop_message`` then
    says which steps and what to do. ``reverify`` maps the id of each phase whose
    verify failed on the last ``apply`` to why it runs again: the runner runs it
    even when none of the phase's steps runs, and later phases wait until it holds.
    """

    plan: Plan
    dialect: str
    decisions: tuple[Decision, ...]
    stop: str | None = None
    stop_message: str | None = None
    reverify: Mapping[str, str] = field(default_factory=dict)

    def decision(self, step_id: str) -> Decision:
        for d in self.decisions:
            if d.step.id == step_id:
                return d
        raise KeyError(step_id)

    def for_phase(self, phase_id: str) -> tuple[Decision, ...]:
        return tuple(d for d in self.decisions if d.step.phase == phase_id)


def decide(
    plan: Plan,
    state: JournalState,
    dialect: str,
    selection: Selection = Selection(),
    *,
    confirmed: frozenset[str] | set[str] = frozenset(),
    precondition_outcomes: Mapping[str, tuple[str, str]] | None = None,
    resolve_command: str | None = None,
) -> ExecutionPlan:
    """Decide every step's verdict (see the module docstring).

    ``confirmed`` are manual steps confirmed with ``--confirm``;
    ``precondition_outcomes`` maps a step id to ``(verdict, reason)`` where a
    failed precondition turns the step into ``skip`` or ``mark_applied``;
    ``resolve_command`` is ``migrator resolve PLAN`` with the run's options
    (:func:`migrator.commandline.resolve_command`) for the stop message of a step
    that needs it (None: the plan's path alone).
    """
    outcomes = precondition_outcomes or {}
    decisions: list[Decision] = []
    predicted: dict[str, str] = {}  # step id -> verdict, for ``requires``
    renamed = renamed_from(plan, state)
    applied_after = _next_applied(plan, state)
    for step in plan.steps:
        d = _decide_step(plan, step, state, dialect, selection, confirmed, outcomes)
        if d.verdict == "run" and d.entry is None:
            d = _edit_note(plan, d, renamed.get(step.id), applied_after[step.id], resolve_command,
                           _renamed_plan(step, state))
        if d.verdict in EXECUTING_VERDICTS or d.verdict in ("manual", "mark_applied"):
            blocker = unmet_requirement(step, lambda sid: _predicted_applied(sid, predicted, state))
            if blocker is not None:
                d = Decision(
                    step, "blocked", _blocked_reason(blocker, predicted, state), entry=d.entry, blocked_by=blocker
                )
        predicted[step.id] = d.verdict if d.selected else ("applied" if state.is_applied(step.id) else _NOT_SELECTED)
        decisions.append(d)
    stop, message = _stop(plan, decisions, resolve_command)
    return ExecutionPlan(plan, dialect, tuple(decisions), stop, message, _reverify(plan, state, selection))


def not_in_plan(plan: Plan, state: JournalState) -> tuple[JournalEntry, ...]:
    """The latest rows of journaled steps the plan no longer has (removed, or renamed
    since), oldest first. ``apply`` ignores them (as Liquibase does removed changesets);
    ``status`` and the dry run list them; ``rollback`` does not cross an applied one."""
    ids = {s.id for s in plan.steps}
    return tuple(sorted((e for sid, e in state.entries.items() if sid not in ids), key=lambda e: e.id))


def blocks_rollback(entry: JournalEntry) -> bool:
    """A step the plan no longer has that ``rollback`` cannot go past: it is applied and
    its rollback is unknown. A removed check step is not one: it changed nothing (every
    check step has the checksum of an empty action)."""
    from migrator.plan.build import step_checksum  # only here: hashing loads OpenSSL

    return entry.applied and entry.checksum != step_checksum(None, None)


def renamed_from(plan: Plan, state: JournalState) -> dict[str, JournalEntry]:
    """Steps never journaled whose checksum is that of an applied step the plan no longer
    has: most likely that step under a new id, which would run again (new id -> the old
    step's latest row). Check steps are left out: they all share one checksum, and
    running one again changes nothing."""
    gone = {e.checksum: e for e in not_in_plan(plan, state) if e.applied}  # the newest wins
    return {s.id: gone[s.checksum] for s in plan.steps
            if s.checksum in gone and s.action_kind != "check" and state.get(s.id) is None}


def _next_applied(plan: Plan, state: JournalState) -> dict[str, str | None]:
    """Per step, the nearest later step in plan order that is applied (None: none is)."""
    out: dict[str, str | None] = {}
    nearest = None
    for step in reversed(plan.steps):
        out[step.id] = nearest
        if state.is_applied(step.id):
            nearest = step.id
    return out


def _renamed_plan(step: Step, state: JournalState) -> str | None:
    """The other plan in the journal that applied this very step (same id and checksum):
    then this plan is most likely that one under a new ``name``."""
    other = state.elsewhere.get(step.id)
    return other[0] if other is not None and other[1] == step.checksum else None


def _edit_note(plan: Plan, d: Decision, old: JournalEntry | None, applied_after: str | None,
               resolve_command: str | None, other_plan: str | None = None) -> Decision:
    """A step never journaled, as the plan was edited around it: under a new id of an
    applied step (it would run again), or added before applied steps (it runs out of
    plan order, as Flyway's outOfOrder and Liquibase do), or the whole plan renamed
    (its steps would all run again). The dry run says so."""
    if other_plan is not None:
        note = (f"plan {other_plan} applied this same step (id and checksum) here: if this plan is {other_plan} "
                f"renamed, put back `name: {other_plan}` (the journal's key), or its steps run again")
    elif old is not None:
        from migrator.commandline import resolve_command as command, with_arguments  # pure string building

        resolve = resolve_command or command(plan.source)
        note = (f"step {old.step}, no longer in the plan, was applied with the same checksum: if this step is "
                f"{old.step} renamed, `{with_arguments(resolve, d.step.id, '--applied')}` records it as applied "
                "instead of running it again")
    elif applied_after is not None:
        note = f"step {applied_after}, after it in the plan, is already applied, so it runs out of plan order"
    else:
        return d
    return replace(d, reason=f"{d.reason}; {note}")


#: The start of the ``message`` of a phase row written by ``resolve PHASE --pending``
#: (:func:`migrator.engine.repair.resolve_phase`): ``failed``, so that its verify runs
#: again, though no check failed.
PENDING_BY_HAND = "marked pending by hand"


def _reverify(plan: Plan, state: JournalState, selection: Selection) -> dict[str, str]:
    """Phases whose verify failed on the last apply (or was marked pending by hand): like
    a failed step, it runs again, and what follows waits until it holds. A phase none of
    whose steps is selected is left alone (nobody asked for it), as is one whose verify
    was removed from the plan."""
    out: dict[str, str] = {}
    for phase in plan.phases:
        entry = state.phase_verify(phase.id)
        if entry is None or entry.status != "failed" or not phase.verify:
            continue
        if not any(selection.includes(s) for s in phase.steps):
            continue
        message = entry.message or ""
        if message.startswith(PENDING_BY_HAND):
            why = f"the verify of phase {phase.id} was {message}"
        else:
            found = message.removeprefix("verify failed: ")
            why = f"the verify of phase {phase.id} failed on the last apply" + (f" ({found})" if found else "")
        out[phase.id] = why + "; it runs again, and later phases wait until it holds"
    return out


def unmet_requirement(step: Step, is_satisfied: Callable[[str], bool]) -> str | None:
    """The first step in ``step.requires`` that is not satisfied, or None.

    One rule for the dry run and ``apply``: the caller says what "satisfied"
    means (predicted, or what actually happened so far in this run).
    """
    for required in step.requires:
        if not is_satisfied(required):
            return required
    return None


def _predicted_applied(step_id: str, predicted: Mapping[str, str], state: JournalState) -> bool:
    verdict = predicted.get(step_id)
    if verdict is None:  # a later step: satisfied only if the journal already says so
        return state.is_applied(step_id)
    return verdict in _WILL_BE_APPLIED


#: ``predicted``'s mark for a step left out by the selection and not applied.
_NOT_SELECTED = "not_selected"


def _blocked_reason(blocker: str, predicted: Mapping[str, str], state: JournalState) -> str:
    verdict = predicted.get(blocker)
    if verdict is None:
        return f"requires {blocker}, which comes later in the plan and is not applied"
    if verdict == _NOT_SELECTED:
        return f"requires {blocker}, which is not applied (not selected in this run)"
    if verdict == "skip" and not state.is_applied(blocker):
        return f"requires {blocker}, which is skipped"
    return f"requires {blocker}, which is {verdict.replace('_', ' ')}"


def _decide_step(
    plan: Plan,
    step: Step,
    state: JournalState,
    dialect: str,
    selection: Selection,
    confirmed,
    outcomes: Mapping[str, tuple[str, str]],
) -> Decision:
    entry = state.get(step.id)
    if not selection.includes(step):
        if entry is not None and entry.applied and entry.checksum == step.checksum:
            return Decision(step, "applied", "already applied (left out of this run by --phase/--step/--skip/--tag)", selected=False, entry=entry)
        return Decision(step, "skip", "left out of this run by --phase/--step/--skip/--tag", selected=False, entry=entry)
    if not step.applies_to(dialect):
        wanted = ", ".join(step.when_dialects or ())
        return Decision(step, "not_applicable", f"only for {wanted}; this database is {dialect}", entry=entry)

    d = journal_verdict(plan, step, entry, dialect)
    if step.action_kind == "manual" and d.verdict in ("run", "rerun", "resume"):
        if step.id in confirmed:
            d = Decision(step, "run", "confirmed with --confirm", entry=entry, confirmed=True)
        else:
            d = Decision(step, "manual", f"confirm with --confirm {step.id} when it is done", entry=entry)
    if d.executes and step.id in outcomes:
        verdict, reason = outcomes[step.id]
        d = Decision(step, verdict, reason, entry=entry)
    return d


def journal_verdict(plan: Plan, step: Step, entry: JournalEntry | None, dialect: str) -> Decision:
    """The verdict from the step's journal state alone (spec section 4)."""
    if entry is None:
        return Decision(step, "run", "not applied yet")
    status = entry.status
    if status in APPLIED_STATUSES:
        changed = entry.checksum != step.checksum
        if step.rerun == "always":
            return Decision(step, "rerun", "rerun: always", entry=entry)
        if changed and step.rerun == "on_change":
            return Decision(step, "rerun", "changed since applied (rerun: on_change)", entry=entry)
        if changed:
            return Decision(
                step,
                "drift",
                f"changed since applied: journal checksum {entry.checksum}, plan checksum {step.checksum}",
                entry=entry,
            )
        return Decision(step, "applied", f"{status.replace('_', ' ')}; checksum unchanged", entry=entry)

    batches = entry.batches_done or 0
    rows = entry.rows_affected or 0
    done = entry.statements_done or 0
    if step.action_kind == "batch" and status in ("running", "partial", "failed") and (batches or status != "failed"):
        # The batch statement's own WHERE makes it resumable; the totals carry on.
        how = {"running": "interrupted", "partial": "stopped by max_batches", "failed": "failed"}[status]
        return Decision(
            step,
            "resume",
            f"{how} after {batches} batch(es), {rows} row(s); continues",
            entry=entry,
            carry_rows=rows,
            carry_batches=batches,
        )
    if status == "running":
        if step.idempotent:
            return Decision(step, "resume", "interrupted while running; idempotent, runs again from the start", entry=entry)
        return Decision(
            step,
            "resume",
            f"interrupted while running {running_progress(step, entry)}; not idempotent: needs `migrator resolve`",
            entry=entry,
            resume_at=done,
        )
    if status == "failed" and done and not step.idempotent and step.action_kind in ("sql", "sql_file"):
        from migrator.sql.split import statements_of  # only here: splitting needs sqlglot

        n = len(statements_of(step.action, dialect))
        how = (
            f"failed with all {n} statements committed (its verify failed); runs only its verify again"
            if done >= n else f"failed with {statement_span(1, done)} committed; resumes at statement {done + 1}"
        )
        if entry.checksum != step.checksum:
            # Fixing the failed statement is the usual way on; an edit of the committed
            # ones (or added/removed statements before the resume point) is not replayed.
            as_now = "as it is now is" if done == 1 else "as they are now are"
            how += (f" (the step changed since that attempt: {statement_span(1, done)} {as_now} not run again; "
                    "check them, or resolve --pending to restart it)")
        return Decision(
            step,
            "resume",
            how,
            entry=entry,
            resume_at=done,
            carry_rows=rows,
        )
    if status == "failed":
        return Decision(step, "run", "last attempt failed; runs again", entry=entry)
    if status == "rolled_back":
        return Decision(step, "run", "rolled back; runs again", entry=entry)
    if status == "skipped":
        return Decision(step, "run", "skipped last time; runs now", entry=entry)
    return Decision(step, "run", f"journal state {status}; runs", entry=entry)


def running_progress(step: Step, entry: JournalEntry) -> str:
    """What the journal says a step left ``running`` had committed, in the step's own
    terms: statements for SQL; for a ``python`` step (which has no statements of its
    own) the batches and rows of its ``ctx.batch``, which commit as they go."""
    if step.action_kind == "python":
        batches = entry.batches_done or 0
        if not batches:
            return "with no ctx.batch batch committed"
        return f"with {plural(batches, 'ctx.batch batch', 'ctx.batch batches')}, {plural(entry.rows_affected or 0, 'row')} committed"
    return f"after {plural(entry.statements_done or 0, 'statement')}"


def needs_resolve(d: Decision) -> bool:
    """A non-idempotent step left ``running``: it may have half-happened."""
    e = d.entry
    return (
        d.selected
        and d.verdict == "resume"
        and e is not None
        and e.status == "running"
        and not d.step.idempotent
        and d.step.action_kind != "batch"
    )


def _stop(plan: Plan, decisions: list[Decision], resolve_command: str | None) -> tuple[str | None, str | None]:
    drifted = [d for d in decisions if d.verdict == "drift"]
    if drifted:
        lines = [
            f"drift: step {d.step.id} changed since it was applied (journal checksum {d.entry.checksum}, "
            f"plan checksum {d.step.checksum}); apply executes nothing while a step has drifted"
            for d in drifted
        ]
        return "drift", "\n".join(lines)
    stuck = [d for d in decisions if needs_resolve(d)]
    if stuck:
        from migrator.commandline import resolve_command as command, with_arguments  # pure string building

        resolve = resolve_command or command(plan.source)
        lines = [
            f"step {d.step.id} was interrupted while running ({running_progress(d.step, d.entry)}) "
            f"and is not idempotent; apply executes nothing until it is resolved. Check the database, then run "
            f"`{with_arguments(resolve, d.step.id, '--applied')}` (it completed) or `--pending` (run it again)"
            for d in stuck
        ]
        return "needs_resolve", "\n".join(lines)
    return None, None


#: How strongly a failed precondition's ``on_fail`` acts; the strongest failure wins.
_ON_FAIL_ORDER = ("halt", "skip", "mark_applied", "warn")


def precondition_outcome(
    specs: tuple[CheckSpec, ...], results: tuple[CheckResult, ...]
) -> tuple[str | None, str, list[str]]:
    """What failed preconditions mean for their step (or phase), after Liquibase.

    Returns ``(action, reason, warnings)``: ``action`` is ``halt``, ``skip`` or
    ``mark_applied`` for the strongest failing ``on_fail`` (None when nothing
    stops the step), ``reason`` names the failing checks, ``warnings`` lists the
    ``warn`` ones. Shared by the dry run and ``apply``.
    """
    failing: dict[str, list[str]] = {}
    for spec, result in zip(specs, results):
        if result.held is False:
            text = result.message or spec.message or result.detail
            label = f"precondition {spec.label} failed" + (f": {text}" if text else "")
            failing.setdefault(spec.effective_on_fail, []).append(label)
    warnings = failing.pop("warn", [])
    for action in _ON_FAIL_ORDER[:3]:
        if action in failing:
            return action, "; ".join(failing[action]), warnings
    return None, "", warnings
