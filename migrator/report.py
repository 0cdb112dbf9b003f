"""Result records: what checks, steps and runs found. Data only (a leaf).

The runner and the planner produce these; the renderers (text, Markdown, JSON,
the summary report) only read them. ``to_dict()`` gives the JSON shape that
``--format json`` prints and ``schemas/report.schema.json`` describes.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

#: Planner verdicts, in the order reports list their counts (spec section 11).
VERDICTS = (
    "run",
    "rerun",
    "resume",
    "applied",
    "drift",
    "skip",
    "mark_applied",
    "blocked",
    "not_applicable",
    "manual",
)
VERDICT_WORDS = {
    "run": "would run",
    "rerun": "would re-run (changed)",
    "resume": "would resume",
    "applied": "already applied",
    "drift": "DRIFT",
    "skip": "would skip",
    "mark_applied": "would mark applied",
    "blocked": "blocked",
    "not_applicable": "not applicable",
    "manual": "waits for a person",
}
#: What happened to a step during ``apply`` (``StepResult.outcome``).
OUTCOMES = (
    "applied",  # ran (or a check step passed) and was journaled applied
    "already_applied",  # nothing to do
    "failed",
    "optional_failed",  # an optional step failed: a warning, the run went on
    "skipped",  # precondition on_fail: skip
    "marked_applied",  # precondition on_fail: mark_applied
    "partial",  # batch stopped by max_batches
    "blocked",
    "not_applicable",
    "waiting",  # manual step not confirmed yet
    "drift",  # applied, but changed since: the run stopped before executing anything
    "not_reached",  # the run stopped before this step
    "filtered",  # left out by --step/--skip/--tag/--phase
    "rolled_back",  # ``rollback`` ran its rollback
)


def plural(n: int, word: str, many: str | None = None) -> str:
    """``"1 batch"``, ``"3 batches"``, ``"1,200 rows"``."""
    return f"{n:,} {word if n == 1 else (many or word + 's')}"


def statement_span(first: int, last: int) -> str:
    """``"statement 3"`` or ``"statements 1–2"``: the words every message about
    committed, resumed or listed statements of a step uses."""
    return f"statement {first}" if first == last else f"statements {first}–{last}"


def _plain(value: Any) -> Any:
    """Turn records, tuples and odd scalars into JSON-able values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return value.to_dict() if hasattr(value, "to_dict") else dataclasses.asdict(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)  # Decimal, datetime, bytes...: shown as text


@dataclass(frozen=True, slots=True)
class CheckResult:
    """The outcome of one check.

    ``held`` is None when the check was not evaluated (offline dry run, or a
    check that only makes sense after the step ran). ``detail`` is one line:
    what was found versus what was expected. ``sample`` holds up to 5 rows for
    ``no_rows``/``no_orphans``/``unchanged``; ``error`` the database's message
    when the check's own SQL is broken.
    """

    kind: str
    label: str
    held: bool | None
    detail: str
    path: str = ""
    message: str | None = None
    count: int | None = None
    columns: tuple[str, ...] = ()
    sample: tuple[tuple, ...] = ()
    error: str | None = None
    on_fail: str | None = None
    children: tuple["CheckResult", ...] = ()

    @property
    def status(self) -> str:
        if self.held is None:
            return "not_evaluated"
        return "passed" if self.held else "failed"

    def to_dict(self) -> dict:
        return {
            "kind": self.kind,
            "label": self.label,
            "path": self.path,
            "status": self.status,
            "held": self.held,
            "detail": self.detail,
            "message": self.message,
            "count": self.count,
            "columns": list(self.columns),
            "sample": _plain(self.sample),
            "error": self.error,
            "on_fail": self.on_fail,
            "children": [c.to_dict() for c in self.children],
        }


@dataclass(frozen=True, slots=True)
class Finding:
    """A risk finding on one statement of one step (spec section 7)."""

    rule: str
    severity: str  # "error" or "warning"
    step: str
    statement: str
    why: str
    safer: str
    accepted: bool = False
    file: str = ""
    line: int = 0
    col: int = 0

    @property
    def blocking(self) -> bool:
        return self.severity == "error" and not self.accepted

    def to_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}


