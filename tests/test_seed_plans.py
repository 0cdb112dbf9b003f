"""The seed scenario end to end: plans/seed-app/ on SQLite, PostgreSQL and MariaDB,
and the README's quickstart commands, run as written."""
from __future__ import annotations

import json
import re
import shlex
import shutil
from pathlib import Path

import pytest

from migrator import api
from migrator.cli import main
from migrator.db import create_engine
from migrator.errors import UsageError

REPO = Path(__file__).resolve().parent.parent
SETUP = str(REPO / "plans" / "seed-app" / "setup.yaml")
MIGRATION = str(REPO / "plans" / "seed-app" / "migration.yaml")
GATE = "drizzle-kit-decisions"

PHASES = ["preparation", "schema", "data", "cleanup", "validation"]
#: Steps that run on every dialect; the others have one variant per dialect.
#: Phase 1's inventory: check steps that run before the manual gate.
INVENTORY = ("inventory-tables", "inventory-foreign-keys")
#: The seed's migration scripts, in the order its "Migration Order" recommends.
SEED_SCRIPT_ORDER = [
    "add-oauth-tables", "verify-job-compatibility", "migrate-to-job-system", "migrate-events-to-api", "migrate-workflows",
]
COMMON_STEPS = [
    *INVENTORY,
    GATE, "add-job-state-column", "add-event-api-config-column",
    *SEED_SCRIPT_ORDER,
    "drop-script-executions", "drop-legacy-scripts",
    "validate-row-counts", "validate-data", "validate-foreign-keys", "validate-indexes", "validate-tables",
]
DIALECT_STEPS = {
    "sqlite": ["clean-orphans", "fk-tool-audit-logs-sqlite", "fk-tool-rate-limits-sqlite", "fk-user-tool-quotas-sqlite",
               "backfill-job-state", "index-jobs-state"],
    "postgresql": ["clean-orphans", "fk-tool-audit-logs-postgresql", "fk-tool-rate-limits-postgresql",
                   "fk-user-tool-quotas-postgresql", "backfill-job-state", "index-jobs-state-postgresql"],
    "mysql": ["clean-orphans-mysql", "fk-tool-audit-logs-mysql", "fk-tool-rate-limits-mysql", "fk-user-tool-quotas-mysql",
              "backfill-job-state-mysql", "index-jobs-state-mysql"],
}


def outcomes(report) -> dict[str, str]:
    return {s.step: s.outcome for s in report.steps}


def explain(report) -> str:
    """What went wrong, for assertion messages."""
    lines = [f"status={report.status} message={report.message}"]
    for s in report.steps:
        if s.outcome not in ("applied", "already_applied", "not_applicable"):
            failed = [f"{c.label}: {c.detail}" for c in (*s.preconditions, *s.verify) if c.held is False]
            lines.append(f"  {s.step}: {s.outcome} {s.error or ''} {failed}")
    return "\n".join(lines)


def scalar(url: str, sql: str):
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.exec_driver_sql(sql).scalar()
    finally:
        engine.dispose()


