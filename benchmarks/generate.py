"""Writers for the benchmark inputs: plans for migrator, the same SQL for psql and
sqlite3, and the same migrations for the peers (yoyo-migrations, alembic).

Every workload is written from one list of SQL statements per migration, so
that every tool executes exactly the same statements.
"""
from __future__ import annotations

import json
from pathlib import Path


def _q(text: str) -> str:
    """A YAML scalar for ``text`` (JSON strings are valid YAML)."""
    return json.dumps(text)


# --- workload 2/3: N migrations of CREATE TABLE + CREATE INDEX -------------------------------


def ddl_migrations(n: int) -> list[tuple[str, list[str]]]:
    """``n`` migrations ``(id, [CREATE TABLE ..., CREATE INDEX ...])``."""
    out = []
    for i in range(1, n + 1):
        t = f"bench_t{i:04d}"
        out.append((f"m{i:04d}", [
            f"CREATE TABLE {t} (id INTEGER PRIMARY KEY, name VARCHAR(100) NOT NULL, created_at TIMESTAMP)",
            f"CREATE INDEX ix_{t}_name ON {t} (name)",
        ]))
    return out


def write_ddl_plan(path: Path, migrations, *, name: str = "bench-ddl") -> Path:
    """A migrator plan: one phase, one ``sql`` step per migration."""
    lines = ["migrator: 1", f"name: {name}", "phases:", "  - id: schema", "    steps:"]
    for mid, statements in migrations:
        lines.append(f"      - id: {mid}")
        lines.append("        sql:")
        lines.extend(f"          - {_q(s)}" for s in statements)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_sql_script(path: Path, migrations, *, wrap_transaction: bool = False) -> Path:
    """All statements as one script (``psql -1 -f`` / ``sqlite3 <``).

    ``wrap_transaction`` adds BEGIN/COMMIT, the sqlite3 equivalent of ``psql -1``.
    """
    body = [f"{s};" for _, statements in migrations for s in statements]
    if wrap_transaction:
        body = ["BEGIN;", *body, "COMMIT;"]
    path.write_text("\n".join(body) + "\n", encoding="utf-8")
    return path


def write_per_step_script(path: Path, migrations) -> Path:
    """The statements as ``psql -f`` would run them under a migrator's rules: each migration
    in its own transaction together with a row in a bookkeeping table (the floor of any
    tool that commits each migration with its journal row, as the specification asks)."""
    body = ["CREATE TABLE bench_journal (id SERIAL PRIMARY KEY, step VARCHAR(255) NOT NULL, at TIMESTAMP NOT NULL);"]
    for step_id, statements in migrations:
        body += ["BEGIN;", *(f"{s};" for s in statements),
                 f"INSERT INTO bench_journal (step, at) VALUES ('{step_id}', now()) RETURNING id;", "COMMIT;"]
    path.write_text("\n".join(body) + "\n", encoding="utf-8")
    return path


def write_yoyo_dir(directory: Path, migrations) -> Path:
    """yoyo-migrations: one ``.sql`` file per migration, applied in name order."""
    directory.mkdir(parents=True, exist_ok=True)
    for mid, statements in migrations:
        (directory / f"{mid}.sql").write_text("".join(f"{s};\n" for s in statements), encoding="utf-8")
    return directory


def write_alembic_project(directory: Path, migrations) -> Path:
    """An alembic project (``alembic.ini``, ``env.py``, one revision per migration).

    The URL comes from ``-x url=...`` so that one project serves every database.
    ``env.py`` is what ``alembic init`` writes, minus the metadata: alembic's
    default, one transaction around all pending revisions, is what its users run.
    """
    versions = directory / "versions"
    versions.mkdir(parents=True, exist_ok=True)
    (directory / "alembic.ini").write_text(
        "[alembic]\nscript_location = %(here)s\n\n"
        "[loggers]\nkeys = root\n[handlers]\nkeys = console\n[formatters]\nkeys = generic\n"
        "[logger_root]\nlevel = WARNING\nhandlers = console\n"
        "[handler_console]\nclass = StreamHandler\nargs = (sys.stderr,)\nlevel = NOTSET\nformatter = generic\n"
        "[formatter_generic]\nformat = %(levelname)s %(message)s\n",
        encoding="utf-8",
    )
    (directory / "env.py").write_text(
        "from alembic import context\n"
        "from sqlalchemy import create_engine, pool\n\n"
        "url = context.get_x_argument(as_dictionary=True)['url']\n"
        "engine = create_engine(url, poolclass=pool.NullPool)\n"
        "with engine.connect() as connection:\n"
        "    context.configure(connection=connection)\n"
        "    with context.begin_transaction():\n"
        "        context.run_migrations()\n",
        encoding="utf-8",
    )
    previous = None
    for mid, statements in migrations:
        body = "".join(f"    op.execute({s!r})\n" for s in statements)
        (versions / f"{mid}.py").write_text(
            "from alembic import op\n\n"
            f"revision = {mid!r}\ndown_revision = {previous!r}\nbranch_labels = None\ndepends_on = None\n\n\n"
            f"def upgrade():\n{body}\n\ndef downgrade():\n    pass\n",
            encoding="utf-8",
        )
        previous = mid
    return directory


# --- workload 1: a 1,000-step plan to validate ---------------------------------------------


