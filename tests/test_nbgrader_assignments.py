"""Through the real ``nbgrader autograde``: every assignment after the first scores full marks for
its solutions and exactly 0 for its untouched release (assignment 1 has its own, deeper test in
test_nbgrader_path.py)."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from autograder.engine.assignments import assignment_names, load_assignment
from autograder.tools import demo

LATER = [a for a in assignment_names() if a != "assignment1"]


def nbgrader(course: Path, workspace: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(demo.nbgrader_cmd(*args), cwd=course, env=demo.tool_env(workspace),
                          capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """One course with every assignment; a solved and an untouched student for each later one."""
    course = tmp_path_factory.mktemp("nbgrader-assignments") / "course"
    workspace = demo.build_course(course)
    results = {}
    for assignment in LATER:
        notebooks = load_assignment(assignment).notebooks
        done = nbgrader(course, workspace, "generate_assignment", assignment, "--force")
        assert done.returncode == 0, done.stdout + done.stderr
        solved = {nb: demo.student_notebook(nb, demo.solution_sources(nb, assignment), course, assignment)
                  for nb in notebooks}
        demo.submit(workspace, "sol", solved, assignment)
        demo.submit(workspace, "rel", {nb: demo.student_notebook(nb, {}, course, assignment) for nb in notebooks},
                    assignment)
        results[assignment] = nbgrader(course, workspace, "autograde", assignment, "--force")
    return workspace, results


@pytest.mark.skipif(not LATER, reason="only assignment 1 is defined")
@pytest.mark.parametrize("assignment", LATER)
def test_solutions_full_marks_and_release_zero_through_nbgrader(course, assignment):
    """Does nbgrader autograde give the solutions every autograded point and the release none?"""
    workspace, results = course
    done = results[assignment]
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    rows = demo.grade_rows(workspace, ["sol", "rel"], assignment)
    assert {r["notebook"] for r in rows} == set(load_assignment(assignment).notebooks)
    for r in rows:
        assert r["max"] > 0, r
        if r["student"] == "sol":
            assert r["score"] == pytest.approx(r["max"]) and not r["lost"], r
        else:
            assert r["score"] == 0, r
