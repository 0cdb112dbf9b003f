"""plans/examples/: each small plan does what its comments say, on every dialect."""
from __future__ import annotations

from pathlib import Path

import pytest

from migrator import api
from migrator.db import create_engine
from migrator.lint import lint_plan
from migrator.plan.build import load_plan

EXAMPLES = Path(__file__).resolve().parent.parent / "plans" / "examples"


def example(name: str) -> str:
    return str(EXAMPLES / name)


def outcomes(report) -> dict[str, str]:
    return {s.step: s.outcome for s in report.steps}


def step_result(report, step_id: str):
    return next(s for s in report.steps if s.step == step_id)


def rows(url: str, sql: str) -> list[tuple]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.exec_driver_sql(sql).all()]
    finally:
        engine.dispose()


def execute(url: str, sql: str) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(sql)
    finally:
        engine.dispose()


def test_every_feature_has_an_example():
    assert sorted(p.name for p in EXAMPLES.glob("*.yaml")) == [
        "batch.yaml",
        "manual.yaml",
        "preconditions.yaml",
        "python-step.yaml",
        "rerun-on-change.yaml",
        "rollback.yaml",
        "verify.yaml",
    ]


@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.glob("*.yaml")))
def test_example_validates_starts_with_the_modeline_and_lints_clean(name):
    path = EXAMPLES / name
    assert path.read_text(encoding="utf-8").startswith("# yaml-language-server: $schema=../../schemas/plan.schema.json\n")
    assert api.validate([str(path)]).ok
    plan = load_plan(str(path))
    for dialect in ("sqlite", "postgresql", "mysql"):
        assert [(f.rule, f.step) for f in lint_plan(plan, dialect) if not f.accepted] == []


def test_preconditions_each_on_fail(db_url):
    report = api.apply(example("preconditions.yaml"), db_url, yes=True)
    assert report.exit_code == 0
    assert outcomes(report) == {
        "create-accounts": "applied",
        "hand-made-audit-table": "applied",
        "add-credit-limit": "applied",  # halt: the precondition held
        "create-audit-table": "marked_applied",  # the table was already there
        "archive-closed-accounts": "skipped",  # ex_archive does not exist yet
        "purge-closed-accounts": "blocked",  # requires the skipped step
        "remove-spaces-in-emails": "applied",  # warn: reported, and the step ran
    }
    warned = step_result(report, "remove-spaces-in-emails")
    assert warned.preconditions[0].held is False
    assert warned.preconditions[0].sample == ((3, "alan @example.com"),)
    assert rows(db_url, "SELECT email FROM ex_accounts ORDER BY id") == [
        ("ada@example.com",), ("Grace@Example.com",), ("alan@example.com",),
    ]

    # Once the archive table exists, the skipped step and the one it blocked run.
    execute(db_url, "CREATE TABLE ex_archive (id INTEGER PRIMARY KEY, email VARCHAR(255))")
    again = api.apply(example("preconditions.yaml"), db_url, yes=True)
    assert again.exit_code == 0
    assert (outcomes(again)["archive-closed-accounts"], outcomes(again)["purge-closed-accounts"]) == ("applied", "applied")
    assert rows(db_url, "SELECT id FROM ex_archive") == [(2,)]
    assert rows(db_url, "SELECT id FROM ex_accounts ORDER BY id") == [(1,), (3,)]


def test_preconditions_halt_stops_the_run(sqlite_url):
    assert api.apply(example("preconditions.yaml"), sqlite_url, yes=True, phases=["setup"]).exit_code == 0
    execute(sqlite_url, "UPDATE ex_accounts SET balance = -5 WHERE id = 1")
    report = api.apply(example("preconditions.yaml"), sqlite_url, yes=True)
    assert report.exit_code == 1
    got = outcomes(report)
    assert got["add-credit-limit"] == "failed"
    assert got["remove-spaces-in-emails"] == "not_reached"
    halted = step_result(report, "add-credit-limit").preconditions[0]
    assert (halted.held, halted.message) == (False, "fix the overdrawn accounts first")


def test_verify_passes_and_a_failed_verify_undoes_the_step(db_url, tmp_path):
    ok = api.apply(example("verify.yaml"), db_url, yes=True)
    assert ok.exit_code == 0
    assert rows(db_url, "SELECT id, price_cents FROM ex_products ORDER BY id") == [(1, 150), (2, 1200), (3, 2599)]
    assert all(c.held for s in ok.steps for c in s.verify)
    assert [c.held for c in ok.phases[0].verify] == [True, True]


def test_failed_verify_undoes_the_backfill(db_url):
    report = api.apply(example("verify.yaml"), db_url, yes=True, variables={"min_price_cents": "1000"})
    assert report.exit_code == 1
    assert outcomes(report)["backfill-price-cents"] == "failed"
    failed = [c for c in step_result(report, "backfill-price-cents").verify if c.held is False]
    assert [(c.label, c.message) for c in failed] == [("no price below the minimum", "a price_cents below 1000")]
    # The UPDATE was rolled back with the step's transaction.
    assert rows(db_url, "SELECT count(*) FROM ex_products WHERE price_cents IS NULL") == [(3,)]


