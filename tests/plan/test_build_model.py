"""load_plan builds the frozen model: variables substituted, files read, checksums stable."""
from __future__ import annotations

import dataclasses
import textwrap

import pytest

from migrator.errors import PlanInvalid
from migrator.plan.build import load_plan
from migrator.plan.model import BatchAction, ManualAction, PythonAction, SqlAction

PLAN = textwrap.dedent(
    """\
    migrator: 1
    name: demo
    vars:
      table: users
      size: 50
    phases:
      - id: p
        title: Phase
        preconditions:
          - table_exists: ${table}
        steps:
          - id: create
            title: Create
            sql: |
              CREATE TABLE ${table} (id INTEGER); -- the table
              SELECT '$${literal}'
            rollback: DROP TABLE ${table}
            verify:
              - query: SELECT count(*) FROM ${table}
                expect: {ge: 0}
              - row_count: {table: "${table}", expect: 0}
              - not: {table_exists: other}
              - any: [{dialect: sqlite}, {dialect: [postgresql, mysql]}]
          - id: fill
            batch:
              sql: UPDATE ${table} SET id = id WHERE id IN (SELECT id FROM ${table} LIMIT :batch_size)
              size: ${size}
              pause: 100ms
              max_batches: 3
            idempotent: true
            rerun: on_change
            requires: [create]
            when: {dialect: [postgresql, sqlite]}
            tags: [data]
            allow: [unbounded-dml]
          - id: ask
            manual: Check the dashboard for ${table}
          - id: code
            python: scripts/step.py:run
          - id: from-file
            sql_file: sql/x.sql
            transaction: false
            optional: true
          - id: check-only
            verify:
              - step_applied: create
    """
)


@pytest.fixture
def plan_dir(tmp_path):
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "step.py").write_text("def run(ctx):\n    return 1\n")
    (tmp_path / "sql").mkdir()
    (tmp_path / "sql" / "x.sql").write_text("INSERT INTO ${table} VALUES (1);\n")
    (tmp_path / "plan.yaml").write_text(PLAN)
    return tmp_path


def _checksums(path, **overrides):
    return {s.id: s.checksum for s in load_plan(str(path), overrides or None).steps}


def test_model_has_everything_substituted_and_typed(plan_dir):
    plan = load_plan(str(plan_dir / "plan.yaml"))
    assert plan.name == "demo" and plan.vars == {"table": "users", "size": 50}
    (phase,) = plan.phases
    assert phase.preconditions[0].arg == "users"
    create, fill, ask, code, from_file, check_only = phase.steps
    assert create.action == SqlAction(texts=("CREATE TABLE users (id INTEGER); -- the table\nSELECT '${literal}'\n",))
    assert create.rollback == SqlAction(texts=("DROP TABLE users",))
    assert [c.kind for c in create.verify] == ["query", "row_count", "not", "any"]
    assert create.verify[0].expect == ("ge", 0)
    assert create.verify[1].expect == ("eq", 0)
    assert create.verify[2].arg.kind == "table_exists"
    assert [c.arg for c in create.verify[3].arg] == [("sqlite",), ("postgresql", "mysql")]
    assert (create.location.line, create.location.col, create.path) == (12, 9, "phases[0].steps[0]")
    assert fill.action == BatchAction(sql="UPDATE users SET id = id WHERE id IN (SELECT id FROM users LIMIT :batch_size)", size=50, pause_ms=100, max_batches=3)
    assert (fill.idempotent, fill.rerun, fill.requires, fill.when_dialects, fill.tags, fill.allow) == (
        True, "on_change", ("create",), ("postgresql", "sqlite"), ("data",), ("unbounded-dml",))
    assert ask.action == ManualAction("Check the dashboard for users")
    assert code.action == PythonAction(target="scripts/step.py:run", module=None, file=str(plan_dir / "scripts" / "step.py"), function="run")
    assert from_file.action == SqlAction(texts=("INSERT INTO users VALUES (1);\n",), file="sql/x.sql", kind="sql_file")
    assert (from_file.transaction, from_file.optional) == (False, True)
    assert check_only.action is None and check_only.action_kind == "check"
    with pytest.raises(dataclasses.FrozenInstanceError):
        create.id = "x"


