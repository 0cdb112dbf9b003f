"""The migration lock: one ``apply``/``rollback``/``resolve`` per database at a time.

``with acquire(conn, dialect, timeout=30):`` waits up to ``timeout`` seconds and
then raises :class:`~migrator.errors.LockHeld` naming the holder (exit code 3).

- PostgreSQL: a session-level advisory lock (``pg_try_advisory_lock``), polled.
- MySQL/MariaDB: ``GET_LOCK`` on a name that includes the database's, polled.
- SQLite: an exclusive OS lock (``fcntl.flock``) on a sidecar file next to the
  database file, ``<database>.migrator-lock``, and then, within the same timeout, the
  database's own write lock must be free (a connection that is not a migrator may
  hold it). Not the database's own write lock alone:
  ``apply`` commits after every step and every batch (so that a crash loses
  nothing), and each commit would release that lock for another ``apply`` to
  take in the middle of the run. The OS releases the file lock when the process
  ends, even on ``kill -9``, so a dead process cannot leave it stuck; the file
  holds who took it, for the message. For a URI filename (``sqlite:///file:x.db?uri=true``)
  the file is the URI's path; an in-memory database takes no lock.

Both server locks belong to the session and the server releases them when the
session ends. They are polled (rather than, say, ``GET_LOCK(name, timeout)``) so
that sub-second timeouts behave the same on every database.
"""
from __future__ import annotations

import os
import time
from contextlib import contextmanager
from typing import Iterator, Mapping, Sequence

from migrator.dialects import Dialect
from migrator.engine.journal import current_host, current_user, now
from migrator.errors import LockHeld, UsageError

LOCK_NAME = "migrator"
_POLL_SECONDS = 0.05
_SQLITE_READONLY = 8  # SQLite's primary result code; extended codes keep it in the low byte


def holder_label(purpose: str) -> str:
    """How this process describes itself to someone waiting for the lock."""
    return f"migrator {purpose} by {current_user()}@{current_host()} pid {os.getpid()}"


@contextmanager
def acquire(conn, dialect: Dialect, timeout: float = 30.0, *, purpose: str = "apply",
            database: str | None = None, writes: bool = True) -> Iterator[None]:
    """Hold the migration lock for the ``with`` block (see the module docstring).

    ``conn`` is an SQLAlchemy Connection or a :class:`~migrator.driver.DriverConnection`
    (the lock's SQL is driver-level); ``database`` is the SQLite file, by default the
    one of ``conn``'s engine; ``writes`` False when the holder only reads (the no-op
    apply's shortcut), so a SQLite file is not probed for writing.
    """
    if dialect.lock_kind == "file":
        if database is None:
            url = conn.engine.url
            database = sqlite_file(url.database, url.query)
        with file_lock(database, timeout, purpose, writes=writes):
            yield
        return
    start = time.monotonic()
    dialect.set_session_label(conn, holder_label(purpose))
    while True:
        taken = dialect.try_lock(conn, LOCK_NAME)
        conn.commit()
        if taken:
            break
        waited = time.monotonic() - start
        if waited >= timeout:
            holder = dialect.lock_holder(conn, LOCK_NAME) or "another session"
            conn.commit()
            raise LockHeld(holder, round(waited, 1))
        time.sleep(min(_POLL_SECONDS, max(timeout - waited, 0.0)))
    try:
        yield
    finally:
        _release(conn, dialect)


def _release(conn, dialect: Dialect) -> None:
    try:
        conn.rollback()  # whatever the block left open; a no-op when nothing is
        dialect.release_lock(conn, LOCK_NAME)
        conn.commit()
    except _session_errors(conn):
        # The session is gone (server restart, network): so is its lock.
        pass


def _session_errors(conn) -> type[Exception]:
    # A DriverConnection names its driver's base error; SQLAlchemy wraps the driver's
    # errors in DBAPIError.
    errors = getattr(conn, "errors", None)
    if errors is None:
        from sqlalchemy.exc import DBAPIError as errors
    return errors


def sidecar_path(database: str) -> str:
    return f"{database}.migrator-lock"


_TRUE = ("1", "true", "yes", "on", "y", "t")


def sqlite_file(database: str | None, query: Mapping[str, str | Sequence[str]] | None = None) -> str | None:
    """The file a SQLite URL's database opens, or None when it is in memory.

    With ``uri=true`` in the URL's ``query``, a ``file:`` database is a URI filename
    (https://sqlite.org/uri.html): the file is its path, without ``file:``, the
    ``//localhost`` authority and the query, percent-decoded; ``mode=memory`` or the
    path ``:memory:`` is in memory. Without ``uri=true`` the name is a plain file name.
    """
    from urllib.parse import unquote

    query = query or {}
    if not database or database == ":memory:":
        return None
    if not database.startswith("file:") or _last(query.get("uri", "")).lower() not in _TRUE:
        return database
    # SQLAlchemy keeps the URL's query apart; cut at "?" and "#" as SQLite does all the same.
    path = database[len("file:"):].partition("?")[0].partition("#")[0]
    if path.startswith("//"):  # file://localhost/abs/path or file:///abs/path
        path = "/" + path[2:].partition("/")[2]
    path = unquote(path)
    if _last(query.get("mode", "")) == "memory" or path in ("", ":memory:"):
        return None
    return path


def _last(value: str | Sequence[str]) -> str:
    # SQLAlchemy's URL.query holds a tuple when an option is repeated.
    return value if isinstance(value, str) else (value[-1] if value else "")


