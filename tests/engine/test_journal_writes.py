"""Journal rows are written with driver-level SQL: the same rows SQLAlchemy Core wrote, and their ids."""
from __future__ import annotations

from datetime import datetime

from migrator.dialects import get_dialect
from migrator.engine.journal import COLUMNS, Journal, Row

WHOLE_SECOND = datetime(2024, 1, 2, 3, 4, 5)
WITH_MICROSECONDS = datetime(2024, 1, 2, 3, 4, 6, 120)


def _raw_rows(conn, journal: Journal) -> list[tuple]:
    """Every row as the database hands it back (SQLite: the stored timestamp text)."""
    return [tuple(r) for r in conn.exec_driver_sql(f"SELECT {', '.join(COLUMNS)} FROM {journal.name} ORDER BY id")]


def test_a_journal_row_is_stored_as_sqlalchemy_core_stored_it(db_engine):
    """Same columns and values, timestamps included, as an insert through the table object."""
    journal = Journal()
    rows = [
        Row("demo", "p", "a", "c1", "applied", WHOLE_SECOND, WITH_MICROSECONDS, rows_affected=3, statements_done=2,
            run_by="alice", message="warning: something"),
        Row("demo", "p", "b", "c2", "running", WITH_MICROSECONDS, batches_done=0),
    ]
    with db_engine.connect() as conn:
        journal.ensure_table(conn, get_dialect(db_engine.dialect.name))
        table, _ = journal.tables
        with conn.begin():
            for row in rows:
                conn.execute(table.insert(), row.values())
                journal.insert(conn, row)
        stored = _raw_rows(conn, journal)
    by_core, by_journal = stored[0::2], stored[1::2]
    assert [r[1:] for r in by_journal] == [r[1:] for r in by_core]
    assert by_journal[0][COLUMNS.index("duration_ms")] == 1000
    assert by_journal[1][COLUMNS.index("finished_at")] is None


def test_insert_returns_the_new_rows_id_and_update_changes_only_that_row(db_engine):
    journal = Journal()
    with db_engine.connect() as conn:
        journal.ensure_table(conn, get_dialect(db_engine.dialect.name))
        with conn.begin():
            first = journal.insert(conn, Row("demo", "p", "a", "c1", "running", WHOLE_SECOND, statements_done=0))
            second = journal.insert(conn, Row("demo", "p", "b", "c2", "running", WHOLE_SECOND, statements_done=0))
        with conn.begin():
            journal.update(conn, first, Row("demo", "p", "a", "c1", "applied", WHOLE_SECOND, WITH_MICROSECONDS,
                                            statements_done=2, rows_affected=7))
        stored = {r[0]: r for r in _raw_rows(conn, journal)}
    assert sorted(stored) == [first, second] and second > first
    status, done, rows = (COLUMNS.index(c) for c in ("status", "statements_done", "rows_affected"))
    assert (stored[first][status], stored[first][done], stored[first][rows]) == ("applied", 2, 7)
    assert (stored[second][status], stored[second][done], stored[second][rows]) == ("running", 0, None)