def test_checksum_ignores_titles_layout_line_endings_and_trailing_spaces(plan_dir):
    path = plan_dir / "plan.yaml"
    before = _checksums(path)
    edited = PLAN.replace("title: Create", "title: Create the users table").replace(
        "            rollback: DROP TABLE ${table}", "            rollback:   DROP TABLE ${table}   "
    ).replace("- the table\n", "- the table   \n")
    path.write_text(edited.replace("\n", "\r\n"))
    assert _checksums(path) == before


def test_a_byte_order_mark_in_a_sql_file_is_not_part_of_it(plan_dir):
    # Re-saving a SQL file with a BOM (some Windows editors do) is no change: no drift.
    path, sql = plan_dir / "plan.yaml", plan_dir / "sql" / "x.sql"
    before = _checksums(path)
    sql.write_bytes(b"\xef\xbb\xbf" + sql.read_bytes())
    assert _checksums(path) == before
    step = next(s for s in load_plan(str(path)).steps if s.id == "from-file")
    assert not step.action.texts[0].startswith("\ufeff")


def test_checksum_changes_with_executed_text_comments_variables_and_files(plan_dir):
    path = plan_dir / "plan.yaml"
    before = _checksums(path)
    path.write_text(PLAN.replace("-- the table", "-- the users table"))
    assert _checksums(path)["create"] != before["create"]
    path.write_text(PLAN)
    changed = _checksums(path, table="accounts")
    assert {k for k in before if before[k] != changed[k]} == {"create", "fill", "ask", "from-file"}
    (plan_dir / "scripts" / "step.py").write_text("def run(ctx):\n    return 2\n")
    assert _checksums(path)["code"] != before["code"]


def test_batch_tuning_does_not_change_the_checksum(plan_dir):
    path = plan_dir / "plan.yaml"
    before = _checksums(path)
    assert _checksums(path, size="10")["fill"] == before["fill"]


def test_env_variables_and_defaults(tmp_path):
    path = tmp_path / "plan.yaml"
    path.write_text(
        "migrator: 1\nname: e\nvars:\n  who: ${env:MIGRATOR_T_WHO:-nobody}\n"
        "phases: [{id: p, steps: [{id: s, sql: \"SELECT '${who}', '${env:MIGRATOR_T_X:-dflt}'\"}]}]\n"
    )
    step = load_plan(str(path), environ={}).steps[0]
    assert step.action.texts == ("SELECT 'nobody', 'dflt'",)
    step = load_plan(str(path), environ={"MIGRATOR_T_WHO": "ann", "MIGRATOR_T_X": "x"}).steps[0]
    assert step.action.texts == ("SELECT 'ann', 'x'",)
    step = load_plan(str(path), {"who": "bob"}, environ={}).steps[0]
    assert step.action.texts == ("SELECT 'bob', 'dflt'",)


def test_a_var_overrides_a_default_that_reads_an_unset_environment_variable(tmp_path):
    """The default is not used, so the environment variable it names need not be set."""
    path = tmp_path / "plan.yaml"
    path.write_text(
        "migrator: 1\nname: e\nvars:\n  home: ${env:MIGRATOR_T_UNSET_HOME}\n"
        "phases: [{id: p, steps: [{id: s, sql: \"SELECT '${home}'\"}]}]\n"
    )
    assert load_plan(str(path), {"home": "x"}, environ={}).steps[0].action.texts == ("SELECT 'x'",)
    with pytest.raises(PlanInvalid, match="environment variable MIGRATOR_T_UNSET_HOME is not set"):
        load_plan(str(path), environ={})


def test_a_vars_default_naming_another_variable_says_so_not_undefined(tmp_path):
    path = tmp_path / "plan.yaml"
    path.write_text(
        "migrator: 1\nname: e\nvars:\n  schema: app\n  tbl: ${schema}.users\n"
        "phases: [{id: p, steps: [{id: s, sql: \"SELECT 1 FROM ${tbl}\"}]}]\n"
    )
    with pytest.raises(PlanInvalid) as exc:
        load_plan(str(path), environ={})
    assert str(exc.value) == (
        f"{path}:5:8: vars.tbl: a vars default may read the environment (${{env:NAME}}) but not another "
        "variable (${schema}); write the value out, or $${ for a literal ${"
    )


