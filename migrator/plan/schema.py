"""JSON-schema validation of a loaded plan, with errors a person understands.

jsonschema reports what the schema says ("Additional properties are not
allowed"); we translate each error into what the author should do ("unknown key
'sqll' — did you mean 'sql'?") and place it at the YAML line and column of the
offending node. Every error is collected; nothing stops at the first.
"""
from __future__ import annotations

import json
import pkgutil
import re
from functools import lru_cache
from typing import Any

from migrator.errors import Issue
from migrator.plan.loader import SourceMap, format_path

ID_PATTERN = "^[a-z0-9][a-z0-9._-]*$"
_VAR_NAME_RULE = "use letters, digits and '_', not starting with a digit"
_TYPE_WORDS = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "object": "a mapping",
    "array": "a list",
    "null": "null",
}


def schema_text() -> str:
    """The plan JSON schema as shipped in the package (identical to schemas/plan.schema.json)."""
    # pkgutil, not importlib.resources: the same package-relative read (zip-safe
    # too) without importing tempfile, shutil and zipfile on every validate (#9).
    data = pkgutil.get_data("migrator", "data/plan.schema.json")
    assert data is not None, "the package's loader cannot read its data files"
    return data.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")  # as a text-mode read would


@lru_cache(maxsize=1)
def plan_schema() -> dict:
    return json.loads(schema_text())


@lru_cache(maxsize=1)
def _validator():
    import jsonschema

    return jsonschema.Draft202012Validator(plan_schema())


@lru_cache(maxsize=1)
def _fast_validator():
    import jsonschema_rs

    return jsonschema_rs.validator_for(plan_schema())


def validate(data: Any, source_map: SourceMap) -> list[Issue]:
    """Every schema violation in ``data``, located and explained, sorted by position."""
    # The Rust validator answers "valid?" in milliseconds; the pure-Python one,
    # a hundred times slower on a large plan, runs only to explain the errors.
    if _fast_validator().is_valid(data):
        return []
    issues: list[Issue] = []
    for error in _validator().iter_errors(data):
        issues.extend(_translate(error, source_map))
    unique = {(i.location, i.path, i.message): i for i in issues}
    return sorted(unique.values(), key=Issue.sort_key)


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _got(value: Any) -> str:
    """``a string ('x')``, ``a number (1.5)``; ``a list``/``a mapping`` alone, since their
    contents would only repeat the type (``a list (a list)``)."""
    if value is None:  # `sql:` with nothing after it; "null (null)" would puzzle
        return "nothing (the value is empty)"
    name = _type_name(value)
    return name if isinstance(value, (dict, list)) else f"{name} ({_shown(value)})"


