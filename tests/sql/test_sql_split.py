"""split_statements: statements as the database's own client would see them."""
from __future__ import annotations

import sqlite3
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from migrator.plan.model import BatchAction, ManualAction, PythonAction, SqlAction
from migrator.sql import split_statements, statements_of

DIALECTS = ("sqlite", "postgresql", "mysql")


@pytest.mark.parametrize("dialect", DIALECTS)
def test_splits_on_semicolons_and_strips_the_terminator(dialect):
    assert split_statements("CREATE TABLE a (x int);\nINSERT INTO a VALUES (1);\n", dialect) == [
        "CREATE TABLE a (x int)",
        "INSERT INTO a VALUES (1)",
    ]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_last_statement_needs_no_semicolon(dialect):
    assert split_statements("SELECT 1; SELECT 2", dialect) == ["SELECT 1", "SELECT 2"]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_blank_and_comment_only_pieces_are_dropped(dialect):
    text = "-- header\n;\n  ;; /* nothing */ ;\nSELECT 1;\n-- trailer\n"
    assert split_statements(text, dialect) == ["SELECT 1"]
    assert split_statements("", dialect) == []
    assert split_statements("  \n\t", dialect) == []
    assert split_statements("-- only a comment\n/* and another */", dialect) == []


@pytest.mark.parametrize("dialect", DIALECTS)
def test_semicolon_in_single_quoted_string_does_not_split(dialect):
    assert split_statements("INSERT INTO t VALUES ('a;b', 'it''s; fine'); SELECT 1", dialect) == [
        "INSERT INTO t VALUES ('a;b', 'it''s; fine')",
        "SELECT 1",
    ]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_semicolon_in_double_quotes_does_not_split(dialect):
    # An identifier on sqlite/postgresql, a string on mysql: one statement either way.
    assert split_statements('SELECT "a;b" FROM t; SELECT 2', dialect) == ['SELECT "a;b" FROM t', "SELECT 2"]


def test_semicolon_in_sqlite_bracket_identifier_does_not_split(tmp_path):
    import sqlite3

    statements = split_statements("CREATE TABLE [a;b] (id int); INSERT INTO [a;b] VALUES (1)", "sqlite")
    assert statements == ["CREATE TABLE [a;b] (id int)", "INSERT INTO [a;b] VALUES (1)"]
    conn = sqlite3.connect(tmp_path / "x.db")
    for statement in statements:
        conn.execute(statement)
    assert conn.execute('SELECT count(*) FROM "a;b"').fetchone() == (1,)


@pytest.mark.parametrize("dialect", ["sqlite", "mysql"])
def test_semicolon_in_backticks_does_not_split(dialect):
    assert split_statements("SELECT `odd;name` FROM t; SELECT 2", dialect) == [
        "SELECT `odd;name` FROM t",
        "SELECT 2",
    ]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_comments_inside_a_statement_are_kept_and_semicolons_in_them_ignored(dialect):
    text = "UPDATE t -- fix; really\nSET x = 1 /* not; here */ WHERE id = 2;\nSELECT 1"
    assert split_statements(text, dialect) == [
        "UPDATE t -- fix; really\nSET x = 1 /* not; here */ WHERE id = 2",
        "SELECT 1",
    ]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_a_comment_before_a_statement_stays_with_it(dialect):
    assert split_statements("SELECT 1;\n-- the second\nSELECT 2;", dialect) == [
        "SELECT 1",
        "-- the second\nSELECT 2",
    ]


def test_postgresql_dollar_quoted_function_body_is_one_statement():
    text = """
CREATE FUNCTION touch() RETURNS trigger AS $$
BEGIN
  NEW.updated_at := now();  -- keep; this
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER t BEFORE UPDATE ON a FOR EACH ROW EXECUTE FUNCTION touch();
"""
    statements = split_statements(text, "postgresql")
    assert len(statements) == 2
    assert statements[0].startswith("CREATE FUNCTION touch()")
    assert statements[0].endswith("$$ LANGUAGE plpgsql")
    assert "RETURN NEW;\nEND;\n$$" in statements[0]
    assert statements[1] == "CREATE TRIGGER t BEFORE UPDATE ON a FOR EACH ROW EXECUTE FUNCTION touch()"


