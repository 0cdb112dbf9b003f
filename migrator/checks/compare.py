"""Comparing a value the database returned with the value a plan expects.

Drivers disagree on types: PostgreSQL's ``count(*)`` is a bigint, MariaDB's
``SUM`` a Decimal, MySQL and SQLite return booleans as 0/1, PostgreSQL as
True/False. A plan says ``expect: 0`` or ``expect: true`` and means the value,
so numbers compare as numbers, booleans match 0/1 (and ``'t'``/``'f'``), dates
match ISO strings, and NULL (``None``) equals only NULL.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

SYMBOLS = {"eq": "=", "ne": "!=", "gt": ">", "ge": ">=", "lt": "<", "le": "<="}
_TRUE = frozenset({"t", "true", "1", "yes", "y", "on"})
_FALSE = frozenset({"f", "false", "0", "no", "n", "off"})


class NotComparable(Exception):
    """The two values have no common meaning (e.g. a date against a number)."""


def normalize_expect(raw: Any) -> tuple[str, Any]:
    """``0`` -> ``("eq", 0)``; ``{"gt": 5}`` -> ``("gt", 5)``; an existing pair unchanged."""
    if isinstance(raw, tuple) and len(raw) == 2 and raw[0] in SYMBOLS:
        return raw
    if isinstance(raw, dict) and len(raw) == 1:
        (op, value), = raw.items()
        if op in SYMBOLS:
            return op, value
    return "eq", raw


def expectation_text(op: str, value: Any) -> str:
    """``("eq", 0)`` -> ``0``; ``("gt", 5)`` -> ``> 5``."""
    return show(value) if op == "eq" else f"{SYMBOLS[op]} {show(value)}"


def compare(actual: Any, op: str, expected: Any) -> bool:
    """Whether ``actual <op> expected`` holds; raises NotComparable when it cannot be said."""
    if actual is None or expected is None:
        # NULL equals only NULL; it is never greater or less than anything.
        if op == "eq":
            return actual is None and expected is None
        if op == "ne":
            return not (actual is None and expected is None)
        return False
    a, e = _common(actual, expected)
    if op not in ("eq", "ne") and isinstance(a, str) and (_is_number(actual) or _is_number(expected)):
        # 'abc' > 5 would compare the text '5': no order between text and a number.
        raise NotComparable(f"cannot compare {show(actual)} with {show(expected)}")
    try:
        return {
            "eq": lambda: a == e,
            "ne": lambda: a != e,
            "gt": lambda: a > e,
            "ge": lambda: a >= e,
            "lt": lambda: a < e,
            "le": lambda: a <= e,
        }[op]()
    except (TypeError, InvalidOperation):  # InvalidOperation: a NaN has no order (nan from the plan or the database)
        raise NotComparable(f"cannot compare {show(actual)} with {show(expected)}") from None


def show(value: Any) -> str:
    """A value as a person reads it in a message: NULL, true, 'text', 3, 2.50."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "0x" + bytes(value).hex()
    return str(value)


def _common(actual: Any, expected: Any) -> tuple[Any, Any]:
    """Both values in one domain: numbers, booleans, dates or text."""
    if isinstance(expected, bool) or isinstance(actual, bool):
        a, e = _as_bool(actual), _as_bool(expected)
        if a is not None and e is not None:
            return a, e
    a, e = _as_number(actual), _as_number(expected)
    if a is not None and e is not None:
        return a, e
    if isinstance(actual, (dt.date, dt.time)) or isinstance(expected, (dt.date, dt.time)):
        return _as_temporal(actual, expected)
    if isinstance(actual, (bytes, bytearray, memoryview)):
        actual = bytes(actual).decode("utf-8", "replace")
    if isinstance(actual, str) and isinstance(expected, str):
        return actual, expected
    if type(actual) is type(expected):
        return actual, expected
    # UUIDs, intervals, anything else: as the text both are written as.
    return str(actual), str(expected)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)


def _as_number(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return Decimal(int(value))
    if isinstance(value, (int, Decimal)):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))  # 0.1 stays 0.1, not 0.1000000000000000055...
    if isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            return None
        return number if number.is_finite() else None
    return None


def _as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, Decimal, float)):
        return bool(value) if value in (0, 1) else None
    if isinstance(value, str):
        word = value.strip().lower()
        return True if word in _TRUE else False if word in _FALSE else None
    return None


def _as_temporal(actual: Any, expected: Any) -> tuple[Any, Any]:
    # A YAML date (2025-07-14) or an ISO string, against what the driver returned.
    kind = type(actual) if isinstance(actual, (dt.date, dt.time)) else type(expected)
    a, e = _parse_temporal(actual, kind), _parse_temporal(expected, kind)
    if a is None or e is None:
        raise NotComparable(f"cannot compare {show(actual)} with {show(expected)}")
    return a, e


def _parse_temporal(value: Any, kind: type) -> Any:
    # datetime is a subclass of date: the mixed cases first.
    if kind is dt.date and isinstance(value, dt.datetime):
        return value.date()
    if kind is dt.datetime and isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return dt.datetime.combine(value, dt.time())
    if isinstance(value, kind):
        return value
    if isinstance(value, str):
        try:
            return kind.fromisoformat(value.strip())
        except ValueError:
            return None
    return None
