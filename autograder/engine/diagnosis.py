"""Mistake diagnosis: name the known mistake that reproduces a student's outputs exactly.

Instructors keep a library of known wrong implementations per graded function, one module per
notebook: ``autograder/suites/<assignment>/mistakes/<notebook>.py`` defines ``MISTAKES``, a list
of :class:`Mistake` (the cell it replaces, a short id, the words shown to the student, and the
wrong cell source). It is grader-side data, never released.

How a diagnosis is made (all of it in the trusted grader process; the worker only runs the
student's code as usual):

1. While a suite runs, every request that a test of a function with known mistakes sends to the
   worker is recorded with its answer (:class:`Recorder`): the calls with their arguments, the
   values that came back (or the type of the exception), the seeds, the grader cells executed.
2. When some test of the function failed, each of its tests that ran is replayed here, on the
   recorded inputs, against the instructor's cells with the function's cell replaced by a known
   mistake (:class:`Replay`), and once against the instructor's cells as they are.
3. A mistake is named only when it reproduces *every* recorded answer of *every* test of the
   function (same types, shapes and dtypes, values within ``SAME`` relative), the student's
   answers differ from the reference's (by more than ``DIFFERENT`` somewhere), and no other
   mistake of the library also reproduces them. Anything unusual (a worker that died, an answer
   that cannot be replayed, a replay that fails) means no diagnosis: never a false one.
"""
from __future__ import annotations

import contextlib
import functools
import importlib
import io
import random
import types
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from autograder.sandbox import StudentError
from autograder.sandbox.protocol import Handle, HandleTable, to_wire

SAME = 1e-9        # relative difference under which two answers are the same answer
DIFFERENT = 1e-6   # relative difference over which the student's answer is not the reference's
SUITES_DIR = Path(__file__).resolve().parents[1] / "suites"


@dataclass(frozen=True)
class Mistake:
    """A known wrong implementation of one graded function.

    - cell: grade_id of the solution cell it replaces (e.g. ``"svm_loss_naive"``).
    - id: short name, unique among the mistakes of its cell (e.g. ``"no-correct-class-column"``).
    - says: what the student is told, in plain words (e.g. "your dW is what you get when ...").
    - source: the whole wrong cell, as a student would write it.
    """
    cell: str
    id: str
    says: str
    source: str


def load_mistakes(assignment: str, notebook: str) -> list[Mistake]:
    """The mistake library of a notebook (empty when it has none)."""
    path = SUITES_DIR / assignment / "mistakes" / f"{notebook}.py"
    if not path.is_file():
        return []
    module = importlib.import_module(f"autograder.suites.{assignment}.mistakes.{notebook}")
    mistakes = list(getattr(module, "MISTAKES", []))
    ids = [(m.cell, m.id) for m in mistakes]
    if len(set(ids)) != len(ids):
        raise ValueError(f"{path}: mistake ids must be unique per cell, got {ids}")
    return mistakes


# ---- recording what a test asks the worker -------------------------------------------------

class Broken(Exception):
    """The recorded exchange cannot be replayed (the worker died, a reply broke the protocol)."""


class Recorder:
    """Stands for the worker in one test and records every request with its answer.

    ``entries`` holds ``(op, request, outcome)``; ``outcome`` is ``("value", v)``,
    ``("raised", exception type name)`` or ``("broken", None)``.
    """

    def __init__(self, worker):
        self._worker = worker
        self.entries: list[tuple[str, tuple, tuple]] = []

    def _do(self, op: str, request: tuple, fn):
        try:
            value = fn()
        except StudentError as err:
            self.entries.append((op, request, ("raised", err.type_name or str(err).split(":")[0])))
            raise
        except BaseException:
            self.entries.append((op, request, ("broken", None)))
            raise
        self.entries.append((op, request, ("value", value)))
        return value

    def exec(self, label, source, **kw):
        result = None

        def run():
            nonlocal result
            result = self._worker.exec(label, source, **kw)
        self._do("exec", (label, source), run)  # recorded as None: the outcome is that it ran
        return result

    def call(self, target, *args, method=None, **kwargs):
        return self._do("call", (target, method, args, kwargs),
                        lambda: self._worker.call(target, *args, method=method, **kwargs))

    def call_echo(self, target, *args, method=None, **kwargs):
        return self._do("echo", (target, method, args, kwargs),
                        lambda: self._worker.call_echo(target, *args, method=method, **kwargs))

    def getattr(self, target, name):
        return self._do("getattr", (target, name), lambda: self._worker.getattr(target, name))

    def setattr(self, target, name, value):
        return self._do("setattr", (target, name, value), lambda: self._worker.setattr(target, name, value))

    def seed(self, n):
        return self._do("seed", (n,), lambda: self._worker.seed(n))

    def __getattr__(self, name):  # alive, containment, output_tail, ...: the worker's own
        return getattr(self._worker, name)


