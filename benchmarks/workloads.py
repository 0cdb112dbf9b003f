"""The benchmarks. Each returns result rows; figures are medians over ``ctx.runs``
runs, and every ratio compares figures taken in the same invocation.

Commands are timed as a user sees them: a subprocess, from start to exit, of the
virtualenv's ``migrator`` (and of ``psql``, ``sqlite3``, ``yoyo``, ``alembic``).
Query counts are taken in-process through :mod:`migrator.api` with a
SQLAlchemy ``before_cursor_execute`` listener.
"""
from __future__ import annotations

import json
import re
import subprocess
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from benchmarks import generate as gen
from benchmarks.env import BenchError, Postgres, Tools, clean_env, median, run_timed
from benchmarks.results import Row, ratio, seconds


@dataclass(frozen=True)
class Sizes:
    validate_steps: int = 1000
    apply_steps: int = 200
    noop_counts: tuple[int, ...] = (20, 200, 2000)
    checks_tables: int = 500
    checks: int = 500
    checks_small: int = 50
    backfill_rows: int = 1_000_000
    backfill_batch: int = 10_000


QUICK = Sizes(validate_steps=20, apply_steps=4, noop_counts=(2, 4, 8), checks_tables=6, checks=6, checks_small=3,
              backfill_rows=2_000, backfill_batch=500)


@dataclass
class Context:
    tools: Tools
    pg: Postgres | None  # None: PostgreSQL was not asked for
    runs: int
    sizes: Sizes
    tmp: Path
    log: Callable[[str], None]
    peers: bool
    fast_tmp: Path  # for SQLite files whose fsyncs should not dominate (query counting only)
    warm_up: bool = True  # untimed first runs (off for --quick, whose figures mean nothing)
    sqlite: bool = True  # the SQLite runs of benchmarks 2, 3 and 6
    _counter: list = field(default_factory=list)

    def pg_skip(self) -> str | None:
        """Why PostgreSQL rows are skipped (None: the server is there)."""
        if self.pg is None:
            return "skipped: PostgreSQL not requested"
        reason = self.pg.unavailable()
        return f"skipped: {reason}" if reason else None

    def dir(self, name: str) -> Path:
        path = self.tmp / name
        path.mkdir(parents=True, exist_ok=True)
        return path


# --- query counting (in-process) --------------------------------------------------------------


@contextmanager
def counting_queries():
    """Count every statement sent to any database while the block runs: through
    SQLAlchemy, and through the driver-level connection of the no-op re-apply."""
    import sqlalchemy as sa

    from migrator import driver

    box = [0]

    def count(*_args, **_kw):
        box[0] += 1

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", count)
    driver.statement_listeners.append(count)
    try:
        yield box
    finally:
        driver.statement_listeners.remove(count)
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", count)


def _api_apply(plan: Path, url: str, **kw):
    from migrator import api

    report = api.apply(str(plan), url, yes=True, **kw)
    if report.exit_code != 0:
        raise BenchError(f"migrator apply {plan} on {url} ended with exit code {report.exit_code}: {report.status}")
    return report


# --- 1. start-up --------------------------------------------------------------------------------

#: Top-level packages that must not be imported by --help and validate.
HEAVY = ("sqlalchemy", "psycopg", "psycopg2", "pymysql", "MySQLdb", "sqlite3", "_sqlite3")


def _imported(tools: Tools, args: list[str]) -> set[str]:
    """Top-level modules imported by ``migrator ARGS`` (``python -X importtime``)."""
    proc = subprocess.run([str(tools.exe("python")), "-X", "importtime", "-m", "migrator", *args],
                          capture_output=True, text=True, env=clean_env())
    if proc.returncode != 0:
        raise BenchError(f"migrator {' '.join(args)} exited {proc.returncode}: {proc.stderr[-2000:]}")
    names = set()
    for line in proc.stderr.splitlines():
        m = re.match(r"import time:\s+\d+ \|\s+\d+ \|\s*(\S+)", line)
        if m:
            names.add(m.group(1).split(".")[0])
    return names


