"""PostgreSQL: transactional DDL, schemas, advisory locks."""
from __future__ import annotations

from migrator.dialects.base import Dialect


class PostgresqlDialect(Dialect):
    name = "postgresql"
    transactional_ddl = True
    supports_schemas = True
