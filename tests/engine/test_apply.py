"""apply, end to end through the API, on SQLite, PostgreSQL and MariaDB."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from migrator import api
from migrator.db import create_engine
from migrator.errors import UsageError
from tests.dbutil import run_sql


def journal(url: str, plan: str = "demo") -> list[tuple]:
    return [
        tuple(r)
        for r in run_sql(
            url,
            "SELECT step, status, statements_done, batches_done, rows_affected, message FROM migrator_journal "
            f"WHERE plan = '{plan}' ORDER BY id",
        )
    ]


def outcomes(report) -> list[tuple[str, str]]:
    return [(s.step, s.outcome) for s in report.steps]


TWO_TABLES = """
    migrator: 1
    name: demo
    phases:
      - id: schema
        steps:
          - id: create-a
            sql: CREATE TABLE a (id INTEGER PRIMARY KEY, v VARCHAR(10))
            rollback: DROP TABLE a
            verify:
              - table_exists: a
          - id: fill-a
            sql: "INSERT INTO a (id, v) VALUES (1, 'x%'); INSERT INTO a (id, v) VALUES (2, 'y')"
            rollback: DELETE FROM a
            requires: [create-a]
"""


def test_apply_runs_every_step_in_its_transaction_and_journals_it(db_url, write_plan):
    report = api.apply(write_plan(TWO_TABLES), db_url)
    assert (report.status, report.exit_code) == ("ok", 0)
    assert outcomes(report) == [("create-a", "applied"), ("fill-a", "applied")]
    assert report.steps[1].rows_affected == 2
    assert journal(db_url) == [("create-a", "applied", 1, None, 0, None), ("fill-a", "applied", 2, None, 2, None)]
    row = run_sql(db_url, "SELECT plan, phase, checksum, run_by, host, tool_version, duration_ms, started_at, finished_at "
                          "FROM migrator_journal WHERE step = 'fill-a'")[0]
    assert row[0:2] == ("demo", "schema") and row[2] == report.steps[1].checksum
    assert all(v is not None for v in row)
    assert run_sql(db_url, "SELECT v FROM a ORDER BY id") == [("x%",), ("y",)]


def _steps(n: int) -> str:
    body = "\n".join(
        f"          - id: t{i}\n            sql: CREATE TABLE t{i} (id INTEGER)\n            rollback: DROP TABLE t{i}"
        for i in range(n)
    )
    return f"""
    migrator: 1
    name: demo
    phases:
      - id: p
        steps:
{body}
"""


def test_reapply_is_a_no_op_with_one_journal_read_and_a_constant_number_of_queries(db_url, write_plan, queries):
    counts = []
    for n in (3, 30):
        path = write_plan(_steps(n), name=f"plan{n}.yaml")
        run_sql(db_url, "DROP TABLE IF EXISTS migrator_journal")
        run_sql(db_url, "DROP TABLE IF EXISTS migrator_journal_meta")
        for i in range(n):
            run_sql(db_url, f"DROP TABLE IF EXISTS t{i}")
        assert api.apply(path, db_url).ok
        queries.clear()
        report = api.apply(path, db_url)
        assert report.ok and {s.outcome for s in report.steps} == {"already_applied"}
        journal_reads = [q for q in queries if re.search(r"FROM [`\"]?migrator_journal[`\"]?\s", q)]
        assert len(journal_reads) == 1, journal_reads
        assert not [q for q in queries if q.lstrip().upper().startswith(("INSERT", "UPDATE", "CREATE"))]
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_drift_stops_the_run_before_anything_executes_and_names_the_step_and_checksums(db_url, write_plan):
    path = write_plan(TWO_TABLES)
    first = api.apply(path, db_url)
    old = first.steps[0].checksum
    edited = TWO_TABLES.replace("v VARCHAR(10))", "v VARCHAR(20))") + """
          - id: later
            sql: CREATE TABLE later (id INTEGER)
"""
    report = api.apply(write_plan(edited), db_url)
    new = report.steps[0].checksum
    assert old != new
    assert (report.status, report.exit_code) == ("drift", 1)
    assert report.message == (
        f"drift: step create-a changed since it was applied (journal checksum {old}, plan checksum {new}); "
        "apply executes nothing while a step has drifted"
    )
    assert report.steps[0].verdict == "drift"
    assert outcomes(report)[2] == ("later", "not_reached")
    assert "later" not in sa.inspect(create_engine(db_url)).get_table_names()


def test_a_var_that_changes_what_a_step_executes_is_drift(db_url, write_plan):
    path = write_plan("""
        migrator: 1
        name: demo
        vars: {n: "1"}
        phases:
          - id: p
            steps:
              - id: s
                sql: CREATE TABLE s${n} (id INTEGER)
    """)
    assert api.apply(path, db_url).ok
    assert api.apply(path, db_url, variables={"n": "1"}).ok
    assert api.apply(path, db_url, variables={"n": "2"}).status == "drift"


FAILING_VERIFY = """
    migrator: 1
    name: demo
    phases:
      - id: p
        steps:
          - id: make
            sql: |
              CREATE TABLE made (id INTEGER);
              INSERT INTO made (id) VALUES (1);
            verify:
              - row_count: {table: made, expect: 2}
                message: made needs two rows
