"""The journal: migrator's own table in the target database (spec section 4).

Every attempt at a step is a row of ``migrator_journal``; a step's state is its
latest row by ``id``. Columns (for people and other tools that query it): ``id``,
``plan``, ``phase``, ``step``, ``checksum``, ``status``, ``started_at``,
``finished_at`` (UTC), ``duration_ms``, ``rows_affected``, ``statements_done``,
``batches_done``, ``run_by``, ``host``, ``tool_version``, ``message``.

The table's own schema version lives in a second, two-column table,
``migrator_journal_meta`` (``name``, ``value``; the row ``schema_version``), so
that a later migrator can migrate the journal and an older one can refuse a
journal it does not understand, without touching the audit rows.

``read_state`` is one query, and works read-only: when the table does not exist
it returns an empty state and creates nothing (``plan`` and ``status`` never
write). ``ensure_table`` creates the tables on first use (``apply``, ``resolve``,
``rollback``).
"""
from __future__ import annotations

import getpass
import os
import socket
from dataclasses import dataclass
from datetime import datetime, timezone

import sqlalchemy as sa

from migrator import __version__
from migrator.engine.planner import JournalEntry, JournalState
from migrator.errors import JournalMismatch

DEFAULT_TABLE = "migrator_journal"
#: Version of the journal's own layout; bump it with a migration of the table.
SCHEMA_VERSION = 1
STATUSES = ("applied", "failed", "skipped", "marked_applied", "running", "partial", "rolled_back")


class _Timestamp(sa.types.TypeDecorator):
    """Microsecond timestamps on MySQL (its DATETIME keeps whole seconds by default).

    A TypeDecorator rather than ``with_variant(mysql.DATETIME(fsp=6))``, so that
    SQLAlchemy's MySQL dialect is imported on MySQL only, not by every
    ``apply`` (~40 ms of start-up; see benchmarks/notes.md).
    """

    impl = sa.DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name in ("mysql", "mariadb"):
            from sqlalchemy.dialects.mysql import DATETIME

            return dialect.type_descriptor(DATETIME(fsp=6))
        return dialect.type_descriptor(sa.DateTime())


_TIMESTAMP = _Timestamp()


@dataclass(frozen=True)
class Journal:
    """The journal's tables (their names are configurable, the layout is not)."""

    name: str = DEFAULT_TABLE

    def __post_init__(self):
        metadata = sa.MetaData()
        table = sa.Table(
            self.name,
            metadata,
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("plan", sa.String(255), nullable=False),
            sa.Column("phase", sa.String(255), nullable=False),
            sa.Column("step", sa.String(255), nullable=False),
            sa.Column("checksum", sa.String(128), nullable=False),
            sa.Column("status", sa.String(32), nullable=False),
            sa.Column("started_at", _TIMESTAMP, nullable=True),
            sa.Column("finished_at", _TIMESTAMP, nullable=True),
            sa.Column("duration_ms", sa.Integer, nullable=True),
            sa.Column("rows_affected", sa.BigInteger, nullable=True),
            sa.Column("statements_done", sa.Integer, nullable=True),
            sa.Column("batches_done", sa.Integer, nullable=True),
            sa.Column("run_by", sa.String(255), nullable=True),
            sa.Column("host", sa.String(255), nullable=True),
            sa.Column("tool_version", sa.String(64), nullable=True),
            sa.Column("message", sa.Text, nullable=True),
            sa.Index(f"ix_{self.name}_plan_step", "plan", "step", "id"),
        )
        meta = sa.Table(
            f"{self.name}_meta",
            metadata,
            sa.Column("name", sa.String(64), primary_key=True),
            sa.Column("value", sa.String(255), nullable=False),
        )
        object.__setattr__(self, "metadata", metadata)
        object.__setattr__(self, "table", table)
        object.__setattr__(self, "meta", meta)
        # Built once: a step's journal write is then only the parameters (per-step overhead).
        object.__setattr__(self, "_insert", table.insert())
        object.__setattr__(
            self, "_update", table.update().where(table.c.id == sa.bindparam("row_id")).values(
                {c.name: sa.bindparam(c.name) for c in table.columns if c.name != "id"}
            )
        )

    # --- schema ----------------------------------------------------------------

    def exists(self, conn: sa.Connection) -> bool:
        return sa.inspect(conn).has_table(self.name)

    def ensure_table(self, conn: sa.Connection) -> None:
        """Create the journal on first use; refuse one written by a newer migrator.

        Runs in (and commits) its own transaction on ``conn``.
        """
        with _transaction(conn):
            if not self.exists(conn):
                self.metadata.create_all(conn)
                conn.execute(self.meta.insert().values(name="schema_version", value=str(SCHEMA_VERSION)))
                return
            version = conn.execute(
                sa.select(self.meta.c.value).where(self.meta.c.name == "schema_version")
            ).scalar() if sa.inspect(conn).has_table(self.meta.name) else None
            if version is None:  # the meta table was dropped by hand: the layout is ours
                self.meta.create(conn, checkfirst=True)
                conn.execute(self.meta.insert().values(name="schema_version", value=str(SCHEMA_VERSION)))
            elif int(version) > SCHEMA_VERSION:
                raise JournalMismatch(
                    "",
                    f"the journal table {self.name} has schema version {version}, newer than this migrator "
                    f"({__version__}) understands ({SCHEMA_VERSION}); upgrade migrator",
                )

    # --- reading ---------------------------------------------------------------

    def read_state(self, conn: sa.Connection, plan: str, *, known_to_exist: bool = False) -> JournalState:
        """Every step's latest row for ``plan``, in one query (none when the table is missing)."""
        if not known_to_exist and not self.exists(conn):
            return JournalState({}, exists=False)
        t = self.table
        latest = (
            sa.select(sa.func.max(t.c.id).label("id")).where(t.c.plan == plan).group_by(t.c.step).subquery()
        )
        rows = conn.execute(sa.select(t).join(latest, t.c.id == latest.c.id)).mappings().all()
        entries = {r["step"]: _entry(r) for r in rows}
        return JournalState(entries, exists=True)

    # --- writing ---------------------------------------------------------------

    def insert(self, conn: sa.Connection, row: "Row") -> int:
        """Add a row (in the caller's transaction); returns its id."""
        result = conn.execute(self._insert, row.values())
        return int(result.inserted_primary_key[0])

    def update(self, conn: sa.Connection, row_id: int, row: "Row") -> None:
        """Bring an attempt's row up to date (progress, then its outcome)."""
        conn.execute(self._update, {**row.values(), "row_id": row_id})


