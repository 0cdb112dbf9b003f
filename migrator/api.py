"""The Python API: one function per command. Returns values; never prints.

The CLI is a thin layer over these functions, and tests call them directly.
SQLAlchemy is imported only inside the functions that talk to a database, so
``validate`` stays fast.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from migrator.errors import DatabaseBusy, DatabaseUnavailable, Issue, MigratorError, PlanInvalid, UsageError

# --- validate / schema / init ------------------------------------------------


@dataclass(frozen=True)
class FileValidation:
    """The outcome of validating one plan file."""

    path: str
    issues: tuple[Issue, ...]
    phases: int = 0
    steps: int = 0

    @property
    def ok(self) -> bool:
        return not self.issues


@dataclass(frozen=True)
class ValidationResults:
    """``validate`` over several files: every problem of every file, in a stable order."""

    files: tuple[FileValidation, ...]

    @property
    def ok(self) -> bool:
        return all(f.ok for f in self.files)

    @property
    def issues(self) -> tuple[Issue, ...]:
        return tuple(i for f in self.files for i in f.issues)

    def lines(self) -> list[str]:
        """``ok FILE: N phases, M steps`` per good file; one line per issue otherwise."""
        out: list[str] = []
        for f in self.files:
            if f.ok:
                out.append(f"ok {f.path}: {_count(f.phases, 'phase')}, {_count(f.steps, 'step')}")
            else:
                out.extend(str(i) for i in f.issues)
        return out


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def validate(paths, *, variables: dict[str, str] | None = None) -> ValidationResults:
    """Validate plan files (schema and semantics); never raises for a bad plan.

    Args:
        paths: plan files.
        variables: ``--var`` overrides, applied to every file.
    """
    from migrator.plan.build import plan_issues

    results = []
    for path in paths:
        issues, phases, steps = plan_issues(str(path), variables)
        results.append(FileValidation(str(path), tuple(issues), phases, steps))
    return ValidationResults(tuple(results))


def load(path: str, variables: dict[str, str] | None = None):
    """Load a plan or raise PlanInvalid (exit 2) with every issue."""
    from migrator.plan.build import load_plan

    return load_plan(str(path), variables)


def schema_text() -> str:
    """The plan format's JSON schema (the document in schemas/plan.schema.json)."""
    from migrator.plan.schema import schema_text as text

    return text()


def init(directory: str = ".", *, name: str = "plan.yaml", force: bool = False) -> Path:
    """Write a commented starter plan into ``directory``; returns its path.

    Refuses (UsageError) to overwrite an existing file unless ``force``.
    """
    from migrator.starter import SCHEMA_FILE, STARTER_PLAN

    target = Path(directory) / name
    if target.exists() and not force:
        raise UsageError(f"{target} already exists (use --force to overwrite it)")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(STARTER_PLAN, encoding="utf-8")
        # The modeline points at a copy beside the plan, so editors work offline.
        (target.parent / SCHEMA_FILE).write_text(schema_text(), encoding="utf-8")
    except OSError as e:
        raise UsageError(f"cannot write {target}: {e.strerror or e}") from None
    return target


# --- lint ----------------------------------------------------------------------


def lint(paths, *, dialect: str = "postgresql", variables: dict[str, str] | None = None):
    """Risk findings of plan files, offline: no database (spec section 7).

    Args:
        paths: plan files.
        dialect: the dialect the SQL is parsed and judged for (``--dialect``);
            a step whose ``when`` excludes it is judged for its own dialect.
        variables: ``--var`` overrides, applied to every file.

    Returns:
        A tuple of :class:`~migrator.report.Finding`, file by file in plan
        order. A finding is *blocking* (``lint`` exits 1) when its severity is
        ``error`` and the step does not ``allow`` it.

    Raises:
        PlanInvalid: one or more files are invalid; it carries every issue of
            every file (exit 2).
        UsageError: unknown dialect (exit 2).
    """
    from migrator.dialects import get_dialect
    from migrator.lint import lint_plan

    try:
        name = get_dialect(dialect).name
    except ValueError as e:
        raise UsageError(f"--dialect {dialect}: {e}") from None
    plans, issues = [], []
    for path in paths:
        try:
            plans.append(load(path, variables))
        except PlanInvalid as e:
            issues += e.issues
    if issues:
        raise PlanInvalid(issues)
    return tuple(f for p in plans for f in lint_plan(p, name))


