"""Read a submitted notebook and decide which code the worker runs.

Setup cells always come from the instructor's source notebook; solution cells come from
the submission, matched by nbgrader ``grade_id``. Missing, duplicated, retyped or renamed
solution cells are reported per cell, never raised.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from cs231n_lib.notebook_cells import cell_source, grade_id


class SubmissionError(Exception):
    """The submitted file is not a readable notebook."""


def read_notebook(path_or_nb):
    """A NotebookNode from a path (or the node itself); SubmissionError names what is wrong."""
    if not isinstance(path_or_nb, (str, Path)):
        return path_or_nb
    path = Path(path_or_nb)
    if not path.is_file():
        raise SubmissionError(f"file not found: {path}")
    try:
        nb = nbformat.read(str(path), as_version=4)
    except Exception as exc:  # NotJSONError, ValidationError, UnicodeDecodeError, ...
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SubmissionError(f"{path.name} is not a readable notebook ({type(exc).__name__}: {first[:200]})")
    if not isinstance(nb.get("cells"), list):
        raise SubmissionError(f"{path.name} has no cells")
    return nb


@dataclass
class CellPlan:
    """The code to run in the worker, in notebook order, and what went wrong while matching."""
    cells: list[tuple[str, str]] = field(default_factory=list)   # (grade_id, source)
    problems: dict[str, str] = field(default_factory=dict)        # solution grade_id -> message
    sources: dict[str, str] = field(default_factory=dict)         # solution grade_id -> student source
    notices: dict[str, str] = field(default_factory=dict)         # solution grade_id -> note (graded anyway)


def plan_cells(source_nb, submission_nb, setup_ids, solution_ids) -> CellPlan:
    """Match cells by grade_id: setup cells from ``source_nb``, solution cells from ``submission_nb``.

    Inputs:
    - source_nb, submission_nb: NotebookNodes.
    - setup_ids: grade_ids of instructor cells to run (imports, given classes).
    - solution_ids: grade_ids of the student's solution cells to run.

    Returns a CellPlan whose ``cells`` follow the source notebook's order.
    """
    setup_ids, solution_ids = set(setup_ids), set(solution_ids)
    found: dict[str, list] = {}
    for cell in submission_nb.cells:
        gid = grade_id(cell) if isinstance(cell, dict) else None
        if gid in solution_ids:
            found.setdefault(gid, []).append(cell)
    plan = CellPlan()
    for cell in source_nb.cells:
        gid = grade_id(cell)
        if cell.cell_type != "code" or gid is None:
            continue
        if gid in setup_ids:
            plan.cells.append((gid, cell_source(cell)))
        elif gid in solution_ids:
            copies = found.get(gid, [])
            if not copies:
                plan.problems[gid] = (f"the solution cell '{gid}' is missing from the submission "
                                      "(deleted, or its nbgrader metadata was changed)")
                continue
            chosen = copies[-1]
            if chosen.get("cell_type") != "code":
                plan.problems[gid] = f"the solution cell '{gid}' was turned into a {chosen.get('cell_type')} cell"
                continue
            if len(copies) > 1:
                plan.notices[gid] = (f"the solution cell '{gid}' appears {len(copies)} times in your notebook; "
                                     "the last copy was graded")
            try:
                src = cell_source(chosen)
            except (AttributeError, TypeError):
                plan.problems[gid] = f"the solution cell '{gid}' has no readable source"
                continue
            plan.cells.append((gid, src))
            plan.sources[gid] = src
    missing_in_source = (setup_ids | solution_ids) - {grade_id(c) for c in source_nb.cells}
    if missing_in_source:
        raise ValueError(f"the source notebook has no cells {sorted(missing_in_source)}; fix the suite")
    return plan
