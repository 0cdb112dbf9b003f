"""``migrator resolve PLAN PHASE --applied|--pending``: a phase's verify accepted by hand,
or made to run again (a row keyed by the phase id, as apply journals a phase verify)."""
from __future__ import annotations

import shlex

import pytest

from migrator import api
from migrator.cli import main
from migrator.engine.journal import current_user
from migrator.errors import UsageError
from tests.dbutil import run_sql as _sql

PLAN = """\
migrator: 1
name: phase-resolve
phases:
  - id: one
    verify:
      - row_count: {table: t, expect: 1}
    steps:
      - id: make-t
        sql:
          - CREATE TABLE t (id integer)
          - INSERT INTO t (id) VALUES (1), (2)
  - id: two
    steps:
      - id: make-u
        sql: CREATE TABLE u (id integer)
"""


def _phase_rows(url: str) -> list[tuple]:
    return _sql(url, "SELECT phase, step, status, run_by, message FROM migrator_journal WHERE step = 'one' ORDER BY id")


def _outcomes(report) -> dict[str, str]:
    return {s.step: s.outcome for s in report.steps}


def test_resolve_applied_accepts_a_failed_phase_verify_and_the_next_apply_goes_on(sqlite_url, write_plan):
    path = write_plan(PLAN)
    assert api.apply(path, sqlite_url).exit_code == 1

    report = api.resolve(path, "one", sqlite_url, applied=True)
    assert report.message == "the verify of phase one recorded as accepted: the next apply goes on past it"
    assert report.phases[0].reverify is None
    who = current_user()
    assert _phase_rows(sqlite_url)[-1] == (
        "one", "one", "applied", who, f"resolve --applied by {who} (was failed): its verify accepted by hand")
    assert api.plan(path, sqlite_url).phases[0].reverify is None

    after = api.apply(path, sqlite_url)
    assert (after.status, after.exit_code) == ("ok", 0)
    assert _outcomes(after) == {"make-t": "already_applied", "make-u": "applied"}
    assert after.phases[0].verify == ()  # accepted: not run again


def test_resolve_pending_on_a_phase_makes_its_verify_run_again_on_the_next_apply(sqlite_url, write_plan):
    path = write_plan(PLAN.replace("expect: 1", "expect: 2"))
    assert api.apply(path, sqlite_url).exit_code == 0  # the verify held

    report = api.resolve(path, "one", sqlite_url, applied=False)
    assert report.message == "the verify of phase one recorded as pending: the next apply runs it again"
    who = current_user()
    # The verify held the first time, which leaves no phase row: nothing to say it "was".
    assert _phase_rows(sqlite_url) == [
        ("one", "one", "failed", who, f"marked pending by hand by {who} with resolve --pending")]
    note = (f"the verify of phase one was marked pending by hand by {who} with resolve --pending; "
            "it runs again, and later phases wait until it holds")
    assert report.phases[0].reverify == note
    dry = api.plan(path, sqlite_url)
    assert dry.phases[0].reverify == note and dry.pending

    _sql(sqlite_url, "INSERT INTO t (id) VALUES (3)")  # the data went bad meanwhile: the verify catches it
    again = api.apply(path, sqlite_url)
    assert (again.exit_code, [c.held for c in again.phases[0].verify]) == (1, [False])
    _sql(sqlite_url, "DELETE FROM t WHERE id = 3")
    held = api.apply(path, sqlite_url)
    assert (held.exit_code, [c.held for c in held.phases[0].verify]) == (0, [True])
    assert [r[2] for r in _phase_rows(sqlite_url)] == ["failed", "failed", "applied"]


def test_resolve_on_the_command_line_takes_a_phase_and_exits_2_for_an_unknown_id(sqlite_url, write_plan, capsys):
    path = write_plan(PLAN)
    assert main(["apply", path, "--database", sqlite_url]) == 1
    capsys.readouterr()
    assert main(["resolve", path, "one", "--applied", "--database", sqlite_url]) == 0
    assert capsys.readouterr().out == "the verify of phase one recorded as accepted: the next apply goes on past it\n"
    assert main(["apply", path, "--database", sqlite_url]) == 0

    assert main(["resolve", path, "nope", "--applied", "--database", sqlite_url]) == 2
    assert capsys.readouterr().err == "migrator: resolve nope: no such step or phase in plan phase-resolve\n"


def test_resolve_of_a_phase_without_verify_checks_is_exit_2_and_writes_nothing(sqlite_url, write_plan):
    path = write_plan(PLAN)
    api.apply(path, sqlite_url)
    before = _sql(sqlite_url, "SELECT count(*) FROM migrator_journal")
    with pytest.raises(UsageError) as e:
        api.resolve(path, "two", sqlite_url, applied=True)
    assert str(e.value) == "resolve two: phase two has no verify checks, so there is nothing to resolve"
    assert e.value.exit_code == 2
    assert _sql(sqlite_url, "SELECT count(*) FROM migrator_journal") == before


def test_the_failed_phase_verify_hint_names_resolve_applied_with_the_runs_options(sqlite_url, write_plan, capsys):
    path = write_plan(PLAN.replace("VALUES (1), (2)", "VALUES (1), (${second})").replace(
        "phases:", "vars:\n  second: 2\nphases:", 1))
    options = ["--database", sqlite_url, "--var", "second=5"]
    assert main(["apply", path, *options]) == 1
    out = capsys.readouterr().out
    resolve = f"migrator resolve {path} one --applied --database {sqlite_url} --var second=5"
    assert (f"next: fix what the verify of phase one found and run migrator apply {path} --database {sqlite_url} "
            f"--var second=5 again; it runs that verify again before going on (to accept phase one as it is "
            f"instead, run {resolve})\n") in out
    report = api.apply(path, sqlite_url, variables={"second": "5"})
    assert any(resolve in n for n in report.next_steps)

    # The hint works as printed: same database, same variables, no drift.
    assert main(shlex.split(resolve)[1:]) == 0
    assert main(["apply", path, *options]) == 0
    assert _sql(sqlite_url, "SELECT count(*) FROM u") == [(0,)]
