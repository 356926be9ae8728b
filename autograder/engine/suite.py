"""The hidden-suite framework: how tests are declared, what they receive, how they are run.

A suite is a module in ``autograder/suites/<assignment>/<notebook>.py`` that sets

- ``NOTEBOOK``: the notebook it grades (e.g. ``"svm"``);
- ``SETUP_CELLS``: grade_ids of instructor cells to run first (imports, given classes);
- ``SOLUTION_CELLS``: grade_ids of the student's solution cells;

and defines test functions decorated with ``@graded(cell=..., function=..., weight=...,
gate=..., needs=...)``. ``cell`` is the grade_id of the notebook's check cell whose points
the test shares; the solution cell it grades is that id without the ``test_`` prefix.
``gate`` names earlier tests that must pass first (properties earn points only for working
code); ``needs`` names check cells of other functions this one depends on.

A test asks for any of these by parameter name:
``student`` (the submission, through the worker), ``ref`` (the instructor solution, run
here), ``rng`` (a numpy Generator seeded from the run seed and the test name),
``source`` (the student's source of the graded cell), ``worker`` (the raw Worker).
Tests assert with messages written for students (the checks of :mod:`autograder.suites.kit`);
the test code itself is never shown. Any other exception in a test is a grader error.
"""
from __future__ import annotations

import inspect
import time
import traceback
import zlib
from dataclasses import dataclass

import numpy as np

from autograder.sandbox.protocol import Handle, HandleTable, ProtocolError, to_wire
from .report import TestResult
from autograder.sandbox import StudentError, WorkerFailed


@dataclass(frozen=True)
class GradedInfo:
    cell: str
    function: str
    weight: float
    gate: tuple[str, ...] = ()    # tests (by function name) that must pass before this one runs
    needs: tuple[str, ...] = ()   # check cells whose tests must all pass before this one runs

    @property
    def solution_cell(self) -> str:
        return self.cell[len("test_"):] if self.cell.startswith("test_") else self.cell


def _names(value) -> tuple[str, ...]:
    if value is None:
        return ()
    items = [value] if isinstance(value, str) or callable(value) else list(value)
    return tuple(v if isinstance(v, str) else v.__name__ for v in items)


def graded(cell: str, function: str, weight: float = 1.0, gate=(), needs=()):
    """Mark a test function as part of a hidden suite (see the module docstring).

    Inputs:
    - cell: grade_id of the check cell whose points the test shares.
    - function: the graded name shown to students, e.g. "svm_loss_naive".
    - weight: the test's share of the cell's points, relative to the cell's other tests.
    - gate: test(s) (functions or their names) of the same suite that must pass first. Use it
      for properties (inputs unchanged, no loops, conventions): they earn points only for a
      function that computes the right values. A gated test whose gate failed is reported as
      "not checked: <function> must compute the right values first" and is not run.
    - needs: check cell grade_id(s) this test depends on (e.g. a model needs its layers): when
      one of their ungated tests failed, the test is not run and says which function must work first.
    """
    def mark(fn):
        fn.graded = GradedInfo(cell, function, float(weight), _names(gate), _names(needs))
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

class GraderFault(Exception):
    """The suite asked for something impossible (e.g. sent a value that is not plain data)."""


def _check_plain(args, kwargs) -> None:
    try:
        to_wire([list(args), dict(kwargs)], HandleTable())
    except ProtocolError as err:
        raise GraderFault(f"the suite tried to send a value that is not plain data: {err}") from None


class RemoteObject:
    """An object that lives in the worker (e.g. a KNearestNeighbor instance).

    ``obj.method(...)`` calls a method; ``obj._get("W")`` / ``obj._set("W", value)`` read and
    write attributes; ``obj._echo("method", *args)`` returns ``(result, args_after, kwargs_after)``.
    """

    def __init__(self, worker, handle: Handle):
        self.__dict__["_worker"], self.__dict__["_handle"] = worker, handle

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)

        def method(*args, **kwargs):
            _check_plain(args, kwargs)
            return wrap(self._worker, self._worker.call(self._handle, *args, method=name, **kwargs))
        return method

    def _get(self, name):
        return wrap(self._worker, self._worker.getattr(self._handle, name))

    def _set(self, name, value):
        _check_plain((value,), {})
        self._worker.setattr(self._handle, name, value)

    def _echo(self, name, *args, **kwargs):
        _check_plain(args, kwargs)
        result, after, kw_after = self._worker.call_echo(self._handle, *args, method=name, **kwargs)
        return wrap(self._worker, result), after, kw_after

    def __repr__(self):
        return f"<remote {self._handle.type_name}>"


