"""Hidden suite of assignment2/backprop.ipynb: a sigmoid neuron, a staged function, a matrix multiply."""
import numpy as np

from autograder.engine.suite import graded
from autograder.suites.kit.checks import as_array, as_float, as_list, assert_close
from autograder.suites.kit.layer_pairs import assert_unchanged

NOTEBOOK = "backprop"
SETUP_CELLS = ["backprop_imports"]
SOLUTION_CELLS = ["neuron_forward_backward", "staged_forward_backward", "matmul_backward"]

NEURON = "neuron_forward_backward"


def neuron_cases(rng):
    """The notes' neuron, then random ones whose dot product stays within +-5: there (1 - f) f is at
    least 0.006 and computed to full relative precision from either f or 1 - f (no cancellation)."""
    cases = [(np.array([2.0, -3.0, -3.0]), np.array([-1.0, -2.0]))]
    while len(cases) < 9:
        w, x = 2.0 * rng.standard_normal(3), 2.0 * rng.standard_normal(2)
        if abs(w[0] * x[0] + w[1] * x[1] + w[2]) <= 5.0:
            cases.append((w, x))
    return cases


def neuron_result(student, w, x):
    f, dw, dx = as_list(student.neuron_forward_backward(w.copy(), x.copy()), f"the result of {NEURON} (f, dw, dx)", 3)
    return (as_float(f, f"f returned by {NEURON}"), as_array(dw, f"dw returned by {NEURON}", (3,), "f"),
            as_array(dx, f"dx returned by {NEURON}", (2,), "f"))


@graded("test_neuron_forward_backward", NEURON, 1)
def test_neuron_value(student, ref, rng):
    """Is f the sigmoid of w[0] x[0] + w[1] x[1] + w[2] (the notes' neuron and random ones)?"""
    for w, x in neuron_cases(rng):
        f, _, _ = neuron_result(student, w, x)
        assert_close(f, ref.neuron_forward_backward(w, x)[0], 1e-10, "f", f"for w = {np.round(w, 3)}, x = {np.round(x, 3)}")


@graded("test_neuron_forward_backward", NEURON, 2)
def test_neuron_grads(student, ref, rng):
    """Do dw and dx match the reference (local gradient (1 - f) f, then the dot product's)?"""
    for w, x in neuron_cases(rng):
        _, dw, dx = neuron_result(student, w, x)
        _, want_dw, want_dx = ref.neuron_forward_backward(w, x)
        where = f"for w = {np.round(w, 3)}, x = {np.round(x, 3)}"
        assert_close(dw, want_dw, 1e-9, "dw", f"{where} (dw = [x0, x1, 1] * (1 - f) f)")
        assert_close(dx, want_dx, 1e-9, "dx", f"{where} (dx = [w0, w1] * (1 - f) f)")


@graded("test_neuron_forward_backward", NEURON, 1, gate=(test_neuron_value, test_neuron_grads))
def test_neuron_inputs(student, rng):
    """Are w and x left unchanged?"""
    w, x = rng.standard_normal(3), rng.standard_normal(2)
    _, after, _ = student._echo(NEURON, w.copy(), x.copy())
    assert_unchanged(NEURON, {"w": w, "x": x}, after)


STAGED = "staged_forward_backward"


def staged_points(rng):
    return [(3.0, -4.0)] + [tuple(float(v) for v in rng.uniform(-4.0, 4.0, 2)) for _ in range(11)]


def staged_result(student, x, y):
    f, dx, dy = as_list(student.staged_forward_backward(x, y), f"the result of {STAGED} (f, dx, dy)", 3)
    return as_float(f, "f"), as_float(dx, f"dx returned by {STAGED}"), as_float(dy, f"dy returned by {STAGED}")


@graded("test_staged_forward_backward", STAGED, 1)
def test_staged_value(student, ref, rng):
    """Is f the value of the given forward pass (the notes' point x = 3, y = -4 and random ones)?"""
    for x, y in staged_points(rng):
        f, _, _ = staged_result(student, x, y)
        assert_close(f, ref.staged_forward_backward(x, y)[0], 1e-10, "f", f"at x = {x:.4f}, y = {y:.4f}")


@graded("test_staged_forward_backward", STAGED, 3)
def test_staged_grads(student, ref, rng):
    """Do dx and dy match the reference, every branch of a fork added (+=)?"""
    for x, y in staged_points(rng):
        _, dx, dy = staged_result(student, x, y)
        _, want_dx, want_dy = ref.staged_forward_backward(x, y)
        assert_close(dx, want_dx, 1e-9, "dx", f"at x = {x:.4f}, y = {y:.4f} (x feeds num, sigx and xpy: "
                     "the three gradients add up)")
        assert_close(dy, want_dy, 1e-9, "dy", f"at x = {x:.4f}, y = {y:.4f} (y feeds sigy and xpy: "
                     "the two gradients add up)")


MATMUL = "matmul_backward"
SHAPES = [(1, 1, 1), (5, 10, 3), (2, 7, 1), (4, 1, 6), (3, 3, 3)]   # (n, d, m)


@graded("test_matmul_backward", MATMUL, 3)
def test_matmul_grads(student, ref, rng):
    """Do dW (n, d) and dX (d, m) match the reference for several shapes (ones and squares included)?"""
    for n, d, m in SHAPES:
        W, X, dout = rng.standard_normal((n, d)), rng.standard_normal((d, m)), rng.standard_normal((n, m))
        dW, dX = as_list(student.matmul_backward(dout, W, X), f"the result of {MATMUL} (dW, dX)", 2)
        dW = as_array(dW, f"dW returned by {MATMUL}", (n, d), "f")
        dX = as_array(dX, f"dX returned by {MATMUL}", (d, m), "f")
        want_dW, want_dX = ref.matmul_backward(dout, W, X)
        assert_close(dW, want_dW, 1e-9, "dW", f"for W of shape {(n, d)} and X of shape {(d, m)}")
        assert_close(dX, want_dX, 1e-9, "dX", f"for W of shape {(n, d)} and X of shape {(d, m)}")


@graded("test_matmul_backward", MATMUL, 1, gate=test_matmul_grads)
def test_matmul_inputs(student, rng):
    """Are dout, W and X left unchanged?"""
    W, X, dout = rng.standard_normal((4, 5)), rng.standard_normal((5, 3)), rng.standard_normal((4, 3))
    _, after, _ = student._echo(MATMUL, dout.copy(), W.copy(), X.copy())
    assert_unchanged(MATMUL, {"dout": dout, "W": W, "X": X}, after)
