"""The Markdown renders as intended: real tables, <details> blocks with SQL, escaped cells."""
from __future__ import annotations

import re

import pytest
from markdown_it import MarkdownIt
from render_samples import apply_report, findings, plan_report, status_report, verify_report

from migrator.render import render, render_findings, render_summary
from migrator.render.markdown import code, fenced, table_cell
from migrator.report import PhaseResult, RunReport, StepResult


def to_html(markdown: str) -> str:
    # GitHub-flavoured enough: CommonMark (HTML blocks allowed) plus tables.
    return MarkdownIt("commonmark").enable("table").render(markdown)


def table_shapes(markdown: str) -> list[list[int]]:
    """Per table, the number of cells in each row (header included)."""
    tokens = MarkdownIt("commonmark").enable("table").parse(markdown)
    shapes, rows, cells = [], None, 0
    for tok in tokens:
        if tok.type == "table_open":
            rows = []
        elif tok.type == "tr_open":
            cells = 0
        elif tok.type in ("th_open", "td_open"):
            cells += 1
        elif tok.type == "tr_close":
            rows.append(cells)
        elif tok.type == "table_close":
            shapes.append(rows)
    return shapes


def test_plan_has_one_step_table_per_phase_plus_sample_tables():
    md = render(plan_report(), "markdown")
    shapes = table_shapes(md)
    step_tables = [s for s in shapes if s[0] == 4]
    assert [len(s) - 1 for s in step_tables] == [2, 5, 4, 1]  # steps per phase
    assert all(set(s) == {4} for s in step_tables)  # "|" in cells never adds a column
    assert [2, 2, 2, 2] in shapes  # the orphan sample rows, 2 columns


def test_sql_sits_in_details_blocks_with_a_fenced_sql_block():
    html = to_html(render(plan_report(), "markdown"))
    blocks = re.findall(r"<details><summary>(.*?)</summary>\s*(.*?)</details>", html, re.S)
    assert [summary for summary, _ in blocks] == [
        "<code>fk-tool-audit-logs</code>: 1 statement — Foreign key tool_audit_logs.userId → users.id",
        "<code>job-indexes</code>: 2 statements",
        "<code>migrate-events</code>: 1 statement — Copy scripts into events",
        "<code>drop-legacy-scripts</code>: 1 statement",
    ]
    for _, body in blocks:
        assert body.startswith('<pre><code class="language-sql">')
    assert "CREATE INDEX IF NOT EXISTS idx_jobs_status ON jobs (status);\n\nCREATE INDEX" in blocks[1][1]


def test_findings_show_rule_severity_why_and_safer_way():
    html = to_html(render(plan_report(), "markdown"))
    assert (
        "<strong>error</strong> <code>drop-table</code> in step <code>drop-legacy-scripts</code> (accepted): "
        "Dropping a table deletes its data for good"
    ) in html
    assert "safer: Stop using the table in the application and deploy that first; then drop it in a later " \
        "migration, after taking a backup or renaming it aside (e.g. to &lt;name&gt;_old) for a while." in html
    assert "has no <code>rollback</code>" in html  # code spans in rule texts stay code


@pytest.mark.parametrize("make", [apply_report, status_report, verify_report])
def test_other_commands_render_tables_with_consistent_rows(make):
    for shape in table_shapes(render(make(), "markdown")):
        assert len(set(shape)) == 1


def test_summary_and_lint_markdown_render_lists_not_code():
    html = to_html(render_summary(apply_report(), date="2025-07-14"))
    assert "<h2>Completed Tasks</h2>" in html and "<h2>Next Steps</h2>" in html
    assert "<code>migrator apply plans/job-system.yaml --confirm drizzle-kit-push</code>" in html
    lint = to_html(render_findings(findings(), "markdown"))
    assert lint.count("<li>") == 4 + 4 + 3  # a finding, its safer way, and a statement when there is one


def test_hostile_plan_text_cannot_break_the_layout():
    step = StepResult(
        step="evil",
        phase="p",
        action="sql",
        verdict="run",
        title="pipes | and\nnewlines </details> <script>",
        reason="a | b\nc",
        statements=("SELECT '```' AS fence, '|' AS pipe",),
    )
    report = RunReport(command="plan", plan="p", source="p.yaml", phases=(PhaseResult("p", "P", (step,)),))
    md = render(report, "markdown")
    assert table_shapes(md) == [[4, 4]]
    html = to_html(md)
    assert "<script>" not in html
    assert html.count("<details>") == 1 and html.count("</details>") == 1
    assert "SELECT '```' AS fence, '|' AS pipe;" in html


def test_escaping_helpers():
    assert table_cell("a | b\nc") == "a \\| b<br>c"
    assert code("uses ` inside") == "``uses ` inside``"
    assert code("`edge`") == "`` `edge` ``"
    assert fenced("x ``` y", "sql") == "````sql\nx ``` y\n````"


def test_a_real_dry_run_in_markdown_is_the_same_text_twice_with_sql_in_details(db_url, tmp_path, capsys):
    # Spec section 6 and 11: `plan --format markdown` on a real database: deterministic
    # (no timestamps, no durations), its SQL in <details><summary>…</summary> with a fenced
    # sql block inside.
    from tests.cli.clirun import run, write_plan_file

    plan = write_plan_file(tmp_path, (
        "migrator: 1\nname: md\nphases:\n  - id: p\n    steps:\n"
        "      - id: a\n        sql: CREATE TABLE a (id INTEGER)\n        rollback: DROP TABLE a\n"
        "      - id: fill\n        sql: INSERT INTO a (id) VALUES (1)\n        rollback: DELETE FROM a\n"
        "        preconditions:\n          - no_rows: SELECT id FROM a\n"
        "        verify:\n          - row_count: {table: a, expect: 1}\n"))
    assert run(capsys, "--database", db_url, "apply", plan, "--step", "a")[0] == 0
    first = run(capsys, "--database", db_url, "plan", plan, "--format", "markdown")
    second = run(capsys, "--database", db_url, "plan", plan, "--format", "markdown")
    assert first == second and first[0] == 0
    text = first[1]
    assert not re.search(r"\d\d:\d\d|\d+ ?ms\b|\d{4}-\d\d-\d\d", text), text
    assert "<details><summary><code>fill</code>: 1 statement</summary>\n\n```sql\nINSERT INTO a (id) VALUES (1);\n```\n\n</details>" in text
    assert "<details>" in to_html(text) and '<code class="language-sql">' in to_html(text)
