"""Are the source notebooks well-formed nbgrader assignments with documented graded functions?"""
from __future__ import annotations

import ast
import re

import nbformat
import pytest

from cs231n_lib import paths

NOTEBOOKS = sorted(paths.SOURCE_DIR.glob("*/*.ipynb"))
IDS = [f"{p.parent.name}/{p.stem}" for p in NOTEBOOKS]


def nbgrader_cells(nb):
    return [(c, c.metadata["nbgrader"]) for c in nb.cells if "nbgrader" in c.metadata]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_metadata_is_valid_and_grade_ids_unique(path):
    """Is the notebook valid, with schema-3 nbgrader metadata and unique, well-formed grade_ids?"""
    nb = nbformat.read(str(path), as_version=4)
    nbformat.validate(nb)
    ids = [m["grade_id"] for _, m in nbgrader_cells(nb)]
    assert len(ids) == len(set(ids)), f"duplicate grade_ids in {path.name}"
    for cell, meta in nbgrader_cells(nb):
        assert meta["schema_version"] == 3
        assert re.fullmatch(r"[A-Za-z0-9_\-]+", meta["grade_id"])
        if meta["grade"]:
            assert meta["points"] > 0, f"{meta['grade_id']} carries no points"
        if meta["grade"] and not meta["solution"]:
            assert meta["locked"] and cell.cell_type == "code", f"{meta['grade_id']}: test cells are locked code"
        if meta["grade"] and meta["solution"]:
            assert cell.cell_type == "markdown", f"{meta['grade_id']}: manual answers are markdown"
        if meta["solution"]:
            assert "### BEGIN SOLUTION" in cell.source and "### END SOLUTION" in cell.source


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_every_graded_function_is_documented_and_checked(path):
    """Does each solution cell that defines a function document Inputs/Returns and shapes, followed by its check?"""
    nb = nbformat.read(str(path), as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    graded = 0
    for i, cell in enumerate(code):
        meta = cell.metadata.get("nbgrader", {})
        if not meta.get("solution"):
            continue
        funcs = [n for n in ast.parse(cell.source).body if isinstance(n, ast.FunctionDef)]
        if not funcs:
            continue  # an experiment cell (e.g. a hyperparameter search), not a graded function
        graded += 1
        for fn in funcs:
            doc = ast.get_docstring(fn) or ""
            assert "Inputs:" in doc and "Returns" in doc, f"{meta['grade_id']}.{fn.name}: docstring lacks Inputs:/Returns"
            assert "shape" in doc, f"{meta['grade_id']}.{fn.name}: docstring gives no shapes"
        nxt = code[i + 1].metadata.get("nbgrader", {}) if i + 1 < len(code) else {}
        assert nxt.get("grade") and nxt.get("grade_id") == f"test_{meta['grade_id']}", \
            f"{meta['grade_id']}: the next code cell should be its check test_{meta['grade_id']}"
        assert "assert" in code[i + 1].source, f"test_{meta['grade_id']} asserts nothing"
    assert graded >= 2, f"{path.name} has fewer than two graded functions"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_has_a_manually_graded_question(path):
    """Does each notebook ask at least one written question graded by hand?"""
    nb = nbformat.read(str(path), as_version=4)
    assert any(m["grade"] and m["solution"] for _, m in nbgrader_cells(nb))
