"""Database URL text: which URL a command uses, how it is shown, one-line errors.

Free of SQLAlchemy (unlike :mod:`migrator.db`, which parses URLs with it), so that
the paths that must start fast can name the database too.
"""
from __future__ import annotations

import os
import re

DEFAULT_URL = "sqlite:///migrator.sqlite"
URL_ENV = "MIGRATOR_DATABASE_URL"


def resolve_url(url: str | None) -> str:
    """The URL to use: the given one, else the environment's, else the default."""
    return url or os.environ.get(URL_ENV) or DEFAULT_URL


#: A password given as a query option (``?password=...``, which psycopg and PyMySQL
#: accept), which SQLAlchemy's ``hide_password`` does not hide.
_QUERY_PASSWORD = re.compile(r"([?&]password=)[^&#]*", re.IGNORECASE)


def mask_text(text: str) -> str:
    """A URL as text, its password hidden: anything between ':' and '@' (also in a
    string SQLAlchemy could not parse, scheme or not) and a ``password`` query option."""
    scheme, has_scheme, rest = text.partition("://")
    if not has_scheme:
        scheme, rest = "", text
    before_query, question, query = rest.partition("?")
    cred, at, host = before_query.rpartition("@")
    user, colon, _ = cred.partition(":")
    if at and colon and not cred.startswith("/"):  # not a SQLite path such as ///a:b@c.db
        text = f"{scheme}{has_scheme}{user}:***@{host}{question}{query}"
    return hide_query_password(text)


def hide_query_password(text: str) -> str:
    """``?password=secret`` → ``?password=***`` (the URL's other parts as they are)."""
    return _QUERY_PASSWORD.sub(r"\1***", text)


def first_line(error: BaseException) -> str:
    """A driver error's message, on one line, without SQLAlchemy's background link.

    The one place a database error becomes text: steps, checks, the journal and
    connection failures all show it. A SQLAlchemy error is shown by the driver's
    error it wraps.
    """
    orig = getattr(error, "orig", None)
    if isinstance(orig, BaseException):
        error = orig
    args = error.args
    # PyMySQL (and mysqlclient) errors carry (code, message), and str() would show that
    # tuple; say the server's message first, then its code, as the mysql client does.
    # OSError's (errno, text) is the same shape, but its str() already reads well.
    if len(args) == 2 and type(args[0]) is int and isinstance(args[1], str) and not isinstance(error, OSError):
        code, message = args
        text = _first_text_line(message)
        if text is None:
            return type(error).__name__
        return f"{text} (MySQL error {code})" if code else text
    return _first_text_line(str(error)) or type(error).__name__


def _first_text_line(text: str) -> str | None:
    # SQLAlchemy ends its messages with "(Background on this error at: <link>)", on a
    # line of its own or, for its own errors, on the message's line.
    for line in text.splitlines():
        line = line.split("(Background on this error", 1)[0].strip()
        if line:
            return line
    return None
