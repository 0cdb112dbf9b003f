"""A failed ``foreign_key_exists`` lists the keys it found with the schema they point into,
where that is what tells two same-named tables apart (PostgreSQL schemas)."""
from __future__ import annotations

import pytest

from migrator.db import create_engine
from tests.checks.helpers import one


@pytest.fixture
def pg(pg_url):
    engine = create_engine(pg_url)
    with engine.begin() as conn:
        for sql in (
            "CREATE SCHEMA app",
            "CREATE SCHEMA other",
            "CREATE TABLE app.users (id int PRIMARY KEY)",
            "CREATE TABLE other.users (id int PRIMARY KEY)",
            "CREATE TABLE app.orders (id int PRIMARY KEY, user_id int REFERENCES app.users (id),"
            " ou int REFERENCES other.users (id))",
            "CREATE TABLE public.users (id int PRIMARY KEY)",
            "CREATE TABLE public.notes (id int PRIMARY KEY, ou int REFERENCES other.users (id), u int REFERENCES users (id))",
        ):
            conn.exec_driver_sql(sql)
    yield engine
    engine.dispose()


def test_found_keys_name_the_schema_of_the_table_they_reference(pg):
    held, detail = one(pg, "foreign_key_exists", {"table": "app.orders", "columns": "ou", "references": "app.users.id"})
    assert held is False
    assert detail.endswith("found: app.orders(ou) → other.users(id), app.orders(user_id) → app.users(id)")
    # Unqualified names stay short, unless the key leaves the table's schema.
    held, detail = one(pg, "foreign_key_exists", {"table": "notes", "columns": "ou", "references": "users.id"})
    assert held is False
    assert detail.endswith("found: notes(ou) → other.users(id), notes(u) → users(id)")
