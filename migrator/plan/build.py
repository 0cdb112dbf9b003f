"""``load_plan``: file → YAML → schema → semantic checks → :class:`Plan`.

One call, one exception type: callers get a :class:`Plan` or a
:class:`PlanInvalid` carrying every issue of the file, each with its line and
column. Variables are substituted here, ``sql_file`` contents read and each
step's checksum taken, so later stages never go back to the file.
"""
from __future__ import annotations

import json
import os
import re
from typing import TYPE_CHECKING, Any, Mapping

from migrator.errors import Issue, Location, PlanInvalid
from migrator.plan import schema as plan_schema
from migrator.plan.kinds import ACTION_KINDS, CHECK_KINDS
from migrator.plan.loader import SourceMap, format_path, gc_paused, load_yaml, undecodable, undecodable_position
from migrator.plan.variables import VariableError, as_text, references, substitute

if TYPE_CHECKING:  # imported by _PlanBuilder.build, which validate never calls
    from migrator.plan.model import CheckSpec, Phase, Plan, SqlAction, Step

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$")
_BATCH_PARAM = re.compile(r":batch_size\b")
_FK_KINDS = ("foreign_key_exists", "no_orphans")
#: The keys a check may carry besides its kind (spec section 3).
_CHECK_COMMON_KEYS = ("name", "message", "on_fail", "expect")


def load_plan(path: str, overrides: Mapping[str, str] | None = None, *, environ: Mapping[str, str] | None = None) -> Plan:
    """Load and validate the plan at ``path``.

    Args:
        path: the plan file.
        overrides: ``--var`` values, by variable name.
        environ: the environment for ``${env:NAME}`` (default ``os.environ``).

    Raises:
        PlanInvalid: with every problem found, each as ``file:line:col: path: message``.
    """
    plan, issues = check_plan(path, overrides, environ=environ)
    if issues:
        raise PlanInvalid(issues)
    assert plan is not None
    return plan


def check_plan(
    path: str, overrides: Mapping[str, str] | None = None, *, environ: Mapping[str, str] | None = None
) -> tuple[Plan | None, list[Issue]]:
    """Like :func:`load_plan` but returns ``(plan, issues)``; ``plan`` is None when issues exist."""
    with gc_paused():  # see _paused_work
        return _paused_work(_plan_or_issues, path, overrides, environ)


def plan_issues(
    path: str, overrides: Mapping[str, str] | None = None, *, environ: Mapping[str, str] | None = None
) -> tuple[list[Issue], int, int]:
    """What ``validate`` needs: ``(issues, phase count, step count)``, without building the model."""
    with gc_paused():  # see _paused_work
        return _paused_work(_issues_and_counts, path, overrides, environ)


def _paused_work(result, path: str, overrides, environ):
    # Called with the garbage collector paused (loader.gc_paused): the checks
    # allocate as much as the load does. The builder, its data and the YAML
    # nodes die with this frame, before the collector resumes: alive then,
    # its first collection would walk them all (50 ms on a 1,000-step plan).
    builder, issues = _checked(path, overrides, environ)
    return result(builder, issues)


def _plan_or_issues(builder: "_PlanBuilder | None", issues: list[Issue]) -> tuple[Plan | None, list[Issue]]:
    if issues or builder is None:
        return None, issues
    return builder.build(), []


def _issues_and_counts(builder: "_PlanBuilder | None", issues: list[Issue]) -> tuple[list[Issue], int, int]:
    if issues or builder is None:
        return issues, 0, 0
    return [], len(builder.phases), sum(len(p["steps"]) for p in builder.phases)


def _checked(path: str, overrides, environ) -> tuple["_PlanBuilder | None", list[Issue]]:
    try:
        data, source_map = load_yaml(path)
    except PlanInvalid as e:
        return None, list(e.issues)
    issues = plan_schema.validate(data, source_map)
    if not isinstance(data, dict):
        return None, issues
    builder = _PlanBuilder(data, source_map, path, dict(overrides or {}), os.environ if environ is None else environ)
    issues += builder.check()
    return builder, _one_per_node(issues) if issues else []


def _one_per_node(issues: list[Issue]) -> list[Issue]:
    # The schema and a semantic rule can both object to one value (a bad pause
    # is not a duration either way); the schema's wording, found first, stays.
    kept: dict[tuple, Issue] = {}
    for issue in issues:
        kept.setdefault((issue.location, issue.path), issue)
    return sorted(kept.values(), key=Issue.sort_key)


