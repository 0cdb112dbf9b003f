"""What the text and Markdown renderers share: words, counts, durations, symbols."""
from __future__ import annotations

import re

from migrator.commandline import apply_command as plan_apply_command
from migrator.commandline import with_arguments
from migrator.report import VERDICT_WORDS, VERDICTS, CheckResult, Finding, RunReport, StepResult, plural, statement_span

#: How ``apply`` outcomes read in reports (``StepResult.outcome``).
OUTCOME_WORDS = {
    "applied": "applied",
    "already_applied": "already applied",
    "failed": "FAILED",
    "optional_failed": "failed (optional)",
    "skipped": "skipped",
    "marked_applied": "marked applied",
    "partial": "partial",
    "blocked": "blocked",
    "not_applicable": "not applicable",
    "waiting": "waits for a person",
    "not_reached": "not reached",
    "drift": "DRIFT",
    "filtered": "not selected",
    "rolled_back": "rolled back",
}
#: Journal states (``StepResult.state``) as ``status`` shows them; "pending"/None: never attempted.
STATE_WORDS = {
    "applied": "applied",
    "failed": "failed",
    "skipped": "skipped",
    "marked_applied": "marked applied",
    "running": "running",
    "partial": "partial",
    "rolled_back": "rolled back",
    "pending": "pending",
    "not_applicable": "not applicable",  # never attempted, and its `when` leaves this database out
    None: "pending",
}
#: Verdicts whose SQL would execute: the dry run shows their statements.
EXECUTING_VERDICTS = frozenset({"run", "rerun", "resume"})
#: Outcomes after which a step's effect is in place.
DONE_OUTCOMES = frozenset({"applied", "already_applied", "marked_applied"})

# Tone of each verdict/outcome/state, for colours (text) and icons (Markdown).
_TONES = {
    "good": {"applied", "already_applied", "marked_applied", "mark_applied"},
    "bad": {"failed", "drift", "running"},
    "warn": {"optional_failed", "skip", "skipped", "blocked", "partial", "resume", "rerun", "rolled_back"},
    "wait": {"manual", "waiting"},
    "quiet": {"not_applicable", "not_reached", "filtered"},
    "todo": {"run", "pending", None},
}


def tone(word: str | None) -> str:
    for name, members in _TONES.items():
        if word in members:
            return name
    return "todo"


def step_word(step: StepResult) -> str:
    """The outcome after ``apply``, else the verdict (plan)."""
    if step.outcome:
        return OUTCOME_WORDS.get(step.outcome, step.outcome)
    return VERDICT_WORDS.get(step.verdict, step.verdict)


def step_key(step: StepResult) -> str:
    """The raw outcome or verdict behind :func:`step_word` (for tone)."""
    return step.outcome or step.verdict


def shown_reason(step: StepResult) -> str:
    """The reason worth showing: after ``apply``, why a step that simply ran did so is noise."""
    if step.verdict == "manual" and step.outcome in ("applied", "failed"):
        # Confirmed at the prompt: it no longer waits for a person.
        return f"confirmed by {step.run_by}" if step.run_by else "confirmed"
    if step.verdict in ("run", "rerun", "resume") and step.outcome not in (None, "not_reached", "filtered"):
        # Why it was to run ("not applied yet") is not why it ended as it did: the journal
        # row this run wrote says that; a failure has its error line; a step that ran
        # needs no reason.
        if step.outcome in _JOURNALED_WHY and step.journal_message:
            return step.journal_message.removeprefix(f"{step.outcome}: ")
        return ""
    return step.reason


#: Outcomes whose why is the message of the journal row the run wrote.
_JOURNALED_WHY = frozenset({"skipped", "blocked", "marked_applied", "partial"})


def count_parts(report: RunReport) -> list[str]:
    """``["3 would run", "2 already applied"]``: the summary line's counts, in a fixed order."""
    if report.command == "status":
        counts: dict[str | None, int] = {}
        for s in report.steps:
            counts[s.state] = counts.get(s.state, 0) + 1
        parts = [f"{counts[k]} {w}" for k, w in STATE_WORDS.items() if k in counts]
        drift = sum(1 for s in report.steps if has_drift(s))
        gone = len(not_in_plan(report))
        return parts + ([f"{drift} drifted"] if drift else []) + ([f"{gone} not in the plan"] if gone else [])
    if report.command == "verify":
        checks = all_checks(report)
        passed = sum(1 for _, c in checks if c.held)
        failed = sum(1 for _, c in checks if c.held is False)
        other = len(checks) - passed - failed
        return [plural(len(checks), "check"), f"{passed} passed", f"{failed} failed"] + (
            [f"{other} not evaluated"] if other else []
        )
    if report.outcome_counts():  # apply, rollback, resolve
        return [f"{n} {OUTCOME_WORDS.get(k, k)}" for k, n in report.outcome_counts().items()]
    counts = report.verdict_counts()
    return [f"{counts[v]} {VERDICT_WORDS[v]}" for v in VERDICTS if v in counts]


