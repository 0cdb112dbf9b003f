"""The migration lock: a second holder waits, then is told who holds it."""
from __future__ import annotations

import os
import time

import pytest

from migrator.db import engine_dialect
from migrator.dialects import get_dialect
from migrator.engine.lock import acquire
from migrator.errors import LockHeld


def test_a_second_acquire_waits_for_the_timeout_then_names_the_holder(db_engine):
    dialect = get_dialect(engine_dialect(db_engine))
    with db_engine.connect() as first, db_engine.connect() as second:
        with acquire(first, dialect, timeout=1, purpose="apply"):
            start = time.monotonic()
            with pytest.raises(LockHeld) as e:
                with acquire(second, dialect, timeout=0.3, purpose="apply"):
                    pass
            assert 0.3 <= time.monotonic() - start < 2
        holder = e.value.holder
        assert e.value.exit_code == 3 and e.value.waited >= 0.3
        if dialect.name == "postgresql":
            assert holder.startswith("PostgreSQL session pid ") and f"pid {os.getpid()}" in holder and "(migrator apply by " in holder
        elif dialect.name == "mysql":
            assert holder.startswith("MySQL connection ") and "@" in holder
        else:
            assert holder.startswith("migrator apply by ") and f"pid {os.getpid()} since " in holder
        # Released: the second one gets it now.
        with acquire(second, dialect, timeout=0):
            pass


def test_a_lock_file_that_cannot_be_opened_is_one_line_and_exit_2_on_both_paths(tmp_path, write_plan):
    from migrator import api
    from migrator.errors import UsageError

    database = tmp_path / "db.sqlite"
    plan = write_plan("""
    migrator: 1
    name: demo
    phases:
      - id: p
        steps:
          - id: a
            sql: CREATE TABLE a (id INTEGER)
    """)
    assert api.apply(plan, f"sqlite:///{database}").ok
    (tmp_path / "db.sqlite.migrator-lock").unlink()
    (tmp_path / "db.sqlite.migrator-lock").mkdir()  # in the way: the lock file cannot be opened
    for run in (lambda: api.apply(plan, f"sqlite:///{database}"),  # the driver path (nothing to do)
                lambda: api.rollback(plan, f"sqlite:///{database}", last=1, yes=True)):  # the full path
        with pytest.raises(UsageError) as e:
            run()
        assert str(e.value) == f"cannot open the migration lock file {database}.migrator-lock: Is a directory"
        assert e.value.exit_code == 2