def write_validate_plan(path: Path, steps: int, *, per_phase: int = 100) -> Path:
    """A realistic large plan: phases of steps with SQL, rollback, preconditions,
    verify checks, tags and a variable, so validation exercises every layer."""
    lines = [
        "# yaml-language-server: $schema=../schemas/plan.schema.json",
        "migrator: 1",
        "name: bench-validate",
        "description: A generated plan for the start-up benchmark",
        "vars:",
        "  id_type: BIGINT",
        "phases:",
    ]
    for i in range(1, steps + 1):
        if (i - 1) % per_phase == 0:
            p = (i - 1) // per_phase + 1
            lines += [f"  - id: phase-{p:03d}", f"    title: Phase {p}", "    steps:"]
        t = f"t{i:04d}"
        lines += [
            f"      - id: create-{t}",
            f"        title: Create {t}",
            "        tags: [schema]",
            "        preconditions:",
            f"          - not: {{table_exists: {t}}}",
            "            on_fail: mark_applied",
            "        sql: |",
            f"          CREATE TABLE {t} (id ${{id_type}} PRIMARY KEY, name VARCHAR(100) NOT NULL);",
            f"          CREATE INDEX ix_{t}_name ON {t} (name);",
            "        verify:",
            f"          - table_exists: {t}",
            f"          - index_exists: {{table: {t}, columns: [name]}}",
            f"        rollback: DROP TABLE {t}",
        ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# --- workload 4: checks on a wide schema --------------------------------------------------


def schema_sql(tables: int) -> list[str]:
    """A schema of ``tables`` tables; every table after the first references the
    previous one through an indexed foreign key."""
    out = []
    for i in range(1, tables + 1):
        t = f"s{i:04d}"
        if i == 1:
            out.append(f"CREATE TABLE {t} (id INTEGER PRIMARY KEY, name VARCHAR(50))")
        else:
            p = f"s{i - 1:04d}"
            out.append(f"CREATE TABLE {t} (id INTEGER PRIMARY KEY, name VARCHAR(50), "
                       f"parent_id INTEGER REFERENCES {p} (id))")
            out.append(f"CREATE INDEX ix_{t}_parent ON {t} (parent_id)")
    return out


def check_specs(tables: int, checks: int) -> list[str]:
    """``checks`` YAML check mappings, cycling table_exists / foreign_key_exists /
    index_exists over the tables (all of them hold)."""
    out = []
    for k in range(checks):
        i = 2 + k % (tables - 1) if tables > 1 else 1
        t, p = f"s{i:04d}", f"s{i - 1:04d}"
        kind = k % 3
        if kind == 0 or tables == 1:
            out.append(f"{{table_exists: {t}}}")
        elif kind == 1:
            out.append(f"{{foreign_key_exists: {{table: {t}, columns: parent_id, references: {p}.id}}}}")
        else:
            out.append(f"{{index_exists: {{table: {t}, columns: [parent_id]}}}}")
    return out


def write_checks_plan(path: Path, tables: int, checks: int) -> Path:
    """One check step whose preconditions are ``checks`` schema checks."""
    lines = ["migrator: 1", "name: bench-checks", "phases:", "  - id: checks", "    steps:",
             "      - id: schema-is-there", "        preconditions:"]
    lines += [f"          - {c}" for c in check_specs(tables, checks)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# --- workload 5: a batch backfill -------------------------------------------------------

BACKFILL_TABLE = "bench_events"


def backfill_setup_sql(rows: int) -> list[str]:
    """The table to backfill: ``rows`` rows whose ``score`` is NULL, and the partial
    index that lets each batch find the rows not done yet without rescanning the
    done ones (the usual companion of a resumable backfill)."""
    t = BACKFILL_TABLE
    return [
        f"DROP TABLE IF EXISTS {t}",
        f"CREATE TABLE {t} (id BIGINT PRIMARY KEY, kind INTEGER NOT NULL, score INTEGER)",
        f"INSERT INTO {t} (id, kind) SELECT g, g % 7 FROM generate_series(1, {rows}) AS g",
        f"CREATE INDEX ix_{t}_todo ON {t} (id) WHERE score IS NULL",
        f"VACUUM ANALYZE {t}",
    ]


def backfill_single_sql() -> str:
    """The baseline: the whole backfill as one statement."""
    return f"UPDATE {BACKFILL_TABLE} SET score = kind * 10 WHERE score IS NULL"


def backfill_batch_sql() -> str:
    """One batch: the next ``:batch_size`` ids from the first row not done yet.

    Resumable (it looks for ``score IS NULL``), and it walks the primary key in
    order. The common ``WHERE id IN (SELECT id ... LIMIT :batch_size)`` makes
    PostgreSQL hash-join the whole table on every batch (0.3-0.5 s per batch at
    1,000,000 rows, 0.3× the throughput of one UPDATE), so it is not used.
    """
    t = BACKFILL_TABLE
    return (f"UPDATE {t} SET score = kind * 10 WHERE score IS NULL AND id < "
            f"(SELECT min(id) FROM {t} WHERE score IS NULL) + :batch_size")


def write_backfill_plan(path: Path, size: int) -> Path:
    lines = [
        "migrator: 1", "name: bench-backfill", "phases:", "  - id: backfill", "    steps:",
        "      - id: score", "        batch:", f"          size: {size}",
        f"          sql: {_q(backfill_batch_sql())}",
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
