"""Do the hidden suites grade right: full marks for the solution, zero for the release, and
points lost on exactly the function a wrong implementation gets wrong?"""
from __future__ import annotations

import nbformat
import pytest

from autograder.engine.grading import grade_notebook, points_by_cell
from cs231n_lib import paths
from cs231n_lib.notebook_cells import grade_id
from autograder.engine.grading import available_suites
from variants import alternatives, wrong

NOTEBOOKS = sorted(available_suites())   # (assignment, notebook) of every hidden suite
SEED = 20261128


def source_nb(notebook, assignment="assignment1"):
    return nbformat.read(str(paths.source_notebook(assignment, notebook)), as_version=4)


def submission(tmp_path, notebook, replace=None, edit=None, assignment="assignment1"):
    """A copy of the instructor notebook with some solution cells replaced (or edited by ``edit(nb)``)."""
    nb = source_nb(notebook, assignment)
    for cell in nb.cells:
        if grade_id(cell) in (replace or {}):
            cell.source = replace[grade_id(cell)]
    if edit:
        edit(nb)
    path = tmp_path / assignment / f"{notebook}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path


def full_points(notebook, assignment="assignment1"):
    return points_by_cell(source_nb(notebook, assignment))


@pytest.mark.parametrize("assignment,notebook", NOTEBOOKS)
def test_solution_scores_full_marks(assignment, notebook):
    """Does the instructor solution earn every point of every graded cell?"""
    report = grade_notebook(paths.source_notebook(assignment, notebook), seed=SEED)
    assert report.error is None and not report.grader_errors, (report.error, report.grader_errors)
    failed = [f"{t.function}: {t.name}: {t.output}" for t in report.tests if not t.passed]
    assert not failed, failed
    assert report.cell_scores() == {g: (p, p) for g, p in full_points(notebook, assignment).items()}


@pytest.mark.parametrize("assignment,notebook", NOTEBOOKS)
def test_release_scores_zero_with_not_implemented(assignment, notebook):
    """Does the untouched student release score exactly 0, every test saying "not implemented"?"""
    report = grade_notebook(paths.release_notebook(assignment, notebook), seed=SEED)
    assert report.error is None and not report.grader_errors
    assert report.score == 0 and report.max_score == sum(full_points(notebook, assignment).values())
    for t in report.tests:
        assert "not implemented" in t.output, f"{t.function}: {t.name}: {t.output}"


CASES = wrong()


def failed_tests(report) -> set[str]:
    return {t.test_id[len("test_"):] for t in report.tests if not t.passed}


@pytest.mark.parametrize("assignment,notebook,solution_id,label,source,tests", CASES,
                         ids=[f"{c[0]}-{c[2]}-{c[3]}" for c in CASES])
def test_wrong_implementation_fails_exactly_its_tests(tmp_path, assignment, notebook, solution_id, label, source, tests):
    """Does a classic mistake fail exactly the tests it should, all on its own check cell?"""
    report = grade_notebook(submission(tmp_path, notebook, {solution_id: source}, assignment=assignment), seed=SEED)
    assert report.error is None and not report.grader_errors, (report.error, report.grader_errors)
    assert failed_tests(report) == set(tests), report.feedback_text()
    scores = report.cell_scores()
    target = f"test_{solution_id}"
    assert scores[target][0] < scores[target][1], f"{label}: not caught"
    others = {g: s for g, s in scores.items() if g != target and s[0] < s[1]}
    assert not others, f"{label}: also lost points on {others}: " + report.feedback_text()


ALT_CASES = alternatives()


@pytest.mark.parametrize("assignment,notebook,solution_id,label,source", ALT_CASES,
                         ids=[f"{c[0]}-{c[2]}-{c[3]}" for c in ALT_CASES])
def test_alternative_correct_implementation_gets_full_marks(tmp_path, assignment, notebook, solution_id, label, source):
    """Does a correct implementation written another way (e.g. a canonical CS231n one) get every point?"""
    report = grade_notebook(submission(tmp_path, notebook, {solution_id: source}, assignment=assignment), seed=SEED)
    assert report.error is None and not report.grader_errors
    assert failed_tests(report) == set(), report.feedback_text()
    assert report.score == report.max_score
