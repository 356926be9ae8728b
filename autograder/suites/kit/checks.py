"""Assertions shared by the hidden suites, with messages written for students.

Every tolerance is a relative error (``cs231n_lib.rel_error``) stated at the call site.
"""
from __future__ import annotations

import ast

import numpy as np

from cs231n_lib.gradient_check import rel_error


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


def as_float(value, what: str) -> float:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    if isinstance(value, np.ndarray) and value.size == 1 and value.dtype.kind == "f":
        value, ok = float(value), True
    assert ok, f"{what} should be a number, got {type(value).__name__}"
    assert np.isfinite(value), f"{what} is {value}, not a finite number"
    return float(value)


def assert_close(got, want, tol: float, what: str, context: str = "") -> None:
    """rel_error(got, want) < tol, with a message naming what differs and where."""
    got_a, want_a = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    assert got_a.shape == want_a.shape, f"{what} has shape {got_a.shape}, expected {want_a.shape}"
    assert np.all(np.isfinite(got_a)), f"{what} contains inf or nan{context}"
    err = rel_error(got_a, want_a)
    where = f" {context}" if context else ""
    if got_a.ndim == 0:
        assert err < tol, f"{what} is {float(got_a):.10g}, expected {float(want_a):.10g}{where} (relative error {err:.1e} > {tol:.0e})"
    else:
        assert err < tol, f"{what} differs from the expected values{where} (max relative error {err:.1e} > {tol:.0e})"


def function_node(source: str, name: str):
    """The ``def name`` node in a cell's source, or None."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == name:
            return node
    return None


LOOPS = (ast.For, ast.While, ast.AsyncFor, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def loop_depth(node) -> int:
    """Deepest nesting of Python loops (and comprehensions) inside ``node``."""
    def depth(n, here=0):
        best = here
        for child in ast.iter_child_nodes(n):
            best = max(best, depth(child, here + isinstance(child, LOOPS)))
        return best
    return depth(node)


def called_names(node) -> set[str]:
    """Names of everything called inside ``node`` (``np.linalg.norm`` -> {"norm", "linalg.norm", ...})."""
    names = set()
    for n in ast.walk(node):
        if isinstance(n, ast.Call):
            f = n.func
            parts = []
            while isinstance(f, ast.Attribute):
                parts.append(f.attr)
                f = f.value
            if isinstance(f, ast.Name):
                parts.append(f.id)
            names.update(parts)
    return names


def assert_max_loops(source: str, name: str, max_depth: int, what: str) -> None:
    node = function_node(source, name)
    assert node is not None, f"could not find `def {name}` in your cell"
    depth = loop_depth(node)
    if max_depth == 0:
        assert depth == 0, f"{what} should contain no Python loop (for/while/comprehension), found {depth} level(s)"
    else:
        assert depth <= max_depth, f"{what} should use at most {max_depth} loop level(s), found {depth}"


def assert_does_not_call(source: str, name: str, forbidden: set[str], what: str) -> None:
    node = function_node(source, name)
    assert node is not None, f"could not find `def {name}` in your cell"
    used = called_names(node) & forbidden
    assert not used, f"{what} must not call {', '.join(sorted(used))}"
