"""Do the assignment-3 support pieces do what they promise, each shown able to fail?

- ``cs231n_lib.conv_layer_utils.conv_relu_pool``: composes the layers found by name at call time;
- ``autograder.suites.kit.conv_cases``: geometries that tile, pooling inputs without ties;
- ``autograder.suites.kit.reference_helpers``: a function right with correct helpers passes even
  when the student's helper is wrong; a wrong function fails both ways, with the message of the
  reference-helper way; a helper is never swapped for itself.
"""
from __future__ import annotations

import numpy as np
import pytest

from autograder.engine.suite import StudentError
from autograder.suites.kit import reference_helpers
from autograder.suites.kit.conv_cases import CONV_CASES, DILATED_CASES, OVERLAPPING_POOL_CASES, POOL_CASES, ConvCase
from autograder.suites.kit.layer_pairs import assert_unchanged
from cs231n_lib.conv_layer_utils import conv_relu_pool
from cs231n_lib.gradient_check import rel_error


# ---- conv_relu_pool ------------------------------------------------------------------------

def toy_layers():
    """A 'convolution' that is x * w + b per channel (1x1), ReLU and 2x1 max pooling, as plain functions."""
    def conv_forward_im2col(x, w, b, conv_param):
        return x * w[0, 0, 0, 0] + b[0], (x, w)

    def conv_backward_im2col(dout, cache):
        x, w = cache
        return dout * w[0, 0, 0, 0], np.full(w.shape, np.sum(dout * x)), np.array([dout.sum()])

    def relu_forward(x):
        return np.maximum(x, 0), x

    def relu_backward(dout, x):
        return dout * (x > 0)

    def max_pool_forward_naive(x, pool_param):
        return np.maximum(x[:, :, ::2], x[:, :, 1::2]), x

    def max_pool_backward_naive(dout, x):
        first = x[:, :, ::2] >= x[:, :, 1::2]
        dx = np.zeros(x.shape)
        dx[:, :, ::2], dx[:, :, 1::2] = dout * first, dout * ~first
        return dx
    return dict(locals())


def test_conv_relu_pool_composes_the_layers_in_order():
    """Forward: conv, ReLU, pool; backward: the chain rule back through them (checked against differences)."""
    layers = toy_layers()
    forward, backward = conv_relu_pool(layers)
    x = np.array([[[[1.0], [-2.0], [3.0], [0.5]]]])               # (1, 1, 4, 1)
    w, b = np.full((1, 1, 1, 1), 2.0), np.array([-1.0])
    out, cache = forward(x, w, b, {}, {})
    assert np.array_equal(out, [[[[1.0], [5.0]]]])                  # relu(2x - 1) = [1, 0, 5, 0], pooled by pairs
    dx, dw, db = backward(np.ones(out.shape), cache)
    assert np.array_equal(dx, [[[[2.0], [0.0], [2.0], [0.0]]]]) and dw.item() == 1.0 + 3.0 and db.item() == 2.0
    assert forward.__name__ == "conv_relu_pool_forward" and backward.__name__ == "conv_relu_pool_backward"


def test_conv_relu_pool_looks_the_layers_up_at_every_call():
    """A layer redefined after the sandwich was made is the one used; a missing one is named."""
    layers = toy_layers()
    forward, _ = conv_relu_pool(layers)
    layers["relu_forward"] = lambda x: (np.abs(x), x)              # the notebook redefines its ReLU
    out, _ = forward(np.array([[[[-3.0], [-1.0]]]]), np.ones((1, 1, 1, 1)), np.zeros(1), {}, {})
    assert out.item() == 3.0
    del layers["max_pool_forward_naive"]
    with pytest.raises(NameError, match="max_pool_forward_naive"):
        forward(np.zeros((1, 1, 2, 1)), np.ones((1, 1, 1, 1)), np.zeros(1), {}, {})


def test_conv_relu_pool_with_the_instructor_layers_matches_numerical_gradients():
    """With the reference conv and pool layers and a ReLU, the sandwich's gradients are right (negative control: a
    sandwich whose ReLU backward ignores the mask is not)."""
    from autograder.engine.grading import reference
    from cs231n_lib.gradient_check import eval_numerical_gradient_array

    layers = dict(vars(reference("assignment3", "conv_layers")))
    layers.update(relu_forward=lambda x: (np.maximum(x, 0), x), relu_backward=lambda d, x: d * (x > 0))
    forward, backward = conv_relu_pool(layers)
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((2, 2, 4, 6)), rng.standard_normal((3, 2, 3, 3)), rng.standard_normal(3)
    conv_param, pool_param = {"stride": 1, "pad": 1}, {"pool_height": 2, "pool_width": 2, "stride": 2}
    out, cache = forward(x, w, b, conv_param, pool_param)
    dout = rng.standard_normal(out.shape)
    dx, dw, _ = backward(dout, cache)
    num = eval_numerical_gradient_array(lambda v: forward(v, w, b, conv_param, pool_param)[0], x.copy(), dout)
    assert rel_error(dx, num) < 1e-7
    layers["relu_backward"] = lambda d, x: d
    assert rel_error(backward(dout, cache)[0], num) > 1e-3


# ---- conv_cases ----------------------------------------------------------------------------

