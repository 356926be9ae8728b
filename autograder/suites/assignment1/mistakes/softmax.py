"""Known mistakes in assignment1/softmax.ipynb (seeded from tests/variants/assignment1_wrong.py).

Each ``Mistake(cell, id, says, source)`` replaces one solution cell; ``says`` is shown to a
student whose function gives exactly the same answers on every input of its hidden tests.
"""
from autograder.engine.diagnosis import Mistake

NAIVE_UNSHIFTED = '''
def softmax_loss_naive(W, X, y, reg):
    loss, dW = 0.0, np.zeros(W.shape)
    for i in range(X.shape[0]):
        scores = X[i].dot(W)
        p = np.exp(scores) / np.sum(np.exp(scores))
        loss -= np.log(p[y[i]])
        p[y[i]] -= 1
        dW += np.outer(X[i], p)
    return loss / X.shape[0] + 0.5 * reg * np.sum(W * W), dW / X.shape[0] + reg * W
'''
NAIVE_SUMMED = NAIVE_UNSHIFTED.replace(
    "scores = X[i].dot(W)\n", "scores = X[i].dot(W)\n        scores = scores - scores.max()\n").replace(
    "return loss / X.shape[0] + 0.5 * reg * np.sum(W * W), dW / X.shape[0] + reg * W",
    "return loss + 0.5 * reg * np.sum(W * W), dW + reg * W")
NAIVE_FULL_REG = NAIVE_UNSHIFTED.replace(
    "scores = X[i].dot(W)\n", "scores = X[i].dot(W)\n        scores = scores - scores.max()\n").replace(
    "0.5 * reg * np.sum(W * W), dW / X.shape[0] + reg * W", "reg * np.sum(W * W), dW / X.shape[0] + 2 * reg * W")
VEC_UNSHIFTED = '''
def softmax_loss_vectorized(W, X, y, reg):
    n = X.shape[0]
    p = np.exp(X.dot(W))
    p /= p.sum(axis=1, keepdims=True)
    loss = -np.log(p[np.arange(n), y]).mean() + 0.5 * reg * np.sum(W * W)
    p[np.arange(n), y] -= 1
    return loss, X.T.dot(p) / n + reg * W
'''
VEC_UNSHIFTED_LOG_SOFTMAX = '''
def softmax_loss_vectorized(W, X, y, reg):
    num_train = X.shape[0]
    scores = X.dot(W)
    log_probs = scores - np.log(np.exp(scores).sum(axis=1, keepdims=True))
    rows = np.arange(num_train)
    loss = -log_probs[rows, y].mean() + 0.5 * reg * np.sum(W * W)
    dscores = np.exp(log_probs)
    dscores[rows, y] -= 1
    return loss, X.T.dot(dscores) / num_train + reg * W
'''
VEC_FULL_REG = '''
def softmax_loss_vectorized(W, X, y, reg):
    n = X.shape[0]
    s = X.dot(W)
    s = s - s.max(axis=1, keepdims=True)
    p = np.exp(s) / np.exp(s).sum(axis=1, keepdims=True)
    loss = -np.log(p[np.arange(n), y]).mean() + reg * np.sum(W * W)
    p[np.arange(n), y] -= 1
    return loss, X.T.dot(p) / n + 2 * reg * W
'''
VEC_SUMMED = VEC_FULL_REG.replace(".mean() + reg * np.sum(W * W)", ".sum() + 0.5 * reg * np.sum(W * W)").replace(
    "X.T.dot(p) / n + 2 * reg * W", "X.T.dot(p) + reg * W")

UNSHIFTED = ("your loss overflows for large scores: np.exp of scores near 1000 is inf. "
             "Subtract each row's maximum score before np.exp (it does not change the probabilities)")
FULL_REG = ("your loss and gradient use reg * sum(W**2) with gradient 2 * reg * W "
            "(the convention of CS231n since 2017); ours is 0.5 * reg * np.sum(W * W) with gradient reg * W")
SUMMED = ("your loss and gradient are summed over the examples; divide the data "
          "part by the number of examples N (the regularization is not divided)")

MISTAKES = [
    Mistake("softmax_loss_naive", "no-max-shift", UNSHIFTED, NAIVE_UNSHIFTED),
    Mistake("softmax_loss_naive", "summed-not-averaged", SUMMED, NAIVE_SUMMED),
    Mistake("softmax_loss_naive", "full-regularization", FULL_REG, NAIVE_FULL_REG),
    Mistake("softmax_loss_vectorized", "no-max-shift", UNSHIFTED, VEC_UNSHIFTED),
    Mistake("softmax_loss_vectorized", "no-max-shift-log-softmax", UNSHIFTED, VEC_UNSHIFTED_LOG_SOFTMAX),
    Mistake("softmax_loss_vectorized", "full-regularization", FULL_REG, VEC_FULL_REG),
    Mistake("softmax_loss_vectorized", "summed-not-averaged", SUMMED, VEC_SUMMED),
]
