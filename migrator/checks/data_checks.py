"""Checks that run SQL: ``query``, ``no_rows``, ``row_count``, ``no_orphans``, ``unchanged``.

Every statement runs inside :func:`~migrator.checks.catalog.guarded` (a savepoint
that is rolled back), so a broken query is a failed check carrying the database's
message and the caller's transaction goes on.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from migrator.checks.catalog import SqlError, guarded
from migrator.checks.compare import NotComparable, compare, expectation_text, normalize_expect, show
from migrator.checks.context import (
    CheckContext,
    Found,
    Unmet,
    joined,
    names,
    need_columns,
    need_table,
    parse_references,
    show_table,
)
from migrator.plan.model import CheckSpec

#: Rows shown for ``no_rows`` and ``no_orphans`` failures.
SAMPLE_ROWS = 5


@dataclass(frozen=True, slots=True)
class Snapshot:
    """An ``unchanged`` query's result before the step (or why it could not be read)."""

    columns: tuple[str, ...] = ()
    rows: tuple[tuple, ...] = ()
    error: str | None = None


def query(spec: CheckSpec, ctx: CheckContext) -> Found:
    op, expected = _expectation(spec)
    with guarded(ctx.conn, ctx.db):
        result = _execute(ctx, spec.arg)
        columns, row = tuple(result.keys()), result.first()
    wanted = expectation_text(op, expected)
    if row is None:
        return Found(False, f"query returned no rows, expected {wanted}", columns=columns)
    return _compared(row[0], op, expected, columns=columns, got=show(row[0]))


def no_rows(spec: CheckSpec, ctx: CheckContext) -> Found:
    with guarded(ctx.conn, ctx.db):
        result = _execute(ctx, spec.arg)
        columns = tuple(result.keys())
        sample = tuple(tuple(r) for r in result.fetchmany(SAMPLE_ROWS))
        # The driver has buffered the rows already; counting them costs no second query.
        count = len(sample) + sum(1 for _ in result)
    if not count:
        return Found(True, "query returned no rows", count=0, columns=columns)
    return Found(False, f"query returned {_rows(count)}, expected none", count=count, columns=columns, sample=sample)


def row_count(spec: CheckSpec, ctx: CheckContext) -> Found:
    arg = spec.arg
    op, expected = _expectation(spec)
    ref = need_table(ctx, arg["table"])
    sql = f"SELECT count(*) FROM {ctx.quote_table(ref)}"
    where = arg.get("where")
    if where:
        sql += f" WHERE {where}"
    with guarded(ctx.conn, ctx.db):
        count = _execute(ctx, sql).scalar()
    scope = show_table(ref) + (f" where {' '.join(str(where).split())}" if where else "")
    return _compared(count, op, expected, got=f"{_rows(count)} in {scope}", count=count)


def no_orphans(spec: CheckSpec, ctx: CheckContext) -> Found:
    arg = spec.arg
    ref = need_table(ctx, arg["table"])
    columns = need_columns(ctx, ref, names(arg["columns"]))
    target_text, given = parse_references(arg["references"])
    target = need_table(ctx, target_text, role="referenced table")
    ref_columns = need_columns(ctx, target, given) if given else ctx.catalog.primary_key(ctx.conn, target)
    if not ref_columns:
        raise Unmet(f"table {show_table(target)} has no primary key; name the referenced columns")
    if len(ref_columns) != len(columns):
        raise Unmet(f"{len(columns)} column(s) ({joined(columns)}) but {len(ref_columns)} referenced ({joined(ref_columns)})")
    q = lambda name: ctx.db.quote(name)  # noqa: E731
    # MATCH SIMPLE, as foreign keys check: a row with a NULL in the key references nothing.
    orphan = " AND ".join(f"c.{q(c)} IS NOT NULL" for c in columns)
    join = " AND ".join(f"p.{q(r)} = c.{q(c)}" for c, r in zip(columns, ref_columns))
    orphan += f" AND NOT EXISTS (SELECT 1 FROM {ctx.quote_table(target)} p WHERE {join})"
    source = f"{ctx.quote_table(ref)} c WHERE {orphan}"
    with guarded(ctx.conn, ctx.db):
        count = int(_execute(ctx, f"SELECT count(*) FROM {source}").scalar())
        sample = ()
        if count:
            listed = ", ".join(f"c.{q(c)}" for c in columns)
            sql = f"SELECT {listed} FROM {source} ORDER BY {listed} LIMIT {SAMPLE_ROWS}"
            sample = tuple(tuple(r) for r in _execute(ctx, sql))
    child, parent = f"{show_table(ref)}({joined(columns)})", f"{show_table(target)}({joined(ref_columns)})"
    if not count:
        return Found(True, f"no orphans: every non-null {child} has a matching row in {parent}", count=0, columns=columns)
    return Found(
        False,
        f"{_rows(count)} in {child} with no matching row in {parent}",
        count=count,
        columns=columns,
        sample=sample,
    )


