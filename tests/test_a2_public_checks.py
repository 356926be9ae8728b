"""Do the public check cells of backprop.ipynb and layers.ipynb pass the solution and the alternative
correct implementations, and fail every wrong implementation of tests/variants/?

Each check cell runs in a fresh namespace built from the notebook's setup and solution cells
(no data, no training), with one solution cell replaced by a variant's source.
"""
from __future__ import annotations

import contextlib
import io

import nbformat
import numpy as np
import pytest

from cs231n_lib import paths
from cs231n_lib.notebook_cells import cell_source
from variants import alternatives, wrong

SETUP = {"backprop": ["backprop_imports"], "layers": ["layers_imports", "TwoLayerNet"]}


def build(notebook, replace=None):
    """(namespace, {check grade_id: source}) of a notebook, with solution cells optionally replaced."""
    nb = nbformat.read(str(paths.source_notebook("assignment2", notebook)), as_version=4)
    ns, checks = {"__name__": f"check_{notebook}"}, {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code" or not meta:
            continue
        gid = meta["grade_id"]
        if meta.get("grade"):
            checks[gid] = cell_source(cell)
        elif gid in SETUP[notebook] or meta.get("solution"):
            source = (replace or {}).get(gid, cell_source(cell))
            exec(compile(source, f"{notebook}.ipynb[{gid}]", "exec"), ns)
    return ns, checks


def run_check(ns, source):
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(source, "check", "exec"), ns)


@pytest.fixture(scope="module", autouse=True)
def quiet_plots():
    import matplotlib
    matplotlib.use("Agg")


@pytest.mark.parametrize("notebook", ["backprop", "layers"])
def test_checks_pass_the_solution(notebook):
    """Does every public check of the notebook pass with the instructor solution?"""
    ns, checks = build(notebook)
    assert len(checks) >= 3
    for gid, source in checks.items():
        run_check(ns, source)


ALTS = [c for c in alternatives() if c[0] == "assignment2" and c[1] in SETUP]


@pytest.mark.parametrize("assignment,notebook,gid,label,source", ALTS, ids=[f"{c[2]}-{c[3]}" for c in ALTS])
def test_checks_pass_alternative_correct_implementations(assignment, notebook, gid, label, source):
    """Does a correct implementation written another way (e.g. CS231n's) pass its public check?"""
    ns, checks = build(notebook, {gid: source})
    with np.errstate(all="ignore"):
        run_check(ns, checks[f"test_{gid}"])


WRONGS = [c for c in wrong() if c[0] == "assignment2" and c[1] in SETUP]


@pytest.mark.parametrize("assignment,notebook,gid,label,source,tests", WRONGS, ids=[f"{c[2]}-{c[3]}" for c in WRONGS])
def test_checks_fail_wrong_implementations(assignment, notebook, gid, label, source, tests):
    """Does the public check of a function fail for every known wrong implementation of it?"""
    ns, checks = build(notebook, {gid: source})
    with np.errstate(all="ignore"), pytest.raises(Exception) as failure:
        run_check(ns, checks[f"test_{gid}"])
    assert not isinstance(failure.value, (NameError, SyntaxError)), f"the check itself is broken: {failure.value!r}"


def test_messages_name_the_cause():
    """Do the checks say what is wrong (the fix), not only that something is?"""
    cases = {("layers", "softmax_loss"): "shift every row by its maximum",
             ("layers", "binary_cross_entropy_loss"): "stable form",
             ("layers", "dropout_forward"): "probability of KEEPING",
             ("backprop", "staged_forward_backward"): "+=",
             ("layers", "TwoLayerNet_loss"): "0.5 * reg"}
    labels = {("layers", "softmax_loss"): "unshifted", ("layers", "binary_cross_entropy_loss"): "log of the sigmoid",
              ("layers", "dropout_forward"): "p as the drop probability",
              ("backprop", "staged_forward_backward"): "= instead of += at a fork",
              ("layers", "TwoLayerNet_loss"): "reg without the 0.5"}
    for (notebook, gid), hint in cases.items():
        source = next(c[4] for c in WRONGS if c[1:4] == (notebook, gid, labels[notebook, gid]))
        ns, checks = build(notebook, {gid: source})
        with np.errstate(all="ignore"), pytest.raises(AssertionError) as failure:
            run_check(ns, checks[f"test_{gid}"])
        assert hint in str(failure.value), (gid, str(failure.value))
