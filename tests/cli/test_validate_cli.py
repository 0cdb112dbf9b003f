"""`migrator validate`/`--help` from the installed command: exit codes, messages, start-up cost."""
from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from migrator.cli import main

GOOD = textwrap.dedent(
    """\
    migrator: 1
    name: demo
    vars:
      table: users
    phases:
      - id: p
        steps:
          - id: s
            sql: CREATE TABLE ${table} (id INTEGER)
          - id: t
            sql: SELECT 1
    """
)


def test_validate_ok_prints_one_line_per_file(tmp_path, capsys):
    (tmp_path / "a.yaml").write_text(GOOD)
    (tmp_path / "b.yaml").write_text(GOOD)
    assert main(["validate", str(tmp_path / "a.yaml"), str(tmp_path / "b.yaml")]) == 0
    assert capsys.readouterr().out == f"ok {tmp_path / 'a.yaml'}: 1 phase, 2 steps\nok {tmp_path / 'b.yaml'}: 1 phase, 2 steps\n"


def test_var_override_is_checked(tmp_path, capsys):
    (tmp_path / "a.yaml").write_text(GOOD)
    assert main(["validate", str(tmp_path / "a.yaml"), "--var", "table=accounts"]) == 0
    assert main(["validate", str(tmp_path / "a.yaml"), "--var", "tabel=accounts"]) == 2
    assert capsys.readouterr().err.splitlines()[-1] == f"{tmp_path / 'a.yaml'}: --var tabel: the plan neither declares nor uses a variable 'tabel'"


@pytest.mark.parametrize("bad", ["novalue", "=x", ""])
def test_malformed_var_is_a_usage_error(tmp_path, capsys, bad):
    (tmp_path / "a.yaml").write_text(GOOD)
    assert main(["validate", str(tmp_path / "a.yaml"), "--var", bad]) == 2
    assert capsys.readouterr().err == f"migrator: --var {bad!r}: expected name=value\n"


def test_invalid_plan_exits_2_with_located_lines_on_stderr(tmp_path, capsys):
    (tmp_path / "a.yaml").write_text(GOOD.replace("sql: SELECT 1", "sqll: SELECT 1"))
    assert main(["validate", str(tmp_path / "a.yaml")]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [
        f"{tmp_path / 'a.yaml'}:11:9: phases[0].steps[1].sqll: unknown key 'sqll' — did you mean 'sql'?",
    ]


def test_unknown_option_is_exit_2(capsys):
    assert main(["validate", "--nope", "x.yaml"]) == 2
    assert capsys.readouterr().err == "migrator: No such option '--nope' (see `migrator validate --help`)\n"


@pytest.mark.parametrize("args, line", [
    (["apply"], "migrator: Missing argument 'PLAN' (see `migrator apply --help`)"),
    (["apply", "p.yaml", "--format", "bogus"],
     "migrator: Invalid value for '--format': 'bogus' is not one of 'text', 'markdown', 'json' "
     "(see `migrator apply --help`)"),
    (["bogus"], "migrator: No such command 'bogus' (see `migrator --help`)"),
    (["apply", "p.yaml", "--step"], "migrator: Option '--step' requires an argument."),
    (["apply", "p.yaml", "--lock-timeout", "nan"],
     "migrator: Invalid value for '--lock-timeout': nan is not a number of seconds (see `migrator apply --help`)"),
])
def test_a_command_line_mistake_is_one_line_and_exit_2(args, line, capsys):
    # Like every other bad input: one line, not click's usage + hint + error.
    assert main(args) == 2
    assert capsys.readouterr().err == line + "\n"


def _imported_modules(*args: str) -> set[str]:
    code = (
        "import sys; from migrator.cli import main\n"
        "try:\n    main(list(sys.argv[1:]))\nexcept SystemExit:\n    pass\n"
        "print(' '.join(sorted(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True).stdout
    return set(out.split()[-1:] and out.splitlines()[-1].split())


def test_help_and_validate_do_not_import_sqlalchemy_or_drivers(tmp_path):
    (tmp_path / "a.yaml").write_text(GOOD)
    for args in (["--help"], ["validate", str(tmp_path / "a.yaml")]):
        modules = _imported_modules(*args)
        heavy = {m for m in modules if m.split(".")[0] in ("sqlalchemy", "psycopg", "pymysql", "sqlglot")}
        assert heavy == set(), args


def test_validate_of_the_seed_plans_with_their_batch_steps_does_not_import_sqlglot():
    """A usual batch statement (quotes, one :batch_size, one statement) is checked without
    tokenizing: sqlglot alone would add ~75 ms to validate."""
    from pathlib import Path

    plans = Path(__file__).resolve().parents[2] / "plans"
    for plan in ("seed-app/migration.yaml", "examples/batch.yaml"):
        modules = _imported_modules("validate", str(plans / plan))
        assert not {m for m in modules if m.split(".")[0] == "sqlglot"}, plan


def test_installed_command_runs(tmp_path):
    (tmp_path / "a.yaml").write_text(GOOD)
    proc = subprocess.run(["migrator", "validate", str(tmp_path / "a.yaml")], capture_output=True, text=True)
    assert (proc.returncode, proc.stdout) == (0, f"ok {tmp_path / 'a.yaml'}: 1 phase, 2 steps\n")


def test_a_directory_among_the_plans_is_one_of_the_problems_not_a_stop(tmp_path, capsys):
    # Every problem of every file at once: a directory does not hide the other files' errors.
    (tmp_path / "adir").mkdir()
    (tmp_path / "noname.yaml").write_text("migrator: 1\nphases:\n  - id: a\n    steps:\n      - id: s\n        sql: SELECT 1\n")
    for command in ("validate", "lint"):
        assert main([command, str(tmp_path / "adir"), str(tmp_path / "noname.yaml")]) == 2
        assert capsys.readouterr().err.splitlines() == [
            f"{tmp_path / 'adir'}: is a directory, not a plan file",
            f"{tmp_path / 'noname.yaml'}:1:1: missing required key 'name'",
        ]
