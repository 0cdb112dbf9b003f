"""Acceptance audit of sections 4, 5 and 11: the less-travelled combinations that were
found wrong (each test fails without its fix)."""
from __future__ import annotations

import sqlite3
import threading
import time

from migrator.cli import main
from migrator.plan.build import load_plan
from migrator.urls import mask_text


def _run(capsys, *args: str) -> tuple[int, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out + err


# --- variables (section 5) --------------------------------------------------------------

def test_validate_names_every_undefined_variable_of_one_string(write_plan, capsys):
    plan = write_plan("""
    migrator: 1
    name: v
    phases:
      - id: p
        steps:
          - id: a
            sql: SELECT ${first_missing}, ${second_missing}, '${env:MIGRATOR_AUDIT_SURELY_UNSET}'
    """)
    code, text = _run(capsys, "validate", plan)
    assert code == 2
    assert "${first_missing}" in text and "${second_missing}" in text
    assert "environment variable MIGRATOR_AUDIT_SURELY_UNSET is not set" in text


def test_env_default_applies_to_an_empty_variable_as_in_the_shell(write_plan):
    plan = write_plan("""
    migrator: 1
    name: v
    phases:
      - id: p
        steps:
          - id: a
            sql: SELECT '${env:MIGRATOR_AUDIT_E:-fallback}', '${env:MIGRATOR_AUDIT_E}'
    """)
    step = load_plan(plan, environ={"MIGRATOR_AUDIT_E": ""}).steps[0]
    assert step.action.texts == ("SELECT 'fallback', ''",)
    step = load_plan(plan, environ={"MIGRATOR_AUDIT_E": "set"}).steps[0]
    assert step.action.texts == ("SELECT 'set', 'set'",)


# --- checksums: a --var a python step reads is drift (sections 4, 11) ---------------------

_PY_PLAN = """
migrator: 1
name: pyvars
vars:
  api_version: 1
  batch_size: 100
phases:
  - id: p
    steps:
      - id: py
        python: step.py:run
"""


def test_a_var_that_a_python_step_reads_is_drift_and_one_it_does_not_read_is_not(db_url, write_plan, tmp_path, capsys):
    (tmp_path / "step.py").write_text(
        "def run(ctx):\n    version = int(ctx.vars['api_version'])\n    ctx.log.info('version %s', version)\n"
    )
    plan = write_plan(_PY_PLAN)
    code, text = _run(capsys, "apply", plan, "--database", db_url)
    assert code == 0, text
    # batch_size is not named in step.py: no drift, nothing to do.
    code, text = _run(capsys, "plan", plan, "--database", db_url, "--var", "batch_size=5", "--detailed-exitcode")
    assert code == 0, text
    # api_version is: the function now does something else, as an edited SQL step would.
    code, text = _run(capsys, "apply", plan, "--database", db_url, "--var", "api_version=2")
    assert code == 1
    assert "drift: step py changed since it was applied (journal checksum " in text


def test_a_python_step_that_reads_no_variable_keeps_its_checksum_whatever_the_vars(write_plan, tmp_path):
    (tmp_path / "step.py").write_text("def run(ctx):\n    return 0\n")
    plan = write_plan(_PY_PLAN)
    assert load_plan(plan).steps[0].checksum == load_plan(plan, {"api_version": "9"}).steps[0].checksum


# --- passwords are never printed (section 5) ----------------------------------------------

def test_a_password_given_as_a_url_query_option_is_not_printed(pg_url, write_plan, capsys):
    plan = write_plan("""
    migrator: 1
    name: pw
    phases:
      - id: p
        steps:
          - id: a
            sql: SELECT 1
    """)
    url = pg_url + "?password=AuditS3cret"  # trust auth: accepted and ignored
    for command in (("plan", plan), ("apply", plan), ("status", plan), ("plan", plan, "--format", "json")):
        code, text = _run(capsys, command[0], *command[1:], "--database", url)
        assert code == 0, text
        assert "AuditS3cret" not in text and "password=***" in text


def test_a_url_that_cannot_be_parsed_still_hides_its_password():
    assert mask_text("root:AuditS3cret@127.0.0.1/db") == "root:***@127.0.0.1/db"
    assert mask_text("postgresql://u:pa/ss@h/db?x=a@b") == "postgresql://u:***@h/db?x=a@b"
    assert mask_text("sqlite:///dir/a@b.db") == "sqlite:///dir/a@b.db"


# --- the SQLite lock is the database's own write lock too (section 4) ---------------------

def test_a_sqlite_write_lock_held_by_another_connection_waits_then_exits_3(tmp_path, write_plan, capsys):
    plan = write_plan("""
    migrator: 1
    name: lk
    phases:
      - id: p
        steps:
          - id: a
            sql: CREATE TABLE a (id INTEGER)
    """)
    database = tmp_path / "held.sqlite"
    other = sqlite3.connect(database, isolation_level=None, check_same_thread=False)
    other.execute("CREATE TABLE z (x INTEGER)")
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO z VALUES (1)")
    try:
        start = time.monotonic()
        code, text = _run(capsys, "apply", plan, "--database", f"sqlite:///{database}", "--lock-timeout", "0.5")
        assert code == 3, text
        assert time.monotonic() - start >= 0.5
        assert "database locked by another connection holding the SQLite database's write lock" in text
        # Released within the timeout: apply goes on.
        threading.Timer(0.3, other.rollback).start()
        code, text = _run(capsys, "apply", plan, "--database", f"sqlite:///{database}", "--lock-timeout", "5")
        assert code == 0, text
    finally:
        other.close()
