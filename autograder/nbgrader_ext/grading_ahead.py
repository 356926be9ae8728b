"""Grading ahead of ``nbgrader autograde``: spare processes grade the next submissions.

nbgrader handles one notebook at a time (sanitize, grade, save). ``GradingAhead`` grades the
following students' submitted files in a process pool meanwhile, so a run uses every core: a
student's notebooks are graded together, their workers forked from one pre-started template
(``autograder.sandbox.template``). A result is used only when the sanitized notebook has exactly
the solution cells that were graded (``graded_cells_fingerprint``); otherwise the notebook is
graded again in nbgrader's process. Each grading process is an ordinary grader: student code
runs only in its sandboxed workers.

Every result, wherever it was graded, goes to the results store of the course workspace
(``<workspace>/results/<assignment>/``, see ``autograder.batch.store``): the class report
(``python -m autograder report``) reads it, and a run of ``nbgrader autograde`` that was killed
and started again takes from it what was already graded (same cells, same seed, same grader)
instead of grading it again. nbgrader's gradebook keeps one entry per student and notebook,
whatever the number of runs.
"""
from __future__ import annotations

import atexit
import hashlib
import json
import os
from pathlib import Path

import nbformat

from cs231n_lib.notebook_cells import grade_id as _grade_id


def graded_cells_fingerprint(nb, assignment: str, notebook: str) -> str:
    """What the engine reads of a submission: grade_id, type and source of its solution cells."""
    from autograder.engine.grading import load_suite
    wanted = set(load_suite(assignment, notebook).SOLUTION_CELLS)
    cells = [(_grade_id(c), c.get("cell_type"), c.get("source")) for c in nb.cells
             if isinstance(c, dict) and isinstance(c.get("metadata"), dict) and _grade_id(c) in wanted]
    return hashlib.sha256(json.dumps(cells, sort_keys=True, default=str).encode()).hexdigest()


def store_key(cells_fingerprint: str, assignment: str, notebook: str) -> str:
    """The fingerprint under which the nbgrader path stores a result: the graded cells and the grader."""
    from autograder.batch.submissions import grader_fingerprint
    return f"cells:{cells_fingerprint}:{grader_fingerprint(assignment, notebook)}"


def results_folder(coursedir, assignment: str) -> Path:
    """``<workspace>/results/<assignment>``: the workspace holds nbgrader's submitted/ folder."""
    submitted = Path(coursedir.root, coursedir.submitted_directory)
    return submitted.resolve().parent / "results" / assignment


def record_result(coursedir, nb, report, student: str, assignment: str, notebook: str) -> None:
    """Keep a report in the results store (unless the same one is there); never fails nbgrader."""
    from autograder.batch.store import ResultStore
    try:
        if not Path(coursedir.root, coursedir.submitted_directory).is_dir():
            return  # not a course workspace (e.g. the plug-in used on its own)
        try:
            key = store_key(graded_cells_fingerprint(nb, assignment, notebook), assignment, notebook)
        except LookupError:  # no hidden suite: recorded as not graded
            key = "no-suite"
        store = ResultStore(results_folder(coursedir, assignment), assignment)
        if not store.is_done(student, notebook, key, report.seed):
            store.save(student, notebook, key, report)
    except Exception:  # noqa: BLE001 - the gradebook matters more than the class report
        pass