def test_every_case_tiles_and_covers_the_edge_cases():
    """Geometries tile; together they hold N = 1, C = 1, non-square, stride 2 and 3, pad 0, 1x1, overlap and not."""
    cases = CONV_CASES + DILATED_CASES
    for case in cases:
        assert len(case.out_shape) == 4
    assert {1} <= {c.N for c in cases} and {1} <= {c.C for c in cases}
    assert any(c.H != c.W for c in cases) and any(c.HH != c.WW for c in cases)
    assert {2, 3} <= {c.stride for c in cases} and 0 in {c.pad for c in cases}
    assert any(c.HH == c.WW == 1 for c in cases)
    assert any(c.overlapping for c in cases) and any(not c.overlapping for c in cases)
    assert {1} == {c.dilation for c in CONV_CASES} and {2, 3} <= {c.dilation for c in DILATED_CASES}
    assert all("dilation" not in c.conv_param() for c in CONV_CASES)        # the key is optional
    with pytest.raises(AssertionError, match="does not tile"):
        ConvCase(1, 1, 5, 5, 1, 2, 2, 2, 0).out_shape                    # (5 - 2) / 2 is not whole


@pytest.mark.parametrize("seed", range(5))
def test_pool_draws_have_no_ties_and_keep_their_gaps(seed):
    """Every pooling input holds distinct values at least 1/size apart, for any seed."""
    for case in POOL_CASES + OVERLAPPING_POOL_CASES:
        x = np.sort(case.draw(np.random.default_rng(seed)).ravel())
        assert np.min(np.diff(x)) >= 0.99 / x.size


def test_assert_unchanged_sees_changes_in_a_cache():
    """The suites' "inputs unchanged" (layer_pairs.assert_unchanged) sees a changed conv_param inside a cache."""
    cache = (np.arange(4.0), {"stride": 1, "pad": 0})
    assert_unchanged("f", {"cache": cache}, [(np.arange(4.0), {"stride": 1, "pad": 0})])
    for changed in [(np.arange(4.0) * 2, {"stride": 1, "pad": 0}), (np.arange(4.0), {"stride": 1, "pad": 0, "dilation": 1})]:
        with pytest.raises(AssertionError, match="changed its input cache"):
            assert_unchanged("f", {"cache": cache}, [changed])


# ---- reference_helpers ---------------------------------------------------------------------

class FakeStudent:
    """A namespace standing in for the worker: functions by name, and the swap a grader function does."""

    def __init__(self, functions):
        self.functions = dict(functions)

    def __getattr__(self, name):
        if name.startswith("_grader_"):
            def swapped(function, *args):
                saved = dict(self.functions)
                self.functions.update(self.helpers)
                try:
                    return self.functions[function](*args)
                finally:
                    self.functions = saved
            return swapped
        return self.functions[name]


class FakeWorker:
    def __init__(self, student):
        self.student = student

    def exec(self, label, source):
        assert "def _grader_" in source and label == "grader_reference_helpers"
        self.student.helpers = {"double": lambda v: 2 * v}        # what the swapped-in source defines


def student_with(double, quadruple):
    student = FakeStudent({"double": double, "quadruple": quadruple})
    return student, FakeWorker(student)


def check_quadruple(calls):
    assert calls("quadruple", 3) == 12, "quadruple(3) should be 12"


HELPERS = {"double": "def double(v):\n    return 2 * v\n"}


def test_right_function_passes_with_a_wrong_helper():
    """quadruple = double(double(v)) is right; the student's double is wrong: quadruple still passes."""
    student, worker = student_with(lambda v: v + 2, lambda v: student.functions["double"](student.functions["double"](v)))
    reference_helpers.passes_either_way(student, worker, "quadruple", check_quadruple, HELPERS)


def test_wrong_function_fails_both_ways_with_the_reference_way_reported():
    """A wrong quadruple fails as submitted and with the correct helper; the reported failure is the second."""
    attempts = []

    def check(calls):
        attempts.append(calls.swap)
        check_quadruple(calls)
    student, worker = student_with(lambda v: 2 * v, lambda v: 3 * v)
    with pytest.raises(AssertionError, match="should be 12"):
        reference_helpers.passes_either_way(student, worker, "quadruple", check, HELPERS)
    assert attempts[0] is None and attempts[1].startswith("_grader_")


def test_a_function_is_never_swapped_for_itself_and_grader_faults_propagate():
    """Grading the helper itself runs one way only; an error that is not the student's (e.g. KeyError) is not caught."""
    attempts = []

    def check(calls):
        attempts.append(calls.swap)
        assert calls("double", 2) == 4, "double(2) should be 4"
    student, worker = student_with(lambda v: v + 3, lambda v: v)
    with pytest.raises(AssertionError):
        reference_helpers.passes_either_way(student, worker, "double", check, HELPERS)
    assert attempts == [None]

    def broken(calls):
        raise KeyError("a suite bug")
    with pytest.raises(KeyError):
        reference_helpers.passes_either_way(student, worker, "quadruple", broken, HELPERS)


def test_student_errors_count_as_failures_of_a_way():
    """A StudentError (the student's code raised) in the first way moves on to the second."""
    def raises(v):
        raise StudentError("NotImplementedError", type_name="NotImplementedError")
    student, worker = student_with(raises, lambda v: student.functions["double"](student.functions["double"](v)))
    reference_helpers.passes_either_way(student, worker, "quadruple", check_quadruple, HELPERS)


def test_swap_source_defines_a_function_that_restores_the_namespace():
    """The worker-side swap puts the helpers in for the call and restores (or removes) them afterwards."""
    source = reference_helpers.SWAP.format(name="_grader_t", sources=[HELPERS["double"]], names=["double"])
    space = {"double": lambda v: -1, "quadruple": None}
    exec(source, space)
    space["quadruple"] = lambda v: space["double"](space["double"](v))
    assert space["_grader_t"]("quadruple", 3) == 12
    assert space["double"](5) == -1
    del space["double"]
    space["quadruple"] = lambda v: 2 * space["double"](v)
    assert space["_grader_t"]("quadruple", 1) == 4 and "double" not in space