# --- inspect -------------------------------------------------------------------


def inspect(url: str | None = None):
    """Inspect the database at ``url`` (spec section 9); changes nothing.

    Finds reference-like columns without a foreign key (with their orphan
    counts), foreign keys without an index and tables without a primary key.

    Args:
        url: an SQLAlchemy URL; None means ``$MIGRATOR_DATABASE_URL``, else the default.

    Returns:
        a :class:`migrator.inspect.InspectResult`.
    """
    from migrator.inspect import inspect_database

    with _Database(url, missing_file="error") as db:
        return inspect_database(db.conn)


def write_inspect_plan(result, path: str, *, name: str = "inspect-fixes") -> Path | None:
    """Write the plan that fixes what :func:`inspect` found to ``path``.

    Like ``init``, the schema modeline points at a copy of the JSON schema
    beside the plan, written too. Returns the path, or None (and writes nothing)
    when there is nothing to fix.
    """
    import re

    from migrator.inspect import emit_plan
    from migrator.starter import SCHEMA_FILE

    if not re.fullmatch(r"[a-z0-9][a-z0-9._-]*", name):
        raise UsageError(f"--name {name!r}: a plan name is lower case letters, digits, '.', '_' and '-'")
    if not result.fixable:
        return None
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(emit_plan(result, name=name, schema_ref=SCHEMA_FILE), encoding="utf-8")
        (target.parent / SCHEMA_FILE).write_text(schema_text(), encoding="utf-8")
    except OSError as e:
        raise UsageError(f"cannot write {target}: {e.strerror or e}") from None
    return target


# --- plan / apply / status / rollback / resolve -------------------------------


def _selection(plan, phases=(), steps=(), skips=(), tags=()):
    from migrator.engine.planner import Selection

    selection = Selection(tuple(phases), tuple(steps), tuple(skips), tuple(tags))
    selection.check(plan)
    return selection


def _confirmed(plan, confirm) -> frozenset[str]:
    for step_id in confirm:
        try:
            step = plan.step(step_id)
        except KeyError:
            raise UsageError(f"--confirm {step_id}: no such step in plan {plan.name}") from None
        if step.action_kind != "manual":
            raise UsageError(f"--confirm {step_id}: step {step_id} is not a manual step")
    return frozenset(confirm)


class _Database:
    """An engine, one connection and migrator's dialect object, for one command."""

    def __init__(self, url: str | None, *, missing_file: str = "create", read_only: bool = False):
        from migrator.db import create_engine, engine_dialect, mask, parse_url
        from migrator.dialects import get_dialect
        from migrator.driver import SQLITE_BUSY_TIMEOUT, SQLITE_READ_BUSY_TIMEOUT
        from migrator.urls import resolve_url

        # missing_file: see create_engine; shown is the URL asked for either way.
        # read_only (plan, status, verify): a SQLite writer is waited for briefly, then named.
        self.read_only = read_only
        self.sqlite_timeout = SQLITE_READ_BUSY_TIMEOUT if read_only else SQLITE_BUSY_TIMEOUT
        self.engine = create_engine(url, missing_file=missing_file, sqlite_timeout=self.sqlite_timeout)
        self.shown = mask(parse_url(resolve_url(url)))
        self.dialect = get_dialect(engine_dialect(self.engine))

    def __enter__(self):
        self.conn = self.engine.connect()
        return self

    def __exit__(self, exc_type, exc, tb):
        from sqlalchemy.exc import DBAPIError

        from migrator.urls import first_line

        try:
            self.conn.close()
        except DBAPIError:
            pass  # the connection is already gone; so is its lock
        self.engine.dispose()
        if isinstance(exc, DBAPIError):
            if self.read_only and self.dialect.name == "sqlite":
                from migrator.engine.lock import sqlite_busy, sqlite_file, sqlite_writer

                database = sqlite_file(self.engine.url.database, self.engine.url.query)
                if database and sqlite_busy(exc):
                    raise DatabaseBusy(self.shown, sqlite_writer(database), self.sqlite_timeout) from None
            if self.dialect.names_no_database(exc):
                raise DatabaseUnavailable(self.shown, first_line(exc)) from None
            # Permission denied, a lost connection, a server error outside any step:
            # one line (exit 1), never a traceback.
            raise MigratorError(f"database error on {self.shown}: {first_line(exc)}") from None
        return False


