"""The dry run of a step that resumes after a partial failure numbers the statements it
would run by their place in the step, and says which ones are already committed."""
from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from tests.cli.clirun import run, write_plan_file
from tests.dbutil import run_sql

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "schemas" / "report.schema.json").read_text("utf-8"))

NO_TRANSACTION = """\
migrator: 1
name: demo
phases:
  - id: p
    steps:
      - id: fill
        transaction: false
        sql:
          - CREATE TABLE nt (id INTEGER PRIMARY KEY)
          - INSERT INTO later (id) VALUES (2)
          - INSERT INTO nt (id) VALUES (3)
"""


def _plan(capsys, url: str, path: str, fmt: str) -> str:
    code, out, err = run(capsys, "--database", url, "plan", path, "--format", fmt)
    assert code == 0, out + err
    return out


def test_plan_of_a_resumed_step_numbers_its_statements_in_the_step_in_text_markdown_and_json(db_url, tmp_path, capsys):
    path = write_plan_file(tmp_path, NO_TRANSACTION)
    code, out, _ = run(capsys, "--database", db_url, "apply", path)
    assert code == 1 and "failed at statement 2 of 3; statement 1 is committed" in out

    text = _plan(capsys, db_url, path, "text")
    assert "    sql · no transaction · 1/3 statements, 0 rows, " in text
    assert (
        "    SQL (statements 2–3 of 3; statement 1 is already committed):\n"
        "      -- statement 2 of 3\n"
        "      INSERT INTO later (id) VALUES (2);\n"
        "\n"
        "      -- statement 3 of 3\n"
        "      INSERT INTO nt (id) VALUES (3);\n"
    ) in text

    markdown = _plan(capsys, db_url, path, "markdown")
    assert (
        "<details><summary><code>fill</code>: statements 2–3 of 3; statement 1 is already committed</summary>\n"
        "\n"
        "```sql\n"
        "-- statement 2 of 3\n"
        "INSERT INTO later (id) VALUES (2);\n"
        "\n"
        "-- statement 3 of 3\n"
        "INSERT INTO nt (id) VALUES (3);\n"
        "```\n"
    ) in markdown

    doc = json.loads(_plan(capsys, db_url, path, "json"))
    jsonschema.validate(doc, SCHEMA)
    step = doc["phases"][0]["steps"][0]
    assert (step["verdict"], step["statements_done"], step["first_statement"], step["statements"]) == (
        "resume", 1, 2, ["INSERT INTO later (id) VALUES (2)", "INSERT INTO nt (id) VALUES (3)"])


def test_plan_of_a_step_that_runs_from_its_start_lists_every_statement_from_the_first(db_url, tmp_path, capsys):
    path = write_plan_file(tmp_path, NO_TRANSACTION)
    text = _plan(capsys, db_url, path, "text")
    assert "    SQL:\n      CREATE TABLE nt (id INTEGER PRIMARY KEY);\n" in text and "-- statement" not in text
    step = json.loads(_plan(capsys, db_url, path, "json"))["phases"][0]["steps"][0]
    assert (step["first_statement"], len(step["statements"])) == (1, 3)


def test_plan_of_mysql_ddl_resumed_at_its_last_statement_names_it_and_the_committed_ones(mysql_url, tmp_path, capsys):
    path = write_plan_file(tmp_path, """\
migrator: 1
name: demo
phases:
  - id: p
    steps:
      - id: ddl
        sql:
          - CREATE TABLE m1 (id INTEGER)
          - CREATE TABLE m2 (id INTEGER)
          - CREATE TABLE m3 (id INTEGER)
""")
    run_sql(mysql_url, "CREATE TABLE m3 (id INTEGER)")  # statement 3 fails: it exists
    code, out, _ = run(capsys, "--database", mysql_url, "apply", path)
    assert code == 1 and "failed at statement 3 of 3; statements 1–2 are committed" in out

    text = _plan(capsys, mysql_url, path, "text")
    assert "    sql · 2/3 statements, 0 rows, " in text
    assert ("    SQL (statement 3 of 3; statements 1–2 are already committed):\n"
            "      -- statement 3 of 3\n"
            "      CREATE TABLE m3 (id INTEGER);\n") in text
    step = json.loads(_plan(capsys, mysql_url, path, "json"))["phases"][0]["steps"][0]
    assert (step["first_statement"], step["statements"]) == (3, ["CREATE TABLE m3 (id INTEGER)"])
