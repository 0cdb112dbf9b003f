"""``python`` steps: load ``module:function`` or ``file.py:function`` and call it.

The function gets a :class:`StepContext` (spec section 11) and may return an
int, the rows it affected. A module is imported with the plan's directory on
``sys.path``; a file is loaded from its path (relative to the plan file, made
absolute by the plan loader).
"""
from __future__ import annotations

import importlib
import importlib.util
import logging
import os
import sys
from dataclasses import dataclass, field
from typing import Any, Callable

import sqlalchemy as sa

from migrator.engine.batches import run_batches
from migrator.plan.model import PythonAction


class PythonStepError(Exception):
    """The step's function cannot be found or loaded (a step failure, not a bug)."""


@dataclass
class StepContext:
    """What a ``python`` step's function receives.

    ``connection`` is an SQLAlchemy ``Connection`` inside the step's transaction
    (``transaction: true``), ``dialect`` the dialect name (``sqlite``,
    ``postgresql``, ``mysql``), ``vars`` the plan's variables, ``log`` a logger.
    """

    connection: sa.Connection
    dialect: str
    vars: dict[str, Any]
    log: logging.Logger
    step: str = ""
    _commit_batches: bool = False
    _on_batch: Callable[[int], None] | None = field(default=None, repr=False)

    def batch(self, sql: str, size: int = 1000, **params: Any) -> int:
        """Repeat ``sql`` (which binds ``:batch_size``) until it affects 0 rows; the
        rows affected in all. In a ``transaction: false`` step each batch commits
        on its own (and the journal records the progress); otherwise all run in
        the step's transaction."""
        outcome = run_batches(
            self.connection,
            sql,
            size=size,
            params=params,
            commit_each=self._commit_batches,
            after_batch=self._on_batch,
        )
        return outcome.rows


def load_function(action: PythonAction, base_dir: str) -> Callable[[StepContext], Any]:
    """The step's function; PythonStepError with a one-line reason when it cannot be loaded."""
    try:
        if action.file is not None:
            path = action.file if os.path.isabs(action.file) else os.path.join(base_dir, action.file)
            if not os.path.isfile(path):
                raise PythonStepError(f"{action.target}: no such file {path}")
            name = f"migrator_step_{abs(hash(path))}"
            spec = importlib.util.spec_from_file_location(name, path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
        else:
            added = base_dir not in sys.path
            if added:
                sys.path.insert(0, base_dir)
            try:
                module = importlib.import_module(action.module)
            finally:
                if added:
                    sys.path.remove(base_dir)
    except PythonStepError:
        raise
    except Exception as e:  # the user's module failed to import: its error, on one line
        raise PythonStepError(f"{action.target}: cannot load: {type(e).__name__}: {e}") from None
    fn = getattr(module, action.function, None)
    if not callable(fn):
        raise PythonStepError(f"{action.target}: {action.function} is not a function of {module.__name__}")
    return fn
