"""Do assignment 3's public check cells pass the solution and fail wrong implementations?

Each check cell runs in the namespace its notebook builds (offline data), once with the instructor
solution and once with a wrong implementation from tests/variants/ put in place of its function.
The wrong implementations a public check cannot see (Python loops, inputs changed, a stride that
happens to give the same output) are listed with the reason; the hidden suite catches them.
"""
from __future__ import annotations

import ast
import os

import nbformat
import numpy as np
import pytest

from cs231n_lib import paths
from cs231n_lib.notebook_cells import cell_source
from variants import alternatives, wrong

A3 = "assignment3"


def build_namespace(notebook):
    """Run the notebook's locked cells and function-defining solution cells; return (namespace, checks)."""
    path = paths.source_notebook(A3, notebook)
    nb = nbformat.read(str(path), as_version=4)
    ns, checks = {"__name__": f"check_{notebook}"}, {}
    cwd = os.getcwd()
    os.chdir(path.parent)   # conv_nets loads conv_layers.ipynb and ../assignment2/layers.ipynb beside it
    try:
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            if cell.cell_type != "code" or not meta:
                continue
            if meta.get("grade"):
                checks[meta["grade_id"]] = cell_source(cell)
            elif meta.get("locked") or any(isinstance(n, ast.FunctionDef) for n in ast.parse(cell.source).body):
                exec(compile(cell_source(cell), f"{path.name}[{meta['grade_id']}]", "exec"), ns)
    finally:
        os.chdir(cwd)
    return ns, checks


@pytest.fixture(scope="module")
def conv_layers_nb():
    import matplotlib
    matplotlib.use("Agg")
    return build_namespace("conv_layers")


@pytest.fixture(scope="module")
def conv_nets_nb():
    import matplotlib
    matplotlib.use("Agg")
    return build_namespace("conv_nets")


def run_check(namespace, source, variant=None):
    """Run a check cell in a copy of the namespace, with a variant's source run there first.

    Returns the namespace. Methods a variant assigns on a class are put back afterwards."""
    ns = {k: list(v) if isinstance(v, list) else v for k, v in namespace.items()}   # e.g. VGG16, popped by a variant
    model = ns.get("ThreeLayerConvNet")
    saved = dict(vars(model)) if model is not None else {}
    try:
        if variant:
            exec(compile(variant, "variant", "exec"), ns)
        with np.errstate(all="ignore"):
            exec(compile(source, "check", "exec"), ns)
    finally:
        for name in ("__init__", "loss"):
            if model is not None:
                setattr(model, name, saved[name])
    return ns


def test_every_check_passes_the_solution(conv_layers_nb, conv_nets_nb):
    """Do all public checks of both notebooks pass with the instructor solution?"""
    for ns, checks, count in (*conv_layers_nb, 11), (*conv_nets_nb, 4):
        assert len(checks) == count
        for source in checks.values():
            run_check(ns, source)


# What a public check cannot see: the hidden suite grades these (see tests/variants/).
NOT_VISIBLE = {
    "conv_param.setdefault": "conv_param changed (inputs unchanged is judged by the hidden suite)",
    "loops over examples and positions": "loops: structure is checked by the hidden suite",
    "calls the naive version": "correct values, wrong structure",
    "a loop over the examples": "correct values, wrong structure",
    "stride of the filter size": "gives the same 1x1 output as stride 1",
}


def assert_check_fails(namespace, source, variant):
    """The check fails: an assertion of the check, or an error raised inside the wrong implementation
    (a traceback in the student's own code), never an error of the check itself."""
    with pytest.raises(Exception) as info:
        run_check(namespace, source, variant)
    files, tb = set(), info.tb
    while tb is not None:
        files.add(tb.tb_frame.f_code.co_filename)
        tb = tb.tb_next
    assert info.type is AssertionError or "variant" in files, info.getrepr(style="short")


def cases(notebook):
    return [(gid, label, src) for a, nb, gid, label, src, _ in wrong() if (a, nb) == (A3, notebook)]


@pytest.mark.parametrize("gid,label,source", cases("conv_layers"), ids=[f"{c[0]}-{c[1]}" for c in cases("conv_layers")])
def test_conv_layers_checks_catch_wrong_implementations(conv_layers_nb, gid, label, source):
    """Does the public check of each conv_layers function fail for its wrong implementations (those it can see)?"""
    ns, checks = conv_layers_nb
    if label in NOT_VISIBLE:
        run_check(ns, checks[f"test_{gid}"], source)       # passes: the hidden suite is the one to catch it
        return
    assert_check_fails(ns, checks[f"test_{gid}"], source)


@pytest.mark.parametrize("gid,label,source", cases("conv_nets"), ids=[f"{c[0]}-{c[1]}" for c in cases("conv_nets")])
def test_conv_nets_checks_catch_wrong_implementations(conv_nets_nb, gid, label, source):
    """Does the public check of each conv_nets function fail for its wrong implementations (those it can see)?"""
    ns, checks = conv_nets_nb
    if label in NOT_VISIBLE:
        run_check(ns, checks[f"test_{gid}"], source)
        return
    assert_check_fails(ns, checks[f"test_{gid}"], source)


ALTS = [(nb, gid, label, src) for a, nb, gid, label, src in alternatives() if a == A3]


@pytest.mark.parametrize("notebook,gid,label,source", ALTS, ids=[f"{c[1]}-{c[2]}" for c in ALTS])
def test_checks_pass_alternative_correct_implementations(conv_layers_nb, conv_nets_nb, notebook, gid, label, source):
    """Does every public check pass the correct implementations written another way (e.g. CS231n's)?"""
    ns, checks = conv_layers_nb if notebook == "conv_layers" else conv_nets_nb
    run_check(ns, checks[f"test_{gid}"], source)
