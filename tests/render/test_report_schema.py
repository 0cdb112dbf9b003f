"""schemas/report.schema.json describes what ``--format json`` prints, for made-up and real reports."""
from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from render_samples import (
    ROOT,
    apply_report,
    complete_apply_report,
    plan_report,
    rollback_report,
    status_report,
    verify_report,
)

from migrator import api
from migrator.render import render
from migrator.report import OUTCOMES, VERDICTS

SCHEMA = json.loads((ROOT / "schemas" / "report.schema.json").read_text(encoding="utf-8"))
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker())
EXAMPLES = sorted((ROOT / "plans" / "examples").glob("*.yaml"))


def errors_of(report) -> list[str]:
    doc = json.loads(render(report, "json"))
    return [f"{list(e.absolute_path)}: {e.message}" for e in VALIDATOR.iter_errors(doc)]


def test_schema_is_a_valid_draft_2020_12_schema():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_package_ships_an_identical_copy():
    shipped = ROOT / "migrator" / "data" / "report.schema.json"
    assert shipped.read_text(encoding="utf-8") == (ROOT / "schemas" / "report.schema.json").read_text(encoding="utf-8")


def test_every_property_is_described():
    def walk(node, path):
        if isinstance(node, dict):
            for name, sub in node.get("properties", {}).items():
                assert sub.get("description"), f"{path}.{name} has no description"
            for key, sub in node.items():
                walk(sub, f"{path}.{key}")

    walk(SCHEMA, "$")


@pytest.mark.parametrize(
    "make",
    [
        plan_report,
        lambda: plan_report(offline=True),
        apply_report,
        complete_apply_report,
        rollback_report,
        status_report,
        verify_report,
    ],
)
def test_hand_made_reports_validate(make):
    assert errors_of(make()) == []


def test_schema_enums_follow_the_records():
    step = SCHEMA["$defs"]["step"]["properties"]
    assert step["verdict"]["enum"] == list(VERDICTS)
    assert step["outcome"]["enum"] == [*OUTCOMES, None]


def test_an_undocumented_field_is_caught():
    doc = json.loads(render(plan_report(), "json"))
    doc["phases"][0]["steps"][0]["surprise"] = 1
    assert [e.message for e in VALIDATOR.iter_errors(doc)] == [
        "Additional properties are not allowed ('surprise' was unexpected)"
    ]


@pytest.mark.parametrize("plan_file", EXAMPLES, ids=lambda p: p.name)
def test_real_offline_plans_validate(plan_file: Path):
    assert errors_of(api.plan(str(plan_file), offline=True)) == []


@pytest.mark.parametrize("plan_file", EXAMPLES, ids=lambda p: p.name)
def test_real_apply_status_and_plan_on_sqlite_validate(plan_file: Path, sqlite_url):
    applied = api.apply(str(plan_file), sqlite_url, yes=True)
    assert errors_of(applied) == []
    assert errors_of(api.status(str(plan_file), sqlite_url)) == []
    assert errors_of(api.plan(str(plan_file), sqlite_url)) == []


RESOLVE_PLAN = """
migrator: 1
name: resolve-json
phases:
  - id: only
    verify:
      - table_exists: no_such_table
    steps:
      - id: make
        sql: CREATE TABLE t (id INTEGER)
"""


@pytest.mark.parametrize("target, flag", [("make", "--applied"), ("make", "--pending"), ("only", "--applied"),
                                          ("only", "--pending")])
def test_resolve_prints_its_report_as_json_and_markdown(target, flag, sqlite_url, tmp_path, capsys):
    # --format is a shared option (spec section 5) and the schema's "command" lists resolve.
    from migrator.cli import main

    plan = tmp_path / "plan.yaml"
    plan.write_text(RESOLVE_PLAN, encoding="utf-8")
    assert main(["apply", str(plan), "-d", sqlite_url, "-q"]) == 1  # the phase verify fails
    capsys.readouterr()
    assert main(["resolve", str(plan), target, flag, "-d", sqlite_url, "--format", "json"]) == 0
    out, err = capsys.readouterr()
    doc = json.loads(out)
    assert [f"{list(e.absolute_path)}: {e.message}" for e in VALIDATOR.iter_errors(doc)] == []
    assert (doc["command"], doc["status"], [p["phase"] for p in doc["phases"]]) == ("resolve", "ok", ["only"])
    assert doc["message"].startswith("step make recorded as" if target == "make" else "the verify of phase only")
    assert main(["resolve", str(plan), target, flag, "-d", sqlite_url, "--format", "markdown"]) == 0
    assert capsys.readouterr().out.startswith("## migrator resolve: `resolve-json`\n")


def test_a_lock_timeout_prints_no_document_and_the_schema_says_so(db_url, db_engine, tmp_path, capsys):
    # status "waiting" is a manual step; the lock held past --lock-timeout is an error like
    # any other: exit 3, nothing on stdout, one line on stderr (the schema must not promise
    # a "waiting" document for it).
    from migrator.cli import main
    from migrator.db import engine_dialect
    from migrator.dialects import get_dialect
    from migrator.engine.lock import acquire

    plan = tmp_path / "plan.yaml"
    plan.write_text(RESOLVE_PLAN, encoding="utf-8")
    with db_engine.connect() as holder, acquire(holder, get_dialect(engine_dialect(db_engine)), timeout=1):
        for command in (["apply"], ["rollback", "--last", "1", "--yes"], ["resolve", "make", "--applied"]):
            code = main([command[0], str(plan), *command[1:], "-d", db_url, "--format", "json", "--lock-timeout", "0.2"])
            out, err = capsys.readouterr()
            assert (code, out) == (3, ""), command
            assert err.startswith("migrator: database locked by ") and err.count("\n") == 1
    status = SCHEMA["properties"]["status"]["description"]
    assert "waiting (a manual step waits for a person; exit 3)" in status and "lock" not in status
    assert "the lock held past --lock-timeout, exit 3) prints no document" in SCHEMA["description"]
