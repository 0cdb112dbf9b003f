"""Fixtures for engine tests: plan files written from YAML text, and a query counter."""
from __future__ import annotations

import textwrap

import pytest
import sqlalchemy as sa


@pytest.fixture
def write_plan(tmp_path):
    """write_plan(yaml_text, name="plan.yaml") -> path of the written plan file."""

    def write(text: str, name: str = "plan.yaml") -> str:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return str(path)

    return write


@pytest.fixture
def queries():
    """Every SQL statement executed while the test runs: through any SQLAlchemy engine,
    and through the driver-level connections of the no-op re-apply (migrator.driver)."""
    from migrator import driver

    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", record)
    driver.statement_listeners.append(seen.append)
    yield seen
    driver.statement_listeners.remove(seen.append)
    sa.event.remove(sa.engine.Engine, "before_cursor_execute", record)
