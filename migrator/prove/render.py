"""``migrator test`` output: a :class:`~migrator.prove.proof.ProofReport` as text,
Markdown (for a pull request, next to the dry run) or JSON.

Deterministic: proofs in plan order, differences sorted, no clock; two runs on
the same plan give the same text.
"""
from __future__ import annotations

import json

from migrator.errors import UsageError
from migrator.prove.proof import ProofReport, StepProof
from migrator.render import markdown as md

FORMATS = ("text", "markdown", "json")
_ICONS = {"proved": "✅", "failed": "❌", "unproved": "➖"}
_WORDS = {"proved": "proved", "failed": "FAILED", "unproved": "unproved"}


def render(report: ProofReport, fmt: str) -> str:
    """``report`` as ``text``, ``markdown`` or ``json``."""
    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r}: expected one of {', '.join(FORMATS)}")
    return {"text": render_text, "markdown": render_markdown, "json": render_json}[fmt](report)


def render_json(report: ProofReport) -> str:
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n"


def _where(report: ProofReport) -> str:
    setup = f", after setup plan {report.setup}" if report.setup else ""
    return f"on {report.dialect} ({report.database}){setup}"


def render_text(report: ProofReport) -> str:
    lines = [f"Test {report.plan} ({report.source}) {_where(report)}", ""]
    if report.error:
        lines += [f"error: {report.error}", ""]
    width = max((len(p.step) for p in report.proofs), default=0)
    for p in report.proofs:
        lines += _proof_lines(p, width)
    if report.not_applicable:
        lines += ["", f"not applicable on {report.dialect}: {', '.join(report.not_applicable)}"]
    if report.notes:
        lines.append("")
        lines += [f"note: {n}" for n in report.notes]
    lines += ["", report.summary()]
    return "\n".join(lines) + "\n"


def render_failures(report: ProofReport) -> str:
    """Only what failed, as in the text report (``-q``: only errors); empty when nothing did."""
    failed = [p for p in report.proofs if p.status == "failed"]
    lines = [f"error: {report.error}"] if report.error else []
    width = max((len(p.step) for p in failed), default=0)
    for p in failed:
        lines += _proof_lines(p, width)
    return "\n".join(lines) + "\n" if lines else ""


def _proof_lines(p: StepProof, width: int) -> list[str]:
    return [f"  {_WORDS[p.status]:<9} {p.step:<{width}}  {p.kind or '-':<10}  {p.detail}"] + [
        f"{'':12}- {line}" for line in p.diff
    ]


def render_markdown(report: ProofReport) -> str:
    lines = [f"## migrator test: {md.code(report.plan)}", ""]
    counts = " · ".join(f"{n} {status}" for status, n in report.counts.items())
    lines += [f"**Summary:** {counts} — {md.text(_where(report))}", ""]
    if report.error:
        lines += [f"❌ {md.text(report.error)}", ""]
    rows = [
        [md.code(p.step), md.text(p.kind or "—"), f"{_ICONS[p.status]} {p.status}", md.table_cell(p.detail)]
        for p in report.proofs
    ]
    if rows:
        lines += md.table(["step", "proof", "result", "detail"], rows) + [""]
    failed = [p for p in report.proofs if p.diff]
    if failed:
        lines += ["### Differences", ""]
        for p in failed:
            lines += _diff_block(p)
    if report.not_applicable:
        names = ", ".join(md.code(s) for s in report.not_applicable)
        lines += [f"Not applicable on {md.text(report.dialect)}: {names}", ""]
    lines += [f"- {md.text(n)}" for n in report.notes]
    return "\n".join(lines).rstrip("\n") + "\n"


def _diff_block(p: StepProof) -> list[str]:
    head = f"{md.code(p.step)} ({md.text(p.kind or 'step')}): {md.text(p.detail)}"
    return [head, ""] + [f"- {md.text(line)}" for line in p.diff] + [""]
