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
