"""`migrator inspect` on schemas as real applications have them: partitioned tables,
MyISAM tables, PascalCase table names (Prisma, Sequelize), a SQLite ``CREATE TABLE``
whose column list ends in a comment. Each finding must be right and the emitted plan
must apply and roll back."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from migrator import api
from migrator.db import create_engine
from tests.test_inspect import run_sql


def _q(url: str, name: str) -> str:
    return f"`{name}`" if url.startswith("mysql") else f'"{name}"'


def _found(url: str) -> list[tuple[str, tuple[str, ...], str]]:
    return [(m.table, m.columns, m.references.table) for m in api.inspect(url).missing_foreign_keys]


def test_postgresql_partitions_are_left_to_their_partitioned_table(pg_url, tmp_path):
    # A key or an index added to a partitioned table reaches every partition; one added to a
    # partition as well would be a duplicate (and its rollback finds nothing to drop).
    run_sql(
        pg_url,
        "CREATE TABLE products (id BIGINT PRIMARY KEY)",
        "CREATE TABLE sales (id BIGINT, product_id BIGINT, at DATE, PRIMARY KEY (id, at)) PARTITION BY RANGE (at)",
        "CREATE TABLE sales_2024 PARTITION OF sales FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')",
        "CREATE TABLE sales_2025 PARTITION OF sales FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')",
        "CREATE TABLE logs (msg TEXT) PARTITION BY LIST (msg)",
        "CREATE TABLE logs_a PARTITION OF logs FOR VALUES IN ('a')",
        "INSERT INTO products VALUES (1)",
        "INSERT INTO sales VALUES (1, 1, '2024-05-01'), (2, 1, '2025-05-01')",
    )
    result = api.inspect(pg_url)
    assert _found(pg_url) == [("sales", ("product_id",), "products")]
    assert [t.table for t in result.tables_without_primary_key] == ["logs"]
    target = tmp_path / "fix.yaml"
    api.write_inspect_plan(result, str(target))
    assert api.apply(str(target), pg_url, yes=True).exit_code == 0
    after = api.inspect(pg_url)
    assert not after.missing_foreign_keys and not after.unindexed_foreign_keys
    assert api.rollback(str(target), pg_url, last=2, yes=True).exit_code == 0
    assert _found(pg_url) == [("sales", ("product_id",), "products")]


def test_mysql_tables_that_cannot_hold_a_foreign_key_are_not_reported(mysql_url, tmp_path):
    # MyISAM (and Aria, MEMORY...) accept ADD FOREIGN KEY and ignore it: the emitted step's
    # verify would fail. Neither side of a key may be such a table.
    run_sql(
        mysql_url,
        "CREATE TABLE accounts (id INT PRIMARY KEY) ENGINE=InnoDB",
        "CREATE TABLE legacy_users (id INT PRIMARY KEY) ENGINE=MyISAM",
        "CREATE TABLE legacy_posts (id INT PRIMARY KEY, account_id INT) ENGINE=MyISAM",
        "CREATE TABLE posts (id INT PRIMARY KEY, account_id INT, legacy_user_id INT) ENGINE=InnoDB",
        # Partitioned InnoDB tables refuse foreign keys (error 1506), on both sides.
        "CREATE TABLE events (id INT PRIMARY KEY, account_id INT) PARTITION BY HASH (id) PARTITIONS 2",
        "CREATE TABLE regions (id INT PRIMARY KEY) PARTITION BY HASH (id) PARTITIONS 2",
        "CREATE TABLE offices (id INT PRIMARY KEY, region_id INT)",
    )
    result = api.inspect(mysql_url)
    assert _found(mysql_url) == [("posts", ("account_id",), "accounts")]
    target = tmp_path / "fix.yaml"
    api.write_inspect_plan(result, str(target))
    assert api.apply(str(target), mysql_url, yes=True).exit_code == 0
    assert api.inspect(mysql_url).clean


def test_pascal_case_table_names_are_found_from_camel_case_columns(db_url, tmp_path):
    # Sequelize's "EventTypes" and Prisma's "UserAccount" for eventTypeId / userAccountId.
    run_sql(
        db_url,
        f"CREATE TABLE {_q(db_url, 'EventTypes')} (id INTEGER PRIMARY KEY)",
        f"CREATE TABLE {_q(db_url, 'UserAccount')} (id INTEGER PRIMARY KEY)",
        f"CREATE TABLE {_q(db_url, 'Events')} (id INTEGER PRIMARY KEY, {_q(db_url, 'eventTypeId')} INTEGER,"
        f" {_q(db_url, 'userAccountId')} INTEGER)",
    )
    result = api.inspect(db_url)
    assert _found(db_url) == [
        ("Events", ("eventTypeId",), "EventTypes"),
        ("Events", ("userAccountId",), "UserAccount"),
    ]
    target = tmp_path / "fix.yaml"
    api.write_inspect_plan(result, str(target))
    assert api.apply(str(target), db_url, yes=True).exit_code == 0
    assert api.inspect(db_url).clean
    assert api.rollback(str(target), db_url, last=4, yes=True).exit_code == 0
    assert len(_found(db_url)) == 2


def test_sqlite_rebuild_of_a_table_whose_last_column_has_a_line_comment(sqlite_url, tmp_path):
    run_sql(
        sqlite_url,
        "CREATE TABLE users (id INTEGER PRIMARY KEY)",
        "CREATE TABLE posts (\n  id INTEGER PRIMARY KEY,\n  user_id INTEGER -- who wrote it (the author)\n)",
        "INSERT INTO users VALUES (1)",
        "INSERT INTO posts VALUES (1, 1)",
    )
    result = api.inspect(sqlite_url)
    target = tmp_path / "fix.yaml"
    api.write_inspect_plan(result, str(target))
    assert api.apply(str(target), sqlite_url, yes=True).exit_code == 0
    assert api.inspect(sqlite_url).clean
    assert api.rollback(str(target), sqlite_url, last=2, yes=True).exit_code == 0
    assert _found(sqlite_url) == [("posts", ("user_id",), "users")]


def test_an_invalid_postgresql_index_does_not_cover_a_foreign_key(pg_url, tmp_path):
    # A failed CREATE UNIQUE INDEX CONCURRENTLY leaves an INVALID index that no query
    # (nor a cascading delete) uses: the key is still unindexed, as index_exists says.
    run_sql(
        pg_url,
        "CREATE TABLE users (id INT PRIMARY KEY)",
        "CREATE TABLE posts (id INT PRIMARY KEY, user_id INT REFERENCES users, slug TEXT)",
        "INSERT INTO users VALUES (1)",
        "INSERT INTO posts VALUES (1, 1, 'a'), (2, 1, 'a')",
    )
    engine = create_engine(pg_url)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        with pytest.raises(sa.exc.IntegrityError):  # the duplicate fails it, leaving the index INVALID
            conn.exec_driver_sql("CREATE UNIQUE INDEX CONCURRENTLY ix_posts_user_slug ON posts (user_id, slug)")
        assert conn.exec_driver_sql(
            "SELECT indisvalid FROM pg_index WHERE indexrelid = 'ix_posts_user_slug'::regclass").scalar() is False
    engine.dispose()
    result = api.inspect(pg_url)
    assert [(u.table, u.columns) for u in result.unindexed_foreign_keys] == [("posts", ("user_id",))]
    target = tmp_path / "fix.yaml"
    api.write_inspect_plan(result, str(target))
    assert api.apply(str(target), pg_url, yes=True).exit_code == 0
    assert api.inspect(pg_url).clean


def test_postgresql_columns_of_a_type_of_no_family_match_only_that_type(pg_url):
    # An int[] user_id cannot reference users.id (int): counting its orphans failed with
    # "operator does not exist: integer = integer[]" and inspect stopped.
    run_sql(
        pg_url,
        "CREATE TABLE users (id INT PRIMARY KEY)",
        "CREATE TABLE hosts (addr INET PRIMARY KEY)",
        "CREATE TABLE posts (id INT PRIMARY KEY, user_id INT[], owner_id INET, host_id INET)",
        "INSERT INTO posts VALUES (1, '{1}', '10.0.0.1', '10.0.0.2')",
    )
    assert _found(pg_url) == [("posts", ("host_id",), "hosts")]
    assert api.inspect(pg_url).missing_foreign_keys[0].orphans == 1
