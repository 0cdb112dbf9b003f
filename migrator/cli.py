"""The ``migrator`` command: a thin click layer over :mod:`migrator.api`.

Each command turns options into an ``api`` call, renders the result and picks
the exit code. Expected failures are :class:`MigratorError` (exit code on the
class); anything else is a bug: one line, the traceback only with ``-v``, exit 70.

Imports of the API, SQLAlchemy and the renderers happen inside the commands, so
``migrator --help`` and ``migrator validate`` stay fast.
"""
from __future__ import annotations

import contextlib
import os
import sys
from dataclasses import dataclass, field

import click

from migrator import __version__
from migrator.errors import MigratorError, PlanInvalid, StepInterrupted, UsageError

EXIT_BUG = 70
EXIT_INTERRUPTED = 130
FORMATS = ("text", "markdown", "json")


@dataclass
class Settings:
    """Options given before the command (``migrator [--database URL] [-v|-q] COMMAND``)."""

    database: str | None = None
    verbosity: int = 0
    extra: dict = field(default_factory=dict)


def _parse_vars(values: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"--var {item!r}: expected name=value")
        out[name.strip()] = value
    return out


def _shows_escapes(stream) -> bool:
    """A terminal that takes ANSI codes (colours, a progress bar's cursor moves): not a
    pipe or file, and not ``TERM=dumb`` (Emacs shell, some CI consoles)."""
    return stream.isatty() and os.environ.get("TERM") != "dumb"


def _color() -> bool:
    # NO_COLOR as no-color.org has it: set and not empty.
    return _shows_escapes(sys.stdout) and not os.environ.get("NO_COLOR")


def _database(ctx: click.Context, database: str | None) -> str | None:
    return database or ctx.find_object(Settings).database


def _echo_lines(text: str, err: bool = False) -> None:
    if text:
        click.echo(text.rstrip("\n"), err=err)


def _nonempty_url(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    # `--database "$PROD_URL"` with the variable unset must not fall back to the
    # default SQLite file and report success there: an empty URL is a mistake.
    if value is not None and not value.strip():
        raise click.BadParameter("the URL is empty (leave the option out to use $MIGRATOR_DATABASE_URL or the default)", param=param)
    return value


# Reusable option sets, so every command spells them the same way.
database_option = click.option(
    "--database", "-d", "database", metavar="URL", callback=_nonempty_url,
    help="SQLAlchemy URL (default: $MIGRATOR_DATABASE_URL, else sqlite:///migrator.sqlite).",
)
var_option = click.option("--var", "variables", multiple=True, metavar="NAME=VALUE", help="Override a plan variable (repeatable).")
format_option = click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True, help="Output format.")


class DialectChoice(click.Choice):
    """A dialect name as plans spell it (spec section 2); the URL schemes' other names
    (``postgres://``, ``mariadb://``, spec section 5) are taken for the same dialect."""

    ALIASES = {"postgres": "postgresql", "mariadb": "mysql"}

    def __init__(self) -> None:
        super().__init__(("sqlite", "postgresql", "mysql"))

    def convert(self, value, param, ctx):
        return super().convert(self.ALIASES.get(value, value) if isinstance(value, str) else value, param, ctx)


def selection_options(fn):
    """--phase/--step/--skip/--tag: which parts of the plan a command works on."""
    fn = click.option("--tag", "tags", multiple=True, metavar="TAG", help="Only steps with this tag (repeatable).")(fn)
    fn = click.option("--skip", "skips", multiple=True, metavar="ID", help="Leave out this phase or step (repeatable).")(fn)
    fn = click.option("--step", "steps", multiple=True, metavar="ID", help="Only this step (repeatable).")(fn)
    fn = click.option("--phase", "phases", multiple=True, metavar="ID", help="Only this phase (repeatable).")(fn)
    return fn


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="migrator")
@database_option
@click.option("-v", "--verbose", "verbose", count=True, help="More output (python steps' debug logs, tracebacks of internal errors).")
@click.option("-q", "--quiet", "quiet", is_flag=True, help="Only errors.")
@click.pass_context
def cli(ctx: click.Context, database: str | None, verbose: int, quiet: bool) -> None:
    """Declarative, YAML-driven database migrations.

    A plan file declares phases, steps, preconditions and verifications;
    migrator validates it, shows what would run, and applies it with a journal,
    a lock and per-step transactions.
    """
    ctx.obj = Settings(database=database, verbosity=-1 if quiet else verbose)


