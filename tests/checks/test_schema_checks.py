"""table_exists, column_exists, index_exists, foreign_key_exists on every dialect."""
from __future__ import annotations

import pytest

from tests.checks.helpers import check, one, seed, spec

INT = {"sqlite": "INTEGER", "postgresql": "integer", "mysql": "int(11)"}
VARCHAR100 = {"sqlite": "VARCHAR(100)", "postgresql": "character varying(100)", "mysql": "varchar(100)"}
PK_OF_AUDIT = {"sqlite": "primary key (id)", "postgresql": "tool_audit_logs_pkey(id) primary key", "mysql": "PRIMARY(id) primary key"}
EMAIL_KEY = {"sqlite": "sqlite_autoindex_users_1(email) unique", "postgresql": "users_email_key(email) unique", "mysql": "email(email) unique"}


@pytest.fixture
def db(db_engine):
    seed(db_engine)
    return db_engine


def test_table_exists_holds_fails_and_follows_the_databases_case_rules(db, db_dialect):
    assert one(db, "table_exists", "users") == (True, "table users exists")
    assert one(db, "table_exists", "ghosts") == (False, "table ghosts does not exist")
    # Unquoted Users is users on PostgreSQL (folded) and SQLite (no case); MariaDB with
    # lower_case_table_names=0 compares table names as stored, as its SQL does.
    if db_dialect == "mysql":
        assert one(db, "table_exists", "Users") == (False, "table Users does not exist (found users, which differs in case)")
    else:
        assert one(db, "table_exists", "Users") == (True, "table Users exists")
    assert one(db, "table_exists", "a.b.c") == (False, "invalid table name 'a.b.c': expected table or schema.table")


def test_column_exists_with_type_family_and_nullability(db, db_dialect):
    assert check(
        db,
        spec("column_exists", {"table": "tool_audit_logs", "column": "userId", "type": "integer", "nullable": True}),
        spec("column_exists", {"table": "users", "column": "active", "type": "boolean"}),
        spec("column_exists", {"table": "users", "column": "data", "type": "json"}),
        spec("column_exists", {"table": "users", "column": "score", "type": "numeric"}),
        spec("column_exists", {"table": "users", "column": "created_at", "type": "datetime", "nullable": True}),
        spec("column_exists", {"table": "users", "column": "email", "type": "text", "nullable": False}),
    ) == [
        (True, f"column tool_audit_logs.userId exists ({INT[db_dialect]}, nullable)"),
        (True, f"column users.active exists ({ {'sqlite': 'BOOLEAN', 'postgresql': 'boolean', 'mysql': 'tinyint(1)'}[db_dialect] }, nullable)"),
        (True, f"column users.data exists ({ {'sqlite': 'JSON', 'postgresql': 'json', 'mysql': 'json'}[db_dialect] }, nullable)"),
        (True, f"column users.score exists ({ {'sqlite': 'NUMERIC(10,2)', 'postgresql': 'numeric(10,2)', 'mysql': 'decimal(10,2)'}[db_dialect] }, nullable)"),
        (True, f"column users.created_at exists ({ {'sqlite': 'TIMESTAMP', 'postgresql': 'timestamp without time zone', 'mysql': 'timestamp'}[db_dialect] }, nullable)"),
        (True, f"column users.email exists ({VARCHAR100[db_dialect]}, NOT NULL)"),
    ]
    assert check(
        db,
        spec("column_exists", {"table": "users", "column": "email", "type": "integer", "nullable": True}),
        spec("column_exists", {"table": "users", "column": "nope"}),
        spec("column_exists", {"table": "ghosts", "column": "id"}),
        spec("column_exists", {"table": "users", "column": "id", "type": "varchar"}),
    ) == [
        (False, f"column users.email is {VARCHAR100[db_dialect]} (text), expected integer; is NOT NULL, expected nullable"),
        (False, "column users.nope does not exist; found: id, email, active, score, created_at, data"),
        (False, "table ghosts does not exist"),
        (False, "unknown type family 'varchar' (one of: integer, numeric, text, boolean, date, datetime, time, json, binary, uuid)"),
    ]


def test_quoted_camel_case_columns_are_matched_as_the_database_does(db, db_dialect):
    lower = one(db, "column_exists", {"table": "tool_audit_logs", "column": "userid"})
    quoted = one(db, "column_exists", {"table": "tool_audit_logs", "column": '"userId"'})
    assert quoted == (True, f'column tool_audit_logs."userId" exists ({INT[db_dialect]}, nullable)')
    if db_dialect == "postgresql":  # "userId" was created quoted: userid is another name
        assert lower == (False, "column tool_audit_logs.userid does not exist; found: id, userId, action")
    else:  # column names never depend on case on MySQL and SQLite
        assert lower == (True, f"column tool_audit_logs.userid exists ({INT[db_dialect]}, nullable)")


