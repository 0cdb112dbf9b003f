"""Build small Plan objects directly (no YAML) for engine tests."""
from __future__ import annotations

import hashlib

from migrator.errors import Location
from migrator.plan.model import BatchAction, ManualAction, Phase, Plan, SqlAction, Step

LOC = Location("plan.yaml", 1, 1)


def sql(*texts: str) -> SqlAction:
    return SqlAction(texts=tuple(texts))


def step(id: str, action=None, *, phase: str = "p1", checksum: str | None = None, **kw) -> Step:
    if isinstance(action, str):
        action = sql(action)
    if checksum is None:
        checksum = hashlib.sha256(repr((action, kw.get("rollback"))).encode()).hexdigest()
    return Step(id=id, phase=phase, path=f"steps.{id}", location=LOC, action=action, checksum=checksum, **kw)


def plan(*steps: Step, name: str = "demo", source: str = "plan.yaml") -> Plan:
    phases: dict[str, list[Step]] = {}
    for s in steps:
        phases.setdefault(s.phase, []).append(s)
    return Plan(
        name=name,
        source=source,
        base_dir=".",
        phases=tuple(Phase(id=pid, path=f"phases.{pid}", location=LOC, steps=tuple(ss)) for pid, ss in phases.items()),
    )


__all__ = ["BatchAction", "ManualAction", "plan", "sql", "step"]
