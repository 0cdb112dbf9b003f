"""The pre-commit hooks and the example GitHub Actions workflow are well-formed."""
from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_pre_commit_hooks_run_validate_and_lint_on_plan_files():
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert [(h["id"], h["entry"], h["language"]) for h in hooks] == [
        ("migrator-validate", "migrator validate", "python"),
        ("migrator-lint", "migrator lint", "python"),
    ]
    for hook in hooks:
        files = re.compile(hook["files"])
        assert files.search("plans/migration.yaml")
        assert files.search("db/migrations/2025-07-add-fks.yml")
        assert not files.search(".github/workflows/ci.yml")
        assert not files.search("plans/sql/add-index.sql")


def test_example_workflow_posts_the_markdown_dry_run():
    text = (ROOT / "docs" / "github-actions-dry-run.yml").read_text(encoding="utf-8")
    workflow = yaml.safe_load(text)
    steps = workflow["jobs"]["dry-run"]["steps"]
    runs = "\n".join(s.get("run", "") for s in steps)
    assert 'migrator plan "$PLAN" --format markdown' in runs
    assert 'migrator lint "$PLAN"' in runs
    assert any(s.get("uses", "").startswith("actions/github-script@") for s in steps)
    assert workflow["permissions"]["pull-requests"] == "write"


def test_rules_doc_is_current():
    from rules_doc import DOC, rules_markdown

    assert DOC.read_text(encoding="utf-8") == rules_markdown(), "run python tests/lint/rules_doc.py"