def test_index_exists_by_columns_in_order_by_name_and_unique(db, db_dialect):
    assert check(
        db,
        spec("index_exists", {"table": "users", "columns": "email", "unique": True}),
        spec("index_exists", {"table": "users", "columns": ["id"], "unique": True}),
        spec("index_exists", {"table": "memberships", "columns": ["userId", "org_id"]}),
        spec("index_exists", {"table": "memberships", "name": "ix_memberships_user_org", "unique": False}),
        spec("index_exists", {"table": "memberships", "name": "IX_Memberships_User_Org"}),
    ) == [
        (True, f"unique index on users(email) exists: {EMAIL_KEY[db_dialect]}"),
        (True, f"unique index on users(id) exists: { {'sqlite': 'primary key (id)', 'postgresql': 'users_pkey(id) primary key', 'mysql': 'PRIMARY(id) primary key'}[db_dialect] }"),
        (True, "index on memberships(userId, org_id) exists: ix_memberships_user_org(userId, org_id)"),
        (True, "non-unique index ix_memberships_user_org on memberships exists: ix_memberships_user_org(userId, org_id)"),
        (True, "index IX_Memberships_User_Org on memberships exists: ix_memberships_user_org(userId, org_id)"),
    ]
    assert check(
        db,
        spec("index_exists", {"table": "tool_audit_logs", "columns": ["userId"]}),
        spec("index_exists", {"table": "users", "name": "ix_nope"}),
        spec("index_exists", {"table": "users", "columns": ["email"], "unique": False}),
        spec("index_exists", {"table": "users", "columns": ["emial"]}),
        spec("index_exists", {"table": "users"}),
    ) == [
        (False, f"index on tool_audit_logs(userId) missing; found: {PK_OF_AUDIT[db_dialect]}"),
        (False, f"index ix_nope on users missing; found: {_users_indexes(db_dialect)}"),
        (False, f"non-unique index on users(email) missing; found: {_users_indexes(db_dialect)}"),
        (False, "column users.emial does not exist"),
        (False, "index_exists needs columns or name"),
    ]
    # Columns in another order are another index.
    held, detail = one(db, "index_exists", {"table": "memberships", "columns": ["org_id", "userId"]})
    assert not held and detail.startswith("index on memberships(org_id, userId) missing; found: ")


def _users_indexes(dialect: str) -> str:
    return {
        "sqlite": "primary key (id), sqlite_autoindex_users_1(email) unique",
        "postgresql": "users_email_key(email) unique, users_pkey(id) primary key",
        "mysql": "email(email) unique, PRIMARY(id) primary key",
    }[dialect]


def test_foreign_key_exists_single_composite_both_reference_forms_and_on_delete(db, db_dialect):
    names = {"sqlite": "", "postgresql": " (memberships_userId_fkey)", "mysql": " (memberships_ibfk_1)"}
    composite = {"sqlite": "", "postgresql": " (memberships_org_id_org_region_fkey)", "mysql": " (memberships_ibfk_2)"}
    assert check(
        db,
        spec("foreign_key_exists", {"table": "memberships", "columns": "userId", "references": "users.id"}),
        spec("foreign_key_exists", {"table": "memberships", "columns": ["userId"], "references": {"table": "users", "columns": ["id"]}, "on_delete": "cascade"}),
        spec("foreign_key_exists", {"table": "memberships", "columns": "userId", "references": "users"}),
        spec("foreign_key_exists", {"table": "memberships", "columns": ["org_id", "org_region"], "references": {"table": "orgs", "columns": ["id", "region"]}}),
        # The same pairs listed in another order are the same constraint.
        spec("foreign_key_exists", {"table": "memberships", "columns": ["org_region", "org_id"], "references": {"table": "orgs", "columns": ["region", "id"]}}),
        spec("foreign_key_exists", {"table": "memberships", "columns": ["org_id", "org_region"], "references": {"table": "orgs", "columns": ["id", "region"]}, "on_delete": "NO_ACTION"}),
    ) == [
        (True, f"foreign key memberships(userId) → users(id) exists{names[db_dialect]}"),
        (True, f"foreign key memberships(userId) → users(id) ON DELETE CASCADE exists{names[db_dialect]}"),
        (True, f"foreign key memberships(userId) → users(id) exists{names[db_dialect]}"),
        (True, f"foreign key memberships(org_id, org_region) → orgs(id, region) exists{composite[db_dialect]}"),
        (True, f"foreign key memberships(org_region, org_id) → orgs(region, id) exists{composite[db_dialect]}"),
        (True, f"foreign key memberships(org_id, org_region) → orgs(id, region) ON DELETE NO ACTION exists{composite[db_dialect]}"),
    ]
    assert one(db, "foreign_key_exists", {"table": "tool_audit_logs", "columns": "userId", "references": "users.id"}) == (
        False,
        "foreign key tool_audit_logs(userId) → users(id) missing; found: none on tool_audit_logs",
    )
    held, detail = one(db, "foreign_key_exists", {"table": "memberships", "columns": "userId", "references": "users.id", "on_delete": "set null"})
    assert not held
    assert detail.startswith("foreign key memberships(userId) → users(id) ON DELETE SET NULL missing; found: ")
    assert "memberships(userId) → users(id) ON DELETE CASCADE" in detail
    # Crossed pairs (org_id → region) are not the constraint.
    held, detail = one(db, "foreign_key_exists", {"table": "memberships", "columns": ["org_id", "org_region"], "references": {"table": "orgs", "columns": ["region", "id"]}})
    assert not held and "memberships(org_id, org_region) → orgs(id, region)" in detail
    assert one(db, "foreign_key_exists", {"table": "memberships", "columns": "userId", "references": "users.uid"}) == (
        False,
        "column users.uid does not exist",
    )
    # Columns pair with referenced columns one for one: another count is no such key
    # (zip() used to pair the first ones, and users(id, email) "existed").
    assert one(db, "foreign_key_exists", {"table": "memberships", "columns": "userId", "references": {"table": "users", "columns": ["id", "email"]}}) == (
        False,
        "1 column(s) (userId) but 2 referenced (id, email)",
    )


