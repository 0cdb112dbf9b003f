"""What tests share to look into a database: one statement in its own transaction."""
from __future__ import annotations

from migrator.db import create_engine


def run_sql(url: str, sql: str) -> list[tuple] | None:
    """Run ``sql`` on ``url`` and commit; its rows as tuples, None when it returns none."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            result = conn.exec_driver_sql(sql)
            return [tuple(r) for r in result.fetchall()] if result.returns_rows else None
    finally:
        engine.dispose()