@contextmanager
def file_lock(database: str | None, timeout: float, purpose: str, *, writes: bool = True) -> Iterator[None]:
    """The SQLite lock: an exclusive OS lock on ``<database>.migrator-lock``; waits up to
    ``timeout`` seconds (0: one try), then raises LockHeld naming the holder."""
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        # An in-memory database is private to this process: nobody to exclude.
        yield
        return
    import fcntl

    # The real path: a symlink to the database (or a path through one) must find the
    # same lock file as the file's own name, or two runs would both hold "the" lock.
    path = sidecar_path(os.path.realpath(database))
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as e:  # a read-only folder, a directory in the way: one line, exit 2
        raise UsageError(f"cannot open the migration lock file {path}: {e.strerror or e}") from None
    try:
        start = time.monotonic()
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                waited = time.monotonic() - start
                if waited >= timeout:
                    raise LockHeld(_file_holder(path), round(waited, 1), kind="file") from None
                time.sleep(min(_POLL_SECONDS, max(timeout - waited, 0.0)))
        _wait_for_write_lock(database, start, timeout, purpose if writes else None)
        _write_holder(fd, f"{holder_label(purpose)} since {now():%Y-%m-%d %H:%M:%S} UTC\n")
        try:
            yield
        finally:
            _write_holder(fd, "")
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _wait_for_write_lock(database: str, start: float, timeout: float, purpose: str | None = "apply") -> None:
    """Wait, within the same ``timeout``, for the database's own write lock when a
    connection that is not a migrator holds it (a long transaction, a ``sqlite3``
    shell): like another migrator, it makes ``apply`` wait and then exit 3, rather
    than fail at its first write with "database is locked". Probed on a connection
    of its own, so the run's connection holds no read lock that SQLite would refuse
    to upgrade without waiting. A database that cannot be written (a read-only file,
    or a read-only folder where SQLite cannot create its rollback journal) is a
    UsageError (exit 2) here, before anything runs, rather than the failure of the
    first step with a journal that cannot record it (``purpose`` None: not probed)."""
    import sqlite3

    if not os.path.exists(database):
        return  # nobody can hold a lock on a file that is not there yet
    remaining = max(timeout - (time.monotonic() - start), 0.0)
    try:
        probe = sqlite3.connect(database, timeout=remaining, isolation_level=None)
    except sqlite3.Error:
        return  # the run's own connection says what is wrong with the file
    try:
        probe.execute("BEGIN IMMEDIATE")
        try:
            if purpose is not None:
                # BEGIN IMMEDIATE succeeds on a read-only file: a write that is rolled back
                # proves the file and its folder (the rollback journal) take writes.
                probe.execute('CREATE TABLE "migrator_write_probe" (x INTEGER)')
        finally:
            probe.execute("ROLLBACK")
    except sqlite3.OperationalError as e:
        if getattr(e, "sqlite_errorcode", 0) & 0xFF == _SQLITE_READONLY:
            raise UsageError(f"cannot {purpose}: the SQLite database {database} is read-only ({e}; "
                             "check the permissions of the file and of its folder); nothing was changed") from None
        if "locked" not in str(e) and "busy" not in str(e):
            return
        raise LockHeld("another connection holding the SQLite database's write lock (not a migrator run)",
                       round(time.monotonic() - start, 1), kind="sqlite") from None
    except sqlite3.Error:
        return
    finally:
        probe.close()


_SQLITE_BUSY_CODES = (5, 6)  # SQLITE_BUSY, SQLITE_LOCKED


def sqlite_busy(error: BaseException) -> bool:
    """True for SQLite's "database is locked" (another connection holds the lock),
    raised by sqlite3 or wrapped by SQLAlchemy."""
    error = getattr(error, "orig", None) or error
    code = getattr(error, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in _SQLITE_BUSY_CODES
    return "database is locked" in str(error)


def sqlite_writer(database: str) -> str:
    """Who holds a SQLite database's write lock, for a reader that could not read it:
    the migrator run named in the lock file, or a connection that is not a migrator."""
    return file_lock_holder(database) or "another connection (not a migrator run)"


def current_holder(conn, dialect: Dialect) -> str | None:
    """Who holds the migration lock of ``conn``'s database now, looked at and never taken;
    None when nobody does (or when the server will not say)."""
    if dialect.lock_kind == "file":
        url = conn.engine.url
        database = sqlite_file(url.database, url.query)
        return file_lock_holder(database) if database else None
    from sqlalchemy.exc import DBAPIError

    try:
        return dialect.lock_holder(conn, LOCK_NAME)
    except DBAPIError:  # no right to read who holds it: say nothing more
        return None
    finally:
        conn.rollback()


def file_lock_holder(database: str) -> str | None:
    """Who holds the migration lock of a SQLite file now, without taking it (a shared
    lock tried and let go at once); None when nobody does. For the read-only commands,
    which tell a step another run is executing now from one a dead run left ``running``."""
    import fcntl

    path = sidecar_path(os.path.realpath(database))
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            try:
                fcntl.flock(f.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:  # held: the file says by whom
                return f.read().strip() or f"a migrator run (lock file {path})"
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)
    except OSError:
        pass
    return None


def _write_holder(fd: int, text: str) -> None:
    # Who holds the lock is for the message of whoever waits; a full disk must not
    # stop the run over it (the flock itself is what excludes).
    try:
        os.ftruncate(fd, 0)
        if text:
            os.pwrite(fd, text.encode(), 0)
    except OSError:
        pass


def _file_holder(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read().strip()
    except OSError:
        text = ""
    return text or f"another process (lock file {path})"