def test_batch_backfill_in_batches(db_url):
    report = api.apply(example("batch.yaml"), db_url, yes=True, variables={"batch_size": "1000"})
    assert report.exit_code == 0
    step = step_result(report, "backfill-kind-code")
    assert (step.outcome, step.rows_affected) == ("applied", 5000)
    assert step.batches_done >= 5
    assert rows(db_url, "SELECT kind_code, count(*) FROM ex_events GROUP BY kind_code ORDER BY kind_code") == [(1, 1666), (2, 3334)]


def test_manual_step_waits_then_needs_the_work_done(db_url):
    first = api.apply(example("manual.yaml"), db_url, yes=True)
    assert (first.exit_code, outcomes(first)["enable-maintenance-mode"]) == (3, "waiting")
    assert "--confirm enable-maintenance-mode" in first.message

    # Confirmed without doing the work: its verify fails.
    lied = api.apply(example("manual.yaml"), db_url, yes=True, confirm=["enable-maintenance-mode"])
    assert lied.exit_code == 1
    failed = [c for c in step_result(lied, "enable-maintenance-mode").verify if c.held is False]
    assert [c.message for c in failed] == ["the application is not in maintenance mode yet"]

    execute(db_url, "UPDATE ex_settings SET value = 'on' WHERE name = 'maintenance'")
    done = api.apply(example("manual.yaml"), db_url, yes=True, confirm=["enable-maintenance-mode"])
    assert done.exit_code == 0
    assert outcomes(done)["rename-setting-values"] == "applied"
    assert rows(db_url, "SELECT value FROM ex_settings") == [("enabled",)]


def test_python_step(db_url):
    report = api.apply(example("python-step.yaml"), db_url, yes=True)
    assert report.exit_code == 0
    assert step_result(report, "split-full-names").rows_affected == 3
    assert rows(db_url, "SELECT first_name, last_name FROM ex_people ORDER BY id") == [
        ("Ada", "Lovelace"), ("Grace", "Brewster Hopper"), ("Plato", "-"),
    ]


def test_rerun_on_change(db_url):
    plan = example("rerun-on-change.yaml")
    assert api.apply(plan, db_url, yes=True).exit_code == 0
    assert rows(db_url, "SELECT count(*) FROM ex_active_customers") == [(2,)]
    again = api.apply(plan, db_url, yes=True)
    assert outcomes(again)["active-customers-view"] == "already_applied"
    changed = api.apply(plan, db_url, yes=True, variables={"active_days": "7"})
    assert changed.exit_code == 0
    assert step_result(changed, "active-customers-view").verdict == "rerun"
    assert outcomes(changed)["active-customers-view"] == "applied"
    assert rows(db_url, "SELECT name FROM ex_active_customers") == [("Ada",)]


def test_rollback_newest_first(db_url):
    plan = example("rollback.yaml")
    assert api.apply(plan, db_url, yes=True).exit_code == 0
    assert rows(db_url, "SELECT count(*) FROM ex_orders") == [(2,)]

    last = api.rollback(plan, db_url, last=1, yes=True)
    assert last.exit_code == 0
    assert rows(db_url, "SELECT count(*) FROM ex_orders") == [(0,)]

    to = api.rollback(plan, db_url, to="create-orders", yes=True)
    assert to.exit_code == 0
    assert rows(db_url, "SELECT * FROM ex_orders") == []
    engine = create_engine(db_url)
    try:
        import sqlalchemy as sa

        with engine.connect() as conn:
            assert [c["name"] for c in sa.inspect(conn).get_columns("ex_orders")] == ["id", "total"]
    finally:
        engine.dispose()

    forward = api.apply(plan, db_url, yes=True)
    assert forward.exit_code == 0
    assert outcomes(forward) == {"create-orders": "already_applied", "add-order-status": "applied", "load-orders": "applied"}


@pytest.mark.parametrize(
    "name, summary",
    [
        ("batch.yaml", "2 proved, 0 failed, 0 unproved"),
        ("preconditions.yaml", "4 proved, 0 failed, 3 unproved"),
        ("python-step.yaml", "2 proved, 0 failed, 0 unproved"),
        ("rerun-on-change.yaml", "3 proved, 0 failed, 0 unproved"),
        ("rollback.yaml", "3 proved, 0 failed, 0 unproved"),
        ("verify.yaml", "3 proved, 0 failed, 0 unproved"),
    ],
)
def test_migrator_test_proves_the_example(name, summary):
    report = api.test_plan(example(name))
    assert report.exit_code == 0, [(p.step, p.kind, p.detail) for p in report.proofs if p.status == "failed"]
    assert report.summary() == summary


def test_migrator_test_cannot_do_a_persons_work():
    """The manual example's verify checks what a person did; `migrator test`
    confirms the step but cannot do the work, so the step is unproved (and the
    one that requires it is not reached), not failed."""
    report = api.test_plan(example("manual.yaml"))
    assert report.exit_code == 0
    assert report.summary() == "1 proved, 0 failed, 2 unproved"
    manual = next(p for p in report.proofs if p.step == "enable-maintenance-mode")
    assert manual.status == "unproved"
    assert "the application is not in maintenance mode yet" in manual.detail
