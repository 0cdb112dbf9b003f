"""The commands printed in "how to go on" hints repeat the run's options: ``migrator
resolve`` with ``--database``/``--var``, ``migrator apply`` with the ``--confirm``
already given; and an ``apply`` stopped by drift says what to do, like the dry run."""
from __future__ import annotations

import json
import shlex
import textwrap

from migrator.commandline import resolve_command
from tests.cli.clirun import run, write_plan_file
from tests.dbutil import run_sql as _sql

PARTIAL = textwrap.dedent(
    """\
    migrator: 1
    name: partial
    vars:
      second: 1
    phases:
      - id: p
        steps:
          - id: make
            sql: CREATE TABLE nt (id INTEGER PRIMARY KEY)
          - id: fill
            transaction: false
            sql: |
              INSERT INTO nt (id) VALUES (1);
              INSERT INTO nt (id) VALUES (${second});
              INSERT INTO nt (id) VALUES (3);
    """
)

MANUALS = textwrap.dedent(
    """\
    migrator: 1
    name: manuals
    phases:
      - id: p
        steps:
          - id: m1
            manual: Take the backup.
          - id: s
            sql: CREATE TABLE s (id INTEGER)
          - id: m2
            manual: Tell the team.
          - id: after
            sql: CREATE TABLE after_m2 (id INTEGER)
    """
)


# --- resolve hints carry --database and --var -------------------------------------------------


def test_resolve_command_quotes_values_and_masks_passwords_like_the_apply_command():
    assert resolve_command("my plan.yaml", database="postgresql://u:pw@h/db?password=pw2",
                           variables={"a": "x y"}) == (
        "migrator resolve 'my plan.yaml' --database 'postgresql://u:***@h/db?password=***' --var 'a=x y'"
    )
    assert resolve_command("plan.yaml") == "migrator resolve plan.yaml"


def test_a_partial_failure_names_resolve_with_the_database_and_vars(sqlite_url, tmp_path, capsys):
    plan = write_plan_file(tmp_path, PARTIAL)
    options = ["--database", sqlite_url, "--var", "second=1"]
    code, out, _ = run(capsys, "apply", plan, *options)
    assert code == 1
    resolve = f"migrator resolve {plan} fill --pending --database {sqlite_url} --var second=1"
    assert (f"step fill failed: UNIQUE constraint failed: nt.id; failed at statement 2 of 3; statement 1 is "
            f"committed; `migrator apply` resumes at statement 2, `{resolve}` restarts it\n") in out

    # As printed, it reaches the same database with the same variables: the step restarts.
    code, out, err = run(capsys, *shlex.split(resolve)[1:])
    assert (code, out) == (0, "step fill recorded as pending\n"), err
    _sql(sqlite_url, "DELETE FROM nt")
    code, out, _ = run(capsys, "apply", plan, "--database", sqlite_url, "--var", "second=2")
    assert code == 0, out
    assert _sql(sqlite_url, "SELECT id FROM nt ORDER BY id") == [(1,), (2,), (3,)]


def test_the_needs_resolve_stop_names_resolve_with_the_database_and_vars(sqlite_url, tmp_path, capsys):
    plan = write_plan_file(tmp_path, PARTIAL.replace("${second}", "2"))
    options = ["--database", sqlite_url, "--var", "second=7"]
    assert run(capsys, "apply", plan, *options, "--step", "make")[0] == 0
    checksum = json.loads(run(capsys, "plan", plan, *options, "--format", "json")[1])["phases"][0]["steps"][1]["checksum"]
    _sql(sqlite_url, "INSERT INTO migrator_journal (plan, phase, step, checksum, status, statements_done) "
                     f"VALUES ('partial', 'p', 'fill', '{checksum}', 'running', 1)")
    resolve = f"migrator resolve {plan} fill --applied --database {sqlite_url} --var second=7"
    message = (
        "step fill was interrupted while running (after 1 statement) and is not idempotent; apply executes nothing until it is resolved. "
        f"Check the database, then run `{resolve}` (it completed) or `--pending` (run it again)"
    )
    for command in ("apply", "plan"):
        code, out, _ = run(capsys, command, plan, *options, "--format", "json")
        doc = json.loads(out)
        assert (code, doc["status"], doc["message"]) == (1, "needs_resolve", message)

    code, _, err = run(capsys, *shlex.split(resolve)[1:])
    assert code == 0, err
    assert run(capsys, "apply", plan, *options)[0] == 0


# --- an apply stopped by drift says what to do ------------------------------------------------


def test_an_apply_stopped_by_drift_has_the_dry_runs_next_step(sqlite_url, tmp_path, capsys):
    plan = write_plan_file(tmp_path, PARTIAL)
    assert run(capsys, "apply", plan, "-d", sqlite_url, "--var", "second=2")[0] == 0
    changed = ("-d", sqlite_url, "--var", "second=9")
    hint = "restore the changed steps, or mark them rerun: on_change if they are idempotent"

    code, out, _ = run(capsys, "apply", plan, *changed)
    assert code == 1
    assert f"next: {hint}\n" in out
    code, out, _ = run(capsys, "apply", plan, *changed, "--format", "json")
    assert json.loads(out)["next_steps"] == [hint]
    code, out, _ = run(capsys, "plan", plan, *changed, "--format", "json")
    assert json.loads(out)["next_steps"] == [hint]
    code, out, _ = run(capsys, "apply", plan, *changed, "--format", "markdown")
    assert hint in out


# --- the apply command keeps the --confirm already given --------------------------------------


def test_the_dry_run_after_confirm_m1_names_a_command_that_keeps_it(sqlite_url, tmp_path, capsys):
    plan = write_plan_file(tmp_path, MANUALS)
    code, out, _ = run(capsys, "plan", plan, "-d", sqlite_url, "--confirm", "m1")
    assert code == 0
    expected = f"migrator apply {plan} --confirm m2 --database {sqlite_url} --confirm m1"
    assert f"next: manual step m2 waits for a person: confirm with {expected}\n" in out
    # The verdict says it waits; the reason beside it says how to go on (not the same words twice).
    assert "  m2: waits for a person — confirm with --confirm m2 when it is done\n" in out


def test_an_apply_stopped_at_m2_after_confirm_m1_names_a_command_that_keeps_it(sqlite_url, tmp_path, capsys):
    plan = write_plan_file(tmp_path, MANUALS)
    code, out, _ = run(capsys, "apply", plan, "-d", sqlite_url, "--confirm", "m1", "--yes", "--format", "json")
    assert code == 3
    doc = json.loads(out)
    expected = f"migrator apply {plan} --confirm m2 --database {sqlite_url} --confirm m1"
    assert doc["message"].endswith(f"continue with: {expected}")
    assert f"confirm manual step m2 when done: {expected}" in doc["next_steps"]
    # Copied as printed: m1 is applied by now, and confirming it again changes nothing.
    code, out, err = run(capsys, *shlex.split(expected)[1:])
    assert code == 0, out + err
    assert "after: applied" in out
