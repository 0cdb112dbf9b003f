"""The plan format's vocabulary: the kinds of check and action, and the allowed values.

A leaf with no imports, so that validating a plan (``plan.build``'s checks)
can name the kinds without importing :mod:`migrator.plan.model`, whose frozen
dataclasses take milliseconds to create and which validate never builds (#9).
:mod:`migrator.plan.model` re-exports every name here.
"""
from __future__ import annotations

#: The kinds of check (spec section 3).
CHECK_KINDS = (
    "table_exists",
    "column_exists",
    "index_exists",
    "foreign_key_exists",
    "query",
    "no_rows",
    "row_count",
    "no_orphans",
    "unchanged",
    "step_applied",
    "dialect",
    "all",
    "any",
    "not",
)
ACTION_KINDS = ("sql", "sql_file", "python", "batch", "manual")
ON_FAIL = ("halt", "skip", "mark_applied", "warn")
RERUN = ("never", "always", "on_change")
DIALECTS = ("sqlite", "postgresql", "mysql")
COMPARATORS = ("eq", "ne", "gt", "ge", "lt", "le")
