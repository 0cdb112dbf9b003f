"""The shipped schema is the one in schemas/, and every plan in plans/ passes both layers."""
from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from migrator import api
from migrator.plan import schema as plan_schema
from migrator.plan.loader import load_yaml

ROOT = Path(__file__).resolve().parents[2]
PLANS = sorted(p for p in (ROOT / "plans").rglob("*.y*ml") if "fixtures" not in p.parts)


def test_shipped_schema_is_identical_to_schemas_dir():
    assert plan_schema.schema_text() == (ROOT / "schemas" / "plan.schema.json").read_text(encoding="utf-8")


def test_schema_is_valid_draft_2020_12_with_descriptions_everywhere():
    schema = json.loads((ROOT / "schemas" / "plan.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    missing = []

    def walk(node, path):
        if isinstance(node, dict):
            for name, sub in node.get("properties", {}).items():
                if "description" not in sub:
                    missing.append(f"{path}.{name}")
                walk(sub, f"{path}.{name}")
            for key in ("$defs",):
                for name, sub in node.get(key, {}).items():
                    walk(sub, f"{path}.{name}")
            for key in ("anyOf", "items"):
                subs = node.get(key)
                for sub in subs if isinstance(subs, list) else [subs] if subs else []:
                    walk(sub, path)

    walk(schema, "")
    assert missing == []


def test_schema_command_prints_the_schema(capsys):
    from migrator.cli import main

    assert main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out) == json.loads((ROOT / "schemas" / "plan.schema.json").read_text())


@pytest.mark.parametrize("path", PLANS, ids=[str(p.relative_to(ROOT)) for p in PLANS])
def test_plans_in_repo_pass_schema_and_semantics(path):
    data, source_map = load_yaml(str(path))
    assert plan_schema.validate(data, source_map) == []
    results = api.validate([str(path)])
    assert results.ok, "\n".join(results.lines())
    assert path.read_text(encoding="utf-8").startswith("# yaml-language-server: $schema=")


def test_init_writes_a_starter_plan_that_validates(tmp_path, capsys):
    from migrator.cli import main

    assert main(["init", str(tmp_path)]) == 0
    assert capsys.readouterr().out == f"wrote {tmp_path / 'plan.yaml'}\n"
    text = (tmp_path / "plan.yaml").read_text()
    assert text.startswith("# yaml-language-server: $schema=migrator.schema.json\n")
    assert (tmp_path / "migrator.schema.json").read_text() == plan_schema.schema_text()
    assert main(["validate", str(tmp_path / "plan.yaml")]) == 0
    assert capsys.readouterr().out == f"ok {tmp_path / 'plan.yaml'}: 2 phases, 3 steps\n"
    # A second init does not overwrite the user's plan.
    assert main(["init", str(tmp_path)]) == 2
    assert capsys.readouterr().err == f"migrator: {tmp_path / 'plan.yaml'} already exists (use --force to overwrite it)\n"
