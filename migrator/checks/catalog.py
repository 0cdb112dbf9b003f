"""Batched, cached catalog reads for the schema checks, one :class:`Catalog` per run.

The cost is bounded by tables, never by checks: the table list is read once per
schema, and columns, indexes and foreign keys once per table, each kind in one
query for every table the run has asked about so far (:meth:`Catalog.want`), so
200 checks on 200 tables cost a handful of queries. The engine calls
:meth:`Catalog.invalidate` after a step that ran DDL.

Names written in a plan are matched as the database would match them (the
dialect's :meth:`~migrator.dialects.base.Dialect.name_rule`): on PostgreSQL
``userId`` finds the quoted camelCase column and ``Users`` finds ``users``; on
MySQL table names follow ``lower_case_table_names``; SQLite ignores case. A part
written in double quotes (or backquotes) is matched exactly. A name without a schema
is looked up as the database's own SQL would (:meth:`Dialect.read_visible_tables`):
on PostgreSQL in the temporary schema, then along ``search_path``.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterable, Iterator

from sqlalchemy import exc as sa_exc

from migrator.dialects.base import Dialect


class SqlError(Exception):
    """A statement run for a check failed; ``str()`` is the database's message."""


class NameInvalid(Exception):
    """A table or column name in a check cannot be parsed (e.g. ``a.b.c.d``)."""


@dataclass(frozen=True, slots=True)
class TableRef:
    """A table found in the catalog: its schema and name as stored.

    ``qualified`` is True when the plan named the schema, so SQL names it too;
    ``view`` is True for a view (PostgreSQL: materialized too).
    """

    schema: str
    name: str
    qualified: bool = False
    view: bool = False


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    type: str  # as the catalog shows it, e.g. "character varying(255)"
    nullable: bool
    families: frozenset[str]


@dataclass(frozen=True, slots=True)
class Index:
    name: str | None  # None: SQLite's rowid primary key
    columns: tuple[str | None, ...]  # None: an expression
    unique: bool
    primary: bool
    valid: bool = True  # False: PostgreSQL's INVALID index, which no query uses

    def describe(self) -> str:
        cols = ", ".join(c if c is not None else "<expression>" for c in self.columns)
        if self.name is None:  # SQLite's rowid key
            return f"primary key ({cols})"
        kind = " primary key" if self.primary else (" unique" if self.unique else "")
        return f"{self.name}({cols}){kind}" + ("" if self.valid else " INVALID")


@dataclass(frozen=True, slots=True)
class ForeignKey:
    name: str | None  # None on SQLite, which keeps no constraint names
    columns: tuple[str, ...]
    ref_schema: str | None  # None: the referencing table's schema
    ref_table: str
    ref_columns: tuple[str, ...]
    on_delete: str  # "no action", "restrict", "cascade", "set null", "set default"


@contextmanager
def guarded(conn, dialect: Dialect) -> Iterator[None]:
    """Run statements so that a failure neither escapes as a crash nor poisons the
    caller's transaction (PostgreSQL aborts a transaction on any error): inside a
    savepoint when a transaction is open, else in a transaction of its own. Either
    is rolled back afterwards, because checks change nothing."""
    tx = conn.begin_nested() if conn.in_transaction() else conn.begin()
    try:
        yield
    except sa_exc.DBAPIError as e:
        raise SqlError(dialect.error_text(e)) from None
    finally:
        if tx.is_active:
            tx.rollback()


def split_name(text: str) -> list[tuple[str, bool]]:
    """``schema."Table"`` -> ``[("schema", False), ("Table", True)]``: dotted parts,
    each with whether it was quoted (double quotes or MySQL backquotes)."""
    parts: list[tuple[str, bool]] = []
    current: list[str] = []
    quote: str | None = None
    quoted = False
    i = 0
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == quote and text[i + 1 : i + 2] == quote:
                current.append(ch)
                i += 1
            elif ch == quote:
                quote = None
            else:
                current.append(ch)
        elif ch in "\"`":
            quote, quoted = ch, True
        elif ch == ".":
            parts.append(("".join(current).strip(), quoted))
            current, quoted = [], False
        else:
            current.append(ch)
        i += 1
    parts.append(("".join(current).strip(), quoted))
    if quote or any(not name for name, _ in parts):
        why = f"a {quote} quote is not closed" if quote else "a part is empty"
        raise NameInvalid(f"invalid name {text!r}: {why} (a name holding a dot or a quote is written quoted,"
                          """ a quote inside doubled: "a.b", "x""y")""")
    return parts


def find_name(given: str, quoted: bool, candidates: Iterable[str], rule: str) -> str | None:
    """The candidate that ``given`` names under ``rule`` (see Dialect.name_rule)."""
    candidates = list(candidates)
    if given in candidates:
        return given
    if quoted or rule == "exact":
        return None
    if rule == "lower":
        lowered = given.lower()
        return lowered if lowered in candidates else None
    folded = [c for c in candidates if c.casefold() == given.casefold()]
    return folded[0] if folded else None


