"""query, no_rows, row_count, no_orphans, unchanged on every dialect; broken check SQL."""
from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from migrator.checks import CheckContext, capture_before, evaluate
from tests.checks.helpers import check, one, quoter, seed, spec

MISSING_TABLE = {
    "sqlite": "no such table: ghosts",
    "postgresql": 'relation "ghosts" does not exist',
    "mysql": "Table '{db}.ghosts' doesn't exist (MySQL error 1146)",
}


@pytest.fixture
def db(db_engine):
    seed(db_engine)
    return db_engine


def test_query_compares_numbers_booleans_strings_and_null_as_a_user_expects(db, db_dialect):
    decimal = "1.5" if db_dialect == "sqlite" else "1.50"  # SQLite has no decimal type
    true = "true" if db_dialect == "postgresql" else "1"  # MySQL and SQLite answer 1
    q = quoter(db)
    cases = [
        # PostgreSQL's count(*) is a bigint, MySQL's SUM a Decimal: both compare as numbers.
        (("SELECT count(*) FROM users", 2), (True, "got 2 (expected 2)")),
        (("SELECT count(*) FROM users", 0), (False, "expected 0, got 2")),
        (("SELECT count(*) FROM users", {"ne": 2}), (False, "expected != 2, got 2")),
        (("SELECT count(*) FROM users", {"gt": 1}), (True, "got 2 (expected > 1)")),
        (("SELECT count(*) FROM users", {"ge": 3}), (False, "expected >= 3, got 2")),
        (("SELECT count(*) FROM users", {"lt": 2}), (False, "expected < 2, got 2")),
        (("SELECT count(*) FROM users", {"le": 2}), (True, "got 2 (expected <= 2)")),
        (("SELECT count(*) FROM users", "2"), (True, "got 2 (expected '2')")),
        (("SELECT sum(score) FROM users", 1.5), (True, f"got {decimal} (expected 1.5)")),
        (("SELECT sum(score) FROM users", {"lt": Decimal("1.49")}), (False, f"expected < 1.49, got {decimal}")),
        (("SELECT active FROM users WHERE id = 1", True), (True, f"got {true} (expected true)")),
        (("SELECT active FROM users WHERE id = 1", 1), (True, f"got {true} (expected 1)")),
        (("SELECT active FROM users WHERE id = 1", False), (False, f"expected false, got {true}")),
        (("SELECT max(created_at) FROM users", None), (True, "got NULL (expected NULL)")),
        (("SELECT max(created_at) FROM users", 0), (False, "expected 0, got NULL")),
        (("SELECT max(created_at) FROM users", {"ne": None}), (False, "expected != NULL, got NULL")),
        (("SELECT max(score) FROM users", {"ne": None}), (True, f"got {decimal} (expected != NULL)")),
        (("SELECT max(created_at) FROM users", {"gt": 0}), (False, "expected > 0, got NULL")),
        (("SELECT email FROM users WHERE email LIKE 'a%'", "a@x"), (True, "got 'a@x' (expected 'a@x')")),
        (("SELECT email FROM users ORDER BY email", {"lt": "b"}), (True, "got 'a@x' (expected < 'b')")),
        (("SELECT email FROM users WHERE id = 2", "a@x"), (False, "expected 'a@x', got 'b@x'")),
        ((f"SELECT {q('userId')} FROM tool_audit_logs WHERE action = 'x:y'", 0), (False, "query returned no rows, expected 0")),
    ]
    results = check(db, *(spec("query", sql, expect=expect) for (sql, expect), _ in cases))
    assert results == [want for _, want in cases]


def test_query_check_with_broken_sql_fails_with_the_database_message(db, db_dialect):
    database = db.url.database
    with db.connect() as conn:
        ctx = CheckContext.create(conn)
        missing = evaluate(spec("query", "SELECT count(*) FROM ghosts", expect=0), ctx)
        assert (missing.held, missing.error) == (False, MISSING_TABLE[db_dialect].format(db=database))
        assert missing.detail == "the check's SQL failed: " + missing.error
        syntax = evaluate(spec("no_rows", "SELEC 1"), ctx)
        assert syntax.held is False and "syntax" in syntax.error.lower()
        update = evaluate(spec("no_rows", "UPDATE users SET email = 'x' WHERE id = 1"), ctx)
        assert (update.held, update.detail) == (False, "the check's SQL failed: the query returned no result set (a check's SQL must be a SELECT)")
        assert conn.exec_driver_sql("SELECT email FROM users WHERE id = 1").scalar() == "a@x"  # rolled back
        # A broken check proves nothing: its negation does not hold either.
        negated = evaluate(spec("not", spec("no_rows", "UPDATE users SET email = 'x' WHERE id = 1")), ctx)
        assert negated.held is False and negated.detail.startswith("the check could not run: ")