def findings_part(findings: tuple[Finding, ...] | list[Finding]) -> str:
    """``"2 risk findings (1 error, 1 warning; 1 accepted)"``, or "" when there are none."""
    if not findings:
        return ""
    errors = sum(1 for f in findings if f.severity == "error")
    warnings = len(findings) - errors
    accepted = sum(1 for f in findings if f.accepted)
    inner = ", ".join(p for p in (plural(errors, "error") if errors else "", plural(warnings, "warning") if warnings else "") if p)
    if accepted:
        inner += f"; {accepted} accepted"
    return f"{plural(len(findings), 'risk finding')} ({inner})"


def summary_parts(report: RunReport) -> list[str]:
    parts = count_parts(report) or ["no steps"]
    warned = sum(1 for s in report.steps if s.warnings)
    if warned and report.command not in ("status", "verify"):
        # A warning does not change a step's outcome or the exit code; the summary
        # still lists it (spec section 11).
        parts.append(f"{warned} with warnings")
    reverify = sum(1 for p in report.phases if p.reverify)
    if reverify and report.command == "plan":
        parts.append(plural(reverify, "phase verification") + " would run again")
    if report.command not in ("status", "verify") and report.findings:
        parts.append(findings_part(report.findings))
    return parts


#: The heading of the journaled steps the plan no longer has (``extra["not_in_plan"]``).
NOT_IN_PLAN_HEADING = "Not in the plan (journaled steps removed or renamed since; apply ignores them)"


def not_in_plan(report: RunReport) -> list[dict]:
    """The journal's steps the plan no longer has, oldest first (``status`` and the dry run)."""
    return report.extra.get("not_in_plan", [])


def not_in_plan_entries(report: RunReport) -> list[tuple[dict, str, tuple[str, str] | None, str]]:
    """Each journaled step the plan no longer has, as the renderers list it: ``(row, its
    state in words, (finished at, by whom) or None, note)``. When and by whom only for
    ``status``: the dry run's output must not depend on the clock."""
    entries = []
    for row in not_in_plan(report):
        when = (row["finished_at"], row["run_by"] or "") if report.command == "status" and row["finished_at"] else None
        entries.append((row, STATE_WORDS.get(row["state"], row["state"]), when, not_in_plan_note(row)))
    return entries


def not_in_plan_note(row: dict) -> str:
    """What to say about one such step besides its state: a likely rename, and that an
    applied one is where ``rollback`` stops."""
    notes = []
    if row.get("renamed_as"):
        notes.append(f"same checksum as {row['renamed_as']}, not applied yet: renamed?")
    if row.get("blocks_rollback"):
        notes.append("rollback cannot go past it")
    return "; ".join(notes)


def has_drift(step: StepResult) -> bool:
    return step.verdict == "drift"


def all_checks(report: RunReport) -> list[tuple[str, CheckResult]]:
    """Every verify check of the report as (scope, check): step ids and ``phase <id>``."""
    out: list[tuple[str, CheckResult]] = []
    for phase in report.phases:
        for step in phase.steps:
            out += [(step.step, c) for c in step.verify]
        out += [(f"phase {phase.phase}", c) for c in phase.verify]
    return out


