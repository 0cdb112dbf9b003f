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
import inspect
import logging
import os
import sys
from contextlib import contextmanager, redirect_stdout
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
    one-line reason when it cannot be loaded.

    The modules the step imports from its directories are its own: they leave
    ``sys.modules`` when the call ends, so that the next step's ``import helpers``
    finds the ``helpers.py`` beside *it*, as ``python step.py`` would, not an earlier
    step's. What the step prints goes to stderr, where progress goes: stdout carries
    the report (``--format json``)."""
    from migrator.urls import first_line

    path = None
    search = [base_dir]
    if action.file is not None:
        path = action.file if os.path.isabs(action.file) else os.path.join(base_dir, action.file)
        search.insert(0, os.path.dirname(path))
    before = set(sys.modules)
    private = None
    try:
        with _importable_from(search), _stdout_to_stderr():
            if path is not None:
                if not os.path.isfile(path):
                    raise PythonStepError(f"{action.target}: no such file {path}")
                private = f"migrator_step_{abs(hash(path))}"
                spec = importlib.util.spec_from_file_location(private, path)
                module = importlib.util.module_from_spec(spec)
                # Registered as an import would be: dataclasses, pickle and typing look it up there.
                sys.modules[private] = module
                spec.loader.exec_module(module)
            else:
                _refuse_shadowed(action, base_dir)
                module = importlib.import_module(action.module)
    except PythonStepError:
        _forget_modules(before, search, private)
        raise
    except KeyboardInterrupt:
        _forget_modules(before, search, private)
        raise
    except SystemExit as e:  # at import: the step fails; migrator does not end with the step's code
        _forget_modules(before, search, private)
        raise PythonStepError(f"{action.target}: cannot load: sys.exit({e.code!r}) was called") from None
    except BaseException as e:  # the user's module failed to import: its error, on one line
        _forget_modules(before, search, private)
        raise PythonStepError(f"{action.target}: cannot load: {type(e).__name__}: {first_line(e)}") from None
    fn = getattr(module, action.function, None)
    where = action.file if action.file is not None else _module_origin(module)
    problem = None
    if not callable(fn):
        problem = f"{where} has no function {action.function}"
    elif inspect.iscoroutinefunction(fn) or inspect.isasyncgenfunction(fn):
        problem = (f"{action.function} is async def; a step's function is called synchronously, inside the "
                   f"step's transaction: write def {action.function}(ctx)")
    elif inspect.isgeneratorfunction(fn):
        problem = (f"{action.function} is a generator function (it yields), so its body would not run; "
                   "return the rows affected (or None) instead of yielding")
    if problem is not None:
        _forget_modules(before, search, private)
        raise PythonStepError(f"{action.target}: {problem}")

    @functools.wraps(fn)
    def call(ctx: StepContext) -> Any:
        try:
            with _importable_from(search), _stdout_to_stderr():
                try:
                    return fn(ctx)
                except SystemExit as e:
                    raise ExitCalled(f"sys.exit({e.code!r}) was called") from None
                except (Exception, KeyboardInterrupt):
                    raise
                except BaseException as e:  # not an Exception, yet the step's own failure: one line too
                    first = first_line(e)
                    raise PythonStepError(f"{action.target}: {type(e).__name__}" + (f": {first}" if first else "")) from None
        finally:
            _forget_modules(before, search, private)

    return call


def rows_returned(target: str, value: Any) -> int:
    """The rows a step's function says it affected: its int (a negative one, the DB-API's
    "unknown" rowcount, counts none); anything else counts none. A coroutine or generator
    is refused: the function's body did not run (a decorator hid ``async def``/``yield``)."""
    if inspect.iscoroutine(value) or inspect.isgenerator(value) or inspect.isasyncgen(value):
        close = getattr(value, "close", None) or getattr(value, "aclose", None)
        if inspect.isasyncgen(value):
            close = None  # aclose() is itself a coroutine; the generator never started
        if close is not None:
            close()  # it never started: closing it avoids "coroutine was never awaited"
        kind = type(value).__name__
        raise PythonStepError(f"{target}: returned a {kind}, so its body did not run; a step's function is a "
                              "plain def that does its work and returns the rows affected (or None)")
    if not isinstance(value, int) or isinstance(value, bool):
        return 0
    if value > _MAX_ROWS:
        raise PythonStepError(f"{target}: returned {value}, which is no count of rows; return the rows affected "
                              "(or None)")
    return max(value, 0)


#: The journal's rows_affected is a BIGINT.
_MAX_ROWS = 2**63 - 1


def _refuse_shadowed(action: PythonAction, base_dir: str) -> None:
    """A ``module:function`` whose module is in the plan's directory but whose name is
    taken by a module already imported from elsewhere (``json``, ``yaml``, ``click``):
    importing it would give that other module, which is not what the step means."""
    top = action.module.split(".")[0]
    loaded = sys.modules.get(top)
    if loaded is None:
        return
    local = next((c for c in (os.path.join(base_dir, top + ".py"), os.path.join(base_dir, top))
                  if os.path.exists(c)), None)
    if local is None or _from_directory(loaded, top, base_dir):
        return
    raise PythonStepError(
        f"{action.target}: {local} is shadowed by {_module_origin(loaded)}, which migrator has already "
        f"imported; rename it, or write {os.path.basename(local)}"
        f"{'' if local.endswith('.py') else '/__init__.py'}:{action.function} to load that file")


def _module_origin(module: Any) -> str:
    origin = getattr(module, "__file__", None)
    return f"{module.__name__} ({origin})" if origin else module.__name__


def _from_directory(module: Any, name: str, directory: str) -> bool:
    """Whether ``module`` (named ``name``) was imported from ``directory`` on ``sys.path``."""
    origin = getattr(module, "__file__", None)
    top = name.split(".")[0]
    if origin:
        origin = os.path.realpath(origin)
        home = os.path.realpath(os.path.join(directory, top))
        return origin == home + ".py" or origin.startswith(home + os.sep)
    paths = list(getattr(module, "__path__", None) or ())  # a namespace package
    return any(os.path.realpath(p) == os.path.realpath(os.path.join(directory, top)) for p in paths)


def _forget_modules(before: set[str], directories: list[str], private: str | None) -> None:
    """Drop the modules a step imported from its own directories (not the libraries it
    imported from site-packages, which may not be imported twice)."""
    for name in [n for n in sys.modules if n not in before]:
        module = sys.modules.get(name)
        if name == private or any(_from_directory(module, name, d) for d in directories):
            sys.modules.pop(name, None)


@contextmanager
def _stdout_to_stderr() -> Iterator[None]:
    """``print()`` in a step (and what a subprocess it starts writes to fd 1) goes to
    stderr, with the progress lines: stdout holds only the report."""
    try:
        sys.stdout.flush()
    except (AttributeError, ValueError, OSError):
        pass
    saved = None
    try:
        if sys.__stdout__ is not None and sys.__stdout__.fileno() == 1 and sys.__stderr__ is not None:
            sys.__stdout__.flush()
            saved = os.dup(1)
            os.dup2(sys.__stderr__.fileno(), 1)
    except (AttributeError, ValueError, OSError):
        saved = None
    try:
        with redirect_stdout(sys.stderr):
            yield
    finally:
        try:
            sys.stderr.flush()
        except (AttributeError, ValueError, OSError):
            pass
        if saved is not None:
            os.dup2(saved, 1)
            os.close(saved)


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
