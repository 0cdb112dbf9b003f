"""``python`` steps find their neighbours like a script does, say on one line what is
wrong when they cannot be loaded, and fail (exit 1, journaled) when they call sys.exit()."""
from __future__ import annotations

import json
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


def _apply(capsys, url, tmp_path, target, *extra):
    return run(capsys, "--database", url, "apply", _plan(tmp_path, target), "--yes", *extra)


def test_an_async_or_generator_function_fails_the_step_instead_of_applying_without_running(db_url, tmp_path, capsys):
    """Calling them only makes a coroutine or generator: the body, its SQL, would never run."""
    (tmp_path / "steps.py").write_text(
        "import sqlalchemy as sa\n\n"
        "async def run(ctx):\n    ctx.connection.execute(sa.text('CREATE TABLE by_async (id int)'))\n")
    code, out, err = _apply(capsys, db_url, tmp_path, "steps.py:run")
    assert code == 1, out + err
    assert "steps.py:run: run is async def; a step's function is called synchronously, inside the step's " \
           "transaction: write def run(ctx)" in out
    assert "never awaited" not in err
    (tmp_path / "steps.py").write_text(
        "import sqlalchemy as sa\n\n"
        "def run(ctx):\n    ctx.connection.execute(sa.text('CREATE TABLE by_gen (id int)'))\n    yield 1\n")
    code, out, err = _apply(capsys, db_url, tmp_path, "steps.py:run")
    assert code == 1, out + err
    assert "steps.py:run: run is a generator function (it yields), so its body would not run" in out
    assert run_sql(db_url, "SELECT status FROM migrator_journal ORDER BY id") == [("failed",), ("failed",)]


def test_a_decorated_function_that_returns_a_coroutine_fails_the_step(sqlite_url, tmp_path, capsys):
    (tmp_path / "steps.py").write_text(
        "import functools\n\n"
        "def deco(f):\n    @functools.wraps(f)\n    def w(ctx):\n        return f(ctx)\n    return w\n\n"
        "@deco\nasync def inner(ctx):\n    pass\n\nrun = deco(inner.__wrapped__ if False else inner)\n")
    code, out, err = _apply(capsys, sqlite_url, tmp_path, "steps.py:run")
    assert code == 1, out + err
    assert "steps.py:run: returned a coroutine, so its body did not run" in out
    assert "never awaited" not in err


def test_what_a_step_prints_goes_to_stderr_and_leaves_the_json_report_intact(sqlite_url, tmp_path, capfd):
    (tmp_path / "steps.py").write_text(
        "import subprocess, sys\n\nprint('printed at import')\n\n"
        "def run(ctx):\n    print('printed by the step')\n    sys.stdout.flush()\n"
        "    subprocess.run([sys.executable, '-c', 'print(\"from a subprocess\")'])\n    return 2\n")
    code, out, err = _apply(capfd, sqlite_url, tmp_path, "steps.py:run", "--format", "json")
    assert code == 0, out + err
    assert json.loads(out)["status"] == "ok"
    for line in ("printed at import", "printed by the step", "from a subprocess"):
        assert line in err


def test_file_steps_in_two_directories_each_import_the_helpers_beside_them(db_url, tmp_path, capsys):
    """As `python a/step.py` then `python b/step.py` would: no module left over from the earlier step."""
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "helpers.py").write_text(f"TABLE = 'made_in_{name}'\n")
        (tmp_path / name / "step.py").write_text(
            "import sqlalchemy as sa\nimport helpers\n\n"
            "def run(ctx):\n    ctx.connection.execute(sa.text(f'CREATE TABLE {helpers.TABLE} (id int)'))\n")
    plan = write_plan_file(tmp_path, textwrap.dedent(
        """\
        migrator: 1
        name: py
        phases:
          - id: p
            steps:
              - id: s1
                python: a/step.py:run
              - id: s2
                python: b/step.py:run
        """
    ))
    code, out, err = run(capsys, "--database", db_url, "apply", plan, "--yes")
    assert code == 0, out + err
    assert run_sql(db_url, "SELECT count(*) FROM made_in_a") == [(0,)]
    assert run_sql(db_url, "SELECT count(*) FROM made_in_b") == [(0,)]


def test_a_file_step_may_define_dataclasses_with_postponed_annotations(sqlite_url, tmp_path, capsys):
    """dataclasses look the defining module up in sys.modules, as for any imported module."""
    (tmp_path / "steps.py").write_text(
        "from __future__ import annotations\nfrom dataclasses import dataclass\n\n"
        "@dataclass\nclass Row:\n    id: int\n\n"
        "def run(ctx):\n    return Row(4).id\n")
    code, out, err = _apply(capsys, sqlite_url, tmp_path, "steps.py:run")
    assert code == 0, out + err
    assert "4 rows" in out


def test_a_module_in_the_plan_directory_shadowed_by_an_imported_one_is_named(sqlite_url, tmp_path, capsys):
    """`json:run` with json.py beside the plan: not "json has no function run"."""
    (tmp_path / "json.py").write_text("def run(ctx):\n    pass\n")
    code, out, err = _apply(capsys, sqlite_url, tmp_path, "json:run")
    assert code == 1, out + err
    assert f"json:run: {tmp_path / 'json.py'} is shadowed by json (" in out
    assert "which migrator has already imported; rename it, or write json.py:run to load that file" in out


def test_a_base_exception_or_sys_exit_in_a_step_fails_it_on_one_line(db_url, tmp_path, capsys):
    (tmp_path / "steps.py").write_text(
        "class Stop(BaseException):\n    pass\n\ndef run(ctx):\n    raise Stop('halted\\nmore')\n")
    code, out, err = _apply(capsys, db_url, tmp_path, "steps.py:run")
    assert (code, "Traceback" in out + err) == (1, False), out + err
    assert "steps.py:run: Stop: halted" in out and "more" not in out
    (tmp_path / "steps.py").write_text("class Stop(BaseException):\n    pass\n\nraise Stop('at import')\n")
    code, out, err = _apply(capsys, db_url, tmp_path, "steps.py:run")
    assert (code, "Traceback" in out + err) == (1, False), out + err
    assert "steps.py:run: cannot load: Stop: at import" in out
    (tmp_path / "steps.py").write_text("import sys\nsys.exit(3)\n")
    code, out, err = _apply(capsys, db_url, tmp_path, "steps.py:run")
    assert code == 1, out + err  # not 3 ("waiting"), the code the module chose
    assert "steps.py:run: cannot load: sys.exit(3) was called" in out
    assert run_sql(db_url, "SELECT status FROM migrator_journal ORDER BY id") == [("failed",)] * 3


def test_a_returned_int_counts_rows_unless_it_is_no_count(sqlite_url, tmp_path, capsys):
    """-1 is the DB-API's "unknown" rowcount (0 rows); a number beyond BIGINT fails the step, not migrator."""
    (tmp_path / "steps.py").write_text("def run(ctx):\n    return -1\n")
    code, out, err = _apply(capsys, sqlite_url, tmp_path, "steps.py:run")
    assert code == 0, out + err
    assert run_sql(sqlite_url, "SELECT rows_affected FROM migrator_journal") == [(0,)]
    (tmp_path / "plan2").mkdir()
    (tmp_path / "plan2" / "steps.py").write_text("def run(ctx):\n    return 10**30\n")
    code, out, err = _apply(capsys, f"sqlite:///{tmp_path / 'plan2' / 'db.sqlite'}", tmp_path / "plan2", "steps.py:run")
    assert code == 1, out + err
    assert "steps.py:run: returned 1000000000000000000000000000000, which is no count of rows" in out