def _shown(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else json.dumps(value, default=str) if not isinstance(value, (dict, list)) else _type_name(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _expected(types) -> str:
    types = [types] if isinstance(types, str) else list(types)
    words = [_TYPE_WORDS.get(t, t) for t in types]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


# What people write for the comparators, from other tools and languages.
_ALIASES = {"gte": "ge", "lte": "le", "neq": "ne", "equals": "eq", "==": "eq", "!=": "ne", ">": "gt", ">=": "ge", "<": "lt", "<=": "le",
            # Dialect names are SQLAlchemy's, and its mysql covers MariaDB.
            "mariadb": "mysql"}


def suggestion(word: str, choices) -> str | None:
    """The one of ``choices`` that ``word`` is evidently a misspelling of, if any."""
    if _ALIASES.get(str(word)) in choices:
        return _ALIASES[str(word)]
    import difflib  # only a plan with a mistake needs it (#9)

    match = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return match[0] if match else None


def _suggest(word: str, choices) -> str:
    match = suggestion(word, choices)
    return f" — did you mean {match!r}?" if match is not None else ""


def step_keys() -> tuple[str, ...]:
    """The keys a step may have."""
    return tuple(plan_schema()["$defs"]["step"]["properties"])


def _issue(source_map: SourceMap, path: tuple, message: str, code: str, *, key: bool = False) -> Issue:
    return Issue(source_map.location(path, key=key), format_path(path), message, code)


def _translate(error, source_map: SourceMap) -> list[Issue]:
    path = tuple(error.absolute_path)
    validator = error.validator
    value = error.instance
    schema = error.schema if isinstance(error.schema, dict) else {}

    if validator == "additionalProperties" and isinstance(value, dict):
        allowed = list(schema.get("properties", {}))
        extra = [k for k in value if k not in allowed]
        listing = " (allowed: " + ", ".join(allowed) + ")"
        return [
            _issue(source_map, path + (k,), f"unknown key {k!r}{_suggest(k, allowed) or listing}", "unknown-key", key=True)
            for k in extra
        ]
    if validator == "required" and isinstance(value, dict):
        # A required key written misspelt is one problem: its unknown-key line
        # ("unknown key 'phase' — did you mean 'phases'?") says it all.
        allowed = schema.get("properties", {})
        misspelt = {suggestion(k, allowed) for k in value if k not in allowed} if schema.get("additionalProperties") is False else set()
        missing = [k for k in error.validator_value if k not in value and k not in misspelt]
        return [_issue(source_map, path, f"missing required key {k!r}", "missing-key") for k in missing]
    if validator == "type":
        return [_issue(source_map, path, f"expected {_expected(error.validator_value)}, got {_got(value)}", "type")]
    if validator == "enum":
        choices = error.validator_value
        return [_issue(source_map, path, f"{_shown(value)} is not one of {', '.join(map(str, choices))}{_suggest(value, choices)}", "enum")]
    if validator == "const":
        return [_issue(source_map, path, f"must be {json.dumps(error.validator_value)}, got {_shown(value)}", "const")]
    if validator == "pattern" and "propertyNames" in error.relative_schema_path:
        # jsonschema reports a bad key at its mapping, with the key as the instance.
        return [_issue(source_map, path + (value,), f"{_shown(value)} is not a valid variable name: {_VAR_NAME_RULE}", "pattern", key=True)]
    if validator == "pattern":
        return [_issue(source_map, path, _pattern_message(error.validator_value, value, path), "pattern")]
    if validator == "minItems":
        return [_issue(source_map, path, f"needs at least {error.validator_value} item{'s' if error.validator_value != 1 else ''}", "min-items")]
    if validator == "minLength":
        return [_issue(source_map, path, "must not be empty", "empty")]
    if validator == "minProperties":
        if path and path[-1] != "expect" and "table_exists" in schema.get("properties", {}):
            return [_issue(source_map, path, "empty check: give one kind key (table_exists, column_exists, index_exists, foreign_key_exists, query, no_rows, row_count, no_orphans, unchanged, step_applied, dialect, all, any, not)", "check-kind")]
        return [_issue(source_map, path, "must not be empty", "empty")]
    if validator == "maxProperties":
        return [_issue(source_map, path, f"give exactly one of {', '.join(schema.get('properties', {}))}", "one-of")]
    if validator == "minimum":
        return [_issue(source_map, path, f"must be at least {error.validator_value}, got {_shown(value)}", "minimum")]
    if validator == "uniqueItems":
        return [_issue(source_map, path, "has duplicate items", "unique")]
    if validator in ("anyOf", "oneOf"):
        return _translate_alternatives(error, source_map)
    return [_issue(source_map, path, error.message, validator or "invalid")]


def _pattern_message(pattern: str, value: Any, path: tuple) -> str:
    if pattern == ID_PATTERN:
        lower = str(value).lower()
        hint = f" — did you mean {lower!r}?" if lower != value and re.fullmatch(ID_PATTERN, lower) else ""
        return f"{_shown(value)} is not a valid id: use lowercase letters, digits, '.', '_' and '-', starting with a letter or digit{hint}"
    if path and path[-1] == "python":
        return f"{_shown(value)} is not 'module:function' or 'path/file.py:function'"
    if path and path[-1] == "pause":
        return f"{_shown(value)} is not a duration like '100ms', '2s' or '1m'"
    if path and path[-1] == "references":
        return f"{_shown(value)} is not 'table.column' (or give {{table, columns}})"
    if "\\$\\{" in pattern:
        return f"expected a number or a ${{variable}}, got {_shown(value)}"
    return f"{_shown(value)} does not match {pattern}"


def _translate_alternatives(error, source_map: SourceMap) -> list[Issue]:
    """anyOf: report the errors of the alternative the author evidently meant.

    An alternative whose top-level type does not fit the value was not meant;
    if exactly one remains, its errors are the real ones. Otherwise say which
    types would do.
    """
    path = tuple(error.absolute_path)
    by_branch = _by_branch(error)
    branches = error.validator_value
    fitting = [i for i in range(len(branches)) if not _misfit(by_branch.get(i, []))]
    if len(fitting) > 1:
        # A ${variable} alternative is a fallback, not what the author meant.
        fitting = [i for i in fitting if not _is_varref(branches[i])] or fitting
    if len(fitting) == 1 and by_branch.get(fitting[0]):
        out: list[Issue] = []
        for sub in by_branch[fitting[0]]:
            out.extend(_translate(sub, source_map))
        return out
    types = _branch_types(branches)
    if types:
        return [_issue(source_map, path, f"expected {_expected(types)}, got {_got(error.instance)}", "type")]
    return [_issue(source_map, path, error.message, "invalid")]


def _by_branch(error) -> dict[int, list]:
    by_branch: dict[int, list] = {}
    for sub in error.context:
        by_branch.setdefault(sub.relative_schema_path[0], []).append(sub)
    return by_branch


def _misfit(errors) -> bool:
    """Whether the value's own type rules out the alternative these errors came from.

    Alternatives may nest (``rollback`` is SQL — itself a string or a list —
    or a mapping): a nested anyOf rules its branch out when it rules out each
    of its own alternatives.
    """
    for sub in errors:
        if sub.relative_path:
            continue
        if sub.validator in ("type", "const"):
            return True
        if sub.validator in ("anyOf", "oneOf"):
            nested = _by_branch(sub)
            if all(_misfit(nested.get(i, [])) for i in range(len(sub.validator_value))):
                return True
    return False


def _branch_types(branches) -> list[str]:
    """The types the alternatives accept, nested ones included, for "expected ..."."""
    types: list[str] = []
    for branch in branches:
        if not isinstance(branch, dict) or _is_varref(branch):
            continue
        t = branch.get("type")
        if t is None and "$ref" in branch:
            t = "object"
        found = [t] if isinstance(t, str) else list(t or [])
        for alternatives in (branch.get("anyOf"), branch.get("oneOf")):
            found += _branch_types(alternatives or [])
        for one in found:
            if one not in types:
                types.append(one)
    return types


def _is_varref(branch) -> bool:
    return isinstance(branch, dict) and "\\$\\{" in branch.get("pattern", "")