def startup(ctx: Context) -> list[Row]:
    plan = gen.write_validate_plan(ctx.dir("startup") / "plan.yaml", ctx.sizes.validate_steps)
    # Also the apply workload's shape (id + two statements), for contrast with the
    # heavy plan above: YAML parsing grows with the lines, and most plans are lean.
    lean = gen.write_ddl_plan(ctx.dir("startup") / "lean.yaml", gen.ddl_migrations(ctx.sizes.validate_steps))
    py, mig, env = str(ctx.tools.exe("python")), ctx.tools.migrator, clean_env()
    commands = {
        "python": [py, "-c", "pass"],
        "help": [*mig, "--help"],
        "validate": [*mig, "validate", str(plan)],
        "validate-lean": [*mig, "validate", str(lean)],
    }
    times: dict[str, list[float]] = {k: [] for k in commands}
    if ctx.warm_up:
        run_timed(commands["validate"], env=env)  # warm the file cache and .pyc files once
    for _ in range(ctx.runs):
        for key, cmd in commands.items():
            times[key].append(run_timed(cmd, env=env))
    floor = median(times["python"])
    rows = []
    lines = {k: sum(1 for _ in open(p, encoding="utf-8")) for k, p in (("validate", plan), ("validate-lean", lean))}
    for key, label in (("help", "start-up: `migrator --help`"),
                       ("validate", f"start-up: `migrator validate` of a {ctx.sizes.validate_steps:,}-step plan, every step with "
                                    f"preconditions, verify, tags and rollback ({lines['validate']:,} lines)"),
                       ("validate-lean", f"start-up: `migrator validate` of a {ctx.sizes.validate_steps:,}-step plan, each step "
                                         f"two statements ({lines['validate-lean']:,} lines)")):
        t = median(times[key])
        rows.append(Row(label, seconds(t), f"{seconds(floor)} (`python -c pass`)", ratio(t / floor), "≤ 0.4 s",
                        t <= 0.4, "baseline: the same virtualenv's bare interpreter start-up"))
    for args, label in ((["--help"], "--help"), (["validate", str(plan)], "validate")):
        heavy = sorted(_imported(ctx.tools, args) & set(HEAVY))
        rows.append(Row(f"start-up: no SQLAlchemy/driver import on `{label}`",
                        ", ".join(heavy) or "none imported", target="none imported", passed=not heavy,
                        note="from `python -X importtime -m migrator " + label + "`"))
    return rows


# --- 2, 3, 6. apply, no-op re-apply, peers --------------------------------------------------------


@dataclass(frozen=True)
class _Tool:
    """One way to apply the workload: the apply command and its no-op re-run."""

    name: str
    apply: Callable  # (target) -> float seconds
    noop: Callable | None  # (target) -> float seconds, None for the plain SQL client


def _pg_tools(ctx: Context, work: Path, with_peers: bool) -> list[_Tool]:
    mig, env = ctx.tools.migrator, clean_env()
    plan, script = work / "plan.yaml", work / "all.sql"

    def migrator_cmd(db):
        return run_timed([*mig, "apply", str(plan), "--database", db.url, "--yes"], env=env)

    tools = [
        _Tool("psql", lambda db: run_timed(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-1", "-f", str(script),
                                            *db.psql_args()], env=db.psql_env()), None),
        _Tool("psql -f", lambda db: run_timed(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", str(script),
                                               *db.psql_args()], env=db.psql_env()), None),
        _Tool("psql (a transaction per step)",
              lambda db: run_timed(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", str(work / "per-step.sql"),
                                    *db.psql_args()], env=db.psql_env()), None),
        _Tool("migrator", migrator_cmd, migrator_cmd),
        *_floor_tools(ctx, work),
    ]
    if with_peers:
        tools += _peer_tools(ctx, work)
    return tools


def _floor_tools(ctx: Context, work: Path) -> list[_Tool]:
    """benchmarks/floor.py: the same steps with nothing but the specification's transaction
    rule (a step and its journal row per transaction), through SQLAlchemy as migrator runs
    them, and through the driver alone."""
    script = Path(__file__).with_name("floor.py")

    def floor(how: str) -> Callable:
        return lambda db: run_timed([str(ctx.tools.exe("python")), str(script), how, db.url,
                                     str(work / "migrations.json")], env=clean_env())

    return [_Tool(SQLALCHEMY_FLOOR, floor("sqlalchemy"), None), _Tool(DRIVER_FLOOR, floor("driver"), None)]


#: The floor tools' names in the rounds.
SQLALCHEMY_FLOOR, DRIVER_FLOOR = "SQLAlchemy floor", "driver floor"


