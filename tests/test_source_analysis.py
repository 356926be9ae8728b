"""Can the structure checks (no loops, no forbidden calls) be side-stepped by arranging the code?

Each case is a cell a student could write; the analysis must read through decoys, rebinding,
helpers and aliases, and must not flag code that is fine (a variable named ``norm``, a
top-level comparison with the naive version)."""
from __future__ import annotations

import pytest

from autograder.suites.kit.checks import assert_does_not_call, assert_max_loops
from autograder.suites.kit.source_analysis import CellCode

LOOPS = {
    "loop-free decoy def, then a loopy one": ("def f(X):\n    return X.sum()\n\ndef f(X):\n    for i in X:\n        pass\n", 1),
    "loop moved into a module-level helper": ("def _h(X):\n    return [x for x in X]\n\ndef f(X):\n    return _h(X)\n", 1),
    "helper with a loop called inside a loop": ("def _h(X):\n    return [x for x in X]\n\ndef f(X):\n    for i in X:\n        _h(X)\n", 2),
    "map": ("def f(X):\n    return list(map(sum, X))\n", 1),
    "np.vectorize": ("import numpy as np\ndef f(X):\n    return np.vectorize(abs)(X)\n", 1),
    "aliased np.apply_along_axis": ("import numpy as np\nalong = np.apply_along_axis\ndef f(X):\n    return along(sum, 1, X)\n", 1),
    "recursion": ("def f(n):\n    return 0 if n == 0 else f(n - 1)\n", 1),
    "rebinding the name": ("def g(X):\n    while True:\n        pass\nf = g\n", 1),
    "attaching a loopy function to the class": ("def g(self, X):\n    while True:\n        pass\nK.f = g\n", 1),
    "lambda with a comprehension": ("f = lambda X: [x for x in X]\n", 1),
    "vectorized": ("import numpy as np\ndef f(X):\n    return np.sqrt((X ** 2).sum(1))\n", 0),
    "an unused nested def with a loop": ("def f(X):\n    def h():\n        for i in X:\n            pass\n    return 1\n", 0),
    "a loop at the top level of the cell, outside f": ("def f(X):\n    return X\nfor i in range(3):\n    f(i)\n", 0),
}


@pytest.mark.parametrize("label", LOOPS)
def test_loop_depth_reads_the_whole_cell(label):
    """Is the loop depth what the function really runs?"""
    source, depth = LOOPS[label]
    assert CellCode(source).loop_depth("f") == depth


FORBIDDEN = {"norm", "cdist", "svm_loss_naive"}
REFERENCES = {
    "alias f = np.linalg.norm": ("import numpy as np\nf = np.linalg.norm\ndef g(X):\n    return f(X)\n", {"norm"}),
    "from scipy.spatial.distance import cdist as _d": ("from scipy.spatial.distance import cdist as _d\ndef g(X):\n    return _d(X, X)\n", {"cdist"}),
    "_impl = svm_loss_naive": ("_impl = svm_loss_naive\ndef g(W):\n    return _impl(W)\n", {"svm_loss_naive"}),
    "g rebound to the naive version": ("def g(W):\n    return 0\ng = svm_loss_naive\n", {"svm_loss_naive"}),
    "loaded, not called": ("import numpy as np\ndef g(X):\n    return list(map(np.linalg.norm, X))\n", {"norm"}),
    "import numpy.linalg as la": ("import numpy.linalg as la\ndef g(X):\n    return la.norm(X)\n", {"norm"}),
    "from numpy.linalg import norm": ("from numpy.linalg import norm\ndef g(X):\n    return norm(X)\n", {"norm"}),
    "used in a helper": ("import numpy as np\ndef h(X):\n    return np.linalg.norm(X)\ndef g(X):\n    return h(X)\n", {"norm"}),
    "a local variable named norm": ("import numpy as np\ndef g(X):\n    norm = (X ** 2).sum(1)\n    return norm\n", set()),
    "a top-level comparison with the naive version": ("def g(W):\n    return W\nl = svm_loss_naive(1)\n", set()),
    "an attribute of self named norm": ("def g(self, X):\n    return self.norm\n", set()),
}


@pytest.mark.parametrize("label", REFERENCES)
def test_forbidden_references_read_through_aliases(label):
    """Are forbidden functions found through aliases and helpers, and only there?"""
    source, want = REFERENCES[label]
    assert CellCode(source).forbidden_references("g", FORBIDDEN) == want


def test_code_that_hides_what_it_runs_is_not_passed():
    """Do eval / exec / getattr with a computed name fail the structure check with a clear reason?"""
    for body in ["return eval('X.sum()')", "return getattr(np.linalg, 'no' + 'rm')(X)", "exec('y = 1')\n    return X"]:
        with pytest.raises(AssertionError, match="hides what it runs"):
            assert_does_not_call(f"import numpy as np\ndef g(X):\n    {body}\n", "g", {"norm"}, "g")
    assert_does_not_call("import numpy as np\ndef g(X):\n    return getattr(X, 'shape')\n", "g", {"norm"}, "g")


def test_checks_name_the_problem():
    """Do the checks pass clean code and name what they found in the rest?"""
    assert_max_loops("def g(X):\n    return X\n", "g", 0, "g")
    with pytest.raises(AssertionError, match="no Python loop"):
        assert_max_loops("def g(X):\n    return [x for x in X]\n", "g", 0, "g")
    with pytest.raises(AssertionError, match="could not find `def g`"):
        assert_max_loops("def h(X):\n    return X\n", "g", 0, "g")
    with pytest.raises(AssertionError, match="syntax error"):
        assert_max_loops("def g(X:\n", "g", 0, "g")
    with pytest.raises(AssertionError, match="must not use norm"):
        assert_does_not_call("import numpy as np\ndef g(X):\n    return np.linalg.norm(X)\n", "g", {"norm"}, "g")
