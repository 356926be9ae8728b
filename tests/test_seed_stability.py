"""Does the same code get the same outcome for every seed (DESIGN §3.2)?

For 20 seeds: the solutions and the alternative correct implementations pass every test, and
every wrong implementation fails exactly the tests it names (tests/wrong_implementations.py).
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
from correct_alternatives import ALTERNATIVES
from test_hidden_suites import NOTEBOOKS, failed_tests, submission
from wrong_implementations import WRONG

SEEDS = list(range(7001, 7021))


def variants(table, notebook):
    """[(label, {solution grade_id: source}, expected failed tests)]: submissions that each carry at
    most one variant per function. A variant that uses another graded function (e.g. a vectorized
    loss calling the naive one) never shares a submission with a variant of that function."""
    pending = [(gid, entry) for (nb, gid), v in table.items() if nb == notebook for entry in v]
    out = []
    while pending:
        chosen = {}
        for gid, entry in list(pending):
            if gid in chosen or any(other in entry[1] or gid in e[1] for other, e in chosen.items()):
                continue
            chosen[gid] = entry
            pending.remove((gid, entry))
        label = "; ".join(f"{gid}: {entry[0]}" for gid, entry in chosen.items())
        expected = set().union(*(set(entry[2]) if len(entry) > 2 else set() for entry in chosen.values()))
        out.append((label, {gid: entry[1] for gid, entry in chosen.items()}, expected))
    return out


def cases():
    out = []
    for notebook in NOTEBOOKS:
        out.append((notebook, "solution", {}, set()))
        out += [(notebook, f"alternatives: {label}", cells, set()) for label, cells, _ in variants(ALTERNATIVES, notebook)]
        out += [(notebook, f"wrong: {label}", cells, want) for label, cells, want in variants(WRONG, notebook)]
    return out


def grade(job):
    notebook, cells, seed = job
    with tempfile.TemporaryDirectory() as tmp:
        report = grade_notebook(submission(Path(tmp), notebook, cells), seed=seed)
        return report.error, report.grader_errors, failed_tests(report), report.feedback_text()


@pytest.fixture(scope="module")
def outcomes():
    jobs = [(nb, cells, seed) for nb, _, cells, _ in cases() for seed in SEEDS]
    with multiprocessing.get_context("fork").Pool(2) as pool:
        results = pool.map(grade, jobs, chunksize=4)
    return dict(zip([(i, seed) for i in range(len(cases())) for seed in SEEDS], results))


@pytest.mark.parametrize("index", range(len(cases())), ids=[f"{c[0]}-{c[1][:60]}" for c in cases()])
def test_outcomes_are_the_same_for_every_seed(outcomes, index):
    """Does this code fail exactly its expected tests (none for correct code) for each of 20 seeds?"""
    notebook, label, _, want = cases()[index]
    wrong = {}
    for seed in SEEDS:
        error, grader_errors, failed, feedback = outcomes[(index, seed)]
        assert error is None and not grader_errors, (seed, error, grader_errors)
        if failed != want:
            wrong[seed] = (sorted(failed ^ want), feedback)
    assert not wrong, (f"{label}: {len(wrong)} of {len(SEEDS)} seeds differ; first: "
                       f"{next(iter(wrong.items()))}")


def test_the_stability_check_can_fail():
    """Negative control: a 'wrong' implementation whose expected tests are misdeclared is caught."""
    (label, cells, want), = variants({("softmax", "softmax_loss_naive"): [WRONG[("softmax", "softmax_loss_naive")][0]]},
                                     "softmax")
    _, _, failed, _ = grade(("softmax", cells, SEEDS[0]))
    assert failed == want and failed - {"softmax_loss_naive_scores_near_1000"} == set()
    assert failed != want - {"softmax_loss_naive_scores_near_1000"}
