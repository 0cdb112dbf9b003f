"""The ``migrator`` command lines that repeat a run's choices, for "how to go on" hints.

A run that stops at a manual step says how to continue (spec section 5); the
command it prints must reach the same database with the same variables and the
same selection, or copying it would hit the default database or report drift.
The same goes for the ``migrator resolve`` a failed or interrupted step names.
:mod:`migrator.api` builds them once per command and hands the strings to the
engine, which puts them in its messages and on the report for the renderers.

Free of SQLAlchemy (like :mod:`migrator.urls`): the no-op re-apply uses it too.
"""
from __future__ import annotations

import shlex
from collections.abc import Iterable, Mapping

from migrator.urls import mask_text


def apply_command(
    source: str,
    *,
    database: str | None = None,
    variables: Mapping[str, str] | None = None,
    phases: Iterable[str] = (),
    steps: Iterable[str] = (),
    skips: Iterable[str] = (),
    tags: Iterable[str] = (),
    confirms: Iterable[str] = (),
) -> str:
    """``migrator apply PLAN [--database URL] [--var k=v]... [--phase ID]... [--confirm STEP]...``,
    shell-quoted.

    Args:
        source: the plan file, as given.
        database: the URL given explicitly (``--database``); None when it came from
            ``$MIGRATOR_DATABASE_URL`` or the default, which the command then finds
            again by itself. The password is shown as ``***``, never in clear.
        variables: the ``--var`` overrides.
        phases, steps, skips, tags: the selection.
        confirms: the manual steps this run was told are done (``--confirm``), so that
            the next command does not stop at them again.
    """
    words = _command("apply", source, database, variables)
    for option, values in (("--phase", phases), ("--step", steps), ("--skip", skips), ("--tag", tags),
                           ("--confirm", confirms)):
        for value in values:
            words += [option, shlex.quote(value)]
    return " ".join(words)


def resolve_command(
    source: str,
    *,
    database: str | None = None,
    variables: Mapping[str, str] | None = None,
) -> str:
    """``migrator resolve PLAN [--database URL] [--var k=v]...``, shell-quoted; the
    caller puts ``STEP --applied|--pending`` after PLAN with :func:`with_arguments`
    (``resolve`` takes no selection). Arguments as for :func:`apply_command`.
    """
    return " ".join(_command("resolve", source, database, variables))


def with_arguments(command: str, *arguments: str) -> str:
    """``command`` (one of the above) with ``arguments`` right after its PLAN and before
    the run's options: ``migrator resolve PLAN STEP --pending --database URL``. The
    words the specification prints (``migrator resolve PLAN STEP --pending``,
    ``migrator apply PLAN --confirm STEP``) then stay together, and click takes options
    after arguments as well."""
    words = shlex.split(command)
    words[3:3] = arguments
    return shlex.join(words)


def _command(verb: str, source: str, database: str | None, variables: Mapping[str, str] | None) -> list[str]:
    """``migrator VERB PLAN`` with the options every plan command shares."""
    words = ["migrator", verb, shlex.quote(source)]
    if database:
        words += ["--database", shlex.quote(mask_text(database))]
    for name, value in (variables or {}).items():
        words += ["--var", shlex.quote(f"{name}={value}")]
    return words
