"""The least any tool can do that runs migrations through SQLAlchemy under the
specification's rule (one transaction per step, holding the step's statements and
its journal row): import SQLAlchemy and the driver, connect, create a journal table,
then per step BEGIN, the statements, one INSERT, COMMIT. No plan file, no lock, no
checks, no report.

Timed as a command next to ``migrator apply``, it splits migrator's time into what
the rules cost on this machine and what migrator adds on top of them.

    python benchmarks/sqlalchemy_floor.py URL MIGRATIONS.json

MIGRATIONS.json: ``[[step_id, [statement, ...]], ...]`` (benchmarks.generate).
"""
import json
import sys

import sqlalchemy as sa


def main(url: str, migrations_path: str) -> None:
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    with open(migrations_path, encoding="utf-8") as f:
        migrations = json.load(f)
    engine = sa.create_engine(url)
    if engine.dialect.name == "sqlite":
        # SQLAlchemy's documented recipe for transactional DDL on SQLite (pysqlite would
        # otherwise commit each CREATE on its own): the driver leaves transactions alone
        # and SQLAlchemy's begin() emits BEGIN. migrator does the same.
        @sa.event.listens_for(engine, "connect")
        def _no_driver_transactions(dbapi_connection, _record):
            dbapi_connection.isolation_level = None

        @sa.event.listens_for(engine, "begin")
        def _begin(conn):
            conn.exec_driver_sql("BEGIN")
    insert = "INSERT INTO floor_journal (step, at) VALUES (?, CURRENT_TIMESTAMP)"
    if engine.dialect.paramstyle != "qmark":
        insert = insert.replace("?", "%s")
    with engine.connect() as conn:
        with conn.begin():
            conn.exec_driver_sql("CREATE TABLE floor_journal (id INTEGER PRIMARY KEY, step VARCHAR(255) NOT NULL, "
                                 "at TIMESTAMP NOT NULL)" if engine.dialect.name == "sqlite" else
                                 "CREATE TABLE floor_journal (id SERIAL PRIMARY KEY, step VARCHAR(255) NOT NULL, "
                                 "at TIMESTAMP NOT NULL)")
        for step_id, statements in migrations:
            with conn.begin():
                for statement in statements:
                    conn.exec_driver_sql(statement)
                conn.exec_driver_sql(insert, (step_id,))
    engine.dispose()


if __name__ == "__main__":
    main(*sys.argv[1:3])
