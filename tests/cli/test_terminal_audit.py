"""``migrator`` as a person sees it in a terminal, against what CI sees when piped.

The terminal cases run the installed command under a pseudo-terminal (stdin,
stdout and stderr on it, and it the controlling terminal, so ^C is SIGINT and
^D is end of input), answering a question once it is on the screen.
"""
from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
import time

import pytest

from tests.cli.clirun import run

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
QUESTION = "[y/N]: "


def in_terminal(args, cwd, *, answer: str | None = None, env: dict | None = None, timeout: float = 30) -> tuple[int, str]:
    """Run ``migrator ARGS`` on a pseudo-terminal; type ``answer`` at its first question.
    Returns (exit code, everything the terminal showed, with its \\r\\n line ends)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 100, 0, 0))
    environ = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "MIGRATOR_DATABASE_URL", "COLUMNS")}
    environ.update({"TERM": "xterm-256color", **(env or {})})
    proc = subprocess.Popen(
        [sys.executable, "-m", "migrator", *args], cwd=cwd, env=environ, stdin=slave, stdout=slave, stderr=slave,
        start_new_session=True, preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0),
    )
    os.close(slave)
    shown, deadline = b"", time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if select.select([master], [], [], 0.05)[0]:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # EIO: the command exited and closed the terminal
                    break
                if not chunk:
                    break
                shown += chunk
                if answer is not None and QUESTION.encode() in shown:
                    # As a person would, a moment after the question shows: a ^C that lands
                    # between readline printing the prompt and waiting for input is
                    # noticed only at the next key (CPython's readline).
                    time.sleep(0.3)
                    os.write(master, answer.encode())
                    answer = None
        else:
            pytest.fail(f"migrator {' '.join(args)} did not end in {timeout}s; it showed: {shown!r}")
        return proc.wait(timeout=timeout), shown.decode()
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)


BATCH_THEN_QUESTION = """\
migrator: 1
name: terminal
phases:
  - id: one
    steps:
      - id: make-table
        sql: |
          CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER CHECK (v IS NULL OR v < 2));
          INSERT INTO t (v) WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 60) SELECT NULL FROM c;
        rollback: DROP TABLE t
      - id: fill
        optional: true
        batch:
          sql: UPDATE t SET v = CASE WHEN id > {fail_after} THEN 2 ELSE 1 END WHERE id IN (SELECT id FROM t WHERE v IS NULL LIMIT :batch_size)
          size: 10
          total: SELECT count(*) FROM t WHERE v IS NULL
        rollback: UPDATE t SET v = NULL
      - id: note
        python: steps.py:note
        rollback: SELECT 1
      - id: dba-check
        manual: Ask the DBA to check the replica lag.
"""
STEPS_PY = """\
def note(ctx):
    ctx.log.debug("debug detail")
    ctx.log.info("note on %s", ctx.dialect)
    ctx.log.warning("careful")
    return 0
