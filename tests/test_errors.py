"""Error texts a person reads, pinned in full."""
from __future__ import annotations

from migrator.errors import Issue, LockHeld, Location, PlanInvalid


def test_lock_held_names_the_holder_and_the_way_out():
    error = LockHeld(holder="migrator apply by ann@db1 pid 4121 since 12:03 UTC", waited=30.0)
    assert (error.exit_code, error.holder) == (3, "migrator apply by ann@db1 pid 4121 since 12:03 UTC")
    assert str(error) == (
        "database locked by migrator apply by ann@db1 pid 4121 since 12:03 UTC; waited 30s "
        "(the lock ends with that process's database session, "
        "so a dead process cannot leave it stuck; retry later or raise --lock-timeout)"
    )
    # SQLite's lock is a file lock: the OS lets go of it when the process exits.
    assert "(the lock ends when that process exits, so a dead process" in str(LockHeld("pid 7", 1.0, kind="file"))


def test_plan_invalid_lists_issues_in_file_order_with_a_cap():
    issues = [Issue(Location("p.yaml", line, 1), f"phases[{line}]", "bad") for line in range(60, 0, -1)]
    lines = str(PlanInvalid(issues)).splitlines()
    assert lines[0] == "p.yaml:1:1: phases[1]: bad"
    assert lines[49] == "p.yaml:50:1: phases[50]: bad"
    assert lines[50:] == ["... and 10 more"]