class Catalog:
    """The catalog as the checks of one run see it; reads are cached until :meth:`invalidate`."""

    def __init__(self, dialect: Dialect):
        self.dialect = dialect
        self._settings: tuple[str, bool] | None = None
        # schema (None: a name without one) -> [(schema, {name: is_view})] in lookup order
        self._tables: dict[str | None, list[tuple[str, dict[str, bool]]]] = {}
        self._wanted: dict[str, set[str]] = {}
        self._loaded: dict[tuple[str, str], dict[str, tuple]] = {}

    def invalidate(self) -> None:
        """Forget what was read (after a step ran DDL). The default schema and the
        case rule survive: DDL does not change them."""
        self._tables.clear()
        self._wanted.clear()
        self._loaded.clear()

    # --- names -------------------------------------------------------------------

    def default_schema(self, conn) -> str:
        return self._settings_for(conn)[0]

    def rule(self, conn, kind: str) -> str:
        return self.dialect.name_rule(kind, self._settings_for(conn)[1])

    def table(self, conn, text: str) -> TableRef | None:
        """The table or view ``text`` (``table`` or ``schema.table``) names, or None when there is none."""
        schema, name, quoted = self._parse_table(conn, text)
        rule = self.rule(conn, "table")
        for found_schema, names in self._table_names(conn, schema):
            actual = find_name(name, quoted, names, rule)
            if actual is not None:
                return TableRef(found_schema, actual, schema is not None, names[actual])
        return None

    def near_table(self, conn, text: str) -> str | None:
        """A table whose name differs from ``text`` only in case (for a helpful message)."""
        schema, name, _ = self._parse_table(conn, text)
        found = (find_name(name, False, names, "nocase") for _, names in self._table_names(conn, schema))
        return next((n for n in found if n is not None), None)

    def want(self, conn, names: Iterable[str]) -> None:
        """Tables the coming checks ask about: the next read of each kind loads them all at once."""
        for text in names:
            try:
                ref = self.table(conn, text)
            except NameInvalid:
                continue
            if ref is not None:
                self._wanted.setdefault(ref.schema, set()).add(ref.name)

    # --- per-table reads ---------------------------------------------------------

    def columns(self, conn, ref: TableRef) -> tuple[Column, ...]:
        rows = self._load(conn, "columns", ref)
        return tuple(
            Column(name, ctype, bool(nullable), self.dialect.type_families(family_type or ctype))
            for name, ctype, nullable, family_type in rows
        )

    def column(self, conn, ref: TableRef, given: str) -> Column | None:
        name, quoted = self._one_part(given)
        columns = self.columns(conn, ref)
        actual = find_name(name, quoted, [c.name for c in columns], self.rule(conn, "column"))
        return next((c for c in columns if c.name == actual), None)

    def indexes(self, conn, ref: TableRef) -> tuple[Index, ...]:
        return tuple(
            Index(name, cols, bool(unique), bool(primary), bool(valid[0]) if valid else True)
            for name, unique, primary, cols, *valid in self._load(conn, "indexes", ref)
        )

    def primary_key(self, conn, ref: TableRef) -> tuple[str, ...]:
        return next((tuple(i.columns) for i in self.indexes(conn, ref) if i.primary), ())

    def foreign_keys(self, conn, ref: TableRef) -> tuple[ForeignKey, ...]:
        return tuple(ForeignKey(*row) for row in self._load(conn, "foreign_keys", ref))

    # --- internals ---------------------------------------------------------------

    def _settings_for(self, conn) -> tuple[str, bool]:
        if self._settings is None:
            self._settings = self.dialect.static_catalog_settings
        if self._settings is None:
            with guarded(conn, self.dialect):
                self._settings = self.dialect.catalog_settings(conn)
        return self._settings

    def _parse_table(self, conn, text: str) -> tuple[str | None, str, bool]:
        """(schema or None when not written, name, whether the name was quoted)."""
        parts = split_name(str(text))
        if len(parts) == 1:
            return None, parts[0][0], parts[0][1]
        if len(parts) == 2:
            (schema, schema_quoted), (name, quoted) = parts
            if not schema_quoted and self.dialect.name_rule("schema", False) == "lower":
                schema = schema.lower()
            return schema, name, quoted
        raise NameInvalid(f"invalid table name {text!r}: expected table or schema.table")

    @staticmethod
    def _one_part(text: str) -> tuple[str, bool]:
        parts = split_name(str(text))
        if len(parts) != 1:
            raise NameInvalid(f"invalid column name {text!r}")
        return parts[0]

    def _table_names(self, conn, schema: str | None) -> list[tuple[str, dict[str, bool]]]:
        """The schemas where ``schema`` (None: not written) is looked for, in order, each
        with its tables and views (name -> is_view)."""
        if schema not in self._tables:
            if schema is None:
                default = self.default_schema(conn)
                with guarded(conn, self.dialect):
                    rows = self.dialect.read_visible_tables(conn, default)
            else:
                with guarded(conn, self.dialect):
                    rows = [(schema, name, is_view) for name, is_view in self.dialect.read_tables(conn, schema)]
            grouped: dict[str, dict[str, bool]] = {}
            for found_schema, name, is_view in rows:
                grouped.setdefault(found_schema, {})[name] = bool(is_view)
            self._tables[schema] = list(grouped.items())
        return self._tables[schema]

    def _load(self, conn, kind: str, ref: TableRef) -> tuple:
        store = self._loaded.setdefault((kind, ref.schema), {})
        if ref.name not in store:
            names = sorted({ref.name} | (self._wanted.get(ref.schema, set()) - store.keys()))
            read = getattr(self.dialect, f"read_{kind}")
            with guarded(conn, self.dialect):
                rows = read(conn, ref.schema, names)
            grouped: dict[str, list] = {name: [] for name in names}
            for table, *rest in rows:
                grouped.setdefault(table, []).append(tuple(rest))
            store.update({name: tuple(items) for name, items in grouped.items()})
        return store[ref.name]
