"""Every kind of bad plan gets its exact location and a sentence a person understands."""
from __future__ import annotations

import os
import textwrap

import pytest

from migrator import api
from migrator.cli import main
from migrator.errors import PlanInvalid
from migrator.plan.build import load_plan

HEAD = "migrator: 1\nname: demo\n"


def _plan(body: str) -> str:
    return HEAD + textwrap.dedent(body).lstrip("\n")


# (id, plan text, expected "line:col: path: message" lines, in order)
CASES = [
    ("unknown-key-suggests", _plan("""
        phases:
          - id: p
            steps:
              - id: s
                sqll: SELECT 1
        """), ["7:9: phases[0].steps[0].sqll: unknown key 'sqll' — did you mean 'sql'?"]),
    # One problem, one line: a misspelt action or required key is not also "missing".
    ("unknown-key-not-an-action", _plan("""
        phases:
          - id: p
            steps:
              - id: s
                titel: x
        """), ["6:9: phases[0].steps[0]: a step needs an action (sql, sql_file, python, batch, manual) or, as a check step, preconditions or verify",
               "7:9: phases[0].steps[0].titel: unknown key 'titel' — did you mean 'title'?"]),
    ("unknown-top-level-key", _plan("""
        phase:
          - id: p
        """), ["3:1: phase: unknown key 'phase' — did you mean 'phases'?"]),
    ("unknown-phase-key", _plan("""
        phases:
          - id: p
            step: [{id: s, sql: SELECT 1}]
        """), ["5:5: phases[0].step: unknown key 'step' — did you mean 'steps'?"]),
    ("wrong-version", "migrator: 2\nname: demo\nphases: [{id: p, steps: [{id: s, sql: SELECT 1}]}]\n",
     ["1:11: migrator: must be 1, got 2"]),
    ("bad-plan-name", "migrator: 1\nname: My Plan\nphases: [{id: p, steps: [{id: s, sql: SELECT 1}]}]\n",
     ["2:7: name: 'My Plan' is not a valid id: use lowercase letters, digits, '.', '_' and '-', starting with a letter or digit"]),
    ("missing-name", "migrator: 1\nphases: [{id: p, steps: [{id: s, sql: SELECT 1}]}]\n",
     ["1:1: missing required key 'name'"]),
    ("no-phases", _plan("phases: []\n"), ["3:9: phases: needs at least 1 item"]),
    ("phase-without-steps", _plan("""
        phases:
          - id: p
            steps: []
        """), ["5:12: phases[0].steps: needs at least 1 item"]),
    ("duplicate-id-across-phase-and-step", _plan("""
        phases:
          - id: p
            steps:
              - id: p
                sql: SELECT 1
        """), ["6:13: phases[0].steps[0].id: duplicate id 'p' (first used at line 4); ids are unique across phases and steps"]),
    ("duplicate-yaml-key", _plan("""
        phases:
          - id: p
            steps:
              - id: s
                sql: SELECT 1
                sql: SELECT 2
        """), ["8:9: phases[0].steps[0].sql: duplicate key 'sql' (first at line 7); YAML would silently keep only the last one"]),
    ("two-actions", _plan("""
        phases:
          - id: p
            steps:
              - id: s
                sql: SELECT 1
                manual: do it
        """), ["8:9: phases[0].steps[0].manual: a step has one action; found sql, manual"]),
    ("rerun-needs-idempotent", _plan("""
        phases:
          - id: p
            steps:
              - id: s
                sql: SELECT 1
                rerun: on_change
        """), ["8:16: phases[0].steps[0].rerun: rerun: on_change requires idempotent: true (running it again must be safe)"]),
    ("rerun-enum", _plan("""
        phases:
          - id: p
            steps:
              - id: s
                sql: SELECT 1
                idempotent: true
                rerun: allways
        """), ["9:16: phases[0].steps[0].rerun: 'allways' is not one of never, always, on_change — did you mean 'always'?"]),
    ("requires-unknown", _plan("""
        phases:
          - id: p
            steps:
              - id: create-users
                sql: SELECT 1
              - id: s
                sql: SELECT 1
                requires: [create-user]
        """), ["10:20: phases[0].steps[1].requires[0]: unknown step 'create-user' — did you mean 'create-users'?"]),
    ("requires-later-step", _plan("""
        phases:
          - id: p
            steps:
              - id: a
                sql: SELECT 1
                requires: [b]
              - id: b
                sql: SELECT 1
        """), ["8:20: phases[0].steps[0].requires[0]: requires 'b', which comes later in the plan; steps run in order, so this can never be satisfied"]),
    ("requires-itself", _plan("""
        phases:
          - id: p
            steps:
              - id: a
                sql: SELECT 1
                requires: [a]
        """), ["8:20: phases[0].steps[0].requires[0]: step 'a' requires itself"]),
    ("requires-a-phase", _plan("""
        phases:
          - id: p
            steps:
              - id: a
                sql: SELECT 1
                requires: [p]
        """), ["8:20: phases[0].steps[0].requires[0]: 'p' is a phase; requires names steps"]),
    ("missing-sql-file", _plan("""
        phases:
          - id: p
            steps:
              - id: a
                sql_file: nowhere.sql
        """), ["7:19: phases[0].steps[0].sql_file: SQL file 'nowhere.sql' not found (looked for {dir}/nowhere.sql)"]),
    ("missing-python-file", _plan("""
        phases:
          - id: p
            steps:
              - id: a
                python: scripts/nope.py:run
        """), ["7:17: phases[0].steps[0].python: Python file 'scripts/nope.py' not found (looked for {dir}/scripts/nope.py)"]),
    ("bad-python-target", _plan("""
        phases:
          - id: p
            steps:
              - id: a
                python: just_a_module
        """), ["7:17: phases[0].steps[0].python: 'just_a_module' is not 'module:function' or 'path/file.py:function'"]),
    ("on-fail-in-verify", _plan("""
        phases:
          - id: p
            steps:
              - id: a
                sql: SELECT 1
                verify:
                  - table_exists: t
                    on_fail: skip
        """), ["10:13: phases[0].steps[0].verify[0].on_fail: on_fail applies to preconditions only (a failed verify always fails the step)"]),
    ("on-fail-enum", _plan("""
        phases:
          - id: p
            steps:
              - id: a
                sql: SELECT 1
                preconditions:
                  - table_exists: t
                    on_fail: skipp
        """), ["10:22: phases[0].steps[0].preconditions[0].on_fail: 'skipp' is not one of halt, skip, mark_applied, warn — did you mean 'skip'?"]),
    ("unchanged-in-preconditions", _plan("""
        phases:
          - id: p
            steps:
              - id: a
                sql: SELECT 1
                preconditions:
                  - unchanged: SELECT * FROM t
        """), ["9:13: phases[0].steps[0].preconditions[0].unchanged: unchanged compares before and after a step, so it belongs in verify, not preconditions"]),
    ("query-without-expect", _plan("""
        phases:
          - id: p
            steps:
              - id: a
                sql: SELECT 1
                verify:
                  - query: SELECT count(*) FROM t
        """), ["9:13: phases[0].steps[0].verify[0]: a query check needs expect (e.g. expect: 0 or expect: {gt: 0})"]),
    ("expect-comparator-typo", _plan("""
        phases:
          - id: p
            steps:
              - id: a
                sql: SELECT 1
                verify:
                  - query: SELECT count(*) FROM t
                    expect: {gte: 1}
        """), ["10:22: phases[0].steps[0].verify[0].expect.gte: unknown key 'gte' — did you mean 'ge'?"]),
    ("two-check-kinds", _plan("""
        phases:
          - id: p
            steps:
              - id: a
                sql: SELECT 1
                verify:
                  - table_exists: t
                    no_rows: SELECT 1
        """), ["10:13: phases[0].steps[0].verify[0].no_rows: a check has one kind; found table_exists, no_rows"]),
    ("empty-check", _plan("""
        phases:
          - id: p
            steps:
              - id: a
                sql: SELECT 1
                verify:
                  - {}
        """), ["9:13: phases[0].steps[0].verify[0]: empty check: give one kind key (table_exists, column_exists, index_exists, foreign_key_exists, query, no_rows, row_count, no_orphans, unchanged, step_applied, dialect, all, any, not)"]),
    ("check-wrong-type", _plan("""
        phases:
          - id: p
            steps:
              - id: a
                sql: SELECT 1
                verify:
                  - table_exists: 3
        """), ["9:27: phases[0].steps[0].verify[0].table_exists: expected a string, got an integer (3)"]),
    ("column-type-family", _plan("""
        phases:
          - id: p
            steps:
              - id: a
                sql: SELECT 1
                verify:
                  - column_exists: {table: t, column: c, type: varchar}
        """), ["9:56: phases[0].steps[0].verify[0].column_exists.type: 'varchar' is not one of integer, numeric, text, boolean, date, datetime, time, json, binary, uuid"]),
    ("index-needs-columns-or-name", _plan("""
        phases:
          - id: p
            steps:
              - id: a
                sql: SELECT 1
                verify:
                  - index_exists: {table: t}
        """), ["9:27: phases[0].steps[0].verify[0].index_exists: index_exists needs columns or name"]),
    ("nested-on-fail", _plan("""
        phases:
          - id: p
            steps:
              - id: a
                sql: SELECT 1
                preconditions:
                  - any:
                      - table_exists: t
                        on_fail: warn
        """), ["11:17: phases[0].steps[0].preconditions[0].any[0].on_fail: on_fail applies to a whole precondition, not to a check nested in all/any/not"]),
    ("step-applied-unknown", _plan("""
        phases:
          - id: p
            steps:
              - id: a
                sql: SELECT 1
                preconditions:
                  - step_applied: b
        """), ["9:27: phases[0].steps[0].preconditions[0].step_applied: unknown step 'b'"]),
    ("batch-without-param", _plan("""
        phases:
          - id: p
            steps:
              - id: a
                batch:
                  sql: UPDATE t SET x = 1 WHERE x IS NULL
        """), ["8:16: phases[0].steps[0].batch.sql: a batch statement must use the bind parameter :batch_size (e.g. ... LIMIT :batch_size)"]),
    ("batch-bad-pause", _plan("""
        phases:
          - id: p
            steps:
              - id: a
                batch:
                  sql: UPDATE t SET x = 1 WHERE id IN (SELECT id FROM t LIMIT :batch_size)
                  pause: soon
        """), ["9:18: phases[0].steps[0].batch.pause: 'soon' is not a duration like '100ms', '2s' or '1m'"]),
    ("batch-size-zero", _plan("""
        phases:
          - id: p
            steps:
              - id: a
                batch:
                  sql: UPDATE t SET x = 1 WHERE id IN (SELECT id FROM t LIMIT :batch_size)
                  size: 0
        """), ["9:17: phases[0].steps[0].batch.size: must be at least 1, got 0"]),
    # Numbers no database binds, and pauses that are typos, are plan errors, not crashes
    # at apply (an int beyond SQLite's INTEGER, int(inf), time.sleep's limit).
    ("batch-size-beyond-bigint", _plan("""
        phases:
          - id: p
            steps:
              - id: a
                batch:
                  sql: UPDATE t SET x = 1 WHERE id IN (SELECT id FROM t LIMIT :batch_size)
                  size: 9223372036854775808
                  pause: .inf
                  max_batches: 99999999999999999999999999999999999999
        """), ["9:17: phases[0].steps[0].batch.size: 9223372036854775808 is too large (at most 9223372036854775807)",
               "10:18: phases[0].steps[0].batch.pause: inf is longer than the longest pause between batches, 1 hour (60m)",
               "11:24: phases[0].steps[0].batch.max_batches: a number of 30 digits or more is too large (at most 9223372036854775807)"]),
    ("batch-pause-too-long", _plan("""
        vars:
          wait: 99999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999s
        phases:
          - id: p
            steps:
              - id: a
                batch:
                  sql: UPDATE t SET x = 1 WHERE id IN (SELECT id FROM t LIMIT :batch_size)
                  pause: 61m
              - id: b
                batch:
                  sql: UPDATE t SET x = 1 WHERE id IN (SELECT id FROM t LIMIT :batch_size)
                  pause: ${wait}
        """), ["11:18: phases[0].steps[0].batch.pause: '61m' is longer than the longest pause between batches, 1 hour (60m)",
               "15:18: phases[0].steps[1].batch.pause: '" + "9" * 320 + "s' is longer than the longest pause between batches, 1 hour (60m)"]),
    ("undefined-variable", _plan("""
        vars:
          table: users
        phases:
          - id: p
            steps:
              - id: a
                sql: SELECT * FROM ${tabel}
        """), ["9:14: phases[0].steps[0].sql: undefined variable ${tabel} (defined: table; set it in vars or with --var tabel=VALUE)"]),
    # A block scalar keeps its final line break; the id pattern's $ must not let it through.
    ("id-with-a-final-line-break", _plan("""
        phases:
          - id: p
            steps:
              - id: |
                  a
                sql: SELECT 1
        """), ["6:13: phases[0].steps[0].id: 'a\\n' is not a valid id: it ends with a line break (use lowercase letters, digits, '.', '_' and '-', starting with a letter or digit)"]),
    ("vars-default-names-another-variable", _plan("""
        vars:
          schema: app
          table: ${schema}.users
        phases:
          - id: p
            steps:
              - id: a
                sql: SELECT * FROM ${table}
        """), ["5:10: vars.table: a vars default may read the environment (${env:NAME}) but not another variable (${schema}); write the value out, or $${ for a literal ${"]),
    ("unset-env-variable", _plan("""
        phases:
          - id: p
            steps:
              - id: a
                sql: SELECT '${env:MIGRATOR_SURELY_UNSET_VAR}'
        """), ["7:14: phases[0].steps[0].sql: environment variable MIGRATOR_SURELY_UNSET_VAR is not set (write ${env:MIGRATOR_SURELY_UNSET_VAR:-default} for a default)"]),
    # One problem, one line: a stray ${ closed by a } lines further on is shown flattened and cut.
    ("stray-reference-spanning-lines", _plan("""
        phases:
          - id: p
            steps:
              - id: a
                sql: |
                  SELECT '${x
                  ' FROM t WHERE a = '}' AND b = 'a long line that goes on and on'
        """), ["7:14: phases[0].steps[0].sql: invalid variable reference ${x ' FROM t WHERE a = '} (names are letters, digits and '_'; write $${ for a literal ${)"]),
    ("unknown-dialect", _plan("""
        phases:
          - id: p
            steps:
              - id: a
                sql: SELECT 1
                when: {dialect: oracle}
        """), ["8:25: phases[0].steps[0].when.dialect: 'oracle' is not one of sqlite, postgresql, mysql"]),
    ("unknown-allow-rule", _plan("""
        phases:
          - id: p
            steps:
              - id: a
                sql: DROP TABLE t
                allow: [drop-tabel]
        """), ["8:17: phases[0].steps[0].allow[0]: 'drop-tabel' is not one of drop-table, drop-schema, drop-column, truncate, not-null-without-default, set-not-null, index-not-concurrent, concurrently-in-transaction, fk-validates-table, column-type-change, rename, unbounded-dml, mysql-partial-ddl, no-rollback — did you mean 'drop-table'?"]),
    ("step-is-a-list", _plan("""
        phases:
          - id: p
            steps:
              - [id, a]
        """), ["6:9: phases[0].steps[0]: expected a mapping, got a list"]),
    ("yaml-syntax", HEAD + "phases:\n  - id: p\n    steps: [\n", ["6:1: YAML syntax error: did not find expected node content"]),
    ("colon-in-value", HEAD + "description: a: b\nphases: []\n", ["3:15: YAML syntax error: mapping values are not allowed in this context (a value containing ': ' needs quotes)"]),
    ("tab-indent", HEAD + "phases:\n\t- id: p\n", ["4:1: YAML syntax error: found character that cannot start any token (a tab: YAML indents with spaces, not tabs)"]),
    ("uppercase-step-id", _plan("""
        phases:
          - id: p
            steps:
              - id: Create-Users
                sql: SELECT 1
        """), ["6:13: phases[0].steps[0].id: 'Create-Users' is not a valid id: use lowercase letters, digits, '.', '_' and '-', starting with a letter or digit — did you mean 'create-users'?"]),
    ("empty-value", _plan("""
        phases:
          - id: p
            steps:
              - id: s
                sql:
        """), ["7:13: phases[0].steps[0].sql: expected a string or a list, got nothing (the value is empty)"]),
    # Indentation mistakes get a hint about indentation, not about quoting.
    ("key-indented-too-deep", HEAD + "phases:\n  - id: p\n    steps:\n      - id: s\n        sql: SELECT 1\n          rollback: x\n",
     ["8:19: YAML syntax error: mapping values are not allowed in this context (this key is indented deeper than the one above it: keys of one mapping line up in one column)"]),
    ("key-indented-too-shallow", HEAD + "phases:\n  - id: p\n    steps:\n      - id: s\n        sql: SELECT 1\n       rollback: x\n",
     ["8:8: YAML syntax error: did not find expected '-' indicator (check this line's indentation: the keys of one mapping, and the items of one list, line up in one column)"]),
    ("item-indented-too-shallow", HEAD + "phases:\n  - id: p\n    steps:\n      - id: s\n        sql: x\n        verify:\n          - table_exists: a\n         - table_exists: b\n",
     ["10:10: YAML syntax error: did not find expected key (check this line's indentation: the keys of one mapping, and the items of one list, line up in one column)"]),
    ("not-a-mapping", "- just\n- a list\n", ["1:1: expected a mapping, got a list"]),
    ("two-documents", HEAD + "phases: []\n---\nname: other\n", ["5:1: more than one YAML document; a plan file holds one"]),
    # An alias inside the node it names would make the plan contain itself.
    ("recursive-alias", HEAD + "phases: &a [*a]\n",
     ["3:13: alias *a is inside the node it refers to (&a at line 3): a plan cannot contain itself"]),
    ("recursive-alias-nested", HEAD + "vars: &a {y: [*a]}\nphases: []\n",
     ["3:15: alias *a is inside the node it refers to (&a at line 3): a plan cannot contain itself"]),
    ("recursive-alias-each-one", _plan("""
        phases: &p
          - id: p
            steps: *p
            tags: [*p]
        """), ["5:12: alias *p is inside the node it refers to (&p at line 3): a plan cannot contain itself",
               "6:12: alias *p is inside the node it refers to (&p at line 3): a plan cannot contain itself"]),
    ("recursive-merge", HEAD + "vars: &a {<<: *a}\nphases: []\n",
     ["3:15: alias *a is inside the node it refers to (&a at line 3): a plan cannot contain itself"]),
    ("recursive-merge-nested", HEAD + "vars: &a {y: 1, z: {<<: *a}}\nphases: []\n",
     ["3:25: alias *a is inside the node it refers to (&a at line 3): a plan cannot contain itself"]),
    # An alias's value is placed where its node is written (both at 3:11).
    ("alias-after-its-node-is-no-cycle", HEAD + "vars: {a: &a [x], b: *a}\nphases: []\n",
     ["3:11: vars.a: expected a string, a number or true or false, got a list",
      "3:11: vars.b: expected a string, a number or true or false, got a list",
      "4:9: phases: needs at least 1 item"]),
    ("nested-too-deep", HEAD + "vars: {a: " + "[" * 120 + "]" * 120 + "}\nphases: []\n",
     ["3:109: nested more than 100 levels deep; no plan is this deep"]),
    # Tags: PyYAML's safe loader knows no custom tag, and neither does a plan.
    ("unknown-tag-on-key", HEAD + "!foo a: 1\nphases: []\n", ["3:1: unknown YAML tag '!foo'"]),
    ("unknown-tag-on-value", HEAD.replace("name: demo", "name: !foo bar") + "phases: []\n", ["2:7: name: unknown YAML tag '!foo'"]),
    ("unknown-tag-on-mapping", _plan("""
        phases:
          - !step {id: p, steps: []}
        """), ["4:5: phases[0]: unknown YAML tag '!step'"]),
    ("unknown-tag-on-list", HEAD + "phases: !list []\n", ["3:9: phases: unknown YAML tag '!list'"]),
    ("unknown-tag-after-anchor", HEAD + "vars: {a: &x !foo bar, b: *x, !foo c: 1}\nphases: []\n",
     ["3:14: vars.a: unknown YAML tag '!foo'", "3:31: vars: unknown YAML tag '!foo'"]),
    ("unknown-tag-on-merge-source", HEAD + "vars: {<<: !foo {a: 1}}\nphases: []\n", ["3:12: vars: unknown YAML tag '!foo'"]),
    ("python-object-tag", HEAD + "vars: {a: !!python/object/apply:os.system [true]}\nphases: []\n",
     ["3:11: vars.a: unknown YAML tag '!!python/object/apply:os.system'"]),
    ("verbatim-tag", HEAD + "vars: {a: !<tag:example.com,2000:x> 1}\nphases: []\n",
     ["3:11: vars.a: unknown YAML tag '!<tag:example.com,2000:x>'"]),
    ("unsupported-yaml-tag", HEAD + "vars: {a: !!binary aGk=}\nphases: []\n",
     ["3:11: vars.a: YAML tag '!!binary' is not supported: a plan holds strings, numbers, booleans, null, lists and mappings"]),
    ("tag-of-another-kind", HEAD + "vars: {a: !!str {b: 1}, c: !!map x}\nphases: []\n",
     ["3:11: vars.a: YAML tag '!!str' cannot tag a mapping", "3:28: vars.c: YAML tag '!!map' cannot tag a single value"]),
    ("bad-value-for-its-tag", HEAD + "vars: {a: !!int abc, !!bool maybe: 1, c: !!timestamp soon}\nphases: []\n",
     ["3:11: vars.a: invalid !!int value 'abc'", "3:22: vars: invalid !!bool value 'maybe'", "3:42: vars.c: invalid !!timestamp value 'soon'"]),
    ("tag-on-an-empty-value", HEAD + "vars:\n  a: !!int\n  b: !!float\nphases: []\n",
     ["4:6: vars.a: invalid !!int value ''", "5:6: vars.b: invalid !!float value ''"]),
    ("merge-of-a-scalar", HEAD + "vars: {<<: 1}\nphases: []\n", ["3:12: vars: a merge key (<<) takes a mapping or a list of mappings"]),
    ("mariadb-is-mysql", _plan("""
        phases:
          - id: p
            steps:
              - id: s
                when: {dialect: mariadb}
                verify:
                  - dialect: [mariadb]
        """), ["7:25: phases[0].steps[0].when.dialect: 'mariadb' is not one of sqlite, postgresql, mysql — did you mean 'mysql'?",
               "9:23: phases[0].steps[0].verify[0].dialect[0]: 'mariadb' is not one of sqlite, postgresql, mysql — did you mean 'mysql'?"]),
    # Columns pair in order with the referenced columns: a count that differs is no key at all
    # (before, foreign_key_exists paired the first ones and held for users(id, email)).
    ("key-columns-count-differs", _plan("""
        phases:
          - id: p
            steps:
              - id: s
                verify:
                  - foreign_key_exists: {table: m, columns: user_id, references: {table: users, columns: [id, email]}}
                  - no_orphans: {table: m, columns: [a, b], references: orgs.a}
                  - foreign_key_exists: {table: m, columns: [a, b], references: {table: orgs, columns: [a, b]}}
        """), ["8:74: phases[0].steps[0].verify[0].foreign_key_exists.references: 1 column(s) but 2 referenced column(s); they pair in order, one for each",
               "9:65: phases[0].steps[0].verify[1].no_orphans.references: 2 columns but references 'orgs.a' names one column; "
               "write references: {table: ..., columns: [...]} with a column for each"]),
]