#: The longest batch ``pause``: one hour (``1e9ms`` is 11 days between batches, a typo).
MAX_PAUSE_MS = 3_600_000
#: The largest ``size``/``max_batches``: a BIGINT, the most any database binds (SQLite's INTEGER).
MAX_BATCH_NUMBER = 2**63 - 1


def parse_duration_ms(value: Any) -> int | None:
    """``'100ms'``/``'2s'``/``'1m'``/a number of seconds → milliseconds; None if unparseable."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        # (compared before any float(): an int of 400 digits is too large for one)
        ms = value * 1000 if 0 <= value <= MAX_PAUSE_MS / 1000 else None
    else:
        m = _DURATION.match(str(value))
        if not m:
            return None
        ms = float(m.group(1)) * {"ms": 1, "s": 1000, "m": 60000}[m.group(2) or "s"]
    # .inf, nan and 1e400 are no duration; past the cap, a pause is a typo, not a plan.
    return int(ms) if ms is not None and ms <= MAX_PAUSE_MS else None


def _is_long_duration(value: Any) -> bool:
    """A well-formed duration over :data:`MAX_PAUSE_MS` (not nan, not negative)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return value == value and value > MAX_PAUSE_MS / 1000
    return bool(_DURATION.match(str(value)))


def normalize_sql(text: str) -> str:
    """Text as the checksum sees it: line endings and trailing whitespace do not count."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip("\n")


class _PlanBuilder:
    """Semantic checks and model construction for one loaded document.

    Checks are written defensively: they run even when the schema found
    problems, so that one ``validate`` reports everything at once.
    """

    def __init__(self, data: dict, source_map: SourceMap, path: str, overrides: dict, environ: Mapping[str, str]):
        self.data = data
        self.map = source_map
        self.path = path
        self.base_dir = os.path.dirname(os.path.abspath(path))
        self.overrides = overrides
        self.environ = environ
        self.issues: list[Issue] = []
        self.vars: dict[str, Any] = {}
        self.phases: list = []  # the substituted phases data
        self.model: Any = None  # the migrator.plan.model module, once build() has imported it

    # -- helpers -------------------------------------------------------------
    def _issue(self, path: tuple, message: str, code: str, *, key: bool = False) -> None:
        self.issues.append(Issue(self.map.location(path, key=key), format_path(path), message, code))

    def _file(self, relative: str) -> str:
        return os.path.normpath(os.path.join(self.base_dir, relative))

    # -- checks --------------------------------------------------------------
    def check(self) -> list[Issue]:
        if isinstance(self.data.get("migrator"), float):
            # JSON Schema's const takes 1.0 for 1; the format version is the integer 1.
            self._issue(("migrator",), f"must be 1, got {self.data['migrator']!r} (the format version is the integer 1)", "const")
        self._check_line_break(self.data.get("name"), ("name",))
        self._resolve_vars()
        phases = self.data.get("phases")
        self.phases = self._substitute(phases, ("phases",)) if isinstance(phases, list) else []
        self._check_unused_overrides()
        ids: dict[str, tuple] = {}
        step_order: list[str] = []
        phase_ids: set[str] = set()
        for pi, phase in enumerate(self.phases):
            if not isinstance(phase, dict):
                continue
            ppath = ("phases", pi)
            self._check_id(phase.get("id"), ppath, ids)
            if isinstance(phase.get("id"), str):
                phase_ids.add(phase["id"])
            self._check_checks(phase.get("preconditions"), ppath + ("preconditions",), precondition=True)
            self._check_checks(phase.get("verify"), ppath + ("verify",), precondition=False)
            for si, step in enumerate(phase.get("steps") or [] if isinstance(phase.get("steps"), list) else []):
                if isinstance(step, dict):
                    spath = ppath + ("steps", si)
                    self._check_id(step.get("id"), spath, ids)
                    self._check_step(step, spath)
                    if isinstance(step.get("id"), str):
                        step_order.append(step["id"])
        self._check_references(step_order, phase_ids)
        return self.issues

    def _resolve_vars(self) -> None:
        declared = self.data.get("vars")
        declared = declared if isinstance(declared, dict) else {}
        for name, value in declared.items():
            if name in self.overrides:
                # A --var replaces the default, which is not read: one that needs an
                # unset environment variable is no error then (as in Terraform).
                self.vars[name] = _typed_override(self.overrides[name], value)
                continue
            if isinstance(value, str):
                try:  # a default may come from the environment: ${env:NAME:-x}
                    value = substitute(value, {}, self.environ)
                except VariableError as e:
                    named = references(value)
                    if named:  # not "undefined": it may well be defined, just not for a default
                        e = VariableError(
                            f"a vars default may read the environment (${{env:NAME}}) but not another variable "
                            f"(${{{named[0]}}}); write the value out, or $${{ for a literal ${{"
                        )
                    self._issue(("vars", name), str(e), "variable")
            self.vars[name] = value
        self.vars.update((k, v) for k, v in self.overrides.items() if k not in declared)

    def _check_unused_overrides(self) -> None:
        declared = self.data.get("vars") if isinstance(self.data.get("vars"), dict) else {}
        undeclared = [name for name in self.overrides if name not in declared]
        if not undeclared:  # the common case: no need to walk the whole document
            return
        referenced = set(self._referenced_names(self.data.get("phases")))
        for name in undeclared:
            if name not in referenced:
                self.issues.append(
                    Issue(Location(self.path), "", f"--var {name}: the plan neither declares nor uses a variable {name!r}", "variable")
                )

    def _referenced_names(self, node: Any):
        if isinstance(node, str):
            yield from references(node)
        elif isinstance(node, dict):
            for v in node.values():
                yield from self._referenced_names(v)
        elif isinstance(node, list):
            for v in node:
                yield from self._referenced_names(v)

    def _substitute(self, node: Any, path: tuple) -> Any:
        if isinstance(node, str):
            try:
                return substitute(node, self.vars, self.environ)
            except VariableError as e:
                self._issue(path, str(e), "variable")
                return node
        if isinstance(node, dict):
            return {k: self._substitute(v, path + (k,)) for k, v in node.items()}
        if isinstance(node, list):
            return [self._substitute(v, path + (i,)) for i, v in enumerate(node)]
        return node

    def _check_line_break(self, ident: Any, path: tuple) -> None:
        # The schema's pattern ends in $, which Python's re and the Rust validator both
        # let match before a final line break ("id: |" gives 'x\n'): a journal key
        # with a line break in it. The pattern is meant whole, as JavaScript reads $.
        if isinstance(ident, str) and ident.endswith("\n") and re.fullmatch(r"[a-z0-9][a-z0-9._-]*\n", ident):
            what = "name" if path == ("name",) else "id"
            self._issue(path, f"{ident!r} is not a valid {what}: it ends with a line break (use lowercase letters, digits, "
                              "'.', '_' and '-', starting with a letter or digit)", "pattern")

    def _check_id(self, ident: Any, path: tuple, ids: dict[str, tuple]) -> None:
        if not isinstance(ident, str):
            return
        self._check_line_break(ident, path + ("id",))
        if ident in ids:
            first = self.map.location(ids[ident] + ("id",))
            self._issue(path + ("id",), f"duplicate id {ident!r} (first used at line {first.line}); ids are unique across phases and steps", "duplicate-id")
        else:
            ids[ident] = path

    def _check_step(self, step: dict, path: tuple) -> None:
        actions = [k for k in ACTION_KINDS if k in step]
        if len(actions) > 1:
            self._issue(path + (actions[1],), f"a step has one action; found {', '.join(actions)}", "action", key=True)
        has_checks = bool(step.get("preconditions")) or bool(step.get("verify"))
        if not actions and not has_checks and not self._misspelt_action(step):
            self._issue(path, "a step needs an action (sql, sql_file, python, batch, manual) or, as a check step, preconditions or verify", "action")
        elif not actions and "rollback" in step:
            # Spec section 2: a check step has only checks; there is nothing of its own to undo.
            self._issue(path + ("rollback",), "a check step (no action) has only checks; rollback undoes an action", "action", key=True)
        rerun = step.get("rerun", "never")
        if rerun in ("always", "on_change") and step.get("idempotent") is not True:
            self._issue(path + ("rerun",), f"rerun: {rerun} requires idempotent: true (running it again must be safe)", "rerun")
        if isinstance(step.get("sql_file"), str):
            self._check_sql_file(step["sql_file"], path + ("sql_file",))
        rollback = step.get("rollback")
        if isinstance(rollback, dict) and isinstance(rollback.get("sql_file"), str):
            self._check_sql_file(rollback["sql_file"], path + ("rollback", "sql_file"))
        if isinstance(step.get("python"), str):
            self._check_python(step["python"], path + ("python",))
        batch = step.get("batch")
        if isinstance(batch, dict):
            self._check_batch(batch, path + ("batch",))
        self._check_checks(step.get("preconditions"), path + ("preconditions",), precondition=True)
        self._check_checks(step.get("verify"), path + ("verify",), precondition=False)

    @staticmethod
    def _misspelt_action(step: dict) -> bool:
        # `sqll: ...` is one problem, which the schema's "unknown key 'sqll' — did
        # you mean 'sql'?" names; "a step needs an action" would say it again.
        allowed = plan_schema.step_keys()
        return any(plan_schema.suggestion(k, allowed) in ACTION_KINDS for k in step if k not in allowed)

    def _check_file(self, relative: str, path: tuple, what: str) -> bool:
        full = self._file(relative)
        if os.path.isdir(full):
            self._issue(path, f"{what} {relative!r} is a directory, not a file ({full})", "file")
            return False
        if not os.path.isfile(full):
            self._issue(path, f"{what} {relative!r} not found (looked for {full})", "file")
            return False
        return True

    def _check_sql_file(self, relative: str, path: tuple) -> None:
        if not self._check_file(relative, path, "SQL file"):
            return
        try:
            with open(self._file(relative), "rb") as f:
                raw = f.read()
            text = raw.decode("utf-8-sig")
            if not text.strip():  # as `sql: ""` is refused: a file saved empty, or the wrong file
                self._issue(path, f"SQL file {relative!r} is empty", "file")
                return
            substitute(text, self.vars, self.environ)
        except UnicodeDecodeError as e:
            line, col = undecodable_position(raw, e)
            self._issue(path, f"SQL file {relative!r} is not UTF-8 text (line {line}, column {col}: "
                              f"{undecodable(raw, e)}); save it as UTF-8", "file")
        except OSError as e:
            self._issue(path, f"SQL file {relative!r} cannot be read: {e.strerror or e}", "file")
        except VariableError as e:
            self._issue(path, f"in SQL file {relative!r}: {e}", "variable")

    def _check_python(self, target: str, path: tuple) -> None:
        module, _, _function = target.rpartition(":")
        if module.endswith(".py") or "/" in module:
            self._check_file(module, path, "Python file")

    def _check_batch(self, batch: dict, path: tuple) -> None:
        sql = batch.get("sql")
        if isinstance(sql, str) and not _BATCH_PARAM.search(sql):
            self._issue(path + ("sql",), "a batch statement must use the bind parameter :batch_size (e.g. ... LIMIT :batch_size)", "batch")
        elif isinstance(sql, str):
            self._check_batch_statement(sql, path + ("sql",))
        for key in ("size", "max_batches"):
            value = batch.get(key)
            if isinstance(value, str):
                text = value.strip()
                if not (text.isascii() and text.isdigit()) or not text.strip("0"):  # ("²".isdigit(), int("²") raises)
                    self._issue(path + (key,), f"expected a positive integer, got {value!r}", "type")
                    continue
                # (int() of thousands of digits raises: Python caps the conversion)
                value = int(text) if len(text) < 100 else 10**30
            if isinstance(value, int) and not isinstance(value, bool) and value > MAX_BATCH_NUMBER:
                self._issue(path + (key,), f"{value if value < 10**30 else 'a number of 30 digits or more'} is too large "
                                           f"(at most {MAX_BATCH_NUMBER})", "type")
        if "pause" in batch and parse_duration_ms(batch["pause"]) is None:
            pause = batch["pause"]
            if _is_long_duration(pause):
                self._issue(path + ("pause",), f"{pause!r} is longer than the longest pause between batches, 1 hour (60m)", "duration")
            else:
                self._issue(path + ("pause",), f"{pause!r} is not a duration like '100ms', '2s' or '1m'", "duration")

    def _check_batch_statement(self, sql: str, path: tuple) -> None:
        """One statement, with ``:batch_size`` a real parameter: run per batch, its row count
        ends the loop; a ``:batch_size`` only in a comment or string would bind nothing. Read as
        each dialect does; a problem is reported only when every dialect sees it."""
        from migrator.sql.binds import bind_names
        from migrator.sql.split import split_statements

        try:
            sql = substitute(sql, self.vars, self.environ)
        except VariableError:
            pass  # reported where variables are checked
        if not _batch_statement_in_doubt(sql):
            return  # the usual batch: tokenizing it (and importing sqlglot) would slow validate by ~75 ms
        dialects = ("postgresql", "mysql", "sqlite")
        if all(len(split_statements(sql, d)) > 1 for d in dialects):
            self._issue(path, "a batch runs one statement (its row count tells when the work is done); "
                              "make it one statement, or one batch step per statement", "batch")
        elif not any("batch_size" in bind_names(sql, d) for d in dialects):
            self._issue(path, ":batch_size appears only inside a string or a comment, where it is text; "
                              "use it in the statement (e.g. ... LIMIT :batch_size)", "batch")

    def _check_checks(self, checks: Any, path: tuple, *, precondition: bool, nested: bool = False) -> None:
        if not isinstance(checks, list):
            return
        for i, check in enumerate(checks):
            if isinstance(check, dict):
                self._check_check(check, path + (i,), precondition=precondition, nested=nested)

    def _check_check(self, check: dict, path: tuple, *, precondition: bool, nested: bool) -> None:
        kinds = [k for k in CHECK_KINDS if k in check]
        if len(kinds) > 1:
            self._issue(path + (kinds[1],), f"a check has one kind; found {', '.join(kinds)}", "check-kind", key=True)
        kind = kinds[0] if kinds else None
        if kind is None and all(k in _CHECK_COMMON_KEYS for k in check):
            # ({} and unknown keys are the schema's to report.) Only a label or a message: nothing to check.
            self._issue(path, f"a check needs one kind key ({', '.join(CHECK_KINDS)})", "check-kind")
        if "on_fail" in check:
            if not precondition:
                self._issue(path + ("on_fail",), "on_fail applies to preconditions only (a failed verify always fails the step)", "on-fail", key=True)
            elif nested:
                self._issue(path + ("on_fail",), "on_fail applies to a whole precondition, not to a check nested in all/any/not", "on-fail", key=True)
        if kind == "unchanged" and precondition:
            self._issue(path + ("unchanged",), "unchanged compares before and after a step, so it belongs in verify, not preconditions", "unchanged", key=True)
        if kind == "query" and "expect" not in check:
            self._issue(path, "a query check needs expect (e.g. expect: 0 or expect: {gt: 0})", "expect")
        if "expect" in check and kind not in ("query", None):
            self._issue(path + ("expect",), f"expect goes with query; {kind} does not take it here", "expect", key=True)
        if kind == "index_exists" and isinstance(check.get(kind), dict):
            if "columns" not in check[kind] and "name" not in check[kind]:
                self._issue(path + (kind,), "index_exists needs columns or name", "index")
        if kind in ("foreign_key_exists", "no_orphans") and isinstance(check.get(kind), dict):
            self._check_key_pairs(check[kind], path + (kind,))
        if kind in ("all", "any"):
            self._check_checks(check.get(kind), path + (kind,), precondition=precondition, nested=True)
        if kind == "not" and isinstance(check.get("not"), dict):
            self._check_check(check["not"], path + ("not",), precondition=precondition, nested=True)

    def _check_key_pairs(self, arg: dict, path: tuple) -> None:
        """``columns`` pair in order with the referenced columns: as many of each."""
        columns, references = arg.get("columns"), arg.get("references")

        def count(value) -> int | None:  # a name, or a list of them
            return len(value) if isinstance(value, list) else 1 if isinstance(value, str) else None

        mine = count(columns)
        if isinstance(references, str):
            theirs = 1
        elif isinstance(references, dict) and "columns" in references:
            theirs = count(references["columns"])
        else:
            return
        if mine is None or theirs is None or mine == theirs:
            return
        if isinstance(references, str):
            message = (f"{mine} columns but references {references!r} names one column; "
                       "write references: {table: ..., columns: [...]} with a column for each")
        else:
            message = f"{mine} column(s) but {theirs} referenced column(s); they pair in order, one for each"
        self._issue(path + ("references",), message, "references")

    def _check_references(self, step_order: list[str], phase_ids: set[str]) -> None:
        position = {sid: i for i, sid in enumerate(step_order)}
        for pi, phase in enumerate(self.phases):
            steps = phase.get("steps") if isinstance(phase, dict) else None
            for si, step in enumerate(steps if isinstance(steps, list) else []):
                if not isinstance(step, dict) or not isinstance(step.get("requires"), list):
                    continue
                me = step.get("id")
                for ri, req in enumerate(step["requires"]):
                    rpath = ("phases", pi, "steps", si, "requires", ri)
                    if not isinstance(req, str):
                        continue
                    if req == me:
                        self._issue(rpath, f"step {me!r} requires itself", "requires")
                    elif req in phase_ids and req not in position:
                        self._issue(rpath, f"{req!r} is a phase; requires names steps", "requires")
                    elif req not in position:
                        self._issue(rpath, f"unknown step {req!r}{_did_you_mean(req, step_order)}", "requires")
                    elif isinstance(me, str) and me in position and position[req] > position[me]:
                        self._issue(rpath, f"requires {req!r}, which comes later in the plan; steps run in order, so this can never be satisfied", "requires")
            for kind_path, check in self._all_checks(phase, ("phases", pi)):
                target = check.get("step_applied")
                if isinstance(target, str) and target not in position:
                    self._issue(kind_path + ("step_applied",), f"unknown step {target!r}{_did_you_mean(target, step_order)}", "requires")

    def _all_checks(self, phase: Any, path: tuple):
        if not isinstance(phase, dict):
            return
        containers = [(path, phase)]
        steps = phase.get("steps")
        for si, step in enumerate(steps if isinstance(steps, list) else []):
            if isinstance(step, dict):
                containers.append((path + ("steps", si), step))
        for cpath, container in containers:
            for key in ("preconditions", "verify"):
                checks = container.get(key)
                for i, check in enumerate(checks if isinstance(checks, list) else []):
                    yield from self._walk_check(check, cpath + (key, i))

    def _walk_check(self, check: Any, path: tuple):
        if not isinstance(check, dict):
            return
        yield path, check
        for kind in ("all", "any"):
            for i, child in enumerate(check.get(kind) if isinstance(check.get(kind), list) else []):
                yield from self._walk_check(child, path + (kind, i))
        if isinstance(check.get("not"), dict):
            yield from self._walk_check(check["not"], path + ("not",))

    # -- model ---------------------------------------------------------------
    def build(self) -> Plan:
        # Imported here, once per build, not with this module: validate never
        # builds a Plan, and the model's frozen dataclasses take milliseconds to
        # create (#9). An import in each method below would cost more (per step).
        from migrator.plan import model

        self.model = model
        phases = tuple(self._phase(p, ("phases", i)) for i, p in enumerate(self.phases))
        return model.Plan(
            name=self.data["name"],
            source=self.path,
            base_dir=self.base_dir,
            phases=phases,
            description=self.data.get("description"),
            vars=dict(self.vars),
        )

    def _phase(self, data: dict, path: tuple) -> Phase:
        verify = self._checks(data.get("verify"), path + ("verify",))
        return self.model.Phase(
            id=data["id"],
            path=format_path(path),
            location=self.map.location(path),
            steps=tuple(self._step(s, data["id"], path + ("steps", i)) for i, s in enumerate(data["steps"])),
            title=data.get("title"),
            description=data.get("description"),
            preconditions=self._checks(data.get("preconditions"), path + ("preconditions",)),
            verify=verify,
            verify_checksum=checks_checksum(verify),
        )

    def _step(self, data: dict, phase_id: str, path: tuple) -> Step:
        action = self._action(data)
        rollback = self._rollback(data.get("rollback"))
        when = data.get("when", {}).get("dialect") if isinstance(data.get("when"), dict) else None
        python_source = self._python_source(action)
        return self.model.Step(
            id=data["id"],
            phase=phase_id,
            path=format_path(path),
            location=self.map.location(path),
            action=action,
            checksum=step_checksum(action, rollback, python_source, vars_named_in(python_source, self.vars)),
            title=data.get("title"),
            description=data.get("description"),
            preconditions=self._checks(data.get("preconditions"), path + ("preconditions",)),
            verify=self._checks(data.get("verify"), path + ("verify",)),
            rollback=rollback,
            requires=tuple(data.get("requires", ())),
            idempotent=bool(data.get("idempotent", False)),
            rerun=data.get("rerun", "never"),
            transaction=bool(data.get("transaction", True)),
            optional=bool(data.get("optional", False)),
            when_dialects=None if when is None else (tuple(when) if isinstance(when, list) else (when,)),
            tags=tuple(data.get("tags", ())),
            allow=tuple(data.get("allow", ())),
        )

    def _action(self, data: dict):
        if "sql" in data:
            sql = data["sql"]
            return self.model.SqlAction(texts=(sql,) if isinstance(sql, str) else tuple(sql))
        if "sql_file" in data:
            return self.model.SqlAction(texts=(self._read_sql_file(data["sql_file"]),), file=data["sql_file"], kind="sql_file")
        if "python" in data:
            target = data["python"]
            left, _, function = target.rpartition(":")
            is_file = left.endswith(".py") or "/" in left
            return self.model.PythonAction(target=target, module=None if is_file else left, file=self._file(left) if is_file else None, function=function)
        if "batch" in data:
            b = data["batch"]
            return self.model.BatchAction(
                sql=b["sql"],
                size=int(b.get("size", 1000)),
                total=b.get("total"),
                pause_ms=parse_duration_ms(b.get("pause", 0)) or 0,
                max_batches=int(b["max_batches"]) if b.get("max_batches") is not None else None,
            )
        if "manual" in data:
            return self.model.ManualAction(instructions=data["manual"])
        return None

    def _read_sql_file(self, relative: str) -> str:
        # Variables are substituted in SQL files too, so a --var means the same
        # whether the SQL is inline or in a file.
        # Checked in _check_sql_file: readable, UTF-8, every variable defined. A byte
        # order mark is not SQL (utf-8-sig drops it): re-saving a file with one is no
        # change, so it does not make an applied step drift (Flyway does the same).
        with open(self._file(relative), encoding="utf-8-sig") as f:
            return substitute(f.read(), self.vars, self.environ)

    def _rollback(self, data: Any) -> SqlAction | None:
        if data is None:
            return None
        if isinstance(data, dict):
            return self.model.SqlAction(texts=(self._read_sql_file(data["sql_file"]),), file=data["sql_file"], kind="sql_file")
        return self.model.SqlAction(texts=(data,) if isinstance(data, str) else tuple(data))

    def _python_source(self, action: Any) -> str | None:
        if action is None or action.kind != "python":
            return None
        path = action.file or self._module_file(action.module)
        if path is None:
            return None
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def _module_file(self, module: str | None) -> str | None:
        # A `module:function` step is imported from the plan's directory first, so a
        # module found there is what it executes: its source (and the variables it
        # reads) count, as for `file.py:function`. One installed elsewhere is not the plan's.
        if not module:
            return None
        base = os.path.join(self.base_dir, *module.split("."))
        for candidate in (base + ".py", os.path.join(base, "__init__.py")):
            if os.path.isfile(candidate):
                return candidate
        return None

    def _checks(self, data: Any, path: tuple) -> tuple[CheckSpec, ...]:
        return tuple(self._check_spec(c, path + (i,)) for i, c in enumerate(data or ()))

    def _check_spec(self, data: dict, path: tuple) -> CheckSpec:
        kind = next(k for k in CHECK_KINDS if k in data)
        value = data[kind]
        expect = None
        if kind in ("all", "any"):
            arg: Any = tuple(self._check_spec(c, path + (kind, i)) for i, c in enumerate(value))
        elif kind == "not":
            arg = self._check_spec(value, path + ("not",))
        elif kind == "dialect":
            arg = tuple(value) if isinstance(value, list) else (value,)
        else:
            arg = value
        if kind == "query":
            expect = normalize_expect(data["expect"])
        elif kind == "row_count":
            expect = normalize_expect(value["expect"])
        return self.model.CheckSpec(
            kind=kind,
            arg=arg,
            path=format_path(path),
            location=self.map.location(path),
            name=data.get("name"),
            message=data.get("message"),
            on_fail=data.get("on_fail"),
            expect=expect,
        )


#: ``:batch_size`` as a parameter looks: not inside quotes right next to it.
_BARE_BATCH_SIZE = re.compile(r"(?<![\w'\"`:]):batch_size\b(?!['\"`])")


def _batch_statement_in_doubt(sql: str) -> bool:
    """Whether a batch statement may hold a second statement, or a ``:batch_size`` that is
    only text: a ``;`` before its end, a comment, or no ``:batch_size`` that stands bare.
    Only then is it worth reading with each dialect's tokenizer."""
    body = sql.strip().rstrip(";")
    return ";" in body or any(mark in sql for mark in ("--", "/*", "#")) or not _BARE_BATCH_SIZE.search(sql)


