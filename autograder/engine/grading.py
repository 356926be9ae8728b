"""Grade one submitted notebook with its hidden suite: the engine behind the CLI and nbgrader.

    report = grade_notebook("submitted/s1-solved/assignment1/svm.ipynb", seed=1234)
"""
from __future__ import annotations

import functools
import importlib
import logging
import time
import types
from pathlib import Path

from cs231n_lib import paths
from cs231n_lib.notebook_cells import (cell_source, code_cells_by_id, grade_id, load_notebook_cells,
                                       read_notebook as read_source)

from .assignments import AssignmentError, default_seed, load_assignment
from .diagnosis import Diagnoser, load_mistakes
from .memo import memoize_reference
from .report import NotebookReport, split_points
from autograder.sandbox import Limits, Worker
from .submission import SubmissionError, plan_cells, read_notebook
from .suite import SuiteRunner

log = logging.getLogger("autograder")
SUITES_DIR = Path(__file__).resolve().parents[1] / "suites"


def available_suites() -> dict[tuple[str, str], str]:
    """``(assignment, notebook) -> module name`` for every hidden suite on disk."""
    found = {}
    for path in sorted(SUITES_DIR.glob("*/*.py")):
        if path.parent.name != "kit" and not path.name.startswith("_"):
            found[(path.parent.name, path.stem)] = f"autograder.suites.{path.parent.name}.{path.stem}"
    return found


def load_suite(assignment: str, notebook: str):
    name = available_suites().get((assignment, notebook))
    if name is None:
        raise LookupError(f"no hidden suite for {assignment}/{notebook}")
    return importlib.import_module(name)


def identify(path: Path | None, nb, assignment: str | None, notebook: str | None) -> tuple[str, str]:
    """Which assignment and notebook a submission is: from arguments, its path, or its grade_ids."""
    suites = available_suites()
    if assignment and notebook:
        return assignment, notebook
    if path is not None:
        guess = (assignment or path.parent.name, notebook or path.stem)
        if guess in suites:
            return guess
    ids = {grade_id(c) for c in nb.cells if isinstance(c, dict)}
    best, overlap = None, 0
    for key in suites:
        module = load_suite(*key)
        n = len(ids & set(module.SOLUTION_CELLS))
        if n > overlap:
            best, overlap = key, n
    if best is None:
        raise SubmissionError("cannot tell which notebook this is: no known graded cell ids in it")
    return best


def imported_cells(suite) -> list[tuple[str, str]]:
    """``(label, source)`` of the instructor cells a suite imports from earlier notebooks.

    A suite sets ``IMPORTED_CELLS = {"assignment2/layers": ["layers_imports", "affine_forward", ...]}``
    when the graded notebook builds on functions written in an earlier one (a model on its layers).
    The grader runs the instructor's versions of those cells first, so a mistake in the earlier
    notebook is graded there and never charged again here.
    """
    out = []
    for where, ids in getattr(suite, "IMPORTED_CELLS", {}).items():
        assignment, notebook = where.split("/")
        cells = code_cells_by_id(read_source(paths.source_notebook(assignment, notebook)))
        missing = [g for g in ids if g not in cells]
        if missing:
            raise ValueError(f"{where} has no cells {missing}; fix IMPORTED_CELLS of the suite")
        out += [(f"{notebook}:{g}", cell_source(cells[g])) for g in ids]
    return out


@functools.lru_cache(maxsize=None)
def reference(assignment: str, notebook: str):
    """The instructor solution of a notebook (after its imported cells), run in this (trusted) process;
    its answers are kept per process (``memo.memoize_reference``)."""
    suite = load_suite(assignment, notebook)
    module = types.ModuleType(f"reference_{notebook}")
    for label, source in imported_cells(suite):
        exec(compile(source, label, "exec"), module.__dict__)
    solution = load_notebook_cells(paths.source_notebook(assignment, notebook),
                                   list(suite.SETUP_CELLS) + list(suite.SOLUTION_CELLS),
                                   module_name=f"reference_{notebook}", namespace=module.__dict__)
    memoize_reference(solution)  # every submission asks the same questions: answer each once
    return solution


@functools.lru_cache(maxsize=None)
def _source(assignment: str, notebook: str, mtime_ns: int):
    return read_source(paths.source_notebook(assignment, notebook))


def source_notebook(assignment: str, notebook: str):
    """The instructor notebook, read once per process (again when the file changes). Read-only."""
    return _source(assignment, notebook, paths.source_notebook(assignment, notebook).stat().st_mtime_ns)


