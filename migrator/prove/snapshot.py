"""Schema snapshots through SQLAlchemy reflection, and their differences in plain words.

A :class:`Snapshot` is a flat map from a schema object's key to what is compared
about it: ``("column", "users", "email")`` -> type, nullability and whether it has
a default. Flat, so that a difference is a set operation, and so that the effect
of a step (:func:`delta`) can be taken back from, or laid again over, another
snapshot (:func:`undo`, :func:`redo`): rolling back step X must take back exactly
what X did, whatever the steps that stayed applied did.

Names are compared as the database stores them. Types are compared as the
dialect compiles the reflected type, lower case, without MySQL's integer display
widths (``int(11)``), so that two reflections of the same column never differ.
Migrator's own tables (``migrator_*``) are left out.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable, Mapping

import sqlalchemy as sa

#: Order of object kinds in a diff, per table.
_KIND_ORDER = ("table", "view", "column", "primary_key", "index", "unique", "foreign_key")
JOURNAL_PREFIX = "migrator_"


@dataclass(frozen=True, slots=True)
class Item:
    """One schema object: ``value`` is what is compared, ``label`` how it is named."""

    value: tuple
    label: str


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The schema (tables, views, columns, keys, indexes, foreign keys) and,
    when taken with ``counts``, every table's row count."""

    items: Mapping[tuple, Item]
    row_counts: Mapping[str, int] | None = None

    @property
    def tables(self) -> tuple[str, ...]:
        return tuple(sorted(k[1] for k in self.items if k[0] == "table"))


@dataclass(frozen=True, slots=True)
class Delta:
    """What a step did to the schema: for every key it touched, the item before and
    after (None: absent)."""

    changes: Mapping[tuple, tuple[Item | None, Item | None]] = field(default_factory=dict)


def take(conn: sa.Connection, *, counts: bool = False, exclude: Iterable[str] = ()) -> Snapshot:
    """Reflect the default schema of ``conn`` (and count rows with ``counts``).

    Leaves no transaction open that it began itself, so that the engine's
    ``conn.begin()`` works right after it.
    """
    began = not conn.in_transaction()
    try:
        return _take(conn, counts, frozenset(exclude))
    finally:
        if began and conn.in_transaction():
            conn.rollback()


def _take(conn: sa.Connection, counts: bool, exclude: frozenset[str]) -> Snapshot:
    insp = sa.inspect(conn)
    tables = sorted(t for t in insp.get_table_names() if not _excluded(t, exclude))
    views = sorted(v for v in insp.get_view_names() if not _excluded(v, exclude))
    items: dict[tuple, Item] = {}
    for v in views:
        items[("view", v)] = Item((), f"view {v}")
    if not tables:
        return Snapshot(items, {} if counts else None)
    wanted = {"filter_names": tables}
    columns = insp.get_multi_columns(**wanted)
    pks = insp.get_multi_pk_constraint(**wanted)
    indexes = insp.get_multi_indexes(**wanted)
    uniques = insp.get_multi_unique_constraints(**wanted)
    fks = insp.get_multi_foreign_keys(**wanted)
    dialect = conn.dialect
    for (_, t), cols in sorted(columns.items(), key=lambda kv: kv[0][1]):
        items[("table", t)] = Item((), f"table {t}")
        for c in cols:
            value = (_type_text(c["type"], dialect), bool(c["nullable"]), c.get("default") is not None)
            items[("column", t, c["name"])] = Item(value, f"column {t}.{c['name']}")
    for (_, t), pk in pks.items():
        cols = tuple(pk.get("constrained_columns") or ())
        if cols:
            items[("primary_key", t)] = Item((cols,), f"primary key of {t}")
    unique_names: set[tuple] = set()
    for (_, t), found in uniques.items():
        for u in found:
            cols = tuple(u["column_names"])
            unique_names.add((t, u.get("name")))
            name = f" {u['name']}" if u.get("name") else ""
            items[("unique", t, cols)] = Item((), f"unique constraint{name} on {t}({', '.join(cols)})")
    for (_, t), found in indexes.items():
        for ix in found:
            cols = _index_columns(ix)
            # PostgreSQL and MySQL list a unique constraint's index as an index too: it is the constraint.
            if ix.get("duplicates_constraint") or (ix.get("unique") and (t, ix["name"]) in unique_names):
                continue
            items[("index", t, ix["name"])] = Item((cols, bool(ix.get("unique"))), _index_label(t, ix["name"], cols))
    for (_, t), found in fks.items():
        for fk in found:
            cols = tuple(fk["constrained_columns"])
            ref = (fk["referred_table"], tuple(fk["referred_columns"]))
            on_delete = ((fk.get("options") or {}).get("ondelete") or "no action").lower()
            label = f"foreign key {t}({', '.join(cols)}) → {ref[0]}({', '.join(ref[1])})"
            items[("foreign_key", t, cols, ref)] = Item((on_delete,), label)
    row_counts = _row_counts(conn, tables) if counts else None
    return Snapshot(items, row_counts)


def _excluded(name: str, exclude: frozenset[str]) -> bool:
    return name.startswith(JOURNAL_PREFIX) or name in exclude


