"""Are the assignment-2 backprop solutions (backprop.ipynb) right, judged by independent oracles?

Oracles: the course notes' worked values, centred differences of the functions written here from
their definitions, and PyTorch autograd in float64 when it is installed (skipped cleanly
otherwise). Every oracle is shown to fail on a wrong answer (negative controls).
"""
from __future__ import annotations

import numpy as np
import pytest
from scipy.special import expit

from autograder.engine.grading import reference
from cs231n_lib.gradient_check import eval_numerical_gradient, eval_numerical_gradient_array, rel_error


@pytest.fixture(scope="module")
def B():
    return reference("assignment2", "backprop")


def neuron(w, x):
    return expit(w[0] * x[0] + w[1] * x[1] + w[2])


def staged(x, y):
    return (x + expit(y)) / (expit(x) + (x + y) ** 2)


def test_neuron_matches_the_notes(B):
    """w = [2, -3, -3], x = [-1, -2]: f = 0.73, dx = [0.39, -0.59], dw = [-0.20, -0.39, 0.20] (the notes)."""
    f, dw, dx = B.neuron_forward_backward(np.array([2.0, -3.0, -3.0]), np.array([-1.0, -2.0]))
    assert round(f, 2) == 0.73
    assert np.allclose(np.round(dx, 2), [0.39, -0.59]) and np.allclose(np.round(dw, 2), [-0.20, -0.39, 0.20])


@pytest.mark.parametrize("seed", range(5))
def test_neuron_matches_numerical_gradient(B, seed):
    """Do f, dw and dx of random neurons match the definition and its centred differences?"""
    rng = np.random.default_rng(seed)
    w, x = 2 * rng.standard_normal(3), 2 * rng.standard_normal(2)
    f, dw, dx = B.neuron_forward_backward(w, x)
    assert rel_error(f, neuron(w, x)) < 1e-14
    assert rel_error(dw, eval_numerical_gradient(lambda v: neuron(v, x), w.copy(), verbose=False)) < 1e-8
    assert rel_error(dx, eval_numerical_gradient(lambda v: neuron(w, v), x.copy(), verbose=False)) < 1e-8


@pytest.mark.parametrize("point", [(3.0, -4.0), (0.5, 0.25), (-1.5, 2.0), (2.0, -2.0), (-3.7, -0.2)])
def test_staged_matches_numerical_gradient(B, point):
    """Do f, dx and dy match the formula of f and its centred differences?"""
    f, dx, dy = B.staged_forward_backward(*point)
    num = eval_numerical_gradient(lambda v: staged(v[0], v[1]), np.array(point), verbose=False)
    assert rel_error(f, staged(*point)) < 1e-14
    assert rel_error(np.array([dx, dy]), num) < 1e-8


def test_staged_oracle_can_fail(B):
    """Negative control: dropping one branch of the fork at x (`=` for `+=`) is caught by the oracle."""
    x, y = 0.5, 0.25
    _, dx, _ = B.staged_forward_backward(x, y)
    num = eval_numerical_gradient(lambda v: staged(v[0], v[1]), np.array([x, y]), verbose=False)
    den = expit(x) + (x + y) ** 2
    without_numerator_branch = dx - 1.0 / den          # the (2) branch: d num / d x = 1
    assert rel_error(without_numerator_branch, num[0]) > 1e-2 and rel_error(dx, num[0]) < 1e-8


@pytest.mark.parametrize("shape", [(1, 1, 1), (5, 10, 3), (4, 1, 6)])
def test_matmul_matches_numerical_gradient(B, shape):
    """Do dW and dX have the shapes of W and X and match centred differences of W @ X?"""
    n, d, m = shape
    rng = np.random.default_rng(sum(shape))
    W, X, dout = rng.standard_normal((n, d)), rng.standard_normal((d, m)), rng.standard_normal((n, m))
    dW, dX = B.matmul_backward(dout, W, X)
    assert dW.shape == (n, d) and dX.shape == (d, m)
    assert rel_error(dW, eval_numerical_gradient_array(lambda v: v @ X, W.copy(), dout)) < 1e-8
    assert rel_error(dX, eval_numerical_gradient_array(lambda v: W @ v, X.copy(), dout)) < 1e-8


def test_matmul_oracle_can_fail(B):
    """Negative control: the transposed product of the wrong order does not pass the oracle."""
    rng = np.random.default_rng(3)
    W, X, dout = rng.standard_normal((3, 3)), rng.standard_normal((3, 3)), rng.standard_normal((3, 3))
    assert rel_error(X.T @ dout, eval_numerical_gradient_array(lambda v: v @ X, W.copy(), dout)) > 1e-2


def test_backprop_matches_torch(B):
    """Do the three functions agree with PyTorch autograd (float64)?"""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    w, x = torch.tensor(rng.standard_normal(3), requires_grad=True), torch.tensor(rng.standard_normal(2), requires_grad=True)
    out = torch.sigmoid(w[0] * x[0] + w[1] * x[1] + w[2])
    out.backward()
    f, dw, dx = B.neuron_forward_backward(w.detach().numpy(), x.detach().numpy())
    assert rel_error(f, out.item()) < 1e-14 and rel_error(dw, w.grad.numpy()) < 1e-14 and rel_error(dx, x.grad.numpy()) < 1e-14

    for px, py in [(3.0, -4.0), (-1.2, 0.7)]:
        tx, ty = torch.tensor(px, dtype=torch.float64, requires_grad=True), torch.tensor(py, dtype=torch.float64, requires_grad=True)
        out = (tx + torch.sigmoid(ty)) / (torch.sigmoid(tx) + (tx + ty) ** 2)
        out.backward()
        f, dx, dy = B.staged_forward_backward(px, py)
        assert rel_error(np.array([f, dx, dy]), np.array([out.item(), tx.grad.item(), ty.grad.item()])) < 1e-13

    W, X = torch.tensor(rng.standard_normal((5, 10)), requires_grad=True), torch.tensor(rng.standard_normal((10, 3)), requires_grad=True)
    dout = rng.standard_normal((5, 3))
    (W @ X).backward(torch.tensor(dout))
    dW, dX = B.matmul_backward(dout, W.detach().numpy(), X.detach().numpy())
    assert rel_error(dW, W.grad.numpy()) < 1e-14 and rel_error(dX, X.grad.numpy()) < 1e-14