def _typed_override(text: str, default: Any) -> Any:
    """A ``--var`` value with the type of the default it replaces (``batch_size: 1000``
    and ``--var batch_size=500`` give a python step ``500``, not ``'500'``), as Terraform
    reads ``-var`` by the variable's type. Only when the text is that type's own
    spelling, so that what is substituted into SQL is the text given, whatever the type;
    anything else stays a string."""
    if isinstance(default, bool):
        return {"true": True, "false": False}.get(text, text)
    if isinstance(default, int) and re.fullmatch(r"-?(0|[1-9][0-9]*)", text):
        try:
            return int(text)
        except ValueError:  # more digits than Python converts (4300): the text, as any other
            return text
    if isinstance(default, float):
        try:
            number = float(text)
        except ValueError:
            return text
        return number if as_text(number) == text else text
    return text


def normalize_expect(value: Any) -> tuple[str, Any]:
    """``0`` → ``("eq", 0)``; ``{gt: 0}`` → ``("gt", 0)``."""
    if isinstance(value, dict):
        (op, operand), = value.items()
        return (op, operand)
    return ("eq", value)


def vars_named_in(source: str | None, variables: Mapping[str, Any]) -> dict[str, str]:
    """The variables a ``python`` step's source names (``ctx.vars["n"]``, ``ctx.vars.get("n")``):
    the ones whose value changes what it executes. Only those, so that a ``--var`` the
    function never reads (``batch_size`` for another step) does not make it drift."""
    if not source:
        return {}
    return {
        name: as_text(value)
        for name, value in sorted(variables.items())
        if re.search(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])", source)
    }