# ---- comparing answers ----------------------------------------------------------------------

def distance(a, b, handles: dict) -> float:
    """Largest relative difference between two answers as they crossed the wire; ``inf`` when
    they differ in kind (type, shape, dtype, keys, an exception type). ``handles`` maps the
    recorded handles to the replay's, and is filled as they first appear."""
    if isinstance(a, Handle) or isinstance(b, Handle):
        if not (isinstance(a, Handle) and isinstance(b, Handle)) or a.type_name != b.type_name:
            return np.inf
        if handles.setdefault(a, b) != b:
            return np.inf
        return 0.0
    if type(a) is not type(b):
        return np.inf
    if isinstance(a, (float, complex, np.ndarray)):
        x, y = np.asarray(a), np.asarray(b)
        if x.shape != y.shape or x.dtype != y.dtype:
            return np.inf
        if x.dtype.kind not in "fc":
            return 0.0 if np.array_equal(x, y) else np.inf
        if not np.array_equal(np.isnan(x), np.isnan(y)):
            return np.inf
        ok = ~np.isnan(x)
        x, y = x[ok], y[ok]
        if not np.array_equal(np.isinf(x), np.isinf(y)) or not np.array_equal(x[np.isinf(x)], y[np.isinf(y)]):
            return np.inf
        finite = ~np.isinf(x)
        x, y = x[finite], y[finite]
        if x.size == 0:
            return 0.0
        scale = max(float(np.abs(x).max()), float(np.abs(y).max()), 1e-300)
        return float(np.abs(x - y).max()) / scale
    if isinstance(a, (list, tuple)):
        if len(a) != len(b):
            return np.inf
        return max([distance(x, y, handles) for x, y in zip(a, b)], default=0.0)
    if isinstance(a, dict):
        if set(a) != set(b):
            return np.inf
        return max([distance(a[k], b[k], handles) for k in a], default=0.0)
    return 0.0 if a == b else np.inf


def outcome_distance(recorded: tuple, replayed: tuple, handles: dict) -> float:
    if recorded[0] != replayed[0]:
        return np.inf
    if recorded[0] == "raised":
        return 0.0 if recorded[1] == replayed[1] else np.inf
    return distance(recorded[1], replayed[1], handles)


# ---- replaying a test here -----------------------------------------------------------------

@contextlib.contextmanager
def _quiet_and_restored():
    """Run instructor code without letting it change this process: RNG states, numpy error
    handling and output are put back; warnings are silenced."""
    np_state, py_state, err = np.random.get_state(), random.getstate(), np.geterr()
    np.seterr(all="warn")  # numpy's defaults, as in the worker
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), \
                contextlib.redirect_stderr(io.StringIO()):
            warnings.simplefilter("ignore")
            yield
    finally:
        np.random.set_state(np_state)
        random.setstate(py_state)
        np.seterr(**err)


@functools.lru_cache(maxsize=4096)
def _compiled(source: str, label: str):
    return compile(source, label, "exec")


def _wire(value):
    """``value`` as the other side of the wire would see it: fresh plain arrays, numpy scalars as
    Python scalars, the same containers (what ``decode(encode(value))`` gives, without the copy
    through JSON and base64, which costs far more for large arrays)."""
    t = type(value)
    if t is np.ndarray or isinstance(value, np.ndarray):
        return np.array(value, copy=True, subok=False)
    if isinstance(value, np.generic):
        return value.item()
    if t is list:
        return [_wire(v) for v in value]
    if t is tuple:
        return tuple(_wire(v) for v in value)
    if t is dict:
        return {_wire(k): _wire(v) for k, v in value.items()}
    return value