def test_mysql_a_check_that_would_commit_at_once_is_not_run(mysql_url):
    """MySQL commits DDL before running it: such a check (even in a dry run) would leave
    its table behind and commit the step's transaction, savepoint and all."""
    engine = sa.create_engine(mysql_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE kept (id INTEGER)")
    with engine.connect() as conn:
        ctx = CheckContext.create(conn)
        with conn.begin() as tx:
            conn.exec_driver_sql("INSERT INTO kept VALUES (1)")
            made = evaluate(spec("query", "CREATE TABLE made_by_check (id INTEGER)", expect=0), ctx)
            assert (made.held, made.detail) == (
                False,
                "the check's SQL failed: not run: MySQL commits this statement at once, so a check could not undo it"
                " (a check's SQL must be a SELECT)",
            )
            assert made.error is not None
            tx.rollback()  # the step's transaction is still the one that holds the insert
        assert conn.exec_driver_sql("SELECT count(*) FROM kept").scalar() == 0
        assert not sa.inspect(conn).has_table("made_by_check")


def test_a_failing_check_does_not_poison_the_surrounding_transaction(db, db_dialect):
    """On PostgreSQL an error aborts the transaction; the check's savepoint keeps it usable."""
    with db.connect() as conn:
        ctx = CheckContext.create(conn)
        with conn.begin():
            conn.exec_driver_sql("INSERT INTO orgs VALUES (2, 'us', 'Beta')")
            assert evaluate(spec("query", "SELECT count(*) FROM ghosts", expect=0), ctx).held is False
            assert evaluate(spec("row_count", {"table": "orgs", "expect": 2}), ctx).held is True
            conn.exec_driver_sql("INSERT INTO orgs VALUES (3, 'us', 'Gamma')")
        assert conn.exec_driver_sql("SELECT count(*) FROM orgs").scalar() == 3


def test_no_rows_reports_the_count_and_five_sample_rows(db):
    q = quoter(db)
    with db.connect() as conn:
        ctx = CheckContext.create(conn)
        failed = evaluate(spec("no_rows", f"SELECT id, action FROM tool_audit_logs WHERE {q('userId')} IS NULL OR {q('userId')} > 50 ORDER BY id;"), ctx)
        held = evaluate(spec("no_rows", "SELECT id FROM users WHERE email LIKE '%@nowhere'"), ctx)
    assert (failed.held, failed.detail, failed.count) == (False, "query returned 3 rows, expected none", 3)
    assert (failed.columns, failed.sample) == (("id", "action"), ((2, "x"), (3, "y"), (4, "z")))
    assert (held.held, held.detail, held.count) == (True, "query returned no rows", 0)


def test_no_orphans_counts_and_samples_rows_without_their_referenced_row(db):
    with db.begin() as conn:
        conn.exec_driver_sql("INSERT INTO tool_audit_logs VALUES " + ", ".join(f"({i}, {500 + i}, 'q')" for i in range(10, 17)))
    with db.connect() as conn:
        ctx = CheckContext.create(conn)
        orphans = evaluate(spec("no_orphans", {"table": "tool_audit_logs", "columns": "userId", "references": "users.id"}), ctx)
        results = [
            (r.held, r.detail, r.count)
            for r in (
                evaluate(spec("no_orphans", {"table": "memberships", "columns": ["userId"], "references": {"table": "users", "columns": ["id"]}}), ctx),
                # A NULL in a composite key references nothing (MATCH SIMPLE, like the constraint).
                evaluate(spec("no_orphans", {"table": "memberships", "columns": ["org_id", "org_region"], "references": {"table": "orgs", "columns": ["id", "region"]}}), ctx),
                evaluate(spec("no_orphans", {"table": "memberships", "columns": "userId", "references": "users"}), ctx),
                evaluate(spec("no_orphans", {"table": "memberships", "columns": "userId", "references": "ghosts.id"}), ctx),
                evaluate(spec("no_orphans", {"table": "memberships", "columns": ["org_id"], "references": {"table": "orgs"}}), ctx),
            )
        ]
    assert (orphans.held, orphans.detail, orphans.count) == (False, "9 rows in tool_audit_logs(userId) with no matching row in users(id)", 9)
    assert (orphans.columns, orphans.sample) == (("userId",), ((98,), (99,), (510,), (511,), (512,)))
    assert results == [
        (True, "no orphans: every non-null memberships(userId) has a matching row in users(id)", 0),
        (True, "no orphans: every non-null memberships(org_id, org_region) has a matching row in orgs(id, region)", 0),
        (True, "no orphans: every non-null memberships(userId) has a matching row in users(id)", 0),
        (False, "referenced table ghosts does not exist", None),
        (False, "1 column(s) (org_id) but 2 referenced (id, region)", None),
    ]


def test_row_count_with_where_and_expect(db):
    assert check(
        db,
        spec("row_count", {"table": "users", "expect": 2}),
        spec("row_count", {"table": "users", "where": "score IS NULL", "expect": {"gt": 1}}),
        spec("row_count", {"table": "Tool_Audit_Logs", "expect": 4}, expect=("ge", 4)),
        spec("row_count", {"table": "ghosts", "expect": 0}),
        spec("row_count", {"table": "users", "where": "nope = 1", "expect": 0}),
    )[:4] == [
        (True, "got 2 rows in users (expected 2)"),
        (False, "expected > 1, got 1 row in users where score IS NULL"),
        (True, "got 4 rows in tool_audit_logs (expected >= 4)")
        if db.dialect.name != "mysql"
        else (False, "table Tool_Audit_Logs does not exist (found tool_audit_logs, which differs in case)"),
        (False, "table ghosts does not exist"),
    ]
    broken = one(db, "row_count", {"table": "users", "where": "nope = 1", "expect": 0})
    assert broken[0] is False and broken[1].startswith("the check's SQL failed: ")


def test_unchanged_compares_the_result_before_and_after_the_step(db, db_dialect):
    same = spec("unchanged", "SELECT id, email FROM users", path="v[0]")
    changed = spec("unchanged", "SELECT id, email FROM users ORDER BY id", path="v[1]")
    nested = spec("all", (spec("unchanged", "SELECT count(*) FROM orgs", path="v[2].all[0]"),), path="v[2]")
    broken = spec("unchanged", "SELECT * FROM ghosts", path="v[3]")
    with db.connect() as conn:
        ctx = CheckContext.create(conn)
        not_captured = evaluate(same, ctx)
        with conn.begin():
            capture_before([same, nested, broken], ctx)
            ctx_changed = CheckContext.create(conn)
            capture_before([changed], ctx_changed)
            conn.exec_driver_sql("UPDATE users SET email = 'zz' WHERE id = 2")
            assert evaluate(changed, ctx_changed).detail == (
                "result changed: 2 rows before, 2 after; first difference at row 2: before (2, 'b@x'), after (2, 'zz')"
            )
            conn.exec_driver_sql("UPDATE users SET email = 'b@x' WHERE id = 2")
            conn.exec_driver_sql("DELETE FROM memberships")
            assert evaluate(same, ctx).detail == "result unchanged (2 rows)"
            assert evaluate(nested, ctx).held is True
            failed = evaluate(broken, ctx)
            conn.exec_driver_sql("DELETE FROM users WHERE id = 2")
            gone = evaluate(same, ctx)
    assert (not_captured.held, not_captured.detail) == (
        None,
        "not evaluated: compares the query's result before the step with the result after it",
    )
    assert (failed.held, failed.error) == (False, MISSING_TABLE[db_dialect].format(db=db.url.database))
    assert failed.detail == "query failed before the step: " + failed.error
    assert (gone.held, gone.detail) == (False, "result changed: 2 rows before, 1 after; first difference at row 2: before (2, 'b@x'), after none")
    assert (gone.columns, gone.sample) == (("", "id", "email"), (("before", 2, "b@x"),))
