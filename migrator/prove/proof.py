"""The records of ``migrator test``: one :class:`StepProof` per claim, in a :class:`ProofReport`.

A step claims idempotency (``idempotent: true``) and reversibility (a
``rollback``); each claim is proved, failed (with the differences found) or
unproved (and why). A step that claims neither gets one unproved record.
Data only: :mod:`migrator.prove.render` turns them into text, Markdown and JSON.
"""
from __future__ import annotations

from dataclasses import dataclass

#: The statuses of a proof, in the order the summary counts them.
STATUSES = ("proved", "failed", "unproved")
#: What a proof is about: ``idempotent``, ``rollback``, ``apply`` (the step failed in the
#: first apply, so nothing else about it could be proved) or None (the step claims nothing).
KINDS = ("idempotent", "rollback", "apply")


@dataclass(frozen=True, slots=True)
class StepProof:
    """One claim of one step and what ``migrator test`` found."""

    step: str
    phase: str
    kind: str | None
    status: str
    detail: str
    diff: tuple[str, ...] = ()
    title: str | None = None

    def to_dict(self) -> dict:
        return {
            "step": self.step,
            "phase": self.phase,
            "title": self.title,
            "kind": self.kind,
            "status": self.status,
            "detail": self.detail,
            "diff": list(self.diff),
        }


@dataclass(frozen=True, slots=True)
class ProofReport:
    """Everything ``migrator test`` proved about one plan on one scratch database.

    ``error`` is set when the first apply itself did not complete for a reason no
    single step carries (a phase's precondition or verify); ``notes`` are
    plan-level observations (which steps stayed applied during the rollback proof,
    whether the schema got back to before the plan).
    """

    plan: str
    source: str
    dialect: str
    database: str
    proofs: tuple[StepProof, ...]
    setup: str | None = None
    not_applicable: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    error: str | None = None

    @property
    def counts(self) -> dict[str, int]:
        return {status: sum(1 for p in self.proofs if p.status == status) for status in STATUSES}

    @property
    def ok(self) -> bool:
        return self.error is None and not any(p.status == "failed" for p in self.proofs)

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    def summary(self) -> str:
        """``3 proved, 1 failed, 2 unproved``."""
        return ", ".join(f"{n} {status}" for status, n in self.counts.items())

    def to_dict(self) -> dict:
        return {
            "command": "test",
            "plan": self.plan,
            "source": self.source,
            "dialect": self.dialect,
            "database": self.database,
            "setup": self.setup,
            "ok": self.ok,
            "error": self.error,
            "counts": self.counts,
            "proofs": [p.to_dict() for p in self.proofs],
            "not_applicable": list(self.not_applicable),
            "notes": list(self.notes),
        }
