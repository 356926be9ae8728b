"""Hidden suite of assignment1/svm.ipynb: SVM losses, LinearClassifier.train and predict."""
import secrets

import numpy as np

from autograder.engine.suite import graded
from autograder.suites.kit.checks import as_array, as_list, as_pair, assert_close
from autograder.suites.kit.linear_losses import add_loss_tests

NOTEBOOK = "svm"
SETUP_CELLS = ["svm_imports", "LinearClassifier", "LinearSVM"]
SOLUTION_CELLS = ["svm_loss_naive", "svm_loss_vectorized", "LinearClassifier_train", "LinearClassifier_predict"]

add_loss_tests(globals(), "svm_loss_naive", "test_svm_loss_naive", vectorized=False)
add_loss_tests(globals(), "svm_loss_vectorized", "test_svm_loss_vectorized", vectorized=True)

# A LinearClassifier whose loss is known: 0.5 * ||W - T||^2 with gradient W - T. It records what
# train() hands to it. Defined in the worker after the student's cells, under a name drawn afresh
# for every run (so train() cannot recognise it by name); row i of X carries i in column 0.
PROBE = '''
class {name}(LinearClassifier):
    def loss(self, X_batch, y_batch, reg):
        self.calls.append({{"ids": [int(v) for v in X_batch[:, 0]], "y": [int(v) for v in y_batch],
                           "reg": float(reg), "W": self.W.copy()}})
        diff = self.W - self.target
        return float(0.5 * (diff * diff).sum()), diff


def {name}_make(W, target):
    probe = {name}()
    probe.W, probe.target, probe.calls = W, target, []
    return probe
'''

# Trains a real LinearSVM, with a correct svm_loss_vectorized swapped in for the call, so that a
# mistake in the student's loss is not charged to train() (it is graded in its own cell).
REAL_TRAIN = '''
def {name}(X, y, kwargs):
    import numpy
    def svm_loss_vectorized(W, X, y, reg):
        n = X.shape[0]
        scores = X.dot(W)
        margins = numpy.maximum(0, scores - scores[numpy.arange(n), y][:, None] + 1)
        margins[numpy.arange(n), y] = 0
        coeff = (margins > 0).astype(float)
        coeff[numpy.arange(n), y] = -coeff.sum(axis=1)
        return margins.sum() / n + 0.5 * reg * numpy.sum(W * W), X.T.dot(coeff) / n + reg * W
    saved = globals().get("svm_loss_vectorized")
    globals()["svm_loss_vectorized"] = svm_loss_vectorized
    try:
        clf = LinearSVM()
        history = clf.train(X, y, **kwargs)
        return clf.W, history
    finally:
        globals()["svm_loss_vectorized"] = saved
'''


def fresh_name() -> str:
    return "_" + secrets.token_hex(6)


TRAIN = "LinearClassifier.train"


def probe_data(rng, N=40, D=5, C=3):
    X = rng.standard_normal((N, D))
    X[:, 0] = np.arange(N)
    return X, rng.permutation(np.arange(N) % C)  # every class occurs, so C = max(y) + 1


def trained_probe(student, worker, rng, W=None, **kwargs):
    name = fresh_name()
    worker.exec("grader_probe", PROBE.format(name=name))
    X, y = probe_data(rng)
    target = rng.standard_normal((X.shape[1], 3))
    probe = getattr(student, f"{name}_make")(W, target)
    history = probe.train(X, y, **kwargs)
    return probe, history, X, y, target


@graded("test_LinearClassifier_train", TRAIN, 1)
def test_train_minibatches(student, worker, rng):
    """Does every step use a minibatch of batch_size examples, with the labels of the same rows?"""
    probe, _, X, y, _ = trained_probe(student, worker, rng, W=np.zeros((5, 3)), learning_rate=0.1,
                                      reg=0.5, num_iters=7, batch_size=6)
    calls = as_list(probe._get("calls"), "the calls of self.loss")
    assert len(calls) == 7, f"train should call self.loss once per iteration (num_iters=7), called it {len(calls)} times"
    for c in calls:
        assert len(c["ids"]) == 6, f"each minibatch should hold batch_size=6 examples, got {len(c['ids'])}"
        assert all(0 <= i < len(y) for i in c["ids"]), "the minibatch should contain rows of X"
        assert c["y"] == [int(y[i]) for i in c["ids"]], "y_batch should hold the labels of the rows in X_batch"
    assert len({tuple(c["ids"]) for c in calls}) > 1, "every iteration drew the same minibatch; sample a new one each step"


@graded("test_LinearClassifier_train", TRAIN, 1)
def test_train_update_rule(student, worker, rng):
    """Does every step apply W -= learning_rate * grad, so that the loss goes down?"""
    W0 = rng.standard_normal((5, 3))
    probe, history, _, _, target = trained_probe(student, worker, rng, W=W0.copy(), learning_rate=0.3,
                                                 reg=0.0, num_iters=5, batch_size=4)
    want = target + (W0 - target) * (1 - 0.3) ** 5
    assert_close(as_array(probe._get("W"), "self.W"), want, 1e-9, "self.W after 5 steps of learning_rate 0.3",
                 "(each step should be W -= learning_rate * grad)")
    history = as_list(history, "the loss history returned by train", 5)
    assert all(b < a for a, b in zip(history, history[1:])), "the loss should go down at every step of this convex problem"


