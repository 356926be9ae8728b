"""Does the same code get the same outcome for every seed (DESIGN §3.2)?

For 20 seeds: the solutions and the alternative correct implementations pass every test, and
every wrong implementation fails exactly the tests it names (tests/variants/).
To keep this fast, one submission carries one variant of every function of a notebook at once
(the suites grade functions independently; tests/test_hidden_suites.py checks each variant
alone), and the notebooks are graded by two processes.
"""
from __future__ import annotations

import multiprocessing
import tempfile
from pathlib import Path

import pytest

from autograder.engine.grading import grade_notebook
from test_hidden_suites import NOTEBOOKS, failed_tests, submission
from variants import alternatives, wrong

SEEDS = list(range(7001, 7021))
pytestmark = pytest.mark.timeout(2400)   # every assignment's variants x 20 seeds: minutes on 2 cores


def packed(entries):
    """[(label, {solution grade_id: source}, expected failed tests)]: submissions that each carry at
    most one variant per function. A variant that uses another graded function (e.g. a vectorized
    loss calling the naive one) never shares a submission with a variant of that function.

    entries: [(solution grade_id, label, source, expected failed tests)] of one notebook.
    """
    pending = list(entries)
    out = []
    while pending:
        chosen = {}
        for entry in list(pending):
            gid, source = entry[0], entry[2]
            if gid in chosen or any(other in source or gid in e[2] for other, e in chosen.items()):
                continue
            chosen[gid] = entry
            pending.remove(entry)
        label = "; ".join(f"{gid}: {e[1]}" for gid, e in chosen.items())
        out.append((label, {gid: e[2] for gid, e in chosen.items()}, set().union(*(e[3] for e in chosen.values()))))
    return out


def cases():
    """[(assignment, notebook, label, {grade_id: source}, expected failed tests)]."""
    out = []
    for assignment, notebook in NOTEBOOKS:
        alts = [(g, label, src, frozenset()) for a, nb, g, label, src in alternatives() if (a, nb) == (assignment, notebook)]
        bad = [(g, label, src, tests) for a, nb, g, label, src, tests in wrong() if (a, nb) == (assignment, notebook)]
        out.append((assignment, notebook, "solution", {}, set()))
        out += [(assignment, notebook, f"alternatives: {label}", cells, set()) for label, cells, _ in packed(alts)]
        out += [(assignment, notebook, f"wrong: {label}", cells, want) for label, cells, want in packed(bad)]
    return out


def grade(job):
    assignment, notebook, cells, seed = job
    with tempfile.TemporaryDirectory() as tmp:
        report = grade_notebook(submission(Path(tmp), notebook, cells, assignment=assignment), seed=seed)
        return report.error, report.grader_errors, failed_tests(report), report.feedback_text()


@pytest.fixture(scope="module")
def outcomes():
    jobs = [(a, nb, cells, seed) for a, nb, _, cells, _ in cases() for seed in SEEDS]
    with multiprocessing.get_context("fork").Pool(2) as pool:
        results = pool.map(grade, jobs, chunksize=4)
    return dict(zip([(i, seed) for i in range(len(cases())) for seed in SEEDS], results))


@pytest.mark.parametrize("index", range(len(cases())), ids=[f"{c[1]}-{c[2][:60]}" for c in cases()])
def test_outcomes_are_the_same_for_every_seed(outcomes, index):
    """Does this code fail exactly its expected tests (none for correct code) for each of 20 seeds?"""
    _, _, label, _, want = cases()[index]
    wrong = {}
    for seed in SEEDS:
        error, grader_errors, failed, feedback = outcomes[(index, seed)]
        assert error is None and not grader_errors, (seed, error, grader_errors)
        if failed != want:
            wrong[seed] = (sorted(failed ^ want), feedback)
    assert not wrong, (f"{label}: {len(wrong)} of {len(SEEDS)} seeds differ; first: "
                       f"{next(iter(wrong.items()))}")


def test_the_stability_check_can_fail():
    """Negative control: a wrong implementation graded as if it were correct is reported as differing."""
    entry = next(e for e in wrong() if e[2] == "softmax_loss_naive" and e[3] == "unshifted")
    (label, cells, want), = packed([(entry[2], entry[3], entry[4], entry[5])])
    _, _, failed, _ = grade(("assignment1", "softmax", cells, SEEDS[0]))
    assert failed == want == {"softmax_loss_naive_scores_near_1000"}
    assert failed != set()   # i.e. declaring it correct would fail test_outcomes_are_the_same_for_every_seed