@dataclass(frozen=True, slots=True)
class Row:
    """The values of one journal row, as the runner knows them."""

    plan: str
    phase: str
    step: str
    checksum: str
    status: str
    started_at: datetime
    finished_at: datetime | None = None
    rows_affected: int | None = None
    statements_done: int | None = None
    batches_done: int | None = None
    run_by: str | None = None
    message: str | None = None

    def values(self) -> dict:
        duration = None
        if self.finished_at is not None:
            duration = int((self.finished_at - self.started_at).total_seconds() * 1000)
        return {
            "plan": self.plan,
            "phase": self.phase,
            "step": self.step,
            "checksum": self.checksum,
            "status": self.status,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "duration_ms": duration,
            "rows_affected": self.rows_affected,
            "statements_done": self.statements_done,
            "batches_done": self.batches_done,
            "run_by": self.run_by or current_user(),
            "host": current_host(),
            "tool_version": __version__,
            "message": self.message,
        }


def now() -> datetime:
    """The current UTC time, naive (the journal's columns hold UTC)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


_USER: str | None = None
_HOST: str | None = None


def current_user() -> str:
    """The OS user running migrator (``run_by``)."""
    global _USER
    if _USER is None:
        try:
            _USER = getpass.getuser()
        except (KeyError, OSError):  # no passwd entry (containers)
            _USER = f"uid {os.getuid()}" if hasattr(os, "getuid") else "unknown"
    return _USER


def current_host() -> str:
    global _HOST
    if _HOST is None:
        _HOST = socket.gethostname()
    return _HOST


def _entry(r) -> JournalEntry:
    return JournalEntry(
        step=r["step"],
        status=r["status"],
        checksum=r["checksum"],
        id=r["id"],
        phase=r["phase"],
        started_at=r["started_at"],
        finished_at=r["finished_at"],
        duration_ms=r["duration_ms"],
        rows_affected=r["rows_affected"],
        statements_done=r["statements_done"],
        batches_done=r["batches_done"],
        run_by=r["run_by"],
        host=r["host"],
        tool_version=r["tool_version"],
        message=r["message"],
    )


class _transaction:
    """``conn.begin()`` unless a transaction is already open (then the caller commits)."""

    def __init__(self, conn: sa.Connection):
        self.conn = conn
        self.tx = None

    def __enter__(self):
        if not self.conn.in_transaction():
            self.tx = self.conn.begin()
        return self

    def __exit__(self, exc_type, exc, tb):
        if self.tx is not None:
            if exc_type is None:
                self.tx.commit()
            else:
                self.tx.rollback()
        return False
