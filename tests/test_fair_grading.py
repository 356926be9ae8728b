"""Fair grading (DESIGN §3.2): who is charged for what, gates, dependencies, notices and caps.

A grader fault (the reference or a test crashing) is never charged to the student; a setup cell
broken by student code is; a property earns points only for working code and says why it was
not checked; every message and the whole report are bounded in the grader.
"""
from __future__ import annotations

import types

import numpy as np
import pytest

from autograder.engine import grading
from autograder.engine.grading import grade_notebook
from autograder.engine.submission import CellPlan
from autograder.engine.suite import MAX_OUTPUT_CHARS, MAX_REPORT_CHARS, SuiteRunner, graded
from autograder.sandbox import Limits, Worker
from cs231n_lib.notebook_cells import grade_id
from test_hidden_suites import SEED, submission
from variants.assignment1_wrong import SVM_NAIVE_FULL_REG

FAST = Limits(call_seconds=5, submission_seconds=60)


def run_suite(tests, cells, ref=None, seed=1):
    """Run a suite made of ``tests`` (functions decorated with @graded) on cells {grade_id: source}."""
    suite = types.ModuleType("fake_suite")
    for t in tests:
        setattr(suite, t.__name__, t)
    plan = CellPlan(cells=list(cells.items()), sources=dict(cells))
    runner = SuiteRunner(suite, plan, lambda: Worker(FAST), ref, seed, "fake", 60)
    return runner.run(), runner


def test_a_crash_of_the_reference_is_a_grader_error_not_the_students(monkeypatch):
    """Does a reference that raises flag the notebook and leave the student's other points intact?"""
    real = grading.reference("assignment1", "svm")
    broken = types.SimpleNamespace(**{k: getattr(real, k) for k in dir(real) if not k.startswith("__")})

    def svm_loss_naive(*args):
        raise KeyError("reference broke")
    broken.svm_loss_naive = svm_loss_naive
    monkeypatch.setattr(grading, "reference", lambda a, n: broken)
    report = grade_notebook(grading.paths.source_notebook("assignment1", "svm"), seed=SEED)
    assert report.error is None and report.needs_review
    errors = [t for t in report.tests if t.status == "grader error"]
    assert errors and all(t.function == "svm_loss_naive" for t in errors)
    assert all("not your mistake" in t.output for t in errors)
    assert any("KeyError: 'reference broke'" in e for e in report.grader_errors)
    assert all(t.passed for t in report.tests if t.function != "svm_loss_naive")
    assert "[ERROR]" in report.feedback_text() and report.to_gradescope()["extra_data"]["needs_review"]


def test_exceptions_are_charged_by_their_cause():
    """Student exceptions and kit assertions fail the test; any other exception in a test is a grader error."""
    @graded("test_f", "f", 1)
    def test_student_raises(student):
        student.f(-1.0)

    @graded("test_f", "f", 1)
    def test_assertion(student):
        assert student.f(2.0) == 5.0, "f(2) should be 5"

    @graded("test_f", "f", 1)
    def test_suite_bug(student):
        {}["missing"]

    @graded("test_f", "f", 1)
    def test_passes(student):
        assert student.f(2.0) == 4.0

    cells = {"f": "def f(x):\n    if x < 0:\n        raise ValueError('negative')\n    return x * x\n"}
    results, runner = run_suite([test_student_raises, test_assertion, test_suite_bug, test_passes], cells)
    status = {r.test_id: (r.status, r.output) for r in results}
    assert status["test_student_raises"] == ("failed", "f raised ValueError: negative")
    assert status["test_assertion"][0] == "failed"
    assert status["test_assertion"][1].startswith("f(2) should be 5")  # (pytest adds its explanation here)
    assert status["test_suite_bug"][0] == "grader error" and len(runner.grader_errors) == 1
    assert status["test_passes"] == ("passed", "passed")


