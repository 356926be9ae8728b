"""Do the notebooks' public check cells pass the solution and fail wrong implementations?

Each check cell is run in the namespace the notebook builds (offline data), once with the
instructor solution and once with a deliberately wrong version of the function it checks.
"""
from __future__ import annotations

import ast

import nbformat
import numpy as np
import pytest

from cs231n_lib import paths
from cs231n_lib.notebook_cells import cell_source


def _defines_function(cell):
    return any(isinstance(n, ast.FunctionDef) for n in ast.parse(cell.source).body)


def build_namespace(notebook):
    """Run the notebook's setup cells and graded-function cells; return (namespace, check sources)."""
    path = paths.source_notebook("assignment1", notebook)
    nb = nbformat.read(str(path), as_version=4)
    ns, checks = {"__name__": f"check_{notebook}"}, {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code" or not meta:
            continue
        if meta.get("grade"):
            checks[meta["grade_id"]] = cell_source(cell)
        elif meta.get("locked") or (meta.get("solution") and _defines_function(cell)):
            exec(compile(cell_source(cell), f"{path.name}[{meta['grade_id']}]", "exec"), ns)
    return ns, checks


@pytest.fixture(scope="module")
def svm_nb():
    import matplotlib
    matplotlib.use("Agg")
    return build_namespace("svm")


@pytest.fixture(scope="module")
def softmax_nb():
    import os
    cwd = os.getcwd()
    os.chdir(paths.SOURCE_DIR / "assignment1")  # the Softmax cell reads svm.ipynb beside it
    try:
        return build_namespace("softmax")
    finally:
        os.chdir(cwd)


def run_check(namespace, source, **overrides):
    ns = dict(namespace)
    ns.update(overrides)
    exec(compile(source, "check", "exec"), ns)


# ---- wrong implementations (each is a classic student mistake) -------------------------

def svm_without_half(W, X, y, reg, _ok=None):
    loss, dW = _ok(W, X, y, 0.0)
    return loss + reg * np.sum(W * W), dW + 2 * reg * W


def svm_not_averaged(W, X, y, reg, _ok=None):
    loss, dW = _ok(W, X, y, 0.0)
    return loss * X.shape[0] + 0.5 * reg * np.sum(W * W), dW * X.shape[0] + reg * W


def svm_no_correct_class_grad(W, X, y, reg):
    scores = X.dot(W)
    margins = scores - scores[np.arange(len(y)), y][:, None] + 1
    margins[np.arange(len(y)), y] = 0
    active = (margins > 0).astype(float)
    loss = np.maximum(0, margins).sum() / len(y) + 0.5 * reg * np.sum(W * W)
    return loss, X.T.dot(active) / len(y) + reg * W


def softmax_unshifted(W, X, y, reg):
    scores = X.dot(W)
    p = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    loss = -np.log(p[np.arange(len(y)), y]).mean() + 0.5 * reg * np.sum(W * W)
    p[np.arange(len(y)), y] -= 1
    return loss, X.T.dot(p) / len(y) + reg * W


def with_ok(fn, ok):
    return lambda W, X, y, reg: fn(W, X, y, reg, _ok=ok)


def test_svm_checks_pass_the_solution(svm_nb):
    """Do all public checks of svm.ipynb pass with the instructor solution?"""
    ns, checks = svm_nb
    assert set(checks) >= {"test_svm_loss_naive", "test_svm_loss_vectorized",
                           "test_LinearClassifier_train", "test_LinearClassifier_predict"}
    for gid, src in checks.items():
        run_check(ns, src)


@pytest.mark.parametrize("check,name,wrong", [
    ("test_svm_loss_naive", "svm_loss_naive", "without_half"),
    ("test_svm_loss_naive", "svm_loss_naive", "not_averaged"),
    ("test_svm_loss_naive", "svm_loss_naive", "no_correct_class_grad"),
    ("test_svm_loss_vectorized", "svm_loss_vectorized", "without_half"),
    ("test_svm_loss_vectorized", "svm_loss_vectorized", "no_correct_class_grad"),
])
def test_svm_loss_checks_catch_wrong_losses(svm_nb, check, name, wrong):
    """Does the public check of an SVM loss fail for a classic mistake?"""
    ns, checks = svm_nb
    ok = ns["svm_loss_vectorized"]
    fn = {"without_half": with_ok(svm_without_half, ok), "not_averaged": with_ok(svm_not_averaged, ok),
          "no_correct_class_grad": svm_no_correct_class_grad}[wrong]
    with pytest.raises(AssertionError):
        run_check(ns, checks[check], **{name: fn})


def _train_ignoring_lr(self, X, y, learning_rate=1e-3, reg=1e-5, num_iters=100, batch_size=200, verbose=False):
    return _ORIGINAL_TRAIN(self, X, y, learning_rate=1e-3, reg=reg, num_iters=num_iters,
                           batch_size=batch_size, verbose=verbose)


def _train_full_batch(self, X, y, learning_rate=1e-3, reg=1e-5, num_iters=100, batch_size=200, verbose=False):
    return _ORIGINAL_TRAIN(self, X, y, learning_rate=learning_rate, reg=reg, num_iters=num_iters,
                           batch_size=X.shape[0], verbose=verbose)


_ORIGINAL_TRAIN = None


@pytest.mark.parametrize("wrong", [_train_ignoring_lr, _train_full_batch])
def test_train_check_catches_wrong_sgd(svm_nb, monkeypatch, wrong):
    """Does the public check of LinearClassifier.train fail when lr or the batch size is ignored?"""
    global _ORIGINAL_TRAIN
    ns, checks = svm_nb
    _ORIGINAL_TRAIN = ns["LinearClassifier"].train
    monkeypatch.setattr(ns["LinearClassifier"], "train", wrong)
    with pytest.raises(AssertionError):
        run_check(ns, checks["test_LinearClassifier_train"])


def test_predict_check_catches_argmin(svm_nb, monkeypatch):
    """Does the public check of predict fail for an argmin instead of an argmax?"""
    ns, checks = svm_nb
    monkeypatch.setattr(ns["LinearClassifier"], "predict", lambda self, X: np.argmin(X.dot(self.W), axis=1))
    with pytest.raises(AssertionError):
        run_check(ns, checks["test_LinearClassifier_predict"])


def test_softmax_checks_pass_the_solution(softmax_nb):
    """Do all public checks of softmax.ipynb pass with the instructor solution?"""
    ns, checks = softmax_nb
    assert set(checks) >= {"test_softmax_loss_naive", "test_softmax_loss_vectorized"}
    for src in checks.values():
        run_check(ns, src)


@pytest.mark.parametrize("check,name", [("test_softmax_loss_naive", "softmax_loss_naive"),
                                        ("test_softmax_loss_vectorized", "softmax_loss_vectorized")])
@pytest.mark.parametrize("wrong", ["unshifted", "without_half", "not_averaged"])
def test_softmax_checks_catch_wrong_losses(softmax_nb, check, name, wrong):
    """Does the public check of a softmax loss fail for overflow, a missing 0.5 or a missing mean?"""
    ns, checks = softmax_nb
    ok = ns["softmax_loss_vectorized"]
    fn = {"unshifted": softmax_unshifted, "without_half": with_ok(svm_without_half, ok),
          "not_averaged": with_ok(svm_not_averaged, ok)}[wrong]
    with np.errstate(all="ignore"), pytest.raises(AssertionError) as failure:
        run_check(ns, checks[check], **{name: fn})
    if wrong == "unshifted":  # the hint is reached (no FloatingPointError first) and names the fix
        assert "shift the scores by their" in str(failure.value)


def softmax_shift_then_log(W, X, y, reg):
    """The canonical CS231n form: shift, then -log(p) (exact while no probability underflows)."""
    scores = X.dot(W)
    scores = scores - scores.max(axis=1, keepdims=True)
    p = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    loss = -np.log(p[np.arange(len(y)), y]).mean() + 0.5 * reg * np.sum(W * W)
    p[np.arange(len(y)), y] -= 1
    return loss, X.T.dot(p) / len(y) + reg * W


@pytest.mark.parametrize("check,name", [("test_softmax_loss_naive", "softmax_loss_naive"),
                                        ("test_softmax_loss_vectorized", "softmax_loss_vectorized")])
def test_softmax_checks_pass_the_canonical_shift_then_log(softmax_nb, check, name):
    """Does the canonical shifted -log(p) softmax pass both public checks (as it passes the hidden suite)?"""
    ns, checks = softmax_nb
    run_check(ns, checks[check], **{name: softmax_shift_then_log})


# ---- k-nearest neighbours -------------------------------------------------------------

@pytest.fixture(scope="module")
def knn_nb():
    import matplotlib
    matplotlib.use("Agg")
    return build_namespace("knn")


def test_knn_checks_pass_the_solution(knn_nb):
    """Do all public checks of knn.ipynb pass with the instructor solution?"""
    ns, checks = knn_nb
    assert len(checks) == 5
    for src in checks.values():
        run_check(ns, src)


def _squared_two_loops(self, X):
    return _KNN_OK["compute_distances_no_loops"](self, X) ** 2


def _l1_one_loop(self, X):
    return np.abs(X[:, None, :] - self.X_train[None, :, :]).sum(axis=2)


def _transposed_no_loops(self, X):
    d = _KNN_OK["compute_distances_no_loops"](self, X)
    return d[:, ::-1]


def _votes_to_larger_label(self, dists, k=1):
    idx = np.argsort(dists, axis=1)[:, :k]
    out = []
    for labels in self.y_train[idx]:
        counts = np.bincount(labels)
        out.append(len(counts) - 1 - np.argmax(counts[::-1]))
    return np.array(out, dtype=np.int64)


def _k_plus_one(self, dists, k=1):
    return _KNN_OK["predict_labels"](self, dists, k=k + 1)


def _cv_shuffled_folds(X_train, y_train, k_choices, num_folds=5):
    perm = np.random.default_rng(0).permutation(len(y_train))
    return _KNN_OK["cross_validate_knn"](X_train[perm], y_train[perm], k_choices, num_folds)


def _cv_counts_not_accuracies(X_train, y_train, k_choices, num_folds=5):
    res = _KNN_OK["cross_validate_knn"](X_train, y_train, k_choices, num_folds)
    n = len(y_train) // num_folds
    return {k: [a * n for a in accs] for k, accs in res.items()}


_KNN_OK = {}


@pytest.mark.parametrize("check,name,wrong", [
    ("test_compute_distances_two_loops", "compute_distances_two_loops", _squared_two_loops),
    ("test_compute_distances_two_loops", "compute_distances_two_loops", _l1_one_loop),
    ("test_compute_distances_one_loop", "compute_distances_one_loop", _l1_one_loop),
    ("test_compute_distances_no_loops", "compute_distances_no_loops", _transposed_no_loops),
    ("test_predict_labels", "predict_labels", _votes_to_larger_label),
    ("test_predict_labels", "predict_labels", _k_plus_one),
])
def test_knn_method_checks_catch_wrong_methods(knn_nb, monkeypatch, check, name, wrong):
    """Does each public KNN check fail for a classic mistake in its method?"""
    ns, checks = knn_nb
    cls = ns["KNearestNeighbor"]
    _KNN_OK.update({n: getattr(cls, n) for n in ("compute_distances_no_loops", "predict_labels")})
    monkeypatch.setattr(cls, name, wrong)
    with pytest.raises(AssertionError):
        run_check(ns, checks[check])


@pytest.mark.parametrize("wrong", [_cv_shuffled_folds, _cv_counts_not_accuracies])
def test_cross_validation_check_catches_wrong_folds(knn_nb, wrong):
    """Does the public cross-validation check fail for shuffled folds or counts instead of accuracies?"""
    ns, checks = knn_nb
    _KNN_OK["cross_validate_knn"] = ns["cross_validate_knn"]
    with pytest.raises(AssertionError):
        run_check(ns, checks["test_cross_validate_knn"], cross_validate_knn=wrong)


# ---- checks that point the right way ---------------------------------------------------

def _math_exp_softmax_naive(W, X, y, reg):
    """A naive softmax with math.exp and no shift: raises OverflowError for scores near 1000."""
    import math
    loss, dW = 0.0, np.zeros_like(W)
    for i in range(X.shape[0]):
        s = X[i].dot(W)
        e = [math.exp(v) for v in s]
        p = np.array(e) / sum(e)
        loss -= math.log(p[y[i]])
        p[y[i]] -= 1
        dW += np.outer(X[i], p)
    return loss / X.shape[0] + 0.5 * reg * np.sum(W * W), dW / X.shape[0] + reg * W


def _raising_softmax_vectorized(W, X, y, reg):
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        return softmax_unshifted(W, X, y, reg)


def test_overflow_hints_are_reached_whatever_the_overflow_looks_like(softmax_nb):
    """math.exp raises OverflowError, numpy may raise FloatingPointError: either way the student
    reads the hint, not a bare traceback."""
    ns, checks = softmax_nb
    for check, name, fn in (("test_softmax_loss_naive", "softmax_loss_naive", _math_exp_softmax_naive),
                            ("test_softmax_loss_vectorized", "softmax_loss_vectorized", _raising_softmax_vectorized)):
        with pytest.raises(AssertionError) as failure:
            run_check(ns, checks[check], **{name: fn})
        assert "shift the scores by their" in str(failure.value), (check, str(failure.value))


@pytest.mark.parametrize("notebook,check,naive,wrong_naive", [
    ("svm", "test_svm_loss_vectorized", "svm_loss_naive", "without_half"),
    ("svm", "test_svm_loss_vectorized", "svm_loss_naive", "no_correct_class_grad"),
    ("softmax", "test_softmax_loss_vectorized", "softmax_loss_naive", "unshifted"),
    ("softmax", "test_softmax_loss_vectorized", "softmax_loss_naive", "not_averaged"),
])
def test_vectorized_checks_pass_a_right_version_whatever_the_naive_one_does(request, notebook, check, naive,
                                                                              wrong_naive):
    """A correct vectorized loss passes its check even when the student's naive loss is wrong."""
    ns, checks = request.getfixturevalue(f"{notebook}_nb")
    ok = ns[naive.replace("naive", "vectorized")]
    fn = {"without_half": with_ok(svm_without_half, ok), "not_averaged": with_ok(svm_not_averaged, ok),
          "no_correct_class_grad": svm_no_correct_class_grad, "unshifted": softmax_unshifted}[wrong_naive]
    with np.errstate(all="ignore"):
        run_check(ns, checks[check], **{naive: fn})


@pytest.mark.parametrize("check", ["test_compute_distances_one_loop", "test_compute_distances_no_loops"])
def test_faster_distance_checks_pass_whatever_the_two_loop_version_does(knn_nb, monkeypatch, check):
    """The one-loop and no-loop checks compare with scipy's cdist, not with the student's two loops."""
    ns, checks = knn_nb
    cls = ns["KNearestNeighbor"]
    _KNN_OK.update({n: getattr(cls, n) for n in ("compute_distances_no_loops", "predict_labels")})
    monkeypatch.setattr(cls, "compute_distances_two_loops", _squared_two_loops)
    monkeypatch.setattr(cls, "compute_distances_one_loop", lambda self, X: _KNN_OK["compute_distances_no_loops"](self, X))
    run_check(ns, checks[check])


def _message(ns, source, **overrides) -> str:
    with np.errstate(all="ignore"), pytest.raises(AssertionError) as failure:
        run_check(ns, source, **overrides)
    return str(failure.value)


def _says_expected_and_got(message: str) -> bool:
    text = message.lower()
    return "expected" in text and ("got" in text or "yours" in text or "grew by" in text or "added" in text)


@pytest.mark.parametrize("notebook,check,name,wrong", [
    ("svm", "test_svm_loss_naive", "svm_loss_naive", "without_half"),
    ("svm", "test_svm_loss_naive", "svm_loss_naive", "not_averaged"),
    ("svm", "test_svm_loss_naive", "svm_loss_naive", "no_correct_class_grad"),
    ("svm", "test_svm_loss_vectorized", "svm_loss_vectorized", "without_half"),
    ("svm", "test_svm_loss_vectorized", "svm_loss_vectorized", "not_averaged"),
    ("svm", "test_svm_loss_vectorized", "svm_loss_vectorized", "no_correct_class_grad"),
    ("softmax", "test_softmax_loss_naive", "softmax_loss_naive", "without_half"),
    ("softmax", "test_softmax_loss_naive", "softmax_loss_naive", "not_averaged"),
    ("softmax", "test_softmax_loss_vectorized", "softmax_loss_vectorized", "without_half"),
    ("softmax", "test_softmax_loss_vectorized", "softmax_loss_vectorized", "not_averaged"),
])
def test_failing_loss_checks_say_what_was_expected_and_what_came_back(request, notebook, check, name, wrong):
    ns, checks = request.getfixturevalue(f"{notebook}_nb")
    ok = ns[name.replace("naive", "vectorized")]
    fn = {"without_half": with_ok(svm_without_half, ok), "not_averaged": with_ok(svm_not_averaged, ok),
          "no_correct_class_grad": svm_no_correct_class_grad}[wrong]
    message = _message(ns, checks[check], **{name: fn})
    assert _says_expected_and_got(message), message


@pytest.mark.parametrize("check,name,wrong", [
    ("test_compute_distances_two_loops", "compute_distances_two_loops", _squared_two_loops),
    ("test_compute_distances_one_loop", "compute_distances_one_loop", _l1_one_loop),
    ("test_compute_distances_no_loops", "compute_distances_no_loops", _transposed_no_loops),
    ("test_compute_distances_no_loops", "compute_distances_no_loops", lambda self, X: _l1_one_loop(self, X)),
    ("test_predict_labels", "predict_labels", _votes_to_larger_label),
    ("test_predict_labels", "predict_labels", _k_plus_one),
])
def test_failing_knn_checks_say_what_was_expected_and_what_came_back(knn_nb, monkeypatch, check, name, wrong):
    ns, checks = knn_nb
    cls = ns["KNearestNeighbor"]
    _KNN_OK.update({n: getattr(cls, n) for n in ("compute_distances_no_loops", "predict_labels")})
    monkeypatch.setattr(cls, name, wrong)
    message = _message(ns, checks[check])
    assert _says_expected_and_got(message), message


@pytest.mark.parametrize("wrong", [_train_ignoring_lr, _train_full_batch])
def test_failing_train_check_says_what_was_expected(svm_nb, monkeypatch, wrong):
    global _ORIGINAL_TRAIN
    ns, checks = svm_nb
    _ORIGINAL_TRAIN = ns["LinearClassifier"].train
    monkeypatch.setattr(ns["LinearClassifier"], "train", wrong)
    message = _message(ns, checks["test_LinearClassifier_train"])
    assert _says_expected_and_got(message), message


def test_the_message_probe_can_fail():
    """Negative control: a bare message is not taken for one that says expected and got."""
    assert not _says_expected_and_got("hand example: wrong dW")
    assert _says_expected_and_got("hand example: expected dW [[1]] got [[2]]")
