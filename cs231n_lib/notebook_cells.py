"""Run chosen code cells of a notebook as a module, selected by nbgrader ``grade_id``.

Used by the tests (to get the instructor solution out of ``source_nb/``) and by a
notebook that builds on an earlier one (the softmax notebook reuses the
``LinearClassifier`` a student wrote in ``svm.ipynb``).

IPython magics (lines starting with ``%`` or ``!``) are dropped: the cells run as
plain Python.
"""
from __future__ import annotations

import types
from pathlib import Path


class NotebookCellError(RuntimeError):
    """A requested cell is missing or raised while running."""


def grade_id(cell) -> str | None:
    """The nbgrader ``grade_id`` of a cell, or None."""
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def cell_source(cell) -> str:
    """Source of a code cell with IPython magics and shell escapes removed."""
    lines = cell.source.splitlines()
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in lines)


def read_notebook(path):
    """Read a notebook file with a clear error when it is missing or not a notebook."""
    path = Path(path)
    if not path.is_file():
        raise NotebookCellError(f"notebook not found: {path}")
    import nbformat  # imported here: a worker that only runs cells never pays for it

    try:
        return nbformat.read(str(path), as_version=4)
    except Exception as exc:  # nbformat raises several types for a damaged file
        raise NotebookCellError(f"cannot read notebook {path}: {exc}") from exc


def code_cells_by_id(nb) -> dict:
    """Map ``grade_id -> cell`` for the code cells that carry a grade_id."""
    return {grade_id(c): c for c in nb.cells if c.cell_type == "code" and grade_id(c)}


def load_notebook_cells(path, grade_ids, module_name=None, namespace=None) -> types.ModuleType:
    """Execute the code cells named by ``grade_ids`` (in notebook order) in a fresh module.

    Inputs:
    - path: notebook file.
    - grade_ids: iterable of nbgrader grade_ids of code cells to run.
    - module_name: name of the module object (default: the notebook's stem).
    - namespace: names the cells can use, copied into the module first (e.g. functions
      from an earlier notebook).

    Returns:
    - a module whose namespace holds everything the cells defined.

    Raises NotebookCellError naming the notebook and cell when a cell is missing
    or raises while running.
    """
    path = Path(path)
    wanted = list(grade_ids)
    nb = read_notebook(path)
    cells = code_cells_by_id(nb)
    missing = [g for g in wanted if g not in cells]
    if missing:
        raise NotebookCellError(f"{path.name}: no code cell with grade_id {', '.join(missing)}")
    module = types.ModuleType(module_name or path.stem)
    module.__dict__.update({k: v for k, v in (namespace or {}).items() if not k.startswith("__")})
    module.__file__ = str(path)
    for cell in nb.cells:
        gid = grade_id(cell)
        if cell.cell_type != "code" or gid not in wanted:
            continue
        code = compile(cell_source(cell), f"{path.name}[{gid}]", "exec")
        try:
            exec(code, module.__dict__)
        except Exception as exc:
            raise NotebookCellError(
                f"{path.name}: cell '{gid}' raised {type(exc).__name__}: {exc}") from exc
    return module
