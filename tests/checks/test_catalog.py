"""The catalog: a bounded number of queries, the cache and its invalidation, schemas, case rules."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from migrator.checks import CheckContext, evaluate, evaluate_all
from migrator.checks.catalog import NameInvalid, find_name, split_name
from tests.checks.helpers import one, seed, spec

TABLES = 200


def _make_schema(engine, dialect: str) -> None:
    with engine.begin() as conn:
        for i in range(TABLES):
            parent = f", parent_id INTEGER REFERENCES t{i - 1:03d} (id)" if i else ", parent_id INTEGER"
            index = ", INDEX ix_t{0:03d}_name (name)".format(i) if dialect == "mysql" else ""
            conn.exec_driver_sql(f"CREATE TABLE t{i:03d} (id INTEGER PRIMARY KEY, name VARCHAR(20){parent}{index})")
            if dialect != "mysql":
                conn.exec_driver_sql(f"CREATE INDEX ix_t{i:03d}_name ON t{i:03d} (name)")


def _checks():
    """200 checks, one on each table, cycling through the four catalog kinds."""
    made = []
    for i in range(TABLES):
        t = f"t{i:03d}"
        made.append(
            [
                spec("table_exists", t),
                spec("column_exists", {"table": t, "column": "name", "type": "text", "nullable": True}),
                spec("index_exists", {"table": t, "columns": ["name"]}),
                spec("foreign_key_exists", {"table": t, "columns": "parent_id", "references": f"t{max(i - 1, 0):03d}.id"}),
            ][i % 4]
        )
    made[0] = spec("table_exists", "t000")  # t000 references nothing
    return made


class _Counter:
    def __init__(self, conn):
        self.catalog = 0
        self.savepoints = 0
        sa.event.listen(conn, "before_cursor_execute", self)

    def __call__(self, conn, cursor, statement, parameters, context, executemany):
        if statement.split(None, 1)[0].upper() in ("SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN"):
            self.savepoints += 1
        else:
            self.catalog += 1


def test_200_checks_on_200_tables_cost_a_bounded_number_of_catalog_queries(db_engine, db_dialect):
    _make_schema(db_engine, db_dialect)
    checks = _checks()
    # Reads: the default schema and case rule (not on SQLite), the table list, then one
    # query each for columns, indexes and foreign keys of all 200 tables at once.
    expected = {"sqlite": 4, "postgresql": 5, "mysql": 5}[db_dialect]
    with db_engine.connect() as conn, conn.begin():
        ctx = CheckContext.create(conn)
        counter = _Counter(conn)
        results = evaluate_all(checks, ctx)
        assert [r.detail for r in results if not r.held] == []
        assert counter.catalog == expected
        assert counter.savepoints == 2 * expected  # each read in a savepoint, rolled back
        evaluate_all(checks, ctx)  # cached: no query at all
        assert counter.catalog == expected
        ctx.catalog.invalidate()  # after a step's DDL: read again (the settings survive)
        evaluate_all(checks, ctx)
        assert counter.catalog == expected + 4

    with db_engine.connect() as conn:
        ctx = CheckContext.create(conn)
        counter = _Counter(conn)
        assert all(evaluate(c, ctx).held for c in checks)
        # One by one, without evaluate_all's prefetch, each check reads what it needs of its
        # own table, once: the columns of 150 tables (column, index and foreign key checks
        # resolve column names), the indexes of 50, the foreign keys of 50 (the referenced
        # tables' columns are read already), the table list and the settings: 252, where
        # tables x kinds would be 600.
        settings = 0 if db_dialect == "sqlite" else 1
        assert counter.catalog == settings + 1 + 150 + 50 + 50
        assert all(evaluate(c, ctx).held for c in checks)
        assert counter.catalog == settings + 1 + 150 + 50 + 50


def test_the_cache_is_invalidated_after_ddl(db_engine):
    with db_engine.connect() as conn:
        ctx = CheckContext.create(conn)
        assert evaluate(spec("table_exists", "late"), ctx).held is False
        with conn.begin():
            conn.exec_driver_sql("CREATE TABLE late (id INTEGER PRIMARY KEY)")
        assert evaluate(spec("table_exists", "late"), ctx).held is False  # cached for the run
        ctx.catalog.invalidate()
        assert evaluate(spec("table_exists", "late"), ctx).held is True


def test_schema_qualified_names_on_postgresql(pg_url):
    from migrator.db import create_engine

    engine = create_engine(pg_url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql('CREATE SCHEMA app')
            conn.exec_driver_sql('CREATE TABLE app."Accounts" ("accountId" INTEGER PRIMARY KEY)')
            conn.exec_driver_sql('CREATE TABLE app.items (id INTEGER PRIMARY KEY, "accountId" INTEGER)')
            conn.exec_driver_sql('INSERT INTO app."Accounts" VALUES (1)')
            conn.exec_driver_sql("INSERT INTO app.items VALUES (1, 1), (2, 7)")
            # NOT VALID: the constraint exists while an orphan is left for no_orphans to find.
            conn.exec_driver_sql(
                'ALTER TABLE app.items ADD FOREIGN KEY ("accountId") REFERENCES app."Accounts" ("accountId") NOT VALID'
            )
        fk = {"table": "app.items", "columns": "accountId", "references": {"table": "app.Accounts", "columns": ["accountId"]}}
        assert one(engine, "table_exists", "app.Accounts") == (True, "table app.Accounts exists")
        assert one(engine, "table_exists", "APP.items") == (True, "table APP.items exists")
        assert one(engine, "table_exists", "items") == (False, "table items does not exist")
        assert one(engine, "table_exists", 'app."accounts"') == (
            False,
            'table app."accounts" does not exist (found Accounts, which differs in case)',
        )
        assert one(engine, "column_exists", {"table": "app.items", "column": "accountId", "type": "integer"}) == (
            True,
            "column app.items.accountId exists (integer, nullable)",
        )
        assert one(engine, "foreign_key_exists", fk) == (
            True,
            "foreign key app.items(accountId) → app.Accounts(accountId) exists (items_accountId_fkey)",
        )
        assert one(engine, "no_orphans", fk) == (False, "1 row in app.items(accountId) with no matching row in app.Accounts(accountId)")
        assert one(engine, "row_count", {"table": "app.Accounts", "expect": 1}) == (True, "got 1 row in app.Accounts (expected 1)")
        assert one(engine, "index_exists", {"table": "app.Accounts", "columns": "accountId", "unique": True}) == (
            True,
            'unique index on app.Accounts(accountId) exists: Accounts_pkey(accountId) primary key',
        )
    finally:
        engine.dispose()


def test_mysql_case_insensitive_table_names_give_no_false_negatives(mysql_url):
    """With lower_case_table_names=1 (Windows, macOS) tables are stored lower case:
    the plan's ToolAuditLogs must find toolauditlogs, and SQL must use the stored name."""
    from migrator.db import create_engine

    engine = create_engine(mysql_url)
    try:
        seed(engine)
        with engine.connect() as conn:
            ctx = CheckContext.create(conn)
            database = ctx.catalog.default_schema(conn)
            ctx.catalog._settings = (database, True)  # what catalog_settings reads on such a server
            assert [
                (r.held, r.detail)
                for r in evaluate_all(
                    [
                        spec("table_exists", "Tool_Audit_Logs"),
                        spec("column_exists", {"table": "USERS", "column": "EMAIL"}),
                        spec("row_count", {"table": "Users", "expect": 2}),
                        spec("no_orphans", {"table": "Tool_Audit_Logs", "columns": "userid", "references": "USERS.ID"}),
                    ],
                    ctx,
                )
            ] == [
                (True, "table Tool_Audit_Logs exists"),
                (True, "column users.EMAIL exists (varchar(100), NOT NULL)"),
                (True, "got 2 rows in users (expected 2)"),
                (False, "2 rows in tool_audit_logs(userId) with no matching row in users(id)"),
            ]
    finally:
        engine.dispose()


def test_names_split_on_dots_outside_quotes_and_match_by_rule():
    assert split_name('app."My.Table"') == [("app", False), ("My.Table", True)]
    assert split_name("`db`.t") == [("db", True), ("t", False)]
    assert find_name("Users", False, ["users"], "lower") == "users"
    assert find_name("Users", True, ["users"], "lower") is None
    assert find_name("userId", False, ["userId"], "lower") == "userId"
    assert find_name("USERS", False, ["users"], "nocase") == "users"
    assert find_name("USERS", False, ["users"], "exact") is None


def test_an_invalid_name_says_why_and_how_to_write_it():
    with pytest.raises(NameInvalid) as e:
        split_name('x"y')
    assert str(e.value) == """invalid name 'x"y': a " quote is not closed (a name holding a dot or a quote is written quoted, a quote inside doubled: "a.b", "x""y")"""
    with pytest.raises(NameInvalid, match=r"^invalid name 'app\.\.t': a part is empty \("):
        split_name("app..t")
    assert split_name('"x""y"') == [('x"y', True)]
