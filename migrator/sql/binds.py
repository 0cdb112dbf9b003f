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
#: Without one of these there is no literal or comment, and every ``:name`` is a parameter.
_LITERAL_MARKS = ("'", '"', "`", "--", "/*", "#", "$")


def escape_literal_colons(sql: str, dialect: str) -> str:
    """``sql`` for ``sqlalchemy.text``: a ``:name`` inside a string, a quoted identifier
    or a comment is written ``\\:name``, which text() leaves as written.

    A ``:name`` is a parameter where the tokenizer starts a token at its colon;
    anywhere else it is inside a literal or a comment. Text the tokenizer cannot
    read is returned unchanged (the database reports its error).
    """
    if not any(mark in sql for mark in _LITERAL_MARKS):
        return sql
    found = list(_BIND.finditer(sql))
    if not found:
        return sql
    from sqlglot.errors import TokenError

    try:
        starts = {tok.start for tok in tokenize(sql, dialect)}
    except TokenError:
        return sql
    pieces, done = [], 0
    for match in found:
        if match.start() not in starts:
            pieces += [sql[done : match.start()], "\\"]
            done = match.start()
    return "".join(pieces) + sql[done:]