def unchanged(spec: CheckSpec, ctx: CheckContext) -> Found:
    before = ctx.before.get(spec.path)
    if before is None:
        return Found(None, "not evaluated: compares the query's result before the step with the result after it")
    if before.error is not None:
        return Found(False, f"query failed before the step: {before.error}", error=before.error)
    after = _snapshot(ctx, spec.arg)
    old, new = _ordered(before.rows), _ordered(after.rows)
    if old == new:
        return Found(True, f"result unchanged ({_rows(len(new))})", count=len(new), columns=after.columns)
    at = next((i for i, (a, b) in enumerate(zip(old, new)) if a != b), min(len(old), len(new)))
    was = old[at] if at < len(old) else None
    now = new[at] if at < len(new) else None
    sample = []
    if was is not None:
        sample.append(("before", *was))
    if now is not None:
        sample.append(("after", *now))
    return Found(
        False,
        f"result changed: {_rows(len(old))} before, {len(new)} after; first difference at row {at + 1}:"
        f" before {_row(was)}, after {_row(now)}",
        count=len(new),
        columns=("", *after.columns),
        sample=tuple(sample),
    )


def capture(spec: CheckSpec, ctx: CheckContext) -> None:
    """Store an ``unchanged`` query's result before the step runs."""
    try:
        ctx.before[spec.path] = _snapshot(ctx, spec.arg)
    except SqlError as e:
        ctx.before[spec.path] = Snapshot(error=str(e))


# --- helpers -------------------------------------------------------------------------


def _expectation(spec: CheckSpec) -> tuple[str, Any]:
    if spec.expect is not None:
        return normalize_expect(spec.expect)
    if isinstance(spec.arg, dict) and "expect" in spec.arg:
        return normalize_expect(spec.arg["expect"])
    raise Unmet(f"{spec.kind} needs expect")


def _compared(actual: Any, op: str, expected: Any, *, got: str, count: int | None = None, columns=()) -> Found:
    wanted = expectation_text(op, expected)
    try:
        held = compare(actual, op, expected)
    except NotComparable as e:
        return Found(False, f"{e} (expected {wanted})", count=count, columns=columns)
    if held:
        return Found(True, f"got {got} (expected {wanted})", count=count, columns=columns)
    return Found(False, f"expected {wanted}, got {got}", count=count, columns=columns)


def _execute(ctx: CheckContext, sql: str):
    """Run SQL as written: no bind parameters, so ``%`` and ``:name`` in it stay literal."""
    text = str(sql).strip().rstrip(";").rstrip()
    if ctx.db.commits_implicitly(text):
        # MySQL would commit the surrounding transaction (the step's, or the dry run's)
        # before the statement: nothing could undo it, and the check's savepoint is gone.
        raise SqlError("not run: MySQL commits this statement at once, so a check could not undo it"
                       " (a check's SQL must be a SELECT)")
    if ctx.conn.dialect.paramstyle in ("format", "pyformat"):
        # These drivers treat % as a placeholder marker even without parameters.
        text = text.replace("%", "%%")
    result = ctx.conn.exec_driver_sql(text)
    if not result.returns_rows:
        # A broken check, not a false one: `not` must not turn it into a pass.
        raise SqlError("the query returned no result set (a check's SQL must be a SELECT)")
    return result


def _snapshot(ctx: CheckContext, sql: str) -> Snapshot:
    with guarded(ctx.conn, ctx.db):
        result = _execute(ctx, sql)
        return Snapshot(tuple(result.keys()), tuple(tuple(r) for r in result))


def _ordered(rows: tuple[tuple, ...]) -> list[tuple]:
    # Rows are compared in one canonical order, so that a table rewrite that only
    # changes the physical order (no ORDER BY) does not read as changed data.
    try:
        return sorted(rows, key=lambda row: tuple(_cell_key(v) for v in row))
    except TypeError:
        return sorted(rows, key=repr)


def _cell_key(value: Any) -> tuple:
    if value is None:
        return (0, 0)
    if isinstance(value, (bool, int, float, Decimal)):
        return (1, value)
    if isinstance(value, str):
        return (2, value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return (3, bytes(value))
    return (4, str(value))


def _rows(n: int) -> str:
    return f"{n} row" if n == 1 else f"{n} rows"


def _row(row: tuple | None) -> str:
    if row is None:
        return "none"
    return "(" + ", ".join(show(v) for v in row) + ")"
