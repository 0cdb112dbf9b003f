"""The journal: migrator's own table in the target database (spec section 4).

Every attempt at a step is a row of ``migrator_journal``; a step's state is its
latest row by ``id``. Each time ``apply`` runs a phase's ``verify`` checks, their
outcome is a row too, keyed by the phase id in both ``phase`` and ``step``
(``applied`` when they held, ``failed`` with the failures in ``message``), so that
the next ``apply`` runs a failed phase verification again. Columns (for people and
other tools that query it): ``id``, ``plan``, ``phase``, ``step``, ``checksum``,
``status``, ``started_at``, ``finished_at`` (UTC), ``duration_ms``,
``rows_affected``, ``statements_done``, ``batches_done``, ``run_by``, ``host``,
``tool_version``, ``message``.

The table's own schema version lives in a second, two-column table,
``migrator_journal_meta`` (``name``, ``value``; the row ``schema_version``), so
that a later migrator can migrate the journal and an older one can refuse a
journal it does not understand, without touching the audit rows.

``read_state`` reads every step's latest row in one query, and works read-only:
when the table does not exist it returns an empty state and creates nothing
(``plan`` and ``status`` never write); one from a newer migrator is refused, by
readers as by writers. ``ensure_table`` creates the tables on first use (``apply``, ``resolve``,
``rollback``).
"""
from __future__ import annotations

import getpass
import os
import socket
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cached_property, lru_cache

from migrator import __version__
from migrator.dialects import Dialect, get_dialect
from migrator.engine.planner import APPLIED_STATUSES, JournalEntry, JournalState
from migrator.errors import JournalTooNew

DEFAULT_TABLE = "migrator_journal"
#: Version of the journal's own layout; bump it with a migration of the table.
SCHEMA_VERSION = 1
STATUSES = ("applied", "failed", "skipped", "marked_applied", "running", "partial", "rolled_back")
#: The journal's columns, in the order :meth:`Journal.read_state` selects them.
COLUMNS = (
    "id", "plan", "phase", "step", "checksum", "status", "started_at", "finished_at", "duration_ms",
    "rows_affected", "statements_done", "batches_done", "run_by", "host", "tool_version", "message",
)


@lru_cache(maxsize=None)
def _timestamp_type():
    """Microsecond timestamps on MySQL (its DATETIME keeps whole seconds by default).

    A TypeDecorator rather than ``with_variant(mysql.DATETIME(fsp=6))``, so that
    SQLAlchemy's MySQL dialect is imported on MySQL only, not by every
    ``apply`` (~40 ms of start-up; see benchmarks/notes.md).
    """
    import sqlalchemy as sa

    class Timestamp(sa.types.TypeDecorator):
        impl = sa.DateTime
        cache_ok = True

        def load_dialect_impl(self, dialect):
            if dialect.name in ("mysql", "mariadb"):
                from sqlalchemy.dialects.mysql import DATETIME

                return dialect.type_descriptor(DATETIME(fsp=6))
            return dialect.type_descriptor(sa.DateTime())

    return Timestamp()


