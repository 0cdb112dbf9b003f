"""The least a tool can do that applies migrations under the specification's rule (one
transaction per step, holding the step's statements and its journal row): import the
database layer, connect, create a journal table, then per step BEGIN, the statements,
one INSERT, COMMIT. No plan file, no lock, no checks, no report.

Timed as a command next to ``migrator apply``, it splits migrator's time into what the
rules cost on this machine and what migrator adds on top of them:

    python benchmarks/floor.py sqlalchemy URL MIGRATIONS.json   # through SQLAlchemy, as migrator
    python benchmarks/floor.py driver URL MIGRATIONS.json       # through the driver alone

MIGRATIONS.json: ``[[step_id, [statement, ...]], ...]`` (benchmarks.generate). URL:
``postgresql://...`` or ``postgresql+psycopg://...`` (psycopg 3), or ``sqlite:///path``.
"""
import json
import sys

_JOURNAL = "CREATE TABLE floor_journal (id {key}, step VARCHAR(255) NOT NULL, at TIMESTAMP NOT NULL)"
_INSERT = "INSERT INTO floor_journal (step, at) VALUES ({p}, CURRENT_TIMESTAMP)"


def through_sqlalchemy(url: str, migrations: list) -> None:
    import sqlalchemy as sa

    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    engine = sa.create_engine(url)
    sqlite = engine.dialect.name == "sqlite"
    if sqlite:
        # SQLAlchemy's documented recipe for transactional DDL on SQLite (pysqlite would
        # otherwise commit each CREATE on its own): the driver leaves transactions alone
        # and SQLAlchemy's begin() emits BEGIN. migrator does the same.
        @sa.event.listens_for(engine, "connect")
        def _no_driver_transactions(dbapi_connection, _record):
            dbapi_connection.isolation_level = None

        @sa.event.listens_for(engine, "begin")
        def _begin(conn):
            conn.exec_driver_sql("BEGIN")

    insert = _INSERT.format(p="?" if sqlite else "%s")
    with engine.connect() as conn:
        with conn.begin():
            conn.exec_driver_sql(_JOURNAL.format(key="INTEGER PRIMARY KEY" if sqlite else "SERIAL PRIMARY KEY"))
        for step_id, statements in migrations:
            with conn.begin():
                for statement in statements:
                    conn.exec_driver_sql(statement)
                conn.exec_driver_sql(insert, (step_id,))
    engine.dispose()


def through_the_driver(url: str, migrations: list) -> None:
    if url.startswith("sqlite:///"):
        import sqlite3

        conn = sqlite3.connect(url[len("sqlite:///"):], isolation_level=None)  # BEGIN/COMMIT as written
        begin, commit, insert, key = "BEGIN", "COMMIT", _INSERT.format(p="?"), "INTEGER PRIMARY KEY"
        execute = conn.execute
    else:
        import psycopg

        conn = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://", 1), autocommit=True)  # BEGIN/COMMIT as written, as psql sends them
        begin, commit, insert, key = "BEGIN", "COMMIT", _INSERT.format(p="%s"), "SERIAL PRIMARY KEY"
        execute = conn.execute
    execute(_JOURNAL.format(key=key))
    for step_id, statements in migrations:
        execute(begin)
        for statement in statements:
            execute(statement)
        execute(insert, (step_id,))
        execute(commit)
    conn.close()


if __name__ == "__main__":
    how, url, path = sys.argv[1:4]
    with open(path, encoding="utf-8") as f:
        steps = json.load(f)
    {"sqlalchemy": through_sqlalchemy, "driver": through_the_driver}[how](url, steps)
