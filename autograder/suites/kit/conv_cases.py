"""Inputs for the hidden tests of convolution and pooling layers, and the tests they run through.

Geometries are fixed (so every seed covers the same edge cases); values are drawn from the test's
``rng``. Every geometry tiles its input (the suites never grade settings that do not fit) and
pooling inputs never hold two equal values in one window (ties are not graded, DESIGN §5.1).

- :class:`ConvCase` / ``CONV_CASES`` (no dilation: N = 1, C = 1, non-square inputs and filters,
  stride 2 and 3, pad 0, 1x1 filters, windows that overlap and that do not) and ``DILATED_CASES``
  (dilation 2 and 3, kept apart so that a dilation-free solution keeps every other point);
- :class:`PoolCase` / ``POOL_CASES`` (non-overlapping) and ``OVERLAPPING_POOL_CASES``;
- :func:`add_case_test`: one graded test that runs a check over a list of cases, through
  :func:`~autograder.suites.kit.reference_helpers.passes_either_way`.

"Inputs unchanged" uses :func:`autograder.suites.kit.layer_pairs.assert_unchanged`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from autograder.engine.suite import graded

from .reference_helpers import passes_either_way

VALUE_TOL = 1e-6   # float64 results against the reference; any real mistake is off by far more


def _size(n: int, f: int, stride: int, pad: int, dilation: int = 1) -> int:
    span = n + 2 * pad - (dilation * (f - 1) + 1)
    assert span >= 0 and span % stride == 0, f"suite geometry does not tile: {(n, f, stride, pad, dilation)}"
    return span // stride + 1


@dataclass(frozen=True)
class ConvCase:
    """One convolution geometry: x (N, C, H, W), w (F, C, HH, WW), stride, pad, dilation."""
    N: int
    C: int
    H: int
    W: int
    F: int
    HH: int
    WW: int
    stride: int
    pad: int
    dilation: int = 1

    @property
    def out_shape(self) -> tuple[int, int, int, int]:
        return (self.N, self.F, _size(self.H, self.HH, self.stride, self.pad, self.dilation),
                _size(self.W, self.WW, self.stride, self.pad, self.dilation))

    @property
    def x_shape(self) -> tuple[int, int, int, int]:
        return (self.N, self.C, self.H, self.W)

    @property
    def w_shape(self) -> tuple[int, int, int, int]:
        return (self.F, self.C, self.HH, self.WW)

    @property
    def overlapping(self) -> bool:
        """Do neighbouring windows share input pixels (in either direction)?"""
        return self.stride < self.dilation * (max(self.HH, self.WW) - 1) + 1

    def conv_param(self) -> dict:
        """{'stride', 'pad'}, and 'dilation' only when it is not 1 (the key is optional)."""
        param = {"stride": self.stride, "pad": self.pad}
        if self.dilation != 1:
            param["dilation"] = self.dilation
        return param

    def draw(self, rng):
        """x, w, b: standard normal values of the case's shapes (float64)."""
        return (rng.standard_normal(self.x_shape), rng.standard_normal(self.w_shape),
                rng.standard_normal(self.F))

    def describe(self, filters: bool = True) -> str:
        """'for x of shape ..., w of shape ... (or HHxWW filters), stride, pad[, dilation]'."""
        what = f"w of shape {self.w_shape}" if filters else f"{self.HH}x{self.WW} filters"
        text = f"for x of shape {self.x_shape}, {what}, stride {self.stride}, pad {self.pad}"
        return text + (f", dilation {self.dilation}" if self.dilation != 1 else "")


CONV_CASES = [
    ConvCase(2, 3, 5, 5, 4, 3, 3, 1, 1),        # the common 3x3 "same" convolution
    ConvCase(1, 1, 6, 9, 2, 2, 3, 2, 0),        # N = 1, C = 1, non-square input and filter, stride 2, no padding
    ConvCase(3, 2, 7, 4, 3, 1, 1, 3, 0),        # 1x1 filters, stride 3 (windows do not overlap)
    ConvCase(2, 2, 9, 7, 2, 3, 3, 2, 1),        # stride 2 with overlap
    ConvCase(1, 3, 8, 8, 2, 4, 4, 4, 0),        # windows that tile without overlapping
    ConvCase(2, 4, 4, 6, 3, 3, 1, 1, 2),        # padding larger than the filter needs
]
DILATED_CASES = [
    ConvCase(2, 2, 7, 7, 3, 3, 3, 1, 2, 2),     # dilation 2, "same" size
    ConvCase(1, 3, 8, 9, 2, 2, 3, 2, 1, 3),     # dilation 3, non-square filter, stride 2
    ConvCase(2, 1, 11, 6, 2, 3, 2, 3, 0, 2),     # dilation 2, stride 3
]


@dataclass(frozen=True)
class PoolCase:
    """One pooling geometry: x (N, C, H, W), pool_height x pool_width windows, stride."""
    N: int
    C: int
    H: int
    W: int
    pool_height: int
    pool_width: int
    stride: int

    @property
    def out_shape(self) -> tuple[int, int, int, int]:
        return (self.N, self.C, _size(self.H, self.pool_height, self.stride, 0),
                _size(self.W, self.pool_width, self.stride, 0))

    @property
    def x_shape(self) -> tuple[int, int, int, int]:
        return (self.N, self.C, self.H, self.W)

    def pool_param(self) -> dict:
        return {"pool_height": self.pool_height, "pool_width": self.pool_width, "stride": self.stride}

    def draw(self, rng):
        """x without ties: a random permutation of evenly spaced values (gaps of 1 / size)."""
        size = int(np.prod(self.x_shape))
        return (rng.permutation(size).reshape(self.x_shape) - size / 2) / size

    def describe(self) -> str:
        return (f"for x of shape {self.x_shape}, {self.pool_height}x{self.pool_width} windows, "
                f"stride {self.stride}")


POOL_CASES = [
    PoolCase(2, 3, 4, 4, 2, 2, 2),              # the common 2x2 / 2
    PoolCase(1, 1, 6, 9, 3, 3, 3),              # N = 1, C = 1, 3x3 / 3
    PoolCase(3, 2, 5, 6, 2, 3, 3),              # non-square windows, gaps between rows
    PoolCase(2, 2, 8, 6, 4, 2, 4),              # tall windows, gaps between columns
]
OVERLAPPING_POOL_CASES = [
    PoolCase(2, 3, 5, 5, 3, 3, 2),              # AlexNet's overlapping 3x3 / 2
    PoolCase(1, 2, 4, 5, 2, 3, 1),              # stride 1, non-square
]


def add_case_test(ns: dict, name: str, cell: str, function: str, weight: float, question: str,
                  cases, check_case, helpers: dict[str, str], gate=()) -> None:
    """Define one graded test ``test_<name>`` in ``ns`` that checks ``function`` on every case.

    Inputs:
    - ns: the suite module's globals().
    - cell, function, weight, gate: as for ``@graded``; question: the test's docstring.
    - cases: the geometries to run (ConvCase or PoolCase).
    - check_case: callable(calls, ref, rng, case) asserting with kit checks, where
      ``calls(name, *args)`` calls the student's functions (see reference_helpers.Calls).
    - helpers: ``{name: instructor source}`` of the graded functions ``function`` may call.
    """
    def test(student, ref, worker, rng):
        def check(calls):
            for case in cases:
                check_case(calls, ref, rng, case)
        passes_either_way(student, worker, function, check, helpers)

    test.__name__ = test.__qualname__ = f"test_{name}"
    test.__doc__ = question
    ns[test.__name__] = graded(cell, function, weight, gate=gate)(test)
