"""``python -m benchmarks``: measure, print the table, write benchmarks/RESULTS.md."""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import workloads
from benchmarks.env import IN_CI, REPO, BenchError, Postgres, find_tools, load_average, machine
from benchmarks.results import document, table, write

NAMES = ("startup", "apply", "noop", "checks", "backfill", "peers")
RESULTS = REPO / "benchmarks" / "RESULTS.md"
NOTES = REPO / "benchmarks" / "notes.md"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Measure migrator against psql/sqlite3 and its peers; print the results as a Markdown "
                    "table and write them to benchmarks/RESULTS.md.",
    )
    p.add_argument("--quick", action="store_true",
                   help="tiny sizes, one run, nothing written unless --output (the smoke test)")
    p.add_argument("--only", action="append", choices=NAMES, metavar="NAME",
                   help=f"run only this benchmark (repeatable): {', '.join(NAMES)}")
    p.add_argument("--runs", type=int, help="runs per figure, whose median is shown (default 5; 1 with --quick)")
    p.add_argument("--venv", help="time the commands of this virtualenv (default: .benchmarks/venv, built "
                                  "the README's way when missing)")
    p.add_argument("--output", help=f"where to write the results (default: {RESULTS.relative_to(REPO)}; "
                                    "with --quick: nowhere)")
    p.add_argument("--no-postgresql", action="store_true", help="leave out everything that needs PostgreSQL")
    p.add_argument("--no-sqlite", action="store_true", help="leave out the SQLite runs of apply/noop/peers")
    return p


def _log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    runs = args.runs if args.runs is not None else (1 if args.quick else 5)
    if runs < 1:
        _parser().error("--runs must be at least 1")
    wanted = set(args.only or NAMES)
    sizes = workloads.QUICK if args.quick else workloads.Sizes()
    output = Path(args.output) if args.output else (None if args.quick else RESULTS)
    pg = None if args.no_postgresql else Postgres()
    if pg is not None and pg.unavailable():
        if IN_CI:
            _log(f"CI=true and {pg.unavailable()}")
            return 2
        _log(f"warning: {pg.unavailable()}; its benchmarks are skipped")
    command = "python -m benchmarks" + (" " + " ".join(argv if argv is not None else sys.argv[1:])).rstrip()
    started, load_start = time.strftime("%Y-%m-%d %H:%M %Z"), load_average()
    if load_start > 1.0:
        _log(f"note: load average {load_start:.2f} on {__import__('os').cpu_count()} cores: figures will be noisy")
    try:
        tools = find_tools(args.venv, quick=args.quick, peers="peers" in wanted, log=_log)
        peers = tools.has("yoyo") and tools.has("alembic")
        rows = []
        with tempfile.TemporaryDirectory(prefix="migrator-bench-") as tmp, \
                tempfile.TemporaryDirectory(prefix="migrator-bench-", dir=_fast_dir()) as fast:
            ctx = workloads.Context(tools=tools, pg=pg, runs=runs, sizes=sizes, tmp=Path(tmp), log=_log,
                                    peers=peers, fast_tmp=Path(fast), warm_up=not args.quick,
                                    sqlite=not args.no_sqlite)
            if "startup" in wanted:
                _log("1. start-up")
                rows += workloads.startup(ctx)
            if wanted & {"apply", "noop", "peers"}:
                _log("2, 3, 6. apply, no-op re-apply, peers")
                rows += workloads.ddl(ctx, wanted)
            if "checks" in wanted:
                _log("4. checks")
                rows += workloads.checks(ctx)
            if "backfill" in wanted:
                _log("5. backfill")
                rows += workloads.backfill(ctx)
        described = machine(tools, pg)
    except BenchError as e:
        _log(f"error: {e}")
        return 2
    text = document(rows, described, command=command, started=started, load=(load_start, load_average()),
                    runs=runs, notes=NOTES.read_text(encoding="utf-8") if NOTES.exists() else "")
    print(table(rows))
    if output is not None:
        write(output, text)
        _log(f"written to {output}")
    missed = [r.benchmark for r in rows if r.passed is False]
    if missed and not args.quick:
        _log(f"{len(missed)} target(s) missed: " + "; ".join(missed))
        return 1
    return 0


def _fast_dir() -> str | None:
    """A RAM-backed directory for SQLite files used only to count queries."""
    shm = Path("/dev/shm")
    return str(shm) if shm.is_dir() else None
