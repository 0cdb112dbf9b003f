"""``apply`` with nothing to execute, and ``status``, answered through the driver alone.

Most ``apply`` runs in CI and deploy pipelines find every step applied. Such a
run does what the full one does before its first step — take the migration
lock, read the journal once, let the planner decide — and then reports; its
cost was SQLAlchemy's import, not its work. ``status`` only reads the journal.
Both do those same steps here over a :class:`~migrator.driver.DriverConnection`,
with the same driver-level SQL (:meth:`Journal.read_version`,
:meth:`Journal.read_state`, the dialect's lock), the same planner and the same
report builders as the full path (:func:`~migrator.engine.outcomes.settled_report`,
:func:`~migrator.engine.outcomes.status_report`). When anything would run, or
the lock is taken by someone else, or the journal is missing or of another
version, they return None and the command goes the full way, which waits for
the lock, creates the journal, or explains the problem.

No SQLAlchemy is imported here; a test keeps it so.
"""
from __future__ import annotations

from contextlib import closing
from dataclasses import replace

from migrator.dialects import Dialect, get_dialect
from migrator.driver import (SQLITE_BUSY_TIMEOUT, SQLITE_READ_BUSY_TIMEOUT, DriverConnection, DriverTarget,
                             driver_target)
from migrator.engine.journal import SCHEMA_VERSION, Journal
from migrator.engine.lock import acquire, sqlite_busy, sqlite_writer
from migrator.engine.outcomes import settled_report, status_report
from migrator.engine.planner import JournalState, Selection, decide
from migrator.errors import DatabaseBusy, LockHeld
from migrator.plan.model import Plan
from migrator.report import RunReport
from migrator.urls import resolve_url


def settled_apply(plan: Plan, url: str | None, journal: Journal, selection: Selection = Selection(),
                  confirmed: frozenset[str] = frozenset(), apply_command: str | None = None,
                  resolve_command: str | None = None) -> RunReport | None:
    """The report of ``apply`` when it has nothing to execute; None when it has (or
    when only the full path can tell). Raises DatabaseUnavailable like the full path.
    ``apply_command`` and ``resolve_command`` as for :class:`~migrator.engine.runner.RunOptions`."""
    read = _read_journal(url, journal, plan.name, locked=True)
    if read is None:
        return None
    state, dialect, target = read
    xplan = decide(plan, state, dialect.name, selection, confirmed=confirmed, resolve_command=resolve_command)
    report = settled_report(xplan, dialect.name, apply_command, resolve_command)
    return None if report is None else replace(report, database=target.shown)


def driver_status(plan: Plan, url: str | None, journal: Journal,
                  selection: Selection = Selection()) -> RunReport | None:
    """The report of ``status`` for the steps ``selection`` includes (read-only, no lock,
    as on the full path); None when only the full path can tell (no journal table yet,
    an unusual URL)."""
    read = _read_journal(url, journal, plan.name, locked=False)
    if read is None:
        return None
    state, dialect, target = read
    return replace(status_report(plan, state, dialect.name, selection), database=target.shown)


def _read_journal(url: str | None, journal: Journal, plan: str, *,
                  locked: bool) -> tuple[JournalState, Dialect, DriverTarget] | None:
    """The plan's journal state through the driver (under the migration lock when
    ``locked``, taken without waiting), or None when the full path must read it."""
    target = driver_target(resolve_url(url))
    if target is None:
        return None
    dialect = get_dialect(target.dialect)
    if not locked and not target.exists():
        # No database file, so no journal: a read-only command must not create the file
        # (connecting through SQLAlchemy would).
        return JournalState({}, exists=False), dialect, target
    conn = target.connect(SQLITE_BUSY_TIMEOUT if locked else SQLITE_READ_BUSY_TIMEOUT)
    if conn is None:
        return None
    with closing(conn):
        try:
            if not locked:
                state = _journal_state(conn, dialect, journal, plan)
            else:
                # One try (timeout 0): waiting, and naming who holds it, is the full path's job.
                with acquire(conn, dialect, 0, purpose="apply", database=target.database, writes=False):
                    state = _journal_state(conn, dialect, journal, plan)
        except LockHeld:
            return None
        except _Busy:  # a SQLite writer holds the file
            if locked:
                return None  # the full path waits for it
            # status: say who is writing rather than wait again on the full path
            raise DatabaseBusy(target.shown, sqlite_writer(target.database), SQLITE_READ_BUSY_TIMEOUT) from None
        except conn.errors:  # the connection failed midway (its session lock is gone with it):
            return None  # the full path connects again and, if it must, says what is wrong
    return None if state is None else (state, dialect, target)


class _Busy(Exception):
    """A SQLite writer kept the journal from being read (``status``: say so, exit 3)."""


def _journal_state(conn: DriverConnection, dialect: Dialect, journal: Journal, plan: str) -> JournalState | None:
    """The journal's state, or None when the journal is missing or not of this version."""
    try:
        if journal.read_version(conn, dialect) != str(SCHEMA_VERSION):
            return None
        return journal.read_state(conn, dialect, plan, known_to_exist=True)
    except conn.errors as e:  # no journal table yet (the full path creates it)
        if dialect.name == "sqlite" and sqlite_busy(e):
            raise _Busy() from e
        return None
    finally:
        conn.rollback()