@dataclass(frozen=True)
class Journal:
    """The journal's tables (their names are configurable, the layout is not).

    Reading (:meth:`read_version`, :meth:`read_state`) is plain driver-level SQL
    through ``conn.exec_driver_sql``, so that the same code reads through an
    SQLAlchemy connection and through :class:`migrator.engine.driver.DriverConnection`
    (the no-op re-apply, which never loads SQLAlchemy). Writing a row, once per step,
    is driver-level SQL too, on an SQLAlchemy connection (its dialect picks the SQL):
    through Core, the compile-cache lookup and primary-key fetch cost more CPU than
    the statement. Creating the tables uses SQLAlchemy's table objects, built on first use.
    """

    name: str = DEFAULT_TABLE

    @cached_property
    def tables(self):
        """``(journal, meta)`` as SQLAlchemy tables."""
        import sqlalchemy as sa

        timestamp = _timestamp_type()
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
            sa.Column("started_at", timestamp, nullable=True),
            sa.Column("finished_at", timestamp, nullable=True),
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
            self.meta_name,
            metadata,
            sa.Column("name", sa.String(64), primary_key=True),
            sa.Column("value", sa.String(255), nullable=False),
        )
        return table, meta

    @property
    def meta_name(self) -> str:
        return f"{self.name}_meta"

    # --- schema ----------------------------------------------------------------

    def exists(self, conn) -> bool:
        import sqlalchemy as sa

        return sa.inspect(conn).has_table(self.name)

    def ensure_table(self, conn, dialect) -> None:
        """Create the journal on first use; refuse one written by a newer migrator.

        Runs in (and commits) its own transaction on ``conn``.
        """
        import sqlalchemy as sa

        table, meta = self.tables
        with _transaction(conn):
            inspector = sa.inspect(conn)
            # Either table may have been dropped by hand without the other: each is
            # created when missing, and the version is written once.
            version = self.read_version(conn, dialect) if inspector.has_table(self.meta_name) else None
            self._refuse_newer(version)
            if not inspector.has_table(self.name):
                table.create(conn)
            if version is None:
                meta.create(conn, checkfirst=True)
                conn.execute(meta.insert().values(name="schema_version", value=str(SCHEMA_VERSION)))

    def _refuse_newer(self, version: str | None) -> None:
        """A journal laid out by a newer migrator is neither written nor read: its rows may
        not mean what this one thinks."""
        if version is not None and int(version) > SCHEMA_VERSION:
            raise JournalTooNew(
                f"the journal table {self.name} has schema version {version}, newer than this migrator "
                f"({__version__}) understands ({SCHEMA_VERSION}); upgrade migrator"
            )

    # --- reading ---------------------------------------------------------------

    def read_version(self, conn, dialect) -> str | None:
        """The journal's schema version from its meta table (which must exist); None when unset."""
        row = conn.exec_driver_sql(
            f"SELECT value FROM {dialect.quote(self.meta_name)} WHERE name = {dialect.param('name')}",
            {"name": "schema_version"},
        ).fetchone()
        return None if row is None else row[0]

    def read_state(self, conn, dialect, plan: str, *, known_to_exist: bool = False) -> JournalState:
        """Every step's latest row for ``plan``, in one query (none when the table is missing)."""
        if not known_to_exist:
            if not self.exists(conn):
                return JournalState({}, exists=False)
            import sqlalchemy as sa  # only the full path gets here (known_to_exist: its caller checked)

            if sa.inspect(conn).has_table(self.meta_name):
                self._refuse_newer(self.read_version(conn, dialect))
        t = dialect.quote(self.name)
        sql = (
            f"SELECT {', '.join('j.' + c for c in COLUMNS)} FROM {t} j"
            f" JOIN (SELECT max(id) AS id FROM {t} WHERE plan = {dialect.param('plan')} GROUP BY step) latest"
            " ON j.id = latest.id"
        )
        rows = conn.exec_driver_sql(sql, {"plan": plan}).fetchall()
        # A phase's verify row has step = phase (the phase id); a step's never does,
        # since ids are unique across phases and steps (spec section 1).
        entries = {r[3]: _entry(r) for r in rows if r[2] != r[3]}
        phases = {r[3]: _entry(r) for r in rows if r[2] == r[3]}
        elsewhere = {} if rows else self._applied_elsewhere(conn, dialect, plan)
        return JournalState(entries, exists=True, phases=phases, elsewhere=elsewhere)

    def _applied_elsewhere(self, conn, dialect, plan: str) -> dict[str, tuple[str, str]]:
        """For a plan the journal has no row of: the steps other plans applied here, as
        step id -> (plan, checksum), so that the dry run can tell when this plan is one of
        them under a new name (the name is the journal's key; its steps would run again).
        One query, and only before a plan's first apply."""
        t = dialect.quote(self.name)
        applied = ", ".join(f"'{status}'" for status in sorted(APPLIED_STATUSES))
        sql = (
            f"SELECT j.plan, j.step, j.checksum FROM {t} j"
            f" JOIN (SELECT max(id) AS id FROM {t} WHERE plan <> {dialect.param('plan')} GROUP BY plan, step) latest"
            f" ON j.id = latest.id WHERE j.status IN ({applied}) AND j.step <> j.phase ORDER BY j.id"
        )
        return {step: (other, checksum) for other, step, checksum in conn.exec_driver_sql(sql, {"plan": plan}).fetchall()}

    # --- writing ---------------------------------------------------------------

    def insert(self, conn, row: "Row") -> int:
        """Add a row (in the caller's transaction); returns its id."""
        dialect, insert, _ = _write_statements(self.name, conn.dialect.name)
        return dialect.insert_returning_id(conn, insert, _parameters(row, dialect), "id")

    def update(self, conn, row_id: int, row: "Row") -> None:
        """Bring an attempt's row up to date (progress, then its outcome)."""
        dialect, _, update = _write_statements(self.name, conn.dialect.name)
        conn.exec_driver_sql(update, {**_parameters(row, dialect), "row_id": row_id})


@lru_cache(maxsize=None)
def _write_statements(table: str, sqlalchemy_dialect: str) -> tuple[Dialect, str, str]:
    """The dialect, and the driver-level ``INSERT`` and ``UPDATE`` (by ``row_id``) of a journal row."""
    dialect = get_dialect(sqlalchemy_dialect)
    t, columns = dialect.quote(table), COLUMNS[1:]  # the id is the database's
    insert = (f"INSERT INTO {t} ({', '.join(dialect.quote(c) for c in columns)})"
              f" VALUES ({', '.join(dialect.param(c) for c in columns)})")
    update = (f"UPDATE {t} SET {', '.join(f'{dialect.quote(c)} = {dialect.param(c)}' for c in columns)}"
              f" WHERE {dialect.quote('id')} = {dialect.param('row_id')}")
    return dialect, insert, update


def _parameters(row: "Row", dialect: Dialect) -> dict:
    values = row.values()
    for key in ("started_at", "finished_at"):
        values[key] = dialect.timestamp_parameter(values[key])
    return values


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


def _entry(r: tuple) -> JournalEntry:
    values = dict(zip(COLUMNS, r))
    del values["plan"]
    for key in ("started_at", "finished_at"):
        # SQLite hands timestamps back as the text SQLAlchemy stored; the servers, as datetimes.
        if isinstance(values[key], str):
            values[key] = datetime.fromisoformat(values[key])
    return JournalEntry(**values)


class _transaction:
    """``conn.begin()`` unless a transaction is already open (then the caller commits)."""

    def __init__(self, conn):
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
