"""Mistake diagnosis (autograder/engine/diagnosis.py): a known mistake is named only when it
reproduces the student's answers exactly on every input of the function's hidden tests.

Every mistake of the library is diagnosed as itself and as no other; the correct alternatives,
the untouched release, and wrong implementations that are not in the library are never
diagnosed. Negative controls show that the matching can fail: a mistake that is only nearly
the student's, or two mistakes that explain the same answers, give no diagnosis.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from autograder.engine import grading
from autograder.engine.diagnosis import Diagnoser, Mistake, distance, load_mistakes
from autograder.tools import demo
from cs231n_lib import paths
from variants import alternatives, wrong

ASSIGNMENT = "assignment1"
SEED = 20270120
LIBRARY = [(nb, m) for nb in demo.NOTEBOOKS for m in load_mistakes(ASSIGNMENT, nb)]
LIBRARY_SOURCES = {" ".join(m.source.split()) for _, m in LIBRARY}


def grade_with(notebook: str, cell: str, source: str | None):
    answers = demo.solution_sources(notebook)
    if source is not None:
        answers[cell] = source
    nb = demo.student_notebook(notebook, answers, paths.REPO_ROOT)
    return grading.grade_notebook(nb, ASSIGNMENT, notebook, seed=SEED)


def diagnosed(report) -> dict[str, str]:
    return {t.grade_id: t.diagnosis["mistake"] for t in report.tests if t.diagnosis}


def test_every_notebook_of_assignment1_has_a_library():
    assert {nb for nb, _ in LIBRARY} == set(demo.NOTEBOOKS)
    assert len(LIBRARY) >= 20


@pytest.mark.parametrize("notebook,mistake", LIBRARY, ids=[f"{nb}:{m.cell}/{m.id}" for nb, m in LIBRARY])
def test_each_known_mistake_is_diagnosed_as_itself(notebook, mistake):
    report = grade_with(notebook, mistake.cell, mistake.source)
    failed = [t for t in report.tests if t.status == "failed"]
    assert failed, "the mistake must lose points, or there is nothing to diagnose"
    assert diagnosed(report) == {f"test_{mistake.cell}": f"{mistake.cell}/{mistake.id}"}
    assert all(t.diagnosis for t in failed if t.grade_id == f"test_{mistake.cell}")
    text = report.feedback_text()
    assert text.count("Likely cause: ") == 1 and mistake.says in text
    assert mistake.says in "".join(t["output"] for t in report.to_gradescope()["tests"])


NOT_IN_LIBRARY = [(nb, gid, label, src) for a, nb, gid, label, src, _ in wrong()
                  if a == ASSIGNMENT and " ".join(src.split()) not in LIBRARY_SOURCES
                  and label not in ("no sqrt", "L1", "no clamp at 0", "ties to larger", "ignores k",
                                    "Counter.most_common: nearest label wins ties", "float labels",
                                    "trains on all", "no 0.5", "summed", "delta 0", "fixed lr",
                                    "full batch, no reg", "scores", "unshifted")]
# wrong in ways the library does not know (the values differ from every known mistake)
UNKNOWN = [
    ("svm", "svm_loss_naive", "gradient with the wrong sign", '''
def svm_loss_naive(W, X, y, reg):
    loss, dW = 0.0, np.zeros(W.shape)
    for i in range(X.shape[0]):
        scores = X[i].dot(W)
        for j in range(W.shape[1]):
            margin = scores[j] - scores[y[i]] + 1
            if j != y[i] and margin > 0:
                loss += margin
                dW[:, j] -= X[i]
                dW[:, y[i]] += X[i]
    return loss / X.shape[0] + 0.5 * reg * np.sum(W * W), dW / X.shape[0] + reg * W
'''),
    ("svm", "LinearClassifier_predict", "labels shifted by one", '''
def predict(self, X):
    return np.argmax(X.dot(self.W), axis=1) + 1
LinearClassifier.predict = predict
'''),
    ("knn", "compute_distances_two_loops", "distances to the wrong training point", '''
def compute_distances_two_loops(self, X):
    dists = np.zeros((X.shape[0], self.X_train.shape[0]))
    for i in range(X.shape[0]):
        for j in range(self.X_train.shape[0]):
            dists[i, j] = np.sqrt(np.sum((X[i] - self.X_train[j - 1]) ** 2))
    return dists
KNearestNeighbor.compute_distances_two_loops = compute_distances_two_loops
'''),
    ("softmax", "softmax_loss_vectorized", "regularization left out", '''
def softmax_loss_vectorized(W, X, y, reg):
    n = X.shape[0]
    s = X.dot(W)
    s = s - s.max(axis=1, keepdims=True)
    p = np.exp(s) / np.exp(s).sum(axis=1, keepdims=True)
    loss = -np.log(p[np.arange(n), y]).mean()
    p[np.arange(n), y] -= 1
    return loss, X.T.dot(p) / n
'''),
]
NEVER = ([(nb, gid, f"wrong, not in the library: {label}", src) for nb, gid, label, src in NOT_IN_LIBRARY]
         + [(nb, gid, f"unknown: {label}", src) for nb, gid, label, src in UNKNOWN]
         + [(nb, gid, f"correct: {label}", src) for a, nb, gid, label, src in alternatives() if a == ASSIGNMENT]
         + [(nb, None, "the instructor solution", None) for nb in demo.NOTEBOOKS])


@pytest.mark.parametrize("notebook,cell,label,source", NEVER, ids=[f"{r[0]}:{r[1]}:{r[2]}" for r in NEVER])
def test_no_diagnosis_without_an_exact_known_mistake(notebook, cell, label, source):
    report = grade_with(notebook, cell, source)
    if label.startswith("unknown"):  # negative control: it does lose points
        assert any(t.status == "failed" for t in report.tests)
    assert diagnosed(report) == {}
    assert "Likely cause" not in report.feedback_text()


def test_the_untouched_release_is_never_diagnosed():
    for notebook in demo.NOTEBOOKS:
        nb = demo.student_notebook(notebook, {}, paths.REPO_ROOT)
        report = grading.grade_notebook(nb, ASSIGNMENT, notebook, seed=SEED)
        assert report.score == 0 and diagnosed(report) == {}


_REAL_DIAGNOSER = grading.diagnoser


def _with_library(monkeypatch, notebook, mistakes):
    """Grade with another mistake library for this notebook (the cells stay the instructor's)."""
    cells = _REAL_DIAGNOSER(ASSIGNMENT, notebook).cells
    monkeypatch.setattr(grading, "diagnoser", lambda a, n: Diagnoser(cells, mistakes))


def test_a_nearly_identical_mistake_is_not_named(monkeypatch):
    """Negative control for 'exact': the same mistake with 0.5000001 instead of 0.5 explains nothing."""
    real = next(m for nb, m in LIBRARY if m.cell == "svm_loss_naive" and m.id == "no-correct-class-column")
    near = dataclasses.replace(real, id="near", source=real.source.replace("0.5 * reg", "0.5000001 * reg"))
    assert near.source != real.source
    _with_library(monkeypatch, "svm", [near])
    assert diagnosed(grade_with("svm", real.cell, real.source)) == {}
    _with_library(monkeypatch, "svm", [near, real])  # the library as it should be: named
    assert diagnosed(grade_with("svm", real.cell, real.source)) == {"test_svm_loss_naive":
                                                                    "svm_loss_naive/no-correct-class-column"}


def test_two_mistakes_that_explain_the_same_answers_give_no_diagnosis(monkeypatch):
    real = next(m for nb, m in LIBRARY if m.cell == "svm_loss_naive" and m.id == "summed-not-averaged")
    twin = Mistake(real.cell, "twin", "the same answers, written differently", real.source + "\n# another way\n")
    _with_library(monkeypatch, "svm", [real, twin])
    assert diagnosed(grade_with("svm", real.cell, real.source)) == {}


def test_a_structural_failure_with_the_right_values_is_not_diagnosed(monkeypatch):
    """A mistake with the reference's values (a loop where none is allowed) can never be named:
    the student's answers must differ from the reference's first."""
    calls_naive = "def svm_loss_vectorized(W, X, y, reg):\n    return svm_loss_naive(W, X, y, reg)\n"
    _with_library(monkeypatch, "svm", [Mistake("svm_loss_vectorized", "calls-naive", "calls naive", calls_naive)])
    report = grade_with("svm", "svm_loss_vectorized", calls_naive)
    assert any(t.status == "failed" for t in report.tests) and diagnosed(report) == {}


def test_distance_compares_kind_before_value():
    h = {}
    assert distance(np.ones(3), np.ones(3) * (1 + 1e-12), h) < 1e-9
    assert distance(np.ones(3), np.ones(3, dtype=np.float32), h) == np.inf
    assert distance(np.arange(3), np.arange(3).astype(float), h) == np.inf
    assert distance(np.array([np.nan, 1.0]), np.array([np.nan, 1.0]), h) == 0
    assert distance(np.array([np.nan, 1.0]), np.array([1.0, 1.0]), h) == np.inf
    assert distance((1.0, [2, 3]), (1.0, [2, 3]), h) == 0 and distance((1.0, [2, 3]), [1.0, [2, 3]], h) == np.inf
    assert distance({1: 0.5}, {1: 0.5, 2: 0.5}, h) == np.inf
    assert distance(2.0, 2.2, h) == pytest.approx(0.2 / 2.2)
