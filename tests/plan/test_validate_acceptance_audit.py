"""Bad plans that `validate` let through or explained wrongly (black-box acceptance audit)."""
from __future__ import annotations

import textwrap

import pytest

from migrator import api
from migrator.plan.variables import VariableError, substitute

HEAD = "migrator: 1\nname: demo\n"


def _plan(body: str) -> str:
    return HEAD + textwrap.dedent(body).lstrip("\n")


def _step(lines: str) -> str:
    """A plan whose only step (at line 6) has these extra lines, at the step's indentation."""
    body = textwrap.indent(textwrap.dedent(lines).lstrip("\n"), " " * 8)
    return HEAD + "phases:\n  - id: p\n    steps:\n      - id: s\n" + body


ALL_KINDS = ("table_exists, column_exists, index_exists, foreign_key_exists, query, no_rows, row_count, "
             "no_orphans, unchanged, step_applied, dialect, all, any, not")

# (id, plan text, expected "line:col: path: message" lines, in order)
CASES = [
    # A check with a label and nothing to check passed validate, then crashed plan and apply.
    ("check-without-kind", _step("""
        sql: SELECT 1
        verify:
          - name: rows are there
            message: they are not
        """), [f"9:13: phases[0].steps[0].verify[0]: a check needs one kind key ({ALL_KINDS})"]),
    ("nested-check-without-kind", _step("""
        preconditions:
          - not: {name: x}
        """), [f"8:18: phases[0].steps[0].preconditions[0].not: a check needs one kind key ({ALL_KINDS})"]),
    # rollback is SQL (itself a string or a list) or a mapping: nested alternatives.
    ("rollback-mapping-unknown-key", _step("""
        sql: SELECT 1
        rollback: {sql_file: down.sql, sqll: x}
        """), ["8:30: phases[0].steps[0].rollback.sql_file: SQL file 'down.sql' not found (looked for {dir}/down.sql)",
               "8:40: phases[0].steps[0].rollback.sqll: unknown key 'sqll' — did you mean 'sql_file'?"]),
    ("rollback-empty-mapping", _step("""
        sql: SELECT 1
        rollback: {}
        """), ["8:19: phases[0].steps[0].rollback: missing required key 'sql_file'"]),
    ("rollback-wrong-type", _step("""
        sql: SELECT 1
        rollback: 5
        """), ["8:19: phases[0].steps[0].rollback: expected a string, a list or a mapping, got an integer (5)"]),
    # A bad variable name is the key's fault, at the key.
    ("variable-name", _plan("""
        vars: {1st: x, ok: 1, a-b: 2}
        phases: [{id: p, steps: [{id: s, sql: "SELECT ${ok}"}]}]
        """), ["3:8: vars.1st: '1st' is not a valid variable name: use letters, digits and '_', not starting with a digit",
               "3:23: vars.a-b: 'a-b' is not a valid variable name: use letters, digits and '_', not starting with a digit"]),
    ("migrator-float", "migrator: 1.0\nname: demo\nphases: [{id: p, steps: [{id: s, sql: SELECT 1}]}]\n",
     ["1:11: migrator: must be 1, got 1.0 (the format version is the integer 1)"]),
    ("sql-file-is-a-directory", _step("""
        sql_file: sub
        """), ["7:19: phases[0].steps[0].sql_file: SQL file 'sub' is a directory, not a file ({dir}/sub)"]),
    ("python-file-is-a-directory", _step("""
        python: sub/pkg.py:run
        """), ["7:17: phases[0].steps[0].python: Python file 'sub/pkg.py' is a directory, not a file ({dir}/sub/pkg.py)"]),
    # Spec section 2: a step with no action is a check step, "and only checks".
    ("check-step-with-rollback", _step("""
        verify: [{table_exists: t}]
        rollback: DROP TABLE t
        """), ["8:9: phases[0].steps[0].rollback: a check step (no action) has only checks; rollback undoes an action"]),
    ("unterminated-variable", _step("""
        sql: SELECT '${oops' FROM t
        """), ["7:14: phases[0].steps[0].sql: unterminated ${ (close the reference with }, or write $${ for a literal ${)"]),
]


@pytest.mark.parametrize("text,expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_plan_is_reported_at_its_exact_location(tmp_path, text, expected):
    (tmp_path / "sub" / "pkg.py").mkdir(parents=True)
    path = tmp_path / "plan.yaml"
    path.write_text(text, encoding="utf-8")
    results = api.validate([str(path)])
    assert not results.ok
    prefix = f"{path}:"
    lines = [line[len(prefix):] if line.startswith(prefix) else line for line in results.lines()]
    assert lines == [e.replace("{dir}", str(tmp_path)) for e in expected]


def test_literal_and_unterminated_references():
    assert substitute("SELECT '$${x}', ${a}", {"a": 1}, {}) == "SELECT '${x}', 1"
    with pytest.raises(VariableError, match="unterminated"):
        substitute("SELECT ${a}, '${b", {"a": 1}, {})


def test_unterminated_reference_in_an_sql_file(tmp_path):
    (tmp_path / "up.sql").write_text("SELECT 1;\nSELECT '${x';\n", encoding="utf-8")
    path = tmp_path / "plan.yaml"
    path.write_text(_step("sql_file: up.sql\n"), encoding="utf-8")
    assert api.validate([str(path)]).lines() == [
        f"{path}:7:19: phases[0].steps[0].sql_file: in SQL file 'up.sql': "
        "unterminated ${ (close the reference with }, or write $${ for a literal ${)"
    ]
