"""The class report (autograder/tools/class_report.py): from a results store to an offline HTML page
with plots and a CSV of the same numbers. Built here from hand-made results whose numbers are known."""
from __future__ import annotations

import base64
import csv
import re
import subprocess
import sys

from autograder.batch.store import ResultStore
from autograder.engine.report import NotebookReport, split_points
from autograder.engine.report import TestResult as Result
from cs231n_lib import paths

ASSIGNMENT = "assignment1"
SAYS = "your dW is what you get when the correct-class column is not updated"


def report(student, notebook, fails=(), diagnosis=None, error=None, seconds=0.5, hostile=False):
    """A graded notebook with two functions of two tests each; ``fails`` names failing test ids."""
    r = NotebookReport(f"{student}/{ASSIGNMENT}/{notebook}.ipynb", ASSIGNMENT, notebook, 1, error=error,
                       seconds=seconds)
    if error:
        return r
    for fn in ("f", "g"):
        for i in (1, 2):
            tid = f"{notebook}_{fn}_{i}"
            failed = tid in fails
            out = ("<script>alert(1)</script> wrong for N=%d" % (7 + len(student)) if hostile else
                   f"the loss is off by {len(student)}.5 for N=7") if failed else "passed"
            r.tests.append(Result(f"question {fn}{i}?", f"test_{fn}", fn, notebook, not failed, out,
                                      status="failed" if failed else "passed", test_id=tid,
                                      diagnosis={"mistake": f"{fn}/known", "says": SAYS} if failed and diagnosis else None))
    split_points(r.tests, {"test_f": 4.0, "test_g": 2.0})
    return r


def build_store(tmp_path):
    store = ResultStore(tmp_path / "results", ASSIGNMENT)
    rows = {
        ("ana", "svm"): report("ana", "svm"),
        ("ana", "knn"): report("ana", "knn"),
        ("bo", "svm"): report("bo", "svm", fails={"svm_f_1"}, diagnosis=True, seconds=1.5),
        ("bo", "knn"): report("bo", "knn", fails={"knn_g_1", "knn_g_2"}, hostile=True),
        ("cy", "svm"): report("cy", "svm", fails={"svm_f_1"}, diagnosis=True),
        ("cy", "knn"): report("cy", "knn", error="knn.ipynb is not a readable notebook (truncated)"),
    }
    for (student, nb), r in rows.items():
        store.save(student, nb, "fp", r)
    return store


def test_report_html_and_csv(tmp_path):
    store = build_store(tmp_path)
    out = subprocess.run([sys.executable, "-m", "autograder", "report", ASSIGNMENT, "--results", str(store.folder),
                          "--out", str(tmp_path / "out")], capture_output=True, text=True, cwd=paths.REPO_ROOT,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert "3 students, 5 notebooks graded, 1 flagged" in out.stdout
    assert f"mistake x2: f: {SAYS}" in out.stdout

    page = (tmp_path / "out" / "class_report.html").read_text()
    images = re.findall(r"src='data:image/png;base64,([A-Za-z0-9+/=]+)'", page)
    assert len(images) == 5 and all(base64.b64decode(i)[:8] == b"\x89PNG\r\n\x1a\n" for i in images)
    assert not re.search(r"(src|href)=['\"]?(https?:|//)", page) and "<script" not in page  # offline, inert
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page          # student text is escaped
    for heading in ("Score distribution per notebook", "Score distribution per function",
                    "Failure rate of each hidden test", "Most common failure messages",
                    "Known mistakes found", "Time per submission", "Notebooks not graded"):
        assert heading in page
    assert "knn.ipynb is not a readable notebook (truncated)" in page and SAYS in page

    rows = list(csv.DictReader(open(tmp_path / "out" / "class_report.csv")))
    by = lambda section: [r for r in rows if r["section"] == section]  # noqa: E731
    scores = {(r["student"], r["notebook"]): r["value"] for r in by("student")}
    assert scores == {("ana", "knn"): "6.0", ("ana", "svm"): "6.0", ("bo", "knn"): "4.0",
                      ("bo", "svm"): "4.0", ("cy", "knn"): "", ("cy", "svm"): "4.0"}
    tests = {(r["notebook"], r["item"]): (r["value"], r["count"], r["max"]) for r in by("test")}
    assert tests[("svm", "question f1?")] == ("0.6667", "3", "2")      # failed by 2 of the 3 who ran it
    assert tests[("knn", "question g2?")] == ("0.5", "2", "1")
    assert tests[("knn", "question f1?")] == ("0.0", "2", "0")
    messages = {(r["function"], r["item"]): int(r["count"]) for r in by("message")}
    assert messages[("f", "the loss is off by # for N=#")] == 2     # numbers blanked: one kind of failure
    assert [(r["student"], r["notebook"], r["text"]) for r in by("ungraded")] == [
        ("cy", "knn", "knn.ipynb is not a readable notebook (truncated)")]
    assert [(r["function"], r["item"], r["count"], r["text"]) for r in by("mistake")] == [("f", "f/known", "2", SAYS)]
    assert {r["student"]: r["value"] for r in by("time")} == {"ana": "1.0", "bo": "2.0", "cy": "1.0"}


def test_report_without_results_says_what_to_do(tmp_path):
    out = subprocess.run([sys.executable, "-m", "autograder", "report", ASSIGNMENT, "--results",
                          str(tmp_path / "empty")], capture_output=True, text=True, cwd=paths.REPO_ROOT, timeout=60)
    assert out.returncode == 1 and "grade them first" in out.stderr
