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
