"""Are the instructor's SVM, softmax and SGD solutions right?

Oracles: independently written formulas (scipy's logsumexp, masked hinge sums) and
centered-difference gradients; never the code under test.
"""
import numpy as np
import pytest
from scipy.special import logsumexp, softmax

from cs231n_lib.gradient_check import eval_numerical_gradient, rel_error

SHAPES = [(1, 1, 2), (5, 3, 4), (17, 8, 3), (40, 25, 10)]  # (N, D, C)


def problem(N, D, C, seed, scale=1.0):
    rng = np.random.default_rng(seed)
    X = scale * rng.standard_normal((N, D))
    y = rng.integers(0, C, N)
    W = 0.1 * rng.standard_normal((D, C))
    return W, X, y


def svm_loss_reference(W, X, y, reg):
    """Hinge loss written with a mask: mean over i of sum_{j != y_i} max(0, s_j - s_yi + 1)."""
    S = X @ W
    correct = np.take_along_axis(S, y[:, None], axis=1)
    mask = np.ones_like(S, dtype=bool)
    mask[np.arange(len(y)), y] = False
    hinge = np.where(mask, np.maximum(0.0, S - correct + 1.0), 0.0)
    return hinge.sum(axis=1).mean() + 0.5 * reg * np.sum(W ** 2)


def softmax_loss_reference(W, X, y, reg):
    """Cross-entropy via scipy's logsumexp, and its gradient X^T (softmax(S) - onehot) / N + reg W."""
    S = X @ W
    loss = np.mean(logsumexp(S, axis=1) - S[np.arange(len(y)), y]) + 0.5 * reg * np.sum(W ** 2)
    P = softmax(S, axis=1)
    P[np.arange(len(y)), y] -= 1
    return loss, X.T @ P / len(y) + reg * W


@pytest.mark.parametrize("fname", ["svm_loss_naive", "svm_loss_vectorized"])
@pytest.mark.parametrize("N,D,C", SHAPES)
def test_svm_loss_and_gradient(svm_solution, fname, N, D, C):
    """Do both SVM versions match the reference loss and a numerical gradient (reg > 0)?"""
    fn = getattr(svm_solution, fname)
    W, X, y = problem(N, D, C, seed=N + D + C)
    loss, dW = fn(W, X, y, 0.7)
    assert np.isscalar(loss) or np.ndim(loss) == 0
    assert dW.shape == W.shape and dW.dtype == np.float64
    assert abs(loss - svm_loss_reference(W, X, y, 0.7)) < 1e-10 * max(1.0, abs(loss))
    num = eval_numerical_gradient(lambda w: svm_loss_reference(w, X, y, 0.7), W.copy(), verbose=False)
    assert rel_error(dW, num) < 1e-7


@pytest.mark.parametrize("fname", ["softmax_loss_naive", "softmax_loss_vectorized"])
@pytest.mark.parametrize("N,D,C", SHAPES)
def test_softmax_loss_and_gradient(softmax_solution, fname, N, D, C):
    """Do both softmax versions match the logsumexp reference and a numerical gradient?"""
    fn = getattr(softmax_solution, fname)
    W, X, y = problem(N, D, C, seed=3 * N + D)
    loss, dW = fn(W, X, y, 0.3)
    ref_loss, ref_grad = softmax_loss_reference(W, X, y, 0.3)
    assert abs(loss - ref_loss) < 1e-10 * max(1.0, abs(ref_loss))
    assert rel_error(dW, ref_grad) < 1e-9
    num = eval_numerical_gradient(lambda w: softmax_loss_reference(w, X, y, 0.3)[0], W.copy(), verbose=False)
    assert rel_error(dW, num) < 1e-7


@pytest.mark.parametrize("fname", ["softmax_loss_naive", "softmax_loss_vectorized"])
def test_softmax_is_stable_for_scores_near_1000(softmax_solution, fname):
    """Do scores around 1000 (where np.exp overflows) still give the exact finite loss?"""
    W, X, y = problem(30, 6, 5, seed=11)
    S = X @ W
    X = X * (1000.0 / S.max() if S.max() >= -S.min() else -1000.0 / S.min())  # the largest score is +1000
    with np.errstate(over="raise", invalid="raise"):
        loss, dW = getattr(softmax_solution, fname)(W, X, y, 0.0)
    ref_loss, ref_grad = softmax_loss_reference(W, X, y, 0.0)
    assert np.isfinite(loss) and np.all(np.isfinite(dW))
    assert abs(loss - ref_loss) < 1e-8 * abs(ref_loss)
    assert rel_error(dW, ref_grad) < 1e-8


