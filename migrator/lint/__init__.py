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

__all__ = ["RULES", "Rule", "lint_plan", "lint_step", "lint_dialect"]

#: Actions whose effect ``no-rollback`` cares about (manual and check steps change nothing).
_CHANGING_ACTIONS = ("sql", "sql_file", "batch", "python")


def lint_step(step: Step, dialect: str, statements: list[str] | None = None) -> tuple[Finding, ...]:
    """The risk findings of one step for ``dialect`` (an SQLAlchemy dialect name).

    Args:
        step: the step; its ``allow`` marks findings accepted, its ``location``
            places them.
        dialect: the dialect the statements are parsed and judged for.
        statements: the step's statements, when the caller has split them
            already; by default they are split from the step's action.

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
    created: set[str] = set()
    # Temporary tables created in this step: the session's scratch, holding nothing
    # that outlives it, so no rule is about them.
    scratch: set[str] = set()
    for facts in analysed:
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
            fired.append(rule)
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
    return tuple(f for step in plan.steps for f in lint_step(step, lint_dialect(step, dialect)))


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