def test_seed_scenario_end_to_end(db_url, db_dialect):
    setup = api.apply(SETUP, db_url, yes=True)
    assert setup.exit_code == 0, explain(setup)

    # First apply: phase 1 runs, then the run waits at the Drizzle Kit gate.
    first = api.apply(MIGRATION, db_url, yes=True)
    assert first.exit_code == 3, explain(first)
    assert first.status == "waiting"
    got = outcomes(first)
    assert [got[s] for s in (*INVENTORY, GATE)] == ["applied", "applied", "waiting"]
    assert f"migrator apply {MIGRATION} --confirm {GATE} --database {db_url}" in first.message
    # The inventory warns about the three foreign keys the seed found missing, and
    # about the orphans (3, 2 and 1 rows) that would break them, with samples.
    warned = first.steps[[s.step for s in first.steps].index("inventory-foreign-keys")]
    assert [(c.kind, c.held, c.count) for c in warned.preconditions][3:] == [
        ("no_orphans", False, 3), ("no_orphans", False, 2), ("no_orphans", False, 1),
    ]
    assert [(c.kind, c.held) for c in warned.preconditions][:3] == [("foreign_key_exists", False)] * 3
    assert [w.split(" failed: ")[1] for w in warned.warnings][:3] == [
        f"missing foreign key {t}.userId → users.id; phase 2 adds it"
        for t in ("tool_audit_logs", "tool_rate_limits", "user_tool_quotas")
    ]
    assert all(got[s] == "not_reached" for s in (*SEED_SCRIPT_ORDER, "validate-tables"))
    # This run's report is the seed's own summary: Phase 1 done, its findings (the
    # missing keys, and the orphans with count and sample), Phase 2 waiting for a person.
    from migrator.render import render_summary

    summary = render_summary(first)
    assert "### Phase 1: Pre-Migration Preparation ✅" in summary
    assert ("   - ⚠️ orphans in tool_audit_logs; clean-orphans sets their userId to NULL — 3 rows in "
            "tool_audit_logs(userId) with no matching row in users(id) (sample: userId 901, 902, 903)") in summary
    assert "   - ⚠️ missing foreign key user_tool_quotas.userId → users.id; phase 2 adds it — " in summary
    assert "- ✋ Phase `schema` waits for a person at step `drizzle-kit-decisions`:" in summary

    # Confirmed: everything else runs, and the validation phase passes.
    second = api.apply(MIGRATION, db_url, yes=True, confirm=[GATE])
    assert second.exit_code == 0, explain(second)
    got = outcomes(second)
    mine = set(COMMON_STEPS) | set(DIALECT_STEPS[db_dialect])
    assert {s: o for s, o in got.items() if s in mine and s not in INVENTORY} == {
        s: "applied" for s in mine if s not in INVENTORY
    }
    assert {s for s, o in got.items() if o == "not_applicable"} == set().union(*DIALECT_STEPS.values()) - set(DIALECT_STEPS[db_dialect])
    validation = second.phases[PHASES.index("validation")]
    assert [s.step for s in validation.steps] == [
        "validate-row-counts", "validate-data", "validate-foreign-keys", "validate-indexes", "validate-tables",
    ]
    assert all(c.held for s in validation.steps for c in s.verify)
    assert sum(len(s.verify) for s in validation.steps) == 33
    # The report says of each of the seed's scripts what the seed's review says:
    # idempotent, and the pre-flight check optional; and who answered the questions.
    from migrator.render import render_summary

    completed = render_summary(second).split("## Completed Tasks", 1)[1].split("## Key Findings", 1)[0]
    assert "(`add-oauth-tables`) — sql_file, idempotent, applied," in completed
    assert "(`verify-job-compatibility`) — check, optional, idempotent, applied," in completed
    assert "(`migrate-events-to-api`) — python, idempotent, applied," in completed
    assert re.search(r"\(`drizzle-kit-decisions`\) — manual, applied, confirmed by \S+,", completed)

    # The data as the seed's scripts leave it.
    assert scalar(db_url, "SELECT count(*) FROM jobs WHERE state = 'completed'") == 14000
    assert scalar(db_url, "SELECT count(*) FROM jobs WHERE state = 'pending'") == 2000
    assert json.loads(scalar(db_url, "SELECT api_config FROM events WHERE id = 3")) == {
        "enabled": True, "timeout_seconds": 40, "trigger": {"schedule": "*/15 * * * *", "type": "cron"}, "version": 2,
    }
    user_id = "`userId`" if db_dialect == "mysql" else '"userId"'
    # Audit logs are kept: the 3 orphans now have a NULL userId, like the 2 system rows.
    assert scalar(db_url, f"SELECT count(*) FROM tool_audit_logs WHERE {user_id} IS NULL") == 5
    assert scalar(db_url, "SELECT count(*) FROM workflows WHERE status = 'needs_review'") == 5
    assert api.inspect(db_url).to_dict()["missing_foreign_keys"] == []

    # Re-apply: a no-op.
    again = api.apply(MIGRATION, db_url, yes=True)
    assert again.exit_code == 0, explain(again)
    assert set(outcomes(again).values()) == {"already_applied", "not_applicable"}

    # Rollback, as the README says: back to the backfill (phases 4-5 and the index
    # undone, the deprecated tables back), but no further: the data steps have none.
    backfill = next(s for s in DIALECT_STEPS[db_dialect] if s.startswith("backfill-"))
    back = api.rollback(MIGRATION, db_url, to=backfill, yes=True)
    assert back.exit_code == 0, explain(back)
    assert scalar(db_url, "SELECT count(*) FROM scripts") == 0
    with pytest.raises(UsageError, match=f"cannot roll back: step {backfill} has no rollback; nothing was rolled back"):
        api.rollback(MIGRATION, db_url, to="migrate-workflows", yes=True)
    forth = api.apply(MIGRATION, db_url, yes=True)
    assert forth.exit_code == 0, explain(forth)
    assert all(c.held for s in forth.phases[PHASES.index("validation")].steps for c in s.verify)


