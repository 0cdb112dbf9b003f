"""Risk findings for a plan's SQL (spec section 7): ``plan`` and ``lint`` use them.

Pure: no database. sqlglot is imported only when a statement is analysed.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from migrator.lint import analyze as _a
from migrator.lint.rules import RULES, RULES_BY_FACT, Rule
from migrator.report import Finding

if TYPE_CHECKING:
    from migrator.plan.model import Plan, Step

__all__ = ["RULES", "Rule", "NotNullProofs", "lint_plan", "lint_step", "lint_dialect"]

#: Actions whose effect ``no-rollback`` cares about (manual and check steps change nothing).
_CHANGING_ACTIONS = ("sql", "sql_file", "batch", "python")


class NotNullProofs:
    """The recipe that makes ``SET NOT NULL`` safe on PostgreSQL 12+, followed across
    the steps of a plan (as squawk follows it across a file): ``ADD CONSTRAINT c CHECK
    (col IS NOT NULL) NOT VALID``, then ``VALIDATE CONSTRAINT c`` outside the transaction
    that added it (a later step, or the same step with ``transaction: false``). Once
    validated, ``SET NOT NULL`` on that column proves itself from the check without a scan.
    """

    def __init__(self) -> None:
        self._pending: dict[tuple[str, str], tuple[str, str]] = {}  # (table, constraint) -> (column, step)
        self._valid: dict[tuple[str, str], str] = {}  # (table, constraint) -> column

    def proves(self, table: str, column: str) -> bool:
        """Whether a validated check proves ``column`` of ``table`` holds no NULL."""
        return (_last_part(table), column) in {(t, c) for (t, _), c in self._valid.items()}

    def note(self, facts: _a.Facts, step: Step) -> None:
        """Take in what one statement of ``step`` does to the checks."""
        for table, constraint, column in facts.not_null_checks:
            self._pending[(_last_part(table), constraint)] = (column, step.id)
        for table, constraint in facts.validated:
            key = (_last_part(table), constraint)
            column, added_in = self._pending.get(key, ("", ""))
            if column and (added_in != step.id or not step.transaction):
                self._valid[key] = column
        for table, constraint in facts.dropped_constraints:
            key = (_last_part(table), constraint)
            self._pending.pop(key, None)
            self._valid.pop(key, None)

    def note_step(self, step: Step, dialect: str) -> None:
        """Take in a whole step that is not linted now (e.g. applied already)."""
        from migrator.sql.split import statements_of

        try:
            statements = statements_of(step.action, dialect)
        except Exception:  # a missing sql_file: validate reports it; nothing to learn here
            return
        for statement in statements:
            self.note(_a.analyze(statement, dialect), step)


def lint_step(
    step: Step, dialect: str, statements: list[str] | None = None, *, proofs: NotNullProofs | None = None
) -> tuple[Finding, ...]:
    """The risk findings of one step for ``dialect`` (an SQLAlchemy dialect name).

    Args:
        step: the step; its ``allow`` marks findings accepted, its ``location``
            places them.
        dialect: the dialect the statements are parsed and judged for.
        statements: the step's statements, when the caller has split them
            already; by default they are split from the step's action.
        proofs: the NOT NULL checks that the plan's earlier steps validated; it
            takes in this step's too. By default only this step's count.

    Returns:
        Findings in statement order (per statement in rule order), then the
        step-level findings (``mysql-partial-ddl``, ``no-rollback``), which have
        an empty ``statement``.
    """
    if statements is None:
        from migrator.sql.split import statements_of

        statements = statements_of(step.action, dialect)
    findings: list[Finding] = []
    analysed = [_a.analyze(s, dialect) for s in statements]
    if proofs is None:
        proofs = NotNullProofs()
    created: set[str] = set()
    # Temporary tables created in this step: the session's scratch, holding nothing
    # that outlives it, so no rule is about them.
    scratch: set[str] = set()
    replaced = _replaced_tables(analysed)
    for n, facts in enumerate(analysed):
        fired: list[Rule] = []
        for kind, table in facts.facts:
            if kind in (_a.CREATE_TABLE, _a.CREATE_TEMP_TABLE):
                created.add(_last_part(table))
                if kind == _a.CREATE_TEMP_TABLE:
                    scratch.add(_last_part(table))
                continue
            rule = RULES_BY_FACT.get(kind)
            if rule is None or rule in fired or not rule.applies_to(dialect):
                continue
            if table and _last_part(table) in scratch:
                continue
            if kind == _a.CONCURRENTLY and not step.transaction:
                continue
            if kind == _a.UNBOUNDED_DML and step.action_kind == "batch":
                continue
            if rule.new_table_is_fine and table and _last_part(table) in created:
                continue
            if kind == _a.DROP_TABLE and replaced.get(_last_part(table), -1) > n:
                continue  # a copy built in this step takes its place (SQLite's table rebuild)
            if kind == _a.RENAME and facts.renames and all(
                _last_part(old) in created or replaced.get(_last_part(old), -1) >= n for old, _ in facts.renames
            ):
                continue  # the new copy takes the old name: the application sees no change
            if kind == _a.SET_NOT_NULL and facts.set_not_null and all(
                proofs.proves(t, c) for t, c in facts.set_not_null
            ):
                continue
            fired.append(rule)
        for old, new in facts.renames:
            if _last_part(old) in created:
                created.add(_last_part(new))
        proofs.note(facts, step)
        order = list(RULES)
        for rule in sorted(fired, key=lambda r: order.index(r.id)):
            findings.append(_finding(rule, step, _without_leading_comments(facts.statement, dialect), dialect))
    if dialect == "mysql" and _implicit_commits(statements) > 1:
        findings.append(_finding(RULES["mysql-partial-ddl"], step, "", dialect))
    if _lacks_rollback(step, analysed):
        findings.append(_finding(RULES["no-rollback"], step, "", dialect))
    return tuple(findings)


def lint_dialect(step: Step, dialect: str) -> str:
    """The dialect a step is linted for: ``dialect`` where the step runs on it,
    else the first dialect of its ``when`` (a step always runs somewhere)."""
    if step.applies_to(dialect) or not step.when_dialects:
        return dialect
    return step.when_dialects[0]


def lint_plan(plan: Plan, dialect: str) -> tuple[Finding, ...]:
    """The findings of every step of ``plan``, in plan order.

    Each step is judged for the dialect it runs on (see :func:`lint_dialect`),
    so that ``lint --dialect postgresql`` still checks a ``when: {dialect:
    mysql}`` step, as MySQL.
    """
    proofs: dict[str, NotNullProofs] = {}  # per dialect: a step for another one runs elsewhere
    return tuple(
        f
        for step in plan.steps
        for f in lint_step(step, lint_dialect(step, dialect),
                           proofs=proofs.setdefault(lint_dialect(step, dialect), NotNullProofs()))
    )


def _finding(rule: Rule, step: Step, statement: str, dialect: str) -> Finding:
    return Finding(
        rule=rule.id,
        severity=rule.severity,
        step=step.id,
        statement=statement,
        why=rule.why_for(dialect),
        safer=rule.safer,
        accepted=rule.id in step.allow,
        file=step.location.file,
        line=step.location.line,
        col=step.location.col,
    )


def _replaced_tables(analysed: list[_a.Facts]) -> dict[str, int]:
    """Tables that a copy built in the step replaces: the name, and the index of the
    statement that renames the copy to it (``CREATE TABLE new_t ...; INSERT INTO new_t
    SELECT ... FROM t; DROP TABLE t; ALTER TABLE new_t RENAME TO t``, as Django, Prisma
    and Drizzle rebuild a table on SQLite, or ``RENAME TABLE t TO t_old, t_new TO t``)."""
    created: set[str] = set()
    replaced: dict[str, int] = {}
    for n, facts in enumerate(analysed):
        created |= {_last_part(t) for k, t in facts.facts if k == _a.CREATE_TABLE}
        for old, new in facts.renames:
            if _last_part(old) in created:
                replaced[_last_part(new)] = n
                created.add(_last_part(new))
    return replaced


def _lacks_rollback(step: Step, analysed: list[_a.Facts]) -> bool:
    if step.idempotent or step.rollback is not None or step.action_kind not in _CHANGING_ACTIONS:
        return False
    if step.action_kind == "python":
        return True  # its effect is unknown: assume it changes things
    return any(f.writes for f in analysed)


def _implicit_commits(statements: list[str]) -> int:
    """How many of the statements commit by themselves on MySQL: as the runner counts them."""
    from migrator.dialects import get_dialect

    mysql = get_dialect("mysql")
    return sum(mysql.commits_implicitly(s) for s in statements)


def _without_leading_comments(statement: str, dialect: str) -> str:
    """The statement from its first word: a finding shows what trips the rule, and a
    comment before it, once folded onto one line, would read as if it held the statement."""
    from migrator.sql.split import tokenize

    try:
        tokens = tokenize(statement, dialect)
    except Exception:  # an unterminated string: show the statement as it is
        return statement
    if not tokens or "/*!" in statement[: tokens[0].start]:  # MySQL runs /*! ... */ as code
        return statement
    return statement[tokens[0].start :]


def _last_part(name: str) -> str:
    return name.rsplit(".", 1)[-1]