"""


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
def test_a_failing_verify_leaves_no_trace_of_the_step(db_url, write_plan):
    report = api.apply(write_plan(FAILING_VERIFY), db_url)
    assert (report.status, report.exit_code) == ("failed", 1)
    step = report.steps[0]
    assert step.outcome == "failed"
    assert step.error == "verify failed: row_count: table=made, expect=2: made needs two rows; the step's transaction was rolled back"
    assert [c.held for c in step.verify] == [False]
    assert "made" not in sa.inspect(create_engine(db_url)).get_table_names()
    assert journal(db_url) == [("make", "failed", 0, None, None, step.error)]


def test_mysql_a_failing_verify_after_ddl_says_the_ddl_stays_and_reruns_only_the_verify(mysql_url, write_plan):
    report = api.apply(write_plan(FAILING_VERIFY), mysql_url)
    step = report.steps[0]
    assert step.outcome == "failed" and step.statements_done == 2
    assert step.error == (
        "verify failed: row_count: table=made, expect=2: made needs two rows; the step's statements stay committed "
        "(MySQL commits DDL at once); `migrator apply` runs only its verify again (fix the data, or `migrator rollback` first)"
    )
    run_sql(mysql_url, "INSERT INTO made (id) VALUES (2)")
    again = api.apply(write_plan(FAILING_VERIFY), mysql_url)
    assert again.steps[0].verdict == "resume" and again.steps[0].outcome == "applied"
    assert run_sql(mysql_url, "SELECT count(*) FROM made") == [(2,)]


def test_mysql_partial_ddl_failure_names_the_statement_and_the_next_apply_resumes_there(mysql_url, write_plan):
    plan = """
        migrator: 1
        name: demo
        phases:
          - id: p
            steps:
              - id: ddl
                sql: |
                  CREATE TABLE m1 (id INTEGER);
                  CREATE TABLE m2 (id INTEGER);
                  CREATE TABLE {third} (id INTEGER);
                  CREATE TABLE m4 (id INTEGER);
                  CREATE TABLE m5 (id INTEGER);
    """
    run_sql(mysql_url, "CREATE TABLE m3 (id INTEGER)")  # statement 3 will fail: it exists
    path = write_plan(plan.replace("{third}", "m3"))
    report = api.apply(path, mysql_url)
    step = report.steps[0]
    assert step.outcome == "failed" and step.statements_done == 2
    assert step.error == (
        # The specification's sentence unbroken, then why it could not be undone.
        "Table 'm3' already exists (MySQL error 1050); failed at statement 3 of 5; statements 1–2 are committed; "
        f"`migrator apply` resumes at statement 3, `migrator resolve {path} ddl --pending --database {mysql_url}` "
        "restarts it (MySQL commits each DDL statement at once, so they cannot be rolled back)"
    )
    run_sql(mysql_url, "DROP TABLE m3")
    again = api.apply(path, mysql_url)
    assert again.steps[0].verdict == "resume" and again.steps[0].outcome == "applied"
    assert again.steps[0].statements == report.steps[0].statements
    assert journal(mysql_url)[-1][:3] == ("ddl", "applied", 5)
    tables = set(sa.inspect(create_engine(mysql_url)).get_table_names())
    assert {"m1", "m2", "m3", "m4", "m5"} <= tables


def test_a_non_transactional_step_journals_each_statement_and_resumes_after_the_committed_ones(db_url, write_plan):
    plan = """
        migrator: 1
        name: demo
        phases:
          - id: p
            steps:
              - id: make
                sql: CREATE TABLE nt (id INTEGER PRIMARY KEY)
              - id: fill
                transaction: false
                sql: |
                  INSERT INTO nt (id) VALUES (1);
                  INSERT INTO nt (id) VALUES ({second});
                  INSERT INTO nt (id) VALUES (3);
    """
    path = write_plan(plan.replace("{second}", "1"))
    report = api.apply(path, db_url)
    fill = report.steps[1]
    assert fill.outcome == "failed" and fill.statements_done == 1
    assert fill.error.endswith(
        "; failed at statement 2 of 3; statement 1 is committed; "
        f"`migrator apply` resumes at statement 2, `migrator resolve {path} fill --pending --database {db_url}` restarts it"
    )
    path = write_plan(plan.replace("{second}", "2"))
    again = api.apply(path, db_url)
    assert again.ok and again.steps[1].verdict == "resume"
    assert run_sql(db_url, "SELECT id FROM nt ORDER BY id") == [(1,), (2,), (3,)]
    assert journal(db_url)[-1][:3] == ("fill", "applied", 3)


def test_a_step_that_fails_at_its_first_statement_says_apply_runs_it_again(sqlite_url, write_plan):
    # Nothing of it is committed: no statement to resume at, nothing to restart.
    path = write_plan("""
        migrator: 1
        name: demo
        phases:
          - id: p
            steps:
              - id: fill
                transaction: false
                sql: [INSERT INTO missing (id) VALUES (1), CREATE TABLE later (id INTEGER)]
    """)
    fill = api.apply(path, sqlite_url).steps[0]
    assert (fill.outcome, fill.statements_done) == ("failed", 0)
    assert fill.error == ("no such table: missing; failed at statement 1 of 2; no statement of it is committed; "
                          "`migrator apply` runs it again")


BATCH = """
    migrator: 1
    name: demo
    phases:
      - id: p
        steps:
          - id: make
            sql: |
              CREATE TABLE items (id INTEGER PRIMARY KEY, done INTEGER);
              INSERT INTO items (id, done) VALUES (1, 0), (2, 0), (3, 0), (4, 0), (5, 0), (6, 0), (7, 0);
          - id: backfill
            batch:
              sql: >-
                UPDATE items SET done = 1 WHERE id IN (SELECT id FROM (SELECT id FROM items WHERE done = 0
                ORDER BY id LIMIT :batch_size) AS b)
              size: 3
              total: SELECT count(*) FROM items WHERE done = 0
              {max}
            verify:
              - row_count: {table: items, where: done = 0, expect: 0}
