"""What a check function gets (:class:`CheckContext`) and gives back (:class:`Found`)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from migrator.checks.catalog import Catalog, TableRef, split_name
from migrator.dialects import dialect_name, get_dialect
from migrator.dialects.base import Dialect


@dataclass(frozen=True, slots=True)
class CheckContext:
    """Everything a check may use during one run.

    ``conn`` is the SQLAlchemy Connection; ``dialect`` migrator's dialect name;
    ``catalog`` the run's cached :class:`Catalog`; ``is_applied`` the journal
    lookup behind ``step_applied`` (None: no journal, the check is not evaluated);
    ``before`` holds ``unchanged`` results captured before a step, keyed by check path.
    ``dataclasses.replace(ctx, conn=other)`` keeps the catalog and ``before``.
    """

    conn: Any
    dialect: str
    catalog: Catalog
    is_applied: Callable[[str], bool] | None = None
    before: dict = field(default_factory=dict)

    @classmethod
    def create(cls, conn, dialect: str | None = None, is_applied: Callable[[str], bool] | None = None) -> "CheckContext":
        name = dialect_name(dialect or conn.dialect.name)
        return cls(conn=conn, dialect=name, catalog=Catalog(get_dialect(name)), is_applied=is_applied)

    @property
    def db(self) -> Dialect:
        return self.catalog.dialect

    def quote_table(self, ref: TableRef) -> str:
        name = self.db.quote(ref.name)
        return f"{self.db.quote(ref.schema)}.{name}" if ref.qualified else name


@dataclass(frozen=True, slots=True)
class Found:
    """What a check function found; :func:`migrator.checks.evaluate` makes it a CheckResult."""

    held: bool | None
    detail: str
    count: int | None = None
    columns: tuple[str, ...] = ()
    sample: tuple[tuple, ...] = ()
    error: str | None = None
    children: tuple = ()


class Unmet(Exception):
    """Ends a check as failed with this one-line detail (e.g. "table users does not exist")."""


# --- helpers shared by the check functions ----------------------------------------


def names(value: Any) -> tuple[str, ...]:
    """``columns`` as written: a name or a list of names."""
    if value is None:
        return ()
    if isinstance(value, (list, tuple)):
        return tuple(str(v) for v in value)
    return (str(value),)


def joined(items) -> str:
    return ", ".join(str(i) for i in items)


def show_table(ref: TableRef) -> str:
    return f"{ref.schema}.{ref.name}" if ref.qualified else ref.name


def need_table(ctx: CheckContext, text: Any, role: str = "table") -> TableRef:
    ref = ctx.catalog.table(ctx.conn, str(text))
    if ref is None:
        near = ctx.catalog.near_table(ctx.conn, str(text))
        hint = f" (found {near}, which differs in case)" if near else ""
        raise Unmet(f"{role} {text} does not exist{hint}")
    return ref


def need_columns(ctx: CheckContext, ref: TableRef, given: tuple[str, ...]) -> tuple[str, ...]:
    """The catalog names of ``given`` columns of ``ref``; a missing one ends the check."""
    found = []
    for name in given:
        column = ctx.catalog.column(ctx.conn, ref, name)
        if column is None:
            raise Unmet(f"column {show_table(ref)}.{name} does not exist")
        found.append(column.name)
    return tuple(found)


def parse_references(value: Any) -> tuple[str, tuple[str, ...]]:
    """``references`` as ``(table text, columns)``: ``"users.id"``, ``"public.users.id"``,
    ``{table: users, columns: [id]}``; no columns means the referenced primary key."""
    if isinstance(value, dict):
        return str(value.get("table", "")), names(value.get("columns", value.get("column")))
    parts = split_name(str(value))
    if len(parts) == 1:
        return _join(parts), ()
    return _join(parts[:-1]), (parts[-1][0],)


def _join(parts: list[tuple[str, bool]]) -> str:
    return ".".join('"' + n.replace('"', '""') + '"' if quoted else n for n, quoted in parts)
