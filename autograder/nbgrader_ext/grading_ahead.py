"""Grading ahead of ``nbgrader autograde``: spare processes grade the next submitted notebooks.

nbgrader handles one notebook at a time (sanitize, grade, save). ``GradingAhead`` grades the
following submitted files in a process pool meanwhile, so a run uses every core. A result is
used only when the sanitized notebook has exactly the solution cells that were graded
(``graded_cells_fingerprint``); otherwise the notebook is graded again in nbgrader's process.
Each grading process is an ordinary grader: student code runs only in its sandboxed worker.
"""
from __future__ import annotations

import atexit
import hashlib
import json
import os

import nbformat

from cs231n_lib.notebook_cells import grade_id as _grade_id


def graded_cells_fingerprint(nb, assignment: str, notebook: str) -> str:
    """What the engine reads of a submission: grade_id, type and source of its solution cells."""
    from autograder.engine.grading import load_suite
    wanted = set(load_suite(assignment, notebook).SOLUTION_CELLS)
    cells = [(_grade_id(c), c.get("cell_type"), c.get("source")) for c in nb.cells
             if isinstance(c, dict) and isinstance(c.get("metadata"), dict) and _grade_id(c) in wanted]
    return hashlib.sha256(json.dumps(cells, sort_keys=True, default=str).encode()).hexdigest()


def _grade_file(path: str, assignment: str, notebook: str, seed):
    """In a grading process: ``(fingerprint, report)`` of one submitted file (None if unreadable)."""
    from autograder.engine.grading import grade_notebook
    try:
        nb = nbformat.read(path, as_version=4)
        fingerprint = graded_cells_fingerprint(nb, assignment, notebook)
    except Exception:
        return None
    return fingerprint, grade_notebook(nb, assignment, notebook, seed=seed)


class GradingAhead:
    """Grades the next submitted notebooks of an ``nbgrader autograde`` run in worker processes.

    nbgrader handles one notebook at a time (sanitize, grade, save); meanwhile these processes
    grade the following ones from their submitted files, so the run uses every core. A
    result is used only when the sanitized notebook has exactly the solution cells that were
    graded (a notebook that sanitizing changed is graded again, in nbgrader's process). Each
    grading process is an ordinary grader: it runs student code only through the sandbox.
    """

    def __init__(self, converter, processes: int, seed, log):
        from autograder.engine.grading import available_suites
        self.log, self.seed, self.window = log, seed, processes + 1
        suites = available_suites()
        self.order = []  # (key, path) in the order nbgrader processes them
        for folder in sorted(converter.assignments):
            for path in sorted(converter.assignments[folder]):
                p = os.path.normpath(path)
                student, assignment = os.path.basename(os.path.dirname(os.path.dirname(p))), \
                    os.path.basename(os.path.dirname(p))
                notebook = os.path.splitext(os.path.basename(p))[0]
                if (assignment, notebook) in suites:
                    self.order.append(((student, assignment, notebook), p))
        self.index = {key: i for i, (key, _) in enumerate(self.order)}
        self.futures = {}
        self.pool = None
        if len(self.order) > 1:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor
            self.pool = ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn"))
            atexit.register(self.close)

    def report(self, nb, key):
        i = self.index.get(key)
        if self.pool is None or i is None:
            return None
        for j in range(i, min(len(self.order), i + self.window)):
            k, path = self.order[j]
            if k not in self.futures:
                self.futures[k] = self.pool.submit(_grade_file, path, k[1], k[2], self.seed)
        for k in [k for k in self.futures if self.index[k] < i]:  # skipped by nbgrader
            self.futures.pop(k).cancel()
        try:
            result = self.futures.pop(key).result()
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
