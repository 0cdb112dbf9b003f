"""`migrator inspect`: on the seed's "before" database it finds exactly the three
foreign keys the seed found missing, and the plan it emits fixes them."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from migrator import api
from migrator.cli import main
from migrator.db import create_engine
from migrator.inspect import (
    InspectResult,
    MissingForeignKey,
    Reference,
    UnindexedForeignKey,
    emit_plan,
    reference_stem,
    render_text,
)
from migrator.plan.build import load_plan

REPO = Path(__file__).resolve().parent.parent
SETUP_PLAN = REPO / "plans" / "seed-app" / "setup.yaml"

SEED_MISSING = [
    {"table": "tool_audit_logs", "columns": ["userId"], "references": {"table": "users", "columns": ["id"]}, "orphans": 3},
    {"table": "tool_rate_limits", "columns": ["userId"], "references": {"table": "users", "columns": ["id"]}, "orphans": 2},
    {"table": "user_tool_quotas", "columns": ["userId"], "references": {"table": "users", "columns": ["id"]}, "orphans": 1},
]


def run_sql(url: str, *statements: str) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            for statement in statements:
                # no_parameters: '%' (modulo in the seed's SQL) is not a placeholder.
                conn.exec_driver_sql(statement, execution_options={"no_parameters": True})
    finally:
        engine.dispose()


def inspect_url(url: str) -> InspectResult:
    return api.inspect(url)


def quote_user_id(url: str) -> str:
    return "`userId`" if url.startswith("mysql") else '"userId"'


@pytest.fixture
def before_url(db_url):
    """A database in the seed's "before" state: plans/seed-app/setup.yaml applied
    (so migrator's journal table is there too, and must not be reported)."""
    assert api.apply(str(SETUP_PLAN), db_url, yes=True).exit_code == 0
    return db_url


def test_inspect_finds_exactly_the_seeds_three_missing_foreign_keys(before_url):
    result = inspect_url(before_url)
    assert result.to_dict() == {
        "missing_foreign_keys": SEED_MISSING,
        "unindexed_foreign_keys": [],
        "tables_without_primary_key": [],
    }
    assert all(m.indexed for m in result.missing_foreign_keys)


def test_inspect_json_output_is_the_documented_shape(before_url, capsys):
    code = main(["--database", before_url, "inspect", "--format", "json"])
    out = capsys.readouterr().out
    assert code == 0
    assert json.loads(out) == {
        "missing_foreign_keys": SEED_MISSING,
        "unindexed_foreign_keys": [],
        "tables_without_primary_key": [],
    }


def test_inspect_text_output(sqlite_url, capsys):
    assert api.apply(str(SETUP_PLAN), sqlite_url, yes=True).exit_code == 0
    capsys.readouterr()
    assert main(["--database", sqlite_url, "inspect"]) == 0
    assert capsys.readouterr().out == (
        "Missing foreign keys (3):\n"
        "  tool_audit_logs.userId -> users.id  (3 orphan rows)\n"
        "  tool_rate_limits.userId -> users.id  (2 orphan rows)\n"
        "  user_tool_quotas.userId -> users.id  (1 orphan row)\n"
        "Foreign keys without an index (0):\n"
        "Tables without a primary key (0):\n"
        "`migrator inspect --emit-plan FILE` writes a plan that fixes the first two.\n"
    )


def test_inspect_of_a_sqlite_file_that_does_not_exist_is_an_error_and_creates_nothing(tmp_path, capsys):
    # A typo in the path must not read as "a clean database".
    target = tmp_path / "typo.sqlite"
    assert main(["--database", f"sqlite:///{target}", "inspect"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"migrator: no database at sqlite:///{target}: the file {target} does not exist"]
    assert not target.exists()


def test_emitted_plan_validates_and_applies_after_orphans_are_removed(before_url, db_dialect, tmp_path, capsys):
    target = tmp_path / "fixes" / "inspect-fixes.yaml"
    assert main(["--database", before_url, "inspect", "--emit-plan", str(target)]) == 0
    assert capsys.readouterr().err == f"wrote {target}\n"
    text = target.read_text()
    assert text.startswith("# yaml-language-server: $schema=migrator.schema.json\n")
    assert (target.parent / "migrator.schema.json").exists()
    assert api.validate([str(target)]).ok

    plan = load_plan(str(target))
    dialect = db_dialect
    assert [s.id for s in plan.steps] == [
        "fk-tool-audit-logs-user-id",
        "fk-tool-rate-limits-user-id",
        "fk-user-tool-quotas-user-id",
    ]
    for step in plan.steps:
        assert [c.kind for c in step.preconditions] == ["not", "no_orphans"]
        assert [c.kind for c in step.verify] == ["foreign_key_exists"]
        assert step.rollback is not None
    assert [c.kind for c in plan.phases[0].preconditions] == ["dialect"]

    # With the orphans still there, the first foreign key step halts and shows them.
    halted = api.apply(str(target), before_url, yes=True)
    assert halted.exit_code == 1
    orphans = halted.steps[0].preconditions[1]
    assert (halted.steps[0].outcome, orphans.kind, orphans.held, orphans.count) == ("failed", "no_orphans", False, 3)

    q = quote_user_id(before_url)
    run_sql(
        before_url,
        *(f"DELETE FROM {t} WHERE {q} NOT IN (SELECT id FROM users)" for t in ("tool_audit_logs", "tool_rate_limits", "user_tool_quotas")),
    )
    applied = api.apply(str(target), before_url, yes=True)
    assert applied.exit_code == 0
    assert [s.outcome for s in applied.steps] == ["applied"] * 3
    assert inspect_url(before_url).clean
    assert {s.outcome for s in api.apply(str(target), before_url, yes=True).steps} == {"already_applied"}

    # And the rollbacks put the database back as it was (minus the orphans).
    assert api.rollback(str(target), before_url, last=3, yes=True).exit_code == 0
    after = inspect_url(before_url).to_dict()
    assert [(m["table"], m["orphans"]) for m in after["missing_foreign_keys"]] == [
        ("tool_audit_logs", 0),
        ("tool_rate_limits", 0),
        ("user_tool_quotas", 0),
    ]
    assert plan.phases[0].preconditions[0].arg == (dialect,)


def test_emitted_sql_per_dialect():
    result = InspectResult(
        "postgresql",
        missing_foreign_keys=(MissingForeignKey("tool_audit_logs", ("userId",), Reference("users", ("id",)), 3),),
    )
    pg = load_yaml(emit_plan(result, "postgresql"))
    step = pg["phases"][0]["steps"][0]
    assert step["sql"] == (
        'ALTER TABLE "tool_audit_logs" ADD CONSTRAINT "fk_tool_audit_logs_user_id" '
        'FOREIGN KEY("userId") REFERENCES "users" ("id")'
    )
    assert step["rollback"] == 'ALTER TABLE "tool_audit_logs" DROP CONSTRAINT "fk_tool_audit_logs_user_id"'
    assert step["preconditions"][1]["message"] == (
        "rows whose userId matches no users row (3 when inspected): delete them or set the column to NULL first"
    )
    my = load_yaml(emit_plan(result, "mysql"))["phases"][0]["steps"][0]
    assert my["sql"] == (
        "ALTER TABLE `tool_audit_logs` ADD CONSTRAINT `fk_tool_audit_logs_user_id` "
        "FOREIGN KEY(`userId`) REFERENCES `users` (`id`)"
    )
    assert my["rollback"] == "ALTER TABLE `tool_audit_logs` DROP FOREIGN KEY `fk_tool_audit_logs_user_id`"


def test_emitted_index_steps_hold_the_statements_alone():
    result = InspectResult("postgresql", unindexed_foreign_keys=(UnindexedForeignKey("posts", ("user_id",), "fk"),))
    for dialect, drop in [("postgresql", 'DROP INDEX "ix_posts_user_id"'),
                          ("mysql", "DROP INDEX `ix_posts_user_id` ON `posts`"),
                          ("sqlite", 'DROP INDEX "ix_posts_user_id"')]:
        step = load_yaml(emit_plan(result, dialect))["phases"][0]["steps"][0]
        assert step["rollback"] == drop
        assert step["sql"].startswith("CREATE INDEX ") and step["sql"] == step["sql"].strip()


def load_yaml(text: str) -> dict:
    import yaml

    return yaml.safe_load(text)


def test_emit_plan_refuses_when_nothing_to_fix():
    with pytest.raises(ValueError, match="nothing to fix"):
        emit_plan(InspectResult("sqlite"), "sqlite")


def test_inspect_on_a_clean_database_writes_no_plan(sqlite_url, tmp_path, capsys):
    run_sql(sqlite_url, "CREATE TABLE users (id INTEGER PRIMARY KEY)")
    target = tmp_path / "fixes.yaml"
    assert main(["--database", sqlite_url, "inspect", "--emit-plan", str(target)]) == 0
    captured = capsys.readouterr()
    assert captured.out.endswith("Nothing to fix.\n")
    assert captured.err == "nothing to fix: no plan written\n"
    assert not target.exists()


def test_unindexed_foreign_key_and_table_without_primary_key(db_url, tmp_path):
    run_sql(
        db_url,
        "CREATE TABLE authors (id INTEGER PRIMARY KEY, name VARCHAR(50))",
        "CREATE TABLE posts (id INTEGER PRIMARY KEY, author_id INTEGER,"
        " CONSTRAINT fk_posts_author FOREIGN KEY (author_id) REFERENCES authors (id))",
        "CREATE TABLE page_views (post_id INTEGER NOT NULL, viewed_at TIMESTAMP NULL)",
        "INSERT INTO authors (id, name) VALUES (1, 'ada')",
        "INSERT INTO posts (id, author_id) VALUES (1, 1)",
        "INSERT INTO page_views (post_id) VALUES (1), (2), (2)",
    )
    result = inspect_url(db_url).to_dict()
    assert result["missing_foreign_keys"] == [
        {"table": "page_views", "columns": ["post_id"], "references": {"table": "posts", "columns": ["id"]}, "orphans": 2}
    ]
    if db_url.startswith("mysql"):
        # InnoDB creates an index for every foreign key by itself.
        assert result["unindexed_foreign_keys"] == []
    else:
        assert result["unindexed_foreign_keys"] == [
            {"table": "posts", "columns": ["author_id"], "constraint": "fk_posts_author"}
        ]
    assert result["tables_without_primary_key"] == [{"table": "page_views"}]

    # The emitted plan indexes page_views.post_id (no index yet) and posts.author_id.
    target = tmp_path / "fix.yaml"
    api.write_inspect_plan(api.inspect(db_url), str(target))
    text = target.read_text()
    assert "# Tables without a primary key (not fixed here; choose the key by hand):\n#   page_views\n" in text
    assert "#   page_views.post_id: 2\n" in text
    run_sql(db_url, "DELETE FROM page_views WHERE post_id = 2")
    assert api.apply(str(target), db_url, yes=True).exit_code == 0
    after = inspect_url(db_url).to_dict()
    assert after["missing_foreign_keys"] == []
    assert after["unindexed_foreign_keys"] == []


def test_sqlite_rebuild_keeps_earlier_keys_when_a_table_misses_two(sqlite_url, tmp_path):
    run_sql(
        sqlite_url,
        "CREATE TABLE users (id INTEGER PRIMARY KEY)",
        "CREATE TABLE teams (id INTEGER PRIMARY KEY)",
        'CREATE TABLE memberships (id INTEGER PRIMARY KEY, "userId" INTEGER, team_id INTEGER, note TEXT)',
        "CREATE INDEX ix_m_user ON memberships (\"userId\")",
        "CREATE INDEX ix_m_team ON memberships (team_id)",
        "INSERT INTO users (id) VALUES (1)",
        "INSERT INTO teams (id) VALUES (7)",
        "INSERT INTO memberships (id, \"userId\", team_id, note) VALUES (1, 1, 7, 'x')",
    )
    result = api.inspect(sqlite_url)
    assert [(m.table, m.columns, m.references.table) for m in result.missing_foreign_keys] == [
        ("memberships", ("userId",), "users"),
        ("memberships", ("team_id",), "teams"),
    ]
    target = tmp_path / "fix.yaml"
    api.write_inspect_plan(result, str(target))
    assert api.apply(str(target), sqlite_url, yes=True).exit_code == 0
    assert api.inspect(sqlite_url).clean
    engine = create_engine(sqlite_url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT id, \"userId\", team_id, note FROM memberships").all() == [(1, 1, 7, "x")]
    engine.dispose()
    assert api.rollback(str(target), sqlite_url, last=2, yes=True).exit_code == 0
    assert len(api.inspect(sqlite_url).missing_foreign_keys) == 2


def test_sqlite_rebuild_applies_when_a_view_and_another_tables_trigger_read_the_table(sqlite_url, tmp_path):
    # SQLite's RENAME re-checks views and triggers; while the old table is gone these
    # would fail it with "no such table" unless the rebuild keeps them out of it.
    run_sql(
        sqlite_url,
        "CREATE TABLE users (id INTEGER PRIMARY KEY)",
        "CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER)",
        "CREATE VIEW post_view AS SELECT id, user_id FROM posts",
        "CREATE TRIGGER users_first_post AFTER INSERT ON users BEGIN INSERT INTO posts (user_id) VALUES (new.id); END",
        "INSERT INTO users (id) VALUES (1)",
    )
    result = api.inspect(sqlite_url)
    assert [(m.table, m.columns) for m in result.missing_foreign_keys] == [("posts", ("user_id",))]
    target = tmp_path / "fix.yaml"
    api.write_inspect_plan(result, str(target))
    assert api.apply(str(target), sqlite_url, yes=True).exit_code == 0
    assert api.inspect(sqlite_url).clean
    run_sql(sqlite_url, "INSERT INTO users (id) VALUES (2)")
    engine = create_engine(sqlite_url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT user_id FROM post_view ORDER BY id").scalars().all() == [1, 2]
    engine.dispose()
    assert api.rollback(str(target), sqlite_url, last=2, yes=True).exit_code == 0
    assert len(api.inspect(sqlite_url).missing_foreign_keys) == 1


def test_two_columns_with_the_same_snake_case_name_get_distinct_index_and_key_names(db_url, tmp_path):
    """``account_id`` and ``accountId`` both snake-case to ``account_id``: the emitted plan
    must not give their indexes (or foreign keys) one name, or its second step fails."""
    q = quote_user_id(db_url).replace("userId", "accountId")
    run_sql(
        db_url,
        "CREATE TABLE accounts (id INTEGER PRIMARY KEY)",
        f"CREATE TABLE transfers (id INTEGER PRIMARY KEY, account_id INTEGER, {q} INTEGER)",
    )
    result = api.inspect(db_url)
    assert [m.columns for m in result.missing_foreign_keys] == [("account_id",), ("accountId",)]
    target = tmp_path / "fix.yaml"
    api.write_inspect_plan(result, str(target))
    text = target.read_text()
    assert "ix_transfers_account_id_2" in text and "fk_transfers_account_id_2" in text
    assert api.apply(str(target), db_url, yes=True).exit_code == 0
    assert api.inspect(db_url).clean
    assert api.rollback(str(target), db_url, last=4, yes=True).exit_code == 0
    assert len(api.inspect(db_url).missing_foreign_keys) == 2


def test_mysql_reports_only_keys_innodb_can_create_and_the_plan_applies(mysql_url, tmp_path):
    run_sql(
        mysql_url,
        "CREATE TABLE users (id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY)",
        "CREATE TABLE orgs (id INT NOT NULL PRIMARY KEY)",
        "CREATE TABLE notes (id INT PRIMARY KEY, user_id BIGINT UNSIGNED, org_id INT)",
        # Another integer size or signedness: InnoDB refuses the key (errno 150).
        "CREATE TABLE posts (id INT PRIMARY KEY, user_id INT, org_id BIGINT)",
    )
    result = api.inspect(mysql_url)
    assert [(m.table, m.columns) for m in result.missing_foreign_keys] == [
        ("notes", ("user_id",)), ("notes", ("org_id",)),
    ]
    target = tmp_path / "fix.yaml"
    api.write_inspect_plan(result, str(target))
    assert api.apply(str(target), mysql_url, yes=True).exit_code == 0
    assert not api.inspect(mysql_url).missing_foreign_keys


def test_reference_detection_rules(sqlite_url):
    run_sql(
        sqlite_url,
        "CREATE TABLE users (id INTEGER PRIMARY KEY, user_id INTEGER)",
        "CREATE TABLE categories (id INTEGER PRIMARY KEY, parent_id INTEGER)",
        "CREATE TABLE tags (code VARCHAR(10) PRIMARY KEY)",
        "CREATE TABLE migrator_journal (plan TEXT, step TEXT, user_id INTEGER)",
        "CREATE TABLE docs (id INTEGER PRIMARY KEY, owner_id INTEGER, categoryId INTEGER,"
        " tag_id INTEGER, paid INTEGER, uuid VARCHAR(36))",
    )
    result = api.inspect(sqlite_url).to_dict()
    assert [(m["table"], m["columns"][0], m["references"]["table"]) for m in result["missing_foreign_keys"]] == [
        # owner_id -> users by the alias list; categoryId -> categories (plural in -ies).
        ("docs", "owner_id", "users"),
        ("docs", "categoryId", "categories"),
    ]


def test_references_to_tables_with_irregular_plural_names(sqlite_url):
    run_sql(
        sqlite_url,
        "CREATE TABLE people (id INTEGER PRIMARY KEY)",
        "CREATE TABLE sales_children (id INTEGER PRIMARY KEY)",
        "CREATE TABLE visits (id INTEGER PRIMARY KEY, person_id INTEGER, salesChildId INTEGER)",
    )
    result = api.inspect(sqlite_url).to_dict()
    assert [(m["columns"][0], m["references"]["table"]) for m in result["missing_foreign_keys"]] == [
        ("person_id", "people"),
        ("salesChildId", "sales_children"),
    ]
    # Not references: tag_id (tags.code is text, not an integer), parent_id (no
    # "parents" table), users.user_id (named after its own table), paid and uuid
    # (no _id/Id suffix), and everything in migrator's journal.
    assert result["tables_without_primary_key"] == []


@pytest.mark.parametrize(
    "column, stem",
    [
        ("user_id", "user"),
        ("userId", "user"),
        ("USER_ID", "user"),
        ("authorId", "author"),
        ("eventTypeId", "event_type"),
        ("created_by_id", "created_by"),
        ("id", None),
        ("paid", None),
        ("uuid", None),
        ("Id", None),
    ],
)
def test_reference_stem(column, stem):
    assert reference_stem(column) == stem


def test_render_text_lists_unindexed_and_no_primary_key():
    from migrator.inspect import TableWithoutPrimaryKey, UnindexedForeignKey

    result = InspectResult(
        "postgresql",
        unindexed_foreign_keys=(UnindexedForeignKey("posts", ("author_id",), "fk_posts_author"),),
        tables_without_primary_key=(TableWithoutPrimaryKey("page_views"),),
    )
    assert render_text(result) == (
        "Missing foreign keys (0):\n"
        "Foreign keys without an index (1):\n"
        "  posts (author_id)  [fk_posts_author]\n"
        "Tables without a primary key (1):\n"
        "  page_views\n"
        "`migrator inspect --emit-plan FILE` writes a plan that fixes the first two.\n"
    )