def step_checksum(action: Any, rollback: SqlAction | None, python_source: str | None = None,
                  python_vars: Mapping[str, str] | None = None) -> str:
    """A digest of what a step executes: its action and rollback after substitution.

    Titles, descriptions, checks and the YAML layout are not part of it; SQL
    comments are (they are executed text); line endings and trailing
    whitespace are not. Batch tuning (size, pause, max_batches, total) is not:
    it changes how the work is cut, not what it does. A ``python`` step's SQL is
    in its source, and ``python_vars`` (:func:`vars_named_in`) are the variable
    values it reads from ``ctx.vars``: a ``--var`` changes those the way
    substitution changes SQL.
    """
    # By each action's kind, not its class: this module does not import the model.
    content: dict[str, Any] = {"action": None, "rollback": None}
    kind = getattr(action, "kind", None)
    if kind in ("sql", "sql_file"):
        content["action"] = ["sql", [normalize_sql(t) for t in action.texts]]
    elif kind == "python":
        content["action"] = ["python", action.target, normalize_sql(python_source) if python_source is not None else None]
        if python_vars:  # appended only when there are some: older journals' checksums stay valid
            content["action"].append(dict(python_vars))
    elif kind == "batch":
        content["action"] = ["batch", normalize_sql(action.sql)]
    elif kind == "manual":
        content["action"] = ["manual", normalize_sql(action.instructions)]
    if rollback is not None:
        content["rollback"] = [normalize_sql(t) for t in rollback.texts]
    import hashlib  # here, not at the top: validate never takes a checksum, and OpenSSL is slow to load (#9)

    digest = hashlib.sha256(json.dumps(content, sort_keys=True).encode("utf-8"))
    return digest.hexdigest()[:32]


def checks_checksum(specs: tuple[CheckSpec, ...]) -> str:
    """A digest of what checks test (a phase's verify, journaled with its outcome),
    taken like :func:`step_checksum`: kinds, arguments and expectations after
    substitution count; names, messages and the YAML layout do not."""
    import hashlib

    content = [_check_content(spec) for spec in specs]
    return hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode("utf-8")).hexdigest()[:32]


def _check_content(spec: CheckSpec) -> list:
    arg = spec.arg
    if spec.kind in ("all", "any"):
        arg = [_check_content(child) for child in arg]
    elif spec.kind == "not":
        arg = _check_content(arg)
    elif isinstance(arg, str):
        arg = normalize_sql(arg)
    elif isinstance(arg, tuple):
        arg = list(arg)
    return [spec.kind, arg, list(spec.expect) if spec.expect is not None else None]


def _did_you_mean(word: str, choices: list[str]) -> str:
    import difflib  # only a plan with a mistake needs it (#9)

    match = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" — did you mean {match[0]!r}?" if match else ""


__all__ = ["load_plan", "check_plan", "step_checksum", "checks_checksum", "normalize_sql", "parse_duration_ms", "normalize_expect", "as_text"]
