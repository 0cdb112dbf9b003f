"""The benchmarks run at tiny sizes (``python -m benchmarks --quick``), so they cannot rot.

The figures at these sizes mean nothing; what is checked is that every benchmark
runs to the end, prints its rows and writes the results document, and that the
targets which do not depend on size hold: no SQLAlchemy or driver import on
``--help``/``validate``, and a no-op re-apply whose query count does not grow
with the plan. PostgreSQL parts use the ``pg_url`` fixture's rule: skipped with
the reason shown when the server is unreachable, a failure under ``CI=true``.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def _bench(tmp_path: Path, *args: str) -> tuple[str, str]:
    """Run ``python -m benchmarks --quick ARGS``; return (stdout, RESULTS.md text)."""
    out = tmp_path / "RESULTS.md"
    proc = subprocess.run([sys.executable, "-m", "benchmarks", "--quick", "--output", str(out), *args],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout, out.read_text(encoding="utf-8")


def _rows(text: str) -> dict[str, list[str]]:
    """The results table's rows by benchmark name: [migrator, baseline, ratio, target, result, note]."""
    rows = {}
    for line in text.splitlines():
        if line.startswith("| ") and not line.startswith(("| benchmark", "|---", "| |")):
            cells = [c.strip() for c in line.strip("|").split(" | ")]
            if len(cells) == 7:
                rows[cells[0]] = cells[1:]
    return rows


def test_quick_benchmarks_without_postgresql_print_and_write_every_row(tmp_path):
    stdout, results = _bench(tmp_path, "--no-postgresql")
    rows = _rows(results)
    assert _rows(stdout) == rows
    assert results.startswith("# Benchmark results\n")
    assert "## Machine" in results and "| PostgreSQL server | not requested |" in results
    for name in ("start-up: `migrator --help`",
                 "start-up: `migrator validate` of a 20-step plan, every step with preconditions, verify, tags and rollback (270 lines)",
                 "start-up: `migrator validate` of a 20-step plan, each step two statements (85 lines)",
                 "apply 4 steps (CREATE TABLE + CREATE INDEX), SQLite", "no-op re-apply of the 4-step plan, SQLite"):
        assert rows[name][4] in ("pass", "**FAIL**"), (name, rows[name])
    # Targets that hold at any size:
    assert rows["start-up: no SQLAlchemy/driver import on `--help`"][0] == "none imported"
    assert rows["start-up: no SQLAlchemy/driver import on `validate`"][0] == "none imported"
    assert rows["no-op re-apply: queries for N = 2 / 4 / 8, SQLite"][4] == "pass"
    skipped = "skipped: PostgreSQL not requested"
    assert rows["checks: 6 table/foreign key/index checks, 6-table schema"][5] == skipped
    assert rows["backfill: 2,000 rows, PostgreSQL, `batch` (size 500) vs one UPDATE"][5] == skipped


def test_quick_benchmarks_on_postgresql(tmp_path, pg_url):
    # pg_url is asked for its skip/fail rule; the benchmarks create their own
    # databases through the same server (MIGRATOR_TEST_PG_URL).
    _, results = _bench(tmp_path, "--no-sqlite", "--only", "apply", "--only", "noop", "--only", "checks",
                        "--only", "backfill")
    rows = _rows(results)
    assert rows["apply 4 steps (CREATE TABLE + CREATE INDEX), PostgreSQL"][4] in ("pass", "**FAIL**")
    assert rows["no-op re-apply: queries for N = 2 / 4, PostgreSQL"][4] == "pass"
    assert rows["checks: queries for 3 vs 6 checks, PostgreSQL"][4] == "pass"
    assert rows["checks: 6 table/foreign key/index checks, 6-table schema, PostgreSQL"][4] in ("pass", "**FAIL**")
    longest = rows["backfill: longest batch (size 500)"]
    assert longest[0].endswith(" ms") and longest[4] in ("pass", "**FAIL**")


def test_quick_benchmarks_refuse_a_bad_option(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "benchmarks", "--only", "nonsense"], cwd=REPO,
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert "argument --only: invalid choice: 'nonsense'" in proc.stderr


@pytest.mark.parametrize("runs", ["0", "-1"])
def test_quick_benchmarks_refuse_fewer_than_one_run(runs):
    proc = subprocess.run([sys.executable, "-m", "benchmarks", "--quick", "--runs", runs], cwd=REPO,
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.rstrip().endswith("error: --runs must be at least 1")
