"""``migrator status`` with --phase/--step/--skip/--tag: only the selected steps, their drift alone."""
from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from tests.cli.clirun import run, write_plan_file

PLAN = textwrap.dedent(
    """\
    migrator: 1
    name: demo
    phases:
      - id: schema
        steps:
          - id: create-a
            sql: CREATE TABLE a (id INTEGER)
          - id: create-b
            tags: [later]
            sql: CREATE TABLE b (id INTEGER)
      - id: data
        steps:
          - id: fill-a
            sql: INSERT INTO a (id) VALUES (1)
    """
)


@pytest.fixture
def drifted_plan(db_url, tmp_path, capsys):
    """The plan applied, then create-a edited: drift on create-a alone."""
    path = write_plan_file(tmp_path, PLAN)
    assert run(capsys, "--database", db_url, "apply", path)[0] == 0
    Path(path).write_text(PLAN.replace("CREATE TABLE a (id INTEGER)", "CREATE TABLE a (id INTEGER, y INTEGER)"))
    return path


def _status_json(capsys, db_url, path, *selection):
    code, out, err = run(capsys, "--database", db_url, "status", path, *selection, "--format", "json")
    assert (code, err) == (0, "")
    return json.loads(out)


def _listed(doc):
    return [(p["phase"], [s["step"] for s in p["steps"]]) for p in doc["phases"]]


def test_status_without_a_selection_lists_every_step_and_the_drift(db_url, drifted_plan, capsys):
    doc = _status_json(capsys, db_url, drifted_plan)
    assert _listed(doc) == [("schema", ["create-a", "create-b"]), ("data", ["fill-a"])]
    assert (doc["status"], doc["message"]) == ("drift", "drift: create-a changed since applied")


@pytest.mark.parametrize("selection, listed", [
    (("--step", "create-b"), [("schema", ["create-b"])]),
    (("--skip", "create-a"), [("schema", ["create-b"]), ("data", ["fill-a"])]),
    (("--skip", "schema"), [("data", ["fill-a"])]),
    (("--phase", "data"), [("data", ["fill-a"])]),
    (("--tag", "later"), [("schema", ["create-b"])]),
    (("--phase", "schema", "--skip", "create-a"), [("schema", ["create-b"])]),
])
def test_status_lists_only_the_selected_steps_and_not_the_drift_of_others(db_url, drifted_plan, capsys, selection,
                                                                           listed):
    doc = _status_json(capsys, db_url, drifted_plan, *selection)
    assert _listed(doc) == listed
    assert (doc["status"], doc["ok"], doc["message"]) == ("ok", True, None)
    assert doc["counts"] == {"applied": sum(len(steps) for _, steps in listed)}
    assert {s["state"] for p in doc["phases"] for s in p["steps"]} == {"applied"}


def test_status_of_a_selected_drifted_step_reports_its_drift(db_url, drifted_plan, capsys):
    doc = _status_json(capsys, db_url, drifted_plan, "--phase", "schema")
    assert _listed(doc) == [("schema", ["create-a", "create-b"])]
    assert (doc["status"], doc["message"]) == ("drift", "drift: create-a changed since applied")


def test_status_text_and_markdown_show_only_the_selected_steps(db_url, drifted_plan, capsys):
    code, out, err = run(capsys, "--database", db_url, "status", drifted_plan, "--skip", "create-a")
    assert (code, err) == (0, "")
    assert "create-a" not in out and "DRIFT" not in out and "changed since applied" not in out
    assert "Phase schema\n" in out and "Phase data\n" in out and "create-b" in out and "fill-a" in out
    assert out.rstrip("\n").endswith("Summary: 2 applied")

    code, out, err = run(capsys, "--database", db_url, "status", drifted_plan, "--step", "fill-a", "--format",
                         "markdown")
    assert (code, err) == (0, "")
    assert "### Phase `data`" in out and "`fill-a`" in out
    assert "Phase `schema`" not in out and "create-a" not in out and "create-b" not in out
    assert "**Summary:** 1 applied" in out


def test_status_of_pending_steps_lists_the_selection_before_any_apply(db_url, tmp_path, capsys):
    path = write_plan_file(tmp_path, PLAN)
    doc = _status_json(capsys, db_url, path, "--phase", "data")
    assert _listed(doc) == [("data", ["fill-a"])]
    assert [s["state"] for s in doc["phases"][0]["steps"]] == ["pending"]


@pytest.mark.parametrize("option, value, message", [
    ("--phase", "nope", "--phase nope: no such phase in plan demo"),
    ("--step", "nope", "--step nope: no such step in plan demo"),
    ("--skip", "nope", "--skip nope: no such phase or step in plan demo"),
    ("--tag", "nope", "--tag nope: no step of plan demo has this tag"),
])
def test_status_with_an_unknown_id_or_tag_is_one_line_and_exit_2(db_url, tmp_path, capsys, option, value, message):
    path = write_plan_file(tmp_path, PLAN)
    assert run(capsys, "--database", db_url, "status", path, option, value) == (2, "", f"migrator: {message}\n")
