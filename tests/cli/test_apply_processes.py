"""apply as real processes: concurrency, kill -9 and resume, the manual gate, exit codes."""
from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time

import pytest

from migrator.db import create_engine

pytestmark = pytest.mark.slow

SLEEP = {
    "sqlite": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 400000) SELECT count(*) FROM c",
    "postgresql": "SELECT pg_sleep(0.3)",
    "mysql": "SELECT SLEEP(0.3)",
}


def migrator(*args: str, cwd, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "migrator", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=60, **kw)


def start(*args: str, cwd) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "migrator", *args], cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def query(url: str, sql: str):
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            result = conn.exec_driver_sql(sql)
            return result.all()
    finally:
        engine.dispose()


def wait_for(url: str, sql: str, done, timeout: float = 20.0) -> None:
    """Poll until ``done(rows)``; the journal may not exist yet at first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if done(query(url, sql)):
                return
        except Exception:  # the table is not there yet
            pass
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {sql}")


def write(tmp_path, text: str, name: str = "plan.yaml") -> str:
    (tmp_path / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return name


BATCH_PLAN = """
    migrator: 1
    name: demo
    phases:
      - id: p
        steps:
          - id: make
            sql: |
              CREATE TABLE items (id INTEGER PRIMARY KEY, n INTEGER NOT NULL);
              INSERT INTO items (id, n)
              WITH d(x) AS (SELECT 0 UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4
                            UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9)
              SELECT 1 + a.x + 10 * b.x, 0 FROM d a CROSS JOIN d b WHERE a.x + 10 * b.x < 30;
          - id: count-up
            batch:
              sql: >-
                UPDATE items SET n = n + 1 WHERE id IN (SELECT id FROM (SELECT id FROM items WHERE n = 0
                ORDER BY id LIMIT :batch_size) AS b)
              size: 1
              total: SELECT count(*) FROM items WHERE n = 0
              pause: 40ms
            verify:
              - row_count: {table: items, where: n <> 1, expect: 0}
          - id: log
            sql: CREATE TABLE done_log (id INTEGER)
