"""Errors and source locations. A leaf module: stdlib only.

Every expected failure is a :class:`MigratorError` carrying an ``exit_code`` and
structured fields; anything else that escapes is a bug (the CLI says so and
exits 70).
"""
from __future__ import annotations

from dataclasses import dataclass

#: How many issues ``PlanInvalid.__str__`` lists before "... and N more".
MAX_ISSUES_SHOWN = 50


@dataclass(frozen=True, slots=True, order=True)
class Location:
    """A place in a file; ``line`` and ``col`` are 1-based (as editors show them)."""

    file: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        if self.line:
            return f"{self.file}:{self.line}:{self.col}"
        return self.file


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem found in a plan: where, which node, what is wrong."""

    location: Location
    path: str  # e.g. "phases[1].steps[0].verify[2]"; "" for the document itself
    message: str
    code: str = "invalid"

    def key(self) -> tuple[str, int, int]:
        return (self.code, self.location.line, self.location.col)

    def sort_key(self) -> tuple:
        return (self.location.file, self.location.line, self.location.col, self.path, self.message)

    def __str__(self) -> str:
        if self.path:
            return f"{self.location}: {self.path}: {self.message}"
        return f"{self.location}: {self.message}"

    def to_dict(self) -> dict:
        return {
            "file": self.location.file,
            "line": self.location.line,
            "col": self.location.col,
            "path": self.path,
            "message": self.message,
            "code": self.code,
        }


class MigratorError(Exception):
    """Root of every expected failure; ``exit_code`` is what the CLI returns."""

    exit_code = 1

    def lines(self) -> list[str]:
        """The message as the lines the CLI prints (one problem per line)."""
        return str(self).splitlines() or [type(self).__name__]


class UsageError(MigratorError):
    """The command line is invalid (unknown step id, bad --var, bad URL...)."""

    exit_code = 2


class PlanInvalid(MigratorError):
    """A plan failed to load or validate; carries every issue found."""

    exit_code = 2

    def __init__(self, issues: list[Issue] | tuple[Issue, ...]):
        self.issues = tuple(sorted(issues, key=Issue.sort_key))
        super().__init__(self._text())

    def _text(self) -> str:
        shown = [str(i) for i in self.issues[:MAX_ISSUES_SHOWN]]
        remaining = len(self.issues) - len(shown)
        if remaining > 0:
            shown.append(f"... and {remaining} more")
        return "\n".join(shown)


class DatabaseUnavailable(MigratorError):
    """The database cannot be reached or the URL/driver is wrong."""

    exit_code = 2

    def __init__(self, url: str, reason: str):
        self.url = url  # already masked by the caller
        self.reason = reason
        super().__init__(f"cannot connect to {url}: {reason}")


class LockHeld(MigratorError):
    """Another migrator holds the database's migration lock."""

    exit_code = 3

    #: When each kind of lock is let go of (``Dialect.lock_kind``), for the message.
    ENDS = {"session": "with that process's database session", "file": "when that process exits",
            "sqlite": "when that connection commits, rolls back or closes"}

    def __init__(self, holder: str, waited: float, kind: str = "session"):
        self.holder = holder
        self.waited = waited
        self.kind = kind
        super().__init__(
            f"database locked by {holder}; waited {waited:g}s (the lock ends {self.ENDS[kind]}, "
            "so a dead process cannot leave it stuck; retry later or raise --lock-timeout)"
        )


class DatabaseBusy(MigratorError):
    """A read-only command (``plan``, ``status``, ``verify``) cannot read a SQLite
    database now: a writer (usually a running ``apply`` in a large step) holds its
    exclusive lock, and SQLite lets nobody read until that transaction commits."""

    exit_code = 3

    def __init__(self, url: str, holder: str, waited: float):
        self.holder = holder
        self.waited = waited
        super().__init__(
            f"cannot read {url} now: {holder} is writing to it, and SQLite lets nobody read while a "
            f"transaction writes that much; waited {waited:g}s (retry when its step commits)"
        )


class StepFailed(MigratorError):
    """A step's action or verification failed."""

    exit_code = 1

    def __init__(self, step: str, message: str):
        self.step = step
        self.message = message
        super().__init__(f"step {step} failed: {message}")


class StepInterrupted(MigratorError):
    """Ctrl-C stopped ``apply`` inside a step: ``left`` says what of the step the journal
    and the database keep, ``next_apply`` what the next ``apply`` does about it."""

    exit_code = 130

    def __init__(self, step: str, left: str, next_apply: str):
        self.step = step
        self.left = left
        self.next_apply = next_apply
        super().__init__(f"interrupted during step {step} ({left}); {next_apply}")


class JournalTooNew(MigratorError):
    """The journal was laid out by a newer migrator (exit 2, like a database this
    migrator cannot use): nothing is read from it or written to it."""

    exit_code = 2
