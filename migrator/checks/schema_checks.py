"""Checks answered from the catalog: tables, columns, indexes, foreign keys.

They read through the run's :class:`~migrator.checks.catalog.Catalog`, so many
checks on one schema cost a few catalog queries, not one per check.
"""
from __future__ import annotations

from migrator.checks.catalog import ForeignKey, TableRef, find_name, split_name
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
from migrator.dialects.base import TYPE_FAMILIES
from migrator.plan.model import CheckSpec


def table_exists(spec: CheckSpec, ctx: CheckContext) -> Found:
    ref = need_table(ctx, spec.arg)
    if ref.view:  # as Liquibase's tableExists: a view is not a table (the other checks read views)
        return Found(False, f"table {spec.arg} does not exist: {show_table(ref)} is a view")
    return Found(True, f"table {spec.arg} exists")


def column_exists(spec: CheckSpec, ctx: CheckContext) -> Found:
    arg = spec.arg
    ref = need_table(ctx, arg["table"])
    where = f"{show_table(ref)}.{arg['column']}"
    column = ctx.catalog.column(ctx.conn, ref, str(arg["column"]))
    if column is None:
        found = [c.name for c in ctx.catalog.columns(ctx.conn, ref)]
        return Found(False, f"column {where} does not exist; found: {_some(found)}")
    nullability = "nullable" if column.nullable else "NOT NULL"
    problems = []
    family = arg.get("type")
    if family is not None:
        family = str(family).lower()
        if family not in TYPE_FAMILIES:
            raise Unmet(f"unknown type family {arg['type']!r} (one of: {joined(TYPE_FAMILIES)})")
        if family not in column.families:
            families = "/".join(sorted(column.families)) or "no known family"
            problems.append(f"is {column.type} ({families}), expected {family}")
    nullable = arg.get("nullable")
    if nullable is not None and bool(nullable) != column.nullable:
        problems.append(f"is {nullability}, expected {'nullable' if nullable else 'NOT NULL'}")
    if problems:
        return Found(False, f"column {where} " + "; ".join(problems))
    return Found(True, f"column {where} exists ({column.type}, {nullability})")


def index_exists(spec: CheckSpec, ctx: CheckContext) -> Found:
    arg = spec.arg
    ref = need_table(ctx, arg["table"])
    table = show_table(ref)
    given_columns, name, unique = names(arg.get("columns")), arg.get("name"), arg.get("unique")
    if not given_columns and not name:
        raise Unmet("index_exists needs columns or name")
    columns = need_columns(ctx, ref, given_columns)
    wanted = ("unique " if unique else "non-unique " if unique is False else "") + "index"
    wanted += f" {name}" if name else ""
    wanted += f" on {table}" + (f"({joined(given_columns)})" if given_columns else "")
    index_rule = ctx.catalog.rule(ctx.conn, "index")
    name_parts = split_name(str(name)) if name else None

    def matches(index) -> bool:
        if not index.valid:  # a failed CREATE INDEX CONCURRENTLY: there, but never used
            return False
        if columns and tuple(index.columns) != columns:
            return False
        if name_parts and find_name(name_parts[-1][0], name_parts[-1][1], [index.name or ""], index_rule) is None:
            return False
        return unique is None or index.unique == bool(unique)

    indexes = ctx.catalog.indexes(ctx.conn, ref)
    hit = next((i for i in indexes if matches(i)), None)
    if hit is not None:
        return Found(True, f"{wanted} exists: {hit.describe()}")
    return Found(False, f"{wanted} missing; found: {_some([i.describe() for i in indexes], none=f'none on {table}')}")