"""


def test_two_concurrent_applies_run_every_step_exactly_once(db_url, tmp_path):
    plan = write(tmp_path, BATCH_PLAN)
    first = start("--database", db_url, "apply", plan, "--lock-timeout", "30", cwd=tmp_path)
    second = start("--database", db_url, "apply", plan, "--lock-timeout", "30", cwd=tmp_path)
    outs = [p.communicate(timeout=60) for p in (first, second)]
    assert [first.returncode, second.returncode] == [0, 0], outs
    rows = query(db_url, "SELECT step, status FROM migrator_journal ORDER BY id")
    assert rows == [("make", "applied"), ("count-up", "applied"), ("log", "applied")]
    assert query(db_url, "SELECT min(n), max(n), count(*) FROM items") == [(1, 1, 30)]


def test_kill_9_mid_batch_then_apply_finishes_without_counting_a_row_twice(db_url, tmp_path):
    plan = write(tmp_path, BATCH_PLAN)
    proc = start("--database", db_url, "apply", plan, cwd=tmp_path)
    wait_for(db_url, "SELECT batches_done FROM migrator_journal WHERE step = 'count-up'",
             lambda rows: rows and (rows[-1][0] or 0) >= 3)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    state = query(db_url, "SELECT status, batches_done, rows_affected FROM migrator_journal WHERE step = 'count-up'")
    assert state[-1][0] == "running" and state[-1][1] == state[-1][2] < 30
    done = migrator("--database", db_url, "apply", plan, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert query(db_url, "SELECT min(n), max(n), count(*) FROM items") == [(1, 1, 30)]
    last = query(db_url, "SELECT status, batches_done, rows_affected FROM migrator_journal "
                         "WHERE step = 'count-up' ORDER BY id")[-1]
    assert last == ("applied", 30, 30)


def test_kill_9_mid_non_transactional_step_then_apply_finishes_it(db_url, db_dialect, tmp_path):
    def insert(i: int) -> str:
        return (f"INSERT INTO nt (id) SELECT {i} FROM (SELECT 1 AS one) AS d "
                f"WHERE NOT EXISTS (SELECT 1 FROM nt WHERE id = {i})")

    statements = [insert(1), SLEEP[db_dialect], insert(2), SLEEP[db_dialect], insert(3), SLEEP[db_dialect], insert(4)]
    body = "\n".join(f"                  {s};" for s in statements)
    plan = write(tmp_path, f"""
        migrator: 1
        name: demo
        phases:
          - id: p
            steps:
              - id: make
                sql: CREATE TABLE nt (id INTEGER PRIMARY KEY)
              - id: fill
                transaction: false
                idempotent: true
                sql: |
{body}
    """)
    proc = start("--database", db_url, "apply", plan, cwd=tmp_path)
    wait_for(db_url, "SELECT statements_done FROM migrator_journal WHERE step = 'fill'",
             lambda rows: rows and (rows[-1][0] or 0) >= 3)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert query(db_url, "SELECT status FROM migrator_journal WHERE step = 'fill'")[-1] == ("running",)
    done = migrator("--database", db_url, "apply", plan, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert query(db_url, "SELECT id FROM nt ORDER BY id") == [(1,), (2,), (3,), (4,)]
    assert query(db_url, "SELECT status, statements_done FROM migrator_journal WHERE step = 'fill' ORDER BY id")[-1] == (
        "applied", 7)


def test_kill_9_in_a_non_transactional_python_step_names_its_ctx_batch_progress_not_statements(sqlite_url, tmp_path):
    (tmp_path / "steps.py").write_text(textwrap.dedent("""\
        import time

        def mark(ctx):
            n = ctx.batch("UPDATE items SET n = 1 WHERE id IN (SELECT id FROM items WHERE n = 0 LIMIT :batch_size)",
                          size=10)
            time.sleep(60)  # killed here, its batches committed
            return n
    """))
    plan = write(tmp_path, BATCH_PLAN.replace("""          - id: count-up
            batch:""", """          - id: mark
            transaction: false
            python: steps.py:mark
          - id: count-up
            batch:"""))
    proc = start("--database", sqlite_url, "apply", plan, cwd=tmp_path)
    wait_for(sqlite_url, "SELECT batches_done FROM migrator_journal WHERE step = 'mark'",
             lambda rows: rows and (rows[-1][0] or 0) >= 3)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    # A python step has no statements: its running row keeps rows and batches, as its other rows do.
    assert query(sqlite_url, "SELECT status, statements_done, batches_done, rows_affected FROM migrator_journal "
                             "WHERE step = 'mark'") == [("running", None, 3, 30)]
    status = migrator("--database", sqlite_url, "status", plan, cwd=tmp_path)
    assert "started " in status.stdout and ": 3 batches, 30 rows so far" in status.stdout
    again = migrator("--database", sqlite_url, "apply", plan, cwd=tmp_path)
    assert again.returncode == 1
    assert "step mark was interrupted while running (with 3 ctx.batch batches, 30 rows committed) and is not " \
           "idempotent" in again.stdout
    assert "statement" not in again.stdout.split("mark: not reached")[1].splitlines()[0]


MANUAL_PLAN = """
    migrator: 1
    name: demo
    phases:
      - id: p
        steps:
          - id: gate
            manual: Answer drizzle-kit's questions.
          - id: after
            sql: CREATE TABLE after_gate (id INTEGER)
