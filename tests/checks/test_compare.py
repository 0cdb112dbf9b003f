"""Comparing driver values with plan values, without a database."""
from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest

from migrator.checks.compare import NotComparable, compare, expectation_text, normalize_expect, show


@pytest.mark.parametrize(
    "actual, op, expected, held",
    [
        (3, "eq", 3, True),
        (Decimal("3.00"), "eq", 3, True),  # MariaDB SUM
        (2**40, "gt", 5, True),  # PostgreSQL bigint count
        (0.1, "eq", Decimal("0.1"), True),
        (1.5, "lt", 2, True),
        ("10", "gt", 9, True),  # numeric text compares as a number
        (1, "eq", True, True),  # MySQL/SQLite booleans
        (0, "eq", False, True),
        (True, "eq", 1, True),
        ("t", "eq", True, True),
        (2, "eq", True, False),
        ("abc", "lt", "abd", True),
        ("abc", "eq", "ABC", False),
        (None, "eq", None, True),
        (None, "eq", 0, False),
        (0, "eq", None, False),
        (None, "ne", None, False),
        (None, "ne", 0, True),
        (None, "gt", 0, False),
        (dt.date(2025, 7, 14), "eq", "2025-07-14", True),
        (dt.datetime(2025, 7, 14, 12), "gt", dt.date(2025, 7, 14), True),
        (dt.datetime(2025, 7, 14, 12), "eq", "2025-07-14 12:00:00", True),
        (uuid.UUID(int=1), "eq", "00000000-0000-0000-0000-000000000001", True),
        (b"abc", "eq", "abc", True),
    ],
)
def test_compare(actual, op, expected, held):
    assert compare(actual, op, expected) is held


def test_values_that_cannot_be_compared_say_so():
    with pytest.raises(NotComparable, match=r"cannot compare 2025-07-14 with 'soon'"):
        compare(dt.date(2025, 7, 14), "lt", "soon")


@pytest.mark.parametrize("actual, expected", [("abc", 5), (5, "abc"), (b"abc", 5)])
def test_text_and_a_number_have_no_order(actual, expected):
    # Compared as text, 'abc' > 5 would hold; a check must not pass on that.
    with pytest.raises(NotComparable, match="cannot compare"):
        compare(actual, "gt", expected)
    assert compare(actual, "eq", expected) is False and compare(actual, "ne", expected) is True


@pytest.mark.parametrize("actual, expected", [(3, float("nan")), (float("nan"), 0), (Decimal("NaN"), 1)])
def test_a_nan_has_no_order_and_says_so(actual, expected):
    # `expect: {ge: .nan}`, or PostgreSQL's 'NaN'::float: Decimal's NaN raises on <, >=.
    with pytest.raises(NotComparable, match="cannot compare"):
        compare(actual, "ge", expected)
    assert compare(actual, "eq", expected) is False


def test_expectations_and_values_read_as_a_person_writes_them():
    assert normalize_expect(0) == ("eq", 0)
    assert normalize_expect({"ge": 5}) == ("ge", 5)
    assert normalize_expect(("lt", 1)) == ("lt", 1)
    assert normalize_expect({"a": 1}) == ("eq", {"a": 1})
    assert [expectation_text("eq", 0), expectation_text("ne", None), expectation_text("le", "x")] == ["0", "!= NULL", "<= 'x'"]
    assert [show(True), show("it's"), show(Decimal("1.50")), show(dt.datetime(2025, 1, 2, 3, 4)), show(b"\x01")] == [
        "true",
        "'it''s'",
        "1.50",
        "2025-01-02 03:04:00",
        "0x01",
    ]