"""


def test_a_batch_repeats_until_no_row_changes_and_reports_progress(db_url, write_plan):
    events = []
    report = api.apply(write_plan(BATCH.replace("{max}", "")), db_url, progress=events.append)
    step = report.steps[1]
    assert (step.outcome, step.rows_affected, step.batches_done) == ("applied", 7, 3)
    assert [(e.batches, e.rows, e.total, e.done) for e in events] == [
        (0, 0, 7, False), (1, 3, 7, False), (2, 6, 7, False), (3, 7, 7, False), (3, 7, 7, True)
    ]
    assert journal(db_url)[-1][:5] == ("backfill", "applied", None, 3, 7)


@pytest.mark.parametrize("total, message", [
    ("UPDATE items SET done = done WHERE 1 = 0",
     "total query returned no result (it is a count query, e.g. SELECT count(*) FROM t WHERE NOT done)"),
    ("SELECT 'many'", "total query returned 'many', not a number of rows"),
])
def test_a_total_query_that_gives_no_count_fails_the_step_and_journals_it(db_url, write_plan, total, message):
    """Not an internal error that leaves the step `running` in the journal."""
    plan = BATCH.replace("{max}", "").replace("SELECT count(*) FROM items WHERE done = 0", total)
    report = api.apply(write_plan(plan), db_url)
    assert not report.ok and report.exit_code == 1
    assert report.steps[1].outcome == "failed" and report.steps[1].error == message
    assert journal(db_url)[-1][:5] == ("backfill", "failed", None, 0, 0)


def test_max_batches_leaves_the_step_partial_and_the_next_apply_continues_it(db_url, write_plan):
    path = write_plan(BATCH.replace("{max}", "max_batches: 2"))
    report = api.apply(path, db_url)
    assert report.ok and report.steps[1].outcome == "partial"
    assert journal(db_url)[-1][:5] == ("backfill", "partial", None, 2, 6)
    again = api.apply(path, db_url)
    assert again.steps[1].verdict == "resume" and again.steps[1].outcome == "applied"
    assert journal(db_url)[-1][:5] == ("backfill", "applied", None, 3, 7)


MANUAL = """
    migrator: 1
    name: demo
    phases:
      - id: p
        steps:
          - id: before
            sql: CREATE TABLE before_gate (id INTEGER)
          - id: gate
            title: Run drizzle-kit
            manual: Run drizzle-kit push and answer its questions.
            verify:
              - table_exists: before_gate
          - id: after
            sql: CREATE TABLE after_gate (id INTEGER)
