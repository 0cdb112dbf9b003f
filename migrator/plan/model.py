"""The plan model: frozen dataclasses built from a validated plan document.

A :class:`Plan` is what every later stage works from. By the time one exists the
document has passed the JSON schema and the semantic checks, ``${vars}`` are
substituted, ``sql_file`` contents are read and every step carries its
checksum. Nothing here touches a database or imports SQLAlchemy.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Union

from migrator.errors import Location
# Re-exported: the vocabulary moved to a leaf module so that validate need not import this one.
from migrator.plan.kinds import ACTION_KINDS, CHECK_KINDS, COMPARATORS, DIALECTS, ON_FAIL, RERUN  # noqa: F401


@dataclass(frozen=True, slots=True)
class CheckSpec:
    """One precondition or verification.

    ``arg`` is the kind's value after variable substitution: a string for
    ``table_exists``/``query``/``no_rows``/``unchanged``/``step_applied``, a dict for
    ``column_exists``/``index_exists``/``foreign_key_exists``/``row_count``/``no_orphans``
    (as written, keys unchanged), a tuple of dialect names for ``dialect``, a tuple of
    :class:`CheckSpec` for ``all``/``any`` and a single :class:`CheckSpec` for ``not``.

    ``expect`` is the normalised expectation of ``query`` and ``row_count``:
    ``(comparator, value)``, e.g. ``("eq", 0)``.
    """

    kind: str
    arg: Any
    path: str  # e.g. "phases[0].steps[1].verify[0]"
    location: Location
    name: str | None = None
    message: str | None = None
    on_fail: str | None = None  # preconditions only; None means "halt"
    expect: tuple[str, Any] | None = None

    @property
    def label(self) -> str:
        """What reports call this check: its ``name``, else ``kind: arg``."""
        if self.name:
            return self.name
        return f"{self.kind}: {describe_arg(self.arg)}"

    @property
    def effective_on_fail(self) -> str:
        return self.on_fail or "halt"

    def walk(self):
        """This check and every nested one (for ``all``/``any``/``not``)."""
        yield self
        if self.kind in ("all", "any"):
            for child in self.arg:
                yield from child.walk()
        elif self.kind == "not":
            yield from self.arg.walk()


def describe_arg(arg: Any) -> str:
    if isinstance(arg, CheckSpec):
        return arg.label
    if isinstance(arg, tuple) and arg and isinstance(arg[0], CheckSpec):
        return ", ".join(c.label for c in arg)
    if isinstance(arg, dict):
        return ", ".join(f"{k}={v}" for k, v in arg.items())
    if isinstance(arg, (list, tuple)):
        return ", ".join(str(a) for a in arg)
    text = " ".join(str(arg).split())
    return text if len(text) <= 80 else text[:77] + "..."


@dataclass(frozen=True, slots=True)
class SqlAction:
    """``sql`` (a string or list of strings) or ``sql_file``.

    ``texts`` are the strings as written (after substitution), each of which may
    hold several statements; splitting is dialect-aware and happens in
    :mod:`migrator.sql.split`. ``file`` is the ``sql_file`` path as written.
    """

    texts: tuple[str, ...]
    file: str | None = None
    kind: str = "sql"  # "sql" or "sql_file"


@dataclass(frozen=True, slots=True)
class PythonAction:
    """``python: module:function`` or ``python: path/file.py:function``.

    ``file`` is the absolute path of the ``.py`` file, or None for a module.
    """

    target: str
    module: str | None
    file: str | None
    function: str
    kind: str = "python"


@dataclass(frozen=True, slots=True)
class BatchAction:
    """``batch``: repeat ``sql`` (with ``:batch_size``) until it affects 0 rows."""

    sql: str
    size: int = 1000
    total: str | None = None
    pause_ms: int = 0
    max_batches: int | None = None
    kind: str = "batch"


@dataclass(frozen=True, slots=True)
class ManualAction:
    """``manual``: instructions for a person; ``apply`` waits for confirmation."""

    instructions: str
    kind: str = "manual"


Action = Union[SqlAction, PythonAction, BatchAction, ManualAction]


@dataclass(frozen=True, slots=True)
class Step:
    """One step of a phase. ``action`` is None for a check step."""

    id: str
    phase: str
    path: str
    location: Location
    action: Action | None
    checksum: str
    title: str | None = None
    description: str | None = None
    preconditions: tuple[CheckSpec, ...] = ()
    verify: tuple[CheckSpec, ...] = ()
    rollback: SqlAction | None = None
    requires: tuple[str, ...] = ()
    idempotent: bool = False
    rerun: str = "never"
    transaction: bool = True
    optional: bool = False
    when_dialects: tuple[str, ...] | None = None  # None: every dialect
    tags: tuple[str, ...] = ()
    allow: tuple[str, ...] = ()

    @property
    def action_kind(self) -> str:
        """``sql``, ``sql_file``, ``python``, ``batch``, ``manual`` or ``check``."""
        return self.action.kind if self.action is not None else "check"

    @property
    def label(self) -> str:
        return self.title or self.id

    def applies_to(self, dialect: str) -> bool:
        return self.when_dialects is None or dialect in self.when_dialects


@dataclass(frozen=True, slots=True)
class Phase:
    id: str
    path: str
    location: Location
    steps: tuple[Step, ...]
    title: str | None = None
    description: str | None = None
    preconditions: tuple[CheckSpec, ...] = ()
    verify: tuple[CheckSpec, ...] = ()
    #: Digest of what ``verify`` tests, journaled with each outcome of it (see
    #: :func:`migrator.plan.build.checks_checksum`).
    verify_checksum: str = ""

    @property
    def label(self) -> str:
        return self.title or self.id


@dataclass(frozen=True, slots=True)
class Plan:
    """A validated plan. ``source`` is the plan file's path as given; ``base_dir``
    the directory that ``sql_file``/``python`` paths are relative to."""

    name: str
    source: str
    base_dir: str
    phases: tuple[Phase, ...]
    description: str | None = None
    vars: dict[str, Any] = field(default_factory=dict)  # after --var overrides

    @property
    def steps(self) -> tuple[Step, ...]:
        return tuple(s for p in self.phases for s in p.steps)

    def step(self, step_id: str) -> Step:
        for s in self.steps:
            if s.id == step_id:
                return s
        raise KeyError(step_id)

    def phase(self, phase_id: str) -> Phase:
        for p in self.phases:
            if p.id == phase_id:
                return p
        raise KeyError(phase_id)

    def has_id(self, ident: str) -> bool:
        return any(p.id == ident for p in self.phases) or any(s.id == ident for s in self.steps)