def foreign_key_exists(spec: CheckSpec, ctx: CheckContext) -> Found:
    arg = spec.arg
    ref = need_table(ctx, arg["table"])
    columns = need_columns(ctx, ref, names(arg["columns"]))
    target_text, given_ref_columns = parse_references(arg["references"])
    # SQLite accepts a foreign key to a table that does not exist (yet): then match by name.
    target = ctx.catalog.table(ctx.conn, target_text)
    if target is not None:
        ref_columns = need_columns(ctx, target, given_ref_columns) if given_ref_columns else _primary_key(ctx, target)
        target_name = show_table(target)
    else:
        ref_columns, target_name = given_ref_columns, target_text
    if len(ref_columns) != len(columns):  # zip() would pair the first ones and ignore the rest
        raise Unmet(f"{len(columns)} column(s) ({joined(columns)}) but {len(ref_columns)} referenced ({joined(ref_columns)})")
    on_delete = _action(arg.get("on_delete"))
    wanted = f"foreign key {show_table(ref)}({joined(columns)}) → {target_name}({joined(ref_columns)})"
    wanted += f" ON DELETE {on_delete.upper()}" if on_delete else ""
    fold = _folder(ctx)
    wanted_pairs = {(fold(c), fold(r)) for c, r in zip(columns, ref_columns)}

    def fk_ref_columns(fk: ForeignKey) -> tuple[str, ...]:
        if fk.ref_columns:
            return fk.ref_columns
        referenced = ctx.catalog.table(ctx.conn, fk.ref_table)  # SQLite: REFERENCES t means t's key
        return _primary_key(ctx, referenced) if referenced else ()

    def points_at_target(fk: ForeignKey) -> bool:
        if target is not None:
            return (fk.ref_schema or ref.schema) == target.schema and fold(fk.ref_table) == fold(target.name)
        return fold(fk.ref_table) == fold(split_name(target_text)[-1][0])

    def matches(fk: ForeignKey) -> bool:
        if not points_at_target(fk) or len(fk.columns) != len(columns):
            return False
        if {(fold(c), fold(r)) for c, r in zip(fk.columns, fk_ref_columns(fk))} != wanted_pairs:
            return False
        return on_delete is None or ctx.db.same_fk_action(fk.on_delete, on_delete)

    fks = ctx.catalog.foreign_keys(ctx.conn, ref)
    hit = next((fk for fk in fks if matches(fk)), None)
    if hit is not None:
        return Found(True, f"{wanted} exists" + (f" ({hit.name})" if hit.name else ""))

    def shown(fk: ForeignKey) -> str:
        # The referenced schema is named where it tells tables apart: when the plan
        # names schemas, or when the key leaves the referencing table's schema.
        ref_schema = fk.ref_schema or ref.schema
        ref_table = f"{ref_schema}.{fk.ref_table}" if ref.qualified or ref_schema != ref.schema else fk.ref_table
        text = f"{show_table(ref)}({joined(fk.columns)}) → {ref_table}({joined(fk_ref_columns(fk))})"
        return text + (f" ON DELETE {fk.on_delete.upper()}" if on_delete else "")

    return Found(False, f"{wanted} missing; found: {_some([shown(fk) for fk in fks], none=f'none on {show_table(ref)}')}")


def _primary_key(ctx: CheckContext, ref: TableRef) -> tuple[str, ...]:
    key = ctx.catalog.primary_key(ctx.conn, ref)
    if not key:
        raise Unmet(f"table {show_table(ref)} has no primary key; name the referenced columns")
    return key


def _folder(ctx: CheckContext):
    """How two catalog column names compare: by case where the database ignores it."""
    if ctx.catalog.rule(ctx.conn, "column") == "nocase":
        return str.casefold
    return lambda name: name


def _action(value) -> str | None:
    """``SET_NULL``, ``set null``, ``cascade`` -> ``set null``, ``cascade``."""
    if value is None:
        return None
    return " ".join(str(value).replace("_", " ").lower().split())


def _some(items: list[str], *, none: str = "none", limit: int = 10) -> str:
    if not items:
        return none
    shown = joined(items[:limit])
    return shown + (f", ... ({len(items)} in all)" if len(items) > limit else "")
