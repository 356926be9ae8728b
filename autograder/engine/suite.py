"""The hidden-suite framework: how tests are declared, what they receive, how they are run.

A suite is a module in ``autograder/suites/<assignment>/<notebook>.py`` that sets

- ``NOTEBOOK``: the notebook it grades (e.g. ``"svm"``);
- ``SETUP_CELLS``: grade_ids of instructor cells to run first (imports, given classes);
- ``SOLUTION_CELLS``: grade_ids of the student's solution cells;

and defines test functions decorated with ``@graded(cell=..., function=..., weight=...)``.
``cell`` is the grade_id of the notebook's check cell whose points the test shares;
the solution cell it grades is that id without the ``test_`` prefix.

A test asks for any of these by parameter name:
``student`` (the submission, through the worker), ``ref`` (the instructor solution, run
here), ``rng`` (a numpy Generator seeded from the run seed and the test name),
``source`` (the student's source of the graded cell), ``worker`` (the raw Worker).
Tests assert with messages written for students; the test code itself is never shown.
"""
from __future__ import annotations

import inspect
import time
import zlib
from dataclasses import dataclass

import numpy as np

from autograder.sandbox.protocol import Handle, ProtocolError
from .report import TestResult
from autograder.sandbox import StudentError, WorkerFailed


@dataclass(frozen=True)
class GradedInfo:
    cell: str
    function: str
    weight: float

    @property
    def solution_cell(self) -> str:
        return self.cell[len("test_"):] if self.cell.startswith("test_") else self.cell


def graded(cell: str, function: str, weight: float = 1.0):
    """Mark a test function as part of a hidden suite (see the module docstring)."""
    def mark(fn):
        fn.graded = GradedInfo(cell, function, float(weight))
        return fn
    return mark


def collect(module) -> list:
    """The graded tests of a suite module, in the order they were defined."""
    return [f for f in vars(module).values() if callable(f) and hasattr(f, "graded")]


def test_question(fn) -> str:
    """The test's docstring (a question), or its name."""
    doc = inspect.getdoc(fn)
    return doc.splitlines()[0] if doc else fn.__name__.replace("_", " ")


# ---- the student's side, seen through the worker ---------------------------------------

class RemoteObject:
    """An object that lives in the worker (e.g. a KNearestNeighbor instance).

    ``obj.method(...)`` calls a method; ``obj._get("W")`` / ``obj._set("W", value)`` read and
    write attributes.
    """

    def __init__(self, worker, handle: Handle):
        self.__dict__["_worker"], self.__dict__["_handle"] = worker, handle

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return lambda *args, **kwargs: wrap(self._worker, self._worker.call(self._handle, *args, method=name, **kwargs))

    def _get(self, name):
        return wrap(self._worker, self._worker.getattr(self._handle, name))

    def _set(self, name, value):
        self._worker.setattr(self._handle, name, value)

    def __repr__(self):
        return f"<remote {self._handle.type_name}>"


def wrap(worker, value):
    return RemoteObject(worker, value) if isinstance(value, Handle) else value


class Student:
    """The submission's namespace: ``student.svm_loss_naive(W, X, y, reg)`` runs in the worker."""

    def __init__(self, worker):
        self.__dict__["_worker"] = worker

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return lambda *args, **kwargs: wrap(self._worker, self._worker.call(name, *args, **kwargs))


# ---- running a suite -----------------------------------------------------------------

def describe_student_error(err: StudentError, function: str) -> str:
    text = str(err)
    if text.startswith("NotImplementedError"):
        return f"not implemented: {function} still raises NotImplementedError"
    return f"{function} raised {text}"


def rng_for(seed: int, name: str) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(name.encode())])


class SuiteRunner:
    """Runs one suite against one submission, restarting the worker when it dies."""

    def __init__(self, suite, plan, make_worker, ref, seed: int, notebook: str, budget_seconds: float):
        self.suite, self.plan, self.make_worker, self.ref = suite, plan, make_worker, ref
        self.seed, self.notebook, self.budget = seed, notebook, budget_seconds
        self.worker = None
        self.cell_errors: dict[str, str] = {}
        self.stopped: dict[str, str] = {}   # function -> why its worker was stopped (its later tests are skipped)

    def _start(self):
        """A fresh worker with the planned cells run in it."""
        if self.worker is not None:
            self.worker.close()
        self.worker = self.make_worker()
        self.worker.start()
        self.cell_errors = {}
        for gid, src in self.plan.cells:
            try:
                self.worker.exec(gid, src)
            except StudentError as err:
                if gid not in self.plan.sources:  # an instructor cell failed: the grader is broken
                    raise RuntimeError(f"setup cell '{gid}' failed in the worker: {err}") from err
                self.cell_errors[gid] = f"your cell '{gid}' raised {err}"

    def run(self) -> list[TestResult]:
        results = []
        started = time.perf_counter()
        try:
            for test in collect(self.suite):
                info = test.graded
                result = TestResult(test_question(test), info.cell, info.function, self.notebook,
                                    passed=False, output="", weight=info.weight)
                results.append(result)
                problem = self.plan.problems.get(info.solution_cell)
                if problem:
                    result.output = f"{problem}: {info.function} scores 0"
                    continue
                if time.perf_counter() - started > self.budget:
                    result.output = f"not run: the submission's time budget of {self.budget:g} s is used up"
                    continue
                try:
                    if self.worker is None or not self.worker.alive:
                        self._start()
                except WorkerFailed as err:
                    result.output = f"the submission could not be loaded: {err}"
                    continue
                if info.solution_cell in self.cell_errors:
                    result.output = self.cell_errors[info.solution_cell]
                    continue
                if info.function in self.stopped:
                    result.output = f"not run: an earlier test of {self.stopped[info.function]}"
                    continue
                result.passed, result.output = self._run_one(test, info)
        finally:
            if self.worker is not None:
                self.worker.close()
        return results

    def _run_one(self, test, info) -> tuple[bool, str]:
        available = {"student": Student(self.worker), "ref": self.ref, "worker": self.worker,
                     "rng": rng_for(self.seed, test.__name__),
                     "source": self.plan.sources.get(info.solution_cell, "")}
        wanted = inspect.signature(test).parameters
        try:
            self.worker.seed(zlib.crc32(f"{self.seed}:{test.__name__}".encode()) & 0x7FFFFFFF)
            test(**{name: available[name] for name in wanted})
            return True, "passed"
        except AssertionError as err:
            return False, str(err) or "a check failed"
        except StudentError as err:
            return False, describe_student_error(err, info.function)
        except WorkerFailed as err:
            self.stopped[info.function] = f"{info.function} stopped the worker: {err}"
            return False, f"{info.function}: {err}"
        except ProtocolError as err:
            return False, f"{info.function} returned something that is not plain data ({err})"
        except Exception as err:  # the student's result had an unexpected type or shape
            return False, f"{info.function} returned an unexpected result ({type(err).__name__}: {err})"
