"""Finding submitted notebooks and grouping them per student: the units of a batch.

nbgrader's layout is ``<submitted>/<student>/<assignment>/<notebook>.ipynb``: a student's
submission of an assignment is one folder. ``find_submissions`` takes files and folders (a
folder is searched for notebooks) and groups the notebooks by the folder they are in.
"""
from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from autograder.engine import grading


@dataclass
class Submission:
    """One student's submission of one assignment: ``notebooks`` maps notebook name -> file."""
    student: str
    assignment: str
    notebooks: dict[str, Path] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.student}/{self.assignment}"


def notebook_files(paths) -> list[Path]:
    """The notebooks named by paths, in their order (a folder: its notebooks, sorted)."""
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            files += sorted(f for f in p.rglob("*.ipynb") if ".ipynb_checkpoints" not in f.parts)
        else:
            files.append(p)
    return files


def find_submissions(paths, assignment: str | None = None) -> list[Submission]:
    """Submissions from notebook files and folders, in a stable order.

    The student is the name of the folder above the assignment folder; the assignment is
    ``assignment`` if given, else the name of the notebook's folder.
    """
    files = notebook_files(paths)
    groups: dict[Path, Submission] = {}
    seen: dict[tuple[str, str], Path] = {}
    for f in files:
        folder = f.parent.resolve() if f.parent.exists() else f.parent
        sub = groups.get(folder)
        if sub is None:
            sub = groups[folder] = Submission(f.parent.parent.name or "student", assignment or f.parent.name)
            if (sub.student, sub.assignment) in seen:
                raise ValueError(f"two folders hold the submission of {sub.student}/{sub.assignment}: "
                                 f"{seen[(sub.student, sub.assignment)]} and {folder}")
            seen[(sub.student, sub.assignment)] = folder
        if f.stem in sub.notebooks:
            raise ValueError(f"{f} is given twice")
        sub.notebooks[f.stem] = f
    return sorted(groups.values(), key=lambda s: (s.assignment, s.student))


def _digest(files) -> str:
    h = hashlib.sha256()
    for f in files:
        h.update(str(f.name).encode())
        h.update(f.read_bytes() if f.is_file() else b"")
    return h.hexdigest()[:16]


@functools.lru_cache(maxsize=None)
def grader_fingerprint(assignment: str, notebook: str) -> str:
    """What decides a notebook's grade besides the submission: its suite, its mistake library,
    the instructor notebook, the suite kit and the engine. A stored result made with other
    versions of these is not reused."""
    root = grading.SUITES_DIR
    files = [root / assignment / f"{notebook}.py", root / assignment / "mistakes" / f"{notebook}.py",
             grading.paths.source_notebook(assignment, notebook)]
    files += sorted((root / "kit").glob("*.py")) + sorted(Path(grading.__file__).parent.glob("*.py"))
    return _digest(files)