def test_gates_and_needs_report_the_real_cause():
    """Does a property whose function fails say "not checked", and is a needed cell's failure named?"""
    @graded("test_f", "f", 2)
    def test_values(student):
        assert student.f(3.0) == 9.0, "f(3) should be 9"

    @graded("test_f", "f", 1, gate=test_values)
    def test_property(student):
        raise AssertionError("never reached when the values are wrong")

    @graded("test_g", "g", 1, needs="test_f")
    def test_model(student):
        assert student.g(3.0) == 10.0

    results, _ = run_suite([test_values, test_property, test_model],
                           {"f": "def f(x):\n    return x + x\n", "g": "def g(x):\n    return f(x) + 1\n"})
    by_id = {r.test_id: r for r in results}
    assert by_id["test_property"].status == "not checked"
    assert by_id["test_property"].output.startswith("not checked: f must compute the right values first")
    assert by_id["test_model"].status == "not checked" and "f must compute the right values first" in by_id["test_model"].output
    # negative control: with a working f, both run (and the property's own failure shows)
    results, _ = run_suite([test_values, test_property, test_model],
                           {"f": "def f(x):\n    return x * x\n", "g": "def g(x):\n    return f(x) + 1\n"})
    by_id = {r.test_id: r for r in results}
    assert by_id["test_property"].output == "never reached when the values are wrong"
    assert by_id["test_model"].passed


def test_a_gate_on_a_later_test_is_a_grader_error():
    """Is an inconsistent suite (a gate on a test defined after it) a grader error, never a student's 0?"""
    @graded("test_f", "f", 1, gate="test_later")
    def test_first(student):
        pass

    with pytest.raises(Exception, match="gate 'test_later'"):
        run_suite([test_first], {"f": "def f(x):\n    return x\n"})


def test_a_setup_cell_broken_by_student_code_is_the_students_failure(tmp_path):
    """When a student cell breaks a later instructor cell, do only the functions needing it lose points?"""
    sabotage = SVM_NAIVE_FULL_REG.replace("svm_loss_naive", "svm_loss_vectorized") + (
        "\nimport builtins\nbuiltins.__build_class__ = None\n")   # every later class statement fails
    report = grade_notebook(submission(tmp_path, "svm", {"svm_loss_vectorized": sabotage}), seed=SEED, limits=FAST)
    assert report.error is None and not report.grader_errors
    scores = report.cell_scores()
    assert scores["test_svm_loss_naive"][0] == scores["test_svm_loss_naive"][1]
    for cell in ("test_LinearClassifier_train", "test_LinearClassifier_predict"):
        assert scores[cell][0] == 0
    messages = {t.output for t in report.tests if t.grade_id == "test_LinearClassifier_train"}
    assert all("the instructor's cell 'LinearClassifier' failed after your earlier cells ran" in m for m in messages)


def test_a_duplicated_solution_cell_is_noted_in_the_feedback(tmp_path):
    """Is a duplicated solution cell graded (last copy) and the student told so?"""
    def duplicate(nb):
        cell = next(c for c in nb.cells if grade_id(c) == "softmax_loss_naive")
        copy = cell.copy()
        copy["id"] = "softmax-loss-naive-copy"
        nb.cells.insert(nb.cells.index(cell), copy)
    report = grade_notebook(submission(tmp_path, "softmax", edit=duplicate), seed=SEED)
    assert report.score == report.max_score
    text = report.feedback_text("test_softmax_loss_naive")
    assert "'softmax_loss_naive' appears 2 times in your notebook; the last copy was graded" in text
    assert "appears 2 times" not in report.feedback_text("test_softmax_loss_vectorized")
    assert "appears 2 times" in report.to_gradescope()["output"]


def test_messages_and_the_report_are_capped_in_the_grader():
    """Does a huge message (the worker's own cap lifted by the student) stay bounded in the report?"""
    lift = ("import sys\nsys.modules['__main__'].MAX_TEXT = 10 ** 9\n"
            "def f(x):\n    raise ValueError('x' * 3_000_000)\n")

    def make(i):
        @graded("test_f", "f", 1)
        def test(student):
            student.f(1)
        test.__name__ = f"test_{i}"
        return test

    results, _ = run_suite([make(i) for i in range(80)], {"f": lift})
    assert all(len(r.output) <= MAX_OUTPUT_CHARS + 100 for r in results)
    assert "more characters cut" in results[0].output
    assert sum(len(r.output) for r in results) <= MAX_REPORT_CHARS + 80 * 100
    # negative control: a short message is kept whole
    results, _ = run_suite([make(0)], {"f": "def f(x):\n    raise ValueError('short')\n"})
    assert results[0].output == "f raised ValueError: short"


def test_inputs_unchanged_is_judged_on_the_grader_side(tmp_path):
    """Does a function that zeroes X and patches np.array_equal in the worker still lose that test?"""
    from variants.assignment1_wrong import SVM_VEC_ZEROES_X_AND_PATCHES
    report = grade_notebook(submission(tmp_path, "svm", {"svm_loss_vectorized": SVM_VEC_ZEROES_X_AND_PATCHES}),
                            seed=SEED)
    failed = [t for t in report.tests if not t.passed]
    assert [t.test_id for t in failed] == ["test_svm_loss_vectorized_inputs_unchanged"]
    assert "changed its input X" in failed[0].output


