"""Hidden suite of assignment3/conv_layers.ipynb: output size, convolution (naive and im2col), pooling.

Every function is graded against the instructor's on the fixed geometries of
``kit.conv_cases`` (values drawn per test), dilation cases in tests of their own. Backward passes
with a pinned cache are graded on a cache built here. A function that may call other graded
functions (conv_output_size, im2col, col2im) passes with the student's helpers or with correct
ones swapped in (``kit.reference_helpers``), so a helper's mistake is charged once, to the helper.
"""
import re

import numpy as np

from autograder.engine.suite import StudentError, graded
from autograder.suites.kit.checks import (as_array, as_number, as_pair, assert_close, assert_does_not_call,
                                          assert_max_loops)
from autograder.suites.kit.conv_cases import (CONV_CASES, DILATED_CASES, OVERLAPPING_POOL_CASES, POOL_CASES,
                                              VALUE_TOL, add_case_test)
from autograder.suites.kit.layer_pairs import assert_unchanged
from autograder.suites.kit.reference_helpers import instructor_sources, passes_either_way

NOTEBOOK = "conv_layers"
SETUP_CELLS = ["conv_layers_imports"]
SOLUTION_CELLS = ["conv_output_size", "conv_forward_naive", "conv_backward_naive", "im2col", "col2im",
                  "conv_forward_im2col", "conv_backward_im2col", "max_pool_forward_naive",
                  "max_pool_backward_naive", "avg_pool_forward", "avg_pool_backward"]
HELPERS = instructor_sources("assignment3", NOTEBOOK, ("conv_output_size", "im2col", "col2im"))
G = globals()


# ---- conv_output_size ---------------------------------------------------------------------

SIZE = "conv_output_size"


def fitting_settings(rng, dilation: bool):
    """(W, F, S, P, d) settings that tile, the first ones fixed (AlexNet, a "same" 3x3, F = W + 2P)."""
    fixed = [(227, 11, 4, 0, 1), (32, 3, 1, 1, 1), (5, 7, 1, 1, 1)] if not dilation else [(7, 3, 1, 0, 2), (32, 3, 1, 2, 2)]
    drawn = []
    while len(drawn) < 12:
        S, P, F, d = int(rng.integers(1, 5)), int(rng.integers(0, 4)), int(rng.integers(1, 8)), 1
        if dilation:
            d = int(rng.integers(2, 5))
        extent = d * (F - 1) + 1
        W = extent - 2 * P + S * int(rng.integers(0, 10))
        if W >= 1:
            drawn.append((W, F, S, P, d))
    return fixed + drawn


def expected_size(W, F, S, P, d):
    return (W + 2 * P - d * (F - 1) - 1) // S + 1


@graded("test_conv_output_size", SIZE, 2)
def test_conv_output_size_values(student, rng):
    """Is it (W - F + 2P) / S + 1 for settings that fit (no dilation)?"""
    for W, F, S, P, _ in fitting_settings(rng, dilation=False):
        got = as_number(student.conv_output_size(W, F, S, P), f"conv_output_size({W}, {F}, {S}, {P})")
        want = expected_size(W, F, S, P, 1)
        assert got == want, f"conv_output_size({W}, {F}, {S}, {P}) is {got}, expected ({W} - {F} + 2*{P}) / {S} + 1 = {want}"


@graded("test_conv_output_size", SIZE, 1)
def test_conv_output_size_dilation(student, rng):
    """With dilation d, is the filter's size d * (F - 1) + 1 in the formula?"""
    for W, F, S, P, d in fitting_settings(rng, dilation=True):
        got = as_number(student.conv_output_size(W, F, S, P, dilation=d),
                        f"conv_output_size({W}, {F}, {S}, {P}, dilation={d})")
        want = expected_size(W, F, S, P, d)
        assert got == want, (f"conv_output_size({W}, {F}, {S}, {P}, dilation={d}) is {got}, expected {want} "
                             f"(the dilated filter covers {d} * ({F} - 1) + 1 = {d * (F - 1) + 1} pixels)")


@graded("test_conv_output_size", SIZE, 1, gate=test_conv_output_size_values)
def test_conv_output_size_int(student, rng):
    """Does it return an integer (not a float such as 16.0)?"""
    for W, F, S, P, _ in fitting_settings(rng, dilation=False)[:5]:
        got = student.conv_output_size(W, F, S, P)
        assert type(got) is int, (f"conv_output_size({W}, {F}, {S}, {P}) returned {got!r} of type {type(got).__name__}; "
                                  "return an integer (use // once the division is known to be exact)")