@dataclass(frozen=True, slots=True)
class StepResult:
    """One step: the planner's verdict and, after ``apply``, what happened.

    ``verdict`` is one of :data:`VERDICTS` (what would happen / was decided),
    ``reason`` says why in one line. ``outcome`` is one of :data:`OUTCOMES`
    after ``apply`` and None in a dry run. ``state`` and the ``journal_*``
    fields carry the journal's latest row (for ``status``). ``statements[i]`` is
    statement ``first_statement + i`` of the step: in a dry run, a step that resumes
    lists only the statements it would run, and those before them are committed.
    """

    step: str
    phase: str
    action: str
    verdict: str
    reason: str = ""
    title: str | None = None
    checksum: str = ""
    recorded_checksum: str | None = None
    statements: tuple[str, ...] = ()
    first_statement: int = 1
    preconditions: tuple[CheckResult, ...] = ()
    verify: tuple[CheckResult, ...] = ()
    findings: tuple[Finding, ...] = ()
    outcome: str | None = None
    error: str | None = None
    warnings: tuple[str, ...] = ()
    blocked_by: str | None = None
    instructions: str | None = None
    optional: bool = False
    idempotent: bool = False
    transaction: bool = True
    rows_affected: int | None = None
    statements_done: int | None = None
    batches_done: int | None = None
    duration_ms: int | None = None
    state: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
    run_by: str | None = None
    journal_message: str | None = None

    @property
    def failed(self) -> bool:
        return self.outcome == "failed" or (
            self.outcome is None and any(c.held is False for c in self.verify)
        )

    def to_dict(self) -> dict:
        return {f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self)}


@dataclass(frozen=True, slots=True)
class PhaseResult:
    """One phase. ``reverify`` is None, or why its ``verify`` checks run again
    although none of its steps may: they failed on the last ``apply``."""

    phase: str
    title: str | None
    steps: tuple[StepResult, ...]
    preconditions: tuple[CheckResult, ...] = ()
    verify: tuple[CheckResult, ...] = ()
    waits_for_person: bool = False
    reverify: str | None = None

    def to_dict(self) -> dict:
        return {f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self)}


@dataclass(frozen=True, slots=True)
class RunReport:
    """The result of ``plan``, ``apply``, ``status`` or ``verify``.

    ``status`` is ``ok``, ``failed``, ``waiting`` (a manual step; a lock timeout raises LockHeld, no report),
    ``drift`` or ``needs_resolve``; ``message`` is the one-line headline (e.g.
    how to continue past a manual step). ``exit_code`` follows spec section 5.
    ``apply_command`` is ``migrator apply PLAN`` with the run's database, ``--var``
    and selection options (:mod:`migrator.commandline`), for the hints that say how
    to go on; not part of the JSON document (its messages carry it).
    """

    command: str
    plan: str
    source: str
    phases: tuple[PhaseResult, ...]
    status: str = "ok"
    message: str | None = None
    dialect: str | None = None
    database: str | None = None  # masked URL
    offline: bool = False
    next_steps: tuple[str, ...] = ()
    extra: dict = field(default_factory=dict)
    apply_command: str | None = None

    @property
    def steps(self) -> tuple[StepResult, ...]:
        return tuple(s for p in self.phases for s in p.steps)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def findings(self) -> tuple[Finding, ...]:
        return tuple(f for s in self.steps for f in s.findings)

    def verdict_counts(self) -> dict[str, int]:
        counts = {v: 0 for v in VERDICTS}
        for s in self.steps:
            counts[s.verdict] = counts.get(s.verdict, 0) + 1
        return {k: v for k, v in counts.items() if v}

    def outcome_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for s in self.steps:
            if s.outcome:
                counts[s.outcome] = counts.get(s.outcome, 0) + 1
        return {k: counts[k] for k in OUTCOMES if k in counts}

    @property
    def pending(self) -> bool:
        """True when a dry run found steps that would execute, or a phase verification
        that failed last time and runs again (for --detailed-exitcode)."""
        return any(s.verdict in ("run", "rerun", "resume", "manual", "mark_applied") for s in self.steps) or any(
            p.reverify for p in self.phases
        )

    @property
    def exit_code(self) -> int:
        return {"ok": 0, "waiting": 3}.get(self.status, 1)

    def to_dict(self) -> dict:
        return {
            "command": self.command,
            "plan": self.plan,
            "source": self.source,
            "status": self.status,
            "ok": self.ok,
            "message": self.message,
            "dialect": self.dialect,
            "database": self.database,
            "offline": self.offline,
            "counts": self.verdict_counts(),
            "outcomes": self.outcome_counts(),
            "phases": [p.to_dict() for p in self.phases],
            "next_steps": list(self.next_steps),
            **({"extra": _plain(self.extra)} if self.extra else {}),
        }