def test_the_plans_tell_the_seeds_story():
    """The seed's five phases, its scripts in its recommended order with their
    idempotency, the optional pre-flight check and the person's phase."""
    from migrator.plan.build import load_plan

    plan = load_plan(MIGRATION)
    assert [(p.id, p.title) for p in plan.phases] == [
        ("preparation", "Phase 1: Pre-Migration Preparation"),
        ("schema", "Phase 2: Database Schema Migration"),
        ("data", "Phase 3: Data Migration"),
        ("cleanup", "Phase 4: Post-Migration Cleanup"),
        ("validation", "Phase 5: Validation"),
    ]
    steps = {s.id: s for s in plan.steps}
    # Phase 1 only checks; Phase 2 starts with the Drizzle Kit questions a person answers.
    assert [s.id for s in plan.phases[0].steps] == list(INVENTORY)
    assert {steps[s].action_kind for s in INVENTORY} == {"check"}
    assert (plan.phases[1].steps[0].id, plan.phases[1].steps[0].action_kind) == (GATE, "manual")
    # Phase 3 runs the seed's scripts in its order: add-oauth-tables, the optional
    # pre-flight check, migrate-to-job-system, migrate-events-to-api, migrate-workflows.
    assert [s.id for s in plan.phases[2].steps][:5] == SEED_SCRIPT_ORDER
    assert all(steps[s].idempotent for s in SEED_SCRIPT_ORDER)
    assert [s for s in SEED_SCRIPT_ORDER if steps[s].optional] == ["verify-job-compatibility"]
    # create-test-events.ts, the seed's one script that is not idempotent, is the setup's data.
    setup_steps = {s.id: s for s in load_plan(SETUP).steps}
    assert "create-test-events.ts" in setup_steps["load-sample-data"].description
    assert not setup_steps["load-sample-data"].idempotent
    # The orphan rows are the sample data's: the seed mentions none, so no check may
    # credit them to it.
    orphan_checks = [c.name for c in setup_steps["load-sample-data"].verify if c.name and "orphan" in c.name]
    assert orphan_checks and not any("seed" in name for name in orphan_checks)