def misfits(rng):
    """(W, F, S, P) that do not fit: the filter does not tile, or is larger than the padded input.
    All four numbers have two digits and differ, so a message can be searched for each."""
    out = []
    while len(out) < 4:
        W, S, P = int(rng.integers(40, 99)), int(rng.integers(11, 17)), int(rng.integers(10, 19))
        F = int(rng.integers(20, 39)) if len(out) % 2 == 0 else W + 2 * P + int(rng.integers(1, 9))
        if (W + 2 * P - F) % S != 0 and len({W, F, S, P}) == 4 and F < 100:
            out.append((W, F, S, P))
    return out


def named(number: int, text: str) -> bool:
    return re.search(rf"(?<![\d.]){number}(?![\d.])", text) is not None


@graded("test_conv_output_size", SIZE, 2)
def test_conv_output_size_raises(student, rng):
    """Does a setting that does not fit raise ValueError with a message naming W, F, S and P?"""
    for W, F, S, P in misfits(rng):
        call = f"conv_output_size({W}, {F}, {S}, {P})"
        why = "the filter is larger than the padded input" if F > W + 2 * P else f"({W} - {F} + 2*{P}) / {S} is not whole"
        try:
            result = student.conv_output_size(W, F, S, P)
        except StudentError as err:
            if err.type_name == "NotImplementedError":
                raise
            assert err.type_name == "ValueError", f"{call} raised {err.type_name}; it should raise ValueError ({why})"
            text = err.message.split(": ", 1)[-1]
            missing = [f"{k}={v}" for k, v in zip("WFSP", (W, F, S, P)) if not named(v, text)]
            assert not missing, (f"the ValueError of {call} should name W, F, S and P; its message does not "
                                 f"mention {', '.join(missing)}: {text[:300]!r}")
        else:
            raise AssertionError(f"{call} returned {result!r}; it should raise ValueError ({why})")


# ---- convolution: naive and im2col --------------------------------------------------------

def conv_inputs(rng, case):
    x, w, b = case.draw(rng)
    return x, w, b, case.conv_param()


def forward_check(function):
    def check_case(calls, ref, rng, case):
        x, w, b, param = conv_inputs(rng, case)
        out, cache = as_pair(calls(function, x, w, b, param), function)
        out = as_array(out, f"out of {function}", case.out_shape, "f")
        want, _ = ref.conv_forward_naive(x, w, b, param)
        assert_close(out, want, VALUE_TOL, "out", case.describe())
    return check_case


def backward_cache(ref, function, x, w, b, param):
    """The pinned cache, built here: (x, w, b, conv_param), and im2col's columns for the fast version."""
    if function == "conv_backward_naive":
        return (x, w, b, param)
    return (x, w, b, param, ref.im2col(x, w.shape[2], w.shape[3], param["stride"], param["pad"], param.get("dilation", 1)))


def compare_grads(grads, function, ref, dout, x, w, b, param, case):
    dx, dw, db = (as_array(g, f"{name} from {function}", shape, "f") for g, name, shape in
                  zip(as_triple(grads, function), ("dx", "dw", "db"), (x.shape, w.shape, b.shape)))
    want = ref.conv_backward_naive(dout, (x, w, b, param))
    hint = " (where windows overlap, gradients add up: +=)" if case.overlapping else ""
    for got, exp, name in zip((dx, dw, db), want, ("dx", "dw", "db")):
        assert_close(got, exp, VALUE_TOL, name, case.describe() + (hint if name == "dx" else ""))


def as_triple(value, function):
    assert isinstance(value, (tuple, list)) and len(value) == 3, \
        f"{function} should return a tuple (dx, dw, db), got {type(value).__name__}"
    return value


def backward_check(function):
    def check_case(calls, ref, rng, case):
        x, w, b, param = conv_inputs(rng, case)
        dout = rng.standard_normal(case.out_shape)
        grads = calls(function, dout, backward_cache(ref, function, x, w, b, param))
        compare_grads(grads, function, ref, dout, x, w, b, param, case)
    return check_case


def own_forward_way(student, ref, rng, cases, forward, backward):
    """The student's forward pass, then their backward pass on its own cache (as submitted)."""
    def way():
        for case in cases:
            x, w, b, param = conv_inputs(rng, case)
            _, cache = as_pair(getattr(student, forward)(x, w, b, param), forward)
            dout = rng.standard_normal(case.out_shape)
            compare_grads(getattr(student, backward)(dout, cache), backward, ref, dout, x, w, b, param, case)
    return way


