"""``migrator inspect``: find what a migration should fix (spec section 9).

Reads the catalog of the connection's default schema through SQLAlchemy's
reflection and reports:

- columns that look like references but have no foreign key, like the three
  tool tables the seed found (``tool_audit_logs.userId`` -> ``users.id``), with
  the number of orphan rows that would stop the key from being added;
- foreign keys whose columns no index leads with;
- tables without a primary key.

:func:`emit_plan` turns the findings into a plan that fixes them.

How a column is recognised as a reference (a heuristic, so it says which rule
matched nothing more):

- its name ends in ``_id`` (any case) or, camelCase, in ``Id``/``ID``:
  ``user_id``, ``userId``, ``authorId``; the part before is the *stem*
  (``authorId`` -> ``author``, ``eventTypeId`` -> ``event_type``);
- a table is named by the stem, singular or plural (``user``, ``users``,
  ``categories`` for ``category``, ``people`` for ``person`` and the other common
  irregular plurals of :data:`IRREGULAR_PLURALS`), compared without regard to case
  and with PascalCase table names read as snake case (``EventTypes``); failing
  that, stems in :data:`USER_ALIASES` (``owner_id``, ``author_id``, ...) point
  at ``users``/``user`` when such a table exists. No other guessing:
  ``parent_id`` finds nothing unless a ``parents`` table exists;
- that table's primary key is a single column of the same type family
  (integer, text, uuid...; the families of ``column_exists.type``; a type of
  no family, such as ``int[]`` or ``inet``, only the same type) and, on
  MySQL/MariaDB, where InnoDB refuses any other key, of the same integer size
  and signedness;
- the column is not already part of a foreign key, and is not named after its
  own table (``users.user_id`` is an alternate key, not a self-reference).

migrator's own journal table is left out, and so are PostgreSQL partitions (their
partitioned table carries the keys and indexes). On MySQL/MariaDB a table that can
hold no foreign key (MyISAM, Aria, MEMORY; a partitioned table) is neither side of a
missing one.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
import yaml

from migrator.dialects import dialect_name, get_dialect

#: Tables that are migrator's own bookkeeping, never the application's.
IGNORED_TABLES = frozenset({"migrator_journal"})

#: Stems that name a user without saying "user": ``owner_id`` -> ``users.id``.
USER_ALIASES = frozenset(
    {"owner", "author", "creator", "created_by", "updated_by", "deleted_by", "assignee", "reporter", "member"}
)

#: Identifier length limits (PostgreSQL 63, MySQL 64): generated names stay below.
MAX_NAME = 63

_SNAKE_REF = re.compile(r"^(?P<stem>.+?)_id$", re.IGNORECASE)
_CAMEL_REF = re.compile(r"^(?P<stem>[A-Za-z0-9]*[a-z0-9])(?:Id|ID)$")
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


# --- result records ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Reference:
    """The referenced side of a (missing) foreign key."""

    table: str
    columns: tuple[str, ...]

    def to_dict(self) -> dict:
        return {"table": self.table, "columns": list(self.columns)}


@dataclass(frozen=True, slots=True)
class MissingForeignKey:
    """A column that looks like a reference and has no foreign key.

    ``orphans`` counts the non-null values with no referenced row when the
    catalog was read. ``indexed`` (not in the JSON) says whether an index
    already leads with the columns; :func:`emit_plan` adds one when not.
    """

    table: str
    columns: tuple[str, ...]
    references: Reference
    orphans: int
    indexed: bool = True

    def to_dict(self) -> dict:
        return {
            "table": self.table,
            "columns": list(self.columns),
            "references": self.references.to_dict(),
            "orphans": self.orphans,
        }


@dataclass(frozen=True, slots=True)
class UnindexedForeignKey:
    """A foreign key whose columns no index (or primary or unique key) leads with.

    ``constraint`` is None for an unnamed constraint (SQLite keeps a name only when
    the ``CREATE TABLE`` gave one)."""

    table: str
    columns: tuple[str, ...]
    constraint: str | None

    def to_dict(self) -> dict:
        return {"table": self.table, "columns": list(self.columns), "constraint": self.constraint}


@dataclass(frozen=True, slots=True)
class TableWithoutPrimaryKey:
    table: str

    def to_dict(self) -> dict:
        return {"table": self.table}


@dataclass(frozen=True, slots=True)
class SqliteTable:
    """What rebuilding a SQLite table needs (SQLite cannot add a constraint to a
    table): its ``CREATE TABLE`` text, the statements that recreate its indexes and
    triggers, and the columns to copy (generated columns excluded)."""

    table: str
    create_sql: str
    extra_sql: tuple[str, ...]
    columns: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class InspectResult:
    """What ``inspect`` found. ``to_dict()`` is the JSON of ``--format json``
    (spec section 11); ``dialect`` and ``sqlite_tables`` serve :func:`emit_plan`."""

    dialect: str
    missing_foreign_keys: tuple[MissingForeignKey, ...] = ()
    unindexed_foreign_keys: tuple[UnindexedForeignKey, ...] = ()
    tables_without_primary_key: tuple[TableWithoutPrimaryKey, ...] = ()
    sqlite_tables: tuple[SqliteTable, ...] = ()

    @property
    def fixable(self) -> bool:
        """Whether :func:`emit_plan` has anything to write."""
        return bool(self.missing_foreign_keys or self.unindexed_foreign_keys)

    @property
    def clean(self) -> bool:
        return not (self.fixable or self.tables_without_primary_key)

    def to_dict(self) -> dict:
        return {
            "missing_foreign_keys": [f.to_dict() for f in self.missing_foreign_keys],
            "unindexed_foreign_keys": [f.to_dict() for f in self.unindexed_foreign_keys],
            "tables_without_primary_key": [t.to_dict() for t in self.tables_without_primary_key],
        }

    def sqlite_table(self, table: str) -> SqliteTable:
        for t in self.sqlite_tables:
            if t.table == table:
                return t
        raise KeyError(table)


# --- reading the catalog --------------------------------------------------------


def inspect_database(conn: sa.Connection, *, ignore: frozenset[str] | set[str] = IGNORED_TABLES) -> InspectResult:
    """Inspect the default schema of ``conn``'s database; reads only.

    Args:
        conn: an open connection; the orphan counts run on it.
        ignore: table names to leave out (migrator's journal by default).
    """
    dialect = dialect_name(conn.dialect.name)
    db_dialect = get_dialect(dialect)
    families = db_dialect.type_families
    insp = sa.inspect(conn)
    # Partitions take their keys and indexes from their partitioned table; MyISAM and
    # the like hold no foreign key (MySQL accepts one and drops it).
    partitions, no_fk_tables = db_dialect.read_inspect_exclusions(conn, insp.default_schema_name)
    tables = sorted(t for t in insp.get_table_names() if t not in ignore and t not in partitions)
    # get_multi_* read every table in one query where the dialect supports it.
    columns = _by_table(insp.get_multi_columns(), tables)
    pks = _by_table(insp.get_multi_pk_constraint(), tables)
    fks = _by_table(insp.get_multi_foreign_keys(), tables)
    indexes = _by_table(insp.get_multi_indexes(), tables)
    uniques = _by_table(insp.get_multi_unique_constraints(), tables)
    # An index the database does not use (PostgreSQL's INVALID one, left by a failed
    # CREATE INDEX CONCURRENTLY) covers nothing, as for index_exists.
    invalid = {(row[0], row[1]) for row in db_dialect.read_indexes(conn, insp.default_schema_name, tables)
               if len(row) > 5 and row[5] is False}

    def pk_of(table: str) -> tuple[str, ...]:
        return tuple((pks.get(table) or {}).get("constrained_columns") or ())

    def leading_columns(table: str) -> list[tuple[str, ...]]:
        """Column lists of every index-like structure on ``table``."""
        found = [pk_of(table)] if pk_of(table) else []
        found += [tuple(ix.get("column_names") or ()) for ix in indexes.get(table, ())
                  if (table, ix.get("name")) not in invalid]
        found += [tuple(uq.get("column_names") or ()) for uq in uniques.get(table, ())]
        return found

    def is_indexed(table: str, cols: tuple[str, ...]) -> bool:
        want = set(cols)
        return any(len(lead) >= len(cols) and set(lead[: len(cols)]) == want for lead in leading_columns(table))

    def family(column: dict) -> frozenset[str]:
        return families(_type_name(column["type"], conn.dialect))

    # "EventTypes" (Sequelize, Prisma) is found as event_types; an exact name comes first.
    by_lower = {_CAMEL_BOUNDARY.sub("_", t).lower(): t for t in tables}
    by_lower.update({t.lower(): t for t in tables})
    missing: list[MissingForeignKey] = []
    unindexed: list[UnindexedForeignKey] = []
    no_pk: list[TableWithoutPrimaryKey] = []
    for table in tables:
        table_fks = fks.get(table, ())
        covered = {c for fk in table_fks for c in fk.get("constrained_columns") or ()}
        for fk in table_fks:
            cols = tuple(fk.get("constrained_columns") or ())
            if cols and not is_indexed(table, cols):
                unindexed.append(UnindexedForeignKey(table, cols, fk.get("name")))
        if not pk_of(table):
            no_pk.append(TableWithoutPrimaryKey(table))
        for column in columns.get(table, ()):
            name = column["name"]
            if name in covered:
                continue
            target = _referenced_table(name, by_lower)
            if target is None:
                continue
            target_pk = pk_of(target)
            if target == table or len(target_pk) != 1 or {table, target} & no_fk_tables:
                continue
            target_col = next((c for c in columns.get(target, ()) if c["name"] == target_pk[0]), None)
            if target_col is None:
                continue
            type_name, target_type_name = (_type_name(c["type"], conn.dialect) for c in (column, target_col))
            if not _compatible(family(column), family(target_col), type_name, target_type_name):
                continue
            if not db_dialect.can_reference(type_name, target_type_name):
                continue
            missing.append(
                MissingForeignKey(
                    table=table,
                    columns=(name,),
                    references=Reference(target, target_pk),
                    orphans=_count_orphans(conn, table, name, target, target_pk[0]),
                    indexed=is_indexed(table, (name,)),
                )
            )
    sqlite_tables: tuple[SqliteTable, ...] = ()
    if dialect == "sqlite":
        wanted = sorted({m.table for m in missing})
        sqlite_tables = tuple(_sqlite_table(conn, t, columns.get(t, ())) for t in wanted)
    return InspectResult(dialect, tuple(missing), tuple(unindexed), tuple(no_pk), sqlite_tables)


def _by_table(multi: dict, tables: list[str]) -> dict[str, Any]:
    # get_multi_* keys are (schema, table); the default schema is None.
    wanted = set(tables)
    return {name: value for (_schema, name), value in multi.items() if name in wanted}


def _type_name(type_: sa.types.TypeEngine, dialect: sa.Dialect) -> str:
    try:
        return str(type_.compile(dialect=dialect))
    except sa.exc.CompileError:  # NullType: a SQLite column declared without a type
        return ""


def _compatible(a: frozenset[str], b: frozenset[str], a_type: str, b_type: str) -> bool:
    # A type of no family (a PostgreSQL array, inet, an enum type) matches only itself:
    # int[] against int fails the orphan count (no = operator) and the key alike.
    if a and b:
        return bool(a & b)
    return a_type.lower() == b_type.lower()


def reference_stem(column: str) -> str | None:
    """``user_id``/``userId``/``USER_ID`` -> ``user``; ``eventTypeId`` -> ``event_type``;
    None when the name does not look like a reference (``id``, ``paid``, ``uuid``)."""
    m = _SNAKE_REF.match(column) or _CAMEL_REF.match(column)
    if not m:
        return None
    return _CAMEL_BOUNDARY.sub("_", m.group("stem")).lower()


#: English plurals that no suffix rule makes, for the last word of a reference stem.
IRREGULAR_PLURALS = {
    "person": "people", "child": "children", "man": "men", "woman": "women", "mouse": "mice",
    "goose": "geese", "tooth": "teeth", "foot": "feet", "ox": "oxen", "datum": "data",
    "medium": "media", "criterion": "criteria", "analysis": "analyses", "crisis": "crises",
    "thesis": "theses", "index": "indices", "matrix": "matrices", "vertex": "vertices",
    "leaf": "leaves", "half": "halves", "shelf": "shelves", "wife": "wives", "knife": "knives",
    "life": "lives",
}


def _table_candidates(stem: str) -> list[str]:
    forms = [stem, stem + "s", stem + "es"]
    if stem.endswith("y"):
        forms.append(stem[:-1] + "ies")
    head, _, last = stem.rpartition("_")
    if last in IRREGULAR_PLURALS:  # person_id -> people; sales_person_id -> sales_people
        forms.append((head + "_" if head else "") + IRREGULAR_PLURALS[last])
    if stem in USER_ALIASES:
        forms += ["users", "user"]
    return forms


def _referenced_table(column: str, tables_by_lower: dict[str, str]) -> str | None:
    stem = reference_stem(column)
    if stem is None:
        return None
    for form in _table_candidates(stem):
        if form in tables_by_lower:
            return tables_by_lower[form]
    return None


def _count_orphans(conn: sa.Connection, table: str, column: str, ref_table: str, ref_column: str) -> int:
    q = conn.dialect.identifier_preparer.quote_identifier
    sql = (
        f"SELECT count(*) FROM {q(table)} c WHERE c.{q(column)} IS NOT NULL AND NOT EXISTS "
        f"(SELECT 1 FROM {q(ref_table)} p WHERE p.{q(ref_column)} = c.{q(column)})"
    )
    return int(conn.exec_driver_sql(sql).scalar() or 0)


def _sqlite_table(conn: sa.Connection, table: str, columns) -> SqliteTable:
    rows = conn.exec_driver_sql(
        "SELECT type, sql FROM sqlite_master WHERE tbl_name = ? AND sql IS NOT NULL ORDER BY type DESC, name",
        (table,),
    ).all()
    create = next(sql for kind, sql in rows if kind == "table")
    extra = tuple(sql for kind, sql in rows if kind in ("index", "trigger"))
    copied = tuple(c["name"] for c in columns if not c.get("computed"))
    return SqliteTable(table, create, extra, copied)


# --- text ------------------------------------------------------------------------


def render_text(result: InspectResult, *, plan_written: bool = False) -> str:
    """The findings as lines for a terminal."""
    lines: list[str] = []
    missing = result.missing_foreign_keys
    lines.append(f"Missing foreign keys ({len(missing)}):")
    for m in missing:
        orphans = f"{m.orphans} orphan row{'s' if m.orphans != 1 else ''}"
        lines.append(
            f"  {m.table}.{', '.join(m.columns)} -> {m.references.table}.{', '.join(m.references.columns)}"
            f"  ({orphans}{'' if m.indexed else ', no index'})"
        )
    unindexed = result.unindexed_foreign_keys
    lines.append(f"Foreign keys without an index ({len(unindexed)}):")
    for u in unindexed:
        name = f"  [{u.constraint}]" if u.constraint else ""
        lines.append(f"  {u.table} ({', '.join(u.columns)}){name}")
    no_pk = result.tables_without_primary_key
    lines.append(f"Tables without a primary key ({len(no_pk)}):")
    for t in no_pk:
        lines.append(f"  {t.table}")
    if result.fixable and not plan_written:  # with --emit-plan the plan is written already
        lines.append("`migrator inspect --emit-plan FILE` writes a plan that fixes the first two.")
    elif result.clean:
        lines.append("Nothing to fix.")
    return "\n".join(lines) + "\n"


# --- the plan that fixes it -----------------------------------------------------


def emit_plan(result: InspectResult, dialect: str | None = None, name: str = "inspect-fixes", *, schema_ref: str | None = None) -> str:
    """A plan (YAML text) that adds the missing foreign keys and indexes.

    Per missing foreign key: a step with a ``no_orphans`` precondition (halt,
    showing a sample), a ``not foreign_key_exists`` precondition that marks the
    step applied when the key is already there, the dialect's ``ADD CONSTRAINT``
    (on SQLite, which cannot alter constraints, a rebuild of the table), a
    ``foreign_key_exists`` verify and a rollback. Columns with no index get a
    ``CREATE INDEX`` step too, as does every foreign key without an index; each
    with an ``index_exists`` verify and a rollback. Tables without a primary key
    are listed in a comment: which key is right is for a person to decide.

    Args:
        result: what :func:`inspect_database` found; must be ``fixable``.
        dialect: the target dialect; defaults to the inspected database's.
        name: the plan's name (its journal key).
        schema_ref: the path or URL of the JSON schema for the editor modeline.

    Raises:
        ValueError: when there is nothing to fix.
    """
    dialect = dialect_name(dialect or result.dialect)
    if not result.fixable:
        raise ValueError("nothing to fix: no missing foreign key and no unindexed foreign key")
    sa_dialect = _sqlalchemy_dialect(dialect)
    ids: set[str] = set()
    names: set[str] = set()  # index and constraint names given so far (``user_id`` and ``userId`` make the same)
    index_steps: list[dict] = []
    fk_steps: list[dict] = []
    sqlite_ddl: dict[str, str] = {t.table: t.create_sql for t in result.sqlite_tables}

    def index_step(table: str, cols: tuple[str, ...], why: str) -> dict:
        ix_name = _unique_name(_name("ix", table, cols), names)
        ix = _ddl_index(ix_name, table, cols)
        return {
            "id": _unique_id(f"index-{_slug(table)}-{_slug('-'.join(cols))}", ids),
            "title": f"Index {table} ({', '.join(cols)}): {why}",
            "sql": str(sa.schema.CreateIndex(ix).compile(dialect=sa_dialect)).strip(),
            # SQLAlchemy compiles DROP INDEX with a leading newline; the plan shows the statement alone.
            "rollback": str(sa.schema.DropIndex(ix).compile(dialect=sa_dialect)).strip(),
            "verify": [{"index_exists": {"table": table, "columns": list(cols)}}],
        }

    for m in result.missing_foreign_keys:
        if not m.indexed:
            index_steps.append(index_step(m.table, m.columns, "for the new foreign key"))
        fk_name = _unique_name(_name("fk", m.table, m.columns), names)
        target = {"table": m.table, "columns": list(m.columns), "references": m.references.to_dict()}
        step: dict = {
            "id": _unique_id(f"fk-{_slug(m.table)}-{_slug('-'.join(m.columns))}", ids),
            "title": f"Foreign key {m.table}.{', '.join(m.columns)} → {m.references.table}.{', '.join(m.references.columns)}",
            "preconditions": [
                {
                    "not": {"foreign_key_exists": target},
                    "on_fail": "mark_applied",
                    "message": "the foreign key is already there",
                },
                {
                    "no_orphans": target,
                    "on_fail": "halt",
                    "message": (
                        f"rows whose {', '.join(m.columns)} matches no {m.references.table} row "
                        f"({m.orphans} when inspected): delete them or set the column to NULL first"
                    ),
                },
            ],
        }
        if dialect == "sqlite":
            table = result.sqlite_table(m.table)
            before = sqlite_ddl[m.table]
            after = _add_constraint_to_create(before, _fk_clause(fk_name, m, sa_dialect))
            sqlite_ddl[m.table] = after
            step["sql"] = _sqlite_rebuild(table, after, sa_dialect)
            step["rollback"] = _sqlite_rebuild(table, before, sa_dialect)
            # The rebuild copies every row before the old table is dropped, in one transaction.
            step["allow"] = ["drop-table", "rename"]
        else:
            fk = _ddl_foreign_key(fk_name, m)
            step["sql"] = str(sa.schema.AddConstraint(fk).compile(dialect=sa_dialect))
            step["rollback"] = str(sa.schema.DropConstraint(fk).compile(dialect=sa_dialect))
        step["verify"] = [{"foreign_key_exists": target}]
        fk_steps.append(step)
    for u in result.unindexed_foreign_keys:
        index_steps.append(index_step(u.table, u.columns, "its foreign key has no index"))

    guard = [{"dialect": dialect, "message": f"this plan was generated for {dialect} by `migrator inspect`"}]
    index_phase = {"id": "indexes", "title": "Indexes for foreign keys", "preconditions": guard, "steps": index_steps}
    fk_phase = {"id": "foreign-keys", "title": "Missing foreign keys", "preconditions": guard, "steps": fk_steps}
    # MySQL needs the index before the key (else it creates one of its own, which
    # the rollback would leave behind); on SQLite a rebuild would drop an index made
    # before it, so there the keys come first.
    phases = [fk_phase, index_phase] if dialect == "sqlite" else [index_phase, fk_phase]
    phases = [p for p in phases if p["steps"]]
    plan = {
        "migrator": 1,
        "name": name,
        "description": "Fixes found by `migrator inspect`: missing foreign keys and unindexed foreign keys",
        "phases": phases,
    }
    header = [f"# yaml-language-server: $schema={schema_ref or 'plan.schema.json'}"]
    header += [
        f"# Written by `migrator inspect --emit-plan` for a {dialect} database. Review it, then:",
        "#   migrator plan THIS_FILE && migrator apply THIS_FILE",
    ]
    orphaned = [m for m in result.missing_foreign_keys if m.orphans]
    if orphaned:
        header.append("# Orphan rows found (each foreign key step halts until they are gone):")
        header += [f"#   {m.table}.{', '.join(m.columns)}: {m.orphans}" for m in orphaned]
    if result.tables_without_primary_key:
        header.append("# Tables without a primary key (not fixed here; choose the key by hand):")
        header += [f"#   {t.table}" for t in result.tables_without_primary_key]
    body = yaml.dump(plan, Dumper=_PlanDumper, sort_keys=False, allow_unicode=True, width=4096, default_flow_style=None)
    return "\n".join(header) + "\n" + body


class _PlanDumper(yaml.SafeDumper):
    """Multi-line SQL as literal blocks, and lists indented under their key."""

    def increase_indent(self, flow=False, indentless=False):
        return super().increase_indent(flow, False)

    def ignore_aliases(self, data):
        # The same check mapping is written out twice rather than as &id001/*id001.
        return True


def _str_presenter(dumper, data: str):
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_PlanDumper.add_representer(str, _str_presenter)


def _sqlalchemy_dialect(dialect: str) -> sa.Dialect:
    from sqlalchemy.dialects import mysql, postgresql, sqlite

    return {"postgresql": postgresql.dialect, "mysql": mysql.dialect, "sqlite": sqlite.dialect}[dialect]()


def _quoted(name: str) -> sa.sql.quoted_name:
    # Always quoted: reserved words and camelCase names ("userId") survive on every dialect.
    return sa.sql.quoted_name(name, quote=True)


def _ddl_table(md: sa.MetaData, table: str, cols) -> sa.Table:
    # Only the names matter for the DDL compiled from these stand-in tables.
    return sa.Table(_quoted(table), md, *[sa.Column(_quoted(c), sa.Integer) for c in dict.fromkeys(cols)])


def _ddl_foreign_key(name: str, m: MissingForeignKey) -> sa.ForeignKeyConstraint:
    md = sa.MetaData()
    if m.table == m.references.table:  # a self-reference: one table holds both sides
        table = ref = _ddl_table(md, m.table, m.columns + m.references.columns)
    else:
        table = _ddl_table(md, m.table, m.columns)
        ref = _ddl_table(md, m.references.table, m.references.columns)
    fk = sa.ForeignKeyConstraint(
        [table.c[c] for c in m.columns], [ref.c[c] for c in m.references.columns], name=_quoted(name)
    )
    table.append_constraint(fk)
    return fk


def _ddl_index(name: str, table: str, cols: tuple[str, ...]) -> sa.Index:
    t = _ddl_table(sa.MetaData(), table, cols)
    return sa.Index(_quoted(name), *[t.c[c] for c in cols])


def _fk_clause(name: str, m: MissingForeignKey, sa_dialect: sa.Dialect) -> str:
    q = sa_dialect.identifier_preparer.quote_identifier
    cols = ", ".join(q(c) for c in m.columns)
    refs = ", ".join(q(c) for c in m.references.columns)
    return f"CONSTRAINT {q(name)} FOREIGN KEY ({cols}) REFERENCES {q(m.references.table)} ({refs})"


_CREATE_HEAD = re.compile(
    r"^\s*CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(?:\"(?:[^\"]|\"\")+\"|`[^`]+`|\[[^\]]+\]|[^\s(]+)\s*",
    re.IGNORECASE,
)


def _add_constraint_to_create(create_sql: str, clause: str) -> str:
    # The column list ends at the last ")": table options (WITHOUT ROWID, STRICT) hold none.
    end = create_sql.rstrip().rfind(")")
    head = create_sql[:end].rstrip()
    if "--" in head.rsplit("\n", 1)[-1]:
        # The last column ends in a line comment ("user_id INTEGER -- the author"): a comma
        # after it would be commented out, so the new clause starts on a line of its own.
        return head + f"\n  , {clause}\n" + create_sql[end:]
    return head + f",\n  {clause}\n" + create_sql[end:]


def _sqlite_rebuild(table: SqliteTable, create_sql: str, sa_dialect: sa.Dialect) -> str:
    """SQLite's documented way to change a table's constraints: create the new
    table, copy the rows, drop the old one, rename, recreate indexes and triggers
    (https://www.sqlite.org/lang_altertable.html#otheralter). With
    ``PRAGMA foreign_keys=ON``, tables that reference this one would be affected
    by the DROP; none do for the tables inspect reports.

    The rename runs under ``PRAGMA legacy_alter_table=ON``: otherwise SQLite
    re-checks every view and trigger, and one that reads the table (a view, or a
    trigger on another table) fails it with "no such table", the old table being
    dropped; with the flag those keep their text and read the new table."""
    q = sa_dialect.identifier_preparer.quote_identifier
    temp = f"{table.table}__migrator_rebuild"
    create = _CREATE_HEAD.sub(f"CREATE TABLE {q(temp)} ", create_sql, count=1)
    cols = ", ".join(q(c) for c in table.columns)
    statements = [
        create,
        f"INSERT INTO {q(temp)} ({cols}) SELECT {cols} FROM {q(table.table)}",
        f"DROP TABLE {q(table.table)}",
        "PRAGMA legacy_alter_table = ON",
        f"ALTER TABLE {q(temp)} RENAME TO {q(table.table)}",
        "PRAGMA legacy_alter_table = OFF",
        *table.extra_sql,
    ]
    return ";\n".join(s.strip().rstrip(";") for s in statements) + ";\n"


def _name(prefix: str, table: str, cols: tuple[str, ...]) -> str:
    """``fk_tool_audit_logs_user_id``: snake case, cut with a hash when too long."""
    base = "_".join([prefix, table, *(_CAMEL_BOUNDARY.sub("_", c).lower() for c in cols)])
    base = re.sub(r"[^A-Za-z0-9_]+", "_", base)
    if len(base) <= MAX_NAME:
        return base
    digest = hashlib.sha1(base.encode()).hexdigest()[:8]
    return f"{base[: MAX_NAME - 9]}_{digest}"


def _unique_name(wanted: str, taken: set[str]) -> str:
    """``wanted``, or ``wanted_2``, ``_3``...: no two indexes or constraints of the plan share
    a name (compared without case: MySQL's index names ignore it)."""
    candidate, n = wanted, 2
    while candidate.lower() in taken:
        suffix = f"_{n}"
        candidate, n = wanted[: MAX_NAME - len(suffix)] + suffix, n + 1
    taken.add(candidate.lower())
    return candidate


def _slug(text: str) -> str:
    """A piece of a step id (``^[a-z0-9][a-z0-9._-]*$``): ``tool_audit_logs`` -> ``tool-audit-logs``."""
    text = _CAMEL_BOUNDARY.sub("-", text).lower()
    return re.sub(r"[^a-z0-9.]+", "-", text).strip("-") or "x"


def _unique_id(wanted: str, taken: set[str]) -> str:
    candidate, n = wanted, 2
    while candidate in taken:
        candidate, n = f"{wanted}-{n}", n + 1
    taken.add(candidate)
    return candidate
