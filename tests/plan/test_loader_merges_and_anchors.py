"""YAML merge keys follow https://yaml.org/type/merge.html, and anchors may be defined again (YAML 1.2)."""
from __future__ import annotations

import re

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from migrator import api
from migrator.cli import main
from migrator.plan.build import load_plan
from migrator.plan.loader import _Loader, _RedefiningLoader, parse_yaml

# Step c merges two steps that both set sql and title: the first of them gives each.
MERGED = """\
migrator: 1
name: demo
phases:
  - id: p
    steps:
      - &quick
        id: a
        title: Quick
        sql: SELECT 1
      - &slow
        id: b
        title: Slow
        sql: SELECT 2
        tags: [slow]
      - <<: [*quick, *slow]
        id: c
"""


def _write(tmp_path, text):
    path = tmp_path / "plan.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_of_several_merged_mappings_the_first_that_has_a_key_gives_it(tmp_path):
    c = load_plan(_write(tmp_path, MERGED)).phases[0].steps[2]
    assert (c.id, c.title, c.action.texts, c.tags) == ("c", "Quick", ("SELECT 1",), ("slow",))


def test_a_key_written_in_the_mapping_overrides_every_merged_one(tmp_path):
    c = load_plan(_write(tmp_path, MERGED + "        sql: SELECT 3\n")).phases[0].steps[2]
    assert (c.title, c.action.texts) == ("Quick", ("SELECT 3",))


def test_validate_accepts_a_merge_of_mappings_sharing_keys(tmp_path, capsys):
    path = _write(tmp_path, MERGED)
    assert main(["validate", path]) == 0
    assert capsys.readouterr().err == ""


def test_source_map_points_at_the_node_a_merged_value_came_from():
    _, source_map = parse_yaml(MERGED + "        title: Own\n", "plan.yaml")
    step = ("phases", 0, "steps", 2)
    where = {(k, key): (loc.line, loc.col) for k in ("sql", "title", "tags", "id")
             for key in (False, True) for loc in [source_map.location(step + (k,), key=key)]}
    assert where == {
        ("sql", False): (9, 14), ("sql", True): (9, 9),  # the first source's, not the second's (line 13)
        ("title", False): (17, 16), ("title", True): (17, 9),  # written in the step itself
        ("tags", False): (14, 15), ("tags", True): (14, 9),  # only the second source has it
        ("id", False): (16, 13), ("id", True): (16, 9),
    }


def test_an_error_in_a_merged_value_is_reported_where_that_value_was_written(tmp_path):
    text = MERGED.replace("title: Quick", "title: [Quick]")
    lines = api.validate([_write(tmp_path, text)]).lines()
    prefix = str(tmp_path / "plan.yaml") + ":"
    assert [line.removeprefix(prefix) for line in lines] == [
        "8:16: phases[0].steps[0].title: expected a string, got a list",
        "8:16: phases[0].steps[2].title: expected a string, got a list",
    ]


# (merges, expected "line:col: path: message" lines). Keys written twice in one
# mapping stay errors, whether that mapping is merged or not.
DUPLICATES = [
    ("vars: {<<: {a: x, a: y}}\n",
     ["3:19: vars.a: duplicate key 'a' (first at line 3); YAML would silently keep only the last one"]),
    ("x: &d {sql: x}\nvars:\n  <<: *d\n  a: x\n  a: y\n",
     ["7:3: vars.a: duplicate key 'a' (first at line 6); YAML would silently keep only the last one"]),
    ("vars:\n  <<: [{a: x}, {a: y, b: x, b: y}]\n",
     ["4:29: vars.b: duplicate key 'b' (first at line 4); YAML would silently keep only the last one"]),
    ("vars:\n  <<: {a: x}\n  <<: {b: y}\n",
     ["5:3: vars.<<: duplicate merge key '<<' (first at line 4); merge several mappings with one list: <<: [*a, *b]"]),
]


def test_a_key_written_twice_in_one_mapping_is_still_an_error(tmp_path):
    prefix = str(tmp_path / "plan.yaml") + ":"
    for body, expected in DUPLICATES:
        path = _write(tmp_path, "migrator: 1\nname: demo\n" + body + "phases: [{id: p, steps: [{id: s, sql: x}]}]\n")
        lines = [line.removeprefix(prefix) for line in api.validate([path]).lines()]
        assert [line for line in lines if "duplicate" in line] == expected, body


# Random merges, checked against the merge rule applied to what was generated (not
# against PyYAML: 6.0.4 lets a key a merged mapping overrides come back through a
# second merge of it) and against the text: each value is written once, at a known place.
KEYS = ["a", "b", "c", "d"]
mappings = st.lists(
    st.tuples(
        st.lists(st.integers(0, 9), max_size=3),  # which earlier mappings to merge (modulo how many there are)
        st.booleans(),  # merge a single mapping without a list
        st.lists(st.sampled_from(KEYS), unique=True, max_size=4),  # its own keys
    ),
    min_size=1,
    max_size=6,
)


def _merged_by_the_rule(spec) -> dict:
    out: dict = {}
    for i, (merges, single, own) in enumerate(spec):
        mapping = {k: f"v{i}{k}" for k in own}
        for n in (merges[:1] if single else merges) if i else ():
            for key, value in out[f"m{n % i}"].items():
                mapping.setdefault(key, value)  # the mapping's own keys, then the first source's
        out[f"m{i}"] = mapping
    return out


