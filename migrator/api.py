"""The Python API: one function per command. Returns values; never prints.

The CLI is a thin layer over these functions, and tests call them directly.
SQLAlchemy is imported only inside the functions that talk to a database, so
``validate`` stays fast.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from migrator.errors import Issue, MigratorError, PlanInvalid, UsageError

# --- validate / schema / init ------------------------------------------------