def wrap(worker, value):
    return RemoteObject(worker, value) if isinstance(value, Handle) else value


class Student:
    """The submission's namespace: ``student.svm_loss_naive(W, X, y, reg)`` runs in the worker.

    ``student._echo("svm_loss_naive", W, X, y, reg)`` also returns the arguments as they are
    after the call, so that "inputs unchanged" is decided here, on data that crossed the boundary.
    """

    def __init__(self, worker):
        self.__dict__["_worker"] = worker

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)

        def function(*args, **kwargs):
            _check_plain(args, kwargs)
            return wrap(self._worker, self._worker.call(name, *args, **kwargs))
        return function

    def _echo(self, name, *args, **kwargs):
        _check_plain(args, kwargs)
        result, after, kw_after = self._worker.call_echo(name, *args, **kwargs)
        return wrap(self._worker, result), after, kw_after


# ---- running a suite -----------------------------------------------------------------

MAX_OUTPUT_CHARS = 2000          # one test's message
MAX_REPORT_CHARS = 100_000       # all messages of one notebook


def cap(text: str, limit: int = MAX_OUTPUT_CHARS) -> str:
    """``text`` cut to ``limit`` characters, saying so."""
    text = str(text)
    return text if len(text) <= limit else text[:limit] + f" ... [{len(text) - limit} more characters cut]"


def describe_student_error(err: StudentError, function: str) -> str:
    text = str(err)
    if text.startswith("NotImplementedError"):
        return f"not implemented: {function} still raises NotImplementedError"
    if err.type_name == "ProtocolError":
        return f"{function} returned a value that cannot be sent back to the grader ({text.split(': ', 1)[-1]})"
    return f"{function} raised {text}"


def rng_for(seed: int, name: str) -> np.random.Generator:
    """The generator of one test: the same draws for the same (seed, test name), others otherwise."""
    return np.random.default_rng([seed, zlib.crc32(name.encode())])


class SuiteError(Exception):
    """The suite itself is inconsistent (a grader fault, never the student's)."""


def check_suite(tests) -> None:
    """Every gate names an earlier test, every needed cell an earlier cell."""
    seen, cells = set(), set()
    for test in tests:
        info = test.graded
        for g in info.gate:
            if g not in seen:
                raise SuiteError(f"{test.__name__}: gate {g!r} is not a test defined before it")
        for c in info.needs:
            if c not in cells:
                raise SuiteError(f"{test.__name__}: needs {c!r}, which has no test defined before it")
        seen.add(test.__name__)
        cells.add(info.cell)


