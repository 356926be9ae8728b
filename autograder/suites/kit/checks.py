"""Assertions shared by the hidden suites, with messages written for students.

Every tolerance is a relative error (``cs231n_lib.rel_error``) stated at the call site.
"""
from __future__ import annotations

import numpy as np

from cs231n_lib.gradient_check import rel_error

from .source_analysis import CellCode


def as_array(value, what: str, shape=None, dtype_kind: str | None = None) -> np.ndarray:
    """Check a student's result is an ndarray (of ``shape`` and dtype kind, e.g. "f" or "iu")."""
    assert isinstance(value, np.ndarray), f"{what} should be a numpy array, got {type(value).__name__}"
    if shape is not None:
        assert value.shape == tuple(shape), f"{what} should have shape {tuple(shape)}, got {value.shape}"
    if dtype_kind is not None:
        assert value.dtype.kind in dtype_kind, f"{what} has dtype {value.dtype}, expected kind {dtype_kind!r}"
    return value


def as_pair(value, what: str):
    """A (loss, grad) style 2-tuple."""
    assert isinstance(value, (tuple, list)) and len(value) == 2, \
        f"{what} should return a tuple of two values, got {type(value).__name__}"
    return value


def as_number(value, what: str) -> float:
    """A real number (a Python number or a one-element float array), possibly inf or nan."""
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    if isinstance(value, np.ndarray) and value.size == 1 and value.dtype.kind == "f":
        value, ok = float(value.reshape(())), True
    assert ok, f"{what} should be a number, got {type(value).__name__}"
    return float(value)


def as_float(value, what: str) -> float:
    """A finite real number."""
    value = as_number(value, what)
    assert np.isfinite(value), f"{what} is {value}, not a finite number"
    return value


def as_dict(value, what: str, keys=None) -> dict:
    """A dict (with exactly ``keys``, compared as a set, if given)."""
    assert isinstance(value, dict), f"{what} should be a dict, got {type(value).__name__}"
    if keys is not None:
        got, want = set(value), set(keys)
        assert got == want, f"{what} should have the keys {sorted(want, key=repr)}, got {sorted(got, key=repr)}"
    return value


def as_list(value, what: str, length: int | None = None) -> list:
    """A list or tuple (or 1-d array) of ``length`` items, returned as a list."""
    if isinstance(value, np.ndarray) and value.ndim == 1:
        value = value.tolist()
    assert isinstance(value, (list, tuple)), f"{what} should be a list, got {type(value).__name__}"
    if length is not None:
        assert len(value) == length, f"{what} should hold {length} items, got {len(value)}"
    return list(value)


def assert_close(got, want, tol: float, what: str, context: str = "") -> None:
    """rel_error(got, want) < tol, with a message naming what is wrong and where (for one or many values)."""
    if isinstance(got, (str, bytes)) or (isinstance(got, np.ndarray) and got.dtype.kind not in "biuf"):
        raise AssertionError(f"{what} should be real numbers, got {type(got).__name__}"
                             + (f" of dtype {got.dtype}" if isinstance(got, np.ndarray) else ""))
    try:
        got_a = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        raise AssertionError(f"{what} should be real numbers, got {type(got).__name__}") from None
    want_a = np.asarray(want, dtype=np.float64)
    assert got_a.shape == want_a.shape, f"{what} has shape {got_a.shape}, expected {want_a.shape}"
    assert np.all(np.isfinite(got_a)), f"{what} contains inf or nan{' ' + context if context else ''}"
    err = rel_error(got_a, want_a)
    where = f" {context}" if context else ""
    if got_a.ndim == 0:
        assert err < tol, (f"{what} is {float(got_a):.10g}, expected {float(want_a):.10g}{where} "
                           f"(relative error {err:.2g}, tolerance {tol:.2g})")
    else:
        assert err < tol, (f"wrong values in {what}{where} "
                           f"(max relative error {err:.2g}, tolerance {tol:.2g})")


def _analysed(source: str, name: str) -> CellCode:
    code = CellCode(source)
    assert code.readable, "your cell has a syntax error, so its structure cannot be checked"
    assert code.defines(name), f"could not find `def {name}` in your cell"
    hidden = code.opaque_calls(name)
    assert not hidden, (f"{name} uses {', '.join(sorted(hidden))}, which hides what it runs; "
                        "the structure check cannot read it")
    return code


def assert_max_loops(source: str, name: str, max_depth: int, what: str) -> None:
    """The code ``name`` runs (every def, helpers, rebinding) nests at most ``max_depth`` loops."""
    depth = _analysed(source, name).loop_depth(name)
    if max_depth == 0:
        assert depth == 0, (f"{what} should contain no Python loop (for/while/comprehension/map, also "
                            f"none in a helper it calls), found {depth} level(s)")
    else:
        assert depth <= max_depth, (f"{what} should use at most {max_depth} loop level(s) (helpers it calls "
                                    f"included), found {depth}")


def assert_does_not_call(source: str, name: str, forbidden: set[str], what: str) -> None:
    """The code ``name`` runs refers to none of ``forbidden`` (through aliases and helpers too)."""
    used = _analysed(source, name).forbidden_references(name, set(forbidden))
    assert not used, f"{what} must not use {', '.join(sorted(used))}"
