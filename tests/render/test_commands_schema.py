"""schemas/commands.schema.json describes what ``lint``, ``test`` and ``inspect`` print
with ``--format json``: every key documented, none left out (additionalProperties: false)."""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import jsonschema
import pytest

from migrator.cli import main

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "schemas" / "commands.schema.json").read_text(encoding="utf-8"))
REPORT_SCHEMA = json.loads((ROOT / "schemas" / "report.schema.json").read_text(encoding="utf-8"))
PLAN = """\
migrator: 1
name: commands-schema
phases:
  - id: only
    steps:
      - id: make-items
        sql: CREATE TABLE items (id INTEGER PRIMARY KEY, name VARCHAR(20))
        rollback: DROP TABLE items
      - id: add-row
        idempotent: true
        sql: INSERT INTO items (id, name) VALUES (1, 'a')
      - id: drop-items
        sql: DROP TABLE items
"""


def _json_of(args: list[str], capsys, code: int) -> dict:
    assert main(args) == code
    return json.loads(capsys.readouterr().out)


def _errors(doc: dict, kind: str) -> list[str]:
    validator = jsonschema.Draft202012Validator({**SCHEMA, "$ref": f"#/$defs/{kind}"})
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(doc)]


def test_schema_is_valid_and_every_property_is_described():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)

    def walk(node, path):
        if isinstance(node, dict):
            for name, sub in node.get("properties", {}).items():
                assert sub.get("description"), f"{path}.{name} has no description"
            for key, sub in node.items():
                walk(sub, f"{path}.{key}")

    walk(SCHEMA, "$")


def test_a_lint_finding_is_the_one_of_the_report_schema():
    assert SCHEMA["$defs"]["finding"] == REPORT_SCHEMA["$defs"]["finding"]


def test_lint_json_is_described(tmp_path, capsys):
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN)
    doc = _json_of(["lint", str(plan), "--format", "json"], capsys, 1)
    assert doc["findings"] and _errors(doc, "lint") == []


def test_test_json_is_described(tmp_path, capsys):
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN.replace("sql: DROP TABLE items", "sql: CREATE TABLE other (id INTEGER PRIMARY KEY)"))
    doc = _json_of(["test", str(plan), "--format", "json"], capsys, 1)
    assert {p["status"] for p in doc["proofs"]} == {"proved", "failed", "unproved"}
    assert _errors(doc, "test") == []


@pytest.mark.parametrize("kind", ["lint", "test", "inspect"])
def test_an_undocumented_key_is_refused(kind):
    assert _errors({"not_documented": 1}, kind)


def test_inspect_json_is_described(tmp_path, capsys):
    db = tmp_path / "x.db"
    with sqlite3.connect(db) as conn:
        conn.executescript(
            "CREATE TABLE users (id INTEGER PRIMARY KEY);"
            "CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER);"
            "CREATE TABLE tags (post_id INTEGER REFERENCES posts (id));"
            "INSERT INTO posts VALUES (1, 7);"
        )
    conn.close()
    doc = _json_of(["--database", f"sqlite:///{db}", "inspect", "--format", "json"], capsys, 0)
    assert all(doc.values()), doc  # one of each finding
    assert _errors(doc, "inspect") == []