"""


def test_a_manual_step_waits_with_exit_3_then_confirm_continues_and_journals_who(db_url, write_plan):
    path = write_plan(MANUAL)
    report = api.apply(path, db_url)
    assert (report.status, report.exit_code) == ("waiting", 3)
    assert outcomes(report) == [("before", "applied"), ("gate", "waiting"), ("after", "not_reached")]
    assert report.message == (
        "stopped at manual step gate, which waits for a person; when it is done, continue with: "
        f"migrator apply {path} --confirm gate --database {db_url}"
    )
    assert report.steps[1].instructions == "Run drizzle-kit push and answer its questions."
    report = api.apply(path, db_url, confirm=["gate"])
    assert report.ok and outcomes(report)[1:] == [("gate", "applied"), ("after", "applied")]
    assert report.steps[1].verify[0].held is True
    from migrator.engine.journal import current_user

    assert run_sql(db_url, "SELECT run_by, message FROM migrator_journal WHERE step = 'gate'") == [
        (current_user(), f"confirmed by {current_user()}")
    ]


def test_a_manual_step_asks_in_a_terminal(db_url, write_plan):
    asked = []
    report = api.apply(write_plan(MANUAL), db_url, ask=lambda text: asked.append(text) or True)
    assert report.ok
    assert asked == ["Manual step gate — Run drizzle-kit:\n\nRun drizzle-kit push and answer its questions.\n\nIs it done?"]


def test_confirm_of_an_unknown_or_non_manual_step_is_a_usage_error(sqlite_url, write_plan):
    path = write_plan(MANUAL)
    with pytest.raises(UsageError, match="^--confirm nope: no such step in plan demo$"):
        api.apply(path, sqlite_url, confirm=["nope"])
    with pytest.raises(UsageError, match="^--confirm before: step before is not a manual step$"):
        api.apply(path, sqlite_url, confirm=["before"])


def test_preconditions_on_fail_skip_mark_applied_warn_and_requires(db_url, write_plan):
    path = write_plan("""
        migrator: 1
        name: demo
        phases:
          - id: p
            steps:
              - id: skipped
                preconditions:
                  - table_exists: nowhere
                    on_fail: skip
                sql: CREATE TABLE s1 (id INTEGER)
              - id: needs-skipped
                requires: [skipped]
                sql: CREATE TABLE s2 (id INTEGER)
              - id: marked
                preconditions:
                  - table_exists: nowhere
                    on_fail: mark_applied
                sql: CREATE TABLE s3 (id INTEGER)
              - id: warned
                preconditions:
                  - table_exists: nowhere
                    on_fail: warn
                sql: CREATE TABLE s4 (id INTEGER)
    """)
    dry = api.plan(path, db_url)
    assert [(s.step, s.verdict) for s in dry.steps] == [
        ("skipped", "skip"), ("needs-skipped", "blocked"), ("marked", "mark_applied"), ("warned", "run")
    ]
    report = api.apply(path, db_url)
    assert (report.status, report.exit_code) == ("ok", 0)
    assert outcomes(report) == [
        ("skipped", "skipped"), ("needs-skipped", "blocked"), ("marked", "marked_applied"), ("warned", "applied")
    ]
    assert report.steps[3].warnings == ("precondition table_exists: nowhere failed: table nowhere does not exist",)
    assert [r[:2] + r[5:] for r in journal(db_url)] == [
        ("skipped", "skipped", "precondition table_exists: nowhere failed: table nowhere does not exist"),
        ("needs-skipped", "skipped", "blocked: requires skipped, which is skipped"),
        ("marked", "marked_applied", "precondition table_exists: nowhere failed: table nowhere does not exist"),
        # The journal's message holds warnings too (spec section 4).
        ("warned", "applied", "warning: precondition table_exists: nowhere failed: table nowhere does not exist"),
    ]
    tables = set(sa.inspect(create_engine(db_url)).get_table_names())
    assert "s4" in tables and not {"s1", "s2", "s3"} & tables


def test_a_halting_precondition_fails_the_step_and_stops_the_run(db_url, write_plan):
    report = api.apply(write_plan("""
        migrator: 1
        name: demo
        phases:
          - id: p
            steps:
              - id: guarded
                preconditions:
                  - table_exists: nowhere
                sql: CREATE TABLE g (id INTEGER)
              - id: next
                sql: CREATE TABLE n (id INTEGER)
    """), db_url)
    assert (report.status, report.exit_code) == ("failed", 1)
    assert outcomes(report) == [("guarded", "failed"), ("next", "not_reached")]
    assert report.message == "step guarded failed: precondition table_exists: nowhere failed: table nowhere does not exist"


def test_an_optional_failing_step_warns_blocks_its_dependents_and_the_run_goes_on(db_url, write_plan):
    report = api.apply(write_plan("""
        migrator: 1
        name: demo
        phases:
          - id: p
            steps:
              - id: flaky
                optional: true
                sql: SELECT * FROM no_such_table
              - id: dependent
                requires: [flaky]
                sql: CREATE TABLE d (id INTEGER)
              - id: independent
                sql: CREATE TABLE i (id INTEGER)
              - id: pg-only
                when: {dialect: postgresql}
                sql: CREATE TABLE pg_only (id INTEGER)
    """), db_url)
    assert (report.status, report.exit_code) == ("ok", 0)
    pg = "applied" if db_url.startswith("postgresql") else "not_applicable"
    assert outcomes(report) == [
        ("flaky", "optional_failed"), ("dependent", "blocked"), ("independent", "applied"), ("pg-only", pg)
    ]


def test_selection_runs_only_the_chosen_steps_and_journals_nothing_for_the_others(db_url, write_plan):
    path = write_plan(TWO_TABLES)
    report = api.apply(path, db_url, steps=["create-a"])
    assert outcomes(report) == [("create-a", "applied"), ("fill-a", "filtered")]
    assert [r[0] for r in journal(db_url)] == ["create-a"]
    with pytest.raises(UsageError, match="^--skip nope: no such phase or step in plan demo$"):
        api.apply(path, db_url, skips=["nope"])


def test_rerun_always_runs_on_every_apply(sqlite_url, write_plan):
    path = write_plan("""
        migrator: 1
        name: demo
        phases:
          - id: p
            steps:
              - id: make
                sql: CREATE TABLE counter (n INTEGER)
              - id: bump
                idempotent: true
                rerun: always
                sql: INSERT INTO counter (n) VALUES (1)
    """)
    api.apply(path, sqlite_url)
    report = api.apply(path, sqlite_url)
    assert [(s.step, s.verdict, s.outcome) for s in report.steps] == [
        ("make", "applied", "already_applied"), ("bump", "rerun", "applied")
    ]
    assert run_sql(sqlite_url, "SELECT count(*) FROM counter") == [(2,)]


def test_python_steps_get_a_context_and_return_rows(db_url, write_plan, tmp_path):
    (tmp_path / "steps.py").write_text(
        "def run(ctx):\n"
        "    ctx.log.info('filling %s', ctx.vars['table'])\n"
        "    for i in range(5):\n"
        "        ctx.connection.exec_driver_sql(f\"INSERT INTO {ctx.vars['table']} (id, flag) VALUES ({i}, 0)\")\n"
        "    n = ctx.batch(f\"UPDATE {ctx.vars['table']} SET flag = 1 WHERE id IN (SELECT id FROM \"\n"
        "                  f\"(SELECT id FROM {ctx.vars['table']} WHERE flag = 0 ORDER BY id LIMIT :batch_size) AS b)\", size=2)\n"
        "    assert ctx.dialect in ('sqlite', 'postgresql', 'mysql')\n"
        "    return 5 + n\n"
        "def broken(ctx):\n"
        "    raise RuntimeError('no luck')\n"
    )
    path = write_plan("""
        migrator: 1
        name: demo
        vars: {table: py}
        phases:
          - id: p
            steps:
              - id: make
                sql: CREATE TABLE py (id INTEGER PRIMARY KEY, flag INTEGER)
              - id: fill
                python: steps.py:run
                verify:
                  - row_count: {table: py, where: flag = 1, expect: 5}
              - id: broken
                python: steps.py:broken
    """)
    report = api.apply(path, db_url)
    assert outcomes(report) == [("make", "applied"), ("fill", "applied"), ("broken", "failed")]
    assert report.steps[1].rows_affected == 10
    assert report.steps[2].error == "steps.py:broken: RuntimeError: no luck"


def test_rollback_runs_newest_first_keeps_the_to_step_and_journals_rolled_back(db_url, write_plan):
    path = write_plan(TWO_TABLES + """
          - id: create-b
            sql: CREATE TABLE b (id INTEGER)
            rollback: DROP TABLE b
