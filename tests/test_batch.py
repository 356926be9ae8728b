"""Batch grading (autograder/batch): the pool, the crash-safe results store, the Dask back end.

The crash test kills a running batch with SIGKILL, checks that what it left is whole (every
stored result complete, nothing of it still running), then runs the same command again and
checks that the rerun graded exactly the missing notebooks, left the stored ones untouched,
and that the store ends with one result per notebook, equal to what a clean run gives.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autograder.batch.run import grade_paths
from autograder.batch.store import ResultStore, write_atomically
from autograder.batch.submissions import find_submissions
from autograder.tools import demo
from cs231n_lib import paths

ASSIGNMENT = "assignment1"
SEED = 20270120


def make_submissions(root: Path, copies: int, kinds=None) -> Path:
    """The demo students (solved, untouched, buggy, broken, or those of ``kinds``), ``copies`` times each."""
    workspace = root / "ws"
    students = demo.submissions(paths.REPO_ROOT)
    for i in range(copies):
        for student, files in students.items():
            if kinds is None or student in kinds:
                demo.submit(workspace, f"{student}-{i:02d}", files)
    return workspace / "submitted"


def expected_scores(student: str) -> dict[str, float | None]:
    kind = student.rsplit("-", 1)[0]
    full = {"knn": 15.0, "svm": 14.0, "softmax": 8.0}
    if kind == "s2-untouched":
        return {nb: 0.0 for nb in full}
    if kind == "s3-buggy":
        return {**full, "svm": None}  # loses points on svm_loss_vectorized only
    if kind == "s4-broken":
        return {**full, "knn": "error"}
    return full


def check_complete(store: ResultStore, students: list[str]) -> None:
    results = store.results()
    keys = [(r.student, r.notebook) for r in results]
    assert sorted(keys) == sorted((s, nb) for s in students for nb in demo.NOTEBOOKS)
    assert len(set(keys)) == len(keys)
    assert store.partial_files() == []
    for r in results:
        want = expected_scores(r.student)[r.notebook]
        if want == "error":
            assert r.report.error and "not a readable notebook" in r.report.error
        elif want is None:
            assert 0 < r.report.score < r.report.max_score
            assert {t.function for t in r.report.tests if not t.passed} == {"svm_loss_vectorized"}
            assert {t.diagnosis["mistake"] for t in r.report.tests if t.diagnosis} == \
                {"svm_loss_vectorized/loss-without-half"}
        else:
            assert r.report.error is None and r.report.score == want, (r.student, r.notebook)


def reap_orphans(seconds: float = 3.0) -> None:
    """Reap the killed processes that came to this process: it is a subreaper once it has started a
    worker, so the orphans of a killed batch or Dask worker end as its zombies."""
    deadline, settled = time.monotonic() + seconds, time.monotonic() + 1.0
    while time.monotonic() < deadline:
        zombies = []
        for name in os.listdir("/proc"):
            try:
                stat = open(f"/proc/{name}/stat", "rb").read() if name.isdigit() else b""
            except OSError:
                continue
            fields = stat[stat.rindex(b")") + 2:].split() if stat else []
            if fields and fields[0] == b"Z" and int(fields[1]) == os.getpid():
                zombies.append(int(name))
        for pid in zombies:
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass
        if not zombies and time.monotonic() > settled:
            return
        time.sleep(0.1)


def summary_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.startswith("graded ")]
    assert len(lines) == 1, stderr
    return lines[0]


def descendants(root: int) -> list[int]:
    parents = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                stat = open(f"/proc/{name}/stat", "rb").read()
                parents[int(name)] = int(stat[stat.rindex(b")") + 2:].split()[1])
            except (OSError, ValueError):
                pass
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        kids = [p for p, pp in parents.items() if pp == pid]
        found += kids
        todo += kids
    return found


def batch_processes(marker: str) -> list[int]:
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                if marker.encode() in open(f"/proc/{name}/cmdline", "rb").read():
                    found.append(int(name))
            except OSError:
                pass
    return found


def test_a_killed_batch_is_completed_by_a_rerun_without_duplicates(tmp_path):
    submitted = make_submissions(tmp_path, 4)          # 16 submissions, 48 notebooks
    results = tmp_path / "results-kill-test"
    cmd = [sys.executable, "-m", "autograder", "grade", str(submitted), "--jobs", "2", "--quiet",
           "--results", str(results), "--seed", str(SEED)]
    store = ResultStore(results, ASSIGNMENT)
    first = subprocess.Popen(cmd, cwd=paths.REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while len(list(results.glob("*/*.json"))) < 4 and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    below = descendants(first.pid)
    os.kill(first.pid, signal.SIGKILL)
    first.communicate()
    assert first.returncode == -signal.SIGKILL, "the batch ended before it could be killed: the test proves nothing"
    assert below, "the batch had no grading processes: the test proves nothing"
    time.sleep(1.0)
    assert batch_processes(str(results)) == [], "grading processes outlived the killed batch"
    reap_orphans()

    kept = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in results.glob("*/*.json")}
    assert 4 <= len(kept) < 48
    for path in kept:  # whole results only: every stored file parses and holds a complete report
        doc = json.loads(path.read_text())
        assert doc["fingerprint"] and doc["report"]["tests"] or doc["report"]["error"]

    second = subprocess.run(cmd, cwd=paths.REPO_ROOT, capture_output=True, text=True, timeout=600)
    assert second.returncode == 0, second.stderr
    summary = summary_line(second.stderr)
    assert summary.startswith(f"graded {48 - len(kept)} notebooks of "), summary
    assert f"{len(kept)} already in the results store" in summary
    for path, stamp in kept.items():  # what was stored is not graded again
        assert (path.stat().st_ino, path.stat().st_mtime_ns) == stamp
    check_complete(store, sorted(d.name for d in submitted.iterdir()))

    third = subprocess.run(cmd, cwd=paths.REPO_ROOT, capture_output=True, text=True, timeout=600)
    assert summary_line(third.stderr).startswith("graded 0 notebooks of 0 submissions"), third.stderr


def test_a_resubmitted_notebook_is_graded_again(tmp_path):
    submitted = make_submissions(tmp_path, 1)
    results = tmp_path / "results"
    grade_paths([submitted / "s1-solved-00"], seed=SEED, results=str(results))
    again = grade_paths([submitted / "s1-solved-00"], seed=SEED, results=str(results))
    assert (again.graded_notebooks, again.reused_notebooks) == (0, 3)
    # the student resubmits svm.ipynb with the bug: only that notebook is graded again
    buggy = submitted / "s3-buggy-00" / ASSIGNMENT / "svm.ipynb"
    (submitted / "s1-solved-00" / ASSIGNMENT / "svm.ipynb").write_bytes(buggy.read_bytes())
    third = grade_paths([submitted / "s1-solved-00"], seed=SEED, results=str(results))
    assert (third.graded_notebooks, third.reused_notebooks) == (1, 2)
    svm = ResultStore(results, ASSIGNMENT).load("s1-solved-00", "svm").report
    assert svm.score < svm.max_score
    # another seed is another grading
    fourth = grade_paths([submitted / "s1-solved-00"], seed=SEED + 1, results=str(results))
    assert fourth.graded_notebooks == 3


def test_an_interrupted_write_leaves_the_old_result(tmp_path, monkeypatch):
    target = tmp_path / "s1" / "svm.json"
    write_atomically(target, '{"old": true}\n')

    def broken_replace(src, dst):
        raise OSError("the machine stopped here")
    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        write_atomically(target, '{"new": true}\n')
    assert json.loads(target.read_text()) == {"old": True}
    assert list(target.parent.iterdir()) == [target]


def test_the_pool_gives_the_same_reports_as_one_process(tmp_path):
    submitted = make_submissions(tmp_path, 1, kinds=("s3-buggy", "s4-broken"))
    one = grade_paths([submitted], seed=SEED, jobs=1)
    two = grade_paths([submitted], seed=SEED, jobs=2)
    assert two.backend == "2 grading processes"
    assert [(r.path, r.score, r.error) for r in one.reports] == [(r.path, r.score, r.error) for r in two.reports]
    assert [t.output for r in one.reports for t in r.tests] == [t.output for r in two.reports for t in r.tests]


def test_submissions_are_grouped_per_student_folder(tmp_path):
    submitted = make_submissions(tmp_path, 1)
    subs = find_submissions([submitted])
    assert [(s.student, s.assignment, sorted(s.notebooks)) for s in subs] == [
        (f"{s}-00", ASSIGNMENT, sorted(demo.NOTEBOOKS)) for s in sorted(demo.submissions(paths.REPO_ROOT))]


def test_grading_through_a_dask_local_cluster(tmp_path):
    """A LocalCluster grades and stores like the pool; a worker killed mid-batch loses nothing."""
    pytest.importorskip("distributed")
    from autograder.batch.cluster import local_cluster, run_on_dask
    from autograder.batch.task import payload
    from distributed import Client
    kinds = ("s3-buggy", "s4-broken")
    submitted = make_submissions(tmp_path, 1, kinds)
    results = tmp_path / "results"
    more = make_submissions(tmp_path / "more", 2, ("s1-solved",))
    records, killed = [], []
    with local_cluster(2) as cluster, Client(cluster) as client:
        outcome = grade_paths([submitted], seed=SEED, results=str(results), scheduler=client)
        assert outcome.backend.startswith("Dask, 2 workers")
        check_complete(ResultStore(results, ASSIGNMENT), [f"{s}-00" for s in kinds])
        assert [r.path for r in outcome.reports] == [
            str(p) for s in kinds for p in sorted((submitted / f"{s}-00" / ASSIGNMENT).glob("*.ipynb"))]

        # a lost node: a worker process is killed while it grades; its task runs again elsewhere
        pids = client.run(os.getpid)

        def on_record(record):
            busy = [w for w, keys in client.processing().items() if keys]
            if not killed and busy:
                os.kill(pids[busy[0]], signal.SIGKILL)
                killed.append(busy[0])
            records.append(record)
        run_on_dask([payload(s, ship_bytes=True) for s in find_submissions([more])], on_record, client, seed=SEED)
    reap_orphans()  # the killed worker's sandbox
    assert killed, "no worker was busy when the first result came: the test proves nothing"
    assert sorted((r["student"], r["notebook"]) for r in records) == sorted(
        (f"s1-solved-{i:02d}", nb) for i in range(2) for nb in demo.NOTEBOOKS)
    got = {(r["student"], r["notebook"]): (r["report"]["error"], round(sum(t["score"] for t in r["report"]["tests"]), 6))
           for r in records}
    assert got == {k: (None, expected_scores("s1-solved")[k[1]]) for k in got}


def test_batch_keeps_its_layer():
    """autograder/batch sits above the engine and the sandbox, below the CLI, nbgrader_ext and tools."""
    from test_layering import ROOT, imports
    above = ("autograder.nbgrader_ext", "autograder.tools", "nbgrader")
    bad = [f"{f.name} imports {n}" for f in sorted((ROOT / "batch").rglob("*.py")) for n in imports(f)
           if any(n == a or n.startswith(a + ".") for a in above)]
    for layer in ("engine", "sandbox", "suites"):
        bad += [f"{f.name} imports {n}" for f in sorted((ROOT / layer).rglob("*.py")) for n in imports(f)
                if n == "autograder.batch" or n.startswith("autograder.batch.")]
    assert bad == []


def test_nbgrader_grading_ahead_stores_results_and_reuses_them(tmp_path):
    """The nbgrader path grades a student's notebooks together, keeps them in the results store, and a
    rerun (e.g. after nbgrader was killed) takes them from there instead of grading them again."""
    from autograder.nbgrader_ext.grading_ahead import _grade_group
    submitted = make_submissions(tmp_path, 1, ("s3-buggy",))
    files = {nb: str(submitted / "s3-buggy-00" / ASSIGNMENT / f"{nb}.ipynb") for nb in demo.NOTEBOOKS}
    folder = tmp_path / "results"
    first = _grade_group(files, "s3-buggy-00", ASSIGNMENT, SEED, str(folder))
    stored = {p: p.stat().st_mtime_ns for p in folder.glob("*/*.json")}
    assert len(stored) == 3
    again = _grade_group(files, "s3-buggy-00", ASSIGNMENT, SEED, str(folder))
    assert {p: p.stat().st_mtime_ns for p in folder.glob("*/*.json")} == stored
    assert {nb: (fp, r.score) for nb, (fp, r) in first.items()} == {nb: (fp, r.score) for nb, (fp, r) in again.items()}
    assert again["svm"][1].diagnoses()["svm_loss_vectorized"]["mistake"] == "svm_loss_vectorized/loss-without-half"
