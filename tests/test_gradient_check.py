"""Does the gradient checker measure what it claims, and does it catch a wrong gradient?"""
import numpy as np
import pytest

from cs231n_lib.gradient_check import (eval_numerical_gradient, eval_numerical_gradient_array,
                                       grad_check_sparse, rel_error)


def test_rel_error_of_equal_arrays_is_zero_and_of_different_ones_is_not():
    """Is rel_error 0 for equal inputs and the documented max |x-y|/(|x|+|y|) otherwise?"""
    a = np.array([1.0, 2.0, -3.0])
    assert rel_error(a, a.copy()) == 0.0
    assert rel_error(np.array([1.0, 2.0]), np.array([1.0, 3.0])) == pytest.approx(1.0 / 5.0)
    assert rel_error(0.0, 0.0) == 0.0


def test_rel_error_refuses_mismatched_shapes():
    """Does rel_error refuse to broadcast arrays of different shapes?"""
    with pytest.raises(ValueError, match="shapes differ"):
        rel_error(np.zeros((2, 3)), np.zeros((3,)))


@pytest.mark.parametrize("shape", [(3,), (4, 5), (2, 3, 2)])
def test_numerical_gradient_of_known_function(shape):
    """Does eval_numerical_gradient find the gradient 2x + cos(x) of sum(x^2 + sin x) and restore x?"""
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape)
    before = x.copy()
    grad = eval_numerical_gradient(lambda z: np.sum(z ** 2 + np.sin(z)), x, verbose=False)
    assert rel_error(grad, 2 * x + np.cos(x)) < 1e-8
    np.testing.assert_array_equal(x, before)


def test_numerical_vjp_of_matrix_product():
    """Does eval_numerical_gradient_array give dout @ W.T for f(x) = x @ W?"""
    rng = np.random.default_rng(1)
    x, W, dout = rng.standard_normal((3, 4)), rng.standard_normal((4, 5)), rng.standard_normal((3, 5))
    grad = eval_numerical_gradient_array(lambda z: z.dot(W), x, dout)
    assert rel_error(grad, dout.dot(W.T)) < 1e-8


def test_grad_check_sparse_accepts_right_and_catches_wrong_gradient():
    """Negative control: is a deliberately wrong gradient (missing factor 2) flagged?"""
    rng = np.random.default_rng(2)
    x = rng.standard_normal((6, 4))
    f = lambda z: np.sum(z ** 2)  # noqa: E731
    good = grad_check_sparse(f, x, 2 * x, num_checks=8, seed=0, verbose=False)
    bad = grad_check_sparse(f, x, x, num_checks=8, seed=0, verbose=False)
    assert good.shape == (8,) and np.max(good) < 1e-8
    assert np.min(bad) > 0.3  # |2x - x| / (|2x| + |x|) = 1/3 at every index


def test_full_check_catches_a_wrong_svm_gradient(svm_solution):
    """Negative control: does the numerical check catch an SVM gradient that forgets the correct-class term?"""
    rng = np.random.default_rng(3)
    X, y, W = rng.standard_normal((12, 7)), rng.integers(0, 4, 12), 0.1 * rng.standard_normal((7, 4))

    def wrong_svm(W, X, y, reg):
        loss, dW = svm_solution.svm_loss_vectorized(W, X, y, reg)
        scores = X.dot(W)
        margins = scores - scores[np.arange(len(y)), y][:, None] + 1
        active = (margins > 0).astype(float)
        active[np.arange(len(y)), y] = 0  # the correct-class column gets no -x_i: a classic bug
        return loss, X.T.dot(active) / len(y) + reg * W

    num = eval_numerical_gradient(lambda w: wrong_svm(w, X, y, 0.1)[0], W.copy(), verbose=False)
    assert rel_error(svm_solution.svm_loss_vectorized(W, X, y, 0.1)[1], num) < 1e-7
    assert rel_error(wrong_svm(W, X, y, 0.1)[1], num) > 1e-2


def test_grad_check_sparse_rejects_wrong_shape():
    """Is an analytic gradient of the wrong shape refused with a message naming both shapes?"""
    with pytest.raises(ValueError, match=r"\(3,\).*\(2, 2\)"):
        grad_check_sparse(lambda z: 0.0, np.zeros((2, 2)), np.zeros(3), verbose=False)