"""


def test_the_manual_gate_exits_3_with_the_command_to_continue_then_confirm_goes_on(sqlite_url, tmp_path):
    plan = write(tmp_path, MANUAL_PLAN)
    waiting = migrator("--database", sqlite_url, "apply", plan, cwd=tmp_path)
    assert waiting.returncode == 3, waiting.stderr
    assert f"migrator apply {plan} --confirm gate --database {sqlite_url}" in waiting.stdout
    unknown = migrator("--database", sqlite_url, "apply", plan, "--confirm", "nope", cwd=tmp_path)
    assert (unknown.returncode, unknown.stderr) == (2, "migrator: --confirm nope: no such step in plan demo\n")
    confirmed = migrator("--database", sqlite_url, "apply", plan, "--confirm", "gate", "--report", "summary.md",
                         cwd=tmp_path)
    assert confirmed.returncode == 0, confirmed.stderr
    assert (tmp_path / "summary.md").read_text().strip()


def test_the_second_apply_gives_up_after_the_lock_timeout_with_exit_3_naming_the_holder(db_url, tmp_path):
    plan = write(tmp_path, BATCH_PLAN.replace("pause: 40ms", "pause: 500ms"))
    first = start("--database", db_url, "apply", plan, cwd=tmp_path)
    wait_for(db_url, "SELECT batches_done FROM migrator_journal WHERE step = 'count-up'",
             lambda rows: rows and (rows[-1][0] or 0) >= 1)
    second = migrator("--database", db_url, "apply", plan, "--lock-timeout", "0.2", cwd=tmp_path)
    first.kill()
    first.wait(timeout=10)
    assert second.returncode == 3
    assert "database locked by " in second.stderr and len(second.stderr.strip().splitlines()) == 1
    assert "waited 0.2s" in second.stderr and "Traceback" not in second.stderr


def test_plan_and_status_mid_run_show_the_live_step_running_now_and_read_without_waiting(db_url, tmp_path):
    # plan takes no lock, so it reads a live apply's `running` row; it used to call that
    # step "interrupted" as if its run had died. status shows the progress so far.
    import json

    plan = write(tmp_path, BATCH_PLAN.replace("pause: 40ms", "pause: 300ms"))
    first = start("--database", db_url, "apply", plan, cwd=tmp_path)
    try:
        wait_for(db_url, "SELECT status, batches_done FROM migrator_journal WHERE step = 'count-up'",
                 lambda rows: rows and rows[-1][0] == "running" and (rows[-1][1] or 0) >= 1)
        began = time.monotonic()
        dry = migrator("--database", db_url, "plan", plan, "--format", "json", cwd=tmp_path)
        status = migrator("--database", db_url, "status", plan, cwd=tmp_path)
        assert time.monotonic() - began < 8  # neither waited for the run (the interpreter starts take most of it)
        assert dry.returncode == 0 and status.returncode == 0, dry.stderr + status.stderr
        steps = {s["step"]: s for ph in json.loads(dry.stdout)["phases"] for s in ph["steps"]}
        reason = steps["count-up"]["reason"]
        assert steps["count-up"]["verdict"] == "resume"
        assert reason.startswith("running now: ") and "holds the migration lock" in reason, reason
        assert "migrator apply" in reason or "MySQL connection" in reason, reason
        assert "batches" in status.stdout and "rows so far" in status.stdout, status.stdout
    finally:
        first.kill()
        first.wait(timeout=10)
    # The run is gone: the same row is an interrupted step again, nothing more.
    dry = migrator("--database", db_url, "plan", plan, "--format", "json", cwd=tmp_path)
    steps = {s["step"]: s for ph in json.loads(dry.stdout)["phases"] for s in ph["steps"]}
    assert steps["count-up"]["reason"].startswith("interrupted after "), steps["count-up"]["reason"]


def test_passwords_never_appear_in_output(pg_url, tmp_path):
    plan = write(tmp_path, MANUAL_PLAN)
    with_password = pg_url.replace("root@", "root:s3cr3t-pw@")
    result = migrator("--database", with_password, "apply", plan, "--format", "json", cwd=tmp_path)
    assert result.returncode == 3
    assert "s3cr3t-pw" not in result.stdout + result.stderr and "***" in result.stdout
    failed = migrator("--database", "postgresql://root:s3cr3t-pw@127.0.0.1:1/nope", "apply", plan, cwd=tmp_path)
    assert failed.returncode == 2
    assert "s3cr3t-pw" not in failed.stdout + failed.stderr
    assert "cannot connect to postgresql+psycopg://root:***@127.0.0.1:1/nope: " in failed.stderr
    assert len(failed.stderr.strip().splitlines()) == 1


def test_an_unknown_driver_is_one_line_and_exit_2(tmp_path):
    plan = write(tmp_path, MANUAL_PLAN)
    result = migrator("--database", "oracle+nodriver://u:pw@h/db", "apply", plan, cwd=tmp_path)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "pw@" not in result.stderr