""")
    assert api.apply(path, db_url).ok
    report = api.rollback(path, db_url, to="create-a", yes=True)
    assert report.ok and report.extra["rollback_order"] == ["create-b", "fill-a"]
    assert [(s.step, s.outcome) for s in report.steps] == [("fill-a", "rolled_back"), ("create-b", "rolled_back")]
    assert [r[:2] for r in journal(db_url)][-2:] == [("create-b", "rolled_back"), ("fill-a", "rolled_back")]
    assert run_sql(db_url, "SELECT count(*) FROM a") == [(0,)]
    status = api.status(path, db_url)
    assert [(s.step, s.state) for s in status.steps] == [
        ("create-a", "applied"), ("fill-a", "rolled_back"), ("create-b", "rolled_back")
    ]
    # Applying again re-runs what was rolled back.
    assert outcomes(api.apply(path, db_url)) == [
        ("create-a", "already_applied"), ("fill-a", "applied"), ("create-b", "applied")
    ]
    assert api.rollback(path, db_url, last=1, yes=True).extra["rollback_order"] == ["create-b"]


def test_rollback_does_not_undo_what_a_mark_applied_precondition_found_in_place(db_url, write_plan):
    """The step did not create table b (it was there): rolling it back must not drop b.
    A step resolve --applied marked did run, as the person said: its rollback runs."""
    run_sql(db_url, "CREATE TABLE b (id INTEGER)")
    path = write_plan(TWO_TABLES + """
          - id: create-b
            preconditions:
              - not: {table_exists: b}
                on_fail: mark_applied
            sql: CREATE TABLE b (id INTEGER)
            rollback: DROP TABLE b
          - id: create-c
            preconditions:
              - not: {table_exists: b}
                on_fail: mark_applied
            sql: CREATE TABLE c (id INTEGER)
