"""The renderers of ``migrator test``: deterministic text, Markdown and JSON."""
from __future__ import annotations

import json

import pytest

from migrator.errors import UsageError
from migrator.prove.proof import ProofReport, StepProof
from migrator.prove.render import render

REPORT = ProofReport(
    plan="jobs",
    source="plans/jobs.yaml",
    dialect="postgresql",
    database="postgresql+psycopg://ci:***@db/scratch",
    setup="plans/setup.yaml",
    proofs=(
        StepProof("create-jobs", "schema", "rollback", "proved",
                  "rolled back to the schema before the step, re-applied to the schema after it"),
        StepProof("index-jobs", "schema", "rollback", "failed", "the rollback did not restore the schema before the step",
                  ("unexpected index ix_jobs_status on jobs(status) after rollback",), title="Job indexes"),
        StepProof("seed-jobs", "data", None, "unproved", "not idempotent and no rollback"),
    ),
    not_applicable=("index-jobs-mysql",),
    notes=("after every rollback, newest first, the schema was back to before the plan",),
)


def test_text_lists_each_proof_with_its_differences():
    assert render(REPORT, "text") == (
        "Test jobs (plans/jobs.yaml) on postgresql (postgresql+psycopg://ci:***@db/scratch), after setup plan plans/setup.yaml\n"
        "\n"
        "  proved    create-jobs  rollback    rolled back to the schema before the step, re-applied to the schema after it\n"
        "  FAILED    index-jobs   rollback    the rollback did not restore the schema before the step\n"
        "            - unexpected index ix_jobs_status on jobs(status) after rollback\n"
        "  unproved  seed-jobs    -           not idempotent and no rollback\n"
        "\n"
        "not applicable on postgresql: index-jobs-mysql\n"
        "\n"
        "note: after every rollback, newest first, the schema was back to before the plan\n"
        "\n"
        "1 proved, 1 failed, 1 unproved\n"
    )


def test_markdown_has_a_summary_a_table_and_the_differences():
    assert render(REPORT, "markdown") == (
        "## migrator test: `jobs`\n"
        "\n"
        "**Summary:** 1 proved · 1 failed · 1 unproved — on postgresql (postgresql+psycopg://ci:\\*\\*\\*@db/scratch), "
        "after setup plan plans/setup.yaml\n"
        "\n"
        "| step | proof | result | detail |\n"
        "|---|---|---|---|\n"
        "| `create-jobs` | rollback | ✅ proved | rolled back to the schema before the step, re-applied to the schema after it |\n"
        "| `index-jobs` | rollback | ❌ failed | the rollback did not restore the schema before the step |\n"
        "| `seed-jobs` | — | ➖ unproved | not idempotent and no rollback |\n"
        "\n"
        "### Differences\n"
        "\n"
        "`index-jobs` (rollback): the rollback did not restore the schema before the step\n"
        "\n"
        "- unexpected index ix_jobs_status on jobs(status) after rollback\n"
        "\n"
        "Not applicable on postgresql: `index-jobs-mysql`\n"
        "\n"
        "- after every rollback, newest first, the schema was back to before the plan\n"
    )


def test_json_is_the_reports_dictionary():
    doc = json.loads(render(REPORT, "json"))
    assert (doc["ok"], doc["counts"], doc["setup"]) == (False, {"proved": 1, "failed": 1, "unproved": 1}, "plans/setup.yaml")
    assert doc["proofs"][1]["diff"] == ["unexpected index ix_jobs_status on jobs(status) after rollback"]
    assert doc["proofs"][1]["title"] == "Job indexes"


def test_an_unknown_format_is_a_usage_error():
    with pytest.raises(UsageError, match="unknown format 'html'"):
        render(REPORT, "html")
