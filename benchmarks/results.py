"""Result rows and the Markdown they are shown as."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Row:
    """One line of the results table. ``passed`` is None for a row without a
    target (information) or a benchmark that was skipped (``note`` says why)."""

    benchmark: str
    migrator: str
    baseline: str = "—"
    ratio: str = "—"
    target: str = "—"
    passed: bool | None = None
    note: str = ""

    @property
    def verdict(self) -> str:
        if self.passed is None:
            return "skipped" if self.note.startswith("skipped") else "info"
        return "pass" if self.passed else "**FAIL**"


def seconds(value: float) -> str:
    return f"{value:.3f} s" if value < 10 else f"{value:.1f} s"


def ratio(value: float) -> str:
    return f"{value:.2f}×"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def table(rows: list[Row]) -> str:
    """The results as a Markdown table (notes in a last column)."""
    lines = ["| benchmark | migrator | baseline | ratio | target | result | note |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        cells = (r.benchmark, r.migrator, r.baseline, r.ratio, r.target, r.verdict, r.note)
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(lines)


def document(rows: list[Row], machine: list[tuple[str, str]], *, command: str, started: str,
             load: tuple[float, float], runs: int, notes: str) -> str:
    """RESULTS.md: how it was run, on what, the table, and the notes."""
    passed = sum(r.passed is True for r in rows)
    failed = sum(r.passed is False for r in rows)
    parts = [
        "# Benchmark results",
        "",
        f"`{command}`, {started}; median of {runs} run{'s' if runs != 1 else ''} per figure, "
        f"ratios computed from figures of the same run. Load average (1 min) {load[0]:.2f} at the start, "
        f"{load[1]:.2f} at the end. Targets: {passed} met, {failed} missed.",
        "",
        table(rows),
        "",
        "## Machine",
        "",
        "| | |",
        "|---|---|",
        *(f"| {k} | {_cell(v)} |" for k, v in machine),
        "",
    ]
    if notes.strip():
        parts += [notes.strip(), ""]
    return "\n".join(parts)


def write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