def _type_text(type_: sa.types.TypeEngine, dialect) -> str:
    try:
        text = type_.compile(dialect=dialect)
    except Exception:  # NullType and other types SQLAlchemy cannot render: its repr is stable
        text = repr(type_)
    text = " ".join(text.lower().split())
    return re.sub(r"\b(tinyint|smallint|mediumint|int|integer|bigint)\(\d+\)", r"\1", text)


def _index_columns(ix: dict) -> tuple[str, ...]:
    names = ix.get("column_names") or []
    exprs = ix.get("expressions") or []
    return tuple(n if n is not None else (exprs[i] if i < len(exprs) else "<expression>") for i, n in enumerate(names))


def _index_label(table: str, name: str, cols: tuple[str, ...]) -> str:
    return f"index {name} on {table}({', '.join(cols)})"


def _row_counts(conn: sa.Connection, tables: list[str]) -> dict[str, int]:
    quote = conn.dialect.identifier_preparer.quote
    return {t: int(conn.exec_driver_sql(f"SELECT count(*) FROM {quote(t)}").scalar() or 0) for t in tables}


# --- comparing -------------------------------------------------------------------


def mismatches(expected: Snapshot, actual: Snapshot) -> dict[tuple, tuple[Item | None, Item | None]]:
    """The keys where ``actual`` differs from ``expected``, with both items (None: absent)."""
    keys = expected.items.keys() | actual.items.keys()
    return {k: (expected.items.get(k), actual.items.get(k)) for k in keys if expected.items.get(k) != actual.items.get(k)}


def diff(expected: Snapshot, actual: Snapshot, when: str, *, counts: bool = False,
         only: Iterable[tuple] | None = None) -> tuple[str, ...]:
    """Every difference of ``actual`` from ``expected`` (or only at the keys ``only``),
    one sentence each, ``when`` (e.g. "after rollback") at the end; sorted by table,
    then kind. Row counts only with ``counts`` (and when both snapshots have them)."""
    lines: list[tuple[tuple, str]] = []
    keys = expected.items.keys() | actual.items.keys() if only is None else set(only)
    for key in keys:
        old, new = expected.items.get(key), actual.items.get(key)
        if old == new:
            continue
        if new is None:
            lines.append(((*_sort_key(key), 0), f"{old.label} missing {when}"))
        elif old is None:
            lines.append(((*_sort_key(key), 0), f"unexpected {new.label} {when}"))
        elif old.value != new.value:
            for i, change in enumerate(_changes(key[0], old.value, new.value)):
                lines.append(((*_sort_key(key), i), f"{new.label}: {change} {when}"))
    if counts and expected.row_counts is not None and actual.row_counts is not None:
        for table in sorted(expected.row_counts.keys() & actual.row_counts.keys()):
            before, after = expected.row_counts[table], actual.row_counts[table]
            if before != after:
                lines.append(((table, len(_KIND_ORDER), "", 0), f"row count of {table} changed {before} → {after} {when}"))
    return tuple(text for _, text in sorted(lines))


def _sort_key(key: tuple) -> tuple:
    return (key[1], _KIND_ORDER.index(key[0]), repr(key[2:]))


def _changes(kind: str, old: tuple, new: tuple) -> list[str]:
    if kind == "column":
        names = ("type", "nullable", "default")
        out = []
        for name, a, b in zip(names, old, new):
            if a == b:
                continue
            if name == "default":
                out.append("default added" if b else "default removed")
            else:
                out.append(f"{name} changed {_show(a)} → {_show(b)}")
        return out
    if kind == "index":
        out = []
        if old[0] != new[0]:
            out.append(f"columns changed ({', '.join(old[0])}) → ({', '.join(new[0])})")
        if old[1] != new[1]:
            out.append(f"unique changed {_show(old[1])} → {_show(new[1])}")
        return out
    if kind == "primary_key":
        return [f"columns changed ({', '.join(old[0])}) → ({', '.join(new[0])})"]
    if kind == "foreign_key":
        return [f"on delete changed {old[0]} → {new[0]}"]
    return [f"changed {old} → {new}"]


def _show(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def delta(before: Snapshot, after: Snapshot) -> Delta:
    """What changed from ``before`` to ``after`` (a step's effect on the schema)."""
    keys = before.items.keys() | after.items.keys()
    return Delta({k: (before.items.get(k), after.items.get(k)) for k in keys
                  if before.items.get(k) != after.items.get(k)})


def redo(base: Snapshot, d: Delta) -> Snapshot:
    """``base`` with the step's effect applied again (what re-applying it should give)."""
    return _laid(base, {k: new for k, (_, new) in d.changes.items()})


def undo(base: Snapshot, d: Delta) -> Snapshot:
    """``base`` with the step's effect taken back (what rolling it back should give)."""
    return _laid(base, {k: old for k, (old, _) in d.changes.items()})


def _laid(base: Snapshot, items: Mapping[tuple, Item | None]) -> Snapshot:
    out = dict(base.items)
    for key, item in items.items():
        if item is None:
            out.pop(key, None)
        else:
            out[key] = item
    # A table that goes takes its columns, keys and indexes with it, also those a
    # step that stayed applied added to it (DROP TABLE drops that step's index too).
    dropped = {key[1] for key, item in items.items() if key[0] == "table" and item is None}
    if dropped:
        out = {k: v for k, v in out.items() if k[0] in ("table", "view") or k[1] not in dropped}
    return Snapshot(out)
