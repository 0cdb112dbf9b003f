"""Risk rules: for every rule, a statement that trips it and a safer one that does not."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from migrator.errors import Location
from migrator.lint import RULES, lint_plan, lint_step
from migrator.lint.analyze import analyze
from migrator.plan.model import BatchAction, ManualAction, Phase, Plan, PythonAction, SqlAction, Step
from migrator.report import Finding

ALL = ("sqlite", "postgresql", "mysql")


def make_step(sql=None, *, step_id="s1", action=None, **kw) -> Step:
    """A step with SQL, rollback and idempotency set so that only the rule under test fires."""
    if action is None and sql is not None:
        action = SqlAction(texts=(sql,) if isinstance(sql, str) else tuple(sql))
    kw.setdefault("rollback", SqlAction(texts=("SELECT 1",)))
    return Step(
        id=step_id,
        phase="p1",
        path="phases[0].steps[0]",
        location=Location("plan.yaml", 12, 7),
        action=action,
        checksum="0" * 16,
        **kw,
    )


def rules_of(step: Step, dialect: str) -> list[str]:
    return [f.rule for f in lint_step(step, dialect)]


# (rule, dialects, risky statement, safer statement)
STATEMENT_CASES = [
    ("drop-table", ALL, "DROP TABLE users", "DROP VIEW users_view"),
    ("drop-table", ALL, "DROP TABLE IF EXISTS old_a, old_b", "DROP INDEX idx_a"),
    ("drop-schema", ("postgresql", "mysql"), "DROP SCHEMA legacy CASCADE", "CREATE SCHEMA legacy"),
    ("drop-schema", ("postgresql", "mysql"), "drop database if exists olddb", "DROP VIEW olddb_v"),
    ("drop-schema", ("postgresql",), "DROP SCHEMA IF EXISTS a, b", "DROP TYPE IF EXISTS a, b"),  # the token reader
    ("drop-column", ALL, "ALTER TABLE users DROP COLUMN age", "ALTER TABLE users ADD COLUMN age int"),
    ("drop-column", ("mysql",), "ALTER TABLE users DROP age", "ALTER TABLE users DROP INDEX age_idx"),
    ("truncate", ("postgresql", "mysql"), "TRUNCATE TABLE users", "DELETE FROM users WHERE created_at < '2020-01-01'"),
    ("truncate", ("postgresql",), "TRUNCATE users, orders CASCADE", "DELETE FROM users WHERE id = 1"),
    (
        "not-null-without-default",
        ALL,
        "ALTER TABLE users ADD COLUMN age int NOT NULL",
        "ALTER TABLE users ADD COLUMN age int NOT NULL DEFAULT 0",
    ),
    (
        "not-null-without-default",
        ("postgresql",),
        "ALTER TABLE users ADD COLUMN a int, ADD COLUMN b text NOT NULL",
        "ALTER TABLE users ADD COLUMN id bigserial NOT NULL",
    ),
    (
        "not-null-without-default",
        ("mysql",),
        "ALTER TABLE users ADD COLUMN n int NOT NULL AFTER id",
        "ALTER TABLE users ADD COLUMN n int NOT NULL AUTO_INCREMENT",
    ),
    (
        "set-not-null",
        ("postgresql",),
        "ALTER TABLE users ALTER COLUMN age SET NOT NULL",
        "ALTER TABLE users ALTER COLUMN age DROP NOT NULL",
    ),
    ("index-not-concurrent", ("postgresql",), "CREATE INDEX idx_age ON users (age)", "CREATE INDEX CONCURRENTLY idx_age ON users (age)"),
    (
        "index-not-concurrent",
        ("postgresql",),
        "CREATE UNIQUE INDEX IF NOT EXISTS u_email ON public.users USING btree (email)",
        "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS u_email ON public.users USING btree (email)",
    ),
    (
        "fk-validates-table",
        ("postgresql",),
        "ALTER TABLE orders ADD CONSTRAINT fk_user FOREIGN KEY (user_id) REFERENCES users (id)",
        "ALTER TABLE orders ADD CONSTRAINT fk_user FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID",
    ),
    (
        "fk-validates-table",
        ("postgresql",),
        "ALTER TABLE orders ADD COLUMN user_id int REFERENCES users (id)",
        "ALTER TABLE orders VALIDATE CONSTRAINT fk_user",
    ),
    ("column-type-change", ("postgresql",), "ALTER TABLE users ALTER COLUMN age TYPE bigint", "ALTER TABLE users ALTER COLUMN age SET DEFAULT 0"),
    (
        "column-type-change",
        ("postgresql",),
        "ALTER TABLE users ALTER age SET DATA TYPE bigint USING age::bigint",
        "ALTER TABLE users ALTER COLUMN age DROP DEFAULT",
    ),
    ("column-type-change", ("mysql",), "ALTER TABLE users MODIFY COLUMN age bigint", "ALTER TABLE users ALTER COLUMN age SET DEFAULT 1"),
    ("column-type-change", ("mysql",), "ALTER TABLE users CHANGE age age bigint NOT NULL", "ALTER TABLE users ADD INDEX i_age (age)"),
    ("rename", ALL, "ALTER TABLE users RENAME TO people", "ALTER TABLE users ADD COLUMN nick text"),
    ("rename", ALL, "ALTER TABLE users RENAME COLUMN name TO full_name", "CREATE VIEW people AS SELECT * FROM users"),
    ("rename", ("mysql",), "RENAME TABLE users TO people", "ALTER TABLE users ADD COLUMN nick text"),
    ("rename", ("mysql",), "ALTER TABLE users CHANGE name full_name text", "ALTER TABLE users CHANGE name name text"),
    # MySQL's CHANGE COLUMN linted for another dialect (lint's default is postgresql) is still a rename.
    ("rename", ALL, "alter table shop.users change column name full_name varchar(100)",
     "alter table shop.users change column name name varchar(100)"),
    ("rename", ("postgresql",), "ALTER TABLE users RENAME COLUMN name TO full_name", "ALTER TABLE users RENAME CONSTRAINT c1 TO c2"),
    ("unbounded-dml", ALL, "UPDATE users SET active = true", "UPDATE users SET active = true WHERE id = 1"),
    ("unbounded-dml", ALL, "DELETE FROM sessions", "DELETE FROM sessions WHERE expires_at < CURRENT_TIMESTAMP"),
    ("unbounded-dml", ("mysql",), "DELETE FROM sessions", "DELETE FROM sessions LIMIT 1000"),
    (
        "unbounded-dml",
        ("postgresql",),
        "UPDATE users SET n = (SELECT count(*) FROM orders WHERE orders.user_id = users.id)",
        "UPDATE users SET n = 0 FROM orders WHERE orders.user_id = users.id",
    ),
]


@pytest.mark.parametrize(
    "rule, dialect, risky, safer",
    [(r, d, risky, safer) for r, ds, risky, safer in STATEMENT_CASES for d in ds],
)
def test_rule_fires_on_risky_statement_and_not_on_safer_one(rule, dialect, risky, safer):
    assert rule in rules_of(make_step(risky), dialect)
    assert rule not in rules_of(make_step(safer), dialect)


@pytest.mark.parametrize(
    "rule, statement",
    [
        ("set-not-null", "ALTER TABLE users ALTER COLUMN age SET NOT NULL"),
        ("index-not-concurrent", "CREATE INDEX idx_age ON users (age)"),
        ("fk-validates-table", "ALTER TABLE orders ADD CONSTRAINT f FOREIGN KEY (u) REFERENCES users (id)"),
    ],
)
@pytest.mark.parametrize("dialect", ["sqlite", "mysql"])
def test_postgresql_lock_rules_stay_quiet_on_other_dialects(rule, statement, dialect):
    assert rule not in rules_of(make_step(statement), dialect)


def test_concurrently_in_transactional_step_is_an_error():
    sql = "CREATE INDEX CONCURRENTLY idx_age ON users (age)"
    assert rules_of(make_step(sql), "postgresql") == ["concurrently-in-transaction"]
    assert rules_of(make_step(sql, transaction=False), "postgresql") == []
    assert RULES["concurrently-in-transaction"].severity == "error"


def test_concurrently_is_found_in_statements_sqlglot_cannot_parse():
    for sql in ("REINDEX INDEX CONCURRENTLY idx_age", "DROP INDEX CONCURRENTLY idx_age"):
        assert rules_of(make_step(sql), "postgresql") == ["concurrently-in-transaction"]
        assert rules_of(make_step(sql, transaction=False), "postgresql") == []
    # REFRESH ... CONCURRENTLY may run in a transaction.
    assert rules_of(make_step("REFRESH MATERIALIZED VIEW CONCURRENTLY mv"), "postgresql") == []


def test_unbounded_dml_is_fine_in_a_batch_step():
    batch = BatchAction(sql="DELETE FROM sessions")
    assert "unbounded-dml" not in rules_of(make_step(action=batch), "postgresql")
    assert "unbounded-dml" in rules_of(make_step("DELETE FROM sessions"), "postgresql")


@pytest.mark.parametrize(
    "statement",
    [
        "DELETE u FROM users u JOIN banned b ON b.user_id = u.id",
        "UPDATE users u JOIN banned b ON b.user_id = u.id SET u.active = 0",
        "UPDATE users u INNER JOIN banned b USING (id) SET u.active = 0",
        "DELETE FROM u USING users u JOIN banned b ON b.user_id = u.id",
        # A LEFT JOIN that only looks something up does not undo the inner join's bound.
        "UPDATE users u JOIN banned b ON b.user_id = u.id LEFT JOIN notes n ON n.user_id = u.id SET u.note = n.text",
    ],
)
def test_unbounded_dml_takes_mysqls_inner_join_on_a_condition_as_bounding(statement):
    assert "unbounded-dml" not in rules_of(make_step(statement), "mysql")


@pytest.mark.parametrize(
    "dialect, statement",
    [
        # An outer join keeps every row of its preserved side; no condition pairs every row.
        ("mysql", "UPDATE users u LEFT JOIN banned b ON b.user_id = u.id SET u.active = 0"),
        ("mysql", "DELETE u FROM users u RIGHT JOIN banned b ON b.user_id = u.id"),
        ("mysql", "DELETE u FROM users u CROSS JOIN banned b"),
        ("mysql", "UPDATE users u, banned b SET u.active = 0"),
        ("mysql", "UPDATE users u, banned b JOIN kept k ON k.id = b.id SET u.active = 0"),
        ("mysql", "DELETE FROM u USING users u, banned b"),
        # PostgreSQL's USING / FROM never joins the target itself: a cross join.
        ("postgresql", "DELETE FROM users USING banned"),
        ("postgresql", "UPDATE users SET active = false FROM banned"),
        ("postgresql", "DELETE FROM users u USING banned b JOIN kept k ON k.id = b.id"),
        ("postgresql", "UPDATE users SET active = false FROM banned b JOIN kept k ON k.id = b.id"),
    ],
)
def test_unbounded_dml_still_fires_on_outer_cross_and_postgresql_joins(dialect, statement):
    assert "unbounded-dml" in rules_of(make_step(statement), dialect)


@pytest.mark.parametrize("rule", ["index-not-concurrent", "fk-validates-table", "set-not-null", "not-null-without-default"])
def test_changes_to_a_table_created_in_the_same_step_are_fine(rule):
    statement = {
        "index-not-concurrent": "CREATE INDEX idx_t ON t (x)",
        "fk-validates-table": "ALTER TABLE t ADD CONSTRAINT f FOREIGN KEY (x) REFERENCES users (id)",
        "set-not-null": "ALTER TABLE t ALTER COLUMN x SET NOT NULL",
        "not-null-without-default": "ALTER TABLE t ADD COLUMN y int NOT NULL",
    }[rule]
    assert rule in rules_of(make_step(statement), "postgresql")
    assert rule not in rules_of(make_step(["CREATE TABLE t (x int)", statement]), "postgresql")
    # A table created in an earlier step is not new to this one.
    assert rule in rules_of(make_step(["CREATE TABLE other (x int)", statement]), "postgresql")


def test_mysql_partial_ddl_warns_on_several_ddl_statements_in_one_step():
    two = make_step("ALTER TABLE a ADD COLUMN x int; CREATE INDEX i_x ON a (x);")
    assert rules_of(two, "mysql") == ["mysql-partial-ddl"]
    [finding] = lint_step(two, "mysql")
    assert finding.statement == ""
    assert finding.severity == "warning"
    assert rules_of(make_step("ALTER TABLE a ADD COLUMN x int, ADD INDEX i_x (x)"), "mysql") == []
    assert rules_of(make_step("ALTER TABLE a ADD COLUMN x int; UPDATE a SET x = 1 WHERE x IS NULL"), "mysql") == []
    for dialect in ("postgresql", "sqlite"):
        assert rules_of(two, dialect) == ["index-not-concurrent"] * (dialect == "postgresql")


def test_no_rollback_on_a_changing_step_that_is_not_idempotent():
    bare = make_step("UPDATE users SET a = 1 WHERE id = 2", rollback=None)
    assert rules_of(bare, "sqlite") == ["no-rollback"]
    assert rules_of(make_step("UPDATE users SET a = 1 WHERE id = 2"), "sqlite") == []
    assert rules_of(make_step("UPDATE users SET a = 1 WHERE id = 2", rollback=None, idempotent=True), "sqlite") == []


def test_no_rollback_covers_python_and_batch_but_not_reads_manual_or_check_steps():
    python = PythonAction(target="mod:fn", module="mod", file=None, function="fn")
    assert rules_of(make_step(action=python, rollback=None), "sqlite") == ["no-rollback"]
    batch = BatchAction(sql="UPDATE t SET x = 1 WHERE id IN (SELECT id FROM t WHERE x IS NULL LIMIT :batch_size)")
    assert rules_of(make_step(action=batch, rollback=None), "sqlite") == ["no-rollback"]
    assert rules_of(make_step("SELECT count(*) FROM users", rollback=None), "sqlite") == []
    assert rules_of(make_step(action=ManualAction(instructions="Run drizzle-kit"), rollback=None), "sqlite") == []
    assert rules_of(make_step(action=None, rollback=None), "sqlite") == []


def test_finding_carries_rule_step_statement_why_safer_and_location():
    step = make_step("ALTER TABLE users DROP COLUMN age; SELECT 1", step_id="drop-age")
    assert lint_step(step, "postgresql") == (
        Finding(
            rule="drop-column",
            severity="error",
            step="drop-age",
            statement="ALTER TABLE users DROP COLUMN age",
            why=RULES["drop-column"].why,
            safer=RULES["drop-column"].safer,
            accepted=False,
            file="plan.yaml",
            line=12,
            col=7,
        ),
    )


def test_allow_marks_a_finding_accepted_but_keeps_it():
    step = make_step("DROP TABLE legacy", allow=("drop-table",))
    [finding] = lint_step(step, "postgresql")
    assert (finding.rule, finding.accepted, finding.blocking) == ("drop-table", True, False)


def test_why_is_specific_to_the_dialect_where_it_differs():
    step = make_step("ALTER TABLE users ADD COLUMN age int NOT NULL")
    whys = {d: lint_step(step, d)[0].why for d in ALL}
    assert whys["sqlite"].startswith("SQLite refuses to add a NOT NULL column")
    assert whys["mysql"].startswith("On a table with rows MySQL fills")
    assert whys["postgresql"] == RULES["not-null-without-default"].why


def test_findings_are_in_statement_order_then_rule_order_then_step_rules():
    step = make_step(
        [
            "ALTER TABLE a RENAME COLUMN x TO y",
            "ALTER TABLE a ADD COLUMN n int NOT NULL, DROP COLUMN old",
            "DELETE FROM a",
        ],
        rollback=None,
    )
    assert [(f.rule, f.statement[:22]) for f in lint_step(step, "mysql")] == [
        ("rename", "ALTER TABLE a RENAME C"),
        ("drop-column", "ALTER TABLE a ADD COLU"),
        ("not-null-without-default", "ALTER TABLE a ADD COLU"),
        ("unbounded-dml", "DELETE FROM a"),
        ("mysql-partial-ddl", ""),
        ("no-rollback", ""),
    ]


def test_one_finding_per_rule_and_statement():
    assert rules_of(make_step("DROP TABLE a, b, c"), "postgresql") == ["drop-table"]


def test_explicit_statements_override_the_action():
    step = make_step("SELECT 1")
    assert [f.rule for f in lint_step(step, "postgresql", ["TRUNCATE t"])] == ["truncate"]


def test_token_reader_takes_over_where_sqlglot_cannot_parse():
    facts = analyze("ALTER TABLE users DROP COLUMN age, VALIDATE CONSTRAINT fk", "postgresql")
    assert facts.parsed is False
    assert facts.kinds() == ("drop_column",)
    facts = analyze("ALTER TABLE ONLY s.t ADD COLUMN n int NOT NULL, ALTER COLUMN m TYPE text, RENAME COLUMN a TO b NOWAIT", "postgresql")
    assert facts.kinds() == ("add_not_null_no_default", "type_change", "rename")
    assert {t for _, t in facts.facts} == {"s.t"}


@pytest.mark.parametrize(
    "statement, kinds",
    [
        ("DROP TABLE users CASCADE CONSTRAINTS PURGE garbage", ("drop_table",)),
        ("TRUNCATE users RESTART IDENTITY garbage (", ("truncate",)),
        ("CREATE INDEX i ON users (age) garbage (", ("create_index",)),
        ("ALTER TABLE o ADD FOREIGN KEY (u) REFERENCES users (id) garbage (", ("add_foreign_key",)),
        ("UPDATE users SET x = 1 garbage (", ("unbounded_dml",)),
        ("ALTER TABLE users ALTER COLUMN age SET NOT NULL garbage (", ("set_not_null",)),
    ],
)
def test_token_reader_on_statements_that_do_not_parse(statement, kinds):
    facts = analyze(statement, "postgresql")
    assert facts.parsed is False
    assert facts.kinds() == kinds


def test_unterminated_string_does_not_crash():
    assert analyze("UPDATE t SET x = 'oops", "postgresql").kinds() == ("unbounded_dml",)
    assert rules_of(make_step("DROP TABLE t; SELECT 'oops"), "postgresql") == ["drop-table"]


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("abcdeSELCTDROPALTERTABLEUPDATWHN ;'\"`$()-*/\\,.\n")), max_size=60))
def test_lint_never_crashes_on_odd_sql(text):
    for dialect in ALL:
        findings = lint_step(make_step(text, rollback=None), dialect)
        assert all(f.rule in RULES for f in findings)


def _plan(*steps: Step) -> Plan:
    phase = Phase(id="p1", path="phases[0]", location=Location("plan.yaml", 5, 3), steps=steps)
    return Plan(name="demo", source="plan.yaml", base_dir=".", phases=(phase,))


def test_lint_plan_lints_every_step_in_order():
    plan = _plan(
        make_step("DROP TABLE a", step_id="first"),
        make_step("SELECT 1", step_id="quiet"),
        make_step("TRUNCATE b", step_id="third"),
    )
    assert [(f.step, f.rule) for f in lint_plan(plan, "postgresql")] == [("first", "drop-table"), ("third", "truncate")]


def test_lint_plan_judges_a_dialect_specific_step_for_its_own_dialect():
    plan = _plan(
        make_step("CREATE INDEX i ON a (x)", step_id="pg-only", when_dialects=("postgresql",)),
        make_step("ALTER TABLE a ADD COLUMN x int; ALTER TABLE a ADD COLUMN y int", step_id="my-only", when_dialects=("mysql",)),
    )
    assert [(f.step, f.rule) for f in lint_plan(plan, "sqlite")] == [
        ("pg-only", "index-not-concurrent"),
        ("my-only", "mysql-partial-ddl"),
    ]


def test_every_rule_has_text_and_a_known_severity():
    assert list(RULES) == [
        "drop-table",
        "drop-schema",
        "drop-column",
        "truncate",
        "not-null-without-default",
        "set-not-null",
        "index-not-concurrent",
        "concurrently-in-transaction",
        "fk-validates-table",
        "column-type-change",
        "rename",
        "unbounded-dml",
        "mysql-partial-ddl",
        "no-rollback",
    ]
    for rule in RULES.values():
        assert rule.severity in ("error", "warning")
        assert rule.why.endswith(".") and rule.safer.endswith((".", ")"))
