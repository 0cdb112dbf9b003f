"""``python`` steps: load ``module:function`` or ``file.py:function`` and call it.

The function gets a :class:`StepContext` (spec section 11) and may return an
int, the rows it affected. A module is imported with the plan's directory on
``sys.path``; a file is loaded from its path (relative to the plan file, made
absolute by the plan loader) with its own directory on ``sys.path`` too, as
``python path/file.py`` would. Those directories stay on ``sys.path`` while the
function runs, so that an import inside the function finds the step's
neighbours as an import at the top of its module does.
"""
from __future__ import annotations

import functools
import importlib
import importlib.util
import logging
import os
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

import sqlalchemy as sa

from migrator.engine.batches import run_batches
from migrator.plan.model import PythonAction


class PythonStepError(Exception):
    """The step's function cannot be found or loaded (a step failure, not a bug)."""


class ExitCalled(Exception):
    """The step's function called ``sys.exit()``: that fails the step; it does not end
    migrator (which would exit with a code of the step's choosing and journal nothing)."""


class TransactionOwned(Exception):
    """The step's function called ``ctx.connection.commit()`` or ``rollback()`` in a
    ``transaction: true`` step. The call is refused before it reaches the database:
    migrator commits the step's transaction together with its journal row, and a commit
    of its own would leave the step's work committed with no journal row to say so."""


@contextmanager
def step_owns_transaction(conn: sa.Connection) -> Iterator[None]:
    """While a ``transaction: true`` step's function runs, ``conn.commit()`` and
    ``conn.rollback()`` raise :class:`TransactionOwned` instead of ending the step's
    transaction (SQLAlchemy 2's "commit as you go" style invites them). The connection
    stays a real ``Connection`` (pandas and the like check for one)."""

    def refuse(name: str) -> Callable[[], None]:
        def call() -> None:
            raise TransactionOwned(
                f"called ctx.connection.{name}() in a step with transaction: true, whose transaction migrator "
                "commits together with the step's journal row; remove the call, or set transaction: false to "
                "commit as it goes")
        return call

    conn.commit, conn.rollback = refuse("commit"), refuse("rollback")  # instance attributes shadow the methods
    try:
        yield
    finally:
        del conn.commit, conn.rollback


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
    """The step's function, ready to call with a context; PythonStepError with a
    one-line reason when it cannot be loaded."""
    from migrator.urls import first_line

    path = None
    search = [base_dir]
    if action.file is not None:
        path = action.file if os.path.isabs(action.file) else os.path.join(base_dir, action.file)
        search.insert(0, os.path.dirname(path))
    try:
        with _importable_from(search):
            if path is not None:
                if not os.path.isfile(path):
                    raise PythonStepError(f"{action.target}: no such file {path}")
                spec = importlib.util.spec_from_file_location(f"migrator_step_{abs(hash(path))}", path)
                module = importlib.util.module_from_spec(spec)
                spec.loader.exec_module(module)
            else:
                module = importlib.import_module(action.module)
    except PythonStepError:
        raise
    except Exception as e:  # the user's module failed to import: its error, on one line
        raise PythonStepError(f"{action.target}: cannot load: {type(e).__name__}: {first_line(e)}") from None
    fn = getattr(module, action.function, None)
    if not callable(fn):
        where = action.file if action.file is not None else action.module
        raise PythonStepError(f"{action.target}: {where} has no function {action.function}")

    @functools.wraps(fn)
    def call(ctx: StepContext) -> Any:
        with _importable_from(search):
            try:
                return fn(ctx)
            except SystemExit as e:
                raise ExitCalled(f"sys.exit({e.code!r}) was called") from None

    return call


@contextmanager
def _importable_from(directories: list[str]) -> Iterator[None]:
    """``directories`` first on ``sys.path`` for the duration; those added are removed after."""
    added = list(dict.fromkeys(d for d in directories if d not in sys.path))
    sys.path[:0] = added
    try:
        yield
    finally:
        for d in added:
            if d in sys.path:
                sys.path.remove(d)