def duration(ms: int | None) -> str:
    """``"340 ms"``, ``"2.5 s"``, ``"3 min 07 s"``, ``"1 h 02 min"``; "" when unknown."""
    if ms is None:
        return ""
    if ms < 1000:
        return f"{ms} ms"
    seconds = ms / 1000
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, sec = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes} min {sec:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def step_facts(step: StepResult) -> str:
    """``"2 statements, 1,200 rows, 3 batches, 340 ms"``: what an executed step did."""
    parts = []
    if step.statements_done is not None and statement_count(step):
        parts.append(f"{step.statements_done}/{statement_count(step)} statements")
    if step.rows_affected is not None:
        parts.append(plural(step.rows_affected, "row"))
    if step.batches_done is not None:
        parts.append(plural(step.batches_done, "batch", "batches"))
    if step.duration_ms is not None:
        parts.append(duration(step.duration_ms))
    return ", ".join(parts)


def check_status_word(check: CheckResult) -> str:
    return {"passed": "passed", "failed": "failed", "not_evaluated": "not evaluated"}[check.status]


def check_detail(check: CheckResult) -> str:
    """One line: the detail, the count when it adds something, and the error."""
    parts = [check.detail] if check.detail else []
    if check.count is not None and str(check.count) not in check.detail:
        parts.append(f"count {check.count}")
    if check.error and check.error not in check.detail:  # the detail may already quote it
        parts.append(f"error: {check.error}")
    if check.held is False and check.on_fail and check.on_fail != "halt":
        parts.append(f"on_fail: {check.on_fail}")
    return "; ".join(parts)


def check_line(check: CheckResult, *, negated: bool = False) -> tuple[bool | None, str]:
    """How one check's line reads: its mark (True ✓, False ✗, None not evaluated) and detail.

    ``negated``: the check is the one a ``not`` negates. Its not holding is what the
    ``not`` needs, so the mark says whether its result is the one wanted and the
    detail says so in words; its record (and the JSON) keeps its own ``held``. A check
    that could not run (``error``) is marked ✗ either way: it proves nothing.
    """
    detail = check_detail(check) or check_status_word(check)
    if not negated or check.held is None or check.error:
        return check.held, detail
    if check.held:
        return False, f"holds, but must not: {detail}"
    return True, f"does not hold, as expected: {detail}"


def negates(check: CheckResult) -> bool:
    """The children of this check are shown negated (:func:`check_line`)."""
    return check.kind == "not"


#: Where the `on_fail: warn` warnings start in a journal row's message: the runner
#: writes ``warning: A; B``, after the row's own message and ``; `` when it has one.
_WARNINGS_START = re.compile(r"(?:^|; )warning: ")
#: Between two warnings: each is ``precondition ... failed...`` (precondition_outcome),
#: and a warning's own text may hold ``; `` too.
_NEXT_WARNING = re.compile(r"; (?=precondition )")


def journal_notes(message: str | None) -> tuple[str, list[str]]:
    """A journal row's message as (the row's own message, the warnings journaled with it)."""
    if not message:
        return "", []
    start = _WARNINGS_START.search(message)
    if start is None:
        return message, []
    return message[: start.start()], _NEXT_WARNING.split(message[start.end():])


def one_line(text: str, limit: int = 0) -> str:
    """Whitespace collapsed to single spaces; cut to ``limit`` characters with an ellipsis."""
    text = " ".join(text.split())
    if limit and len(text) > limit:
        return text[: limit - 1] + "…"
    return text


def sql_block(statements: tuple[str, ...] | list[str]) -> str:
    """Statements as a script: each ended by ``;``, separated by a blank line."""
    return "\n\n".join(s.rstrip() + ";" for s in statements)


def statement_count(step: StepResult) -> int:
    """How many statements the step has: those listed and the committed ones before them."""
    return step.first_statement - 1 + len(step.statements)


def resumed_statements(step: StepResult) -> str:
    """``"statements 3–4 of 4; statements 1–2 are already committed"`` for a step the dry
    run resumes (its listed statements do not start at the first); "" otherwise."""
    first, n = step.first_statement, statement_count(step)
    if first == 1 or not step.statements:
        return ""
    are = "is" if first == 2 else "are"
    return f"{statement_span(first, n)} of {n}; {statement_span(1, first - 1)} {are} already committed"


def step_sql(step: StepResult) -> str:
    """The step's listed statements as a script; when they do not start at its first
    statement, each is headed by an SQL comment with its place (``-- statement 3 of 4``)."""
    if step.first_statement == 1:
        return sql_block(step.statements)
    n = statement_count(step)
    return sql_block([f"-- statement {step.first_statement + i} of {n}\n{s}" for i, s in enumerate(step.statements)])


def cell(value) -> str:
    """A value from a sample row as text (None as NULL)."""
    if value is None:
        return "NULL"
    return str(value)


def apply_command(report: RunReport, *args: str) -> str:
    """``migrator apply PLAN ARGS... [the run's options]``, quoted for a shell where needed."""
    return with_arguments(report.apply_command or plan_apply_command(report.source), *args)


def confirm_command(report: RunReport, step: StepResult) -> str:
    return apply_command(report, "--confirm", step.step)


def shows_instructions(step: StepResult) -> bool:
    """A manual step's instructions and the command to confirm it are shown while it
    waits for a person (the dry run, a stop at the gate) or when its verify failed
    after confirmation; not once it is applied."""
    if not step.instructions:
        return False
    return step.outcome == "waiting" or (step.verdict == "manual" and step.outcome in (None, "failed"))