def test_softmax_canonical_shift_then_log_gets_a_deterministic_outcome(tmp_path):
    """Is the canonical shifted -log(p) softmax graded the same for every seed, and an unshifted one told to shift?"""
    from variants.assignment1_correct import SOFTMAX_VEC_CANONICAL
    from variants.assignment1_wrong import SOFTMAX_VEC_UNSHIFTED
    for seed in (1, 2, 3):
        good = grade_notebook(submission(tmp_path / str(seed), "softmax",
                                         {"softmax_loss_vectorized": SOFTMAX_VEC_CANONICAL}), seed=seed)
        assert good.score == good.max_score, good.feedback_text()
    bad = grade_notebook(submission(tmp_path / "bad", "softmax", {"softmax_loss_vectorized": SOFTMAX_VEC_UNSHIFTED}),
                         seed=1)
    (failed,) = [t for t in bad.tests if not t.passed]
    assert "shift the scores by their row maximum" in failed.output
    assert np.isfinite(bad.score)


def test_nbgrader_plugin_sends_a_cell_with_a_grader_error_to_manual_grading(monkeypatch):
    """Does the nbgrader plug-in flag (not zero) a check cell whose hidden test broke in the grader?"""
    import nbformat

    from autograder.nbgrader_ext.plugin import GradeWithHiddenSuites
    real = grading.reference("assignment1", "softmax")
    broken = types.SimpleNamespace(softmax_loss_naive=lambda *a: 1 / 0,
                                   softmax_loss_vectorized=real.softmax_loss_vectorized)
    monkeypatch.setattr(grading, "reference", lambda a, n: broken)
    path = grading.paths.source_notebook("assignment1", "softmax")
    report = grade_notebook(path, seed=SEED)
    nb = nbformat.read(str(path), as_version=4)
    ungraded = GradeWithHiddenSuites()._fill_cells(nb, report)
    assert set(ungraded) == {"test_softmax_loss_naive"}
    assert "grader error" in ungraded["test_softmax_loss_naive"][0]
    # negative control: the same notebook graded with the real reference has nothing to flag
    monkeypatch.setattr(grading, "reference", lambda a, n: real)
    nb = nbformat.read(str(path), as_version=4)
    assert GradeWithHiddenSuites()._fill_cells(nb, grade_notebook(path, seed=SEED)) == {}


def test_imported_cells_come_from_the_instructor_notebook(tmp_path, monkeypatch):
    """Does a suite's IMPORTED_CELLS give the worker and the reference the instructor's earlier functions?"""
    from autograder.suites.kit.checks import assert_close

    @graded("test_softmax_loss_naive", "softmax_loss_naive", 1)
    def test_uses_imported(student, ref, rng):
        W, X, y = rng.standard_normal((4, 3)), rng.standard_normal((5, 4)), rng.integers(0, 3, 5)
        assert_close(student.svm_loss_vectorized(W, X, y, 0.1)[0], ref.svm_loss_vectorized(W, X, y, 0.1)[0],
                     1e-12, "the imported loss")

    suite = types.ModuleType("fake_softmax_suite")
    suite.NOTEBOOK, suite.SETUP_CELLS, suite.SOLUTION_CELLS = "softmax", ["softmax_imports"], ["softmax_loss_naive"]
    suite.IMPORTED_CELLS = {"assignment1/svm": ["svm_imports", "svm_loss_vectorized"]}
    suite.test_uses_imported = test_uses_imported
    monkeypatch.setattr(grading, "load_suite", lambda a, n: suite)
    grading.reference.cache_clear()
    try:
        report = grade_notebook(grading.paths.release_notebook("assignment1", "softmax"), "assignment1", "softmax",
                                seed=SEED)
        assert [t.passed for t in report.tests] == [True], report.feedback_text()
        suite.IMPORTED_CELLS = {"assignment1/svm": ["no_such_cell"]}       # negative control
        grading.reference.cache_clear()
        report = grade_notebook(grading.paths.release_notebook("assignment1", "softmax"), "assignment1", "softmax",
                                seed=SEED)
        assert report.error and "no_such_cell" in report.error
    finally:
        grading.reference.cache_clear()
