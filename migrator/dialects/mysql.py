"""MySQL and MariaDB: every DDL statement commits implicitly; GET_LOCK for the lock."""
from __future__ import annotations

from migrator.dialects.base import Dialect


class MysqlDialect(Dialect):
    name = "mysql"
    # An implicit commit precedes and follows each DDL statement, so a failed step
    # cannot be undone; the engine records how many statements completed instead.
    transactional_ddl = False
