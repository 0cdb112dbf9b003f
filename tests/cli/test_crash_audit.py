"""Black-box audit of interrupted runs: Ctrl-C in a batch and `status` in the gap,
editing a half-done step before it resumes, and a manual step confirmed at a terminal."""
from __future__ import annotations

import os
import pty
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from migrator.db import create_engine

from tests.cli.clirun import run

pytestmark = pytest.mark.slow


def migrator(*args: str, cwd, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "migrator", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=60, **kw)


def query(url: str, sql: str):
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.exec_driver_sql(sql).all()
    finally:
        engine.dispose()


def write(tmp_path, text: str, name: str = "plan.yaml") -> str:
    (tmp_path / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return name


BATCH_PLAN = """
    migrator: 1
    name: crash
    phases:
      - id: p
        steps:
          - id: make
            sql: |
              CREATE TABLE items (id INTEGER PRIMARY KEY, n INTEGER NOT NULL);
              INSERT INTO items (id, n)
              WITH d(x) AS (SELECT 0 UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4
                            UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9)
              SELECT 1 + a.x + 10 * b.x, 0 FROM d a CROSS JOIN d b WHERE a.x + 10 * b.x < 40;
          - id: bump
            batch:
              sql: >-
                UPDATE items SET n = n + 1 WHERE id IN (SELECT id FROM (SELECT id FROM items WHERE n = 0
                ORDER BY id LIMIT :batch_size) AS b)
              size: 1
              pause: 30ms
          - id: after
            sql: CREATE TABLE after_bump (id INTEGER)
"""


def test_ctrl_c_in_a_batch_exits_130_status_shows_the_progress_and_apply_continues(db_url, tmp_path):
    plan = write(tmp_path, BATCH_PLAN)
    proc = subprocess.Popen([sys.executable, "-m", "migrator", "--database", db_url, "apply", plan], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            rows = query(db_url, "SELECT batches_done FROM migrator_journal WHERE step = 'bump'")
            if rows and (rows[-1][0] or 0) >= 3:
                break
        except Exception:  # the journal is not there yet
            pass
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 130, err
    status, batches, rows = query(db_url, "SELECT status, batches_done, rows_affected FROM migrator_journal "
                                          "WHERE step = 'bump' ORDER BY id")[-1]
    done = query(db_url, "SELECT count(*) FROM items WHERE n = 1")[0][0]
    # The batch in flight was rolled back: the journal counts exactly the committed rows.
    assert status == "running" and 3 <= batches == rows == done < 40
    assert query(db_url, "SELECT count(*) FROM items WHERE n > 1") == [(0,)]
    # The message names the step, counts what the journal kept, and says how to go on.
    assert err.endswith(f"\n\nmigrator: interrupted during step bump (batch step: {batches} batches, {rows} rows "
                        f"committed); `migrator apply {plan} --database {db_url}` resumes it\n"), err

    shown = migrator("--database", db_url, "status", plan, cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert f": {batches} batches, {rows} rows so far" in shown.stdout

    again = migrator("--database", db_url, "apply", plan, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert query(db_url, "SELECT status, batches_done, rows_affected FROM migrator_journal "
                         "WHERE step = 'bump' ORDER BY id")[-1] == ("applied", 40, 40)
    assert query(db_url, "SELECT min(n), max(n), count(*) FROM items") == [(1, 1, 40)]


HALF_DONE_PLAN = """
    migrator: 1
    name: half
    phases:
      - id: p
        steps:
          - id: three
            transaction: false
            sql:
              - CREATE TABLE h1 (id INTEGER PRIMARY KEY)
              - {second}
              - CREATE TABLE h3 (id INTEGER PRIMARY KEY)
"""


def test_editing_the_failed_statement_of_a_half_done_step_resumes_there_and_says_the_step_changed(
        db_url, tmp_path, capsys):
    path = str(tmp_path / "plan.yaml")
    write(tmp_path, HALF_DONE_PLAN.format(second="INSERT INTO h1 (id) SELECT id FROM no_such_table"))
    code, out, _ = run(capsys, "--database", db_url, "apply", path)
    assert code == 1 and "failed at statement 2 of 3" in out
    code, out, _ = run(capsys, "--database", db_url, "plan", path)
    assert "resumes at statement 2" in out and "changed since that attempt" not in out

    write(tmp_path, HALF_DONE_PLAN.format(second="INSERT INTO h1 (id) VALUES (7)"))
    code, out, _ = run(capsys, "--database", db_url, "plan", path)
    assert ("failed with statement 1 committed; resumes at statement 2 (the step changed since that attempt: "
            "statement 1 as it is now is not run again; check them, or resolve --pending to restart it)") in out
    code, out, err = run(capsys, "--database", db_url, "apply", path)
    assert code == 0, out + err
    assert query(db_url, "SELECT id FROM h1") == [(7,)]
    assert query(db_url, "SELECT count(*) FROM h3") == [(0,)]


MANUAL_PLAN = """
    migrator: 1
    name: gate
    phases:
      - id: p
        steps:
          - id: gate
            manual: Create the table gate_done by hand.
            verify:
              - table_exists: gate_done
          - id: after
            sql: CREATE TABLE after_gate (id INTEGER)
"""


def at_a_terminal(args: list[str], answer: str, cwd) -> tuple[int, str, str]:
    """``migrator ARGS`` with stdin and stderr on a pseudo-terminal (where the prompt
    goes) answering ``answer``; stdout piped. (exit code, stdout, terminal text)."""
    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen([sys.executable, "-m", "migrator", *args], cwd=cwd, stdin=slave, stderr=slave,
                                stdout=subprocess.PIPE, text=True)
        os.close(slave)
        os.write(master, f"{answer}\n".encode())
        out, _ = proc.communicate(timeout=60)
        seen = b""
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the terminal's other end is closed
                break
            if not chunk:
                break
            seen += chunk
        return proc.returncode, out, seen.decode(errors="replace")
    finally:
        os.close(master)


def test_a_manual_step_confirmed_at_the_prompt_is_reported_as_confirmed_not_as_waiting(sqlite_url, tmp_path):
    plan = write(tmp_path, MANUAL_PLAN)
    code, out, seen = at_a_terminal(["--database", sqlite_url, "apply", plan], "n", tmp_path)
    assert code == 3, out + seen
    assert "Create the table gate_done by hand." in seen and "Is it done? [y/N]" in seen
    assert f"when done: migrator apply {plan} --confirm gate --database {sqlite_url}" in out

    engine = create_engine(sqlite_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE gate_done (id INTEGER)")
    engine.dispose()
    code, out, seen = at_a_terminal(["--database", sqlite_url, "apply", plan], "y", tmp_path)
    assert code == 0, out + seen
    user = query(sqlite_url, "SELECT run_by FROM migrator_journal WHERE step = 'gate'")[-1][0]
    assert user and f"gate: applied — confirmed by {user}\n" in out
    assert "✓ table_exists: gate_done" in out
    assert "when done" not in out and "waits for a person" not in out
    assert query(sqlite_url, "SELECT status, message FROM migrator_journal WHERE step = 'gate' ORDER BY id") == [
        ("applied", f"confirmed by {user}")]
