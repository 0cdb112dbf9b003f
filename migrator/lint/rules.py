"""The risk rules (spec section 7), after squawk, strong_migrations and Atlas lint.

Each rule has an id, a severity, the dialects it applies to, why the change is
risky and the safer way. Statement rules fire on a fact of
:mod:`migrator.lint.analyze`; step rules (``mysql-partial-ddl``,
``no-rollback``) look at the step as a whole.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from migrator.lint import analyze as a

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Rule:
    """A risk rule. ``dialects`` None: every dialect. ``why_by_dialect`` refines ``why``."""

    id: str
    severity: str
    summary: str
    why: str
    safer: str
    fact: str | None = None  # the analyze fact it fires on; None for step rules
    dialects: tuple[str, ...] | None = None
    why_by_dialect: dict[str, str] = field(default_factory=dict)
    # When the table was created earlier in the same step it is new and empty,
    # so locking or rewriting it harms nobody (squawk makes the same exception).
    new_table_is_fine: bool = False

    def applies_to(self, dialect: str) -> bool:
        return self.dialects is None or dialect in self.dialects

    def why_for(self, dialect: str) -> str:
        return self.why_by_dialect.get(dialect, self.why)


_RULES = (
    Rule(
        "drop-table",
        ERROR,
        "DROP TABLE",
        "Dropping a table deletes its data for good, and any code still reading it fails at once.",
        "Stop using the table in the application and deploy that first; then drop it in a later "
        "migration, after taking a backup or renaming it aside (e.g. to <name>_old) for a while.",
        fact=a.DROP_TABLE,
    ),
    Rule(
        "drop-schema",
        ERROR,
        "DROP SCHEMA / DROP DATABASE",
        "Dropping a schema or database deletes every table in it and their data for good "
        "(with CASCADE, whatever else depends on them too).",
        "Drop the tables one by one in steps of their own, each after the application has stopped "
        "using it, and the emptied schema last; take a backup first.",
        fact=a.DROP_SCHEMA,
    ),
    Rule(
        "drop-column",
        ERROR,
        "ALTER TABLE ... DROP COLUMN",
        "Dropping a column deletes its data for good, and application code (or an ORM listing "
        "columns) that still reads or writes it fails at once.",
        "Stop the application from using the column and deploy that first; then drop it in a "
        "later migration, after copying the data aside if it may be needed.",
        fact=a.DROP_COLUMN,
    ),
    Rule(
        "truncate",
        ERROR,
        "TRUNCATE",
        "TRUNCATE deletes every row of the table at once; the data is gone and no WHERE "
        "clause limits it.",
        "Delete only the rows meant with DELETE ... WHERE (in a `batch` step for big tables), or "
        "copy the table aside before emptying it.",
        fact=a.TRUNCATE,
    ),
    Rule(
        "not-null-without-default",
        ERROR,
        "ADD COLUMN ... NOT NULL without DEFAULT",
        "Adding a NOT NULL column without a default fails on a table that has rows, since the "
        "existing rows would hold NULL.",
        "Add the column with a DEFAULT, or add it nullable, backfill it (a `batch` step) and set "
        "NOT NULL in a later step.",
        fact=a.ADD_NOT_NULL_NO_DEFAULT,
        why_by_dialect={
            "sqlite": "SQLite refuses to add a NOT NULL column without a default value "
            "(\"Cannot add a NOT NULL column with default value NULL\").",
            "mysql": "On a table with rows MySQL fills the new NOT NULL column with the type's "
            "implicit default (0, '', a zero date): values nobody chose, which the application "
            "cannot tell from real ones.",
        },
        new_table_is_fine=True,
    ),
    Rule(
        "set-not-null",
        WARNING,
        "ALTER COLUMN ... SET NOT NULL",
        "SET NOT NULL scans the whole table for NULLs while holding an ACCESS EXCLUSIVE lock, "
        "which blocks every read and write of the table until it is done.",
        "Add CHECK (column IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT it in a separate step "
        "(a weaker lock), then SET NOT NULL, which PostgreSQL 12+ proves from the valid check "
        "without a scan, and drop the check.",
        fact=a.SET_NOT_NULL,
        dialects=("postgresql",),
        new_table_is_fine=True,
    ),
    Rule(
        "index-not-concurrent",
        WARNING,
        "CREATE INDEX without CONCURRENTLY",
        "CREATE INDEX without CONCURRENTLY holds a SHARE lock on the table while the index is "
        "built, which blocks every INSERT, UPDATE and DELETE until it is done.",
        "Use CREATE INDEX CONCURRENTLY in a step of its own with `transaction: false` (add IF "
        "NOT EXISTS: a failed concurrent build leaves an invalid index to drop).",
        fact=a.CREATE_INDEX,
        dialects=("postgresql",),
        new_table_is_fine=True,
    ),
    Rule(
        "concurrently-in-transaction",
        ERROR,
        "CONCURRENTLY in a transactional step",
        "A CONCURRENTLY statement cannot run inside a transaction block, and this step runs in "
        "one (`transaction: true`, the default): the database rejects it.",
        "Set `transaction: false` on the step and keep the concurrent statement alone in it.",
        fact=a.CONCURRENTLY,
    ),
    Rule(
        "fk-validates-table",
        WARNING,
        "ADD FOREIGN KEY without NOT VALID",
        "Adding a foreign key checks every existing row while holding a SHARE ROW EXCLUSIVE lock "
        "on both tables, which blocks writes to them until the scan ends.",
        "Add the constraint with NOT VALID (only new rows are checked), then run ALTER TABLE ... "
        "VALIDATE CONSTRAINT in a separate step, which takes a lock that lets writes go on.",
        fact=a.ADD_FOREIGN_KEY,
        dialects=("postgresql",),
        new_table_is_fine=True,
    ),
    Rule(
        "column-type-change",
        WARNING,
        "ALTER COLUMN ... TYPE / MODIFY COLUMN",
        "Changing a column's type may rewrite the whole table and convert or reject existing "
        "values.",
        "Add a column of the new type, backfill it in batches, move the application over, then "
        "drop the old column in a later migration.",
        fact=a.TYPE_CHANGE,
        why_by_dialect={
            "postgresql": "Changing a column's type rewrites the table and its indexes under an "
            "ACCESS EXCLUSIVE lock (unless the change is binary-compatible, such as making a "
            "varchar longer), blocking reads and writes meanwhile.",
            "mysql": "MODIFY/CHANGE COLUMN copies the whole table unless the change qualifies "
            "for ALGORITHM=INSTANT/INPLACE, blocking writes meanwhile, and may silently "
            "truncate or convert existing values.",
        },
        new_table_is_fine=True,
    ),
    Rule(
        "rename",
        WARNING,
        "RENAME of a table or column",
        "Renaming a table or column breaks every running instance of the application that "
        "still uses the old name, until all of them are redeployed.",
        "Add the new name next to the old one (a new column kept in sync, or a view for a "
        "table), move the application over, then remove the old name in a later migration.",
        fact=a.RENAME,
    ),
    Rule(
        "unbounded-dml",
        WARNING,
        "UPDATE/DELETE without WHERE",
        "An UPDATE or DELETE without WHERE changes every row in one transaction: long row "
        "locks, a large WAL/undo volume, and no way to stop half-way.",
        "Add a WHERE clause, or make it a `batch` step that works through the rows in small "
        "committed chunks and can resume.",
        fact=a.UNBOUNDED_DML,
    ),
    Rule(
        "mysql-partial-ddl",
        WARNING,
        "several DDL statements in one step on MySQL",
        "MySQL commits each DDL statement at once, so a failure in a later statement of this "
        "step leaves the earlier ones applied: the step is half done.",
        "Give each DDL statement a step of its own, or merge the changes to one table into a "
        "single ALTER TABLE. (migrator resumes a half-done step at the failed statement.)",
        dialects=("mysql",),
    ),
    Rule(
        "no-rollback",
        WARNING,
        "non-idempotent step without rollback",
        "The step changes the database, is not idempotent and has no `rollback`: "
        "`migrator rollback` cannot undo it and running it again is not safe.",
        "Add a `rollback` that undoes the step, or make it safe to repeat (IF NOT EXISTS, "
        "guarded updates) and mark it `idempotent: true`.",
    ),
)

#: Every rule by id, in the order findings are reported for one statement.
RULES: dict[str, Rule] = {r.id: r for r in _RULES}
#: The statement rules keyed by the fact they fire on.
RULES_BY_FACT: dict[str, Rule] = {r.fact: r for r in _RULES if r.fact}
