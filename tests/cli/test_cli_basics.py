"""The entry point's process-wide settings: set for the command, restored after it."""
from __future__ import annotations

import gc

from migrator import cli


def test_a_command_runs_with_rare_young_collections_and_restores_the_threshold(monkeypatch):
    seen = []
    monkeypatch.setattr(cli, "_run", lambda argv: seen.append(gc.get_threshold()) or 0)
    before = gc.get_threshold()
    assert cli.main(["--help"]) == 0
    assert seen[0][0] >= cli._YOUNG_GENERATION and seen[0][1:] == before[1:]
    assert gc.get_threshold() == before


def test_the_threshold_is_restored_when_the_command_fails(monkeypatch):
    def boom(argv):
        raise RuntimeError("boom")

    monkeypatch.setattr(cli, "_run", boom)
    before = gc.get_threshold()
    try:
        cli.main(["--help"])
    except RuntimeError:
        pass
    assert gc.get_threshold() == before
