"""Is release/ fresh (regenerating it changes nothing) and leak-free?"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from cs231n_lib import paths

ASSIGNMENTS = sorted(p.name for p in paths.SOURCE_DIR.iterdir() if p.is_dir())
SOURCE_NOTEBOOKS = sorted(paths.SOURCE_DIR.glob("*/*.ipynb"))
MARKERS = ["BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS",
           "BEGIN MARK SCHEME", "END MARK SCHEME"]
MIN_LEAK_LINE = 10  # shorter stripped lines ("else:", "pass") are too common to mean anything


def release_path(source: Path) -> Path:
    return paths.RELEASE_DIR / source.parent.name / source.name


def solution_lines(source: Path) -> set[str]:
    """Stripped lines that sit between BEGIN SOLUTION and END SOLUTION in a source notebook."""
    lines, inside = set(), False
    for cell in nbformat.read(str(source), as_version=4).cells:
        for line in cell.source.splitlines():
            if "BEGIN SOLUTION" in line:
                inside = True
            elif "END SOLUTION" in line:
                inside = False
            elif inside and len(line.strip()) >= MIN_LEAK_LINE:
                lines.add(line.strip())
    return lines


def test_every_source_notebook_has_a_release():
    """Does every source notebook have a student version, and nothing else sit in release/?"""
    assert SOURCE_NOTEBOOKS, "no source notebooks found"
    released = sorted(paths.RELEASE_DIR.glob("*/*"))
    assert sorted(release_path(s) for s in SOURCE_NOTEBOOKS) == released


@pytest.mark.parametrize("source", SOURCE_NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_no_solution_line_or_marker_leaks(source):
    """Does no solution line and no nbgrader marker of the source survive in the release?"""
    released = release_path(source).read_text()
    text_lines = {line.strip() for cell in nbformat.reads(released, as_version=4).cells
                  for line in cell.source.splitlines()}
    leaked = sorted(solution_lines(source) & text_lines)
    assert not leaked, f"solution lines in {release_path(source)}: {leaked[:5]}"
    for marker in MARKERS:
        assert marker not in released, f"marker {marker!r} left in {release_path(source)}"


@pytest.mark.parametrize("source", SOURCE_NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_release_keeps_every_graded_cell_as_a_stub(source):
    """Does the release keep every graded cell (same grade_id and points), with each solution cell stubbed?"""
    def graded(nb):
        return {c.metadata["nbgrader"]["grade_id"]: c for c in nb.cells
                if c.metadata.get("nbgrader", {}).get("grade_id")}
    src = graded(nbformat.read(str(source), as_version=4))
    rel = graded(nbformat.read(str(release_path(source)), as_version=4))
    assert list(src) == list(rel)
    for gid, cell in rel.items():
        meta = cell.metadata["nbgrader"]
        assert meta.get("points") == src[gid].metadata["nbgrader"].get("points")
        if meta.get("solution"):
            stub = "raise NotImplementedError()" if cell.cell_type == "code" else "YOUR ANSWER HERE"
            assert stub in cell.source, f"{gid}: solution cell has no stub"
        elif meta.get("locked"):
            assert cell.source == src[gid].source, f"{gid}: locked cell differs from the source"


def test_regenerating_the_release_changes_nothing(tmp_path):
    """Does `nbgrader generate_assignment` on source_nb/ reproduce the committed release/ byte for byte?"""
    course = tmp_path / "course"
    shutil.copytree(paths.SOURCE_DIR, course / "source_nb")
    shutil.copy(paths.REPO_ROOT / "nbgrader_config.py", course / "nbgrader_config.py")
    env = dict(os.environ, CS231N_WORKSPACE=str(tmp_path / "workspace"))
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    nbgrader = [sys.executable, "-m", "nbgrader"]
    for assignment in ASSIGNMENTS:
        run = subprocess.run(nbgrader + ["generate_assignment", assignment, "--force", "--log-level=WARN"],
                             cwd=course, env=env, capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, run.stdout + run.stderr
    fresh = sorted(p.relative_to(course / "release") for p in (course / "release").rglob("*") if p.is_file())
    committed = sorted(p.relative_to(paths.RELEASE_DIR) for p in paths.RELEASE_DIR.rglob("*") if p.is_file())
    assert fresh == committed, "run `make release` and commit release/"
    stale = [str(p) for p in fresh if (course / "release" / p).read_bytes() != (paths.RELEASE_DIR / p).read_bytes()]
    assert not stale, f"release/ is stale for {stale}: run `make release` and commit release/"


def test_leak_check_catches_a_leak(tmp_path):
    """Negative control: does the leak check see a solution line copied into a release notebook?"""
    source = paths.source_notebook("assignment1", "svm")
    nb = nbformat.read(str(release_path(source)), as_version=4)
    secret = sorted(solution_lines(source))[0]
    nb.cells[-1].source += "\n" + secret
    text_lines = {line.strip() for cell in nb.cells for line in cell.source.splitlines()}
    assert solution_lines(source) & text_lines == {secret}
    assert re.search("BEGIN SOLUTION", nbformat.writes(nb)) is None