@contextmanager
def _locked_journal(url: str | None, the_plan, journal, lock_timeout: float, purpose: str):
    """The database, locked for ``purpose``, with the journal created and read once.

    Yields ``(db, state)``; the read is committed so the runner starts with no
    transaction open.
    """
    from migrator.engine.lock import acquire

    with _Database(url) as db, acquire(db.conn, db.dialect, lock_timeout, purpose=purpose):
        journal.ensure_table(db.conn, db.dialect)
        state = journal.read_state(db.conn, db.dialect, the_plan.name, known_to_exist=True)
        db.conn.commit()
        yield db, state


def apply_command_line(path, url: str | None = None, *, variables: dict[str, str] | None = None, phases=(),
                       steps=(), skips=(), tags=(), confirm=()) -> str:
    """``migrator apply PLAN`` with the options of this command, for the hints that say how
    to go on (a manual step's ``--confirm``, a failed step to run again); ``confirm``, the
    manual steps this command was told are done, stays confirmed in it.

    ``url`` None (from ``$MIGRATOR_DATABASE_URL`` or the default) is left out, since the
    next command finds it again; a given URL is shown with its password as ``***``.
    """
    from migrator.commandline import apply_command

    return apply_command(str(path), database=url, variables=variables, phases=phases, steps=steps, skips=skips,
                         tags=tags, confirms=confirm)


def resolve_command_line(path, url: str | None = None, *, variables: dict[str, str] | None = None) -> str:
    """``migrator resolve PLAN`` with this command's ``--database`` and ``--var`` (as
    :func:`apply_command_line`), for the hints that name ``resolve``; the engine puts
    ``STEP --applied`` or ``STEP --pending`` right after PLAN (``commandline.with_arguments``)."""
    from migrator.commandline import resolve_command

    return resolve_command(str(path), database=url, variables=variables)


def _journal(table: str | None):
    from migrator.engine.journal import DEFAULT_TABLE, Journal

    return Journal(table or DEFAULT_TABLE)


def plan(path, url: str | None = None, *, variables: dict[str, str] | None = None, phases=(), steps=(), skips=(),
         tags=(), confirm=(), offline: bool = False, dialect: str | None = None, journal_table: str | None = None):
    """The dry run: what ``apply`` would do now, step by step (spec section 5).

    Reads the journal and evaluates the preconditions of the steps that would run,
    read-only; changes nothing and takes no lock. With ``offline`` no database is
    used: every applicable step would run, for ``dialect`` (default postgresql).

    Returns:
        A :class:`~migrator.report.RunReport` with ``command == "plan"``; its
        ``status`` is ``drift`` or ``needs_resolve`` when ``apply`` would stop.
    """
    from dataclasses import replace

    from migrator.engine.dryrun import dry_run
    from migrator.engine.planner import JournalState

    if dialect is not None and not offline:
        # Ignoring it would show another dialect's verdicts than the one asked for.
        raise UsageError(f"--dialect {dialect} goes with --offline; with a database, plan uses the database's dialect")
    the_plan = load(path, variables)
    selection = _selection(the_plan, phases, steps, skips, tags)
    confirmed = _confirmed(the_plan, confirm)
    command = apply_command_line(the_plan.source, url, variables=variables, phases=phases, steps=steps,
                                 skips=skips, tags=tags, confirm=confirm)
    resolve = resolve_command_line(the_plan.source, url, variables=variables)
    if offline:
        from migrator.dialects import dialect_name, get_dialect

        try:
            name = get_dialect(dialect or "postgresql").name
        except ValueError as e:
            raise UsageError(f"--dialect {dialect}: {e}") from None
        return dry_run(the_plan, JournalState(), dialect_name(name), selection, confirmed=confirmed,
                       apply_command=command, resolve_command=resolve)
    with _Database(url, missing_file="empty", read_only=True) as db:
        state = _journal(journal_table).read_state(db.conn, db.dialect, the_plan.name)
        db.conn.rollback()
        report = dry_run(the_plan, state, db.dialect.name, selection, confirmed=confirmed, conn=db.conn,
                         apply_command=command, resolve_command=resolve)
        report = _running_now(report, state, db)
    return replace(report, database=db.shown)


