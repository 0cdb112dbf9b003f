"""Bind parameters in SQL that migrator runs with values (``batch`` and ``ctx.batch``).

``sqlalchemy.text`` takes every ``:name`` as a bind parameter, even inside a
string literal or a comment, so ``SET meta = '{"done":true}'`` would ask for a
value for ``true``. The dialect's tokenizer knows where literals and comments
are; a ``:name`` there is escaped, and only real parameters are bound.
"""
from __future__ import annotations

import re

from migrator.sql.split import tokenize

#: SQLAlchemy's own pattern for ``:name`` in ``text()`` (TextClause._bind_params_regex),
#: so that exactly the names it would bind are considered.
_BIND = re.compile(r"(?<![:\w\x5c]):(\w+)(?![:\w])", re.UNICODE)
#: A ``:name`` followed by a PostgreSQL cast (``:batch_size::int``), which text() does not
#: take for a parameter; written ``(:name)::int`` it is one, and means the same.
_CAST_BIND = re.compile(r"(?<![:\w\x5c]):(\w+)(?=::)", re.UNICODE)
#: Without one of these there is no literal or comment, and every ``:name`` is a parameter.
_LITERAL_MARKS = ("'", '"', "`", "--", "/*", "#", "$")


def escape_literal_colons(sql: str, dialect: str) -> str:
    """``sql`` for ``sqlalchemy.text``: a ``:name`` inside a string, a quoted identifier
    or a comment is written ``\\:name``, which text() leaves as written.

    A ``:name`` followed by ``::`` (a PostgreSQL cast, ``LIMIT :batch_size::int``) is
    written ``(:name)::`` so that text() binds it, as a user of psql expects.

    A ``:name`` is a parameter where the tokenizer starts a token at its colon;
    anywhere else it is inside a literal or a comment. Text the tokenizer cannot
    read is returned unchanged (the database reports its error).
    """
    found = list(_BIND.finditer(sql))
    casts = list(_CAST_BIND.finditer(sql)) if "::" in sql else []
    if not found and not casts:
        return sql
    starts = None  # None: no literal or comment, every match is a parameter
    if any(mark in sql for mark in _LITERAL_MARKS):
        from sqlglot.errors import TokenError

        try:
            starts = {tok.start for tok in tokenize(sql, dialect)}
        except TokenError:
            return sql
    edits = [(m.start(), m.start(), "\\") for m in found if starts is not None and m.start() not in starts]
    edits += [(m.start(), m.end(), f"({m.group(0)})") for m in casts if starts is None or m.start() in starts]
    pieces, done = [], 0
    for start, end, text in sorted(edits):
        pieces += [sql[done:start], text]
        done = end
    return "".join(pieces) + sql[done:]


def bind_names(sql: str, dialect: str) -> set[str]:
    """The parameters ``sql`` binds on ``dialect`` once escaped as above: a ``:name``
    in a string or a comment is not one."""
    escaped = escape_literal_colons(sql, dialect)
    return {m.group(1) for m in _BIND.finditer(escaped)}  # a real cast's name is now (:name)
