"""step_applied, dialect, all, any, not, name and message; describe()."""
from __future__ import annotations

import pytest

from migrator.checks import CheckContext, describe, evaluate
from tests.checks.helpers import seed, spec

OTHERS = {"sqlite": ("postgresql", "mysql"), "postgresql": ("sqlite",), "mysql": ("sqlite", "postgresql")}


@pytest.fixture
def db(db_engine):
    seed(db_engine)
    return db_engine


def test_step_applied_dialect_and_combinators(db, db_dialect):
    users, ghosts = spec("table_exists", "users"), spec("table_exists", "ghosts")
    broken = spec("query", "SELECT * FROM ghosts", expect=0)
    with db.connect() as conn:
        ctx = CheckContext.create(conn, is_applied=lambda step: step == "add-oauth-tables")
        no_journal = CheckContext.create(conn)
        results = [
            evaluate(s, ctx)
            for s in (
                spec("step_applied", "add-oauth-tables"),
                spec("step_applied", "migrate-workflows"),
                spec("dialect", (db_dialect,)),
                spec("dialect", OTHERS[db_dialect]),
                spec("all", (users, ghosts)),
                spec("all", (users, users)),
                spec("any", (ghosts, users)),
                spec("any", (ghosts, spec("table_exists", "nobody"))),
                spec("not", ghosts),
                spec("not", users),
                spec("not", broken),
            )
        ]
        open_ = [evaluate(s, no_journal) for s in (spec("step_applied", "x"), spec("all", (users, spec("step_applied", "x"))), spec("not", spec("step_applied", "x")))]
    assert [(r.held, r.detail) for r in results] == [
        (True, "step add-oauth-tables is applied"),
        (False, "step migrate-workflows is not applied"),
        (True, f"database is {db_dialect}"),
        (False, f"database is {db_dialect}, expected {' or '.join(OTHERS[db_dialect])}"),
        (False, "1 of 2 checks failed; first: table_exists: ghosts: table ghosts does not exist"),
        (True, "all 2 checks held"),
        (True, "1 of 2 checks held; first: table_exists: users"),
        (False, "none of 2 checks held: table_exists: ghosts: table ghosts does not exist; table_exists: nobody: table nobody does not exist"),
        (True, "the check did not hold: table ghosts does not exist"),
        (False, "the check held: table users exists"),
        (False, "the check could not run: the check's SQL failed: " + results[10].error),
    ]
    assert [len(r.children) for r in results[4:]] == [2, 2, 2, 2, 1, 1, 1]
    assert results[10].error  # the database's message travels up through not
    assert [(r.held, r.detail) for r in open_] == [
        (None, "not evaluated: no journal to ask whether step x is applied"),
        (None, "1 of 2 checks not evaluated"),
        (None, "not evaluated: not evaluated: no journal to ask whether step x is applied"),
    ]


def test_name_and_message_label_the_result_and_message_shows_only_on_failure(db):
    named = spec("table_exists", "ghosts", name="ghosts table", message="run phase 1 first", on_fail="skip")
    with db.connect() as conn:
        ctx = CheckContext.create(conn)
        failed = evaluate(named, ctx)
        passed = evaluate(spec("table_exists", "users", message="never shown"), ctx)
    assert (failed.kind, failed.label, failed.path, failed.message, failed.on_fail) == (
        "table_exists",
        "ghosts table",
        "phases[0].steps[0].verify[0]",
        "run phase 1 first",
        "skip",
    )
    assert (passed.label, passed.message, passed.status) == ("table_exists: users", None, "passed")
    assert failed.to_dict()["status"] == "failed"


def test_describe_says_what_a_check_asks_without_a_database():
    assert [
        describe(s)
        for s in (
            spec("column_exists", {"table": "users", "column": "email", "type": "text", "nullable": False}),
            spec("index_exists", {"table": "users", "columns": ["email"], "unique": True}),
            spec("foreign_key_exists", {"table": "tool_audit_logs", "columns": "userId", "references": "users.id", "on_delete": "cascade"}),
            spec("no_orphans", {"table": "tool_audit_logs", "columns": "userId", "references": {"table": "users"}}),
            spec("query", "SELECT count(*)\n  FROM events WHERE kind IS NULL", expect=0),
            spec("row_count", {"table": "users", "where": "active", "expect": {"gt": 0}}),
            spec("not", spec("any", (spec("dialect", ("mysql",)), spec("step_applied", "a")))),
        )
    ] == [
        "column users.email exists (text, NOT NULL)",
        "unique index on users(email) exists",
        "foreign key tool_audit_logs(userId) → users(id) ON DELETE CASCADE exists",
        "every tool_audit_logs(userId) → users(primary key) value has its row",
        "SELECT count(*) FROM events WHERE kind IS NULL returns 0",
        "row count of users where active is > 0",
        "not ((database is mysql or step a is applied))",
    ]