def _running_now(report, state, db):
    """The dry run, with each step the journal shows ``running`` said to be running now
    when another run holds the migration lock (``plan`` takes no lock, so it reads a live
    apply's progress rows): that step is in progress, not interrupted."""
    from dataclasses import replace

    from migrator.engine.lock import current_holder

    running = {step for step, entry in state.entries.items() if entry.status == "running"}
    if not running:
        return report
    holder = current_holder(db.conn, db.dialect)
    if holder is None:
        return report
    why = f"running now: {holder} holds the migration lock; if that run stops here, apply then: "
    phases = tuple(
        replace(phase, steps=tuple(
            replace(s, reason=why + s.reason) if s.step in running and s.verdict == "resume" else s
            for s in phase.steps))
        for phase in report.phases)
    return replace(report, phases=phases)


def apply(path, url: str | None = None, *, variables: dict[str, str] | None = None, phases=(), steps=(), skips=(),
          tags=(), confirm=(), yes: bool = False, lock_timeout: float = 30.0, dry_run: bool = False, ask=None,
          progress=None, journal_table: str | None = None):
    """Apply a plan: take the lock, read the journal once, decide every step, then run.

    Args:
        path: the plan file.
        url: SQLAlchemy database URL (default: ``$MIGRATOR_DATABASE_URL``, else SQLite).
        variables: ``--var`` overrides.
        phases, steps, skips, tags: the selection (``--phase/--step/--skip/--tag``).
        confirm: manual steps confirmed as done (``--confirm``).
        yes: never ask (a manual step then waits: exit 3).
        lock_timeout: seconds to wait for another run's lock (then LockHeld, exit 3).
        dry_run: the same as :func:`plan`.
        ask: ``ask(text) -> bool``, how to ask a person (None: not a terminal).
        progress: called with :class:`~migrator.engine.batches.Progress` during batches.

    Returns:
        The :class:`~migrator.report.RunReport`; ``report.exit_code`` per spec section 11.
    """
    from dataclasses import replace

    from migrator.engine.planner import decide
    from migrator.engine.shortcut import settled_apply

    if dry_run:
        return plan(path, url, variables=variables, phases=phases, steps=steps, skips=skips, tags=tags,
                    confirm=confirm, journal_table=journal_table)
    the_plan = load(path, variables)
    selection = _selection(the_plan, phases, steps, skips, tags)
    confirmed = _confirmed(the_plan, confirm)
    journal = _journal(journal_table)
    command = apply_command_line(the_plan.source, url, variables=variables, phases=phases, steps=steps,
                                 skips=skips, tags=tags, confirm=confirm)
    resolve = resolve_command_line(the_plan.source, url, variables=variables)
    # Nothing to run (the usual re-apply in a pipeline): answered through the driver,
    # without loading SQLAlchemy; otherwise (None) the full way below.
    settled = settled_apply(the_plan, url, journal, selection, confirmed, apply_command=command,
                            resolve_command=resolve)
    if settled is not None:
        return settled
    from migrator.engine.runner import RunOptions, Runner  # imports SQLAlchemy

    with _locked_journal(url, the_plan, journal, lock_timeout, "apply") as (db, state):
        xp = decide(the_plan, state, db.dialect.name, selection, confirmed=confirmed, resolve_command=resolve)
        options = RunOptions(ask=None if yes else ask, progress=progress, apply_command=command,
                             resolve_command=resolve)
        report = Runner(xp, db.conn, db.dialect, journal, state, options).run()
    return replace(report, database=db.shown)