@cli.command()
@click.argument("plans", nargs=-1, required=True, type=click.Path())  # a directory is reported with the other problems
@var_option
@click.pass_context
def validate(ctx: click.Context, plans: tuple[str, ...], variables: tuple[str, ...]) -> None:
    """Check plan files against the schema and the semantic rules."""
    from migrator import api

    results = api.validate(plans, variables=_parse_vars(variables))
    for line in results.lines() if not _quiet(ctx) else [str(i) for i in results.issues]:  # -q: only errors
        _echo_lines(line, err=not results.ok)
    ctx.exit(0 if results.ok else 2)


@cli.command("lint")
@click.argument("plans", nargs=-1, required=True, type=click.Path())  # a directory is reported with the other problems
@click.option("--dialect", default="postgresql", show_default=True, type=DialectChoice(),
              help="Dialect the SQL is judged for (postgres and mariadb are taken for postgresql and mysql).")
@format_option
@var_option
@click.pass_context
def lint_command(ctx: click.Context, plans: tuple[str, ...], dialect: str, fmt: str, variables: tuple[str, ...]) -> None:
    """Risk findings for the plans' SQL, offline; exit 1 on an error not accepted by `allow`."""
    from migrator import api
    from migrator.render import render_findings

    findings = api.lint(plans, dialect=dialect, variables=_parse_vars(variables))
    if _quiet(ctx) and fmt == "text":  # -q: only the findings that fail the command, as for the others
        findings_shown = [f for f in findings if f.blocking]
        if findings_shown:
            _echo_lines(render_findings(findings_shown, fmt, color=_color()))
    else:
        _echo_lines(render_findings(findings, fmt, color=_color() and fmt == "text"))
    ctx.exit(1 if any(f.blocking for f in findings) else 0)


@cli.command()
def schema() -> None:
    """Print the plan format's JSON schema."""
    from migrator import api

    click.echo(api.schema_text(), nl=False)


@cli.command()
@click.argument("directory", required=False, default=".", type=click.Path(file_okay=False))
@click.option("--name", default="plan.yaml", show_default=True, help="File name of the starter plan.")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@click.pass_context
def init(ctx: click.Context, directory: str, name: str, force: bool) -> None:
    """Write a commented starter plan that passes validate."""
    from migrator import api

    path = api.init(directory, name=name, force=force)
    if not _quiet(ctx):
        click.echo(f"wrote {path}")


@cli.command()
@database_option
@click.option("--format", "fmt", type=click.Choice(("text", "json")), default="text", show_default=True, help="Output format.")
@click.option("--emit-plan", "emit_plan", metavar="FILE", type=click.Path(dir_okay=False), help="Write a plan that fixes what was found.")
@click.option("--name", "plan_name", default="inspect-fixes", show_default=True, help="Name of the emitted plan.")
@click.pass_context
def inspect(ctx: click.Context, database: str | None, fmt: str, emit_plan: str | None, plan_name: str) -> None:
    """Find missing foreign keys and indexes, and tables without a primary key."""
    import json

    from migrator import api
    from migrator.inspect import render_text

    result = api.inspect(_database(ctx, database))
    # The plan is written before anything is shown: a bad --name or path is then
    # one error line and exit 2, not a full report followed by an error.
    written = api.write_inspect_plan(result, emit_plan, name=plan_name) if emit_plan else None
    _echo_lines(json.dumps(result.to_dict(), indent=2) if fmt == "json"
                else render_text(result, plan_written=written is not None))
    if emit_plan and not _quiet(ctx):
        # On stderr, so that --format json output stays one JSON document.
        click.echo(f"wrote {written}" if written else "nothing to fix: no plan written", err=True)


# --- plan / apply / status / rollback / resolve -------------------------------