@graded("test_LinearClassifier_train", TRAIN, 1)
def test_train_reg_and_history(student, worker, rng):
    """Is reg passed to self.loss, and is loss_history the list of the minibatch losses?"""
    probe, history, _, _, target = trained_probe(student, worker, rng, W=np.ones((5, 3)), learning_rate=0.1,
                                                 reg=0.37, num_iters=4, batch_size=5)
    calls = probe._get("calls")
    assert [c["reg"] for c in calls] == [0.37] * 4, "train should pass its reg argument to self.loss"
    history = as_list(history, "the loss history returned by train (one loss per iteration)", 4)
    want = [0.5 * float(np.sum((np.asarray(c["W"]) - target) ** 2)) for c in calls]
    assert_close(history, want, 1e-12, "loss_history", "(it should hold the loss of every iteration)")


@graded("test_LinearClassifier_train", TRAIN, 1)
def test_train_initialization(student, worker, rng):
    """Is W created with shape (D, C), C = max(y) + 1, small random values, and kept between calls?"""
    probe, _, X, y, _ = trained_probe(student, worker, rng, W=None, learning_rate=0.0, num_iters=1, batch_size=5)
    W = as_array(probe._get("W"), "self.W", (X.shape[1], int(y.max()) + 1), "f")
    assert 0 < np.std(W) < 0.01, f"initial weights should be small random numbers (0.001 * randn), std is {np.std(W):.2g}"
    probe.train(X, y, learning_rate=0.0, num_iters=1, batch_size=5)
    assert np.array_equal(probe._get("W"), W), "a second call of train should continue from the current W"


def blobs(rng, N=150, D=6, C=3):
    """Three well-separated classes, with a bias column: any working SGD separates them."""
    centers = 5.0 * np.linalg.qr(rng.standard_normal((D - 1, D - 1)))[0][:C]   # pairwise 7 apart
    y = rng.permutation(np.arange(N) % C)
    X = np.hstack([centers[y] + 0.5 * rng.standard_normal((N, D - 1)), np.ones((N, 1))])
    return X, y


@graded("test_LinearClassifier_train", TRAIN, 2)
def test_train_real_classifier(student, ref, worker, rng):
    """Does train fit a real LinearSVM as well as the reference does (same data and settings)?"""
    X, y = blobs(rng)
    kwargs = dict(learning_rate=1e-2, reg=1e-3, num_iters=150, batch_size=30)
    name = fresh_name()
    worker.exec("grader_real_train", REAL_TRAIN.format(name=name))
    W, history = as_pair(getattr(student, name)(X, y, kwargs), "train on a LinearSVM (W and loss history)")
    W = as_array(W, "self.W after train", (X.shape[1], 3), "f")
    history = as_list(history, "the loss history returned by train", 150)
    ref_clf = ref.LinearSVM()
    ref_clf.train(X, y, **kwargs)
    want = float(np.mean(np.argmax(X @ ref_clf.W, axis=1) == y))
    got = float(np.mean(np.argmax(X @ W, axis=1) == y))
    assert got >= min(0.9, want - 0.05), (f"after train(learning_rate=1e-2, reg=1e-3, num_iters=150, batch_size=30) "
                                          f"on three well-separated classes, the training accuracy is {got:.2f}; "
                                          f"the reference reaches {want:.2f}")
    assert all(np.isfinite(v) for v in history), "the loss history contains inf or nan"
    assert np.mean(history[-20:]) < np.mean(history[:20]), "the loss history should go down while training"


PREDICT = "LinearClassifier.predict"


def svm_with_weights(student, W):
    clf = student.LinearSVM()
    clf._set("W", W)
    return clf


@graded("test_LinearClassifier_predict", PREDICT, 2)
def test_predict_argmax(student, rng):
    """Does predict return the highest-scoring class for random weights?"""
    for N, D, C in [(30, 7, 4), (200, 20, 10)]:
        W, X = rng.standard_normal((D, C)), rng.standard_normal((N, D))
        pred = as_array(svm_with_weights(student, W).predict(X), "predict(X)", (N,))
        wrong = int(np.sum(pred != np.argmax(X @ W, axis=1)))
        assert wrong == 0, f"predict gives a class other than the highest-scoring one for {wrong} of {N} rows"


@graded("test_LinearClassifier_predict", PREDICT, 1, gate=test_predict_argmax)
def test_predict_dtype(student, rng):
    """Are the predictions integer labels of shape (N,)?"""
    W, X = rng.standard_normal((6, 3)), rng.standard_normal((9, 6))
    pred = as_array(svm_with_weights(student, W).predict(X), "predict(X)", (9,))
    assert pred.dtype.kind in "iu", (f"predict returns labels of dtype {pred.dtype}; labels are integers "
                                     "(np.zeros(X.shape[0]) makes floats: use np.argmax, or dtype=np.int64)")
    assert np.array_equal(pred, np.argmax(X @ W, axis=1)), "predict(X) gives wrong labels"
