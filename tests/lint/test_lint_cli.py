"""`migrator lint` and api.lint: offline findings, exit 1 only on an error that is not accepted."""
from __future__ import annotations

import json
import textwrap

import pytest

from migrator import api
from migrator.cli import main
from migrator.errors import PlanInvalid, UsageError

PLAN = textwrap.dedent(
    """\
    migrator: 1
    name: demo
    vars:
      table: users
    phases:
      - id: p
        steps:
          - id: add-age
            sql: ALTER TABLE ${table} ADD COLUMN age INTEGER NOT NULL
            rollback: ALTER TABLE ${table} DROP COLUMN age
          - id: index-age
            sql: CREATE INDEX ix_age ON ${table} (age)
            rollback: DROP INDEX ix_age
    """
)


@pytest.fixture
def plan_file(tmp_path):
    path = tmp_path / "plan.yaml"
    path.write_text(PLAN)
    return path


def test_api_lint_finds_risks_with_their_location(plan_file):
    findings = api.lint([str(plan_file)])
    assert [(f.rule, f.severity, f.step, f.statement, f.line, f.col) for f in findings] == [
        ("not-null-without-default", "error", "add-age", "ALTER TABLE users ADD COLUMN age INTEGER NOT NULL", 8, 9),
        ("index-not-concurrent", "warning", "index-age", "CREATE INDEX ix_age ON users (age)", 11, 9),
    ]
    assert all(f.file == str(plan_file) for f in findings)


def test_api_lint_uses_the_dialect_and_the_variables(plan_file):
    findings = api.lint([str(plan_file)], dialect="mysql", variables={"table": "people"})
    assert [(f.rule, f.statement) for f in findings] == [
        ("not-null-without-default", "ALTER TABLE people ADD COLUMN age INTEGER NOT NULL")
    ]
    assert findings[0].why.startswith("On a table with rows MySQL fills")


def test_api_lint_collects_the_issues_of_every_invalid_file(tmp_path):
    (tmp_path / "a.yaml").write_text("migrator: 1\nname: a\n")
    (tmp_path / "b.yaml").write_text("migrator: 1\nname: b\n")
    with pytest.raises(PlanInvalid) as exc:
        api.lint([str(tmp_path / "a.yaml"), str(tmp_path / "b.yaml")])
    assert {i.location.file for i in exc.value.issues} == {str(tmp_path / "a.yaml"), str(tmp_path / "b.yaml")}


def test_api_lint_rejects_an_unknown_dialect(plan_file):
    with pytest.raises(UsageError) as exc:
        api.lint([str(plan_file)], dialect="oracle")
    assert str(exc.value) == "--dialect oracle: unsupported database dialect 'oracle' (supported: sqlite, postgresql, mysql)"


def test_cli_exits_1_on_an_error_finding(plan_file, capsys):
    assert main(["lint", str(plan_file)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == (
        f"{plan_file}:8:9: error not-null-without-default (step add-age): Adding a NOT NULL column without a "
        "default fails on a table that has rows, since the existing rows would hold NULL."
    )
    assert out[-1] == "2 risk findings (1 error, 1 warning)"


def test_cli_exits_0_when_the_error_is_accepted(tmp_path, capsys):
    path = tmp_path / "plan.yaml"
    path.write_text(PLAN.replace("    rollback: ALTER", "    allow: [not-null-without-default]\n        rollback: ALTER"))
    assert main(["lint", str(path)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "2 risk findings (1 error, 1 warning; 1 accepted)"


def test_cli_exits_0_with_only_warnings_and_on_sqlite_none(plan_file, capsys):
    assert main(["lint", str(plan_file), "--dialect", "sqlite", "--var", "table=t"]) == 1  # the error stays
    capsys.readouterr()
    path = plan_file.parent / "warn.yaml"
    path.write_text(PLAN.replace(" NOT NULL", ""))
    assert main(["lint", str(path)]) == 0
    assert main(["lint", str(path), "--dialect", "sqlite"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "no risk findings"


def test_cli_json_and_markdown(plan_file, capsys):
    assert main(["lint", str(plan_file), "--format", "json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert (doc["ok"], doc["counts"], [f["rule"] for f in doc["findings"]]) == (
        False,
        {"error": 1, "warning": 1, "accepted": 0},
        ["not-null-without-default", "index-not-concurrent"],
    )
    assert main(["lint", str(plan_file), "--format", "markdown"]) == 1
    assert capsys.readouterr().out.startswith("## migrator lint\n\n**Summary:** 2 risk findings (1 error, 1 warning)\n")


def test_cli_exits_2_on_an_invalid_plan_or_dialect(tmp_path, plan_file, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("migrator: 1\nname: bad\n")
    assert main(["lint", str(bad)]) == 2
    assert capsys.readouterr().err.startswith(f"{bad}:")
    assert main(["lint", str(plan_file), "--dialect", "oracle"]) == 2


@pytest.mark.parametrize(("alias", "dialect"), [("mariadb", "mysql"), ("postgres", "postgresql")])
def test_cli_takes_the_url_schemes_dialect_names(plan_file, capsys, alias, dialect):
    assert main(["lint", str(plan_file), "--dialect", dialect, "--format", "json"]) == 1
    expected = capsys.readouterr().out
    assert main(["lint", str(plan_file), "--dialect", alias, "--format", "json"]) == 1
    assert capsys.readouterr().out == expected
    # The rules are the dialect's own: MySQL's reason, PostgreSQL's index rule.
    findings = json.loads(expected)["findings"]
    if dialect == "mysql":
        assert findings[0]["why"].startswith("On a table with rows MySQL fills")
    else:
        assert [f["rule"] for f in findings] == ["not-null-without-default", "index-not-concurrent"]


def test_quiet_lint_shows_only_the_findings_that_fail_it(tmp_path, capsys):
    # -q means "only errors" for every command: warnings and accepted errors stay quiet.
    path = tmp_path / "plan.yaml"
    path.write_text(PLAN)
    assert main(["-q", "lint", str(path)]) == 1
    out = capsys.readouterr().out
    assert "not-null-without-default" in out and "index-not-concurrent" not in out
    accepted = PLAN.replace("        rollback: ALTER TABLE ${table} DROP COLUMN age\n",
                            "        rollback: ALTER TABLE ${table} DROP COLUMN age\n"
                            "        allow: [not-null-without-default]\n")
    assert accepted != PLAN
    path.write_text(accepted)
    assert main(["-q", "lint", str(path)]) == 0
    assert capsys.readouterr().out == ""
    assert main(["lint", str(path)]) == 0
    assert "index-not-concurrent" in capsys.readouterr().out