""")
    report = api.apply(path, db_url)
    assert outcomes(report)[2:] == [("create-b", "marked_applied"), ("create-c", "marked_applied")]
    # create-c has no rollback, and needs none: nothing of it ran.
    report = api.rollback(path, db_url, last=2, yes=True)
    assert [(s.step, s.outcome, s.statements) for s in report.steps] == [
        ("create-b", "rolled_back", ()), ("create-c", "rolled_back", ())]
    assert "marked it applied without running it" in report.steps[0].reason
    assert run_sql(db_url, "SELECT count(*) FROM b") == [(0,)]  # still there
    # resolve --applied: the person says it ran, so rollback runs its SQL.
    api.resolve(path, "create-b", db_url, applied=True)
    api.rollback(path, db_url, last=1, yes=True)
    assert "b" not in [t.lower() for t in sa_table_names(db_url)]


def sa_table_names(url: str) -> list[str]:
    import sqlalchemy as sa

    from migrator.db import create_engine

    engine = create_engine(url)
    try:
        return sa.inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_rollback_of_a_step_without_transaction_runs_outside_one_too(pg_url, write_plan):
    # DROP INDEX CONCURRENTLY, like the CREATE it undoes, cannot run in a transaction block.
    path = write_plan(TWO_TABLES + """
          - id: index-a
            transaction: false
            sql: CREATE INDEX CONCURRENTLY ix_a_id ON a (id)
            rollback: DROP INDEX CONCURRENTLY ix_a_id
""")
    assert api.apply(path, pg_url).ok
    report = api.rollback(path, pg_url, last=1, yes=True)
    assert [(s.step, s.outcome, s.error) for s in report.steps] == [("index-a", "rolled_back", None)]
    assert run_sql(pg_url, "SELECT count(*) FROM pg_indexes WHERE indexname = 'ix_a_id'") == [(0,)]
    assert journal(pg_url)[-1][:3] == ("index-a", "rolled_back", 1)


def test_rollback_refuses_before_running_anything_when_a_step_has_no_rollback(db_url, write_plan):
    path = write_plan(TWO_TABLES + """
          - id: no-undo
            sql: CREATE TABLE c (id INTEGER)
          - id: create-b
            sql: CREATE TABLE b (id INTEGER)
            rollback: DROP TABLE b
""")
    api.apply(path, db_url)
    with pytest.raises(UsageError) as e:
        api.rollback(path, db_url, last=2, yes=True)
    assert str(e.value) == (
        "cannot roll back: step no-undo has no rollback; nothing was rolled back "
        "(add a rollback to it, or roll back to a later step)"
    )
    assert "b" in sa.inspect(create_engine(db_url)).get_table_names()
    with pytest.raises(UsageError, match="^rollback --to nope: no such step in plan demo$"):
        api.rollback(path, db_url, to="nope", yes=True)
    with pytest.raises(UsageError, match=r"^rollback needs --yes when it cannot ask \(not a terminal\)$"):
        api.rollback(path, db_url, last=1)


def test_a_running_non_idempotent_step_needs_resolve_and_resolve_pending_reruns_it(db_url, write_plan):
    path = write_plan(TWO_TABLES)
    api.apply(path, db_url, steps=["create-a"])
    checksum = api.plan(path, db_url).steps[1].checksum
    run_sql(db_url, "INSERT INTO migrator_journal (plan, phase, step, checksum, status, statements_done) "
                    f"VALUES ('demo', 'schema', 'fill-a', '{checksum}', 'running', 1)")
    report = api.apply(path, db_url)
    assert (report.status, report.exit_code) == ("needs_resolve", 1)
    assert report.message.startswith("step fill-a was interrupted while running (after 1 statement) and is not idempotent")
    assert run_sql(db_url, "SELECT count(*) FROM a") == [(0,)]
    api.resolve(path, "fill-a", db_url, applied=False)
    assert outcomes(api.apply(path, db_url))[1] == ("fill-a", "applied")
    assert run_sql(db_url, "SELECT count(*) FROM a") == [(2,)]
    with pytest.raises(UsageError, match="^resolve nope: no such step or phase in plan demo$"):
        api.resolve(path, "nope", db_url, applied=True)


def test_a_second_apply_waits_for_the_lock_then_names_the_holder(db_url, write_plan):
    from migrator.dialects import get_dialect
    from migrator.db import engine_dialect
    from migrator.engine.lock import acquire
    from migrator.errors import LockHeld

    engine = create_engine(db_url)
    with engine.connect() as conn, acquire(conn, get_dialect(engine_dialect(engine)), 1):
        with pytest.raises(LockHeld) as e:
            api.apply(write_plan(TWO_TABLES), db_url, lock_timeout=0.2)
    assert e.value.exit_code == 3 and "database locked by " in str(e.value)
    engine.dispose()


def test_the_dry_run_shows_sql_and_findings_and_creates_nothing(db_url, write_plan):
    path = write_plan(TWO_TABLES + """
          - id: index-a
            sql: CREATE INDEX a_v ON a (v)