def status(path, url: str | None = None, *, variables: dict[str, str] | None = None, phases=(), steps=(), skips=(),
           tags=(), journal_table: str | None = None):
    """Each step's state from the journal, drift marked; read-only, no lock.

    Args:
        phases, steps, skips, tags: the selection (``--phase/--step/--skip/--tag``),
            as for :func:`apply`: only the selected steps are listed, in the phases
            that keep one, and drift among the others is not reported.

    Raises:
        UsageError: an id or tag the plan does not have (exit 2).
    """
    from dataclasses import replace

    from migrator.engine.outcomes import status_report
    from migrator.engine.shortcut import driver_status

    the_plan = load(path, variables)
    selection = _selection(the_plan, phases, steps, skips, tags)
    journal = _journal(journal_table)
    report = driver_status(the_plan, url, journal, selection)  # without loading SQLAlchemy, where it can
    if report is not None:
        return report
    with _Database(url, missing_file="empty", read_only=True) as db:
        state = journal.read_state(db.conn, db.dialect, the_plan.name)
        db.conn.rollback()
    return replace(status_report(the_plan, state, db.dialect.name, selection), database=db.shown)


def verify(path, url: str | None = None, *, variables: dict[str, str] | None = None, phases=(), steps=(), skips=(),
           tags=(), journal_table: str | None = None):
    """Run the ``verify`` checks of the applied steps and of complete phases now.

    Read-only: no lock, no journal write, no table created; the checks run in a
    transaction that is rolled back. A step that is not applied is listed with why
    its checks did not run; a phase's checks run when the selection covers the whole
    phase and every applicable, non-optional step of it is applied. ``unchanged``
    checks are not evaluated (they compare before and after a step).

    Returns:
        A :class:`~migrator.report.RunReport` with ``command == "verify"``; its
        ``status`` is ``failed`` (exit 1) when a check failed.
    """
    from dataclasses import replace

    from migrator.engine.verification import verify_report

    the_plan = load(path, variables)
    selection = _selection(the_plan, phases, steps, skips, tags)
    with _Database(url, missing_file="empty", read_only=True) as db:
        state = _journal(journal_table).read_state(db.conn, db.dialect, the_plan.name)
        db.conn.rollback()
        report = verify_report(the_plan, state, db.dialect.name, selection, db.conn)
    return replace(report, database=db.shown)


def rollback(path, url: str | None = None, *, to: str | None = None, last: int | None = None, yes: bool = False,
             ask=None, variables: dict[str, str] | None = None, lock_timeout: float = 30.0,
             journal_table: str | None = None):
    """Run the ``rollback`` of applied steps, newest first (``--to STEP`` keeps STEP).

    Refuses before running anything when a step in the range has no rollback.
    Without ``yes``, ``ask(text) -> bool`` must confirm (None: not a terminal,
    which is a UsageError, exit 2).
    """
    from dataclasses import replace

    from migrator.engine.repair import describe_targets, rollback_targets, run_rollback
    from migrator.report import RunReport

    the_plan = load(path, variables)
    journal = _journal(journal_table)
    with _locked_journal(url, the_plan, journal, lock_timeout, "rollback") as (db, state):
        targets = rollback_targets(the_plan, state, to=to, last=last, dialect=db.dialect.name)
        if not targets:
            report = RunReport(command="rollback", plan=the_plan.name, source=the_plan.source, phases=(),
                               message="nothing to roll back", dialect=db.dialect.name)
        elif not yes and ask is None:
            raise UsageError("rollback needs --yes when it cannot ask (not a terminal)")
        elif not yes and not ask(describe_targets(targets) + "\n\nRoll them back?"):
            report = RunReport(command="rollback", plan=the_plan.name, source=the_plan.source, phases=(),
                               status="cancelled", message="rollback cancelled; nothing was changed",
                               dialect=db.dialect.name)
        else:
            report = run_rollback(the_plan, state, targets, db.conn, db.dialect, journal)
    return replace(report, database=db.shown)


