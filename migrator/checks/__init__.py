"""The checks library (spec section 3): preconditions and verifications.

The runner builds one :class:`CheckContext` per run and calls :func:`evaluate`
(or :func:`evaluate_all`) for each :class:`~migrator.plan.model.CheckSpec`; every
check gives a :class:`~migrator.report.CheckResult`: held or not, one line of what
was found against what was expected, and for ``no_rows``/``no_orphans`` the count
and up to 5 sample rows. A check whose own SQL is broken is a failed result with
the database's message (``error``), never an exception, and runs in a savepoint
so the caller's transaction survives it. ``unchanged`` needs
:func:`capture_before` before the step.
"""
from __future__ import annotations

from typing import Callable, Iterable

from migrator.checks import data_checks, logic, schema_checks
from migrator.checks.catalog import Catalog, NameInvalid, SqlError
from migrator.checks.compare import expectation_text, normalize_expect
from migrator.checks.context import CheckContext, Found, Unmet, joined, names, parse_references
from migrator.plan.model import CheckSpec
from migrator.report import CheckResult

__all__ = ["CHECKS", "Catalog", "CheckContext", "capture_before", "describe", "evaluate", "evaluate_all", "prefetch"]

CheckFn = Callable[[CheckSpec, CheckContext], Found]

#: The check kinds (spec section 3) and the function answering each.
CHECKS: dict[str, CheckFn] = {
    "table_exists": schema_checks.table_exists,
    "column_exists": schema_checks.column_exists,
    "index_exists": schema_checks.index_exists,
    "foreign_key_exists": schema_checks.foreign_key_exists,
    "query": data_checks.query,
    "no_rows": data_checks.no_rows,
    "row_count": data_checks.row_count,
    "no_orphans": data_checks.no_orphans,
    "unchanged": data_checks.unchanged,
    "step_applied": logic.step_applied,
    "dialect": logic.dialect,
    "all": logic.all_,
    "any": logic.any_,
    "not": logic.not_,
}


def evaluate(spec: CheckSpec, ctx: CheckContext) -> CheckResult:
    """Run one check now and say what was found.

    Never raises for a check that cannot hold: a missing table, a broken query or
    a database error is a failed result (``error`` carries the database's message).
    """
    try:
        check = CHECKS[spec.kind]
    except KeyError:
        raise ValueError(f"unknown check kind {spec.kind!r}") from None
    try:
        found = check(spec, ctx)
    except SqlError as e:
        found = Found(False, f"the check's SQL failed: {e}", error=str(e))
    except (Unmet, NameInvalid) as e:
        found = Found(False, str(e))
    return CheckResult(
        kind=spec.kind,
        label=spec.label,
        held=found.held,
        detail=found.detail,
        path=spec.path,
        message=spec.message if found.held is False else None,
        count=found.count,
        columns=tuple(str(c) for c in found.columns),
        sample=found.sample,
        error=found.error,
        on_fail=spec.on_fail,
        children=found.children,
    )


def evaluate_all(specs: Iterable[CheckSpec], ctx: CheckContext) -> tuple[CheckResult, ...]:
    """Evaluate checks in order, reading the catalog of all their tables at once."""
    specs = tuple(specs)
    prefetch(specs, ctx)
    return tuple(evaluate(spec, ctx) for spec in specs)


def capture_before(specs: Iterable[CheckSpec], ctx: CheckContext) -> None:
    """Run the ``unchanged`` queries among ``specs`` (nested ones too) before the step."""
    for spec in specs:
        for check in spec.walk():
            if check.kind == "unchanged":
                data_checks.capture(check, ctx)


def prefetch(specs: Iterable[CheckSpec], ctx: CheckContext) -> None:
    """Tell the catalog which tables these checks will read, so each kind of catalog
    read is one query for all of them."""
    tables = [t for spec in specs for check in spec.walk() for t in _tables_of(check)]
    if tables:
        try:
            ctx.catalog.want(ctx.conn, tables)
        except SqlError:
            pass  # each check then reports the database's message itself


def describe(spec: CheckSpec) -> str:
    """What the check asks, in words (for dry runs, where it is not evaluated)."""
    arg = spec.arg
    kind = spec.kind
    if kind == "table_exists":
        return f"table {arg} exists"
    if kind == "column_exists":
        extra = [str(arg["type"])] if arg.get("type") else []
        if arg.get("nullable") is not None:
            extra.append("nullable" if arg["nullable"] else "NOT NULL")
        return f"column {arg['table']}.{arg['column']} exists" + (f" ({', '.join(extra)})" if extra else "")
    if kind == "index_exists":
        unique = "unique " if arg.get("unique") else "non-unique " if arg.get("unique") is False else ""
        name = f" {arg['name']}" if arg.get("name") else ""
        cols = f"({joined(names(arg.get('columns')))})" if arg.get("columns") else ""
        return f"{unique}index{name} on {arg['table']}{cols} exists"
    if kind in ("foreign_key_exists", "no_orphans"):
        table, ref_cols = parse_references(arg["references"])
        link = f"{arg['table']}({joined(names(arg['columns']))}) → {table}({joined(ref_cols) or 'primary key'})"
        if kind == "no_orphans":
            return f"every {link} value has its row"
        return f"foreign key {link}" + (f" ON DELETE {str(arg['on_delete']).upper()}" if arg.get("on_delete") else "") + " exists"
    if kind in ("query", "row_count"):
        op, value = normalize_expect(spec.expect if spec.expect is not None else (arg.get("expect") if isinstance(arg, dict) else None))
        if kind == "row_count":
            where = f" where {arg['where']}" if arg.get("where") else ""
            return f"row count of {arg['table']}{where} is {expectation_text(op, value)}"
        return f"{_sql(arg)} returns {expectation_text(op, value)}"
    if kind == "no_rows":
        return f"{_sql(arg)} returns no rows"
    if kind == "unchanged":
        return f"{_sql(arg)} returns the same result after the step as before it"
    if kind == "step_applied":
        return f"step {arg} is applied"
    if kind == "dialect":
        return "database is " + " or ".join((arg,) if isinstance(arg, str) else arg)
    if kind == "not":
        return f"not ({describe(arg)})"
    word = " and " if kind == "all" else " or "
    return "(" + word.join(describe(child) for child in arg) + ")"


def _tables_of(spec: CheckSpec) -> list[str]:
    if spec.kind == "table_exists":
        return [str(spec.arg)]
    if isinstance(spec.arg, dict) and spec.arg.get("table"):
        tables = [str(spec.arg["table"])]
        if spec.arg.get("references"):
            try:
                tables.append(parse_references(spec.arg["references"])[0])
            except NameInvalid:
                pass
        return tables
    return []


def _sql(text: str) -> str:
    one_line = " ".join(str(text).split())
    return one_line if len(one_line) <= 60 else one_line[:57] + "..."
