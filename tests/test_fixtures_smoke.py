"""The per-test database fixtures give each test its own empty, working database."""
from __future__ import annotations

import sqlalchemy as sa


def test_each_test_gets_an_empty_database_it_can_write(db_engine, db_dialect):
    with db_engine.begin() as conn:
        assert sa.inspect(conn).get_table_names() == []
        conn.exec_driver_sql("CREATE TABLE t (a INTEGER)")
        conn.exec_driver_sql("INSERT INTO t VALUES (1)")
        assert conn.exec_driver_sql("SELECT count(*) FROM t").scalar() == 1
    assert db_engine.dialect.name in {"sqlite": ("sqlite",), "postgresql": ("postgresql",), "mysql": ("mysql", "mariadb")}[db_dialect]