def _merge_document(spec) -> str:
    lines = []
    for i, (merges, single, own) in enumerate(spec):
        entries = [f"{k}: v{i}{k}" for k in own]
        if i and merges:
            names = [f"*m{n % i}" for n in merges]
            entries.insert(len(entries) // 2, "<<: " + (names[0] if single else "[" + ", ".join(names) + "]"))
        lines.append(f"m{i}: &m{i} {{" + ", ".join(entries) + "}")
    return "\n".join(lines) + "\n"


@settings(max_examples=200, deadline=None)
@given(spec=mappings)
def test_random_merges_load_by_the_merge_rule_and_each_value_is_placed_where_it_was_written(spec):
    text = _merge_document(spec)
    data, source_map = parse_yaml(text, "plan.yaml")
    assert data == _merged_by_the_rule(spec)
    written = {m.group(): (text.count("\n", 0, m.start()) + 1, m.start() - text.rfind("\n", 0, m.start()))
               for m in re.finditer(r"v\d+[a-d]", text)}
    for name, mapping in data.items():
        for key, value in mapping.items():
            location = source_map.location((name, key))
            assert (location.line, location.col) == written[value]


# Anchors: an alias refers to the most recent node with its name.
REDEFINED = """\
migrator: 1
name: demo
phases:
  - id: p
    steps:
      - &step {id: a, sql: SELECT 1}
      - &step {id: b, sql: SELECT 2}
      - {<<: *step, id: c}
      - id: d
        sql: &q SELECT 4
        rollback: *q
      - id: e
        sql: &q SELECT 5
        rollback: *q
"""


def test_an_anchor_defined_again_names_its_latest_node_from_there_on(tmp_path):
    steps = load_plan(_write(tmp_path, REDEFINED)).phases[0].steps
    assert [(s.id, s.action.texts, s.rollback.texts if s.rollback else None) for s in steps] == [
        ("a", ("SELECT 1",), None),
        ("b", ("SELECT 2",), None),
        ("c", ("SELECT 2",), None),
        ("d", ("SELECT 4",), ("SELECT 4",)),
        ("e", ("SELECT 5",), ("SELECT 5",)),
    ]


def test_validate_accepts_an_anchor_defined_again(tmp_path, capsys):
    assert main(["validate", _write(tmp_path, REDEFINED)]) == 0
    assert capsys.readouterr().err == ""


def test_an_alias_inside_a_node_whose_anchor_is_defined_again_is_a_cycle_only_if_it_names_that_node(tmp_path):
    head = "migrator: 1\nname: demo\n"
    prefix = str(tmp_path / "plan.yaml") + ":"
    cases = {
        # The inner &a is the latest `a` when *a is read: no cycle, a list [1, 1].
        "vars: {x: &a [&a 1, *a]}\n": ["3:11: vars.x: expected a string, a number or true or false, got a list"],
        # The inner &a is still open when *a is read: it contains itself.
        "vars: {x: &a [&a [*a]]}\n": ["3:19: alias *a is inside the node it refers to (&a at line 3): a plan cannot contain itself"],
        "vars: {x: &a 1, y: &a [*a]}\n": ["3:24: alias *a is inside the node it refers to (&a at line 3): a plan cannot contain itself"],
    }
    for body, expected in cases.items():
        path = _write(tmp_path, head + body + "phases: [{id: p, steps: [{id: s, sql: x}]}]\n")
        assert [line.removeprefix(prefix) for line in api.validate([path]).lines()] == expected, body


def _shape(node):
    children = node.value if isinstance(node.value, list) else []
    flat = [c for pair in children for c in (pair if isinstance(pair, tuple) else (pair,))]
    return (type(node).__name__, node.tag, node.value if not flat else [_shape(c) for c in flat],
            node.start_mark.line, node.start_mark.column, node.end_mark.line, node.end_mark.column)


def test_the_redefining_composer_builds_the_same_nodes_as_the_c_one():
    text = MERGED + "extra: [!!str 10, yes, ~, 0x1F, 2026-01-01, 'x', \"y\", &z {a: *quick}, *z]\nblock: |\n  z\n"
    assert _shape(yaml.compose(text, Loader=_RedefiningLoader)) == _shape(yaml.compose(text, Loader=_Loader))


def test_without_libyaml_anchors_defined_again_and_merges_load_the_same(tmp_path):
    """PyYAML without its C extension composes in Python: the same rules hold."""
    import json
    import subprocess
    import sys

    script = (
        "import json, sys, yaml\n"
        "del yaml.CSafeLoader\n"
        "from migrator.plan.loader import _Loader, parse_yaml\n"
        "assert _Loader.__mro__[1] is yaml.SafeLoader\n"
        "print(json.dumps([parse_yaml(t, 'plan.yaml')[0] for t in json.load(sys.stdin)]))\n"
    )
    texts = [MERGED, REDEFINED]
    done = subprocess.run([sys.executable, "-c", script], input=json.dumps(texts), capture_output=True, text=True, check=True)
    assert json.loads(done.stdout) == [parse_yaml(t, "plan.yaml")[0] for t in texts]
