"""Markdown for pull requests (``plan --format markdown``) and the ``apply --report`` summary.

Deterministic by construction: no clock, no randomness, phases and steps in plan
order, findings in lint order. So two runs on the same state give the same
text, and a CI bot can update its comment only when something changed.

Everything that comes from a plan or a database (titles, reasons, SQL, sample
values) is escaped for where it lands: table cells (``|`` and newlines), inline
code (backtick runs), fenced blocks (fence longer than any backtick run in the
SQL) and the HTML of ``<details><summary>``.
"""
from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import replace

from migrator.render import common as c
from migrator.report import CheckResult, Finding, PhaseResult, RunReport, StepResult

_ICONS = {"good": "✅", "bad": "❌", "warn": "⚠️", "wait": "✋", "quiet": "➖", "todo": "▶️"}
_CHECK_ICONS = {True: "✅", False: "❌", None: "➖"}
_SEVERITY_ICONS = {"error": "❌", "warning": "⚠️"}
# Characters that can start Markdown syntax mid-line. "_" only matters at a word's
# edge (CommonMark ignores intraword underscores), so snake_case stays readable.
_MD_SPECIAL = re.compile(r"([\\`*\[\]<>|~]|(?<![0-9A-Za-z])_|_(?![0-9A-Za-z]))")
# A code span: a run of backticks, then text, then a run of the same length (CommonMark),
# so ```x``` is one span and not two empty ones around `x`.
_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`).+?(?<!`)\1(?!`)")


# --- escaping -----------------------------------------------------------------


def text(value: str) -> str:
    """Free text on one line, with Markdown's special characters escaped."""
    return _MD_SPECIAL.sub(r"\\\1", c.one_line(value))


def prose(value: str) -> str:
    """Our own text (rule explanations): `code spans` kept, everything else escaped."""
    return _outside_code_spans(c.one_line(value), lambda part: _MD_SPECIAL.sub(r"\\\1", part))


def markdown_line(value: str) -> str:
    """A line of a plan author's Markdown (a manual step's instructions): lists, emphasis
    and `code spans` kept, but no raw HTML, which could open a ``<details>`` that hides
    the rest of the comment. ``&lt;`` rather than ``\\<``: a backslash before it in the
    text would escape the escape."""
    return _outside_code_spans(value, lambda part: part.replace("<", "&lt;"))


def _outside_code_spans(value: str, escape) -> str:
    parts, pos = [], 0
    for span in _CODE_SPAN.finditer(value):
        parts += [escape(value[pos:span.start()]), span.group(0)]
        pos = span.end()
    return "".join(parts + [escape(value[pos:])])


def code(value: str, limit: int = 0) -> str:
    """Inline code on one line; the fence is longer than any backtick run inside."""
    value = c.one_line(value, limit)
    if not value:
        return ""
    longest = max((len(m) for m in re.findall(r"`+", value)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if value.startswith("`") or value.endswith("`") else ""
    return f"{fence}{pad}{value}{pad}{fence}"


def table_cell(value: str) -> str:
    """A table cell: ``|`` escaped, line breaks as ``<br>``."""
    lines = [_MD_SPECIAL.sub(r"\\\1", " ".join(line.split())) for line in value.strip().splitlines()]
    return "<br>".join(line for line in lines if line)


def fenced(body: str, lang: str = "") -> str:
    longest = max((len(m) for m in re.findall(r"`{3,}", body)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{lang}\n{body}\n{fence}"


def quote(message: str) -> list[str]:
    """A block quote with each line of ``message`` as its own paragraph (several drift
    lines stay several lines; a plain ``> a\nb`` would join them into one)."""
    lines: list[str] = []
    for line in message.splitlines():
        if line.strip():
            lines += [">"] if lines else []
            lines.append("> " + text(line))
    return lines


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    """A GFM table; cells must already be escaped (see :func:`table_cell`)."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


# --- plan / apply / status / verify --------------------------------------------


def render_report(report: RunReport) -> str:
    lines = [f"## migrator {report.command}: {code(report.plan)}", ""]
    lines += ["**Summary:** " + " · ".join(c.summary_parts(report)), ""]
    lines += [_where(report), ""]
    if report.message:
        lines += quote(report.message) + [""]
    if report.command == "status":
        lines += _status(report)
    elif report.command == "verify":
        lines += _verify(report)
    else:
        for phase in report.phases:
            lines += _phase(report, phase)
    if report.command in ("status", "plan"):
        lines += _not_in_plan(report)
    if report.next_steps:
        lines += ["### Next steps", ""] + [f"- {text(n)}" for n in report.next_steps] + [""]
    return "\n".join(lines).rstrip("\n") + "\n"


def _where(report: RunReport) -> str:
    where = f"Plan file {code(report.source)}"
    if report.offline:
        return where + f", offline, for dialect {code(report.dialect or '')}."
    target = report.database or report.dialect
    return where + (f", database {code(target)}" if target else "") + (" (dry run)." if report.command == "plan" else ".")


def _phase_heading(phase: PhaseResult) -> str:
    return f"### Phase {code(phase.phase)}" + (f": {text(phase.title)}" if phase.title else "")


def _step_cell(step: StepResult) -> str:
    return code(step.step) + (f"<br>{table_cell(step.title)}" if step.title else "")


def _word_cell(step: StepResult) -> str:
    icon = _ICONS[c.tone(c.step_key(step))]
    word = table_cell(c.step_word(step))
    return f"{icon} **{word}**" if c.tone(c.step_key(step)) == "bad" else f"{icon} {word}"


def _detail_cell(step: StepResult) -> str:
    parts = [c.shown_reason(step)]
    if step.outcome:
        parts.append(c.step_facts(step))
    if step.error:
        parts.append("error: " + step.error)
    parts += ["warning: " + w for w in step.warnings]
    return "<br>".join(table_cell(p) for p in parts if p and p.strip())


def _phase(report: RunReport, phase: PhaseResult) -> list[str]:
    lines = [_phase_heading(phase), ""]
    if phase.reverify:
        lines += [f"{_ICONS['warn']} {text(phase.reverify)}", ""]
    if phase.preconditions:
        lines += ["Preconditions:", ""] + _check_items(phase.preconditions) + [""]
    verdict = "Verdict" if report.command == "plan" else "Result"
    lines += table(
        ["Step", "Action", verdict, "Reason"],
        [[_step_cell(s), table_cell(s.action), _word_cell(s), _detail_cell(s)] for s in phase.steps],
    )
    lines.append("")
    for step in phase.steps:
        lines += _step_details(report, step)
    if phase.verify:
        lines += [f"Verification of phase {code(phase.phase)}:", ""] + _check_items(phase.verify) + [""]
    findings = [f for s in phase.steps for f in s.findings]
    if findings:
        lines += ["**Risk findings**", ""] + finding_items(findings) + [""]
    return lines


def _step_details(report: RunReport, step: StepResult) -> list[str]:
    lines = []
    if c.shows_instructions(step):
        lines += [f"✋ {code(step.step)} waits for a person:", ""]
        lines += ["> " + markdown_line(line) if line.strip() else ">" for line in step.instructions.strip().splitlines()]
        lines += ["", f"When done: {code(c.confirm_command(report, step))}", ""]
    show_sql = step.statements and (
        (step.outcome is None and step.verdict in c.EXECUTING_VERDICTS) or step.outcome == "failed"
    )
    if show_sql:
        n = c.resumed_statements(step) or c.plural(len(step.statements), "statement")
        summary = f"<code>{html.escape(step.step)}</code>: {n}"
        if step.title:
            summary += f" — {html.escape(c.one_line(step.title))}"
        lines += [f"<details><summary>{summary}</summary>", "", fenced(c.step_sql(step), "sql"), "", "</details>", ""]
    checks = [("precondition", x) for x in step.preconditions] + [("verify", x) for x in step.verify]
    if checks:
        lines += [f"Checks of {code(step.step)}:", ""]
        for kind, check in checks:
            lines += _check_item(check, prefix=f"{kind}: ")
        lines.append("")
    return lines


def _check_items(checks: Iterable[CheckResult], indent: int = 0) -> list[str]:
    return [line for check in checks for line in _check_item(check, indent=indent)]


def _check_item(check: CheckResult, *, prefix: str = "", indent: int = 0, negated: bool = False) -> list[str]:
    pad = " " * indent
    mark, detail = c.check_line(check, negated=negated)
    lines = [f"{pad}- {_CHECK_ICONS[mark]} {prefix}{text(check.label)} — {text(detail)}"]
    if mark is False and check.held is False and check.message:
        lines.append(f"{pad}  - {text(check.message)}")
    if check.sample:
        lines += [""] + [f"{pad}  {row}" for row in _sample_table(check)] + [""]
    for child in check.children:
        lines += _check_item(child, indent=indent + 2, negated=c.negates(check))
    return lines


def _sample_table(check: CheckResult) -> list[str]:
    width = max([len(check.columns)] + [len(r) for r in check.sample])
    header = [table_cell(col) for col in check.columns] or [f"column {i + 1}" for i in range(width)]
    header += [""] * (width - len(header))
    rows = [[table_cell(c.cell(v)) or " " for v in row] + [""] * (width - len(row)) for row in check.sample]
    return table(header, rows)


def finding_items(findings: Iterable[Finding], *, with_location: bool = False) -> list[str]:
    """One list item per finding, with the statement, why and the safer way nested under it."""
    lines = []
    for f in findings:
        accepted = " (accepted)" if f.accepted else ""
        where = f" at {code(f'{f.file}:{f.line}:{f.col}')}" if with_location and f.file else ""
        lines.append(
            f"- {_SEVERITY_ICONS.get(f.severity, '')} **{f.severity}** {code(f.rule)} in step {code(f.step)}{where}{accepted}: {prose(f.why)}"
        )
        if f.statement:
            lines.append(f"  - statement: {code(f.statement, 200)}")
        lines.append(f"  - safer: {prose(f.safer)}")
    return lines


def _status(report: RunReport) -> list[str]:
    lines = []
    for phase in report.phases:
        rows = []
        for s in phase.steps:
            rows.append(
                [
                    _step_cell(s),
                    f"{_ICONS[c.tone(s.state) if s.state else 'todo']} {table_cell(c.STATE_WORDS.get(s.state, s.state or ''))}",
                    table_cell(s.finished_at or ""),
                    table_cell(s.run_by or ""),
                    table_cell(c.duration(s.duration_ms)),
                    "⚠️ **drift**" if c.has_drift(s) else "",
                ]
            )
        lines += [_phase_heading(phase), ""]
        lines += table(["Step", "State", "Finished at", "By", "Duration", "Drift"], rows) + [""]
        notes = [(s.step, s.journal_message) for s in phase.steps if s.journal_message]
        lines += [f"- {code(step)}: {text(msg)}" for step, msg in notes] + ([""] if notes else [])
        if phase.reverify:
            lines += [f"{_ICONS['warn']} {text(phase.reverify)}", ""]
    return lines


def _not_in_plan(report: RunReport) -> list[str]:
    """As the text's: when and by whom for ``status`` only (the dry run stays deterministic)."""
    entries = c.not_in_plan_entries(report)
    if not entries:
        return []
    lines = [f"### {text(c.NOT_IN_PLAN_HEADING)}", ""]
    for row, state, when, note in entries:
        at = f", {text(when[0])} by {text(when[1])}" if when else ""
        lines.append(f"- {code(row['step'])} (phase {code(row['phase'])}): {text(state)}{at}"
                     + (f" — {_ICONS['warn']} {text(note)}" if note else ""))
    return lines + [""]


def _verify(report: RunReport) -> list[str]:
    lines = []
    for phase in report.phases:
        rows = []
        for step in phase.steps:
            for check in step.verify:
                rows.append(_verify_row(code(step.step), check))
            if not step.verify and step.reason:
                rows.append([code(step.step), "", "➖", table_cell(step.reason)])
        rows += [_verify_row(f"phase {code(phase.phase)}", check) for check in phase.verify]
        lines += [_phase_heading(phase), ""]
        lines += (table(["Step", "Check", "Result", "Detail"], rows) if rows else ["No checks."]) + [""]
        samples = [(s.step, x) for s in phase.steps for x in s.verify if x.sample] + [
            (f"phase {phase.phase}", x) for x in phase.verify if x.sample
        ]
        for scope, check in samples:
            lines += [f"Sample rows of {code(scope)} / {text(check.label)}:", ""] + _sample_table(check) + [""]
    return lines


def _verify_row(scope: str, check: CheckResult) -> list[str]:
    result = {"passed": "✅ pass", "failed": "❌ **fail**", "not_evaluated": "➖ not evaluated"}[check.status]
    detail = c.check_detail(check)
    if check.held is False and check.message:
        detail = f"{check.message}\n{detail}" if detail else check.message
    return [scope, table_cell(check.label), result, table_cell(detail)]


# --- lint -----------------------------------------------------------------------


def render_findings(findings: Iterable[Finding]) -> str:
    findings = list(findings)
    lines = ["## migrator lint", ""]
    if not findings:
        return "\n".join(lines + ["No risk findings."]) + "\n"
    lines += ["**Summary:** " + c.findings_part(findings), ""]
    lines += finding_items(findings, with_location=True)
    return "\n".join(lines) + "\n"


# --- the apply --report summary ------------------------------------------------------


def render_summary(report: RunReport, date: str | None = None) -> str:
    """The ``apply --report FILE`` summary, in the shape of the seed's phase report.

    Sections: Overview, Completed Tasks (✅ per finished phase, its steps),
    Key Findings (verification results, warnings, risk findings), Skipped /
    Failed (and why), Next Steps (what is pending, who must act and the exact
    command). ``date`` is printed when given; nothing else depends on the clock.
    """
    lines = [f"# Migration Summary: {text(report.plan)}", ""]
    if date:
        lines += [f"**Date:** {text(date)}", ""]
    lines += ["## Overview", ""] + _overview(report) + [""]
    lines += ["## Completed Tasks", ""] + _completed(report) + [""]
    lines += ["## Key Findings", ""] + _key_findings(report) + [""]
    lines += ["## Skipped / Failed", ""] + _skipped_failed(report) + [""]
    lines += ["## Next Steps", ""] + _next_steps(report)
    return "\n".join(lines).rstrip("\n") + "\n"


def _summary_phase_heading(phase: PhaseResult) -> str:
    """``### Phase data: Data Migration``; a title that already names the phase
    (``Phase 3: Data Migration``, as the seed numbers them) is not prefixed again."""
    if phase.title and re.match(r"phase\b", phase.title.strip(), re.IGNORECASE):
        return f"### {text(phase.title)}"
    return f"### Phase {text(phase.phase)}" + (f": {text(phase.title)}" if phase.title else "")


def _summary_step_title(step: StepResult) -> str:
    return f"**{text(step.title)}** ({code(step.step)})" if step.title else f"**{code(step.step)}**"


def _summary_step_what(step: StepResult) -> str:
    """``sql_file, idempotent, applied, 3/3 statements, 0 rows, 4 ms``: the seed's script
    review says of each script whether it is idempotent (and which check is optional);
    a manual step says who confirmed it. A check step changes no rows."""
    flags = [f for f, on in (("optional", step.optional), ("idempotent", step.idempotent)) if on]
    facts = c.step_facts(replace(step, rows_affected=None) if step.action == "check" else step)
    confirmed = ""
    if step.action == "manual" and step.outcome in ("applied", "failed"):
        confirmed = f"confirmed by {step.run_by}" if step.run_by else "confirmed"
    return ", ".join(p for p in (step.action, *flags, c.step_word(step), confirmed, facts) if p)


def _warned_check(check: CheckResult) -> str:
    """A failed ``on_fail: warn`` precondition as a finding: its message, what was found
    (count included) and up to the sample's values, on one line."""
    found = c.check_detail(replace(check, on_fail=None))
    head = f"{text(check.message)} — {text(found)}" if check.message else f"{text(check.label)} — {text(found)}"
    sample = _inline_sample(check)
    return head + (f" (sample: {text(sample)})" if sample else "")


def _inline_sample(check: CheckResult) -> str:
    """``userId 901, 902, 903``, or ``(id, status) (7, cancelled); (8, cancelled)``."""
    if not check.sample:
        return ""
    if all(len(row) == 1 for row in check.sample):
        return (f"{check.columns[0]} " if len(check.columns) == 1 else "") + ", ".join(c.cell(r[0]) for r in check.sample)
    cols = f"({', '.join(check.columns)}) " if check.columns else ""
    return cols + "; ".join("(" + ", ".join(c.cell(v) for v in row) + ")" for row in check.sample)


def _warnings_with_details(step: StepResult) -> list[str]:
    """The step's warnings, each with what its check found when the warning does not say
    it (a precondition's `message` stands in for its detail: "orphans in t" gains "3 rows
    in t(userId) with no matching row in users(id)")."""
    warned = [x for x in step.preconditions if x.held is False and x.on_fail == "warn"]
    if len(warned) != len(step.warnings):
        return list(step.warnings)
    out = []
    for warning, check in zip(step.warnings, warned):
        found = c.check_detail(replace(check, on_fail=None))
        out.append(warning if not found or found in warning else f"{warning} — {found}")
    return out


def _done(step: StepResult) -> bool:
    return step.outcome in c.DONE_OUTCOMES or (
        step.outcome == "filtered" and step.state in ("applied", "marked_applied")
    )


def _overview(report: RunReport) -> list[str]:
    target = f" on {code(report.database or report.dialect or '')}" if (report.database or report.dialect) else ""
    verb = "Dry run of" if report.command == "plan" else "Applied"
    lines = [
        f"{verb} plan {code(report.plan)} ({code(report.source)}){target}: "
        + ", ".join(c.summary_parts(report))
        + "."
    ]
    done = [p for p in report.phases if _phase_complete(p)]
    lines += ["", f"Phases completed: {len(done)} of {len(report.phases)}."]
    for line in (report.message or "").splitlines():
        if line.strip():
            lines += ["", text(line)]
    return lines


def _phase_complete(phase: PhaseResult) -> bool:
    """Every applicable step done and no phase check failed: a phase whose verify failed
    is not complete (its verify runs again on the next apply, later phases wait)."""
    relevant = [s for s in phase.steps if c.step_key(s) != "not_applicable"]
    return bool(relevant) and all(_done(s) for s in relevant) and not _phase_failures(phase)


def _phase_failures(phase: PhaseResult) -> list[tuple[str, CheckResult]]:
    """The phase's own checks that stopped the run, as (kind, check): a precondition that
    halts (warnings are listed under Key Findings) and a verify check that failed."""
    failures = [("precondition", x) for x in phase.preconditions if x.held is False and x.on_fail in (None, "halt")]
    return failures + [("verification", x) for x in phase.verify if x.held is False]


def _completed(report: RunReport) -> list[str]:
    lines = []
    for phase in report.phases:
        done = [s for s in phase.steps if _done(s)]
        if not done:
            continue
        if _phase_complete(phase):
            mark = " ✅"
        elif any(kind == "verification" for kind, _ in _phase_failures(phase)):
            mark = " (verification failed)"
        else:
            mark = " (in progress)"
        lines += [_summary_phase_heading(phase) + mark, ""]
        for i, step in enumerate(done, 1):
            lines.append(f"{i}. {_summary_step_title(step)} — {_summary_step_what(step)}")
            # What a precondition with `on_fail: warn` found (the seed's "Found 3 tables
            # with missing FK constraints"): the finding itself, with its count and sample.
            for check in step.preconditions:
                if check.held is False and check.on_fail == "warn":
                    lines.append(f"   - {_ICONS['warn']} {_warned_check(check)}")
            for check in step.verify:
                lines.append(f"   - {_CHECK_ICONS[check.held]} {text(check.label)} — {text(c.check_detail(check) or c.check_status_word(check))}")
        lines.append("")
    return lines[:-1] or ["No step was completed in this run."]


def _key_findings(report: RunReport) -> list[str]:
    items = []
    checks = c.all_checks(report)
    if checks:
        passed = sum(1 for _, x in checks if x.held)
        # A passed check of a completed step is already listed under it (Completed
        # Tasks); saying all 66 of them twice would bury the findings. The others
        # (failed or not evaluated, and the phases' own checks) are listed here.
        listed = {s.step for s in report.steps if _done(s)}
        shown = [(scope, x) for scope, x in checks if not (x.held and scope in listed)]
        sub = [
            f"   - {_CHECK_ICONS[x.held]} {code(scope)}: {text(x.label)} — {text(c.check_detail(x) or c.check_status_word(x))}"
            for scope, x in shown
        ]
        head = f"**Verification**: {passed} of {c.plural(len(checks), 'check')} passed"
        rest = len(checks) - len(shown)
        if rest and not shown:
            head += " (each is listed with its step under Completed Tasks)"
        elif rest:
            sub.append(f"   - and {c.plural(rest, 'passed check')} of completed steps, listed with them under Completed Tasks")
        items.append([head, *sub])
    warnings = _warning_items(report)
    if warnings:
        items.append([f"**Warnings**: {len(warnings)}", *(f"   - {w}" for w in warnings)])
    if report.findings:
        sub = [
            f"   - {_SEVERITY_ICONS.get(f.severity, '')} {code(f.rule)} in {code(f.step)}{' (accepted)' if f.accepted else ''}: {prose(f.why)}"
            for f in report.findings
        ]
        items.append([f"**Risk findings**: {c.findings_part(report.findings)}", *sub])
    if not items:
        return ["No verification results, warnings or risk findings."]
    lines = []
    for i, (head, *sub) in enumerate(items, 1):
        lines += [f"{i}. {head}", *sub, ""]
    return lines[:-1]


def _warning_items(report: RunReport) -> list[str]:
    """Each warning of the plan's steps, as Markdown: this run's, then those an earlier
    run journaled for a step this one found applied (the warnings of its journal row)."""
    warnings = [(s.step, w) for s in report.steps for w in _warnings_with_details(s)]
    warnings += [(s.step, s.error or "failed") for s in report.steps if s.outcome == "optional_failed"]
    items = [f"{code(step)}: {text(w)}" for step, w in warnings]
    # A step's own warnings already name its failed `on_fail: warn` preconditions;
    # a phase's are in no step's warnings, so they are listed here.
    items += [
        f"phase {code(p.phase)}: precondition {text(x.label)} failed — {text(c.check_detail(x))}"
        for p in report.phases for x in p.preconditions if x.held is False and x.on_fail == "warn"
    ]
    for s in report.steps:
        if s.outcome in ("already_applied", "filtered") and s.state in ("applied", "marked_applied"):
            when = f"raised by an earlier run, {s.finished_at}" if s.finished_at else "raised by an earlier run"
            items += [f"{code(s.step)}: {text(w)} ({text(when)})" for w in c.journal_notes(s.journal_message)[1]]
    return items


_NOT_DONE_WHY = {
    "failed": "failed",
    "optional_failed": "failed (optional, the run went on)",
    "skipped": "skipped",
    "blocked": "blocked",
    "partial": "partial",
    "drift": "drift",
}


def _skipped_failed(report: RunReport) -> list[str]:
    lines = []
    for s in report.steps:
        if s.outcome in _NOT_DONE_WHY:
            why = s.error if s.outcome in ("failed", "optional_failed") and s.error else c.shown_reason(s)
            if s.outcome == "blocked" and s.blocked_by and (not why or s.blocked_by not in why):
                why = f"{why}; blocked by {s.blocked_by}" if why else f"blocked by {s.blocked_by}"
            lines.append(f"- {code(s.step)} (phase {code(s.phase)}) — {_NOT_DONE_WHY[s.outcome]}" + (f": {text(why)}" if why else ""))
    phase_failures = [] if report.command == "plan" else [  # a dry run's checks stopped nothing
        (phase, kind, check) for phase in report.phases for kind, check in _phase_failures(phase)
    ]
    for phase, kind, check in phase_failures:
        why = "; ".join(text(p) for p in (check.message, c.check_detail(check)) if p)
        lines.append(f"- phase {code(phase.phase)} — {kind} failed: {text(check.label)}" + (f" — {why}" if why else ""))
    if lines:
        return lines
    warned = len(_warning_items(report))
    # Warned is not done badly, but "nothing" must not hide it (they are listed once, above).
    return [f"Nothing was skipped or failed; {c.plural(warned, 'warning')} {'is' if warned == 1 else 'are'} "
            "listed under Key Findings." if warned else "Nothing was skipped or failed."]


#: The run's own next steps (``RunReport.next_steps``, plain text for the terminal) that
#: the bullets above already say, with the command in a code span: a manual step to
#: confirm, a failed step to fix, a partial batch to continue, skipped and not reached
#: steps (in the phases' pending lists). What no bullet covers (drift, a phase verify to
#: fix or accept) is kept.
_COVERED_HINTS = re.compile(
    r"confirm manual step |manual step \S+ waits for a person|fix step |continue batch step "
    r"|step \S+ was skipped |\d+ step\(s\) not reached"
)


def _next_steps(report: RunReport) -> list[str]:
    lines = []
    for s in report.steps:
        if s.outcome == "waiting" or (s.outcome is None and s.verdict == "manual"):
            instructions = [ln for ln in (s.instructions or "").strip().splitlines()]
            if len(instructions) > 1:
                # Several lines (a list of questions, say) keep their lines, quoted under
                # the bullet as the dry run shows them; one line joined would garble them.
                lines.append(f"- ✋ Phase {code(s.phase)} waits for a person at step {code(s.step)}:")
                lines += ["", *("  > " + markdown_line(ln) if ln.strip() else "  >" for ln in instructions), ""]
                lines.append(f"  When it is done, run {code(c.confirm_command(report, s))}.")
                continue
            todo = prose(s.instructions) if s.instructions else ""
            todo = f" {todo}" + ("" if todo.endswith((".", "!", "?", ":")) else ".") if todo else ""
            lines.append(
                f"- ✋ Phase {code(s.phase)} waits for a person at step {code(s.step)}.{todo} "
                f"When it is done, run {code(c.confirm_command(report, s))}."
            )
    halted = report.command != "plan" and any(k == "precondition" for p in report.phases for k, _ in _phase_failures(p))
    if halted or any(s.outcome in ("failed", "optional_failed") for s in report.steps):
        lines.append(f"- Fix the failure above, then run {code(c.apply_command(report))} again; applied steps are not repeated.")
    if any(s.outcome == "partial" for s in report.steps):
        lines.append(f"- Run {code(c.apply_command(report))} again to continue the partial batch steps.")
    for phase in report.phases:
        # step_key: a dry run has no outcome, and its not applicable steps are no more pending.
        # A drifted step is applied (its edit is the problem, said below), not pending.
        pending = [s for s in phase.steps if not _done(s) and c.step_key(s) not in ("not_applicable", "drift")]
        if pending and not _phase_complete(phase):
            title = f" — {text(phase.title)}" if phase.title else ""
            steps = ", ".join(code(s.step) for s in pending)
            lines.append(f"- Phase {code(phase.phase)}{title}: {c.plural(len(pending), 'step')} pending ({steps})")
    said = "\n".join(lines)
    lines += [f"- {text(n)}" for n in report.next_steps if n not in said and not _COVERED_HINTS.match(n)]
    return lines or ["Nothing is pending: every step of the plan is applied."]
