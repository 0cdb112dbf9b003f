"""Renderers: result records in, text out. Pure: no database, no printing, no clock.

- :func:`render` — a :class:`~migrator.report.RunReport` of ``plan``, ``apply``,
  ``status`` or ``verify`` as ``text``, ``markdown`` or ``json``;
- :func:`render_summary` — the ``apply --report FILE`` Markdown summary;
- :func:`render_findings` — ``lint`` output;
- :func:`render_issues` — validation issues, one ``file:line:col: path: message`` per line.
"""
from __future__ import annotations

import importlib
from collections.abc import Iterable

from migrator.errors import Issue, UsageError
from migrator.report import Finding, RunReport

FORMATS = ("text", "markdown", "json")
#: Commands with a layout of their own; any other (rollback, resolve) reads like apply.
COMMANDS = ("plan", "apply", "status", "verify", "rollback", "resolve")

__all__ = ["COMMANDS", "FORMATS", "render", "render_findings", "render_issues", "render_summary"]


def _renderer(fmt: str):
    """The module that renders ``fmt``, imported on first use: a command loads only the one it prints."""
    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r}: expected one of {', '.join(FORMATS)}")
    return importlib.import_module(f"migrator.render.{fmt}")


def render(report: RunReport, fmt: str, *, color: bool = False) -> str:
    """``report`` as ``fmt`` (``text``, ``markdown`` or ``json``).

    Args:
        report: the result of ``plan``, ``apply``, ``status`` or ``verify``
            (``report.command`` picks the layout; ``rollback`` and
            ``resolve`` reports read like ``apply``).
        fmt: the output format.
        color: ANSI colours in ``text`` (the CLI passes True on a terminal
            without ``NO_COLOR``); ignored by the other formats.
    """
    renderer = _renderer(fmt)
    return renderer.render_report(report, color=color) if fmt == "text" else renderer.render_report(report)


def render_summary(report: RunReport, date: str | None = None) -> str:
    """The Markdown summary written by ``apply --report FILE``; ``date`` is shown when given."""
    return _renderer("markdown").render_summary(report, date)


def render_findings(findings: Iterable[Finding], fmt: str = "text", *, color: bool = False) -> str:
    """``lint`` findings as ``text`` (``file:line:col:`` first, for editors and CI), ``json`` or ``markdown``."""
    renderer = _renderer(fmt)
    return renderer.render_findings(findings, color=color) if fmt == "text" else renderer.render_findings(findings)


def render_issues(issues: Iterable[Issue]) -> str:
    """One ``file:line:col: path: message`` per line."""
    return _renderer("text").render_issues(issues)
