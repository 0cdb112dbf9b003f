"""The loader's speed-ups (issue #9) change nothing a caller can see."""
from __future__ import annotations

import gc

import pytest

from migrator.errors import PlanInvalid
from migrator.plan.build import check_plan, load_plan

VALID = "migrator: 1\nname: demo\nphases:\n  - id: p\n    steps:\n      - id: s\n        sql: SELECT 1\n"


@pytest.fixture
def gc_state():
    was = gc.isenabled()
    yield
    (gc.enable if was else gc.disable)()


@pytest.mark.parametrize("text", [VALID, "migrator: 1\nname: demo\nphases: [\n", "migrator: 2\n"])
def test_loading_turns_the_garbage_collector_back_on(tmp_path, gc_state, text):
    path = tmp_path / "plan.yaml"
    path.write_text(text, encoding="utf-8")
    gc.enable()
    check_plan(str(path))
    assert gc.isenabled()
    try:
        load_plan(str(path))
    except PlanInvalid:
        pass
    assert gc.isenabled()


def test_loading_leaves_a_disabled_garbage_collector_off(tmp_path, gc_state):
    path = tmp_path / "plan.yaml"
    path.write_text(VALID, encoding="utf-8")
    gc.disable()
    load_plan(str(path))
    assert not gc.isenabled()


# YAML 1.1's implicit types, their look-alikes and plain strings, each of which
# the memoised resolver must type exactly as PyYAML does.
SCALARS = [
    "yes", "Yes", "YES", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF", "y", "n", "Y", "N",
    "true", "True", "TRUE", "false", "False", "FALSE", "tRUE", "yES", "onn", "nope",
    "0", "1", "-1", "+1", "010", "08", "0o17", "0x1F", "0X1F", "0x_1F", "0b101", "-0b1", "1_000", "1__0", "_1",
    "190:20:30", "1:30", "1:60", "-1:30",
    "1.5", "1.", ".5", "1e3", "1.0e+3", "1.0e3", "-.inf", "+.INF", ".inf", ".Inf", ".NaN", ".nan", ".NAN", ".nAn", "1_0.5",
    "~", "null", "Null", "NULL", "nULL", "", " ",
    "2026-01-01", "2026-1-1", "2026-01-01T10:00:00Z", "2026-01-01 10:00:00.5 +02:00", "2026-01-01x", "20260101",
    "<<", "<", "=", "==", "!", "&", "*",
    "SELECT 1", "create-t0001", "t0001", "id", "sql", "table_exists", "mark_applied", "${id_type}", "-", "+", ".",
]


def _stock_and_memoised():
    import yaml

    from migrator.plan.loader import _Loader

    return yaml.resolver.Resolver(), _Loader("")


@pytest.mark.parametrize("implicit", [(True, False), (False, True), (False, False), (True, True)])
def test_memoised_resolver_types_every_scalar_as_pyyaml_does(implicit):
    import yaml

    stock, memoised = _stock_and_memoised()
    for _ in range(2):  # the second round answers from the cache
        for value in SCALARS:
            expected = stock.resolve(yaml.ScalarNode, value, implicit)
            assert memoised.resolve(yaml.ScalarNode, value, implicit) == expected, value
    for kind in (yaml.SequenceNode, yaml.MappingNode):
        assert memoised.resolve(kind, None, implicit) == stock.resolve(kind, None, implicit)


def test_memoised_resolver_answers_depend_on_the_arguments_not_the_order():
    import yaml

    _, memoised = _stock_and_memoised()
    assert memoised.resolve(yaml.ScalarNode, "yes", (True, False)) == "tag:yaml.org,2002:bool"
    assert memoised.resolve(yaml.ScalarNode, "yes", (False, True)) == "tag:yaml.org,2002:str"
    assert memoised.resolve(yaml.ScalarNode, "yes", (True, False)) == "tag:yaml.org,2002:bool"


