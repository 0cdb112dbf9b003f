"""Benchmarks for migrator: speed claims measured, not asserted.

Run ``python -m benchmarks`` (``--quick`` for tiny sizes, ``--only NAME``,
``--runs N``); it prints a Markdown table and writes benchmarks/RESULTS.md.
Not part of the test suite; tests/test_benchmarks_smoke.py runs ``--quick``.
"""
from __future__ import annotations