""")
    report = api.plan(path, db_url)
    assert report.command == "plan" and report.ok and not report.offline
    assert [(s.step, s.verdict) for s in report.steps] == [("create-a", "run"), ("fill-a", "run"), ("index-a", "run")]
    assert report.steps[1].statements == ("INSERT INTO a (id, v) VALUES (1, 'x%')", "INSERT INTO a (id, v) VALUES (2, 'y')")
    assert "no-rollback" in [f.rule for f in report.steps[2].findings]
    assert sa.inspect(create_engine(db_url)).get_table_names() == []


def test_rollback_in_a_terminal_lists_the_steps_and_asks(sqlite_url, write_plan):
    path = write_plan(TWO_TABLES)
    api.apply(path, sqlite_url)
    asked = []
    report = api.rollback(path, sqlite_url, last=2, ask=lambda text: asked.append(text) or False)
    assert (report.status, report.exit_code, report.message) == ("cancelled", 1, "rollback cancelled; nothing was changed")
    assert asked == ["Roll back 2 step(s), newest first:\n  1. fill-a\n  2. create-a\n\nRoll them back?"]
    report = api.rollback(path, sqlite_url, last=2, ask=lambda text: True)
    assert report.ok and report.extra["rollback_order"] == ["fill-a", "create-a"]
    assert "a" not in sa.inspect(create_engine(sqlite_url)).get_table_names()


SELECTABLE = """
    migrator: 1
    name: demo
    phases:
      - id: one
        steps:
          - id: s1
            tags: [fast]
            sql: CREATE TABLE s1 (id INTEGER)
          - id: s2
            sql: CREATE TABLE s2 (id INTEGER)
      - id: two
        steps:
          - id: s3
            sql: CREATE TABLE s3 (id INTEGER)
"""


@pytest.mark.parametrize("selection, chosen", [
    ({"phases": ["two"]}, ["s3"]),
    ({"skips": ["one"]}, ["s3"]),
    ({"skips": ["s2"]}, ["s1", "s3"]),
    ({"tags": ["fast"]}, ["s1"]),
])
def test_steps_left_out_by_phase_skip_or_tag_get_no_journal_row(db_url, write_plan, selection, chosen):
    # Spec section 11: a step left out by --step/--skip/--tag/--phase gets no row.
    report = api.apply(write_plan(SELECTABLE), db_url, **selection)
    assert (report.status, report.exit_code) == ("ok", 0)
    assert [r[:2] for r in journal(db_url)] == [(s, "applied") for s in chosen]
    assert [s for s, o in outcomes(report) if o == "filtered"] == [s for s in ("s1", "s2", "s3") if s not in chosen]


def test_a_partial_batch_blocks_its_dependents_the_run_goes_on_and_the_next_apply_runs_them(db_url, write_plan):
    # Spec section 11: `partial` when max_batches stopped it (the run goes on; steps that
    # require it are blocked; the next apply continues it).
    path = write_plan(BATCH.replace("{max}", "max_batches: 2") + """
          - id: after-backfill
            requires: [backfill]
            sql: CREATE TABLE after_backfill (id INTEGER)
          - id: independent
            sql: CREATE TABLE independent (id INTEGER)