def test_naive_and_vectorized_agree_on_cifar_sized_input(svm_solution, softmax_solution):
    """Do loop and vectorized versions agree on a CIFAR-sized (D = 3073) minibatch?"""
    W, X, y = problem(60, 3073, 10, seed=5, scale=50.0)
    W *= 1e-3
    for naive, vec in [(svm_solution.svm_loss_naive, svm_solution.svm_loss_vectorized),
                       (softmax_solution.softmax_loss_naive, softmax_solution.softmax_loss_vectorized)]:
        (l1, g1), (l2, g2) = naive(W, X, y, 2.5e4), vec(W, X, y, 2.5e4)
        assert rel_error(l1, l2) < 1e-12 and rel_error(g1, g2) < 1e-9


@pytest.mark.parametrize("fname,module", [("svm_loss_naive", "svm"), ("svm_loss_vectorized", "svm"),
                                          ("softmax_loss_naive", "softmax"), ("softmax_loss_vectorized", "softmax")])
def test_losses_do_not_mutate_inputs(svm_solution, softmax_solution, fname, module):
    """Are W, X and y left untouched?"""
    fn = getattr(svm_solution if module == "svm" else softmax_solution, fname)
    W, X, y = problem(9, 4, 3, seed=2)
    copies = W.copy(), X.copy(), y.copy()
    fn(W, X, y, 0.5)
    for before, after in zip(copies, (W, X, y)):
        np.testing.assert_array_equal(before, after)


def test_regularization_uses_the_half_convention(svm_solution, softmax_solution):
    """Does reg add exactly 0.5 * reg * sum(W**2) to the loss and reg * W to the gradient?"""
    W, X, y = problem(10, 5, 4, seed=8)
    for fn in (svm_solution.svm_loss_vectorized, softmax_solution.softmax_loss_vectorized):
        (l0, g0), (l1, g1) = fn(W, X, y, 0.0), fn(W, X, y, 3.0)
        assert l1 - l0 == pytest.approx(1.5 * np.sum(W * W), rel=1e-12)
        assert rel_error(g1 - g0, 3.0 * W) < 1e-10



def test_train_takes_one_sgd_step_with_the_given_batch_lr_and_reg(svm_solution):
    """Is one iteration exactly W - lr * grad(minibatch drawn by np.random.choice, reg)?"""
    W, X, y = problem(50, 6, 3, seed=4)
    clf = svm_solution.LinearSVM()
    clf.W = W.copy()
    np.random.seed(123)
    history = clf.train(X, y, learning_rate=0.05, reg=0.2, num_iters=1, batch_size=8)
    np.random.seed(123)
    idx = np.random.choice(50, 8, replace=True)
    loss, grad = svm_solution.svm_loss_vectorized(W, X[idx], y[idx], 0.2)
    assert history == [pytest.approx(loss)]
    assert rel_error(clf.W, W - 0.05 * grad) < 1e-12


def test_train_lowers_the_loss_and_predict_takes_the_argmax(svm_solution):
    """Does training on separable blobs lower the loss and reach high accuracy, and is predict the argmax?"""
    rng = np.random.default_rng(0)
    centers = 4.0 * rng.standard_normal((4, 10))
    y = rng.integers(0, 4, 400)
    X = centers[y] + rng.standard_normal((400, 10))
    np.random.seed(0)
    clf = svm_solution.LinearSVM()
    history = clf.train(X, y, learning_rate=1e-2, reg=1e-3, num_iters=300, batch_size=64)
    assert clf.W.shape == (10, 4) and len(history) == 300
    assert np.mean(history[-30:]) < 0.3 * np.mean(history[:30])
    pred = clf.predict(X)
    assert pred.shape == (400,) and np.issubdtype(pred.dtype, np.integer)
    np.testing.assert_array_equal(pred, np.argmax(X @ clf.W, axis=1))
    assert np.mean(pred == y) > 0.95
