"""The ``migrator`` command: a thin click layer over :mod:`migrator.api`.

Each command turns options into an ``api`` call, renders the result and picks
the exit code. Expected failures are :class:`MigratorError` (exit code on the
class); anything else is a bug: one line, the traceback only with ``-v``, exit 70.

Imports of the API, SQLAlchemy and the renderers happen inside the commands, so
``migrator --help`` and ``migrator validate`` stay fast.
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field

import click

from migrator import __version__
from migrator.errors import MigratorError, UsageError

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


def _color() -> bool:
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def _database(ctx: click.Context, database: str | None) -> str | None:
    return database or ctx.find_object(Settings).database


def _echo_lines(text: str, err: bool = False) -> None:
    if text:
        click.echo(text.rstrip("\n"), err=err)


# Reusable option sets, so every command spells them the same way.
database_option = click.option(
    "--database", "-d", "database", metavar="URL", help="SQLAlchemy URL (default: $MIGRATOR_DATABASE_URL, else sqlite:///migrator.sqlite)."
)
var_option = click.option("--var", "variables", multiple=True, metavar="NAME=VALUE", help="Override a plan variable (repeatable).")
format_option = click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True, help="Output format.")


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
@click.option("-v", "--verbose", "verbose", count=True, help="More output (tracebacks of internal errors).")
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
@click.argument("plans", nargs=-1, required=True, type=click.Path(dir_okay=False))
@var_option
@click.pass_context
def validate(ctx: click.Context, plans: tuple[str, ...], variables: tuple[str, ...]) -> None:
    """Check plan files against the schema and the semantic rules."""
    from migrator import api

    results = api.validate(plans, variables=_parse_vars(variables))
    for line in results.lines():
        _echo_lines(line, err=not results.ok)
    ctx.exit(0 if results.ok else 2)


@cli.command()
def schema() -> None:
    """Print the plan format's JSON schema."""
    from migrator import api

    click.echo(api.schema_text(), nl=False)


@cli.command()
@click.argument("directory", required=False, default=".", type=click.Path(file_okay=False))
@click.option("--name", default="plan.yaml", show_default=True, help="File name of the starter plan.")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def init(directory: str, name: str, force: bool) -> None:
    """Write a commented starter plan that passes validate."""
    from migrator import api

    path = api.init(directory, name=name, force=force)
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
    _echo_lines(json.dumps(result.to_dict(), indent=2) if fmt == "json" else render_text(result))
    if emit_plan:
        written = api.write_inspect_plan(result, emit_plan, name=plan_name)
        # On stderr, so that --format json output stays one JSON document.
        click.echo(f"wrote {written}" if written else "nothing to fix: no plan written", err=True)


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI and map failures to exit codes."""
    verbose = any(a in ("-v", "--verbose", "-vv") for a in (argv if argv is not None else sys.argv[1:]))
    try:
        code = cli.main(args=argv, prog_name="migrator", standalone_mode=False)
    except click.exceptions.Exit as e:
        return e.exit_code
    except click.Abort:
        click.echo("migrator: aborted", err=True)
        return EXIT_INTERRUPTED
    except click.ClickException as e:
        e.show()
        return 2
    except MigratorError as e:
        for line in e.lines():
            click.echo(f"migrator: {line}" if not _has_location(line) else line, err=True)
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


def _has_location(line: str) -> bool:
    # Lines of a PlanInvalid already start with "file:line:col:"; don't prefix them.
    head = line.split(": ", 1)[0]
    return head.count(":") >= 2 or head.endswith((".yaml", ".yml"))