def _peer_tools(ctx: Context, work: Path) -> list[_Tool]:
    """yoyo and alembic, as their documentation runs them, on the same migrations."""
    env, yoyo_dir, alembic_ini = clean_env(), work / "yoyo", work / "alembic" / "alembic.ini"

    def yoyo(db):
        return run_timed([str(ctx.tools.exe("yoyo")), "apply", "--batch", "--no-config-file",
                          "--database", db.yoyo_url, str(yoyo_dir)], env=env)

    def alembic(db):
        return run_timed([str(ctx.tools.exe("alembic")), "-c", str(alembic_ini), "-x", f"url={db.url}",
                          "upgrade", "head"], env=env)

    return [_Tool("yoyo", yoyo, yoyo), _Tool("alembic", alembic, alembic)]


@dataclass(frozen=True)
class _SqliteDb:
    path: Path

    @property
    def url(self) -> str:
        return f"sqlite:///{self.path}"

    @property
    def yoyo_url(self) -> str:
        return self.url


def _sqlite_tools(ctx: Context, work: Path, with_peers: bool) -> list[_Tool]:
    mig, env = ctx.tools.migrator, clean_env()
    plan, script, one_tx = work / "plan.yaml", work / "all.sql", work / "all-one-transaction.sql"

    def migrator_cmd(db):
        return run_timed([*mig, "apply", str(plan), "--database", db.url, "--yes"], env=env)

    tools = [
        _Tool("sqlite3", lambda db: run_timed(["sqlite3", "-bail", str(db.path)], stdin_path=script, env=env), None),
        _Tool("sqlite3 (one transaction)",
              lambda db: run_timed(["sqlite3", "-bail", str(db.path)], stdin_path=one_tx, env=env), None),
        _Tool("migrator", migrator_cmd, migrator_cmd),
        *_floor_tools(ctx, work),
    ]
    if with_peers:
        tools += _peer_tools(ctx, work)
    return tools


def _write_ddl_workload(work: Path, n: int, with_peers: bool) -> None:
    migrations = gen.ddl_migrations(n)
    gen.write_ddl_plan(work / "plan.yaml", migrations)
    gen.write_sql_script(work / "all.sql", migrations)
    gen.write_sql_script(work / "all-one-transaction.sql", migrations, wrap_transaction=True)
    gen.write_per_step_script(work / "per-step.sql", migrations)
    (work / "migrations.json").write_text(json.dumps(migrations), encoding="utf-8")
    if with_peers:
        gen.write_yoyo_dir(work / "yoyo", migrations)
        gen.write_alembic_project(work / "alembic", migrations)


def _rounds(ctx: Context, tools: list[_Tool], fresh, warm_up: list[_Tool]) -> dict[str, dict[str, list[float]]]:
    """``runs`` rounds; in each, every tool applies to a fresh database, then re-applies.
    The order rotates from round to round so that drifting load hits every tool alike.
    ``warm_up`` (the same tools on a two-step workload) runs first, untimed, so that
    no tool pays for writing its bytecode or for a cold file cache."""
    for tool in warm_up if ctx.warm_up else ():
        with fresh() as db:
            tool.apply(db)
            if tool.noop is not None:
                tool.noop(db)
    times = {t.name: {"apply": [], "noop": []} for t in tools}
    for r in range(ctx.runs):
        k = r % len(tools)
        for tool in tools[k:] + tools[:k]:
            with fresh() as db:
                times[tool.name]["apply"].append(tool.apply(db))
                if tool.noop is not None:
                    times[tool.name]["noop"].append(tool.noop(db))
    return times