plan_argument = click.argument("plan_file", metavar="PLAN", type=click.Path(dir_okay=False))
def _seconds(_ctx, param, value: float) -> float:
    # FloatRange lets nan (and inf) through: every comparison with nan is false.
    if value != value or value == float("inf"):
        raise click.BadParameter(f"{value} is not a number of seconds", param=param)
    return value


lock_timeout_option = click.option(
    "--lock-timeout", type=click.FloatRange(min=0), default=30.0, show_default=True, metavar="SECONDS",
    callback=_seconds, help="How long to wait for another run's lock before giving up (exit 3).",
)
confirm_option = click.option("--confirm", "confirm", multiple=True, metavar="STEP",
                              help="This manual step is done (repeatable).")
yes_option = click.option("--yes", "-y", is_flag=True, help="Never ask; a manual step then stops the run (exit 3).")
rollback_yes_option = click.option("--yes", "-y", is_flag=True,
                                   help="Roll back without asking (needed without a terminal, else exit 2).")


def _plan_args(ctx: click.Context, database, variables, phases=(), steps=(), skips=(), tags=()) -> dict:
    """The keyword arguments every plan command passes on to the API."""
    return dict(url=_database(ctx, database), variables=_parse_vars(variables), phases=phases, steps=steps,
                skips=skips, tags=tags)


def _ask(progress: _BatchProgress | None = None):
    """A yes/no question (default no) on stderr when stdin and stderr are a terminal;
    None when nobody could see or answer it (scripts, CI, ``2>log``)."""
    if not (sys.stdin.isatty() and sys.stderr.isatty()):
        return None

    def ask(text: str) -> bool:
        if progress is not None:
            progress.close()  # a bar left by a failed optional batch step: the question starts on its own line
        try:
            return click.confirm(text, default=False, err=True)
        except click.Abort as e:
            click.echo(err=True)  # ^C or ^D left the cursor after the question
            if isinstance(e.__context__, EOFError):
                return False  # end of input gives the default answer, as an empty line does
            raise

    return ask


def _quiet(ctx: click.Context) -> bool:
    return ctx.find_object(Settings).verbosity < 0


def _show(ctx: click.Context, report, fmt: str) -> None:
    from migrator.render import render

    if _quiet(ctx) and fmt == "text":  # -q: only errors (JSON and Markdown are asked-for output)
        if not report.ok and report.message:
            _echo_lines(report.message, err=True)
        return
    _echo_lines(render(report, fmt, color=_color() and fmt == "text"))


class _BatchProgress:
    """Batch progress: a click progress bar on a terminal, log lines otherwise."""

    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet
        self.tty = _shows_escapes(sys.stderr)
        self.bar = None
        self.step = None
        self.last_line = 0.0

    def __call__(self, p) -> None:
        import time

        if self.quiet:
            return
        if self.tty and p.total and p.position <= p.total:  # past its total a full bar tells nothing
            if self.bar is None or self.step != p.step:  # closed early when other output came
                self.close()
                self.step = p.step
                self.bar = click.progressbar(length=p.total, label=f"{p.step}", file=sys.stderr, show_eta=True,
                                             show_pos=True)
                self.bar.__enter__()
            self.bar.update(min(p.position, p.total) - self.bar.pos)
            if p.done:
                self.close()
            return
        self.close()
        now = time.monotonic()
        if p.done or p.batches <= 1 or now - self.last_line >= 1.0:
            self.last_line = now
            from migrator.report import plural

            rate = f", {p.rate:,.0f} rows/s" if p.rate else ""
            if p.total is None:
                rows = plural(p.rows, "row")
            elif p.position > p.total:  # "11,756 of 10 rows, ETA 0s" would say it is nearly done
                rows = f"{plural(p.position, 'row')}, more than the {p.total:,} the total query counted"
                if not p.done:  # a statement that never reaches 0 rows runs until stopped
                    rows += " (does the statement's WHERE skip rows already done?)"
            else:  # like with like: the total was counted at this apply's start
                rows = f"{p.position:,} of {plural(p.total, 'row')}"
                if p.rows != p.position:
                    rows += f" ({p.rows:,} since the step's attempt began)"
            eta = f", ETA {p.eta:.0f}s" if p.eta is not None and not p.done else ""
            state = "stopped by max_batches" if p.stopped else "done" if p.done else "running"
            click.echo(f"{p.step}: {state}: {plural(p.batches, 'batch', 'batches')}, {rows}{rate}{eta}", err=True)

    def close(self) -> None:
        """End the bar's line. Also called before other output: the runner reports no end
        for a batch step that fails, and an optional one lets the run go on."""
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


