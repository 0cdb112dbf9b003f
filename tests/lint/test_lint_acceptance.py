"""Risk rules on the statements real plans hold: dialect spellings, clauses sqlglot leaves
to the token reader, temporary tables, comments before a statement."""
from __future__ import annotations

import textwrap

import pytest

from migrator.cli import main
from migrator.lint import lint_step
from test_lint_rules import make_step, rules_of


def test_sqlites_drop_without_column_drops_a_column():
    # SQLite takes DROP [COLUMN]; sqlglot keeps the action as text there.
    assert rules_of(make_step("ALTER TABLE users DROP age"), "sqlite") == ["drop-column"]


@pytest.mark.parametrize("dialect", ["postgresql", "mysql"])
@pytest.mark.parametrize(
    "statement",
    [
        # VALIDATE CONSTRAINT and the trailing garbage send these to the token reader, where
        # sqlglot's one-token "PRIMARY KEY" / "FOREIGN KEY" must still read as keywords.
        "ALTER TABLE t DROP PRIMARY KEY, VALIDATE CONSTRAINT k",
        "ALTER TABLE t DROP FOREIGN KEY fk, ALGORITHM=INPLACE garbage (",
        "ALTER TABLE t ALTER COLUMN type SET DEFAULT 'x', VALIDATE CONSTRAINT k",
        "ALTER TABLE t ADD COLUMN c int CHECK (c IS NOT NULL), VALIDATE CONSTRAINT k",
    ],
)
def test_token_reader_does_not_mistake_keys_checks_or_a_column_named_type(statement, dialect):
    assert rules_of(make_step(statement), dialect) == []


def test_token_reader_finds_a_foreign_key_added_by_constraint():
    statement = "ALTER TABLE o ADD CONSTRAINT f FOREIGN KEY (u) REFERENCES users (id), VALIDATE CONSTRAINT k"
    assert rules_of(make_step(statement), "postgresql") == ["fk-validates-table"]


@pytest.mark.parametrize(
    "statement",
    [
        "ALTER TABLE o ADD COLUMN u int REFERENCES users (id), ADD CONSTRAINT f FOREIGN KEY (v) REFERENCES v (id) NOT VALID",
        "ALTER TABLE o ADD CONSTRAINT f FOREIGN KEY (v) REFERENCES v (id) NOT VALID, ADD CONSTRAINT g FOREIGN KEY (u) REFERENCES users (id)",
    ],
)
def test_not_valid_covers_only_its_own_constraint(statement):
    assert rules_of(make_step(statement), "postgresql") == ["fk-validates-table"]


@pytest.mark.parametrize("dialect", ["postgresql", "mysql", "sqlite"])
def test_a_primary_key_column_without_a_default_needs_a_value_in_every_row(dialect):
    assert rules_of(make_step("ALTER TABLE t ADD COLUMN id int PRIMARY KEY"), dialect) == ["not-null-without-default"]
    for filled in ("id serial PRIMARY KEY", "id int AUTO_INCREMENT PRIMARY KEY",
                   "id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY"):
        assert rules_of(make_step(f"ALTER TABLE t ADD COLUMN {filled}"), dialect) == []


@pytest.mark.parametrize("dialect", ["postgresql", "sqlite"])
def test_a_temporary_table_of_the_same_step_is_scratch(dialect):
    step = make_step([
        "CREATE TEMPORARY TABLE ids AS SELECT id FROM users WHERE banned",
        "UPDATE ids SET id = id",
        "TRUNCATE ids" if dialect == "postgresql" else "DELETE FROM ids",
        "DROP TABLE ids",
    ])
    assert rules_of(step, dialect) == []
    # A permanent table holds data once the step is done, and a temporary one of
    # another step is unknown here: both stay findings.
    assert rules_of(make_step(["CREATE TABLE ids (id int)", "DROP TABLE ids"]), dialect) == ["drop-table"]
    assert rules_of(make_step("DROP TABLE ids"), dialect) == ["drop-table"]


def test_mysqls_drop_temporary_table_drops_no_data():
    assert rules_of(make_step("DROP TEMPORARY TABLE IF EXISTS ids"), "mysql") == []
    assert rules_of(make_step("DROP TABLE IF EXISTS ids"), "mysql") == ["drop-table"]


@pytest.mark.parametrize(
    "statements",
    [
        ["ALTER TABLE t ADD COLUMN c int", "GRANT SELECT ON t TO reporting"],
        ["ALTER TABLE t ADD COLUMN c int", "ANALYZE TABLE t"],
    ],
)
def test_mysql_partial_ddl_counts_what_commits_implicitly_as_the_runner_does(statements):
    assert rules_of(make_step(statements), "mysql") == ["mysql-partial-ddl"]


def test_a_findings_statement_starts_at_its_first_word():
    step = make_step("-- legacy is unused since v2\n/* ticket 42 */\nDROP TABLE legacy;\n# done", step_id="s")
    assert [f.statement for f in lint_step(step, "mysql")] == ["DROP TABLE legacy"]
    # MySQL runs a /*! ... */ comment as code: it stays.
    step = make_step("/*!50700 SET @x = 1 */ DROP TABLE legacy")
    assert [f.statement for f in lint_step(step, "mysql")] == ["/*!50700 SET @x = 1 */ DROP TABLE legacy"]


def test_lint_shows_a_sql_files_statement_without_the_comment_before_it(tmp_path, capsys):
    (tmp_path / "drop.sql").write_text("-- not \"DROP TABLE users\"\nDROP TABLE IF EXISTS \"public\".\"legacy\";\n")
    (tmp_path / "plan.yaml").write_text(textwrap.dedent(
        """\
        migrator: 1
        name: cleanup
        phases:
          - id: p
            steps:
              - id: drop-legacy
                sql_file: drop.sql
                rollback: CREATE TABLE legacy (id int)
        """
    ))
    assert main(["lint", str(tmp_path / "plan.yaml")]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[1] == '    statement: DROP TABLE IF EXISTS "public"."legacy"'
