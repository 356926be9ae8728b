"""Grading one student's submission: the unit of work of the local pool and of the Dask cluster.

``grade_submission`` takes plain data (so that it can travel to a Dask worker) and returns
plain data: one record per notebook with the report as ``NotebookReport.to_dict()``. Each
notebook is graded by the engine as usual (its own contained worker, time limits, the
mistake diagnosis). The workers of one submission are forked from one pre-started template
(``autograder.sandbox.template``): one sandbox per student, whose Python and libraries are
loaded once instead of once per notebook; without namespaces the engine's ordinary workers
are used.
"""
from __future__ import annotations

import ast
import contextlib
import dataclasses
import functools
import os
import tempfile
import time
from pathlib import Path

from autograder.engine.grading import (available_suites, grade_notebook, imported_cells, limits_for, load_suite,
                                       source_notebook)
from autograder.engine.report import NotebookReport
from autograder.sandbox import ContainmentUnavailable, Limits

from .store import fingerprint
from .submissions import Submission, grader_fingerprint


def payload(sub: Submission, ship_bytes: bool = False) -> dict:
    """A submission as plain data: file paths (same machine) or the files' bytes (a cluster)."""
    notebooks = {}
    for name, path in sub.notebooks.items():
        try:
            data = path.read_bytes()
        except OSError:
            data = None
        notebooks[name] = {"path": str(path), "bytes": data if ship_bytes else None,
                           "fingerprint": key_of(sub.assignment, name, data)}
    return {"student": sub.student, "assignment": sub.assignment, "notebooks": notebooks}


def key_of(assignment: str, notebook: str, data: bytes | None) -> str:
    """The fingerprint a stored result must carry to be reused: the file and the grader's version."""
    try:
        grader = grader_fingerprint(assignment, notebook)
    except OSError:
        grader = "?"
    return f"{fingerprint(data) if data is not None else 'missing'}:{grader}"


@functools.lru_cache(maxsize=None)
def preload_for(assignment: str) -> tuple[str, ...]:
    """The modules that the setup cells of an assignment's notebooks import (numpy, cs231n_lib...):
    a template imports them once for all the notebooks of a submission."""
    from cs231n_lib.notebook_cells import cell_source, code_cells_by_id
    names = {"numpy"}
    for (a, notebook) in available_suites():
        if a != assignment:
            continue
        try:
            suite = load_suite(a, notebook)
            cells = code_cells_by_id(source_notebook(a, notebook))
            sources = [cell_source(cells[g]) for g in suite.SETUP_CELLS if g in cells]
            sources += [src for _, src in imported_cells(suite)]
        except Exception:  # noqa: BLE001 - no preloading for a notebook that cannot be read
            continue
        for src in sources:
            try:
                tree = ast.parse("\n".join(l for l in src.splitlines() if not l.lstrip().startswith(("%", "!"))))
            except SyntaxError:
                continue
            for node in tree.body:
                if isinstance(node, ast.Import):
                    names.update(a.name for a in node.names)
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    names.add(node.module)
    names.discard("__future__")
    return tuple(sorted(names))


def template_for(limits: Limits, enabled: bool, assignment: str):
    """A started worker template for one submission, or None (then each notebook starts its own)."""
    if not enabled:
        return None
    try:
        from autograder.sandbox.template import WorkerTemplate
        if not WorkerTemplate.available(limits):
            return None
        template = WorkerTemplate(limits, preload=preload_for(assignment))
        template.start()
        return template
    except (ImportError, ContainmentUnavailable):
        return None
    except Exception:  # noqa: BLE001 - no template: grade with ordinary workers
        return None


def grade_submission(task: dict, seed: int | None = None, use_template: bool = True,
                     allow_uncontained: bool = False, on_notebook=None) -> list[dict]:
    """Grade every notebook of one submission; ``on_notebook(record)`` is called as each finishes.

    Inputs:
    - task: ``payload(...)``: student, assignment, notebooks {name: {path, bytes, fingerprint}}.
    - seed: the seed of the hidden tests (default: the assignment's).
    - use_template: fork the notebooks' workers from one pre-started template.
    - allow_uncontained: grade even where student code cannot be contained (the risk is accepted).

    Returns ``[{"student", "assignment", "notebook", "fingerprint", "report"}]`` (plain data).
    """
    assignment = task["assignment"]
    limits = dataclasses.replace(limits_for(assignment), allow_uncontained=allow_uncontained or
                                 limits_for(assignment).allow_uncontained)
    records = []
    with contextlib.ExitStack() as stack:
        scratch = None
        template = template_for(limits, use_template, assignment)
        if template is not None:
            stack.callback(template.close)
        for name, nb in sorted(task["notebooks"].items()):
            tic = time.perf_counter()
            path = nb.get("path")
            if nb.get("bytes") is not None:  # shipped to another machine: write it where identify() expects it
                if scratch is None:
                    scratch = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="cs231n-batch-")))
                path = scratch / task["student"] / assignment / f"{name}.ipynb"
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(nb["bytes"])
            try:
                report = grade_notebook(path, assignment, None, seed, limits,
                                        make_worker=template.worker if template is not None else None)
            except Exception as err:  # noqa: BLE001 - grade_notebook never raises; be sure anyway
                report = NotebookReport(str(path), assignment, name, seed,
                                        error=f"grader error ({type(err).__name__}: {err})")
            report.path = nb.get("path") or f"{task['student']}/{assignment}/{name}.ipynb"
            report.seconds = time.perf_counter() - tic
            record = {"student": task["student"], "assignment": assignment, "notebook": name,
                      "fingerprint": nb["fingerprint"], "report": report.to_dict(), "pid": os.getpid()}
            records.append(record)
            if on_notebook is not None:
                on_notebook(record)
    return records
