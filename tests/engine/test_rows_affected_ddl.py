"""`rows_affected` counts the rows a step's statements changed: DML counts, DDL does
not (MySQL reports the rows an ALTER TABLE copied as affected rows)."""
from __future__ import annotations

import pytest

from migrator import api
from migrator.dialects import get_dialect
from tests.dbutil import run_sql

TABLES = """
    migrator: 1
    name: demo
    phases:
      - id: p
        steps:
          - id: mk
            sql:
              - CREATE TABLE parent (id INTEGER PRIMARY KEY)
              - CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER, flag INTEGER)
              - INSERT INTO parent (id) VALUES (1), (2)
              - INSERT INTO child (id, parent_id) VALUES (1, 1), (2, 2), (3, 1)
"""


def _journaled_rows(url: str, step: str) -> int:
    rows = run_sql(url, f"SELECT rows_affected FROM migrator_journal WHERE step = '{step}' ORDER BY id")
    return rows[-1][0]


def test_mysql_adding_a_foreign_key_to_a_table_with_rows_affects_no_rows(mysql_url, write_plan):
    path = write_plan(TABLES + """
          - id: fk
            sql: ALTER TABLE child ADD CONSTRAINT fk_child_parent FOREIGN KEY (parent_id) REFERENCES parent (id)
""")
    report = api.apply(path, mysql_url)
    fk = report.steps[1]
    assert (report.status, fk.outcome) == ("ok", "applied")
    assert (fk.rows_affected, _journaled_rows(mysql_url, "fk")) == (0, 0)
    assert (report.steps[0].rows_affected, _journaled_rows(mysql_url, "mk")) == (5, 5)


@pytest.mark.parametrize("transaction", ["true", "false"])
def test_dml_counts_and_ddl_does_not_in_one_step(db_url, write_plan, transaction):
    path = write_plan(TABLES + f"""
          - id: mixed
            transaction: {transaction}
            sql:
              - CREATE INDEX ix_child_parent ON child (parent_id)
              - UPDATE child SET flag = 1 WHERE parent_id = 1
              - CREATE TABLE child_copy AS SELECT * FROM child
              - DELETE FROM child WHERE id = 3
""")
    report = api.apply(path, db_url)
    mixed = report.steps[1]
    assert (report.status, mixed.outcome) == ("ok", "applied")
    assert (mixed.rows_affected, _journaled_rows(db_url, "mixed")) == (3, 3)


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql", "mysql"])
@pytest.mark.parametrize("statement, rowcount, rows", [
    ("ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (a) REFERENCES p (id)", 300, 0),
    ("  -- why\n/* what */ (CREATE TABLE c AS SELECT * FROM t)", 300, 0),
    ("truncate t", 0, 0),
    ("GRANT SELECT ON t TO someone", 0, 0),
    ("UPDATE t SET a = 1", 300, 300),
    ("-- create\nINSERT INTO t VALUES (1)", 1, 1),
    ("WITH x AS (SELECT 1) DELETE FROM t", 2, 2),
    ("VACUUM", -1, 0),
])
def test_rows_changed_is_the_rowcount_of_dml_only(dialect, statement, rowcount, rows):
    assert get_dialect(dialect).rows_changed(statement, rowcount) == rows


@pytest.mark.parametrize("statement, commits", [
    ("CREATE TABLE t (id INT)", True),
    ("/* note */ alter table t add column x int", True),
    ("TRUNCATE t", True),
    ("ANALYZE TABLE t", True),
    ("LOCK TABLES t WRITE", True),
    ("UNLOCK TABLES", True),
    ("LOCK IN SHARE MODE", False),
    ("INSERT INTO t VALUES (1)", False),
    ("/*!40101 SET NAMES utf8 */", False),
    ("CREATE TEMPORARY TABLE tmp (id INT)", False),  # MySQL's documented exception
    ("drop temporary table tmp", False),
    ("", False),
])
def test_mysql_statements_that_commit_implicitly(statement, commits):
    assert get_dialect("mysql").commits_implicitly(statement) is commits


# Python 3.11's sqlite3 reports rowcount -1 for a statement that starts with WITH; the
# dialect asks SQLite instead. (MySQL/MariaDB write the CTE after INSERT, not before.)
WITH_LED = {
    "insert": "WITH RECURSIVE n(x) AS (SELECT 10 UNION ALL SELECT x + 1 FROM n WHERE x < 13)"
              " INSERT INTO parent (id) SELECT x FROM n",
    "update": "WITH one AS (SELECT id FROM child WHERE parent_id = 1) UPDATE child SET flag = 2"
              " WHERE id IN (SELECT id FROM one)",
    "delete": "WITH gone AS (SELECT id FROM child WHERE parent_id = 2) DELETE FROM child WHERE id IN (SELECT id FROM gone)",
}


@pytest.fixture(params=["sqlite", "postgresql"])
def cte_db_url(request, sqlite_url):
    return sqlite_url if request.param == "sqlite" else request.getfixturevalue("pg_url")


@pytest.mark.parametrize("transaction", ["true", "false"])
def test_dml_led_by_with_counts_its_rows(cte_db_url, write_plan, transaction):
    path = write_plan(TABLES + f"""
          - id: ctes
            transaction: {transaction}
            sql:
              - {WITH_LED["insert"]}
              - CREATE INDEX ix_flag ON child (flag)
              - {WITH_LED["update"]}
              - {WITH_LED["delete"]}
""")
    report = api.apply(path, cte_db_url)
    ctes = report.steps[1]
    assert (report.status, ctes.outcome) == ("ok", "applied")
    # 4 inserted + 2 updated + 1 deleted; the index counts nothing and borrows no count.
    assert (ctes.rows_affected, _journaled_rows(cte_db_url, "ctes")) == (7, 7)


def test_a_batch_led_by_with_runs_every_batch(cte_db_url, write_plan):
    path = write_plan("""
    migrator: 1
    name: demo
    phases:
      - id: p
        steps:
          - id: mk
            sql:
              - CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)
              - INSERT INTO t (id) VALUES (1), (2), (3), (4), (5), (6), (7)
          - id: fill
            batch:
              size: 2
              sql: |
                WITH todo AS (SELECT id FROM t WHERE v IS NULL ORDER BY id LIMIT :batch_size)
                UPDATE t SET v = 1 WHERE id IN (SELECT id FROM todo)
""")
    report = api.apply(path, cte_db_url)
    fill = report.steps[1]
    assert (report.status, fill.outcome, fill.rows_affected, fill.batches_done) == ("ok", "applied", 7, 4)
    assert run_sql(cte_db_url, "SELECT count(*) FROM t WHERE v IS NULL") == [(0,)]


def test_the_report_shows_the_journal_rows_times_and_duration(db_url, write_plan):
    """apply's report and status (which reads the journal) agree on each step's times."""
    path = write_plan(TABLES + """
          - id: fails
            optional: true
            sql: INSERT INTO nowhere VALUES (1)
""")
    report = api.apply(path, db_url)
    rows = run_sql(db_url, "SELECT step, duration_ms, finished_at FROM migrator_journal ORDER BY id")
    journaled = {step: (duration, str(finished)[:19]) for step, duration, finished in rows}
    assert [s.outcome for s in report.steps] == ["applied", "optional_failed"]
    for s in report.steps:
        assert (s.duration_ms, s.finished_at) == journaled[s.step]
