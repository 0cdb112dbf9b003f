"""Per-dialect behaviour, keyed by the dialect name migrator uses.

SQLAlchemy names MariaDB ``mariadb``; plans say ``mysql`` for both (spec section 11),
so :func:`dialect_name` folds the two together.
"""
from __future__ import annotations

from migrator.dialects.base import Dialect, dialect_name, get_dialect

__all__ = ["Dialect", "dialect_name", "get_dialect"]