@pytest.mark.parametrize("text,expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_plan_is_reported_at_its_exact_location(tmp_path, text, expected):
    path = tmp_path / "plan.yaml"
    path.write_text(text, encoding="utf-8")
    results = api.validate([str(path)])
    assert not results.ok
    prefix = f"{path}:"
    lines = [line[len(prefix):] if line.startswith(prefix) else line for line in results.lines()]
    assert lines == [e.replace("{dir}", str(tmp_path)) for e in expected]


def test_there_are_at_least_25_bad_plan_cases():
    assert len(CASES) >= 25


def test_load_plan_raises_one_planinvalid_naming_the_file(tmp_path):
    path = tmp_path / "plan.yaml"
    path.write_text(_plan("phases:\n  - id: p\n    steps:\n      - id: s\n        titel: x\n"), encoding="utf-8")
    with pytest.raises(PlanInvalid) as exc:
        load_plan(str(path))
    assert str(exc.value).startswith(f"{path}:6:9: ")
    assert [i.key() for i in exc.value.issues] == [("action", 6, 9), ("unknown-key", 7, 9)]
    assert exc.value.exit_code == 2


@pytest.mark.parametrize(
    "content,message",
    [
        (b"", "empty file: a plan needs migrator, name and phases"),
        (b"   \n\n", "empty file: a plan needs migrator, name and phases"),
        (b"\x00\x01binary", "binary file (contains NUL bytes), not a YAML plan"),
        (b"name: \xff\xfe\n", ":1:7: not UTF-8 text (byte 0xff: invalid start byte); save it as UTF-8"),
        (b"# only a comment\n", "empty document: a plan needs migrator, name and phases"),
    ],
    ids=["empty", "blank", "binary", "latin1", "comment-only"],
)
def test_unreadable_content_is_one_clear_line(tmp_path, content, message):
    path = tmp_path / "plan.yaml"
    path.write_bytes(content)
    lines = api.validate([str(path)]).lines()
    assert len(lines) == 1
    assert lines[0].endswith(message)
    assert lines[0].startswith(str(path))


def test_a_byte_that_is_not_utf8_is_located_by_line_and_column_in_a_plan_and_a_sql_file(tmp_path):
    """A Latin-1 'é' (a file saved in the wrong encoding): the editor's line:col, after a byte order mark too."""
    (tmp_path / "plan.yaml").write_bytes(b"\xef\xbb\xbfmigrator: 1\nname: caf\xe9\n")
    assert api.validate([str(tmp_path / "plan.yaml")]).lines() == [
        f"{tmp_path / 'plan.yaml'}:2:10: not UTF-8 text (byte 0xe9: invalid continuation byte); save it as UTF-8"]
    (tmp_path / "plan.yaml").write_text(_plan("phases:\n  - id: p\n    steps:\n      - id: s\n        sql_file: x.sql\n"))
    (tmp_path / "x.sql").write_bytes(b"\xef\xbb\xbfSELECT 1;\r\nSELECT '\xe9t\xe9';\r\n")
    [line] = api.validate([str(tmp_path / "plan.yaml")]).lines()
    assert line.endswith(": phases[0].steps[0].sql_file: SQL file 'x.sql' is not UTF-8 text "
                         "(line 2, column 9: byte 0xe9: invalid continuation byte); save it as UTF-8")


def test_an_empty_sql_file_is_refused_as_an_empty_sql_string_is(tmp_path):
    (tmp_path / "plan.yaml").write_text(_plan("phases:\n  - id: p\n    steps:\n      - id: s\n        sql_file: x.sql\n"))
    (tmp_path / "x.sql").write_bytes(b"\xef\xbb\xbf \r\n\n")
    [line] = api.validate([str(tmp_path / "plan.yaml")]).lines()
    assert line.endswith(": phases[0].steps[0].sql_file: SQL file 'x.sql' is empty")


def test_missing_file_and_directory(tmp_path):
    lines = api.validate([str(tmp_path / "nope.yaml"), str(tmp_path)]).lines()
    assert lines == [f"{tmp_path / 'nope.yaml'}: file not found", f"{tmp_path}: is a directory, not a plan file"]


def test_huge_file_is_refused_without_parsing(tmp_path):
    path = tmp_path / "big.yaml"
    with open(path, "wb") as f:
        f.write(b"# " + b"x" * (50 * 1024 * 1024) + b"\n")
    lines = api.validate([str(path)]).lines()
    assert lines == [f"{path}: file is 52.4 MB; plans larger than 10 MiB are refused"]


def test_a_pipe_with_no_size_is_read_no_further_than_the_limit(tmp_path):
    """A fifo or a device (``/dev/zero``) reports size 0: the read itself stops at the
    limit, instead of reading on until memory runs out."""
    import threading

    path = tmp_path / "pipe.yaml"
    os.mkfifo(path)

    def write():
        try:
            with open(path, "wb") as f:
                for _ in range(11):
                    f.write(b"#" + b"x" * (1024 * 1024 - 2) + b"\n")
        except BrokenPipeError:  # the reader stopped at the limit and closed the pipe
            pass

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    lines = api.validate([str(path)]).lines()
    writer.join(timeout=10)
    assert lines == [f"{path}: more than 10 MiB; larger plans are refused"]


def test_alias_bomb_is_refused(tmp_path):
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(8)
    )
    path = tmp_path / "bomb.yaml"
    path.write_text(bomb)
    lines = api.validate([str(path)]).lines()
    assert len(lines) == 1 and "too many nodes" in lines[0]


