"""migrate-events-to-api: convert each event's legacy config to the API format.

The seed's migrate-events-to-api.ts, as a migrator ``python`` step. The legacy
``events.config`` is ``key=value;key=value`` text, e.g.
``trigger=cron;schedule=*/15 * * * *;timeout=30``; the API reads
``events.api_config``, a JSON document:
``{"enabled": true, "timeout_seconds": 30, "trigger": {"schedule": "*/15 * * * *", "type": "cron"}, "version": 2}``.

Parsing text into JSON row by row is awkward in portable SQL, which is why this
is Python. It is idempotent like the seed's script: it only touches events whose
``api_config`` is still NULL, so a second run converts nothing.
"""
from __future__ import annotations

import json

from sqlalchemy import text

#: Keys of the legacy format that describe the trigger, by trigger type.
TRIGGER_KEYS = {"cron": ("schedule",), "webhook": ("path",), "manual": ()}


def parse_legacy_config(config: str) -> dict[str, str]:
    """``"a=1;b=2"`` -> ``{"a": "1", "b": "2"}``; a piece without ``=`` is an error."""
    pairs: dict[str, str] = {}
    for piece in config.split(";"):
        if not piece.strip():
            continue
        key, sep, value = piece.partition("=")
        if not sep:
            raise ValueError(f"not key=value: {piece!r}")
        pairs[key.strip()] = value.strip()
    return pairs


def to_api_config(config: str, is_active: bool, version: int) -> dict:
    """The API document for one event's legacy config."""
    legacy = parse_legacy_config(config)
    kind = legacy.get("trigger", "manual")
    if kind not in TRIGGER_KEYS:
        raise ValueError(f"unknown trigger {kind!r}")
    trigger = {"type": kind}
    for key in TRIGGER_KEYS[kind]:
        if key not in legacy:
            raise ValueError(f"{kind} trigger without {key}")
        trigger[key] = legacy[key]
    return {
        "version": version,
        "trigger": trigger,
        "timeout_seconds": int(legacy.get("timeout", "30")),
        "enabled": bool(is_active),
    }


def run(ctx) -> int:
    """Convert every event that has no ``api_config`` yet; returns rows changed."""
    version = int(ctx.vars.get("api_version", 2))
    rows = ctx.connection.execute(
        text("SELECT id, config, is_active FROM events WHERE api_config IS NULL ORDER BY id")
    ).all()
    updates = []
    for event_id, config, is_active in rows:
        try:
            document = to_api_config(config, is_active, version)
        except ValueError as e:
            # Fail the step (its transaction is rolled back) naming the row to fix.
            raise ValueError(f"event {event_id}: cannot convert config {config!r}: {e}") from None
        updates.append({"id": event_id, "api_config": json.dumps(document, sort_keys=True)})
    if updates:
        ctx.connection.execute(text("UPDATE events SET api_config = :api_config WHERE id = :id"), updates)
    ctx.log.info("converted %d event(s) to the API format (version %d)", len(updates), version)
    return len(updates)
