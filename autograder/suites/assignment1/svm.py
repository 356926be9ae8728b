"""Hidden suite of assignment1/svm.ipynb: SVM losses, LinearClassifier.train and predict."""
import numpy as np

from autograder.engine.suite import graded
from autograder.suites.kit.checks import as_array, assert_close
from autograder.suites.kit.linear_losses import add_loss_tests

NOTEBOOK = "svm"
SETUP_CELLS = ["svm_imports", "LinearClassifier", "LinearSVM"]
SOLUTION_CELLS = ["svm_loss_naive", "svm_loss_vectorized", "LinearClassifier_train", "LinearClassifier_predict"]

add_loss_tests(globals(), "svm_loss_naive", "test_svm_loss_naive", vectorized=False)
add_loss_tests(globals(), "svm_loss_vectorized", "test_svm_loss_vectorized", vectorized=True)

# A LinearClassifier whose loss is known: 0.5 * ||W - T||^2 with gradient W - T. It records what
# train() hands to it. Defined in the worker after the student's cells; row i of X carries i in column 0.
PROBE = '''
class _GraderProbe(LinearClassifier):
    def loss(self, X_batch, y_batch, reg):
        self.calls.append({"ids": [int(v) for v in X_batch[:, 0]], "y": [int(v) for v in y_batch],
                           "reg": float(reg), "W": self.W.copy()})
        diff = self.W - self.target
        return float(0.5 * (diff * diff).sum()), diff


def _grader_probe(W, target):
    probe = _GraderProbe()
    probe.W, probe.target, probe.calls = W, target, []
    return probe
'''
TRAIN = "LinearClassifier.train"


def probe_data(rng, N=40, D=5, C=3):
    X = rng.standard_normal((N, D))
    X[:, 0] = np.arange(N)
    return X, rng.permutation(np.arange(N) % C)  # every class occurs, so C = max(y) + 1


def trained_probe(student, worker, rng, W=None, **kwargs):
    worker.exec("grader_probe", PROBE)
    X, y = probe_data(rng)
    target = rng.standard_normal((X.shape[1], 3))
    probe = student._grader_probe(W, target)
    history = probe.train(X, y, **kwargs)
    return probe, history, X, y, target


@graded("test_LinearClassifier_train", TRAIN, 1)
def test_train_minibatches(student, worker, rng):
    """Does every step use a minibatch of batch_size examples, with the labels of the same rows?"""
    probe, _, X, y, _ = trained_probe(student, worker, rng, W=np.zeros((5, 3)), learning_rate=0.1,
                                      reg=0.5, num_iters=7, batch_size=6)
    calls = probe._get("calls")
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
    assert all(b < a for a, b in zip(history, history[1:])), "the loss should go down at every step of this convex problem"


@graded("test_LinearClassifier_train", TRAIN, 1)
def test_train_reg_and_history(student, worker, rng):
    """Is reg passed to self.loss, and is loss_history the list of the minibatch losses?"""
    probe, history, _, _, target = trained_probe(student, worker, rng, W=np.ones((5, 3)), learning_rate=0.1,
                                                 reg=0.37, num_iters=4, batch_size=5)
    calls = probe._get("calls")
    assert [c["reg"] for c in calls] == [0.37] * 4, "train should pass its reg argument to self.loss"
    assert isinstance(history, list) and len(history) == 4, "train should return a list with one loss per iteration"
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


@graded("test_LinearClassifier_predict", PREDICT, 1)
def test_predict_dtype(student, rng):
    """Are the predictions integer labels of shape (N,)?"""
    W, X = rng.standard_normal((6, 3)), rng.standard_normal((9, 6))
    pred = as_array(svm_with_weights(student, W).predict(X), "predict(X)", (9,), "iu")
    assert np.array_equal(pred, np.argmax(X @ W, axis=1)), "predict(X) gives wrong labels"