def test_every_problem_of_every_file_at_once(tmp_path):
    a = tmp_path / "a.yaml"
    b = tmp_path / "b.yaml"
    a.write_text(_plan("phases:\n  - id: p\n    steps:\n      - id: s\n        sql: SELECT 1\n        rerun: always\n"))
    b.write_text("migrator: 1\nname: B\nphases: []\n")
    lines = api.validate([str(a), str(b)]).lines()
    assert lines == [
        f"{a}:8:16: phases[0].steps[0].rerun: rerun: always requires idempotent: true (running it again must be safe)",
        f"{b}:2:7: name: 'B' is not a valid id: use lowercase letters, digits, '.', '_' and '-', starting with a letter or digit — did you mean 'b'?",
        f"{b}:3:9: phases: needs at least 1 item",
    ]


@pytest.mark.parametrize(
    "text,line",
    [
        (HEAD + "phases: &a [*a]\n", "3:13: alias *a is inside the node it refers to (&a at line 3): a plan cannot contain itself"),
        (HEAD + "x: &a {y: [*a]}\nphases: []\n", "3:12: alias *a is inside the node it refers to (&a at line 3): a plan cannot contain itself"),
        (HEAD + "x: &a {<<: *a}\nphases: []\n", "3:12: alias *a is inside the node it refers to (&a at line 3): a plan cannot contain itself"),
        (HEAD + "!foo a: 1\nphases: []\n", "3:1: unknown YAML tag '!foo'"),
        (HEAD.replace("demo", "!foo bar") + "phases: []\n", "2:7: name: unknown YAML tag '!foo'"),
    ],
    ids=["self-alias", "nested-alias", "merge-alias", "tagged-key", "tagged-value"],
)
@pytest.mark.parametrize("command", ["validate", "lint", "plan", "apply"])
def test_every_command_that_loads_a_plan_exits_2_with_the_same_line(tmp_path, capsys, text, line, command):
    path = tmp_path / "plan.yaml"
    path.write_text(text, encoding="utf-8")
    database = ["-d", f"sqlite:///{tmp_path / 'db.sqlite'}"] if command in ("plan", "apply") else []
    assert main([command, str(path), *database]) == 2
    assert capsys.readouterr().err.splitlines() == [f"{path}:{line}"]
    assert not (tmp_path / "db.sqlite").exists()


def test_dates_are_kept_as_written(tmp_path):
    """YAML 1.1 reads 2026-01-01 as a date, which JSON has no type for; a plan means the text."""
    path = tmp_path / "plan.yaml"
    path.write_text(_plan("""
        vars:
          cutoff: 2026-01-01
          stamp: !!timestamp 2026-01-01 10:00:00.5
          typo: 2026-13-45
        phases:
          - id: p
            steps:
              - id: s
                sql: DELETE FROM t WHERE d < '${cutoff}' OR s = '${stamp}'
        """), encoding="utf-8")
    plan = load_plan(str(path))
    assert plan.vars == {"cutoff": "2026-01-01", "stamp": "2026-01-01 10:00:00.5", "typo": "2026-13-45"}
    assert plan.steps[0].action.texts == ("DELETE FROM t WHERE d < '2026-01-01' OR s = '2026-01-01 10:00:00.5'",)