def test_a_var_keeps_the_type_of_the_default_it_replaces(tmp_path):
    """ctx.vars gets 500 for --var batch_size=500 when the default is a number, as
    Terraform reads -var by type; the SQL gets the text given, whatever the type."""
    path = tmp_path / "plan.yaml"
    path.write_text(
        "migrator: 1\nname: e\nvars:\n  n: 1000\n  flag: true\n  ratio: 1.5\n  version: 1\n  padded: 7\n  name: x\n"
        "phases: [{id: p, steps: [{id: s, sql: \"SELECT ${n}, ${flag}, ${ratio}, '${version}', ${padded}, '${name}'\"}]}]\n"
    )
    overrides = {"n": "500", "flag": "false", "ratio": "2.5", "version": "1.2.3", "padded": "07", "name": "42"}
    plan = load_plan(str(path), overrides, environ={})
    assert plan.vars == {"n": 500, "flag": False, "ratio": 2.5, "version": "1.2.3", "padded": "07", "name": "42"}
    assert plan.steps[0].action.texts == ("SELECT 500, false, 2.5, '1.2.3', 07, '42'",)



@pytest.mark.parametrize("value, message", [
    ("9" * 5000, "a number of 30 digits or more is too large (at most 9223372036854775807)"),
    ("²", "expected a positive integer, got '²'"),  # "²".isdigit() is true; int("²") raises
])
def test_a_batch_size_var_that_is_no_integer_python_can_read_is_a_plan_error(tmp_path, value, message):
    """Python converts at most 4300 digits, and not every digit isdigit() knows: each
    one plan error (exit 2), not an internal error."""
    path = tmp_path / "plan.yaml"
    path.write_text(
        "migrator: 1\nname: e\nvars:\n  n: 1000\n"
        "phases: [{id: p, steps: [{id: s, batch: {sql: 'UPDATE t SET a = 1 LIMIT :batch_size', size: '${n}'}}]}]\n"
    )
    with pytest.raises(PlanInvalid) as exc:
        load_plan(str(path), {"n": value}, environ={})
    assert str(exc.value) == f"{path}:5:93: phases[0].steps[0].batch.size: {message}"

@pytest.mark.parametrize("module", ["steps", "pkg.steps", "pkg"])
def test_a_module_step_in_the_plans_directory_counts_its_source_and_the_vars_it_reads(tmp_path, module):
    """`module:function` imported from the plan's directory executes that file: editing
    it, or a --var it reads, changes the checksum (drift), as for `file.py:function`."""
    source = tmp_path / (module.replace(".", "/") + ".py" if module != "pkg" else "pkg/__init__.py")
    source.parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / "pkg" / "__init__.py").parent.mkdir(exist_ok=True)
    (tmp_path / "pkg" / "__init__.py").touch()
    source.write_text('def run(ctx):\n    return ctx.vars["size"]\n')
    path = tmp_path / "plan.yaml"
    path.write_text(f"migrator: 1\nname: m\nvars:\n  size: 10\n  other: x\n"
                    f"phases: [{{id: p, steps: [{{id: s, python: '{module}:run'}}]}}]\n")
    before = _checksums(path)
    assert _checksums(path, other="y") == before  # a variable it does not read
    assert _checksums(path, size="20") != before
    source.write_text('def run(ctx):\n    return 2 * ctx.vars["size"]\n')
    assert _checksums(path) != before


def test_a_module_step_not_in_the_plans_directory_keeps_its_checksum(tmp_path):
    path = tmp_path / "plan.yaml"
    path.write_text("migrator: 1\nname: m\nvars:\n  size: 10\n"
                    "phases: [{id: p, steps: [{id: s, python: 'json:dumps'}]}]\n")
    assert _checksums(path, size="20") == _checksums(path)