""")
    report = api.apply(path, db_url)
    assert (report.status, report.exit_code) == ("ok", 0)
    assert outcomes(report)[1:] == [("backfill", "partial"), ("after-backfill", "blocked"), ("independent", "applied")]
    assert journal(db_url)[1:] == [
        ("backfill", "partial", None, 2, 6, "stopped by max_batches (2); the next apply continues it"),
        ("after-backfill", "skipped", None, None, None, "blocked: requires backfill, which is partial"),
        ("independent", "applied", 1, None, 0, None),
    ]
    again = api.apply(path, db_url)
    assert [(s.step, s.verdict, s.outcome) for s in again.steps][1:] == [
        ("backfill", "resume", "applied"), ("after-backfill", "run", "applied"), ("independent", "applied", "already_applied")
    ]
    assert [r[:5] for r in journal(db_url)[4:]] == [
        ("backfill", "applied", None, 3, 7), ("after-backfill", "applied", 1, None, 0)
    ]


def test_a_step_blocked_by_a_failed_optional_step_is_journaled_skipped_naming_it(db_url, write_plan):
    # Spec section 11: a step blocked by a skipped or failed step gets a `skipped` row
    # whose message names the blocker.
    api.apply(write_plan("""
        migrator: 1
        name: demo
        phases:
          - id: p
            steps:
              - id: flaky
                optional: true
                sql: SELECT * FROM no_such_table
              - id: dependent
                requires: [flaky]
                sql: CREATE TABLE d (id INTEGER)
    """), db_url)
    rows = journal(db_url)
    assert [r[:2] for r in rows] == [("flaky", "failed"), ("dependent", "skipped")]
    assert rows[1][5] == "blocked: requires flaky, which is optional failed"


def test_a_python_steps_work_is_in_the_step_transaction_and_its_context_is_as_documented(db_url, db_dialect, write_plan,
                                                                                          tmp_path):
    # Spec section 11: ctx.connection is a Connection inside the step's transaction, so a
    # failed verify or an exception undoes what the function did; ctx.dialect is
    # migrator's dialect name (mysql on MariaDB), ctx.vars a dict, ctx.log a logging.Logger.
    (tmp_path / "steps.py").write_text(
        "import logging\n"
        "import sqlalchemy as sa\n"
        "def fill(ctx):\n"
        "    assert isinstance(ctx.connection, sa.Connection) and ctx.connection.in_transaction()\n"
        "    assert isinstance(ctx.log, logging.Logger) and type(ctx.vars) is dict\n"
        "    ctx.connection.exec_driver_sql(f\"INSERT INTO py (id, note) VALUES ({ctx.vars['n']}, '{ctx.dialect}')\")\n"
        "def explode(ctx):\n"
        "    ctx.connection.exec_driver_sql(\"INSERT INTO py (id, note) VALUES (99, 'x')\")\n"
        "    raise ValueError('boom')\n"
    )
    text = """
        migrator: 1
        name: demo
        vars: {n: 1}
        phases:
          - id: p
            steps:
              - id: make
                sql: CREATE TABLE py (id INTEGER PRIMARY KEY, note VARCHAR(20))
              - id: explode
                optional: true
                python: steps.py:explode
              - id: fill
                python: steps.py:fill
                verify:
                  - row_count: {table: py, expect: EXPECTED}
    """
    report = api.apply(write_plan(text.replace("EXPECTED", "2")), db_url)
    assert outcomes(report) == [("make", "applied"), ("explode", "optional_failed"), ("fill", "failed")]
    assert report.steps[1].error == "steps.py:explode: ValueError: boom"
    assert run_sql(db_url, "SELECT count(*) FROM py") == [(0,)]  # neither the exception's nor the verify's step left rows
    assert api.apply(write_plan(text.replace("EXPECTED", "1")), db_url).exit_code == 0
    assert run_sql(db_url, "SELECT id, note FROM py") == [(1, db_dialect)]


def test_rollback_goes_by_the_order_steps_were_applied_not_the_plan_order(db_url, write_plan):
    # Spec sections 5 and 11: rollback runs the rollbacks of applied steps newest first;
    # --to STEP rolls back the steps applied after STEP.
    path = write_plan("""
        migrator: 1
        name: demo
        phases:
          - id: p
            steps:
              - id: a
                sql: CREATE TABLE ra (id INTEGER)
                rollback: DROP TABLE ra
              - id: b
                sql: CREATE TABLE rb (id INTEGER)
                rollback: DROP TABLE rb
    """)
    assert api.apply(path, db_url, steps=["b"]).ok
    assert api.apply(path, db_url).ok  # a is applied after b
    nothing = api.rollback(path, db_url, to="a", yes=True)
    assert nothing.ok and outcomes(nothing) == [] and nothing.extra.get("rollback_order", []) == []
    assert api.rollback(path, db_url, to="b", yes=True).extra["rollback_order"] == ["a"]
    assert api.apply(path, db_url).ok  # a again: newest
    assert api.rollback(path, db_url, last=1, yes=True).extra["rollback_order"] == ["a"]
    assert api.rollback(path, db_url, last=1, yes=True).extra["rollback_order"] == ["b"]
    assert not {"ra", "rb"} & set(sa.inspect(create_engine(db_url)).get_table_names())


def test_a_batch_without_size_takes_1000_rows_at_a_time(db_url, write_plan):
    # Spec section 2: batch `size` defaults to 1000.
    report = api.apply(write_plan("""
        migrator: 1
        name: demo
        phases:
          - id: p
            steps:
              - id: make
                sql:
                  - CREATE TABLE digits (d INTEGER)
                  - INSERT INTO digits (d) VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9)
                  - CREATE TABLE items (id INTEGER PRIMARY KEY, done INTEGER)
                  - >-
                    INSERT INTO items (id, done) SELECT a.d * 100 + b.d * 10 + c.d, 0
                    FROM digits a CROSS JOIN digits b CROSS JOIN digits c
                  - INSERT INTO items (id, done) VALUES (1000, 0)
              - id: backfill
                batch:
                  sql: >-
                    UPDATE items SET done = 1 WHERE id IN (SELECT id FROM (SELECT id FROM items WHERE done = 0
                    ORDER BY id LIMIT :batch_size) AS b)
    """), db_url)
    assert report.ok, report.message
    assert (report.steps[1].batches_done, report.steps[1].rows_affected) == (2, 1001)


def test_a_batch_pause_waits_after_each_batch_that_changed_rows(sqlite_url, write_plan, monkeypatch):
    # Spec section 2: batch `pause` (e.g. 100ms) between batches; no real sleep here.
    import migrator.engine.batches

    slept = []
    monkeypatch.setattr(migrator.engine.batches.time, "sleep", slept.append)
    report = api.apply(write_plan(BATCH.replace("{max}", "pause: 100ms")), sqlite_url)
    assert report.ok and report.steps[1].batches_done == 3
    assert slept == [0.1, 0.1, 0.1]
