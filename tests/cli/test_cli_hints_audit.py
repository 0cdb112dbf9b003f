"""User-facing hints found in an audit: the command to go on keeps the run's options,
blocked reasons, drift outcomes, bad URLs, warnings in the summary and batch progress."""
from __future__ import annotations

import json
import shlex
import textwrap

import pytest

from tests.cli.clirun import run, write_plan_file
from migrator.commandline import apply_command
from migrator.engine.batches import Progress

PLAN = textwrap.dedent(
    """\
    migrator: 1
    name: hints
    vars:
      table: first
      note: nothing
    phases:
      - id: schema
        steps:
          - id: s1
            sql: CREATE TABLE ${table} (id INTEGER)
            tags: [core]
          - id: s2
            requires: [s1]
            sql: CREATE TABLE second (id INTEGER)
            tags: [core]
          - id: warner
            preconditions:
              - table_exists: nope
                on_fail: warn
            sql: SELECT 1
            tags: [core]
      - id: human
        steps:
          - id: gate
            manual: "Tell the team: ${note}"
            tags: [core]
          - id: after
            sql: CREATE TABLE after_gate (id INTEGER)
            tags: [core]
      - id: extra
        steps:
          - id: untagged
            sql: CREATE TABLE untagged (id INTEGER)
    """
)


@pytest.fixture
def plan_file(tmp_path):
    return write_plan_file(tmp_path, PLAN)


# --- 1. the command to go on carries --database, --var and the selection ------------------


def test_the_manual_stop_prints_a_command_with_the_database_vars_and_selection(sqlite_url, plan_file, capsys):
    options = ["--var", "table=renamed", "--var", "note=all good; go", "--tag", "core", "--skip", "extra"]
    code, out, _ = run(capsys, "apply", plan_file, "--database", sqlite_url, *options)
    assert code == 3
    # The spec's words first (migrator apply PLAN --confirm STEP), the run's options after.
    expected = (
        f"migrator apply {plan_file} --confirm gate --database {sqlite_url} --var table=renamed "
        "--var 'note=all good; go' --skip extra --tag core"
    )
    assert f"continue with: {expected}\n" in out
    assert f"next: confirm manual step gate when done: {expected}\n" in out
    assert f"    when done: {expected}\n" in out
    # Copying the command goes on with the same database and variables: no drift, exit 0.
    argv = shlex.split(expected)
    assert argv[:2] == ["migrator", "apply"]
    code, out, err = run(capsys, *argv[1:])
    assert code == 0, out + err
    assert "after: applied" in out


def test_the_markdown_report_and_json_carry_the_same_command(sqlite_url, plan_file, tmp_path, capsys):
    summary = tmp_path / "summary.md"
    code, out, _ = run(capsys, "--database", sqlite_url, "apply", plan_file, "--var", "table=t2", "--phase", "schema",
                       "--phase", "human", "--format", "json", "--report", str(summary))
    assert code == 3
    expected = f"migrator apply {plan_file} --confirm gate --database {sqlite_url} --var table=t2 --phase schema --phase human"
    doc = json.loads(out)
    assert doc["message"].endswith(f"continue with: {expected}")
    assert f"confirm manual step gate when done: {expected}" in doc["next_steps"]
    assert f"When it is done, run `{expected}`." in summary.read_text()


def test_the_dry_run_names_the_same_command(sqlite_url, plan_file, capsys):
    code, out, _ = run(capsys, "plan", plan_file, "-d", sqlite_url, "--var", "table=t3", "--step", "gate")
    assert code == 0
    expected = f"migrator apply {plan_file} --confirm gate --database {sqlite_url} --var table=t3 --step gate"
    assert f"next: manual step gate waits for a person: confirm with {expected}\n" in out


def test_a_password_in_the_url_is_masked_in_the_command(pg_url, plan_file, capsys):
    # The test server trusts local connections, so any password gets in.
    assert "://root@" in pg_url
    with_password = pg_url.replace("://root@", "://root:s3cret-pw@")
    code, out, err = run(capsys, "apply", plan_file, "--database", with_password)
    assert code == 3, err
    assert "s3cret-pw" not in out + err
    masked = pg_url.replace("://root@", "://root:***@")
    assert f"continue with: migrator apply {plan_file} --confirm gate --database '{masked}'\n" in out


def test_a_url_from_the_environment_is_not_written_into_the_command(sqlite_url, plan_file, capsys, monkeypatch):
    monkeypatch.setenv("MIGRATOR_DATABASE_URL", sqlite_url)
    code, out, _ = run(capsys, "apply", plan_file)
    assert code == 3
    assert f"continue with: migrator apply {plan_file} --confirm gate\n" in out


