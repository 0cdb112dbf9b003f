"""``migrator test``: prove a plan's idempotent steps and rollbacks on a scratch database.

- :mod:`migrator.prove.snapshot` — schema snapshots through SQLAlchemy reflection, and their differences;
- :mod:`migrator.prove.runner` — the proof, through the engine's runner and rollback;
- :mod:`migrator.prove.proof` — the result records (:class:`StepProof`, :class:`ProofReport`);
- :mod:`migrator.prove.render` — text, Markdown and JSON.
"""
from __future__ import annotations