class Replay:
    """A namespace built from cells, answering the recorded requests of one test as a worker would."""

    def __init__(self, cells: list[tuple[str, str]]):
        module = types.ModuleType("submission")  # the worker's name: same type names in handles
        self.ns = module.__dict__
        self.table = HandleTable()
        self.local: dict[Handle, Handle] = {}  # recorded handle -> handle of this replay
        for label, source in cells:
            exec(_compiled(source, label), self.ns)  # noqa: S102 - instructor cells

    def _obj(self, target):
        if target is None:
            return None
        if isinstance(target, Handle):
            if target not in self.local:
                raise Broken("a handle that was never seen here")
            return self.table.get(self.local[target])
        if target not in self.ns:
            raise NameError(f"name {target!r} is not defined")
        return self.ns[target]

    def _args(self, value):
        """Arguments as the worker receives them: decoded from the wire, handles resolved."""
        if isinstance(value, Handle):
            return self._obj(value)
        if isinstance(value, list):
            return [self._args(v) for v in value]
        if isinstance(value, tuple):
            return tuple(self._args(v) for v in value)
        if isinstance(value, dict):
            return {k: self._args(v) for k, v in value.items()}
        return value

    def answer(self, op: str, request: tuple) -> tuple:
        try:
            if op == "exec":
                label, source = request
                exec(_compiled(source, label), self.ns)  # noqa: S102 - grader cells of the test
                return ("value", None)
            if op == "seed":
                np.random.seed(request[0])
                random.seed(request[0])
                return ("value", None)
            if op in ("call", "echo"):
                target, method, args, kwargs = request
                fn = self._obj(target)
                if method is not None:
                    fn = getattr(fn, method)
                args = self._args(_wire(list(args)))
                kwargs = self._args(_wire(dict(kwargs)))
                result = to_wire(fn(*args, **kwargs), self.table)
                if op == "echo":
                    return ("value", _wire([result, [to_wire(a, self.table) for a in args],
                                            {k: to_wire(v, self.table) for k, v in kwargs.items()}]))
                return ("value", _wire(result))
            if op == "getattr":
                target, name = request
                obj = self._obj(target)
                if obj is None:
                    if name not in self.ns:
                        raise NameError(f"name {name!r} is not defined")
                    return ("value", _wire(to_wire(self.ns[name], self.table)))
                return ("value", _wire(to_wire(getattr(obj, name), self.table)))
            if op == "setattr":
                target, name, value = request
                obj, value = self._obj(target), self._args(_wire(value))
                if obj is None:
                    self.ns[name] = value
                else:
                    setattr(obj, name, value)
                return ("value", None)
        except Broken:
            raise
        except BaseException as exc:  # noqa: BLE001 - the replayed code raised: compare the type
            return ("raised", type(exc).__name__)
        raise Broken(f"unknown request {op}")


def replay_distance(cells: list[tuple[str, str]], entries) -> float:
    """How far the answers of ``cells`` are from the recorded ones, over one test's requests."""
    replay = Replay(cells)
    worst = 0.0
    for op, request, recorded in entries:
        got = replay.answer(op, request)
        if op in ("call", "echo", "getattr") and recorded[0] == "value" and got[0] == "value":
            rec_value, got_value = recorded[1], got[1]
            if op == "echo":  # call_echo returned (result, args_after, kwargs_after) as a tuple
                rec_value = list(rec_value)
            d = distance(rec_value, got_value, replay.local)
        else:
            d = outcome_distance(recorded, got, replay.local)
        worst = max(worst, d)
        if worst == np.inf:
            break
    return worst


# ---- the diagnosis of one submission --------------------------------------------------------

class Diagnoser:
    """Diagnoses the failed functions of one graded notebook from the recorded tests.

    ``cells`` are the instructor's cells as the worker runs them (label, source), in order;
    ``mistakes`` the notebook's library.
    """

    def __init__(self, cells: list[tuple[str, str]], mistakes: list[Mistake]):
        self.cells, self.mistakes = cells, mistakes
        self.cells_with_mistakes = {m.cell for m in mistakes}

    def records(self, solution_cell: str) -> bool:
        """Whether the tests of this solution cell are worth recording."""
        return solution_cell in self.cells_with_mistakes

    def _with(self, mistake: Mistake) -> list[tuple[str, str]]:
        return [(label, mistake.source if label == mistake.cell else src) for label, src in self.cells]

    def diagnose(self, results, transcripts: dict[str, list]) -> None:
        """Set ``diagnosis`` on the failed tests of every function a single known mistake explains.

        ``results``: the TestResults of the run; ``transcripts``: test_id -> recorded entries.
        """
        by_cell: dict[str, list] = {}
        for r in results:
            cell = r.grade_id[len("test_"):] if r.grade_id.startswith("test_") else r.grade_id
            if cell in self.cells_with_mistakes:
                by_cell.setdefault(cell, []).append(r)
        for cell, tests in by_cell.items():
            failed = [r for r in tests if r.status == "failed"]
            if not failed:
                continue
            ran = [r for r in tests if r.status in ("passed", "failed")]
            entries = [transcripts.get(r.test_id) for r in ran]
            if any(e is None or any(o[0] == "broken" for _, _, o in e) for e in entries):
                continue
            found = self._explain(cell, entries)
            if found is not None:
                for r in failed:
                    r.diagnosis = {"mistake": f"{found.cell}/{found.id}", "says": found.says}

    def _explain(self, cell: str, entries: list) -> Mistake | None:
        try:
            with _quiet_and_restored():
                if max(replay_distance(self.cells, e) for e in entries) < DIFFERENT:
                    return None  # the student's values are the reference's: not a value mistake
                matches = []
                for mistake in (m for m in self.mistakes if m.cell == cell):
                    if all(replay_distance(self._with(mistake), e) <= SAME for e in entries):
                        matches.append(mistake)
                        if len(matches) > 1:
                            return None  # two known mistakes explain it: say nothing
        except Exception:  # noqa: BLE001 - a replay that cannot run gives no diagnosis, never a guess
            return None
        return matches[0] if len(matches) == 1 else None
