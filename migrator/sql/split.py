"""Split SQL text into statements, the way the database's own client would.

sqlglot's tokenizer for the target dialect does the hard part: it knows single,
double and backtick quotes, ``--``/``#``/``/* */`` comments (nested ones on
PostgreSQL), PostgreSQL dollar quoting (``$$`` and ``$tag$``) and MySQL's
backslash escapes. A semicolon *token* ends a statement; a semicolon inside a
string, identifier or comment never does. Statement text is sliced from the
original, so comments inside a statement and its layout are kept byte for byte.

One thing a tokenizer alone does not know: in ``CREATE TRIGGER ... BEGIN ...
END;`` (SQLite, MySQL) and ``CREATE FUNCTION/PROCEDURE ... BEGIN [ATOMIC] ...
END`` (PostgreSQL 14+, MySQL) the semicolons between ``BEGIN`` and ``END`` belong
to the body. Like ``sqlite3.complete_statement``, the splitter keeps such a body
together, and it also balances ``CASE ... END`` inside it and ignores MySQL's
``END IF``/``END LOOP``/``END WHILE``/``END REPEAT``; MariaDB's anonymous
``BEGIN NOT ATOMIC ... END`` block is kept together the same way. (MySQL's
``DELIMITER`` is a command of the mysql client, not SQL; plans do not need it.)

Two more things the mysql client does: a piece that is only an executable
comment (``/*!40101 SET NAMES utf8mb4 */``, as mysqldump writes them) is a
statement MySQL runs, not a comment to drop; and a UTF-8 byte order mark at the
start of a file is not part of the first statement.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from migrator.plan.model import Action

#: SQLAlchemy dialect name -> sqlglot dialect name.
_SQLGLOT_NAMES = {
    "postgresql": "postgres",
    "postgres": "postgres",
    "mysql": "mysql",
    "mariadb": "mysql",
    "sqlite": "sqlite",
}
#: Words after END that close a MySQL compound statement other than BEGIN/CASE.
_END_SUFFIXES = frozenset({"IF", "LOOP", "WHILE", "REPEAT"})
#: Routine kinds whose BEGIN ... END body holds semicolons.
_ROUTINES = frozenset({"TRIGGER", "FUNCTION", "PROCEDURE", "EVENT"})


def sqlglot_dialect(dialect: str) -> str:
    """sqlglot's name for an SQLAlchemy dialect name ("" = sqlglot's generic SQL)."""
    return _SQLGLOT_NAMES.get(dialect.lower(), "")


def tokenize(text: str, dialect: str) -> list:
    """sqlglot tokens of ``text`` for ``dialect``; raises ``sqlglot.errors.TokenError``."""
    from sqlglot.dialects.dialect import Dialect

    return Dialect.get_or_raise(sqlglot_dialect(dialect) or None).tokenize(text)


def split_statements(text: str, dialect: str) -> list[str]:
    """Split ``text`` into statements for ``dialect`` (an SQLAlchemy dialect name).

    Each statement is the original text between separators, stripped of
    surrounding whitespace, without its terminating ``;``. Pieces holding only
    whitespace and comments are dropped. Text the tokenizer cannot read (an
    unterminated string or comment) is returned as one statement, so that the
    database reports the error at the right place rather than the splitter
    guessing.
    """
    text = text.removeprefix(_BOM)
    if not text.strip():
        return []
    plain = _plain_statements(text, dialect)
    if plain is not None:
        return plain
    from sqlglot.errors import TokenError
    from sqlglot.tokens import TokenType

    try:
        tokens = tokenize(text, dialect)
    except TokenError:
        return [_strip_terminator(text)]

    statements: list[str] = []
    start = 0  # offset in ``text`` where the current statement begins
    piece: list = []  # the current statement's tokens
    routine = False  # the statement is CREATE TRIGGER/FUNCTION/PROCEDURE/EVENT
    depth = 0  # open BEGIN/CASE blocks inside a routine body
    for i, tok in enumerate(tokens):
        kind = tok.token_type
        if kind == TokenType.SEMICOLON and depth == 0:
            if piece or _runs_as_code(text[start : tok.start], dialect):
                statements.append(text[start : tok.start].strip())
            start, piece, routine = tok.end + 1, [], False
            continue
        piece.append(tok)
        if kind in (TokenType.STRING, TokenType.IDENTIFIER, TokenType.HEREDOC_STRING):
            continue
        word = tok.text.upper()
        if word in _ROUTINES and _in_create_head(piece, TokenType):
            routine = True
        elif word == "ATOMIC" and [t.text.upper() for t in piece] == ["BEGIN", "NOT", "ATOMIC"]:
            routine, depth = True, 1  # MariaDB's BEGIN NOT ATOMIC: the BEGIN opened the block
            continue
        if not routine:
            continue
        if kind == TokenType.BEGIN:
            depth += 1
        elif kind == TokenType.CASE and depth and tokens[i - 1].token_type != TokenType.END:
            depth += 1
        elif kind == TokenType.END and depth:
            following = tokens[i + 1].text.upper() if i + 1 < len(tokens) else ""
            if following not in _END_SUFFIXES:
                depth -= 1
    if piece or _runs_as_code(text[start:], dialect):
        statements.append(text[start:].strip())
    return statements


def _runs_as_code(between: str, dialect: str) -> bool:
    """Text with no token (only whitespace and comments) that the server still runs:
    MySQL's executable comments ``/*! ... */`` and MariaDB's ``/*M! ... */``."""
    return sqlglot_dialect(dialect) == "mysql" and ("/*!" in between or "/*M!" in between)


#: What can make a semicolon not a separator: quotes, comments, dollar quoting,
#: escapes, and the BEGIN ... END bodies of routines.
_NOT_PLAIN = ("'", '"', "`", "--", "/*", "#", "$", "\\")
_ROUTINE_WORDS = ("TRIGGER", "FUNCTION", "PROCEDURE", "EVENT", "ATOMIC")
#: A UTF-8 byte order mark, as some Windows editors start a file with.
_BOM = "\ufeff"


def _plain_statements(text: str, dialect: str = "") -> list[str] | None:
    """The statements of ``text`` when every ``;`` in it is a separator, else None.

    Without quotes, comments, dollar quoting, escapes or a routine body there is
    nothing a tokenizer would know better than ``str.split``, so the tokenizer,
    and importing sqlglot, can be skipped: that is most migration SQL, and
    tokenizing each step cost a 200-step apply about half a second (see
    benchmarks/notes.md). tests/sql pins that both ways agree.
    """
    if any(mark in text for mark in _NOT_PLAIN):
        return None
    if "[" in text and sqlglot_dialect(dialect) == "sqlite":
        return None  # SQLite also quotes identifiers in brackets: [a;b]
    upper = text.upper()
    if any(word in upper for word in _ROUTINE_WORDS):
        return None
    return [piece.strip() for piece in text.split(";") if piece.strip()]


def _in_create_head(piece: list, TokenType) -> bool:
    """The last token is in the head of a CREATE statement (before any parenthesis),
    where ``CREATE [OR REPLACE] [TEMP] [DEFINER=...] TRIGGER`` names the kind."""
    head = piece[:-1]
    return (
        bool(head)
        and head[0].token_type == TokenType.CREATE
        and len(head) < 12
        and all(t.token_type != TokenType.L_PAREN for t in head)
    )


def _strip_terminator(text: str) -> str:
    text = text.strip()
    return text[:-1].rstrip() if text.endswith(";") else text


def statements_of(action: Action | None, dialect: str) -> list[str]:
    """Every statement an action executes, in order.

    ``sql``/``sql_file`` actions: each text split; ``batch``: its one statement;
    ``python``, ``manual`` and check steps (None): no SQL.
    """
    kind = getattr(action, "kind", None)
    if kind in ("sql", "sql_file"):
        return [s for text in action.texts for s in split_statements(text, dialect)]
    if kind == "batch":
        return [_strip_terminator(action.sql)] if action.sql.strip() else []
    return []