@functools.lru_cache(maxsize=None)
def diagnoser(assignment: str, notebook: str) -> Diagnoser | None:
    """The mistake diagnosis of a notebook (None without a mistake library): the instructor's
    cells in the order the worker runs them, and the known mistakes."""
    mistakes = load_mistakes(assignment, notebook)
    if not mistakes:
        return None
    suite = load_suite(assignment, notebook)
    source_nb = source_notebook(assignment, notebook)
    plan = plan_cells(source_nb, source_nb, suite.SETUP_CELLS, suite.SOLUTION_CELLS)
    unknown = {m.cell for m in mistakes} - set(suite.SOLUTION_CELLS)
    if unknown:
        raise ValueError(f"mistakes of {assignment}/{notebook} name unknown solution cells {sorted(unknown)}")
    return Diagnoser(imported_cells(suite) + plan.cells, mistakes)


def _diagnoser_or_none(assignment: str, notebook: str) -> Diagnoser | None:
    try:
        return diagnoser(assignment, notebook)
    except Exception:  # noqa: BLE001 - a broken mistake library costs the diagnosis, never the grade
        log.exception("the mistake library of %s/%s cannot be loaded; grading without diagnosis",
                      assignment, notebook)
        return None


def points_by_cell(source_nb) -> dict[str, float]:
    out = {}
    for cell in source_nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and not meta.get("solution"):
            out[meta["grade_id"]] = float(meta.get("points", 0))
    return out


def limits_for(assignment: str) -> Limits:
    try:
        plan = load_assignment(assignment)
        return Limits(call_seconds=plan.seconds_per_call, submission_seconds=plan.seconds_per_submission)
    except AssignmentError:
        return Limits()


def seed_for(assignment: str) -> int:
    """The assignment's seed (``seed`` in assignments/<assignment>.toml, else one derived from its name)."""
    try:
        return load_assignment(assignment).seed
    except AssignmentError:
        return default_seed(assignment)


def grade_notebook(submission, assignment: str | None = None, notebook: str | None = None,
                   seed: int | None = None, limits: Limits | None = None, make_worker=None,
                   diagnose: bool = True) -> NotebookReport:
    """Grade one notebook (a path or a NotebookNode) and return its report; never raises for bad input.

    Inputs:
    - submission: path of a submitted .ipynb, or a NotebookNode.
    - assignment, notebook: which suite to use (default: from the path, else from the grade_ids).
    - seed: seed of the random inputs (default: the assignment's, see ``seed_for``); recorded in the report.
    - limits: time and resource limits (default: from assignments/<assignment>.toml).
    - make_worker: ``limits -> Worker`` (not started) for this notebook's workers (default: a fresh
      ``Worker(limits)``; batches pass workers forked from a pre-started template).
    - diagnose: name the known mistake that explains a failed function (engine/diagnosis.py).
    """
    tic = time.perf_counter()
    path = Path(submission) if isinstance(submission, (str, Path)) else None
    report = NotebookReport(str(path or "<notebook>"), assignment or "?", notebook or "?", seed)
    try:
        nb = read_notebook(submission)
        report.assignment, report.notebook = identify(path, nb, assignment, notebook)
        seed = report.seed = seed_for(report.assignment) if seed is None else int(seed)
        suite = load_suite(report.assignment, report.notebook)
        source_nb = source_notebook(report.assignment, report.notebook)
        plan = plan_cells(source_nb, nb, suite.SETUP_CELLS, suite.SOLUTION_CELLS)
        plan.cells[:0] = imported_cells(suite)
        limits = limits or limits_for(report.assignment)
        factory = (lambda: make_worker(limits)) if make_worker is not None else (lambda: Worker(limits))
        runner = SuiteRunner(suite, plan, factory, reference(report.assignment, report.notebook),
                             seed, report.notebook, limits.submission_seconds,
                             _diagnoser_or_none(report.assignment, report.notebook) if diagnose else None)
        report.tests = runner.run()
        report.grader_errors, report.containment = runner.grader_errors, runner.containment
        report.notices = {f"test_{gid}": [note] for gid, note in plan.notices.items()}
        split_points(report.tests, points_by_cell(source_nb))
        for text in report.grader_errors:
            log.error("grader error while grading %s:\n%s", report.path, text)
    except SubmissionError as err:
        report.error = str(err)
    except Exception as err:  # the grader itself broke: say so, never a silent zero
        report.error = f"grader error ({type(err).__name__}: {err})"
    report.seconds = time.perf_counter() - tic
    return report