def test_postgresql_tagged_dollar_quotes_may_contain_plain_dollar_quotes():
    text = "DO $body$ BEGIN EXECUTE $q$SELECT 1;$q$; PERFORM $$;$$; END $body$; SELECT 2"
    assert split_statements(text, "postgresql") == [
        "DO $body$ BEGIN EXECUTE $q$SELECT 1;$q$; PERFORM $$;$$; END $body$",
        "SELECT 2",
    ]


def test_postgresql_nested_block_comments():
    assert split_statements("/* a /* b; */ still; comment */ SELECT 1; SELECT 2", "postgresql") == [
        "/* a /* b; */ still; comment */ SELECT 1",
        "SELECT 2",
    ]


def test_postgresql_sql_standard_function_body_begin_atomic():
    text = "CREATE FUNCTION one() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END; SELECT 3"
    assert split_statements(text, "postgresql") == [
        "CREATE FUNCTION one() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END",
        "SELECT 3",
    ]


def test_mysql_backslash_escaped_quote_does_not_end_the_string():
    assert split_statements(r"INSERT INTO t VALUES ('a\';b'); SELECT 2", "mysql") == [
        r"INSERT INTO t VALUES ('a\';b')",
        "SELECT 2",
    ]


def test_mysql_hash_comment():
    assert split_statements("SELECT 1; # a; comment\nSELECT 2", "mysql") == ["SELECT 1", "# a; comment\nSELECT 2"]


def test_postgresql_backslash_is_not_an_escape_in_standard_strings():
    assert split_statements("SELECT 'a\\'; SELECT 2", "postgresql") == ["SELECT 'a\\'", "SELECT 2"]


def test_sqlite_trigger_body_is_one_statement():
    text = """CREATE TRIGGER audit AFTER INSERT ON users
BEGIN
  INSERT INTO log VALUES (NEW.id, 'insert;');
  UPDATE counters SET n = n + 1;
END;
INSERT INTO users VALUES (1);"""
    statements = split_statements(text, "sqlite")
    assert statements == [text.split(";\nINSERT INTO users")[0], "INSERT INTO users VALUES (1)"]
    # The same answer as SQLite's own notion of a complete statement.
    for statement in statements:
        assert sqlite3.complete_statement(statement + ";")
    assert not sqlite3.complete_statement(statements[0].split("END")[0])


def test_sqlite_trigger_with_case_expression_in_body():
    text = (
        "CREATE TEMP TRIGGER t AFTER UPDATE ON a BEGIN "
        "UPDATE b SET k = CASE WHEN NEW.x > 0 THEN 'pos' ELSE 'neg' END; "
        "DELETE FROM c WHERE id = OLD.id; END; SELECT 1"
    )
    statements = split_statements(text, "sqlite")
    assert len(statements) == 2
    assert statements[0].endswith("DELETE FROM c WHERE id = OLD.id; END")


def test_sqlite_trigger_statements_really_run():
    text = """CREATE TABLE users (id INTEGER);
CREATE TABLE log (msg TEXT);
CREATE TRIGGER t AFTER INSERT ON users BEGIN INSERT INTO log VALUES ('x;y'); END;
INSERT INTO users VALUES (1);"""
    conn = sqlite3.connect(":memory:")
    for statement in split_statements(text, "sqlite"):
        conn.execute(statement)
    assert conn.execute("SELECT msg FROM log").fetchall() == [("x;y",)]


def test_mysql_procedure_with_compound_statements():
    text = """CREATE PROCEDURE fill()
lbl: BEGIN
  IF (SELECT 1) THEN SELECT 1; END IF;
  WHILE 0 DO SELECT 2; END WHILE;
  CASE 1 WHEN 1 THEN SELECT 3; END CASE;
  REPEAT SELECT 4; UNTIL 1 END REPEAT;
END lbl;
CALL fill();"""
    statements = split_statements(text, "mysql")
    assert len(statements) == 2
    assert statements[0].endswith("END lbl")
    assert statements[1] == "CALL fill()"