def add_conv_tests(forward: str, backward: str, fast: bool):
    """Values (with and without dilation), inputs unchanged and, for the im2col pair, no loops."""
    for function, make, cell_name in ((forward, forward_check, forward), (backward, backward_check, backward)):
        cell = f"test_{cell_name}"
        values = f"{function}_values"
        if function == backward and fast:
            define_fast_backward_values(function, cell)
        else:
            add_case_test(G, values, cell, function, 3 if not fast else 2,
                          f"Does it match the reference for many shapes (N = 1, C = 1, non-square, stride 2 and 3, "
                          f"pad 0, 1x1 filters, overlapping windows)?", CONV_CASES, make(function), HELPERS)
            add_case_test(G, f"{function}_dilation", cell, function, 1,
                          "Does it match the reference with dilation 2 and 3?", DILATED_CASES, make(function), HELPERS)
        define_unchanged(function, cell, gate=G[f"test_{values}"])
        if fast:
            define_no_loops(function, cell, gate=G[f"test_{values}"])


def define_fast_backward_values(function, cell):
    """conv_backward_im2col: the pinned cache built here, or the student's own forward cache."""
    forward = "conv_forward_im2col"
    for suffix, cases, weight, question in (
            ("values", CONV_CASES, 2, "Does it match the reference for many shapes (on the cache (x, w, b, conv_param, "
                                      "cols), or on your forward pass's own cache)?"),
            ("dilation", DILATED_CASES, 1, "Does it match the reference with dilation 2 and 3?")):
        test = fast_backward_test(function, forward, cases)
        test.__name__ = f"test_{function}_{suffix}"
        test.__doc__ = question
        G[test.__name__] = graded(cell, function, weight)(test)


def fast_backward_test(function, forward, cases):
    def test(student, ref, worker, rng):
        def check(calls):
            for case in cases:
                backward_check(function)(calls, ref, rng, case)
        passes_either_way(student, worker, function, check, HELPERS,
                          extra=[own_forward_way(student, ref, rng, cases, forward, function)])
    return test


def define_unchanged(function, cell, gate):
    def test(student, ref, worker, rng):
        case = CONV_CASES[3]
        x, w, b, param = conv_inputs(rng, case)
        if function.startswith("conv_forward"):
            names, args = ("x", "w", "b", "conv_param"), (x, w, b, param)
        else:
            names = ("dout", "cache")
            args = (rng.standard_normal(case.out_shape), backward_cache(ref, function, x, w, b, param))

        def check(calls):
            _, after = calls.echo(function, *args)
            assert_unchanged(function, dict(zip(names, args)), after)
        passes_either_way(student, worker, function, check, HELPERS)
    test.__name__ = f"test_{function}_inputs_unchanged"
    test.__doc__ = "Are the inputs (arrays and conv_param) left unchanged?"
    G[test.__name__] = graded(cell, function, 1, gate=gate)(test)


def define_no_loops(function, cell, gate):
    naive = function.replace("im2col", "naive")

    def test(source):
        assert_max_loops(source, function, 0, f"{function} (the loops belong in im2col and col2im)")
        assert_does_not_call(source, function, {naive}, function)
    test.__name__ = f"test_{function}_no_loops"
    test.__doc__ = "Is it free of Python loops, and of calls to the naive version?"
    G[test.__name__] = graded(cell, function, 1, gate=gate)(test)


add_conv_tests("conv_forward_naive", "conv_backward_naive", fast=False)


# ---- im2col and col2im ----------------------------------------------------------------------

def im2col_args(case):
    return (case.HH, case.WW, case.stride, case.pad, case.dilation)


def im2col_check(calls, ref, rng, case):
    x, _, _ = case.draw(rng)
    rows, cols = case.C * case.HH * case.WW, case.N * case.out_shape[2] * case.out_shape[3]
    got = as_array(calls("im2col", x, *im2col_args(case)), "the columns from im2col", (rows, cols), "f")
    want = ref.im2col(x, *im2col_args(case))
    assert_close(got, want, 1e-12, "the column matrix", case.describe(filters=False)
                 + " (rows in (c, i, j) order, columns in (n, h, w) order)")


def col2im_check(calls, ref, rng, case):
    rows, cols = case.C * case.HH * case.WW, case.N * case.out_shape[2] * case.out_shape[3]
    columns = rng.standard_normal((rows, cols))
    got = as_array(calls("col2im", columns, case.x_shape, *im2col_args(case)), "the result of col2im", case.x_shape, "f")
    want = ref.col2im(columns, case.x_shape, *im2col_args(case))
    hint = " (windows overlap here: entries that map to the same pixel add up)" if case.overlapping else ""
    assert_close(got, want, VALUE_TOL, "the result of col2im", case.describe(filters=False) + hint)


for _name, _check in (("im2col", im2col_check), ("col2im", col2im_check)):
    add_case_test(G, f"{_name}_values", f"test_{_name}", _name, 2,
                  "Does it match the reference for many shapes (N = 1, C = 1, non-square, stride 2 and 3, pad 0, 1x1)?",
                  CONV_CASES, _check, HELPERS)
    add_case_test(G, f"{_name}_dilation", f"test_{_name}", _name, 1,
                  "Does it match the reference with dilation 2 and 3?", DILATED_CASES, _check, HELPERS)


