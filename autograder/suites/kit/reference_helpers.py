"""Grade a function that calls other graded functions without charging their mistakes to it.

``conv_forward_naive`` may call the student's ``conv_output_size``, ``conv_forward_im2col`` their
``im2col``: a wrong helper would make a right function fail, and cost points twice. So a check of
such a function runs in up to two ways:

1. as submitted;
2. with the instructor's versions of the helpers swapped in for the call (a grader function,
   defined in the worker under a fresh name, puts them in the notebook's namespace and takes them
   out again).

It passes when either way passes: a function that is right with correct helpers is right, and so
is one that is right together with the student's own helpers (e.g. an ``im2col`` and a
``conv_forward_im2col`` that agree on another column order: ``im2col`` alone loses its points).
When both fail, the failure of way 2 is reported: it is the function's own. Values are judged here,
in the grader, as always; only the call runs in the worker. Example::

    def check(call):
        out, cache = as_pair(call("conv_forward_naive", x, w, b, conv_param), "conv_forward_naive")
        assert_close(out, want, 1e-7, "out")

    passes_either_way(student, worker, "conv_forward_naive", check, HELPER_SOURCES)
"""
from __future__ import annotations

import functools
import secrets

from autograder.engine.suite import ProtocolError, StudentError   # the engine's view of a student's failure
from cs231n_lib import paths
from cs231n_lib.notebook_cells import cell_source, code_cells_by_id, read_notebook

SWAP = '''
def {name}(function, *args):
    import numpy
    helpers = {{"np": numpy, "numpy": numpy}}
    for source in {sources!r}:
        exec(source, helpers)
    space = globals()
    missing = object()
    saved = {{h: space.get(h, missing) for h in {names!r}}}
    space.update({{h: helpers[h] for h in {names!r}}})
    try:
        return space[function](*args)
    finally:
        for h, f in saved.items():
            if f is missing:
                space.pop(h, None)
            else:
                space[h] = f
'''

FAILURES = (AssertionError, StudentError, ProtocolError)   # the student's, not the grader's


@functools.lru_cache(maxsize=None)
def instructor_sources(assignment: str, notebook: str, grade_ids: tuple[str, ...]) -> dict[str, str]:
    """``{grade_id: source}`` of instructor code cells (each defines the function of its name)."""
    cells = code_cells_by_id(read_notebook(paths.source_notebook(assignment, notebook)))
    return {gid: cell_source(cells[gid]) for gid in grade_ids}


class Calls:
    """How a check calls the student's functions, in one of the two ways.

    ``calls(name, *args)`` returns the result; ``calls.echo(name, *args)`` returns
    ``(result, args_after)`` (the arguments as the worker has them after the call).
    """

    def __init__(self, student, swap: str | None = None):
        self.student, self.swap = student, swap

    def __call__(self, name: str, *args):
        if self.swap is None:
            return getattr(self.student, name)(*args)
        return getattr(self.student, self.swap)(name, *args)

    def echo(self, name: str, *args):
        if self.swap is None:
            result, after, _ = self.student._echo(name, *args)
            return result, after
        result, after, _ = self.student._echo(self.swap, name, *args)
        return result, after[1:]


def install_swap(worker, helpers: dict[str, str]) -> str:
    """Define the swapping function in the worker under a fresh name; return that name."""
    name = "_grader_" + secrets.token_hex(6)
    worker.exec("grader_reference_helpers",
                SWAP.format(name=name, sources=list(helpers.values()), names=list(helpers)))
    return name


def passes_either_way(student, worker, function: str, check, helpers: dict[str, str], extra=()) -> None:
    """Run ``check(calls)`` as submitted, then with the reference ``helpers`` swapped in.

    Inputs:
    - student, worker: what the test received.
    - function: the graded function (never swapped, even when it is one of ``helpers``).
    - check: callable(calls) that asserts with kit checks; ``calls`` is a :class:`Calls`.
    - helpers: ``{name: instructor source}`` of the graded functions ``function`` may call.
    - extra: more ways to try first (callables without arguments), e.g. the student's own
      forward cache for a backward pass.

    Returns None when a way passes; otherwise raises the failure of the last way (the
    reference helpers), which the runner reports as the student's.
    """
    ways = [lambda: check(Calls(student)), *extra]
    helpers = {name: src for name, src in helpers.items() if name != function}
    if helpers:
        ways.append(lambda: check(Calls(student, install_swap(worker, helpers))))
    for i, way in enumerate(ways):
        try:
            way()
            return
        except FAILURES:
            if i == len(ways) - 1:
                raise