@contextmanager
def _fresh_sqlite(directory: Path):
    path = directory / f"bench-{time.monotonic_ns()}.sqlite"
    try:
        yield _SqliteDb(path)
    finally:
        for suffix in ("", "-journal", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


def _noop_queries(ctx: Context, n: int, url_for) -> int:
    """Statements sent by a no-op re-apply of an ``n``-step plan (in-process)."""
    work = ctx.dir(f"noop-count-{n}")
    plan = gen.write_ddl_plan(work / "plan.yaml", gen.ddl_migrations(n))
    with url_for() as url:
        _api_apply(plan, url)
        with counting_queries() as box:
            _api_apply(plan, url)
        return box[0]


@contextmanager
def _fast_sqlite_url(ctx: Context):
    with _fresh_sqlite(ctx.fast_tmp) as db:
        yield db.url


@contextmanager
def _pg_url(ctx: Context):
    with ctx.pg.database() as db:
        yield db.url


def ddl(ctx: Context, wanted: set[str]) -> list[Row]:
    """Benchmarks 2 (apply), 3 (no-op re-apply) and 6 (peers): one set of rounds."""
    n = ctx.sizes.apply_steps
    with_peers = "peers" in wanted and ctx.peers
    if "peers" in wanted and not ctx.peers:
        peer_reason = "skipped: yoyo/alembic not installed in the timed environment (run without --quick once)"
    else:
        peer_reason = ""
    work, warm = ctx.dir("ddl"), ctx.dir("ddl-warm-up")
    _write_ddl_workload(work, n, with_peers)
    _write_ddl_workload(warm, 2, with_peers)
    rows: list[Row] = []
    skip = ctx.pg_skip()
    results = {}
    if skip is None:
        ctx.log(f"  PostgreSQL: {n} steps × {ctx.runs} runs")
        results["PostgreSQL"] = (_rounds(ctx, _pg_tools(ctx, work, with_peers), ctx.pg.database,
                                         _pg_tools(ctx, warm, with_peers)), "psql", "psql -1 -f")
    if ctx.sqlite:
        ctx.log(f"  SQLite: {n} steps × {ctx.runs} runs")
        results["SQLite"] = (_rounds(ctx, _sqlite_tools(ctx, work, with_peers),
                                     lambda: _fresh_sqlite(ctx.dir("sqlite")), _sqlite_tools(ctx, warm, with_peers)),
                             "sqlite3", "sqlite3 <")

    floors = _import_floors(ctx, results)
    for db_name in ("PostgreSQL", "SQLite") if ctx.sqlite else ("PostgreSQL",):
        if db_name not in results:
            if wanted & {"apply", "noop", "peers"}:
                rows.append(Row(f"apply/no-op/peers on {db_name}", "—", passed=None, note=skip))
            continue
        times, base_name, base_label = results[db_name]
        base = median(times[base_name]["apply"])
        mig = median(times["migrator"]["apply"])
        mig_noop = median(times["migrator"]["noop"])
        if "apply" in wanted:
            floor, driver_floor = median(times[SQLALCHEMY_FLOOR]["apply"]), median(times[DRIVER_FLOOR]["apply"])
            rows.append(Row(f"apply {n} steps (CREATE TABLE + CREATE INDEX), {db_name}",
                            seconds(mig), f"{seconds(base)} (`{base_label}`)", ratio(mig / base), "≤ 1.5×",
                            mig / base <= 1.5,
                            note=f"the floors (next rows) alone: {ratio(floor / base)} through SQLAlchemy, "
                                 f"{ratio(driver_floor / base)} through the driver"))
            rows.append(Row(f"apply {n} steps, {db_name}, against the SQLAlchemy floor", seconds(mig),
                            f"{seconds(floor)} (benchmarks/floor.py sqlalchemy)", ratio(mig / floor),
                            note="information: the same steps through SQLAlchemy with nothing but the "
                                 "specification's rule (each step and a journal row in one transaction): "
                                 "import, connect, BEGIN, the statements, one INSERT, COMMIT; what is left "
                                 "is migrator's own work (plan, lock, journal reads, report)"))
            rows.append(Row(f"apply {n} steps, {db_name}, against the driver floor", seconds(mig),
                            f"{seconds(driver_floor)} (benchmarks/floor.py driver)", ratio(mig / driver_floor),
                            note="information: the same, through the driver alone (no SQLAlchemy): the least "
                                 "any Python tool can do under the specification's rule"))
            if db_name == "PostgreSQL":
                auto = median(times["psql -f"]["apply"])
                rows.append(Row(f"apply {n} steps, PostgreSQL, against `psql -f` (issue #5's baseline)", seconds(mig),
                                f"{seconds(auto)} (`psql -f`, each statement committed on its own)",
                                ratio(mig / auto), "≤ 1.5×", mig / auto <= 1.5,
                                note="the same SQL script without -1, as issue #5 states its target"))
                per_step = median(times["psql (a transaction per step)"]["apply"])
                rows.append(Row(f"apply {n} steps, PostgreSQL, against a transaction per step", seconds(mig),
                                f"{seconds(per_step)} (`psql -f`, each step with a journal row in its own "
                                "transaction)", ratio(mig / per_step),
                                note="information: the same SQL under the specification's rule of one transaction "
                                     "per step with its journal row, without Python or SQLAlchemy"))
            if db_name == "SQLite":
                one = median(times["sqlite3 (one transaction)"]["apply"])
                rows.append(Row(f"apply {n} steps, SQLite, against one transaction", seconds(mig),
                                f"{seconds(one)} (`sqlite3 <` of BEGIN; …; COMMIT;)", ratio(mig / one),
                                note="information: migrator commits each step (and its journal row) on its own; "
                                     "each commit is a file sync"))
        if "noop" in wanted:
            floor = floors[db_name]
            rows.append(Row(f"no-op re-apply of the {n}-step plan, {db_name}", seconds(mig_noop),
                            f"{seconds(floor)} (importing the driver)", ratio(mig_noop / floor),
                            "≤ 0.3 s", mig_noop <= 0.3,
                            note="the whole `migrator apply` command, which answers through the driver alone "
                                 "(migrator.engine.shortcut); baseline: `python -c` importing just that driver"))
        if "peers" in wanted:
            if not with_peers:
                rows.append(Row(f"peers on {db_name}", "—", passed=None, note=peer_reason))
                continue
            for peer in ("yoyo", "alembic"):
                p_apply, p_noop = median(times[peer]["apply"]), median(times[peer]["noop"])
                rows.append(Row(f"peer: apply {n} steps, {db_name}, migrator vs {peer}", seconds(mig),
                                f"{seconds(p_apply)} ({peer}; {ratio(p_apply / base)} of `{base_label}`)",
                                ratio(mig / p_apply), "< 1× (faster)", mig < p_apply,
                                note="alembic's default env: one transaction for all revisions" if peer == "alembic"
                                and db_name == "PostgreSQL" else ""))
                rows.append(Row(f"peer: no-op re-apply, {db_name}, migrator vs {peer}", seconds(mig_noop),
                                f"{seconds(p_noop)} ({peer})", ratio(mig_noop / p_noop), "< 1× (faster)",
                                mig_noop < p_noop))

    if "noop" in wanted and ctx.sqlite:
        counts = [_noop_queries(ctx, k, lambda: _fast_sqlite_url(ctx)) for k in ctx.sizes.noop_counts]
        rows.append(_count_row("SQLite", ctx.sizes.noop_counts, counts))
    if "noop" in wanted:
        if skip is None:
            pg_ns = tuple(k for k in ctx.sizes.noop_counts if k <= ctx.sizes.apply_steps)
            counts = [_noop_queries(ctx, k, lambda: _pg_url(ctx)) for k in pg_ns]
            rows.append(_count_row("PostgreSQL", pg_ns, counts))
        else:
            rows.append(Row("no-op re-apply: queries, PostgreSQL", "—", passed=None, note=skip))
    return rows


#: What a process must import to read a database's journal at all: its driver (a no-op
#: re-apply needs no more; see migrator.engine.shortcut).
_FLOOR_IMPORTS = {
    "PostgreSQL": "import psycopg",
    "SQLite": "import sqlite3",
}


def _import_floors(ctx: Context, results: dict) -> dict[str, float]:
    """Median wall time of importing the driver, per database measured."""
    py, env = str(ctx.tools.exe("python")), clean_env()
    times: dict[str, list[float]] = {name: [] for name in results}
    for _ in range(ctx.runs + ctx.warm_up):
        for name in results:
            times[name].append(run_timed([py, "-c", _FLOOR_IMPORTS[name]], env=env))
    return {name: median(t[ctx.warm_up:] or t) for name, t in times.items()}


def _count_row(db_name: str, ns, counts) -> Row:
    label = " / ".join(f"{n:,}" for n in ns)
    return Row(f"no-op re-apply: queries for N = {label}, {db_name}", " / ".join(map(str, counts)),
               target="independent of N", passed=len(set(counts)) == 1,
               note="in-process: SQLAlchemy before_cursor_execute and migrator.driver.statement_listeners")


# --- 4. checks ------------------------------------------------------------------------------------


def checks(ctx: Context) -> list[Row]:
    skip = ctx.pg_skip()
    label = f"checks: {ctx.sizes.checks} table/foreign key/index checks, {ctx.sizes.checks_tables}-table schema"
    if skip:
        return [Row(label, "—", passed=None, note=skip)]
    from migrator.engine.journal import DEFAULT_TABLE

    work = ctx.dir("checks")
    schema = work / "schema.sql"
    schema.write_text("".join(f"{s};\n" for s in gen.schema_sql(ctx.sizes.checks_tables)), encoding="utf-8")
    big = gen.write_checks_plan(work / "checks.yaml", ctx.sizes.checks_tables, ctx.sizes.checks)
    small = gen.write_checks_plan(work / "checks-small.yaml", ctx.sizes.checks_tables, ctx.sizes.checks_small)
    forget = [f"DROP TABLE IF EXISTS {DEFAULT_TABLE}, {DEFAULT_TABLE}_meta"]
    mig, env = ctx.tools.migrator, clean_env()
    with ctx.pg.database() as db:
        ctx.log(f"  creating the {ctx.sizes.checks_tables}-table schema")
        run_timed(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-1", "-f", str(schema), *db.psql_args()],
                  env=db.psql_env())
        db.execute(["ANALYZE"], autocommit=True)
        times = []
        for i in range(ctx.runs + ctx.warm_up):  # a warm-up run first, not counted
            db.execute(forget)
            t = run_timed([*mig, "apply", str(big), "--database", db.url, "--yes"], env=env)
            if i or not ctx.warm_up:
                times.append(t)
        counts = []
        for plan in (small, big):
            db.execute(forget)
            with counting_queries() as box:
                report = _api_apply(plan, db.url)
            counts.append(box[0])
        checked = sum(len(s.preconditions) for p in report.phases for s in p.steps)
    t = median(times)
    return [
        Row(label + ", PostgreSQL", seconds(t), target="≤ 1 s", passed=t <= 1.0,
            note=f"the whole `migrator apply` command; {checked} precondition results reported"),
        Row(f"checks: queries for {ctx.sizes.checks_small} vs {ctx.sizes.checks} checks, PostgreSQL",
            f"{counts[0]} / {counts[1]}", target="bounded (the same)", passed=counts[0] == counts[1],
            note="in-process; the whole apply, journal included"),
    ]


# --- 5. backfill ----------------------------------------------------------------------------------


def backfill(ctx: Context) -> list[Row]:
    rows_n, size = ctx.sizes.backfill_rows, ctx.sizes.backfill_batch
    label = f"backfill: {rows_n:,} rows, PostgreSQL, `batch` (size {size:,}) vs one UPDATE"
    skip = ctx.pg_skip()
    if skip:
        return [Row(label, "—", passed=None, note=skip)]
    import psycopg

    work = ctx.dir("backfill")
    plan = gen.write_backfill_plan(work / "backfill.yaml", size)
    setup = gen.backfill_setup_sql(rows_n)
    single, batch, longest = [], [], []
    with ctx.pg.database() as db:
        for r in range(ctx.runs):
            # Alternate which goes first, so that neither always meets a warmer cache.
            for which in (("single", "batch") if r % 2 == 0 else ("batch", "single")):
                db.execute(setup, autocommit=True)
                if which == "single":
                    with psycopg.connect(db.dsn) as conn:
                        start = time.perf_counter()
                        conn.execute(gen.backfill_single_sql())
                        conn.commit()
                        single.append(time.perf_counter() - start)
                else:
                    events = []
                    start = time.perf_counter()
                    _api_apply(plan, db.url, progress=lambda p: events.append(p.elapsed))
                    batch.append(time.perf_counter() - start)
                    longest.append(max(b - a for a, b in zip(events, events[1:])))
                db.execute([f"DROP TABLE {gen.BACKFILL_TABLE}", "DROP TABLE IF EXISTS migrator_journal, "
                            "migrator_journal_meta"], autocommit=True)
    t_single, t_batch, t_longest = median(single), median(batch), median(longest)
    throughput = t_single / t_batch  # (rows / t_batch) / (rows / t_single)
    return [
        Row(label, f"{seconds(t_batch)} ({rows_n / t_batch:,.0f} rows/s)",
            f"{seconds(t_single)} ({rows_n / t_single:,.0f} rows/s)", ratio(throughput), "throughput ≥ 0.7×",
            throughput >= 0.7, note="in-process `api.apply` (plan load, lock, journal included) vs one "
                                    "UPDATE + COMMIT through psycopg; same table, same partial index"),
        Row(f"backfill: longest batch (size {size:,})", f"{t_longest * 1000:.0f} ms", target="≤ 200 ms",
            passed=t_longest <= 0.2, note="median over runs of the longest batch (batch + journal progress + commit)"),
    ]