def test_optional_preflight_check_fails_with_a_warning_and_the_migration_goes_on(db_url, tmp_path):
    """verify-job-compatibility is optional, as in the seed: jobs with a status the
    job system does not know make it fail, the run goes on (the backfill maps them
    to 'pending'), and the summary report says what failed and why."""
    from migrator.render import render_summary

    assert api.apply(SETUP, db_url, yes=True).exit_code == 0
    engine = create_engine(db_url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("UPDATE jobs SET status = 'cancelled' WHERE id IN (7, 8)")
    finally:
        engine.dispose()
    report = api.apply(MIGRATION, db_url, yes=True, confirm=[GATE])
    assert report.exit_code == 0, explain(report)
    got = outcomes(report)
    assert got["verify-job-compatibility"] == "optional_failed"
    assert got["migrate-to-job-system"] == got["validate-tables"] == "applied"
    assert scalar(db_url, "SELECT state FROM jobs WHERE id = 7") == "pending"
    summary = render_summary(report, date="2025-07-14")
    skipped = summary.split("## Skipped / Failed", 1)[1].split("## Next Steps", 1)[0]
    assert "`verify-job-compatibility` (phase `data`) — failed (optional, the run went on)" in skipped
    assert "every legacy job status has a job-system state: query returned 2 rows, expected none" in skipped


def test_foreign_key_halts_on_orphans_and_shows_them(sqlite_url):
    """Without the orphan cleanup, the no_orphans precondition halts the run
    before the foreign key, with the count and a sample of the rows."""
    assert api.apply(SETUP, sqlite_url, yes=True).exit_code == 0
    report = api.apply(MIGRATION, sqlite_url, yes=True, confirm=[GATE], skips=["clean-orphans"])
    assert report.exit_code == 1, explain(report)
    got = outcomes(report)
    assert got["fk-tool-audit-logs-sqlite"] == "failed"
    assert got["migrate-events-to-api"] == "not_reached"
    step = report.steps[[s.step for s in report.steps].index("fk-tool-audit-logs-sqlite")]
    orphans = step.preconditions[1]
    assert (orphans.kind, orphans.held, orphans.count) == ("no_orphans", False, 3)
    assert sorted(row[-1] for row in orphans.sample) == [901, 902, 903]
    assert orphans.message == "tool_audit_logs has rows whose userId matches no user; run clean-orphans first"


def test_seed_plans_validate():
    assert api.validate([SETUP, MIGRATION]).lines() == [
        f"ok {SETUP}: 2 phases, 4 steps",
        f"ok {MIGRATION}: 5 phases, 33 steps",
    ]


# --- the README's quickstart, verbatim -------------------------------------------

README = REPO / "README.md"
#: README blocks whose commands this test runs, in this order (the first is required).
README_BLOCKS = ("quickstart", "demo")


def readme_block(marker: str) -> str | None:
    """The fenced block after ``<!-- ci: MARKER -->`` (as .ci/run reads it)."""
    lines = README.read_text(encoding="utf-8").splitlines()
    try:
        start = lines.index(f"<!-- ci: {marker} -->")
    except ValueError:
        return None
    body: list[str] = []
    inside = False
    for line in lines[start + 1 :]:
        if line.startswith("```"):
            if inside:
                return "\n".join(body)
            inside = True
        elif inside:
            body.append(line)
    return "\n".join(body)


def migrator_commands(block: str) -> list[str]:
    """The ``migrator ...`` commands of a shell block (joined by newlines or ``&&``);
    installation and comments are not ours to run."""
    commands = []
    for line in block.replace("\\\n", " ").splitlines():
        line = line.split(" #", 1)[0].strip()
        for part in re.split(r"\s*(?:&&|;)\s*", line):
            if part.startswith("migrator "):
                commands.append(part)
    return commands


def test_readme_quickstart_runs_as_written(tmp_path, monkeypatch, capsys):
    """The README's commands, run in a copy of the repository's plans/ with the
    default database (sqlite:///migrator.sqlite in the working directory)."""
    blocks = [readme_block(m) for m in README_BLOCKS]
    assert blocks[0] is not None, "README.md lacks its `<!-- ci: quickstart -->` block"
    commands = [c for b in blocks if b for c in migrator_commands(b)]
    assert commands[:2] == ["migrator apply plans/seed-app/setup.yaml", "migrator apply plans/seed-app/migration.yaml"]

    shutil.copytree(REPO / "plans", tmp_path / "plans")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MIGRATOR_DATABASE_URL", raising=False)
    confirmed = False
    for command in commands:
        argv = shlex.split(command)[1:]
        code = main(argv)
        out = capsys.readouterr()
        text = out.out + out.err
        if argv[0] == "apply" and "migration.yaml" in command and not confirmed and "--confirm" not in argv:
            # The demo stops at the manual gate and says how to go on.
            assert code == 3, f"{command}: exit {code}\n{text}"
            assert f"migrator apply plans/seed-app/migration.yaml --confirm {GATE}" in text
            continue
        assert code == 0, f"{command}: exit {code}\n{text}"
        if "--confirm" in argv:
            confirmed = True
        if "--format" in argv and argv[argv.index("--format") + 1] == "markdown":
            assert GATE in text
        if "--report" in argv:
            report = Path(argv[argv.index("--report") + 1]).read_text(encoding="utf-8")
            assert "✅" in report
            assert "Validation" in report
    assert (tmp_path / "migrator.sqlite").exists()


def test_migrator_test_proves_the_seed_migration(sqlite_url):
    """`migrator test` (setup first): every idempotent step runs twice and every
    rollback restores the schema; only the manual gate claims nothing."""
    report = api.test_plan(MIGRATION, sqlite_url, setup=SETUP)
    assert report.exit_code == 0, [(p.step, p.kind, p.detail, p.diff) for p in report.proofs if p.status == "failed"]
    assert report.summary() == "25 proved, 0 failed, 1 unproved"
    assert [p.step for p in report.proofs if p.status == "unproved"] == [GATE]
