"""split-full-names: fill first_name/last_name from full_name (python-step.yaml)."""
from __future__ import annotations

from sqlalchemy import text


def split_name(full_name: str, default_last_name: str) -> tuple[str, str]:
    """``"Grace Brewster Hopper"`` -> ``("Grace", "Brewster Hopper")``."""
    first, _, rest = full_name.strip().partition(" ")
    return first, rest.strip() or default_last_name


def run(ctx) -> int:
    default_last_name = str(ctx.vars.get("default_last_name", "-"))
    rows = ctx.connection.execute(text("SELECT id, full_name FROM ex_people WHERE first_name IS NULL")).all()
    for person_id, full_name in rows:
        first, last = split_name(full_name, default_last_name)
        ctx.connection.execute(
            text("UPDATE ex_people SET first_name = :first, last_name = :last WHERE id = :id"),
            {"first": first, "last": last, "id": person_id},
        )
    ctx.log.info("split %d name(s) on %s", len(rows), ctx.dialect)
    return len(rows)
