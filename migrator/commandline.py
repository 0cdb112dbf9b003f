"""The ``migrator apply`` command line that repeats a run's choices, for "how to go on" hints.

A run that stops at a manual step says how to continue (spec section 5); the
command it prints must reach the same database with the same variables and the
same selection, or copying it would hit the default database or report drift.
:mod:`migrator.api` builds it once per command and hands the string to the engine,
which puts it in its messages and on the report for the renderers.

Free of SQLAlchemy (like :mod:`migrator.urls`): the no-op re-apply uses it too.
"""
from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Mapping

from migrator.urls import mask_text

_QUERY_PASSWORD = re.compile(r"([?&]password=)[^&#]*", re.IGNORECASE)


def apply_command(
    source: str,
    *,
    database: str | None = None,
    variables: Mapping[str, str] | None = None,
    phases: Iterable[str] = (),
    steps: Iterable[str] = (),
    skips: Iterable[str] = (),
    tags: Iterable[str] = (),
) -> str:
    """``migrator apply PLAN [--database URL] [--var k=v]... [--phase ID]...``, shell-quoted.

    Args:
        source: the plan file, as given.
        database: the URL given explicitly (``--database``); None when it came from
            ``$MIGRATOR_DATABASE_URL`` or the default, which the command then finds
            again by itself. The password is shown as ``***``, never in clear.
        variables: the ``--var`` overrides.
        phases, steps, skips, tags: the selection.
    """
    words = ["migrator", "apply", shlex.quote(source)]
    if database:
        words += ["--database", shlex.quote(_masked(database))]
    for name, value in (variables or {}).items():
        words += ["--var", shlex.quote(f"{name}={value}")]
    for option, values in (("--phase", phases), ("--step", steps), ("--skip", skips), ("--tag", tags)):
        for value in values:
            words += [option, shlex.quote(value)]
    return " ".join(words)


def _masked(url: str) -> str:
    return _QUERY_PASSWORD.sub(r"\1***", mask_text(url))
