"""`migrator inspect --emit-plan` with a bad --name or an unwritable path fails as a
command line error should: one line, exit 2, and no report printed before it."""
from __future__ import annotations

from migrator.cli import main
from tests.dbutil import run_sql


def _database_with_a_missing_key(url: str) -> None:
    run_sql(url, "CREATE TABLE users (id INTEGER PRIMARY KEY)")
    run_sql(url, "CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER)")


def test_a_bad_plan_name_prints_nothing_but_the_error(sqlite_url, tmp_path, capsys):
    _database_with_a_missing_key(sqlite_url)
    target = tmp_path / "fixes.yaml"
    code = main(["--database", sqlite_url, "inspect", "--format", "json", "--emit-plan", str(target), "--name", "Bad"])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    assert captured.err.splitlines() == [
        "migrator: --name 'Bad': a plan name is lower case letters, digits, '.', '_' and '-'"]
    assert not target.exists()


def test_an_unwritable_plan_path_prints_nothing_but_the_error(sqlite_url, tmp_path, capsys):
    _database_with_a_missing_key(sqlite_url)
    (tmp_path / "a-file").write_text("")
    code = main(["--database", sqlite_url, "inspect", "--emit-plan", str(tmp_path / "a-file" / "fixes.yaml")])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    assert len(captured.err.splitlines()) == 1
    assert captured.err.startswith(f"migrator: cannot write {tmp_path / 'a-file' / 'fixes.yaml'}")


def test_quiet_leaves_out_the_wrote_line_but_not_the_findings(sqlite_url, tmp_path, capsys):
    _database_with_a_missing_key(sqlite_url)
    target = tmp_path / "fixes.yaml"
    assert main(["--database", sqlite_url, "inspect", "--emit-plan", str(target), "-q"]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    assert captured.out.startswith("Missing foreign keys (1):\n  posts.user_id -> users.id")
    assert target.exists()


def test_init_quiet_writes_the_plan_silently(tmp_path, capsys):
    assert main(["init", str(tmp_path), "-q"]) == 0
    assert capsys.readouterr() == ("", "")
    assert (tmp_path / "plan.yaml").exists()


def test_the_report_hints_at_emit_plan_only_when_no_plan_was_written(sqlite_url, tmp_path, capsys):
    _database_with_a_missing_key(sqlite_url)
    hint = "`migrator inspect --emit-plan FILE` writes a plan"
    assert main(["--database", sqlite_url, "inspect"]) == 0
    assert hint in capsys.readouterr().out
    assert main(["--database", sqlite_url, "inspect", "--emit-plan", str(tmp_path / "fixes.yaml")]) == 0
    captured = capsys.readouterr()
    assert hint not in captured.out and captured.err == f"wrote {tmp_path / 'fixes.yaml'}\n"


def test_read_only_commands_refuse_a_journal_from_a_newer_migrator(sqlite_url, tmp_path, capsys):
    plan = tmp_path / "p.yaml"
    plan.write_text("migrator: 1\nname: p\nphases:\n  - id: a\n    steps:\n      - id: s\n        sql: SELECT 1\n")
    assert main(["--database", sqlite_url, "apply", str(plan)]) == 0
    run_sql(sqlite_url, "UPDATE migrator_journal_meta SET value = '99'")
    capsys.readouterr()
    for command in ("status", "plan", "verify", "apply"):
        assert main(["--database", sqlite_url, command, str(plan)]) == 2, command
        err = capsys.readouterr().err
        assert err.startswith("migrator: the journal table migrator_journal has schema version 99, newer than"), err
