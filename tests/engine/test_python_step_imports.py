"""``python`` steps find their neighbours like a script does, say on one line what is
wrong when they cannot be loaded, and fail (exit 1, journaled) when they call sys.exit()."""
from __future__ import annotations

import textwrap
import uuid

from tests.cli.clirun import run, write_plan_file
from tests.dbutil import run_sql


def _plan(tmp_path, target: str) -> str:
    return write_plan_file(tmp_path, textwrap.dedent(
        f"""\
        migrator: 1
        name: py
        phases:
          - id: p
            steps:
              - id: s
                python: "{target}"
        """
    ))


def _unique(prefix: str) -> str:
    # Modules stay in sys.modules for the test session: each test imports its own names.
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


def test_a_module_step_can_import_its_neighbours_inside_the_function(db_url, tmp_path, capsys):
    step, helper = _unique("step"), _unique("helper")
    (tmp_path / f"{helper}.py").write_text("TABLE = 'made_by_helper'\n")
    (tmp_path / f"{step}.py").write_text(textwrap.dedent(
        f"""\
        import sqlalchemy as sa

        def run(ctx):
            import {helper}  # lazily, when the step runs
            ctx.connection.execute(sa.text(f"CREATE TABLE {{{helper}.TABLE}} (id int)"))
        """
    ))
    code, out, err = run(capsys, "--database", db_url, "apply", _plan(tmp_path, f"{step}:run"), "--yes")
    assert code == 0, out + err
    assert run_sql(db_url, "SELECT count(*) FROM made_by_helper") == [(0,)]


def test_a_file_step_can_import_the_modules_beside_it(db_url, tmp_path, capsys):
    sibling = _unique("sibling")
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / f"{sibling}.py").write_text("ROWS = 3\n")
    (tmp_path / "lib" / "steps.py").write_text(f"import {sibling}\n\ndef run(ctx):\n    return {sibling}.ROWS\n")
    code, out, err = run(capsys, "--database", db_url, "apply", _plan(tmp_path, "lib/steps.py:run"), "--yes")
    assert code == 0, out + err
    assert "3 rows" in out


def test_a_missing_function_in_a_file_names_the_file(tmp_path, capsys):
    (tmp_path / "steps.py").write_text("def other(ctx):\n    pass\n")
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    code, out, err = run(capsys, "--database", url, "apply", _plan(tmp_path, "steps.py:absent"), "--yes")
    assert code == 1
    assert "steps.py has no function absent" in out + err
    assert "migrator_step_" not in out + err


def test_a_module_that_fails_to_import_is_reported_on_one_line(tmp_path, capsys):
    broken = _unique("broken")
    (tmp_path / f"{broken}.py").write_text('raise RuntimeError("first line\\nsecond line")\n')
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    code, out, err = run(capsys, "--database", url, "apply", _plan(tmp_path, f"{broken}:run"), "--yes")
    assert code == 1
    assert f"{broken}:run: cannot load: RuntimeError: first line" in out
    assert "second line" not in out + err


def test_sys_exit_in_a_step_fails_the_step_instead_of_ending_migrator(db_url, tmp_path, capsys):
    module = _unique("exits")
    (tmp_path / f"{module}.py").write_text("import sys\n\ndef run(ctx):\n    sys.exit(3)\n")
    code, out, err = run(capsys, "--database", db_url, "apply", _plan(tmp_path, f"{module}:run"), "--yes")
    assert code == 1
    assert f"{module}:run: ExitCalled: sys.exit(3) was called" in out
    assert run_sql(db_url, "SELECT step, status FROM migrator_journal") == [("s", "failed")]


def test_an_exception_with_a_multi_line_message_fails_the_step_on_one_line(sqlite_url, tmp_path, capsys):
    (tmp_path / "steps.py").write_text("def run(ctx):\n    raise ValueError('bad input\\nsecond line\\nthird')\n")
    code, out, err = run(capsys, "--database", sqlite_url, "apply", _plan(tmp_path, "steps.py:run"))
    assert code == 1
    assert "steps.py:run: ValueError: bad input" in out + err and "second line" not in out + err
    assert run_sql(sqlite_url, "SELECT status, message FROM migrator_journal") == [
        ("failed", "steps.py:run: ValueError: bad input")]