# column -> (family, SQLite type, PostgreSQL type, MariaDB type): every family of spec
# section 11 and the sizes and spellings each one covers.
FAMILY_COLUMNS = {
    "c_small": ("integer", "SMALLINT", "SMALLINT", "SMALLINT"),
    "c_big": ("integer", "BIGINT", "BIGINT", "BIGINT UNSIGNED"),
    "c_dec": ("numeric", "DECIMAL(10,2)", "DECIMAL(10,2)", "DECIMAL(10,2)"),
    "c_real": ("numeric", "REAL", "REAL", "REAL"),
    "c_float": ("numeric", "FLOAT", "DOUBLE PRECISION", "FLOAT"),
    "c_char": ("text", "CHAR(3)", "CHAR(3)", "CHAR(3)"),
    "c_varchar": ("text", "VARCHAR(20)", "VARCHAR(20)", "VARCHAR(20)"),
    "c_text": ("text", "CLOB", "TEXT", "LONGTEXT"),
    "c_bool": ("boolean", "BOOLEAN", "BOOLEAN", "BOOLEAN"),
    "c_date": ("date", "DATE", "DATE", "DATE"),
    "c_ts": ("datetime", "TIMESTAMP", "TIMESTAMPTZ", "TIMESTAMP NULL"),
    "c_dt": ("datetime", "DATETIME", "TIMESTAMP", "DATETIME"),
    "c_time": ("time", "TIME", "TIME", "TIME"),
    "c_json": ("json", "JSON", "JSONB", "JSON"),
    "c_bin": ("binary", "BLOB", "BYTEA", "VARBINARY(16)"),
    "c_uuid": ("uuid", "UUID", "UUID", "UUID"),
}


def test_column_exists_type_families_cover_every_documented_type_through_the_cli(db_url, db_dialect, tmp_path, capsys):
    import json

    import yaml

    from tests.cli.clirun import run, write_plan_file

    at = {"sqlite": 1, "postgresql": 2, "mysql": 3}[db_dialect]
    ddl = "CREATE TABLE fam (id INTEGER PRIMARY KEY, " + ", ".join(
        f"{column} {types[at]}" for column, types in FAMILY_COLUMNS.items()) + ")"
    holds = [{"column_exists": {"table": "fam", "column": c, "type": t[0]}} for c, t in FAMILY_COLUMNS.items()]
    wrong = [{"not": {"column_exists": {"table": "fam", "column": c, "type": "integer" if t[0] == "text" else "text"}}}
             for c, t in FAMILY_COLUMNS.items()]
    plan = write_plan_file(tmp_path, yaml.safe_dump({"migrator": 1, "name": "families", "phases": [
        {"id": "p", "steps": [{"id": "make", "sql": ddl, "verify": holds + wrong}]}]}))
    code, out, err = run(capsys, "--database", db_url, "apply", plan, "--format", "json")
    checks = json.loads(out)["phases"][0]["steps"][0]["verify"]
    assert [c["status"] for c in checks if c["status"] != "passed"] == [] and len(checks) == 2 * len(FAMILY_COLUMNS)
    assert code == 0, err