@contextlib.contextmanager
def _step_logs(ctx: click.Context, progress: _BatchProgress | None = None):
    """python steps' ``ctx.log`` ("migrator.step.<id>") on stderr while a command runs:
    errors only with -q, debug too with -v; each record on a line of its own."""
    import logging

    class Handler(logging.StreamHandler):
        def emit(self, record: logging.LogRecord) -> None:
            if progress is not None:
                progress.close()
            super().emit(record)

    verbosity = ctx.find_object(Settings).verbosity
    handler = Handler(sys.stderr)  # the stderr of this run (tests replace it between runs)
    handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    handler.setLevel(logging.ERROR if verbosity < 0 else logging.DEBUG if verbosity > 0 else logging.INFO)
    logger = logging.getLogger("migrator")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(handler.level)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


@cli.command("plan")
@plan_argument
@database_option
@var_option
@selection_options
@format_option
@click.option("--offline", is_flag=True, help="Without a database: every applicable step would run.")
@click.option("--dialect", type=DialectChoice(),
              help="Dialect for --offline (default postgresql; postgres and mariadb are taken for postgresql and mysql).")
@click.option("--detailed-exitcode", is_flag=True, help="Exit 4 when steps would run, 0 when nothing is pending.")
@confirm_option
@click.pass_context
def plan_command(ctx, plan_file, database, variables, phases, steps, skips, tags, fmt, offline, dialect, detailed_exitcode,
                 confirm):
    """The dry run: what apply would do now, with the SQL and the risks."""
    from migrator import api

    report = api.plan(plan_file, **_plan_args(ctx, database, variables, phases, steps, skips, tags), offline=offline,
                      dialect=dialect, confirm=confirm)
    _show(ctx, report, fmt)
    ctx.exit(4 if detailed_exitcode and report.ok and report.pending else report.exit_code)


@cli.command("apply")
@plan_argument
@database_option
@var_option
@selection_options
@format_option
@lock_timeout_option
@yes_option
@confirm_option
@click.option("--report", "report_file", metavar="FILE", type=click.Path(dir_okay=False), help="Write the Markdown summary report.")
@click.option("--dry-run", is_flag=True, help="Only show what would run (the same as `migrator plan`).")
@click.pass_context
def apply_command(ctx, plan_file, database, variables, phases, steps, skips, tags, fmt, lock_timeout, yes, confirm, report_file, dry_run):
    """Apply a plan: lock, journal, per-step transactions, checks."""
    from migrator import api

    if report_file:
        _check_writable(report_file)  # before the run, not after it changed the database
    progress = _BatchProgress(quiet=_quiet(ctx))
    try:
        with _step_logs(ctx, progress):
            report = api.apply(plan_file, **_plan_args(ctx, database, variables, phases, steps, skips, tags),
                               confirm=confirm, yes=yes, lock_timeout=lock_timeout, dry_run=dry_run,
                               ask=None if yes else _ask(progress), progress=progress)
    finally:
        progress.close()
    _show(ctx, report, fmt)
    if report_file:
        _write_summary(report, report_file)
    ctx.exit(report.exit_code)


def _check_writable(path: str) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise UsageError(f"cannot write report {path}: no such directory {folder}")
    if not os.access(folder, os.W_OK) or (os.path.exists(path) and not os.access(path, os.W_OK)):
        raise UsageError(f"cannot write report {path}: permission denied")


def _write_summary(report, path: str) -> None:
    import datetime

    from migrator.render import render_summary

    try:
        with open(path, "w", encoding="utf-8") as f:
            # A run's report is a record of that day, as the seed's summary is.
            f.write(render_summary(report, date=datetime.date.today().isoformat()))
    except OSError as e:
        raise UsageError(f"cannot write report {path}: {e.strerror or e}") from None


