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


@dataclass(frozen=True)
class FileValidation:
    """The outcome of validating one plan file."""

    path: str
    issues: tuple[Issue, ...]
    phases: int = 0
    steps: int = 0

    @property
    def ok(self) -> bool:
        return not self.issues


@dataclass(frozen=True)
class ValidationResults:
    """``validate`` over several files: every problem of every file, in a stable order."""

    files: tuple[FileValidation, ...]

    @property
    def ok(self) -> bool:
        return all(f.ok for f in self.files)

    @property
    def issues(self) -> tuple[Issue, ...]:
        return tuple(i for f in self.files for i in f.issues)

    def lines(self) -> list[str]:
        """``ok FILE: N phases, M steps`` per good file; one line per issue otherwise."""
        out: list[str] = []
        for f in self.files:
            if f.ok:
                out.append(f"ok {f.path}: {_count(f.phases, 'phase')}, {_count(f.steps, 'step')}")
            else:
                out.extend(str(i) for i in f.issues)
        return out


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def validate(paths, *, variables: dict[str, str] | None = None) -> ValidationResults:
    """Validate plan files (schema and semantics); never raises for a bad plan.

    Args:
        paths: plan files.
        variables: ``--var`` overrides, applied to every file.
    """
    from migrator.plan.build import plan_issues

    results = []
    for path in paths:
        issues, phases, steps = plan_issues(str(path), variables)
        results.append(FileValidation(str(path), tuple(issues), phases, steps))
    return ValidationResults(tuple(results))


def load(path: str, variables: dict[str, str] | None = None):
    """Load a plan or raise PlanInvalid (exit 2) with every issue."""
    from migrator.plan.build import load_plan

    return load_plan(str(path), variables)


def schema_text() -> str:
    """The plan format's JSON schema (the document in schemas/plan.schema.json)."""
    from migrator.plan.schema import schema_text as text

    return text()


def init(directory: str = ".", *, name: str = "plan.yaml", force: bool = False) -> Path:
    """Write a commented starter plan into ``directory``; returns its path.

    Refuses (UsageError) to overwrite an existing file unless ``force``.
    """
    from migrator.starter import SCHEMA_FILE, STARTER_PLAN

    target = Path(directory) / name
    if target.exists() and not force:
        raise UsageError(f"{target} already exists (use --force to overwrite it)")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(STARTER_PLAN, encoding="utf-8")
        # The modeline points at a copy beside the plan, so editors work offline.
        (target.parent / SCHEMA_FILE).write_text(schema_text(), encoding="utf-8")
    except OSError as e:
        raise UsageError(f"cannot write {target}: {e.strerror or e}") from None
    return target


# --- inspect -------------------------------------------------------------------


def inspect(url: str | None = None):
    """Inspect the database at ``url`` (spec section 9); changes nothing.

    Finds reference-like columns without a foreign key (with their orphan
    counts), foreign keys without an index and tables without a primary key.

    Args:
        url: an SQLAlchemy URL; None means ``$MIGRATOR_DATABASE_URL``, else the default.

    Returns:
        a :class:`migrator.inspect.InspectResult`.
    """
    from migrator.db import connect
    from migrator.inspect import inspect_database

    with connect(url) as conn:
        return inspect_database(conn)


def write_inspect_plan(result, path: str, *, name: str = "inspect-fixes") -> Path | None:
    """Write the plan that fixes what :func:`inspect` found to ``path``.

    Like ``init``, the schema modeline points at a copy of the JSON schema
    beside the plan, written too. Returns the path, or None (and writes nothing)
    when there is nothing to fix.
    """
    import re

    from migrator.inspect import emit_plan
    from migrator.starter import SCHEMA_FILE

    if not re.fullmatch(r"[a-z0-9][a-z0-9._-]*", name):
        raise UsageError(f"--name {name!r}: a plan name is lower case letters, digits, '.', '_' and '-'")
    if not result.fixable:
        return None
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(emit_plan(result, name=name, schema_ref=SCHEMA_FILE), encoding="utf-8")
        (target.parent / SCHEMA_FILE).write_text(schema_text(), encoding="utf-8")
    except OSError as e:
        raise UsageError(f"cannot write {target}: {e.strerror or e}") from None
    return target
