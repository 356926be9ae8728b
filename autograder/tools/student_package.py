"""``python -m autograder.tools.student_package`` (``make student``): what students get, and nothing more.

Writes ``build/student/cs231n-student/`` and ``build/student/cs231n-student.zip``:

- ``release/<assignment>/*.ipynb`` for every assignment that has a release;
- ``cs231n_lib/`` (the support code the notebooks import; never a graded function's solution);
- ``requirements.txt`` (the repository's pins minus the instructor's tools: no nbgrader and its
  server extensions, no test runners), ``constraints.txt``, a ``pyproject.toml`` that makes
  ``cs231n_lib`` importable from any folder (``pip install -e .``), ``.gitignore``;
- ``README.md``: set-up in two commands, the assignments in order, how the checks work, the data,
  and the three ways to submit (nbgrader exchange, a zip for the LMS, Gradescope).

Before anything is written, the package is scanned (``leaks``) for every secret of the
repository: a line of any solution or model answer of any source notebook, a distinctive line of
any file under ``autograder/`` (hidden suites, grader), an nbgrader marker. The build fails if
one is found.
"""
from __future__ import annotations

import argparse
import re
import shutil
import sys
import zipfile
from pathlib import Path

import nbformat

from autograder.engine.assignments import AssignmentError, assignment_names, load_assignment
from cs231n_lib import paths

ROOT = paths.REPO_ROOT
NAME = "cs231n-student"
DEFAULT_DEST = ROOT / "build" / "student"
MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS",
           "BEGIN MARK SCHEME", "END MARK SCHEME")
MIN_SOLUTION_LINE = 10   # shorter lines ("else:", "pass") are too common to reveal anything
MIN_GRADER_LINE = 25
INSTRUCTOR_ONLY = {"nbgrader", "sqlalchemy", "pytest", "pytest-timeout", "nbval", "latex2mathml", "nbclient",
                   "dask", "distributed"}  # grading, tests and feedback: the instructor's side only
PACKAGE_FILES = ("README.md", "requirements.txt", "constraints.txt", "pyproject.toml", ".gitignore")


# ---- what must never reach a student ------------------------------------------------------

def _cell_lines(path: Path) -> list[tuple[bool, str]]:
    """``(inside a solution region, stripped line)`` for every line of every cell of a notebook."""
    out, inside = [], False
    for cell in nbformat.read(str(path), as_version=4).cells:
        for line in cell.source.splitlines():
            if "BEGIN SOLUTION" in line:
                inside = True
            elif "END SOLUTION" in line:
                inside = False
            else:
                out.append((inside, line.strip()))
        inside = False
    return out


def solution_lines(source_dir: Path = paths.SOURCE_DIR) -> set[str]:
    """Lines of solutions and model answers in any source notebook that students are not given
    anyway (a line that also stands outside every solution region, e.g. ``import numpy as np``,
    reveals nothing)."""
    inside, outside = set(), set()
    for path in sorted(Path(source_dir).glob("*/*.ipynb")):
        for is_solution, line in _cell_lines(path):
            (inside if is_solution else outside).add(line)
    return {line for line in inside - outside if len(line) >= MIN_SOLUTION_LINE}


def grader_lines(autograder_dir: Path = ROOT / "autograder", source_dir: Path = paths.SOURCE_DIR,
                 lib_dir: Path = ROOT / "cs231n_lib") -> set[str]:
    """Distinctive lines of every file under ``autograder/`` (hidden suites, grader, templates) that
    neither a notebook nor the support library contains."""
    public = {line for p in sorted(Path(source_dir).glob("*/*.ipynb")) for _, line in _cell_lines(p)}
    public |= {line.strip() for p in Path(lib_dir).rglob("*.py") for line in p.read_text().splitlines()}
    found = set()
    for path in sorted(p for p in Path(autograder_dir).rglob("*") if p.is_file()):
        if path.resolve() == Path(__file__).resolve() or path.suffix == ".pyc":
            continue  # this module's text is the package's template (README, pyproject): public by design
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for line in text.splitlines():
            line = line.strip()
            if len(line) >= MIN_GRADER_LINE and not line.startswith(("#", '"', "'")) and line not in public:
                found.add(line)
    return found