def test_apply_command_quotes_values_and_masks_passwords():
    assert apply_command("my plan.yaml", database="postgresql://u:pw@h/db?password=pw2",
                         variables={"a": "x y", "b": "$HOME"}, phases=("p",), steps=("s",), skips=("k",),
                         tags=("t",)) == (
        "migrator apply 'my plan.yaml' --database 'postgresql://u:***@h/db?password=***' --var 'a=x y' "
        "--var 'b=$HOME' --phase p --step s --skip k --tag t"
    )
    assert apply_command("plan.yaml") == "migrator apply plan.yaml"


# --- 2. a requirement left out by the selection is not "skipped" ---------------------------


def test_a_step_whose_requirement_was_not_selected_says_so(sqlite_url, plan_file, capsys):
    code, out, _ = run(capsys, "plan", plan_file, "-d", sqlite_url, "--step", "s2")
    assert "  s2: blocked — requires s1, which is not applied (not selected in this run)\n" in out
    code, out, _ = run(capsys, "apply", plan_file, "-d", sqlite_url, "--step", "s2")
    assert code == 0
    assert "  s2: blocked — requires s1, which is not applied (not selected in this run)\n" in out
    assert "skipped" not in out


# --- 3. drift is shown as drift, not "not reached" -----------------------------------------


def test_an_apply_stopped_by_drift_shows_the_step_as_drift(sqlite_url, plan_file, tmp_path, capsys):
    assert run(capsys, "apply", plan_file, "-d", sqlite_url, "--confirm", "gate")[0] == 0
    changed = ("apply", plan_file, "-d", sqlite_url, "--var", "table=other")
    code, out, _ = run(capsys, *changed)
    assert code == 1
    assert "  s1: DRIFT — changed since applied" in out
    assert "s1: not reached" not in out
    assert out.splitlines()[-1] == "Summary: 5 already applied, 1 DRIFT"
    code, out, _ = run(capsys, *changed, "--format", "json")
    doc = json.loads(out)
    s1 = doc["phases"][0]["steps"][0]
    assert (s1["verdict"], s1["outcome"]) == ("drift", "drift")
    assert doc["outcomes"] == {"already_applied": 5, "drift": 1}
    code, out, _ = run(capsys, *changed, "--format", "markdown")
    assert "| `s1` | sql | ❌ **DRIFT** |" in out


# --- 4. bad URL options: one line, exit 2 ----------------------------------------------------


@pytest.mark.parametrize("url, message", [
    ("mysql://root@127.0.0.1/test?charset=bogus",
     "migrator: invalid database URL mysql+pymysql://root@127.0.0.1/test?charset=bogus: the driver rejected its "
     "query options (charset): charset 'bogus' is not one MySQL/MariaDB knows (e.g. utf8mb4)\n"),
    ("mysql://root@127.0.0.1/test?bogus=1",
     "migrator: invalid database URL mysql+pymysql://root@127.0.0.1/test?bogus=1: the driver rejected its query "
     "options (bogus): TypeError: Connection.__init__() got an unexpected keyword argument 'bogus'\n"),
])
def test_a_mysql_url_with_bad_options_is_one_line_and_exit_2(plan_file, capsys, url, message):
    for command in (["apply", plan_file, "--yes"], ["plan", plan_file], ["status", plan_file]):
        code, _, err = run(capsys, "--database", url, *command)
        assert (code, err) == (2, message)


def test_a_sqlite_url_with_an_option_the_driver_ignores_is_one_line_and_exit_2(tmp_path, plan_file, capsys):
    url = f"sqlite:///{tmp_path}/x.db?mode=ro"
    code, _, err = run(capsys, "--database", url, "apply", plan_file)
    assert (code, err) == (2, (
        f"migrator: invalid database URL {url}: unknown SQLite URL option(s) 'mode' (the driver takes uri, timeout, "
        "isolation_level, detect_types, check_same_thread, cached_statements; SQLite's own URI options need "
        "uri=true too)\n"
    ))
    assert not (tmp_path / "x.db").exists()


def test_a_sqlite_url_with_a_host_is_one_line_and_exit_2(plan_file, capsys):
    code, _, err = run(capsys, "--database", "sqlite://u:pw@somehost/x.db", "plan", plan_file)
    assert (code, err) == (2, (
        "migrator: invalid database URL sqlite://u:***@somehost/x.db: a SQLite URL names no user, password, host "
        "or port; use sqlite:///relative/path.db, sqlite:////absolute/path.db or sqlite:// (in memory)\n"
    ))