@cli.command("status")
@plan_argument
@database_option
@var_option
@selection_options
@format_option
@click.pass_context
def status_command(ctx, plan_file, database, variables, phases, steps, skips, tags, fmt):
    """Each step's state from the journal: applied at, by, duration, drift."""
    from migrator import api

    _show(ctx, api.status(plan_file, **_plan_args(ctx, database, variables, phases, steps, skips, tags)), fmt)


@cli.command("verify")
@plan_argument
@database_option
@var_option
@selection_options
@format_option
@click.pass_context
def verify_command(ctx, plan_file, database, variables, phases, steps, skips, tags, fmt):
    """Run the verify checks of applied steps and phases now; changes nothing."""
    from migrator import api

    report = api.verify(plan_file, **_plan_args(ctx, database, variables, phases, steps, skips, tags))
    _show(ctx, report, fmt)
    ctx.exit(report.exit_code)


@cli.command("rollback")
@plan_argument
@database_option
@var_option
@format_option
@lock_timeout_option
@rollback_yes_option
@click.option("--to", "to", metavar="STEP", help="Roll back the steps applied after STEP (STEP stays applied).")
@click.option("--last", "last", type=click.IntRange(min=1), metavar="N", help="Roll back the N newest applied steps.")
@click.pass_context
def rollback_command(ctx, plan_file, database, variables, fmt, lock_timeout, yes, to, last):
    """Run the rollback of applied steps, newest first."""
    from migrator import api

    report = api.rollback(plan_file, _database(ctx, database), to=to, last=last, yes=yes, ask=_ask(),
                          variables=_parse_vars(variables), lock_timeout=lock_timeout)
    _show(ctx, report, fmt)
    ctx.exit(report.exit_code)


@cli.command("resolve")
@plan_argument
@click.argument("step", metavar="STEP|PHASE")
@database_option
@var_option
@lock_timeout_option
@click.option("--applied", "applied", is_flag=True,
              help="Record the step as applied; for a phase, accept its verify as it is.")
@click.option("--pending", "pending", is_flag=True,
              help="Record the step as pending (it runs again from the start); for a phase, make its verify run again.")
# Spec section 5 lists --yes among the shared options: resolve never asks, but a
# script that passes --yes to every command that changes the database must not fail.
@click.option("--yes", "-y", "_yes", is_flag=True, help="Never ask (resolve does not ask; accepted like apply's).")
@format_option
@click.pass_context
def resolve_command(ctx, plan_file, step, database, variables, lock_timeout, applied, pending, _yes, fmt):
    """Record by hand that a step is applied or pending, or accept a phase's failed verify (repair)."""
    from migrator import api

    # Two flags, not a click --applied/--pending pair: with a pair the last one given
    # silently wins, and a repair of the journal must not guess between opposites.
    if applied and pending:
        raise UsageError("resolve takes one of --applied or --pending, not both")
    if not applied and not pending:
        raise UsageError("resolve needs --applied or --pending")
    report = api.resolve(plan_file, step, _database(ctx, database), applied=applied, variables=_parse_vars(variables), lock_timeout=lock_timeout)
    if fmt != "text":  # the document report.schema.json describes (command "resolve"), or Markdown
        _show(ctx, report, fmt)
    elif not _quiet(ctx):
        _echo_lines(report.message or "")


@cli.command("test")
@plan_argument
@click.option("--database", "-d", "database", metavar="URL", callback=_nonempty_url,
              help="The scratch database; it must hold no journal for the plan (default: a temporary SQLite file, "
                   "never $MIGRATOR_DATABASE_URL).")
@click.option("--setup", "setup", metavar="PLAN", type=click.Path(dir_okay=False),
              help="A plan applied first to build the database the plan starts from (not proved itself).")
@var_option
@format_option
@lock_timeout_option
@click.pass_context
def test_command(ctx, plan_file, database, setup, variables, fmt, lock_timeout):
    """Prove idempotent steps and rollbacks on a scratch database (default: a temporary SQLite file)."""
    from migrator import api
    from migrator.prove.render import render, render_failures

    with _step_logs(ctx):
        report = api.test_plan(plan_file, _database(ctx, database), setup=setup, variables=_parse_vars(variables),
                               lock_timeout=lock_timeout)
    if _quiet(ctx) and fmt == "text":  # -q: only errors, as for the other commands
        _echo_lines(render_failures(report), err=True)
    else:
        _echo_lines(render(report, fmt))
    ctx.exit(report.exit_code)

