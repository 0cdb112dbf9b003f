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
