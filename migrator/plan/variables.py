"""``${name}``, ``${env:NAME}``, ``${env:NAME:-default}`` and the literal ``$${``.

Substitution never yields an empty string for something undefined: an
undefined variable is an error the caller reports with the string's location.
"""
from __future__ import annotations

import re
from typing import Any, Mapping

#: ``$${``, a reference, or a ``${`` that no ``}`` closes (an error, as in Compose and Terraform).
_TOKEN = re.compile(r"\$\$\{|\$\{([^}]*)\}|\$\{")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class VariableError(ValueError):
    """An undefined or malformed reference; ``str()`` is the message."""


def as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def substitute(text: str, variables: Mapping[str, Any], environ: Mapping[str, str], used: set[str] | None = None) -> str:
    """Replace every reference in ``text``; raise :class:`VariableError` naming every bad
    one (validate reports every error at once, even several in one SQL file)."""
    if "$" not in text:
        return text
    problems: list[str] = []

    def replace(m: re.Match) -> str:
        if m.group(0) == "${":
            problem = "unterminated ${ (close the reference with }, or write $${ for a literal ${)"
            if problem not in problems:
                problems.append(problem)
            return m.group(0)
        if m.group(1) is None:
            return "${"  # $${ → a literal ${
        try:
            return _resolve(m.group(1), variables, environ, used)
        except VariableError as e:
            if str(e) not in problems:
                problems.append(str(e))
            return m.group(0)

    result = _TOKEN.sub(replace, text)
    if problems:
        raise VariableError("; ".join(problems))
    return result


def references(text: str) -> list[str]:
    """The plain variable names ``text`` refers to (not env references)."""
    return [m.group(1).strip() for m in _TOKEN.finditer(text) if m.group(1) is not None and not m.group(1).strip().startswith("env:")]


def _shown(body: str) -> str:
    """``${body}`` as a message shows it: on one line and short, since a stray ``${`` may
    run to a ``}`` many lines further on (one problem, one line)."""
    flat = " ".join(body.split())
    return "${" + (flat if len(flat) <= 40 else flat[:40] + "…") + "}"


def _resolve(body: str, variables: Mapping[str, Any], environ: Mapping[str, str], used: set[str] | None) -> str:
    body = body.strip()
    if body.startswith("env:"):
        name, sep, default = body[4:].partition(":-")
        name = name.strip()
        if not _NAME.match(name):
            raise VariableError(f"invalid environment variable name in {_shown(body)}")
        # As in the shell and Compose, ``:-`` means "unset or empty": a variable exported
        # empty (NAME= in a CI config) gets the default, not an empty string.
        if environ.get(name) or (name in environ and not sep):
            return environ[name]
        if sep:
            return default
        raise VariableError(f"environment variable {name} is not set (write ${{env:{name}:-default}} for a default)")
    if not _NAME.match(body):
        raise VariableError(f"invalid variable reference {_shown(body)} (names are letters, digits and '_'; write $${{ for a literal ${{)")
    if body not in variables:
        known = ", ".join(sorted(variables)) or "none defined"
        raise VariableError(f"undefined variable ${{{body}}} (defined: {known}; set it in vars or with --var {body}=VALUE)")
    if used is not None:
        used.add(body)
    return as_text(variables[body])