def _set_verbose(ctx: click.Context, _param, value: int) -> None:
    if value:
        ctx.find_object(Settings).verbosity = value


def _set_quiet(ctx: click.Context, _param, value: bool) -> None:
    if value:
        ctx.find_object(Settings).verbosity = -1


# -v/-q are the group's options; people also type them after the command
# (`migrator apply plan.yaml -q`), so every command accepts them too.
for _command in cli.commands.values():
    _command.params += [
        click.Option(["-v", "--verbose"], count=True, expose_value=False, callback=_set_verbose, help="More output."),
        click.Option(["-q", "--quiet"], is_flag=True, expose_value=False, callback=_set_quiet, help="Only errors."),
    ]


#: Allocations between collections of the youngest generation while a command runs.
_YOUNG_GENERATION = 50_000


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI and map failures to exit codes."""
    import gc

    # A command's start-up (SQLAlchemy and the driver, the plan's model) creates tens of
    # thousands of objects that live until it exits; collecting the young generation every
    # 700 allocations (Python's default) walks them again and again, ~10% of a short
    # command's time (benchmarks/notes.md). A larger young generation makes collections
    # rare, not absent: a long batch run still collects its cycles.
    threshold = gc.get_threshold()
    gc.set_threshold(max(threshold[0], _YOUNG_GENERATION), *threshold[1:])
    try:
        return _run(argv)
    finally:
        gc.set_threshold(*threshold)


def _click_error_line(e: click.ClickException) -> str:
    """``Missing argument 'PLAN' (see `migrator apply --help`)``: click's message, and
    where the command's options are described."""
    message = " ".join(e.format_message().split())  # click wraps some messages over lines
    ctx = getattr(e, "ctx", None)
    if isinstance(e, click.UsageError) and ctx is not None:
        return f"{message.rstrip('.')} (see `{ctx.command_path} --help`)"
    return message


def _run(argv: list[str] | None) -> int:
    verbose = any(a in ("-v", "--verbose", "-vv") for a in (argv if argv is not None else sys.argv[1:]))
    try:
        code = cli.main(args=argv, prog_name="migrator", standalone_mode=False)
    except click.exceptions.Exit as e:
        return e.exit_code
    except click.Abort as e:
        # click turns a Ctrl-C outside a step into Abort (after a blank line that ends the
        # terminal's ^C); a prompt cut short by end of input stays "aborted".
        interrupted = isinstance(e.__cause__ or e.__context__, KeyboardInterrupt)
        click.echo("migrator: interrupted" if interrupted else "migrator: aborted", err=True)
        return EXIT_INTERRUPTED
    except click.ClickException as e:
        # One line, like every other bad input: click's own form is the usage, a hint and
        # the error on four lines.
        click.echo(f"migrator: {_click_error_line(e)}", err=True)
        return 2
    except PlanInvalid as e:
        for line in e.lines():  # each already starts with file:line:col
            click.echo(line, err=True)
        return e.exit_code
    except MigratorError as e:
        if isinstance(e, StepInterrupted):
            click.echo(err=True)  # ends the terminal's ^C, as click does for a Ctrl-C outside a step
        for line in e.lines():
            click.echo(f"migrator: {line}", err=True)
        return e.exit_code
    except KeyboardInterrupt:
        click.echo("migrator: interrupted", err=True)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return 0
    except Exception as e:  # anything else is a bug in migrator, not bad input
        if verbose:
            import traceback

            traceback.print_exc()
        click.echo(
            f"migrator: internal error (a bug, please report it): {type(e).__name__}: {e}"
            + ("" if verbose else " (run with -v for the traceback)"),
            err=True,
        )
        return EXIT_BUG
    # click returns the Exit code (ctx.exit) or the command's return value.
    return code if isinstance(code, int) else 0