def define_im2col_properties(function):
    values = G[f"test_{function}_values"]

    def unchanged(student, ref, worker, rng):
        case = CONV_CASES[3]
        x, _, _ = case.draw(rng)
        if function == "im2col":
            args, names = (x, *im2col_args(case)), ("x",)
        else:
            args, names = (ref.im2col(x, *im2col_args(case)), case.x_shape, *im2col_args(case)), ("cols",)

        def check(calls):
            _, after = calls.echo(function, *args)
            assert_unchanged(function, dict(zip(names, args)), after)
        passes_either_way(student, worker, function, check, HELPERS)
    unchanged.__name__ = f"test_{function}_inputs_unchanged"
    unchanged.__doc__ = "Is its input array left unchanged?"
    G[unchanged.__name__] = graded(f"test_{function}", function, 1, gate=values)(unchanged)

    def loops(source):
        assert_max_loops(source, function, 2, f"{function} (loop over the filter taps at most, "
                         "never over the examples or the output positions)")
    loops.__name__ = f"test_{function}_loops"
    loops.__doc__ = "Does it use at most two nested Python loops (over the filter taps), none over examples or positions?"
    G[loops.__name__] = graded(f"test_{function}", function, 1, gate=values)(loops)


define_im2col_properties("im2col")
define_im2col_properties("col2im")

add_conv_tests("conv_forward_im2col", "conv_backward_im2col", fast=True)


# ---- pooling ---------------------------------------------------------------------------------

def pool_forward_check(function, reduce):
    def check_case(calls, ref, rng, case):
        x = case.draw(rng)
        out, cache = as_pair(calls(function, x, case.pool_param()), function)
        out = as_array(out, f"out of {function}", case.out_shape, "f")
        assert_close(out, getattr(ref, function)(x, case.pool_param())[0], VALUE_TOL, "out",
                     case.describe() + f" (each output is the {reduce} of its window)")
    return check_case


def pool_backward_check(function, forward):
    def check_case(calls, ref, rng, case):
        x = case.draw(rng)
        dout = rng.standard_normal(case.out_shape)
        dx = as_array(calls(function, dout, (x, case.pool_param())), f"dx from {function}", case.x_shape, "f")
        want = getattr(ref, function)(dout, (x, case.pool_param()))
        hint = " (windows overlap: a pixel's gradients from several windows add up, +=)" if case.stride < max(
            case.pool_height, case.pool_width) else ""
        assert_close(dx, want, VALUE_TOL, "dx", case.describe() + " on the cache (x, pool_param)" + hint)
    return check_case


def add_pool_tests(forward: str, backward: str, reduce: str):
    add_case_test(G, f"{forward}_values", f"test_{forward}", forward, 2,
                  "Does it match the reference for square, non-square, overlapping and non-overlapping windows?",
                  POOL_CASES + OVERLAPPING_POOL_CASES, pool_forward_check(forward, reduce), HELPERS)
    add_case_test(G, f"{backward}_values", f"test_{backward}", backward, 2,
                  "Does it match the reference (windows that do not overlap), on the cache (x, pool_param)?",
                  POOL_CASES, pool_backward_check(backward, forward), HELPERS)
    add_case_test(G, f"{backward}_overlapping", f"test_{backward}", backward, 1,
                  "Where windows overlap, do a pixel's gradients add up?",
                  OVERLAPPING_POOL_CASES, pool_backward_check(backward, forward), HELPERS)
    for function, gate in ((forward, G[f"test_{forward}_values"]), (backward, G[f"test_{backward}_values"])):
        unchanged = pool_unchanged_test(function, is_forward=function == forward)
        unchanged.__name__ = f"test_{function}_inputs_unchanged"
        unchanged.__doc__ = "Are the inputs (and pool_param) left unchanged?"
        G[unchanged.__name__] = graded(f"test_{function}", function, 1, gate=gate)(unchanged)


def pool_unchanged_test(function, is_forward):
    def test(student, ref, worker, rng):
        case = OVERLAPPING_POOL_CASES[0]
        x = case.draw(rng)
        if is_forward:
            names, args = ("x", "pool_param"), (x, case.pool_param())
        else:
            names, args = ("dout", "cache"), (rng.standard_normal(case.out_shape), (x, case.pool_param()))

        def check(calls):
            _, after = calls.echo(function, *args)
            assert_unchanged(function, dict(zip(names, args)), after)
        passes_either_way(student, worker, function, check, HELPERS)
    return test


add_pool_tests("max_pool_forward_naive", "max_pool_backward_naive", "maximum")
add_pool_tests("avg_pool_forward", "avg_pool_backward", "mean")

del _name, _check
