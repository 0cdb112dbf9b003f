"""The batch loop shared by ``batch`` steps and ``ctx.batch`` in ``python`` steps.

A batch statement is repeated with ``:batch_size`` bound until a run affects no
row. Its own ``WHERE`` makes it resumable (it only touches rows not done yet), so
after a crash the next ``apply`` simply carries on.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import sqlalchemy as sa

from migrator.dialects import Dialect, get_dialect
from migrator.sql.binds import escape_literal_colons


@dataclass(frozen=True, slots=True)
class Progress:
    """One moment of a batch step, for the CLI's progress bar or log lines.

    ``rows``/``batches`` are totals of the step's current attempt (across
    resumes, as the journal counts them); ``total`` is the result of the step's
    ``total`` query at the start of this apply, if any: usually the rows still to
    do, so it is set against :attr:`position` (this apply's rows), not ``rows``.
    """

    step: str
    batches: int
    rows: int
    total: int | None
    elapsed: float  # seconds in this apply
    rows_this_run: int = 0
    done: bool = False  # the last report of the step in this apply
    stopped: bool = False  # done because max_batches stopped it (the step is partial)
    pause: float = 0.0  # seconds the step waits after each batch (its `pause`)

    @property
    def position(self) -> int:
        """How far along ``total`` this apply is: the rows done since ``total`` was counted.
        (After a resume ``rows`` includes earlier applies' rows, which ``total`` no longer does.)"""
        return self.rows_this_run

    @property
    def rate(self) -> float | None:
        """Rows per second in this apply. Until the step is done the pause that follows the
        batch just reported counts too: each batch costs its statement and its pause, and
        after the first batch ``elapsed`` holds no pause yet (the rate would be the
        statement's alone, and the ETA far too short)."""
        elapsed = self.elapsed + (self.pause if not self.done and self.rows_this_run else 0.0)
        return self.rows_this_run / elapsed if elapsed > 0 else None

    @property
    def eta(self) -> float | None:
        """Seconds left, when ``total`` is known and rows are moving."""
        rate = self.rate
        if self.total is None or not rate or self.position > self.total:  # past it: no telling
            return None
        return (self.total - self.position) / rate


@dataclass(frozen=True, slots=True)
class BatchOutcome:
    batches: int  # batches that affected rows, in this loop
    rows: int
    stopped: bool  # max_batches reached before a batch affected 0 rows


def run_batches(
    conn: sa.Connection,
    sql: str,
    *,
    size: int,
    params: dict | None = None,
    commit_each: bool = True,
    pause_s: float = 0.0,
    max_batches: int | None = None,
    after_batch: Callable[[int], None] | None = None,
    on_committed: Callable[[], None] | None = None,
) -> BatchOutcome:
    """Run ``sql`` with ``:batch_size`` = ``size`` until it affects 0 rows.

    Only real parameters are bound: a ``:word`` in a string or comment stays text.

    With ``commit_each`` every batch is its own transaction, and ``after_batch``
    (called with the batch's row count) runs inside it, so that the journal's
    progress and the batch commit together; otherwise the caller's transaction
    holds everything. ``on_committed`` is called after each batch (for progress).
    """
    statement = sa.text(escape_literal_colons(sql, conn.dialect.name))
    values = {**(params or {}), "batch_size": size}
    dialect = get_dialect(conn.dialect.name)
    batches = rows = 0
    while True:
        if commit_each:
            with conn.begin():
                n = _execute(conn, dialect, statement, values)
                if after_batch is not None:
                    after_batch(n)
        else:
            n = _execute(conn, dialect, statement, values)
            if after_batch is not None:
                after_batch(n)
        if n <= 0:
            return BatchOutcome(batches, rows, stopped=False)
        if on_committed is not None:
            on_committed()
        batches += 1
        rows += n
        if max_batches is not None and batches >= max_batches:
            return BatchOutcome(batches, rows, stopped=True)
        if pause_s > 0:
            time.sleep(pause_s)


def _execute(conn: sa.Connection, dialect: Dialect, statement, values: dict) -> int:
    # The dialect's count: sqlite3's own is -1 for a batch written as WITH ... UPDATE,
    # which would end the loop after one batch.
    return max(dialect.changed_rows(conn, lambda: conn.execute(statement, values)), 0)
