"""The plan `migrator init` writes applies, re-applies as a no-op and rolls back, on every dialect."""
from __future__ import annotations

from migrator import api


def test_starter_plan_applies_everywhere(tmp_path, db_url):
    path = api.init(str(tmp_path))
    report = api.apply(str(path), db_url)
    assert report.ok, report.message
    outcomes = {s.step: s.outcome for s in report.steps}
    applicable = "not_applicable" if db_url.startswith("mysql") else "applied"
    assert outcomes == {"create-accounts": "applied", "index-accounts-email": applicable, "backfill-active": "applied"}
    again = api.apply(str(path), db_url)
    assert again.ok and {s.outcome for s in again.steps} <= {"already_applied", "not_applicable"}