def test_a_sqlite_file_in_a_missing_directory_is_one_line_and_exit_2(plan_file, capsys):
    code, _, err = run(capsys, "--database", "sqlite:////nonexistent-dir/x.db", "apply", plan_file)
    assert (code, err) == (2, "migrator: cannot connect to sqlite:////nonexistent-dir/x.db: unable to open database file\n")


# --- 5. the summary line counts steps that ran with warnings -----------------------------


def test_the_summary_line_counts_steps_with_warnings(sqlite_url, plan_file, capsys):
    code, out, _ = run(capsys, "apply", plan_file, "-d", sqlite_url, "--confirm", "gate")
    assert code == 0
    assert out.splitlines()[-1] == "Summary: 6 applied, 1 with warnings"
    code, out, _ = run(capsys, "apply", plan_file, "-d", sqlite_url, "--format", "markdown")
    assert "**Summary:** 6 already applied" in out and "with warnings" not in out  # nothing warned this time


def test_the_markdown_summary_line_counts_steps_with_warnings(sqlite_url, plan_file, capsys):
    code, out, _ = run(capsys, "apply", plan_file, "-d", sqlite_url, "--confirm", "gate", "--format", "markdown")
    assert code == 0
    assert "**Summary:** 6 applied · 1 with warnings\n" in out


# --- 6. batch progress compares rows of this run with the total counted at its start ------

BATCH_PLAN = textwrap.dedent(
    """\
    migrator: 1
    name: progress
    phases:
      - id: data
        steps:
          - id: setup
            sql:
              - CREATE TABLE items (id INTEGER PRIMARY KEY, done INTEGER NOT NULL DEFAULT 0)
              - INSERT INTO items (id) VALUES (1), (2), (3), (4), (5), (6)
          - id: mark
            batch:
              sql: UPDATE items SET done = 1 WHERE id IN (SELECT id FROM items WHERE done = 0 ORDER BY id LIMIT :batch_size)
              size: 2
              total: SELECT count(*) FROM items WHERE done = 0
              max_batches: 2
    """
)


def test_batch_progress_after_a_resume_compares_like_with_like(sqlite_url, tmp_path, capsys):
    plan = tmp_path / "batch.yaml"
    plan.write_text(BATCH_PLAN)
    code, _, err = run(capsys, "apply", str(plan), "-d", sqlite_url)
    assert code == 0
    assert "mark: stopped by max_batches: 2 batches, 4 of 6 rows" in err  # partial: not "done"
    code, out, err = run(capsys, "apply", str(plan), "-d", sqlite_url)
    assert code == 0
    # total (2) counted the rows still to do; 6 rows is the attempt's total across both applies.
    assert "mark: done: 3 batches, 2 of 2 rows (6 since the step's attempt began)" in err
    assert "6 of 2 rows" not in err
    assert "mark: applied" in out and "6 rows" in out  # the journal's totals stay across resumes


def test_progress_eta_counts_the_rows_left_of_this_runs_total():
    p = Progress("mark", batches=7, rows=7, total=3, elapsed=1.0, rows_this_run=1)
    assert p.position == 1
    assert p.eta == 2.0  # (3 - 1) rows at 1 row/s, not max(3 - 7, 0)


def test_progress_rate_and_eta_count_the_pause_after_each_batch():
    # After the first batch (10 rows in 3 ms) of a step with `pause: 200ms`, no pause has
    # elapsed yet: the pace is 10 rows per 203 ms, not 3,333 rows/s with an ETA of 0 s.
    first = Progress("bf", batches=1, rows=10, total=300, elapsed=0.003, rows_this_run=10, pause=0.2)
    assert round(first.rate) == 49 and round(first.eta) == 6
    later = Progress("bf", batches=11, rows=110, total=300, elapsed=2.03, rows_this_run=110, pause=0.2)
    assert round(later.rate) == 49 and round(later.eta) == 4
    # Done: no pause follows the last batch.
    done = Progress("bf", batches=30, rows=300, total=300, elapsed=6.0, rows_this_run=300, done=True, pause=0.2)
    assert done.rate == 50.0


def test_batch_progress_says_one_batch_not_one_batches(sqlite_url, tmp_path, capsys):
    plan = tmp_path / "batch.yaml"
    plan.write_text(BATCH_PLAN.replace("size: 2", "size: 5").replace("max_batches: 2", "max_batches: 1"))
    code, _, err = run(capsys, "apply", str(plan), "-d", sqlite_url)
    assert code == 0
    assert "mark: stopped by max_batches: 1 batch, 5 of 6 rows" in err
    assert "1 batches" not in err