def resolve(path, step: str, url: str | None = None, *, applied: bool, variables: dict[str, str] | None = None,
            lock_timeout: float = 30.0, journal_table: str | None = None):
    """Record a decision by hand (repair), under the migration lock.

    Args:
        path: the plan file.
        step: a step id: the step is recorded as applied (``marked_applied``), or as
            pending (it runs again from its first statement). Or a phase id: the phase's
            ``verify`` is accepted as it is (the next ``apply`` goes on past a verify
            that failed), or pending (the next ``apply`` runs it again).
        url: SQLAlchemy database URL (default: ``$MIGRATOR_DATABASE_URL``, else SQLite).
        applied: True for ``--applied``, False for ``--pending``.

    Raises:
        UsageError: an id that is neither a step nor a phase of the plan, or a phase
            without ``verify`` checks (exit 2).
    """
    from dataclasses import replace

    from migrator.engine.repair import resolve_phase, resolve_step

    the_plan = load(path, variables)
    if not the_plan.has_id(step):
        raise UsageError(f"resolve {step}: no such step or phase in plan {the_plan.name}")
    is_phase = any(p.id == step for p in the_plan.phases)
    if is_phase and not the_plan.phase(step).verify:
        raise UsageError(f"resolve {step}: phase {step} has no verify checks, so there is nothing to resolve")
    journal = _journal(journal_table)
    with _locked_journal(url, the_plan, journal, lock_timeout, "resolve") as (db, state):
        record = resolve_phase if is_phase else resolve_step
        report = record(the_plan, state, step, db.conn, db.dialect, journal, applied=applied)
    return replace(report, database=db.shown)


# --- test -----------------------------------------------------------------------


def test_plan(path, url: str | None = None, *, setup=None, variables: dict[str, str] | None = None,
              lock_timeout: float = 30.0, journal_table: str | None = None):
    """Prove a plan on a scratch database (spec section 8): apply it with every manual
    step confirmed, run each ``idempotent: true`` step a second time, roll back each
    step that has a ``rollback`` newest first, and apply again.

    Args:
        path: the plan file.
        url: the scratch database; it must hold no journal for the plan (else
            UsageError, exit 2). None: a temporary SQLite file, removed afterwards
            (``$MIGRATOR_DATABASE_URL`` is never used: a test must not touch a
            database nobody named). A given database is left with the plan applied.
        setup: a plan applied first that builds the database the plan starts from
            (e.g. ``plans/seed-app/setup.yaml``); not proved itself.
        variables: ``--var`` overrides, for the plan and the setup plan.
        lock_timeout: seconds to wait for the migration lock (then LockHeld, exit 3).

    Returns:
        A :class:`~migrator.prove.proof.ProofReport`; ``report.exit_code`` is 1 when a proof failed.
    """
    from migrator.engine.lock import acquire
    from migrator.prove.runner import TEMPORARY_DATABASE, prove, scratch_database

    the_plan = load(path, variables)
    setup_plan = load(setup, variables) if setup else None
    journal = _journal(journal_table)
    with scratch_database(url) as scratch, _Database(scratch) as db:
        with acquire(db.conn, db.dialect, lock_timeout, purpose="test"):
            shown = db.shown if url else TEMPORARY_DATABASE
            return prove(the_plan, db.conn, db.dialect, journal, database=shown, setup=setup_plan)


test_plan.__test__ = False  # not a pytest test, though its name starts with "test"