def test_documents_compose_to_the_same_nodes_as_with_pyyamls_loader():
    import yaml

    from migrator.plan.loader import _Loader

    lines = [f"k{i}: {v}" for i, v in enumerate(SCALARS) if v.strip() and v[0] not in "!&*" and v != "-"]
    lines += [f"q{i}: '{v}'" for i, v in enumerate(SCALARS)]
    lines += ["seq: [yes, 'no', 0x1F, ~, 2026-01-01, [1_000, .inf]]", "map: {on: off, 010: 1:30}", "tagged: !!str 10"]

    def shape(node):
        children = node.value if isinstance(node.value, list) else []
        flat = [c for pair in children for c in (pair if isinstance(pair, tuple) else (pair,))]
        return (type(node).__name__, node.tag, node.value if not flat else [shape(c) for c in flat],
                node.start_mark.line, node.start_mark.column)

    ours = yaml.compose("\n".join(lines), Loader=_Loader)
    theirs = yaml.compose("\n".join(lines), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    assert shape(ours) == shape(theirs)
    assert {c.tag for _, c in ours.value} >= {"tag:yaml.org,2002:" + t for t in ("bool", "int", "float", "null", "timestamp", "str")}


MAPPED = """\
defaults: &d
  title: T
  sql: SELECT 1
phases:
  - id: p
    steps:
      - <<: *d
        id: s
        title: own
      - {id: t, tags: [a, b]}
"""


@pytest.mark.parametrize(
    ("path", "key", "expected"),
    [
        ((), False, (1, 1)),
        (("phases",), False, (5, 3)),
        (("phases",), True, (4, 1)),
        (("phases", 0, "steps", 0, "id"), False, (8, 13)),
        (("phases", 0, "steps", 0, "id"), True, (8, 9)),
        (("phases", 0, "steps", 0, "title"), True, (9, 9)),  # its own key overrides the merged one
        (("phases", 0, "steps", 0, "sql"), False, (3, 8)),  # merged: where the anchor wrote it
        (("phases", 0, "steps", 0, "sql"), True, (3, 3)),
        (("phases", 0, "steps", 1), True, (10, 9)),  # a list item has no key: its value
        (("phases", 0, "steps", 1, "tags", 1), False, (10, 27)),
        (("phases", 0, "steps", 1, "tags", 7), False, (10, 23)),  # no such item: the list
        (("phases", 0, "steps", 1, "sqll"), True, (10, 9)),  # no such key: the step
        (("phases", 0, "id", "deeper"), True, (5, 5)),  # nearest ancestor's key
        (("phases", "0"), False, (5, 3)),  # a list is not indexed by strings
        (("nope", 0), False, (1, 1)),
    ],
)
def test_source_map_places_every_path_and_its_nearest_ancestor(path, key, expected):
    from migrator.plan.loader import parse_yaml

    _, source_map = parse_yaml(MAPPED, "plan.yaml")
    location = source_map.location(path, key=key)
    assert (location.file, location.line, location.col) == ("plan.yaml", *expected)


def _modules_after(code: str) -> set[str]:
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", code + "\nimport sys; print(' '.join(sorted(sys.modules)))"],
                         capture_output=True, text=True, check=True).stdout
    return set(out.splitlines()[-1].split())


def test_validate_does_not_import_the_plan_model_but_loading_a_plan_does(tmp_path):
    """The model's frozen dataclasses take milliseconds to create, and validate builds no Plan."""
    path = tmp_path / "plan.yaml"
    path.write_text(VALID, encoding="utf-8")
    validated = _modules_after(f"from migrator.cli import main\nassert main(['validate', {str(path)!r}]) == 0")
    assert "migrator.plan.build" in validated
    assert "migrator.plan.model" not in validated
    loaded = _modules_after(f"from migrator.plan.build import load_plan\nload_plan({str(path)!r})")
    assert "migrator.plan.model" in loaded


def test_the_model_still_offers_the_plan_vocabulary():
    from migrator.plan import kinds, model

    for name in ("CHECK_KINDS", "ACTION_KINDS", "ON_FAIL", "RERUN", "DIALECTS", "COMPARATORS"):
        assert getattr(model, name) is getattr(kinds, name)