class SuiteRunner:
    """Runs one suite against one submission, restarting the worker when it dies.

    Who is charged for what (DESIGN §3.2): the student for exceptions of their code, values
    that break the protocol, a worker that dies, and the kit's assertions; everything else
    (a crash of the reference or of a test) is a grader error: the test says so, the notebook
    is flagged (``grader_errors``), and the traceback is kept for the instructor.
    """

    def __init__(self, suite, plan, make_worker, ref, seed: int, notebook: str, budget_seconds: float,
                 diagnoser=None):
        self.suite, self.plan, self.make_worker, self.ref = suite, plan, make_worker, ref
        self.diagnoser = diagnoser          # engine.diagnosis.Diagnoser, or None: no mistake diagnosis
        self.transcripts: dict[str, list] = {}  # test name -> requests recorded for the diagnosis
        self.seed, self.notebook, self.budget = seed, notebook, budget_seconds
        self.worker = None
        self.cell_errors: dict[str, str] = {}
        self.stopped: dict[str, str] = {}   # function -> why its worker was stopped (its later tests are skipped)
        self.outcomes: dict[str, TestResult] = {}
        self.grader_errors: list[str] = []  # "test name: traceback", for the instructor
        self.containment = None             # what the worker reported about its sandbox
        self._chars = 0

    def _start(self):
        """A fresh worker with the planned cells run in it."""
        if self.worker is not None:
            self.worker.close()
        self.worker = self.make_worker()
        self.worker.start()
        self.containment = getattr(self.worker, "containment", None)
        self.cell_errors = {}
        student_ran, broken_setup = False, None
        for gid, src in self.plan.cells:
            is_student = gid in self.plan.sources
            if broken_setup and is_student:
                self.cell_errors[gid] = broken_setup
            try:
                self.worker.exec(gid, src)
                student_ran = student_ran or is_student
            except StudentError as err:
                if is_student:
                    self.cell_errors.setdefault(gid, f"your cell '{gid}' raised {cap(err, 500)}")
                    student_ran = True
                elif not student_ran:  # an instructor cell failed on its own: the grader is broken
                    raise RuntimeError(f"setup cell '{gid}' failed in the worker: {err}") from err
                else:
                    broken_setup = broken_setup or (
                        f"the instructor's cell '{gid}' failed after your earlier cells ran "
                        f"({cap(err, 300)}); check that your cells do not delete or redefine names it uses")

    def _report(self, result: TestResult, passed: bool, output: str, status: str | None = None) -> None:
        text = cap(output)
        room = MAX_REPORT_CHARS - self._chars
        if len(text) > room:
            text = cap(text, max(room, 200))
        self._chars += len(text)
        result.passed, result.output = passed, text
        result.status = status or ("passed" if passed else "failed")

    def _not_checked(self, info: GradedInfo) -> str | None:
        """Why a gated test is not run (an earlier test it depends on failed), or None."""
        for g in info.gate:
            if self.outcomes[g].output.startswith("not implemented"):
                return self.outcomes[g].output
            if not self.outcomes[g].passed:
                return (f"not checked: {info.function} must compute the right values first "
                        f"(see \"{self.outcomes[g].name}\")")
        for cell in info.needs:
            failing = [r for r in self.outcomes.values()
                       if r.grade_id == cell and not r.gated and not r.passed]
            if failing:
                return f"not checked: {failing[0].function} must compute the right values first"
        return None

    def run(self) -> list[TestResult]:
        results = []
        started = time.perf_counter()
        tests = collect(self.suite)
        check_suite(tests)
        try:
            for test in tests:
                info = test.graded
                result = TestResult(test_question(test), info.cell, info.function, self.notebook,
                                    passed=False, output="", weight=info.weight,
                                    gated=bool(info.gate or info.needs), test_id=test.__name__)
                results.append(result)
                self.outcomes[test.__name__] = result
                problem = self.plan.problems.get(info.solution_cell)
                if problem:
                    self._report(result, False, f"{problem}: {info.function} scores 0")
                    continue
                blocked = self._not_checked(info)
                if blocked:
                    self._report(result, False, blocked, "not checked")
                    continue
                if time.perf_counter() - started > self.budget:
                    self._report(result, False, f"not run: the submission's time budget of {self.budget:g} s is used up")
                    continue
                try:
                    if self.worker is None or not self.worker.alive:
                        self._start()
                except WorkerFailed as err:
                    self._report(result, False, f"the submission could not be loaded: {err}")
                    continue
                if info.solution_cell in self.cell_errors:
                    self._report(result, False, self.cell_errors[info.solution_cell])
                    continue
                if info.function in self.stopped:
                    self._report(result, False, f"not run: an earlier test of {self.stopped[info.function]}")
                    continue
                self._run_one(test, info, result)
        finally:
            if self.worker is not None:
                self.worker.close()
        if self.diagnoser is not None and self.transcripts:
            try:
                self.diagnoser.diagnose(results, self.transcripts)
            except Exception:  # noqa: BLE001 - a diagnosis is a bonus: without one, grading stands
                pass
        return results

    def _run_one(self, test, info, result: TestResult) -> None:
        worker = self.worker
        if self.diagnoser is not None and self.diagnoser.records(info.solution_cell):
            from .diagnosis import Recorder
            worker = Recorder(self.worker)
            self.transcripts[test.__name__] = worker.entries
        available = {"student": Student(worker), "ref": self.ref, "worker": worker,
                     "rng": rng_for(self.seed, test.__name__),
                     "source": self.plan.sources.get(info.solution_cell, "")}
        wanted = inspect.signature(test).parameters
        try:
            worker.seed(zlib.crc32(f"{self.seed}:{test.__name__}".encode()) & 0x7FFFFFFF)
            test(**{name: available[name] for name in wanted})
        except AssertionError as err:
            self._report(result, False, str(err) or "a check failed")
        except StudentError as err:
            self._report(result, False, describe_student_error(err, info.function))
        except WorkerFailed as err:
            self.stopped[info.function] = f"{info.function} stopped the worker: {err}"
            self._report(result, False, f"{info.function}: {err}")
        except ProtocolError as err:  # the worker's reply was not what the protocol allows
            self._report(result, False, f"{info.function} returned something that is not plain data ({err})")
        except Exception:  # noqa: BLE001 - the reference or the suite broke: never the student's fault
            self.grader_errors.append(f"{self.notebook}: {test.__name__}:\n{traceback.format_exc()}")
            self._report(result, False, "not graded: the grader failed on this test (a grader error, not "
                         "your mistake; the instructor has been told and will grade it by hand)", "grader error")
        else:
            self._report(result, True, "passed")
