"""Behaviours found missing by a black-box audit of spec sections 1-4 and 11."""
from __future__ import annotations

from migrator import api
from migrator.engine.planner import JournalEntry, JournalState, decide
from tests.engine.plans import plan, step
from tests.engine.test_apply import journal


def test_a_warned_step_journals_its_warning_in_message_whatever_runs_it(db_url, write_plan):
    # Spec section 4: `message` holds "error text, warning, skip reason or confirmation note".
    path = write_plan("""
        migrator: 1
        name: demo
        phases:
          - id: p
            steps:
              - id: make
                sql:
                  - CREATE TABLE w (id INTEGER PRIMARY KEY, done INTEGER NOT NULL DEFAULT 0)
                  - INSERT INTO w (id) VALUES (1), (2), (3)
              - id: in-transaction
                preconditions:
                  - table_exists: nowhere
                    on_fail: warn
                sql: UPDATE w SET done = 0 WHERE id = 1
              - id: no-transaction
                transaction: false
                preconditions:
                  - row_count: {table: w, expect: 9}
                    on_fail: warn
                sql: [UPDATE w SET done = 0 WHERE id = 2, UPDATE w SET done = 0 WHERE id = 3]
              - id: backfill
                preconditions:
                  - table_exists: nowhere
                    on_fail: warn
                batch:
                  sql: UPDATE w SET done = 1 WHERE id IN (SELECT id FROM (SELECT id FROM w WHERE done = 0 ORDER BY id LIMIT :batch_size) s)
                  size: 2
              - id: check
                preconditions:
                  - table_exists: nowhere
                    on_fail: warn
                verify:
                  - row_count: {table: w, where: done = 1, expect: 3}
              - id: quiet
                sql: UPDATE w SET done = 1 WHERE id = 1
    """)
    report = api.apply(path, db_url)
    assert (report.status, report.exit_code) == ("ok", 0)
    missing = "warning: precondition table_exists: nowhere failed: table nowhere does not exist"
    rows = {r[0]: (r[1], r[5]) for r in journal(db_url)}
    assert rows["in-transaction"] == ("applied", missing)
    assert rows["no-transaction"][0] == "applied"
    assert rows["no-transaction"][1].startswith("warning: precondition row_count: table=w, expect=9 failed:")
    assert rows["backfill"] == ("applied", missing)
    assert rows["check"] == ("applied", missing)
    assert rows["make"] == ("applied", None) and rows["quiet"] == ("applied", None)


def test_index_exists_finds_a_named_unique_constraint_by_its_name_on_every_database(db_url, write_plan):
    # Spec section 11: index_exists counts the indexes implied by a unique constraint;
    # on SQLite that index is sqlite_autoindex_*, but the constraint's name must match.
    report = api.apply(write_plan("""
        migrator: 1
        name: demo
        phases:
          - id: p
            steps:
              - id: make
                sql: >-
                  CREATE TABLE u (a INTEGER NOT NULL, b INTEGER NOT NULL, c VARCHAR(10), d INTEGER,
                  PRIMARY KEY (a, b), CONSTRAINT uq_u_cd UNIQUE (c, d))
                verify:
                  - index_exists: {table: u, name: uq_u_cd}
                  - index_exists: {table: u, name: uq_u_cd, columns: [c, d], unique: true}
                  - index_exists: {table: u, columns: [a, b], unique: true}
                  - not: {index_exists: {table: u, name: uq_u_cd, columns: [d, c]}}
    """), db_url)
    assert (report.status, report.exit_code) == ("ok", 0), report.message
    assert all(c.held for c in report.steps[0].verify)


def test_the_dry_run_of_a_step_whose_verify_failed_after_all_its_ddl_says_only_the_verify_runs():
    # Spec section 11 (MySQL): the next apply "runs only its verify again".
    s = step("ddl", "CREATE TABLE x (id INT); CREATE TABLE y (id INT)")
    done = JournalEntry(step="ddl", status="failed", checksum=s.checksum, statements_done=2, rows_affected=0)
    d = decide(plan(s), JournalState({"ddl": done}, exists=True), "mysql").decision("ddl")
    assert (d.verdict, d.resume_at) == ("resume", 2)
    assert d.reason == "failed with all 2 statements committed (its verify failed); runs only its verify again"
    half = JournalEntry(step="ddl", status="failed", checksum=s.checksum, statements_done=1, rows_affected=0)
    d = decide(plan(s), JournalState({"ddl": half}, exists=True), "mysql").decision("ddl")
    assert (d.verdict, d.resume_at, d.reason) == ("resume", 1, "failed with statement 1 committed; resumes at statement 2")