def _grade_group(files: dict, student: str, assignment: str, seed, folder: str | None):
    """In a grading process: ``{notebook: (fingerprint, report)}`` of one student's submitted files,
    taken from the results store when it holds them, else graded with workers forked from one template."""
    import contextlib

    from autograder.batch.store import ResultStore
    from autograder.batch.task import template_for
    from autograder.engine.grading import grade_notebook, limits_for, seed_for
    store = ResultStore(folder, assignment) if folder else None
    want_seed = seed_for(assignment) if seed is None else int(seed)
    out = {}
    with contextlib.ExitStack() as stack:
        template = None
        for notebook, path in files.items():
            try:
                nb = nbformat.read(path, as_version=4)
                fingerprint = graded_cells_fingerprint(nb, assignment, notebook)
            except Exception:
                continue
            key = store_key(fingerprint, assignment, notebook)
            if store is not None and store.is_done(student, notebook, key, want_seed):
                stored = store.load(student, notebook)
                if stored is not None:
                    out[notebook] = (fingerprint, stored.report)
                    continue
            if template is None:
                template = template_for(limits_for(assignment), True, assignment) or False
                if template:
                    stack.callback(template.close)
            report = grade_notebook(nb, assignment, notebook, seed=seed,
                                    make_worker=template.worker if template else None)
            report.path = f"{student}/{assignment}/{notebook}.ipynb"
            if store is not None and not report.error:
                store.save(student, notebook, key, report)
            out[notebook] = (fingerprint, report)
    return out


class GradingAhead:
    """Grades the next submissions of an ``nbgrader autograde`` run in worker processes.

    nbgrader handles one notebook at a time (sanitize, grade, save); meanwhile these processes
    grade the following students' submissions from their submitted files, so the run uses every
    core. A result is used only when the sanitized notebook has exactly the solution cells that
    were graded (a notebook that sanitizing changed is graded again, in nbgrader's process).
    """

    def __init__(self, converter, processes: int, seed, log):
        from autograder.engine.grading import available_suites
        self.log, self.seed, self.window = log, seed, processes + 1
        suites = available_suites()
        coursedir = getattr(converter, "coursedir", None)
        self.groups: dict[tuple[str, str], dict[str, str]] = {}  # (student, assignment) -> {notebook: path}
        self.index = {}   # (student, assignment, notebook) -> position of its group
        for folder in sorted(converter.assignments):
            for path in sorted(converter.assignments[folder]):
                p = os.path.normpath(path)
                student, assignment = os.path.basename(os.path.dirname(os.path.dirname(p))), \
                    os.path.basename(os.path.dirname(p))
                notebook = os.path.splitext(os.path.basename(p))[0]
                if (assignment, notebook) in suites:
                    self.groups.setdefault((student, assignment), {})[notebook] = p
        self.order = list(self.groups)
        for i, (student, assignment) in enumerate(self.order):
            for notebook in self.groups[(student, assignment)]:
                self.index[(student, assignment, notebook)] = i
        self.folders = {}
        if coursedir is not None:
            for _, assignment in self.order:
                try:
                    self.folders[assignment] = str(results_folder(coursedir, assignment))
                except Exception:  # noqa: BLE001
                    pass
        self.futures = {}
        self.pool = None
        if sum(len(g) for g in self.groups.values()) > 1:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor
            self.pool = ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn"))
            atexit.register(self.close)

    def report(self, nb, key):
        i = self.index.get(key)
        if self.pool is None or i is None:
            return None
        for j in range(i, min(len(self.order), i + self.window)):
            group = self.order[j]
            if group not in self.futures:
                self.futures[group] = self.pool.submit(_grade_group, self.groups[group], group[0], group[1],
                                                       self.seed, self.folders.get(group[1]))
        for g in [g for g in self.futures if self.order.index(g) < i]:  # done with, or skipped by nbgrader
            self.futures.pop(g).cancel()
        try:
            result = self.futures[self.order[i]].result().get(key[2])
        except Exception as err:  # a broken pool: grade here, as without it
            self.log.warning("grading process failed (%s: %s); grading in nbgrader's process",
                             type(err).__name__, err)
            self.close()
            return None
        if result is None or result[0] != graded_cells_fingerprint(nb, key[1], key[2]):
            return None
        return result[1]

    def close(self):
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None
            # end and reap multiprocessing's resource tracker too, rather than leave it to outlive
            # nbgrader (under a child subreaper, e.g. a grader, it would linger as a zombie)
            try:
                from multiprocessing import resource_tracker
                resource_tracker._resource_tracker._stop()
            except Exception:
                pass
