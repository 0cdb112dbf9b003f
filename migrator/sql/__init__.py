"""SQL text handling: splitting a step's SQL into statements.

sqlglot is imported lazily by the functions that need it, so that ``migrator
--help`` and ``migrator validate`` never pay for it.
"""
from __future__ import annotations

from migrator.sql.split import sqlglot_dialect, split_statements, statements_of

__all__ = ["split_statements", "sqlglot_dialect", "statements_of"]
