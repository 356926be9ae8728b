"""Do broken or hostile submissions gain nothing and break nothing, and is every failure explained?"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import nbformat
import pytest

from autograder.engine.grading import grade_notebook
from autograder.sandbox import Limits
from cs231n_lib import paths
from cs231n_lib.notebook_cells import grade_id
from test_hidden_suites import SEED, full_points, submission

FAST = Limits(call_seconds=2, submission_seconds=60)



def svm_report(tmp_path, cell_source, cell="svm_loss_vectorized", limits=FAST):
    return grade_notebook(submission(tmp_path, "svm", {cell: cell_source}), seed=SEED, limits=limits)


def assert_only_cell_lost(report, cell):
    scores = report.cell_scores()
    assert scores[f"test_{cell}"][0] == 0, report.feedback_text()
    others = {g: s for g, s in scores.items() if g != f"test_{cell}" and s[0] < s[1]}
    assert not others, f"other cells lost points: {others}\n{report.feedback_text()}"


HOSTILE = {
    "monkeypatch numpy": '''
np.allclose = lambda *a, **k: True
np.testing.assert_allclose = lambda *a, **k: None
import numpy
numpy.isclose = lambda *a, **k: True
def svm_loss_vectorized(W, X, y, reg):
    return 0.0, np.zeros(W.shape)
''',
    "__eq__ always true": '''
class Anything(float):
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    def __lt__(self, other): return True
class AnyArray(np.ndarray):
    def __eq__(self, other): return np.ones(np.shape(other), dtype=bool)
def svm_loss_vectorized(W, X, y, reg):
    return Anything(0.0), np.zeros(W.shape).view(AnyArray)
''',
    "object array": '''
def svm_loss_vectorized(W, X, y, reg):
    return 0.0, np.empty(W.shape, dtype=object)
''',
    "sys.exit at import": '''
import sys
sys.exit(0)
def svm_loss_vectorized(W, X, y, reg):
    return 0.0, np.zeros(W.shape)
''',
    "sys.exit in call": '''
def svm_loss_vectorized(W, X, y, reg):
    import sys
    sys.exit(0)
''',
    "os._exit in call": '''
def svm_loss_vectorized(W, X, y, reg):
    import os
    os._exit(0)
''',
    "infinite loop": '''
def svm_loss_vectorized(W, X, y, reg):
    while True:
        try:
            pass
        except BaseException:
            pass
''',
    "output flood": '''
def svm_loss_vectorized(W, X, y, reg):
    while True:
        print("x" * 10000)
''',
    "hard-coded answer": '''
def svm_loss_vectorized(W, X, y, reg):
    return 8.999602749096233, np.zeros(W.shape)
''',
}


@pytest.mark.parametrize("label", sorted(HOSTILE))
def test_hostile_cell_gains_nothing_and_breaks_nothing(tmp_path, label):
    """Does a hostile svm_loss_vectorized cell score 0 there, while every other function keeps full marks?"""
    report = svm_report(tmp_path, HOSTILE[label])
    assert report.error is None, report.error
    assert_only_cell_lost(report, "svm_loss_vectorized")
    failures = [t.output for t in report.tests if t.grade_id == "test_svm_loss_vectorized"]
    assert all(msg and msg != "passed" for msg in failures)


def test_messages_say_what_happened(tmp_path):
    """Do time-outs and exits produce messages that name the cause?"""
    loop = svm_report(tmp_path / "a", HOSTILE["infinite loop"])
    assert any("time limit" in t.output for t in loop.tests if t.grade_id == "test_svm_loss_vectorized")
    exited = svm_report(tmp_path / "b", HOSTILE["os._exit in call"])
    assert any("exit" in t.output for t in exited.tests if t.grade_id == "test_svm_loss_vectorized")
    objects = svm_report(tmp_path / "c", HOSTILE["object array"])
    assert any("plain data" in t.output or "object" in t.output
               for t in objects.tests if t.grade_id == "test_svm_loss_vectorized")


def processes_with(marker: str) -> list[int]:
    """PIDs of processes whose command line carries ``marker`` (only this test's own processes)."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                if marker.encode() in fh.read():
                    found.append(int(pid))
        except OSError:
            continue
    return found


def test_background_processes_end_with_the_grading(tmp_path):
    """Do processes a student starts (detached ones included) end when grading ends?"""
    marker = f"300.{os.getpid()}{time.monotonic_ns() % 10**9:09d}"   # sleep accepts a fraction: unique argv
    spawner = '''
import subprocess, os
subprocess.Popen(["sleep", "MARK"])
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execvp("sleep", ["sleep", "MARK"])
    os._exit(0)
def svm_loss_vectorized(W, X, y, reg):
    subprocess.Popen(["sleep", "MARK"], start_new_session=True)
    return 0.0, np.zeros(W.shape)
'''.replace("MARK", marker)
    report = svm_report(tmp_path, spawner)
    assert report.error is None
    assert_only_cell_lost(report, "svm_loss_vectorized")
    assert processes_with(marker) == []
    # negative control: the scan does see such a process while it runs
    sleeper = subprocess.Popen(["sleep", marker])
    try:
        deadline = time.monotonic() + 5
        while processes_with(marker) != [sleeper.pid] and time.monotonic() < deadline:
            time.sleep(0.01)   # Popen may return before the child has exec'd sleep
        assert processes_with(marker) == [sleeper.pid]
    finally:
        sleeper.kill()
        sleeper.wait()


def edit_cells(tmp_path, notebook, edit):
    return grade_notebook(submission(tmp_path, notebook, edit=edit), seed=SEED, limits=FAST)


def test_missing_cell_scores_zero_with_a_message(tmp_path):
    """Is a deleted solution cell reported as missing, with the rest graded?"""
    report = edit_cells(tmp_path, "svm", lambda nb: nb.cells.__setitem__(
        slice(None), [c for c in nb.cells if grade_id(c) != "svm_loss_naive"]))
    assert_only_cell_lost(report, "svm_loss_naive")
    assert all("missing" in t.output for t in report.tests if t.grade_id == "test_svm_loss_naive")


def test_retyped_and_renamed_cells(tmp_path):
    """Is a solution cell turned into markdown, or with its grade_id renamed, reported and scored 0?"""
    def retype(nb):
        for i, c in enumerate(nb.cells):
            if grade_id(c) == "predict_labels":
                nb.cells[i] = nbformat.v4.new_markdown_cell(c.source, metadata=c.metadata)

    report = edit_cells(tmp_path / "a", "knn", retype)
    assert_only_cell_lost(report, "predict_labels")
    assert all("markdown" in t.output for t in report.tests if t.grade_id == "test_predict_labels")

    def rename(nb):
        for c in nb.cells:
            if grade_id(c) == "cross_validate_knn":
                c.metadata["nbgrader"]["grade_id"] = "my_cv"
    report = edit_cells(tmp_path / "b", "knn", rename)
    assert_only_cell_lost(report, "cross_validate_knn")


def test_duplicated_cell_uses_the_last_copy(tmp_path):
    """With a solution cell duplicated (a wrong copy first), is the last copy graded?"""
    def duplicate(nb):
        i = next(i for i, c in enumerate(nb.cells) if grade_id(c) == "softmax_loss_naive")
        wrong = nbformat.v4.new_code_cell("def softmax_loss_naive(W, X, y, reg):\n    return 0.0, 0 * W",
                                          metadata=nb.cells[i].metadata)
        nb.cells.insert(i, wrong)
    report = edit_cells(tmp_path, "softmax", duplicate)
    assert report.score == report.max_score == sum(full_points("softmax").values())


def test_seed_is_recorded_and_reproducible():
    """Is the seed in the report, and does the same seed give the same result?"""
    path = paths.release_notebook("assignment1", "softmax")
    a, b = grade_notebook(path, seed=7), grade_notebook(path, seed=7)
    assert a.seed == 7 and a.to_gradescope()["extra_data"]["seed"] == 7
    assert [t.output for t in a.tests] == [t.output for t in b.tests]
    seeds = {grade_notebook(path).seed for _ in range(3)}
    assert seeds == {20270122}, "without --seed every run should use the assignment's seed (assignments/assignment1.toml)"


def run_cli(*args):
    env = dict(os.environ)
    return subprocess.run([sys.executable, "-m", "autograder", "grade", *args], capture_output=True, text=True,
                          env=env, timeout=300, cwd=paths.REPO_ROOT)


def test_cli_json_for_several_paths_with_an_unreadable_one(tmp_path):
    """Does --json give one document per path, an error for the unreadable file, and exit status 0?"""
    broken = tmp_path / "assignment1" / "svm.ipynb"
    broken.parent.mkdir(parents=True)
    broken.write_text('{"cells": [ {"cell_type": "code", "sou')
    good = paths.source_notebook("assignment1", "softmax")
    run = run_cli(str(good), str(broken), "--json", "--seed", "3")
    assert run.returncode == 0, run.stderr
    doc = json.loads(run.stdout)
    assert set(doc) >= {"score", "max_score", "tests", "submissions"}
    first, second = doc["submissions"]
    assert first["path"] == str(good) and first["score"] == first["max_score"] == 8 and "error" not in first
    assert second["path"] == str(broken) and "not a readable notebook" in second["error"]
    test = first["tests"][0]
    assert set(test) == {"name", "score", "max_score", "output", "visibility", "extra_data"}
    assert set(test["extra_data"]) == {"grade_id", "function", "notebook"}
    assert {t["extra_data"]["function"] for t in first["tests"]} == {"softmax_loss_naive", "softmax_loss_vectorized"}


def test_cli_single_path_json_is_one_document():
    """Does a single path give one results.json document with the Gradescope fields?"""
    run = run_cli(str(paths.release_notebook("assignment1", "knn")), "--json")
    assert run.returncode == 0, run.stderr
    doc = json.loads(run.stdout)
    assert doc["score"] == 0 and doc["max_score"] == 15 and "submissions" not in doc
    assert {t["extra_data"]["function"] for t in doc["tests"]} >= {"KNearestNeighbor.predict_labels",
                                                                   "cross_validate_knn"}
