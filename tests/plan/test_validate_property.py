"""Random YAML-shaped documents never crash validate: exit 0 or 2, never a traceback."""
from __future__ import annotations

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from migrator.cli import main

KEYS = [
    "migrator", "name", "phases", "steps", "id", "sql", "sql_file", "python", "batch", "manual", "verify",
    "preconditions", "rollback", "requires", "rerun", "idempotent", "on_fail", "query", "expect", "table_exists",
    "all", "any", "not", "when", "dialect", "size", "pause", "vars", "tags", "allow", "no_orphans", "columns",
    "references", "table", "column", "unchanged", "x",
]
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 3), st.dates(), st.sampled_from(["p", "s", "SELECT 1", "${v}", "$${", "a:b", "", "1ms", "drop-table"]),
)
documents = st.recursive(
    scalars,
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(st.sampled_from(KEYS), children, max_size=5)),
    max_leaves=25,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(doc=documents)
def test_random_documents_give_exit_0_or_2_and_no_traceback(tmp_path, capsys, doc):
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    code = main(["validate", str(path)])
    captured = capsys.readouterr()
    assert code in (0, 2), captured.err
    assert "Traceback" not in captured.err and "internal error" not in captured.err
    if code == 2:
        assert all(line.startswith(str(path)) for line in captured.err.splitlines())


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(alphabet=st.sampled_from(list("ab:- \n[]{}'\"#&*!|>%@`\t")), max_size=60))
def test_random_text_gives_exit_2_or_0_and_no_traceback(tmp_path, capsys, text):
    path = tmp_path / "plan.yaml"
    path.write_text(text, encoding="utf-8")
    code = main(["validate", str(path)])
    captured = capsys.readouterr()
    assert code in (0, 2), captured.err
    assert "internal error" not in captured.err


# Anchors, aliases (recursive ones too), merge keys and tags, known and unknown.
TOKENS = [
    "a", "id", "x", "1", "yes", "~", "2026-01-01", ": ", "\n", "\n  ", "- ", "[", "]", "{", "}", ", ",
    "&a ", "&b ", "*a", "*b", "<<: ", "!foo ", "!!int ", "!!str ", "!!map ", "!!seq ", "!!binary ", "!!timestamp ",
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tokens=st.lists(st.sampled_from(TOKENS), max_size=30))
def test_anchors_aliases_and_tags_give_exit_2_or_0_and_located_lines(tmp_path, capsys, tokens):
    path = tmp_path / "plan.yaml"
    path.write_text("".join(tokens), encoding="utf-8")
    code = main(["validate", str(path)])
    captured = capsys.readouterr()
    assert code in (0, 2), captured.err
    if code == 2:
        assert all(line.startswith(str(path)) for line in captured.err.splitlines()), captured.err
