"""JSON documents: one per command, described by ``schemas/report.schema.json``."""
from __future__ import annotations

import json
from collections.abc import Iterable

from migrator.render import common as c
from migrator.report import Finding, RunReport

#: Bumped when a field is removed or changes meaning (adding one is compatible).
SCHEMA_VERSION = 1


def render_report(report: RunReport) -> str:
    return _dump({"schema_version": SCHEMA_VERSION, **report.to_dict()})


def render_findings(findings: Iterable[Finding]) -> str:
    """``lint --format json``: the findings, their counts and whether lint passes."""
    findings = list(findings)
    return _dump(
        {
            "schema_version": SCHEMA_VERSION,
            "command": "lint",
            "ok": not any(f.blocking for f in findings),
            "counts": {
                "error": sum(1 for f in findings if f.severity == "error"),
                "warning": sum(1 for f in findings if f.severity == "warning"),
                "accepted": sum(1 for f in findings if f.accepted),
            },
            "findings": [f.to_dict() for f in findings],
        }
    )


def render_issues(issues) -> str:
    return _dump({"schema_version": SCHEMA_VERSION, "issues": [i.to_dict() for i in issues]})


def _dump(doc: dict) -> str:
    # ensure_ascii=False: names and sample values stay readable (✓, é); sort_keys
    # is not used so that the order matches the records' field order.
    return json.dumps(doc, indent=2, ensure_ascii=False, default=c.cell) + "\n"