"""


@pytest.fixture
def plan_dir(tmp_path):
    def write(fail_after: int = 1000):
        (tmp_path / "plan.yaml").write_text(BATCH_THEN_QUESTION.format(fail_after=fail_after))
        (tmp_path / "steps.py").write_text(STEPS_PY)
        return tmp_path
    return write


@pytest.mark.parametrize("env, coloured", [({}, True), ({"NO_COLOR": "1"}, False), ({"TERM": "dumb"}, False)])
def test_colour_only_on_a_terminal_that_shows_it_and_without_no_color(plan_dir, env, coloured):
    code, shown = in_terminal(["plan", "plan.yaml", "--offline", "--dialect", "sqlite"], plan_dir(), env=env)
    assert code == 0
    assert ("\x1b[" in shown) is coloured


def test_a_dumb_terminal_gets_progress_lines_not_a_bar(plan_dir):
    """TERM=dumb (Emacs shell, some CI consoles) cannot move the cursor: no bar, no escape codes."""
    code, shown = in_terminal(["-d", "sqlite:///t.db", "apply", "plan.yaml", "--phase", "one", "--skip", "dba-check"],
                              plan_dir(), env={"TERM": "dumb"})
    assert code == 0
    assert "\x1b" not in shown
    assert "fill: done: 6 batches, 60 of 60 rows" in shown


def test_a_failed_optional_batch_step_ends_its_bar_before_logs_and_the_question(plan_dir):
    code, shown = in_terminal(["-d", "sqlite:///t.db", "apply", "plan.yaml"], plan_dir(fail_after=30), answer="y\n")
    assert code == 0
    bar_end = shown.index("\x1b[?25h")  # the bar shows the cursor again when it ends
    assert bar_end < shown.index("migrator.step.note: note on sqlite")
    lines = ANSI.sub("", shown).split("\r\n")
    assert lines[0].endswith("30/60")  # the bar, where the step stopped
    assert lines[1:4] == ["migrator.step.note: note on sqlite", "migrator.step.note: careful", "Manual step dba-check:"]


def test_end_of_input_at_the_manual_step_question_answers_no(plan_dir):
    code, shown = in_terminal(["-d", "sqlite:///t.db", "apply", "plan.yaml"], plan_dir(), answer="\x04")
    assert code == 3
    assert f"Is it done? {QUESTION}\r\n" in shown  # the prompt's line is ended
    assert "stopped at manual step dba-check" in ANSI.sub("", shown)


def test_ctrl_c_at_the_manual_step_question_ends_its_line(plan_dir):
    code, shown = in_terminal(["-d", "sqlite:///t.db", "apply", "plan.yaml"], plan_dir(), answer="\x03")
    assert code == 130
    assert "\r\nmigrator: interrupted\r\n" in shown


def test_end_of_input_at_the_rollback_question_cancels_it(plan_dir, capsys):
    folder = plan_dir()
    url = f"sqlite:///{folder / 't.db'}"
    assert run(capsys, "-d", url, "apply", str(folder / "plan.yaml"), "--skip", "dba-check")[0] == 0
    code, shown = in_terminal(["-d", url, "rollback", "plan.yaml", "--last", "1"], folder, answer="\x04")
    assert code == 1
    assert f"Roll them back? {QUESTION}\r\n" in shown
    assert "rollback cancelled; nothing was changed" in shown


def test_step_logs_follow_quiet_and_verbose(plan_dir, sqlite_url, capsys):
    """-q: only errors (a step's warnings too); default: info and up; -v: debug too.
    Each run sets its own level, also when several run in one process."""
    plan = str(plan_dir() / "plan.yaml")
    args = ("apply", plan, "--step", "note")
    assert run(capsys, "-d", sqlite_url, *args)[2] == "migrator.step.note: note on sqlite\nmigrator.step.note: careful\n"
    run(capsys, "-d", sqlite_url, "resolve", plan, "note", "--pending")
    assert run(capsys, "-d", sqlite_url, "-q", *args)[2] == ""
    run(capsys, "-d", sqlite_url, "resolve", plan, "note", "--pending")
    assert run(capsys, "-d", sqlite_url, "-v", *args)[2].startswith("migrator.step.note: debug detail\n")


def test_coloured_text_is_the_plain_text_with_colour_codes_added():
    """Padding stays outside the colour codes: a terminal shows no styled trailing blanks,
    and the coloured lines strip to the piped ones."""
    from migrator.render import render
    from tests.render import render_samples as samples

    for report in (samples.plan_report(), samples.apply_report(), samples.status_report(),
                   samples.verify_report(), samples.rollback_report()):
        assert ANSI.sub("", render(report, "text", color=True)) == render(report, "text")


def test_quiet_test_command_shows_no_step_warnings(plan_dir, capsys):
    folder = plan_dir()
    (folder / "only-note.yaml").write_text(
        "migrator: 1\nname: note\nphases:\n  - id: one\n    steps:\n"
        "      - id: note\n        python: steps.py:note\n        idempotent: true\n        rollback: SELECT 1\n")
    code, out, err = run(capsys, "test", str(folder / "only-note.yaml"), "-q")
    assert (code, out, err) == (0, "", "")