def _text_lines(path: Path) -> list[str]:
    if path.suffix == ".ipynb":
        return [line for _, line in _cell_lines(path)]
    try:
        return [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    except UnicodeDecodeError:
        return []


def leaks(folder: Path, solutions: set[str] | None = None, grader: set[str] | None = None) -> list[str]:
    """Everything in ``folder`` that reveals a solution, a model answer, the grader or a marker."""
    solutions = solution_lines() if solutions is None else solutions
    grader = grader_lines() if grader is None else grader
    found = []
    for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
        rel = path.relative_to(folder)
        if rel.parts[0] in ("autograder", "source_nb", "tests") or path.suffix in (".pyc", ".db"):
            found.append(f"{rel}: instructor file")
            continue
        raw = path.read_bytes()
        found += [f"{rel}: marker {m!r}" for m in MARKERS if m.encode() in raw]
        lines = set(_text_lines(path))
        found += [f"{rel}: solution line {line!r}" for line in sorted(lines & solutions)]
        found += [f"{rel}: grader line {line!r}" for line in sorted(lines & grader)]
    return found


# ---- the package ------------------------------------------------------------------------

def student_requirements(text: str) -> str:
    """The repository's requirements without the instructor's tools (nbgrader, test runners)."""
    keep = []
    for line in text.splitlines():
        name = re.split(r"[=<>~!; ]", line.split("#")[0].strip(), maxsplit=1)[0].lower()
        if name and name in INSTRUCTOR_ONLY:
            continue
        keep.append(line)
    return "\n".join(keep).replace("# Pinned direct dependencies", "# Pinned dependencies of the student notebooks", 1) + "\n"


PYPROJECT = """[build-system]
requires = ["setuptools>=65"]
build-backend = "setuptools.build_meta"

[project]
name = "cs231n-student"
version = "1.0"
description = "CS231n assignments: the notebooks and the support code they import."
requires-python = ">=3.10"

[tool.setuptools]
packages = ["cs231n_lib"]
"""

GITIGNORE = """.venv/
__pycache__/
.ipynb_checkpoints/
/data/
*.egg-info/
*_assignment*.zip
"""


def _plans() -> list:
    plans = []
    for name in assignment_names():
        if not (paths.RELEASE_DIR / name).is_dir():
            continue
        try:
            plans.append(load_assignment(name))
        except AssignmentError:
            plans.append(None)
    return plans


def readme(assignments: list[str]) -> str:
    """The student README."""
    plans = {p.name: p for p in _plans() if p is not None}
    parts = []
    for name in assignments:
        plan = plans.get(name)
        released = sorted(p.stem for p in (paths.RELEASE_DIR / name).glob("*.ipynb"))
        nbs = [nb for nb in plan.notebooks if nb in released] if plan else released
        title = plan.title if plan else name
        due = f" Due {plan.due.strftime('%Y-%m-%d %H:%M %Z').strip()}." if plan else ""
        order = ", then ".join(f"`{nb}.ipynb`" for nb in nbs)
        parts.append(f"- **{title}** (`release/{name}/`): {order}.{due}")
    listing = "\n".join(parts)
    return f"""# CS231n assignments

The notebooks of the course and the small library they import (`cs231n_lib`). Everything runs on
your own machine, offline if need be.

## Set up (Python 3.10 or newer)

In this folder:

```bash
python3 -m venv .venv
.venv/bin/pip install -r requirements.txt -c constraints.txt -e .
```

(On Windows: `.venv\\Scripts\\pip` instead of `.venv/bin/pip`.) Then start JupyterLab with
`.venv/bin/jupyter lab` (Windows: `.venv\\Scripts\\jupyter lab`); no need to activate anything.

## The assignments, in order

{listing}

In each notebook, implement every function where it says `# YOUR CODE HERE` (keep the name and
the signature), then run the check cell right under it. A check compares your function with
hand-computed values, an independent reference or numerical gradients; when it fails it says
what it expected and what it got, and often what the usual mistake is. Passing the checks is a
good sign, not a guarantee: after you submit, a hidden suite tests the same functions on other
inputs. Answer the written questions in the cells that say `YOUR ANSWER HERE`.

## Data

The course uses CIFAR-10: `.venv/bin/python -m cs231n_lib.download` downloads it into `data/`
(about 170 MB, checked and resumable). Without it the notebooks use a small dataset bundled
with scikit-learn (8x8 images of digits) and say so in one line; everything runs either way,
but some numbers and pictures differ (the notebooks say which).

## Submit

Restart the kernel and run every cell top to bottom (Kernel > Restart Kernel and Run All Cells),
save, then submit the way your course asks:

- **nbgrader exchange** (a course JupyterHub with nbgrader): the Assignments tab, or in a terminal
  `cd release && nbgrader submit assignment1 --course cs231n-workbook`.
- **A zip for the course website (LMS)**: `.venv/bin/python -m cs231n_lib.handin assignment1
  --student <your id>` writes `<your id>_assignment1.zip` with your notebooks; upload that file
  as it is (do not rename it). It refuses a notebook file that cannot be read and lists the
  answers you left open.
- **Gradescope**: upload the same zip, or the `.ipynb` files of `release/assignment1/`.

Replace `assignment1` by the assignment you submit. Keep your own copy of your work.
"""


def build(dest: Path = DEFAULT_DEST) -> tuple[Path, Path]:
    """Write the package folder and its zip under ``dest``; returns ``(folder, zip)``.
    Raises ``RuntimeError`` (listing what) when the package would reveal a secret."""
    dest = Path(dest)
    folder = dest / NAME
    staging = dest / f".{NAME}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    assignments = sorted(p.name for p in paths.RELEASE_DIR.iterdir()
                         if p.is_dir() and any(p.glob("*.ipynb")))
    for name in assignments:
        (staging / "release" / name).mkdir(parents=True)
        for nb in sorted((paths.RELEASE_DIR / name).glob("*.ipynb")):
            shutil.copy2(nb, staging / "release" / name / nb.name)
    shutil.copytree(ROOT / "cs231n_lib", staging / "cs231n_lib",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints"))
    (staging / "requirements.txt").write_text(student_requirements((ROOT / "requirements.txt").read_text()))
    shutil.copy2(ROOT / "constraints.txt", staging / "constraints.txt")
    (staging / "pyproject.toml").write_text(PYPROJECT)
    (staging / ".gitignore").write_text(GITIGNORE)
    (staging / "README.md").write_text(readme(assignments))
    found = leaks(staging)
    if found:
        shutil.rmtree(staging)
        raise RuntimeError("the student package would reveal:\n  " + "\n  ".join(found[:50]))
    shutil.rmtree(folder, ignore_errors=True)
    staging.rename(folder)
    archive = dest / f"{NAME}.zip"
    partial = dest / f".{NAME}.zip.partial"
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            zf.write(path, Path(NAME) / path.relative_to(folder))
    partial.replace(archive)
    return folder, archive


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.tools.student_package",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--dest", type=Path, default=DEFAULT_DEST, help="output folder (default: build/student)")
    args = parser.parse_args(argv)
    try:
        folder, archive = build(args.dest)
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    files = sum(1 for p in folder.rglob("*") if p.is_file())
    print(f"student package: {folder} ({files} files) and {archive}; scanned: no solution, model answer, "
          "hidden suite or marker")
    return 0


if __name__ == "__main__":
    sys.exit(main())
