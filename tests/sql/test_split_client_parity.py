"""Splitting as the database's own client does it, in the corners a plan author meets:
a byte order mark at the start of a file, mysqldump's executable comments, and
MariaDB's anonymous ``BEGIN NOT ATOMIC`` block."""
from __future__ import annotations

import textwrap

import pytest

from migrator.sql import split_statements
from tests.cli.clirun import run, write_plan_file
from tests.dbutil import run_sql

DIALECTS = ("sqlite", "postgresql", "mysql")


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("rest", ["SELECT 1;\r\nSELECT 2;\r\n", "SELECT 'a;b';\nSELECT 2; -- trailing;\n"])
def test_a_byte_order_mark_is_not_part_of_the_first_statement(dialect, rest):
    statements = split_statements("\ufeff" + rest, dialect)
    assert len(statements) == 2 and not statements[0].startswith("\ufeff")
    assert statements == split_statements(rest, dialect)


def test_mysql_executable_comments_are_statements_there_and_comments_elsewhere():
    text = "/*!40101 SET NAMES utf8mb4 */;\nSELECT 1;\n/*M!100100 SET @x = 1 */;\n/* plain; */\n"
    assert split_statements(text, "mysql") == ["/*!40101 SET NAMES utf8mb4 */", "SELECT 1", "/*M!100100 SET @x = 1 */"]
    assert split_statements(text, "postgresql") == ["SELECT 1"]


def test_mariadb_begin_not_atomic_block_is_one_statement():
    text = "BEGIN NOT ATOMIC\n  IF 1 THEN SELECT 1; END IF;\n  SELECT 2;\nEND;\nSELECT 3"
    assert split_statements(text, "mysql") == [text.split(";\nSELECT 3")[0], "SELECT 3"]
    # A plain BEGIN still starts a transaction and ends at its semicolon.
    assert split_statements("BEGIN; SELECT 2; COMMIT", "mysql") == ["BEGIN", "SELECT 2", "COMMIT"]


def test_sql_file_with_bom_and_crlf_applies_on_every_dialect(db_url, tmp_path, capsys):
    (tmp_path / "load.sql").write_bytes(
        b"\xef\xbb\xbfCREATE TABLE bom (id int, s varchar(20));\r\n"
        b"INSERT INTO bom VALUES (1, 'a;b');\r\n-- trailing comment; with a semicolon\r\n"
    )
    plan = write_plan_file(tmp_path, textwrap.dedent(
        """\
        migrator: 1
        name: bom
        phases:
          - id: p
            steps:
              - id: load
                sql_file: load.sql
        """
    ))
    code, out, err = run(capsys, "--database", db_url, "apply", plan, "--yes")
    assert code == 0, out + err
    assert run_sql(db_url, "SELECT s FROM bom") == [("a;b",)]


def test_mysqldump_style_file_applies_on_mariadb(mysql_url, tmp_path, capsys):
    (tmp_path / "dump.sql").write_text(
        "/*!40101 SET @saved_answer = 42 */;\n"
        "CREATE TABLE t (id int);\n"
        "INSERT INTO t VALUES (@saved_answer);\n"
        "BEGIN NOT ATOMIC\n"
        "  IF NOT EXISTS (SELECT 1 FROM t WHERE id = 7) THEN\n"
        "    INSERT INTO t VALUES (7);\n"
        "  END IF;\n"
        "END;\n"
    )
    plan = write_plan_file(tmp_path, "migrator: 1\nname: dump\nphases:\n  - id: p\n    steps:\n      - id: load\n        sql_file: dump.sql\n")
    code, out, err = run(capsys, "--database", mysql_url, "apply", plan, "--yes")
    assert code == 0, out + err
    assert run_sql(mysql_url, "SELECT id FROM t ORDER BY id") == [(7,), (42,)]
