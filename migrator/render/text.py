"""Plain text for a terminal: ``plan``, ``apply``, ``status``, ``verify`` and ``lint``.

Colour (ANSI, via ``click.style``) only when the caller asks for it; the CLI
does on a terminal without ``NO_COLOR``.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable

import click

from migrator.errors import Issue
from migrator.render import common as c
from migrator.report import CheckResult, Finding, PhaseResult, RunReport, StepResult

Style = Callable[[str, str], str]

_COLORS = {
    "good": {"fg": "green"},
    "bad": {"fg": "red", "bold": True},
    "warn": {"fg": "yellow"},
    "wait": {"fg": "magenta", "bold": True},
    "quiet": {"dim": True},
    "todo": {"fg": "cyan"},
    "error": {"fg": "red", "bold": True},
    "warning": {"fg": "yellow"},
    "heading": {"bold": True},
    "dim": {"dim": True},
}
_SYMBOLS = {True: ("✓", "good"), False: ("✗", "bad"), None: ("·", "quiet")}
_STATUS_TONES = {"failed": "bad", "drift": "bad", "needs_resolve": "bad", "waiting": "wait", "ok": "good"}
_TITLES = {
    "plan": "Plan", "apply": "Apply", "status": "Status of", "verify": "Verify",
    "rollback": "Rollback", "resolve": "Resolve",
}


def _styler(color: bool) -> Style:
    if not color:
        return lambda text, _tone: text
    return _painted


def _painted(text: str, tone: str) -> str:
    # The colour covers the words, not a table cell's padding around them: the line's
    # trailing blanks then strip as they do uncoloured, and the coloured text is the
    # plain text with codes added.
    words = text.strip()
    if not words:
        return text
    start = text.index(words)
    return text[:start] + click.style(words, **_COLORS.get(tone, {})) + text[start + len(words):]


def render_report(report: RunReport, *, color: bool = False) -> str:
    st = _styler(color)
    lines = [st(_headline(report), "heading"), ""]
    if report.command == "status":
        lines += _status_lines(report, st)
    elif report.command == "verify":
        lines += _verify_lines(report, st)
    else:
        for phase in report.phases:
            lines += _phase_lines(report, phase, st)
    if report.command in ("status", "plan"):
        lines += _not_in_plan_lines(report, st)
    lines += _footer(report, st)
    return "\n".join(lines) + "\n"


def _headline(report: RunReport) -> str:
    title = f"{_TITLES.get(report.command, report.command)} {report.plan} ({report.source})"
    if report.offline:
        return f"{title}: offline, for {report.dialect}"
    where = report.database or report.dialect
    return title + (f" on {where}" if where else "") + (", dry run" if report.command == "plan" else "")


def _footer(report: RunReport, st: Style) -> list[str]:
    lines = []
    if report.message:
        lines.append(st(report.message, _STATUS_TONES.get(report.status, "heading")))
    lines += [f"next: {n}" for n in report.next_steps]
    lines.append("Summary: " + ", ".join(c.summary_parts(report)))
    return lines


def _phase_lines(report: RunReport, phase: PhaseResult, st: Style) -> list[str]:
    title = f"Phase {phase.phase}" + (f": {phase.title}" if phase.title else "")
    lines = [st(title, "heading")]
    if phase.reverify:
        lines += _indented(phase.reverify, 2, st, "warn")
    if phase.preconditions:
        lines.append("  preconditions:")
        lines += _check_lines(phase.preconditions, 4, st)
    for step in phase.steps:
        lines += _step_lines(report, step, st)
    if phase.verify:
        lines.append("  verify:")
        lines += _check_lines(phase.verify, 4, st)
    lines.append("")
    return lines


def _step_lines(report: RunReport, step: StepResult, st: Style) -> list[str]:
    word = st(c.step_word(step), c.tone(c.step_key(step)))
    reason = c.shown_reason(step)
    head = f"  {step.step}: {word}" + (f" — {reason}" if reason else "")
    meta = [step.title or "", step.action]
    meta += [flag for flag, on in (("optional", step.optional), ("idempotent", step.idempotent), ("no transaction", not step.transaction)) if on]
    meta.append(c.step_facts(step))
    lines = [head, "    " + st(" · ".join(m for m in meta if m), "dim")]
    if step.blocked_by and step.blocked_by not in step.reason:
        lines.append(f"    blocked by {step.blocked_by}")
    if step.error:
        lines += _indented("error: " + step.error, 4, st, "bad")
    for warning in step.warnings:
        lines += _indented("warning: " + warning, 4, st, "warn")
    if c.shows_instructions(step):
        lines.append("    instructions:")
        lines += _indented(step.instructions, 6)
        lines.append(f"    when done: {c.confirm_command(report, step)}")
    show_sql = step.statements and (
        (step.outcome is None and step.verdict in c.EXECUTING_VERDICTS) or step.outcome == "failed"
    )
    if show_sql:
        resumed = c.resumed_statements(step)
        lines.append(f"    SQL ({resumed}):" if resumed else "    SQL:")
        lines += _indented(c.step_sql(step), 6)
    if step.preconditions:
        lines.append("    preconditions:")
        lines += _check_lines(step.preconditions, 6, st)
    if step.verify:
        lines.append("    verify:")
        lines += _check_lines(step.verify, 6, st)
    if step.findings:
        lines.append("    findings:")
        for f in step.findings:
            lines += _finding_lines(f, 6, st, with_step=False)
    return lines


def _indented(text: str, n: int, st: Style | None = None, tone: str = "") -> list[str]:
    pad = " " * n
    return [pad + (st(line, tone) if st and tone else line) if line.strip() else "" for line in text.splitlines()]


def _check_lines(checks: Iterable[CheckResult], n: int, st: Style, *, negated: bool = False) -> list[str]:
    lines = []
    pad = " " * n
    for check in checks:
        mark, detail = c.check_line(check, negated=negated)
        symbol, tone = _SYMBOLS[mark]
        lines.append(f"{pad}{st(symbol, tone)} {check.label} — {detail}")
        if mark is False and check.held is False and check.message:
            lines.append(f"{pad}  {check.message}")
        if check.sample:
            lines += _table_lines(check.columns, check.sample, n + 2)
        if check.children:
            lines += _check_lines(check.children, n + 2, st, negated=c.negates(check))
    return lines


def _table_lines(columns: tuple[str, ...], rows: tuple[tuple, ...], n: int) -> list[str]:
    """An aligned table of sample rows, headed by the column names when known."""
    body = [[c.cell(v) for v in row] for row in rows]
    header = list(columns) if columns else []
    width = max([len(header)] + [len(r) for r in body])
    grid = ([header] if header else []) + body
    widths = [max(len(r[i]) if i < len(r) else 0 for r in grid) for i in range(width)]
    pad = " " * n
    out = []
    for i, row in enumerate(grid):
        out.append(pad + "  ".join(v.ljust(widths[j]) for j, v in enumerate(row)).rstrip())
        if header and i == 0:
            out.append(pad + "  ".join("-" * w for w in widths))
    return out


def _finding_lines(f: Finding, n: int, st: Style, *, with_step: bool) -> list[str]:
    pad = " " * n
    where = f" (step {f.step})" if with_step else ""
    accepted = " [accepted]" if f.accepted else ""
    lines = [f"{pad}{st(f.severity, f.severity)} {f.rule}{where}{accepted}: {f.why}"]
    if f.statement:
        lines.append(f"{pad}  statement: {c.one_line(f.statement, 120)}")
    lines.append(f"{pad}  safer: {f.safer}")
    return lines


def _status_lines(report: RunReport, st: Style) -> list[str]:
    header = ("step", "state", "finished at", "by", "duration", "drift")
    lines = []
    for phase in report.phases:
        lines.append(st(f"Phase {phase.phase}" + (f": {phase.title}" if phase.title else ""), "heading"))
        rows = [
            (
                s.step,
                c.STATE_WORDS.get(s.state, s.state or ""),
                s.finished_at or "",
                s.run_by or "",
                c.duration(s.duration_ms),
                "DRIFT" if c.has_drift(s) else "",
            )
            for s in phase.steps
        ]
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

        def fmt(row, tones=None):
            cells = [v.ljust(widths[i]) for i, v in enumerate(row)]
            if tones:
                cells = [st(v, t) if t else v for v, t in zip(cells, tones)]
            return "  " + "  ".join(cells).rstrip()

        lines.append(st(fmt(header), "dim"))
        for s, row in zip(phase.steps, rows):
            lines.append(fmt(row, (None, c.tone(s.state) if s.state else "todo", None, None, None, "bad")))
            if s.state in ("running", "partial"):
                lines.append("    " + st(_progress_so_far(s), "dim"))
            if s.journal_message:
                # Whole: each journaled warning on a line of its own, as apply showed them.
                own, warnings = c.journal_notes(s.journal_message)
                notes = ([own] if own else []) + ["warning: " + w for w in warnings]
                lines += ["    " + st(c.one_line(note), "dim") for note in notes]
        if phase.reverify:
            lines += _indented(phase.reverify, 2, st, "warn")
        lines.append("")
    return lines


def _not_in_plan_lines(report: RunReport, st: Style) -> list[str]:
    """The journaled steps the plan no longer has: with when and by whom for ``status``,
    their state alone for the dry run (its output does not depend on the clock)."""
    entries = c.not_in_plan_entries(report)
    if not entries:
        return []
    lines = [st(c.NOT_IN_PLAN_HEADING, "heading")]
    for row, state, when, note in entries:
        at = f" {when[0]} by {when[1]}" if when else ""
        lines.append(f"  {row['step']} (phase {row['phase']}): {st(state, c.tone(row['state']))}{at}"
                     + (f" — {st(note, 'warn')}" if note else ""))
    return lines + [""]


def _progress_so_far(s: StepResult) -> str:
    """Where a ``running`` or ``partial`` step's current attempt stands, from the journal
    (``status`` reads without the lock: the step may be running now, or its process died)."""
    if s.batches_done is not None:
        done = f"{c.plural(s.batches_done, 'batch', 'batches')}, {c.plural(s.rows_affected or 0, 'row')}"
    elif s.action == "python":  # no statements of its own; rows only when ctx.batch committed some
        done = f"{c.plural(s.rows_affected or 0, 'row')} committed"
    else:
        done = f"{c.plural(s.statements_done or 0, 'statement')} done"
    return (f"started {s.started_at}: " if s.started_at else "") + f"{done} so far"


def _verify_lines(report: RunReport, st: Style) -> list[str]:
    lines = []
    for phase in report.phases:
        lines.append(st(f"Phase {phase.phase}" + (f": {phase.title}" if phase.title else ""), "heading"))
        for step in phase.steps:
            if step.verify:
                lines.append(f"  {step.step}:")
                lines += _check_lines(step.verify, 4, st)
            elif step.reason:
                lines.append(f"  {step.step}: {st(step.reason, 'quiet')}")
        if phase.verify:
            lines.append(f"  phase {phase.phase}:")
            lines += _check_lines(phase.verify, 4, st)
        lines.append("")
    return lines


def render_findings(findings: Iterable[Finding], *, color: bool = False) -> str:
    """``lint`` output: ``file:line:col: severity rule (step S): why`` per finding."""
    st = _styler(color)
    findings = list(findings)
    lines = []
    for f in findings:
        loc = f"{f.file}:{f.line}:{f.col}: " if f.file else ""
        first, *rest = _finding_lines(f, 0, st, with_step=True)
        lines.append(loc + first)
        lines += ["    " + r.strip() for r in rest]
    lines.append(c.findings_part(findings) or "no risk findings")
    return "\n".join(lines) + "\n"


def render_issues(issues: Iterable[Issue]) -> str:
    """One ``file:line:col: path: message`` per line."""
    return "".join(f"{issue}\n" for issue in issues)
