"""The :class:`Dialect` base class and its registry (alembic's ``__dialect__`` idea).

Each supported database is a small named subclass in its own module; code that
needs to behave differently per database asks the dialect object instead of
testing the name in an ``if`` chain.
"""
from __future__ import annotations

from typing import ClassVar

_REGISTRY: dict[str, type["Dialect"]] = {}


def dialect_name(sqlalchemy_name: str) -> str:
    """migrator's name for a SQLAlchemy dialect name (``mariadb`` is ``mysql``)."""
    return "mysql" if sqlalchemy_name in ("mysql", "mariadb") else sqlalchemy_name


class Dialect:
    """Behaviour of one database family. Subclasses set ``name`` and override."""

    name: ClassVar[str] = ""
    #: DDL can be rolled back with the transaction (PostgreSQL, SQLite: yes; MySQL: no).
    transactional_ddl: ClassVar[bool] = True
    #: Whether the database has schemas that ``schema.table`` names (PostgreSQL).
    supports_schemas: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.name:
            _REGISTRY[cls.name] = cls


def get_dialect(name: str) -> Dialect:
    """The :class:`Dialect` for a SQLAlchemy or migrator dialect name."""
    # Importing the modules registers the subclasses.
    from migrator.dialects import mysql, postgresql, sqlite  # noqa: F401

    key = dialect_name(name)
    try:
        return _REGISTRY[key]()
    except KeyError:
        raise ValueError(f"unsupported database dialect {name!r} (supported: sqlite, postgresql, mysql)") from None
