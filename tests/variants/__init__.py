"""Implementations of the graded functions other than the instructor's, as solution-cell sources.

Every module sets ``ASSIGNMENT`` (e.g. "assignment1"). ``*_wrong.py`` defines ``WRONG = {(notebook, solution grade_id): [(label, source, tests)]}``:
classic mistakes and ways to side-step a hidden test, each naming the hidden tests it must fail
(suite test names without ``test_``), all of them and only them, for every seed.
``*_correct.py`` defines ``ALTERNATIVES = {(notebook, solution grade_id): [(label, source)]}``:
correct implementations written another way (e.g. the canonical CS231n ones), which must get full
marks for every seed. Every graded function has at least two of the first and one of the second.
"""
from __future__ import annotations

import importlib
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _tables(suffix: str, name: str):
    for path in sorted(HERE.glob(f"*_{suffix}.py")):
        module = importlib.import_module(f"variants.{path.stem}")
        yield module.ASSIGNMENT, getattr(module, name)


def wrong() -> list[tuple]:
    """[(assignment, notebook, solution grade_id, label, source, tests)] of every wrong implementation."""
    return [(a, nb, gid, label, src, frozenset(tests)) for a, table in _tables("wrong", "WRONG")
            for (nb, gid), variants in table.items() for label, src, tests in variants]


def alternatives() -> list[tuple]:
    """[(assignment, notebook, solution grade_id, label, source)] of every correct alternative."""
    return [(a, nb, gid, label, src) for a, table in _tables("correct", "ALTERNATIVES")
            for (nb, gid), variants in table.items() for label, src in variants]
