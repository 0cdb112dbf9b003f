"""The seed scenario end to end: plans/seed-app/ on SQLite, PostgreSQL and MariaDB,
and the README's quickstart commands, run as written."""
from __future__ import annotations

import json
import re
import shlex
import shutil
from pathlib import Path

from migrator import api
from migrator.cli import main
from migrator.db import create_engine

REPO = Path(__file__).resolve().parent.parent
SETUP = str(REPO / "plans" / "seed-app" / "setup.yaml")
MIGRATION = str(REPO / "plans" / "seed-app" / "migration.yaml")
GATE = "drizzle-kit-decisions"

PHASES = ["preparation", "schema", "data", "cleanup", "validation"]
#: Steps that run on every dialect; the others have one variant per dialect.
COMMON_STEPS = [
    "verify-job-compatibility", "inventory-tables", "inventory-orphans",
    GATE, "add-oauth-tables", "add-job-state-column", "migrate-to-job-system", "add-event-api-config-column",
    "migrate-events-to-api", "migrate-workflows",
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
    assert [got[s] for s in ("verify-job-compatibility", "inventory-tables", "inventory-orphans", GATE)] == [
        "applied", "applied", "applied", "waiting",
    ]
    assert f"migrator apply {MIGRATION} --confirm {GATE} --database {db_url}" in first.message
    # The inventory warns about the orphans (3, 2 and 1 rows), with samples.
    warned = first.steps[[s.step for s in first.steps].index("inventory-orphans")]
    assert [(c.held, c.count) for c in warned.preconditions] == [(False, 3), (False, 2), (False, 1)]
    assert all(got[s] == "not_reached" for s in ("add-oauth-tables", "migrate-events-to-api", "validate-tables"))

    # Confirmed: everything else runs, and the validation phase passes.
    second = api.apply(MIGRATION, db_url, yes=True, confirm=[GATE])
    assert second.exit_code == 0, explain(second)
    got = outcomes(second)
    mine = set(COMMON_STEPS) | set(DIALECT_STEPS[db_dialect])
    assert {s: o for s, o in got.items() if s in mine and s not in ("verify-job-compatibility", "inventory-tables", "inventory-orphans")} == {
        s: "applied" for s in mine if s not in ("verify-job-compatibility", "inventory-tables", "inventory-orphans")
    }
    assert {s for s, o in got.items() if o == "not_applicable"} == set().union(*DIALECT_STEPS.values()) - set(DIALECT_STEPS[db_dialect])
    validation = second.phases[PHASES.index("validation")]
    assert [s.step for s in validation.steps] == [
        "validate-row-counts", "validate-data", "validate-foreign-keys", "validate-indexes", "validate-tables",
    ]
    assert all(c.held for s in validation.steps for c in s.verify)
    assert sum(len(s.verify) for s in validation.steps) == 33

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