def test_begin_outside_a_routine_is_a_transaction_statement():
    assert split_statements("BEGIN; SELECT 1; END;", "sqlite") == ["BEGIN", "SELECT 1", "END"]


def test_column_named_like_a_routine_word_does_not_glue_statements():
    text = "CREATE TABLE log (event TEXT, function TEXT); INSERT INTO log VALUES ('a', 'b')"
    assert split_statements(text, "sqlite") == [
        "CREATE TABLE log (event TEXT, function TEXT)",
        "INSERT INTO log VALUES ('a', 'b')",
    ]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_unterminated_string_is_left_to_the_database(dialect):
    assert split_statements("SELECT 'oops; SELECT 2;", dialect) == ["SELECT 'oops; SELECT 2"]


def test_statement_layout_and_unicode_are_preserved():
    text = "INSERT INTO t VALUES ('héllo ☃');\r\nUPDATE t\r\n   SET x = 'ü'\r\n WHERE 1 = 1;"
    assert split_statements(text, "postgresql") == [
        "INSERT INTO t VALUES ('héllo ☃')",
        "UPDATE t\r\n   SET x = 'ü'\r\n WHERE 1 = 1",
    ]


def test_statements_of_each_action_kind():
    sql = SqlAction(texts=("SELECT 1; SELECT 2;", "SELECT 3"))
    assert statements_of(sql, "sqlite") == ["SELECT 1", "SELECT 2", "SELECT 3"]
    batch = BatchAction(sql="UPDATE t SET x = 1 WHERE id IN (SELECT id FROM t LIMIT :batch_size);")
    assert statements_of(batch, "sqlite") == [
        "UPDATE t SET x = 1 WHERE id IN (SELECT id FROM t LIMIT :batch_size)"
    ]
    assert statements_of(PythonAction(target="m:f", module="m", file=None, function="f"), "sqlite") == []
    assert statements_of(ManualAction(instructions="do it"), "sqlite") == []
    assert statements_of(None, "sqlite") == []


_POOL = [
    "SELECT 1",
    "INSERT INTO t VALUES ('a;b')",
    "UPDATE t SET s = 'x'' ; y' WHERE id = 3",
    'SELECT "we;ird" FROM t',
    "DELETE FROM t /* ; */ WHERE id = 1",
    "CREATE TRIGGER tr AFTER INSERT ON t BEGIN INSERT INTO u VALUES (1); UPDATE u SET a = 2; END",
]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.sampled_from(_POOL), min_size=1, max_size=6),
    st.lists(st.sampled_from([";", ";\n", " ;\n-- note\n", ";/* c */\n", ";;\n"]), min_size=6, max_size=6),
)
def test_joined_statements_split_back_into_the_same_statements(statements, separators):
    text = "".join(s + separators[i] for i, s in enumerate(statements))
    got = split_statements(text, "sqlite")
    # A separator's trailing comment belongs to the next statement; compare without it.
    stripped = [g.split("\n")[-1] if g.startswith(("--", "/*")) else g for g in got]
    assert stripped == statements
    for statement in got:
        assert sqlite3.complete_statement(statement + ";")


def test_importing_migrator_sql_does_not_import_sqlglot():
    code = "import sys, migrator.sql; print('sqlglot' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


_PLAIN_CHARS = st.sampled_from(list("abcXYZ (),.=<>*+0123456789_\n\t;") + [";", " ; ", "\n;\n", "BEGIN ", " END", "CASE ", "Trigger", "'", '"', "--", "/*", "$", "#", "`", "\\", "[", "]"])


@settings(max_examples=400, deadline=None)
@given(st.lists(_PLAIN_CHARS, max_size=40).map("".join), st.sampled_from(["sqlite", "postgresql", "mysql"]))
def test_the_plain_text_shortcut_agrees_with_the_tokenizer(text, dialect):
    """Whenever the str.split shortcut answers, the tokenizer would have answered the same."""
    from migrator.sql import split as split_module

    shortcut = split_module._plain_statements(text, dialect)
    if shortcut is None:
        return
    original = split_module._plain_statements
    split_module._plain_statements = lambda *_args: None  # force the tokenizer path
    try:
        assert shortcut == split_statements(text, dialect)
    finally:
        split_module._plain_statements = original
