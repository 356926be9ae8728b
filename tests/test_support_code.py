"""Do the support code's invariants hold: rel_error's floor, the numerical gradients, the
kit's tolerance check, point splitting, per-test seeding, the protocol's caps and the
Gradescope JSON shape?

Each invariant is written as a ``check_*`` function that raises AssertionError when it
does not hold. Every test runs its check on the real code (must pass) and, as a negative
control, on a deliberately wrong variant (must fail), so that the check is known to be able
to fail. ``tests/support_mutations.py`` applies such wrong changes to a copy of the
repository and counts how many of them the test folder catches.
"""
from __future__ import annotations

import json
import math
import types

import numpy as np
import pytest

from autograder.engine import report as report_module
from autograder.engine.report import NotebookReport, split_points
from autograder.engine.submission import CellPlan
from autograder.engine.suite import SuiteRunner, graded, rng_for
from autograder.sandbox import Limits, Worker, protocol
from autograder.sandbox.protocol import ProtocolError, decode, encode
from autograder.suites.kit.checks import assert_close
from cs231n_lib.gradient_check import (eval_numerical_gradient, eval_numerical_gradient_array,
                                       grad_check_sparse, rel_error)


def fails(check, *args, **kwargs) -> None:
    """Negative control: ``check(*args)`` must fail (an assert, or a ``pytest.raises`` that saw nothing)."""
    try:
        check(*args, **kwargs)
    except (AssertionError, pytest.fail.Exception):
        return
    pytest.fail(f"negative control: {check.__name__} accepted a wrong variant")


# ---- 1. rel_error and its floor ----------------------------------------------------------

def rel_error_without_floor(x, y):
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    return float(np.max(np.abs(x - y) / (np.abs(x) + np.abs(y))))


def rel_error_floor_1e6(x, y):
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    return float(np.max(np.abs(x - y) / np.maximum(1e-6, np.abs(x) + np.abs(y))))


def check_rel_error_floor(rel):
    assert rel(0.0, 1e-10) == 1e-2                     # |x|+|y| = 1e-10 < 1e-8: floored
    assert rel(1e-9, 2e-9) == 0.1                      # 1e-9 / 1e-8, not 1e-9 / 3e-9
    assert rel(np.array([0.0, 1.0]), np.array([1e-10, 1.0])) == 1e-2
    assert rel(2e-8, 1e-8) == pytest.approx(1 / 3, rel=1e-12)  # above the floor: plain formula
    assert rel(-1.0, 1.0) == 1.0                       # absolute values in the denominator


def test_rel_error_floor_is_1e_minus_8():
    """Does rel_error divide by max(1e-8, |x|+|y|): 1e-2 for (0, 1e-10) and 0.1 for (1e-9, 2e-9)?"""
    check_rel_error_floor(rel_error)
    fails(check_rel_error_floor, rel_error_without_floor)
    fails(check_rel_error_floor, rel_error_floor_1e6)


def test_rel_error_empty_and_mismatched_shapes():
    """Is rel_error 0.0 (a float) for empty arrays and a ValueError for broadcastable but different shapes?"""
    for empty in (np.zeros(0), np.zeros((0, 3))):
        got = rel_error(empty, empty.copy())
        assert got == 0.0 and type(got) is float
    for a, b in [(np.zeros(3), np.zeros((3, 1))), (np.zeros(1), 0.0), (np.zeros((1, 4)), np.zeros(4))]:
        with pytest.raises(ValueError):
            rel_error(a, b)
    # negative control: the same inputs pass silently (or crash) without the explicit checks
    assert rel_error_without_floor(np.zeros(3) + 1, np.ones((3, 1))) == 0.0
    with pytest.raises(ValueError):
        rel_error_without_floor(np.zeros(0), np.zeros(0))  # np.max of an empty array


# ---- 2. numerical gradients --------------------------------------------------------------

def grad_array_without_copy(f, x, df, h=1e-5):
    """A wrong checker: keeps f(x + h) as returned, so a view sees x change under it."""
    grad = np.zeros_like(x, dtype=np.float64)
    for ix in np.ndindex(x.shape):
        old = x[ix]
        x[ix] = old + h
        pos = f(x)
        x[ix] = old - h
        neg = f(x)
        x[ix] = old
        grad[ix] = np.sum((pos - neg) * df) / (2 * h)
    return grad


def grad_array_over_h(f, x, df, h=1e-5):
    """A wrong checker: divides the centered difference by h instead of 2h."""
    return 2 * eval_numerical_gradient_array(f, x, df, h=h)


def grad_array_fixed_h(f, x, df, h=1e-5):
    """A wrong checker: ignores the step it is given."""
    return eval_numerical_gradient_array(f, x, df)


def grad_array_inexact_restore(f, x, df, h=1e-5):
    """A wrong checker: puts x back by adding h to x - h (not bit-exact)."""
    grad = np.zeros_like(x, dtype=np.float64)
    for ix in np.ndindex(x.shape):
        old = x[ix]
        x[ix] = old + h
        pos = np.array(f(x), dtype=np.float64)
        x[ix] = old - h
        neg = np.array(f(x), dtype=np.float64)
        x[ix] += h
        grad[ix] = np.sum((pos - neg) * df) / (2 * h)
    return grad


def as_scalar_checker(array_checker):
    """The scalar-function checker built from an array one (df = 1)."""
    return lambda f, x, h=1e-5: array_checker(f, x, np.ones(()), h=h)


def check_view_returning_functions(grad_array):
    x = np.linspace(-1.0, 1.5, 7)
    df = np.arange(1.0, 8.0)
    assert rel_error(grad_array(lambda z: z, x, df), df) < 1e-8
    df2 = np.array([3.0, -1.0, 2.0, 0.5])
    want = np.zeros(7)
    want[::2] = df2
    assert rel_error(grad_array(lambda z: z[::2], x, df2), want) < 1e-8
    m = np.arange(6.0).reshape(2, 3) / 7
    dm = np.arange(1.0, 7.0).reshape(3, 2)
    assert rel_error(grad_array(lambda z: z.T, m, dm), dm.T) < 1e-8


def test_array_gradient_of_view_returning_functions():
    """Does eval_numerical_gradient_array give df for f = x, x[::2] and x.T (views of x), not 0?"""
    check_view_returning_functions(eval_numerical_gradient_array)
    fails(check_view_returning_functions, grad_array_without_copy)


def check_scalar_view(grad):
    x = np.array([0.3, -0.7, 1.1])
    # z[1, ...] is a 0-d VIEW of x: it changes when x does
    assert rel_error(grad(lambda z: z[1, ...], x), np.array([0.0, 1.0, 0.0])) < 1e-8


def test_scalar_gradient_of_a_view_returning_function():
    """Does eval_numerical_gradient find d/dx of f = x[1, ...] (a 0-d view of x) as e_1, not 0?"""
    check_scalar_view(lambda f, x: eval_numerical_gradient(f, x, verbose=False))
    fails(check_scalar_view, as_scalar_checker(grad_array_without_copy))


def test_sparse_check_of_a_view_returning_function():
    """Does grad_check_sparse accept the right gradient e_1 of f = x[1, ...] (a 0-d view of x)?"""
    x = np.array([0.3, -0.7, 1.1])
    right = grad_check_sparse(lambda z: z[1, ...], x, np.array([0.0, 1.0, 0.0]),
                              num_checks=12, seed=0, verbose=False)
    assert np.max(right) < 1e-8
    # negative control: index 1 was checked, so a wrong gradient there is flagged
    wrong = grad_check_sparse(lambda z: z[1, ...], x, np.zeros(3), num_checks=12, seed=0, verbose=False)
    assert np.max(wrong) == 1.0


def check_step_is_used(grad_array):
    # centered difference of x^3 is exactly 3x^2 + h^2: it shows both the step and the 2h
    x = np.array([[0.5, -1.25, 2.0], [1.5, -0.75, 1.0]])
    h = 0.1
    got = grad_array(lambda z: z ** 3, x, np.ones_like(x), h=h)
    assert rel_error(got, 3 * x ** 2 + h ** 2) < 1e-9
    # the default step is 1e-5: at x = 0 the whole result is h^2
    zero = np.zeros(4)
    assert rel_error(grad_array(lambda z: z ** 3, zero, np.ones(4)), np.full(4, 1e-10)) < 1e-5


def test_array_gradient_uses_the_step_and_divides_by_2h():
    """Does eval_numerical_gradient_array use the step h it is given (default 1e-5) and divide by 2h?"""
    check_step_is_used(eval_numerical_gradient_array)
    fails(check_step_is_used, grad_array_over_h)
    fails(check_step_is_used, grad_array_fixed_h)


def test_scalar_gradient_uses_the_step_and_divides_by_2h():
    """Does eval_numerical_gradient use the step h it is given (default 1e-5) and divide by 2h?"""
    def scalar_as_array(f, x, df, h=None):
        kwargs = {} if h is None else {"h": h}
        return eval_numerical_gradient(lambda z: np.sum(f(z)), x, verbose=False, **kwargs)

    check_step_is_used(scalar_as_array)
    fails(check_step_is_used, lambda f, x, df, h=1e-5: 2 * scalar_as_array(f, x, df, h))
    fails(check_step_is_used, lambda f, x, df, h=1e-5: scalar_as_array(f, x, df))


def test_sparse_check_uses_the_step_and_divides_by_2h():
    """Does grad_check_sparse compare with (f(x+h) - f(x-h)) / 2h at the step it is given?"""
    x = np.array([[0.5, -1.25, 1.5], [1.0, -0.75, 1.25]])
    h = 0.1
    f = lambda z: np.sum(z ** 3)  # noqa: E731
    right = grad_check_sparse(f, x, 3 * x ** 2 + h ** 2, num_checks=10, h=h, seed=1, verbose=False)
    assert np.max(right) < 1e-9
    # negative control: the exact derivative differs by h^2 at this step, and that is seen
    exact = grad_check_sparse(f, x, 3 * x ** 2, num_checks=10, h=h, seed=1, verbose=False)
    assert np.min(exact) > 5e-4
    # twice the difference quotient (a checker dividing by h) is flagged everywhere
    double = grad_check_sparse(f, x, 2 * (3 * x ** 2 + h ** 2), num_checks=10, h=h, seed=1, verbose=False)
    assert np.min(double) > 0.3
    # at x = 0 and the default step, the quotient is exactly h^2 = 1e-10
    zero = np.zeros(5)
    at_default = grad_check_sparse(f, zero, np.full(5, 1e-10), num_checks=5, seed=2, verbose=False)
    assert np.max(at_default) < 1e-5


def restore_data():
    """x with entries of order h and below (where (x - h) + h != x) and of order 1 and 10."""
    rng = np.random.default_rng(5)
    return rng.standard_normal((3, 4)) * np.array([1e-6, 1e-5, 1.0, 10.0])


def check_x_restored(grad_array):
    x = restore_data()
    before = x.copy()
    grad_array(lambda z: np.sin(z), x, np.ones_like(x))
    assert x.tobytes() == before.tobytes()


def test_x_is_restored_bit_exactly():
    """Is x bit-for-bit what it was after each of the three checkers?"""
    h = 1e-5
    x0 = restore_data()
    assert np.any((x0 - h) + h != x0)  # the data can tell an exact restore from (x - h) + h
    check_x_restored(eval_numerical_gradient_array)
    check_x_restored(lambda f, x, df: eval_numerical_gradient(lambda z: np.sum(f(z)), x, verbose=False))
    x = x0.copy()
    grad_check_sparse(lambda z: np.sum(np.sin(z)), x, np.cos(x), num_checks=20, seed=3, verbose=False)
    assert x.tobytes() == x0.tobytes()
    fails(check_x_restored, grad_array_inexact_restore)


def test_gradients_of_known_functions():
    """Do the checkers find the gradients of sum(x*y) (w.r.t. x) and of x*y elementwise?"""
    rng = np.random.default_rng(7)
    x, y = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    assert rel_error(eval_numerical_gradient(lambda z: np.sum(z * y), x, verbose=False), y) < 1e-8
    df = rng.standard_normal((4, 3))
    assert rel_error(eval_numerical_gradient_array(lambda z: z * y, x, df), df * y) < 1e-8
    errors = grad_check_sparse(lambda z: np.sum(z * y), x, y, num_checks=6, seed=4, verbose=False)
    assert errors.shape == (6,) and np.max(errors) < 1e-8
    # negative control: the gradient of another function is not accepted
    assert rel_error(eval_numerical_gradient(lambda z: np.sum(z * y), x, verbose=False), x) > 0.1


# ---- 3. assert_close ---------------------------------------------------------------------

def pair_with_rel_error(r: float, size: int | None = None):
    """(got, want) with rel_error(got, want) == r up to rounding (want = 1)."""
    got = 1.0 + 2 * r / (1 - r)
    if size is None:
        return got, 1.0
    g, w = np.linspace(0.5, 2.0, size), np.linspace(0.5, 2.0, size)
    g[-1] = got * w[-1]
    return g, w


def assert_close_le(got, want, tol, what, context=""):
    """A wrong variant: accepts rel_error == tol."""
    assert rel_error(got, want) <= tol, what


def assert_close_10x(got, want, tol, what, context=""):
    """A wrong variant: ten times the tolerance."""
    assert rel_error(got, want) < 10 * tol, what


def check_tolerance_sides(close, tol, size):
    below, above = pair_with_rel_error(0.9 * tol, size), pair_with_rel_error(1.1 * tol, size)
    assert rel_error(*below) < tol < rel_error(*above)
    close(*below, tol, "loss")
    with pytest.raises(AssertionError):
        close(*above, tol, "loss")


def check_strict_boundary(close, tol, size):
    got, want = pair_with_rel_error(tol, size)
    err = rel_error(got, want)
    with pytest.raises(AssertionError):
        close(got, want, err, "loss")            # rel_error == tol: not < tol
    close(got, want, float(np.nextafter(err, np.inf)), "loss")


@pytest.mark.parametrize("size", [None, 5], ids=["scalar", "array"])
@pytest.mark.parametrize("tol", [1e-9, 1e-6, 1e-2])
def test_assert_close_boundary(tol, size):
    """Does assert_close pass at 0.9*tol and fail at 1.1*tol and at exactly tol (strict <), for scalars and arrays?"""
    check_tolerance_sides(assert_close, tol, size)
    check_strict_boundary(assert_close, tol, size)
    fails(check_tolerance_sides, assert_close_10x, tol, size)
    fails(check_strict_boundary, assert_close_le, tol, size)


@pytest.mark.parametrize("size", [None, 5], ids=["scalar", "array"])
def test_assert_close_message_names_what_and_where(size):
    """Does assert_close's message name the checked quantity and the context?"""
    got, want = pair_with_rel_error(0.5, size)
    with pytest.raises(AssertionError) as exc:
        assert_close(got, want, 1e-6, "the gradient dW", "for reg=0.25")
    assert "the gradient dW" in str(exc.value) and "for reg=0.25" in str(exc.value)
    with pytest.raises(AssertionError) as exc:
        assert_close(np.zeros(3), np.zeros(4), 1e-6, "the scores")
    assert "the scores" in str(exc.value)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_assert_close_refuses_shape_mismatch_and_non_finite(bad):
    """Do a different shape (even a broadcastable one) and nan/inf raise AssertionError, not pass or ValueError?"""
    for got, want in [(np.zeros(3), np.zeros((3, 1))), (np.zeros((1, 3)), np.zeros(3)), (np.zeros(1), 0.0)]:
        with pytest.raises(AssertionError):
            assert_close(got, want, 1e-6, "the scores")
    with pytest.raises(AssertionError, match="loss"):
        assert_close(bad, 1.0, 1e-6, "loss")
    with pytest.raises(AssertionError, match="scores"):
        assert_close(np.array([1.0, bad]), np.array([1.0, 2.0]), 1e-6, "scores")
    # negative control: the same inputs that must raise do not all raise in a naive check
    assert np.allclose(np.zeros(3), np.zeros((3, 1)))


# ---- 4. split_points ---------------------------------------------------------------------

Result = report_module.TestResult  # (under its own name, pytest would try to collect it as a test class)


def result(grade_id: str, passed: bool = True, weight: float = 1.0) -> Result:
    return Result(name="Does it work?", grade_id=grade_id, function=grade_id[5:], notebook="svm",
                      passed=passed, output="passed" if passed else "wrong", weight=weight)


def split_equally(tests, points_by_cell):
    """A wrong variant: ignores the weights."""
    for t in tests:
        n = sum(u.grade_id == t.grade_id for u in tests)
        t.max_score = points_by_cell.get(t.grade_id, 0.0) / n
        t.score = t.max_score if t.passed else 0.0


def split_failed_score(tests, points_by_cell):
    """A wrong variant: failed tests keep their points."""
    split_points(tests, points_by_cell)
    for t in tests:
        t.score = t.max_score


def split_unknown_cell_one_point(tests, points_by_cell):
    """A wrong variant: a cell without points gets one."""
    split_points(tests, {**{t.grade_id: 1.0 for t in tests}, **points_by_cell})


def check_split(split):
    tests = [result("test_svm", weight=2), result("test_svm", weight=1), result("test_svm", weight=1)]
    split(tests, {"test_svm": 4.0})
    assert [t.max_score for t in tests] == [2.0, 1.0, 1.0]
    assert [t.score for t in tests] == [2.0, 1.0, 1.0]

    tests = [result("test_svm", weight=2), result("test_svm", False), result("test_svm")]
    split(tests, {"test_svm": 4.0})
    assert [t.max_score for t in tests] == [2.0, 1.0, 1.0]
    assert [t.score for t in tests] == [2.0, 0.0, 1.0]

    tests = [result("test_a"), result("test_b", weight=3), result("test_a", False), result("test_c")]
    split(tests, {"test_a": 2.0, "test_b": 5.0})
    assert [t.max_score for t in tests] == [1.0, 5.0, 1.0, 0.0]
    assert [t.score for t in tests] == [1.0, 5.0, 0.0, 0.0]


def test_split_points_by_weight():
    """Are a cell's points split by weight (2,1,1 over 4 -> 2,1,1), 0 for failed tests and unknown cells, per cell?"""
    check_split(split_points)
    fails(check_split, split_equally)
    fails(check_split, split_failed_score)
    fails(check_split, split_unknown_cell_one_point)


# ---- 5. per-test seeding -----------------------------------------------------------------

def draws(rng):
    return rng.random(4).tolist()


def check_rng_for(rng_fn):
    assert draws(rng_fn(7, "test_loss")) == draws(rng_fn(7, "test_loss"))
    assert draws(rng_fn(7, "test_loss")) != draws(rng_fn(8, "test_loss"))
    assert draws(rng_fn(7, "test_loss")) != draws(rng_fn(7, "test_grad"))


def test_rng_for_depends_on_seed_and_test_name():
    """Does rng_for give the same draws for the same (seed, name) and others for another seed or name?"""
    check_rng_for(rng_for)
    fails(check_rng_for, lambda seed, name: np.random.default_rng(seed))
    fails(check_rng_for, lambda seed, name: rng_for(0, name))


STUDENT_DRAW = "import numpy as np\n\ndef draw():\n    return [float(np.random.rand()) for _ in range(3)]\n"


def fake_suite(names, drawn: dict):
    """A suite module with one @graded test per name, each recording what student.draw() gave."""
    suite = types.ModuleType("fake_draw_suite")
    suite.NOTEBOOK, suite.SETUP_CELLS, suite.SOLUTION_CELLS = "draw", [], ["draw"]

    def make(name):
        def test(student):
            drawn[name] = student.draw()
        test.__name__ = test.__qualname__ = name
        test.__doc__ = "Does draw() draw?"
        return graded(cell="test_draw", function="draw")(test)

    for name in names:
        setattr(suite, name, make(name))
    return suite


class UnseededWorker(Worker):
    """A wrong worker: ignores the runner's seed."""

    def seed(self, n):
        pass


class SeededOnceWorker(Worker):
    """A wrong worker: keeps only the first seed it is given (no per-test reseeding)."""

    def seed(self, n):
        if not getattr(self, "_seeded", False):
            self._seeded = True
            super().seed(n)


def run_draws(names, seed, worker_class=Worker) -> dict:
    drawn: dict = {}
    plan = CellPlan(cells=[("draw", STUDENT_DRAW)], sources={"draw": STUDENT_DRAW})
    limits = Limits(call_seconds=10, submission_seconds=60, memory_bytes=1 << 30)
    results = SuiteRunner(fake_suite(names, drawn), plan, lambda: worker_class(limits), None,
                          seed, "draw", 60.0).run()
    assert [r.passed for r in results] == [True] * len(names), [r.output for r in results]
    return drawn


def check_worker_seeding(worker_class):
    first = run_draws(["test_one", "test_two"], 11, worker_class)
    again = run_draws(["test_one", "test_two"], 11, worker_class)
    other = run_draws(["test_one", "test_two"], 12, worker_class)
    alone = run_draws(["test_two"], 11, worker_class)
    assert first == again                            # same seed: same numbers
    assert first["test_one"] != other["test_one"]    # another seed: other numbers
    assert first["test_two"] != other["test_two"]
    assert first["test_one"] != first["test_two"]    # another test: other numbers
    assert alone["test_two"] == first["test_two"]    # reseeded per test: independent of earlier tests


def test_worker_is_seeded_per_test_by_the_runner():
    """Does a test drawing with np.random in the worker get the same numbers for the same seed, others for another seed or test?"""
    check_worker_seeding(Worker)
    fails(check_worker_seeding, UnseededWorker)
    fails(check_worker_seeding, SeededOnceWorker)


# ---- 6. protocol caps (what tests/test_protocol.py does not pin: the exact boundaries) ----

def string_message(n_bytes: int) -> str:
    """A str whose encoded message is exactly n_bytes long (quotes and newline included)."""
    return "x" * (n_bytes - 3)


def test_message_size_cap_is_exact_on_both_sides(monkeypatch):
    """Do encode and decode accept a message of exactly MAX_MESSAGE_BYTES (newline included) and refuse one byte more?"""
    limit = 5000
    monkeypatch.setattr(protocol, "MAX_MESSAGE_BYTES", limit)
    at, over = string_message(limit), string_message(limit + 1)
    data = encode(at)
    assert len(data) == limit  # the control: this message is right at the limit
    assert decode(data) == at
    with pytest.raises(ProtocolError, match="exceeds"):
        encode(over)
    line = b'"' + over.encode() + b'"\n'
    assert len(line) == limit + 1
    with pytest.raises(ProtocolError, match="exceeds"):
        decode(line)
    # an array message at the limit round-trips too; one byte more is refused
    arr_msg = encode(np.zeros(10))
    monkeypatch.setattr(protocol, "MAX_MESSAGE_BYTES", len(arr_msg))
    assert np.array_equal(decode(encode(np.zeros(10))), np.zeros(10))
    monkeypatch.setattr(protocol, "MAX_MESSAGE_BYTES", len(arr_msg) - 1)
    with pytest.raises(ProtocolError):
        encode(np.zeros(10))
    with pytest.raises(ProtocolError):
        decode(arr_msg)


def nested(kind: str, depth: int):
    """A value whose innermost container sits ``depth`` levels down."""
    value = [] if kind == "list" else () if kind == "tuple" else {}
    for _ in range(depth):
        value = [value] if kind == "list" else (value,) if kind == "tuple" else {"k": value}
    return value


@pytest.mark.parametrize("kind", ["list", "tuple", "dict"])
def test_depth_cap_is_the_same_for_encode_and_decode(kind):
    """Does what encode accepts at MAX_DEPTH decode back, and is one level more refused by both sides?"""
    at = nested(kind, protocol.MAX_DEPTH)
    assert decode(encode(at)) == at
    deeper = nested(kind, protocol.MAX_DEPTH + 1)
    with pytest.raises(ProtocolError, match="deep"):
        encode(deeper)
    # the same value written by a worker that skips the check must be refused on reading
    with pytest.raises(ProtocolError, match="deep"):
        decode(json.dumps(protocol._to_json(deeper, -1)).encode() + b"\n")
    # negative control: the hand-written deeper message is well-formed JSON apart from depth
    json.loads(json.dumps(protocol._to_json(deeper, -1)))


def test_item_cap_is_exact(monkeypatch):
    """Does decode accept exactly MAX_ITEMS separators and refuse one more?"""
    monkeypatch.setattr(protocol, "MAX_ITEMS", 100)
    at = b"[" + b"0," * 100 + b"0]\n"
    assert at.count(b",") == 100
    assert decode(at) == [0] * 101
    with pytest.raises(ProtocolError, match="items"):
        decode(b"[" + b"0," * 101 + b"0]\n")


# ---- 7. the Gradescope JSON shape --------------------------------------------------------

TEST_KEYS = {"name", "score", "max_score", "output", "visibility", "extra_data"}


def check_test_json(doc, t: Result):
    assert set(doc) == TEST_KEYS
    assert doc["visibility"] == "visible"  # students see every test's message (never its code)
    assert doc["name"] == f"{t.function}: {t.name}"
    assert doc["score"] == round(t.score, 4) and doc["max_score"] == round(t.max_score, 4)
    assert doc["output"] == t.output
    assert doc["extra_data"] == {"grade_id": t.grade_id, "function": t.function, "notebook": t.notebook}
    assert json.loads(json.dumps(doc)) == doc


def test_test_result_gradescope_shape():
    """Is a test's Gradescope entry visible, named 'function: question', rounded to 4 places, with grade_id/function/notebook?"""
    t = Result(name="Does the loss match?", grade_id="test_svm_loss_naive", function="svm_loss_naive",
                   notebook="svm", passed=False, output="loss is 2.5, expected 2.25", score=2 / 3,
                   max_score=4 / 3, weight=2.0)
    doc = t.to_gradescope()
    check_test_json(doc, t)
    assert doc["score"] == 0.6667 and doc["max_score"] == 1.3333
    fails(check_test_json, {**doc, "visibility": "hidden"}, t)
    fails(check_test_json, {**doc, "visibility": "after_published"}, t)
    fails(check_test_json, {**doc, "score": 2 / 3}, t)
    fails(check_test_json, {**doc, "extra_data": {**doc["extra_data"], "grade_id": "svm_loss_naive"}}, t)


def report_with_tests(**kwargs) -> NotebookReport:
    tests = [Result("Does it work?", "test_f", "f", "svm", True, "passed", score=1 / 3, max_score=1 / 3),
             Result("Is it fast?", "test_f", "f", "svm", True, "passed", score=1 / 3, max_score=2 / 3)]
    return NotebookReport(path="s1/svm.ipynb", assignment="assignment1", notebook="svm", seed=42,
                          tests=tests, seconds=1.23456, **kwargs)


def check_report_json(doc, report: NotebookReport):
    assert {"score", "max_score", "tests", "execution_time", "extra_data"} <= set(doc)
    assert doc["score"] == round(sum(t.score for t in report.tests), 4)
    assert doc["max_score"] == round(sum(t.max_score for t in report.tests), 4)
    assert doc["execution_time"] == round(report.seconds, 3)
    assert doc["tests"] == [t.to_gradescope() for t in report.tests]
    assert all(t["visibility"] == "visible" for t in doc["tests"])
    extra = doc["extra_data"]
    assert (extra["assignment"], extra["notebook"], extra["seed"]) == (report.assignment, report.notebook,
                                                                      report.seed)
    if report.error:
        assert doc["error"] == report.error
        assert report.error in doc.get("output", "") and "could not be graded" in doc["output"]
    else:
        assert "error" not in doc
    assert json.loads(json.dumps(doc)) == doc


def test_notebook_report_gradescope_shape():
    """Does the notebook's results.json carry rounded totals, the tests, extra_data and, when ungraded, error and output?"""
    report = report_with_tests()
    doc = report.to_gradescope()
    check_report_json(doc, report)
    assert (doc["score"], doc["max_score"], doc["execution_time"]) == (0.6667, 1.0, 1.235)

    broken = NotebookReport(path="s4/svm.ipynb", assignment="assignment1", notebook="svm", seed=42,
                            error="svm.ipynb is not a readable notebook (NotJSONError: bad)")
    doc = broken.to_gradescope()
    check_report_json(doc, broken)
    assert doc["score"] == 0 and doc["max_score"] == 0 and doc["tests"] == []

    # negative controls: each field the check reads is really checked
    good = report.to_gradescope()
    fails(check_report_json, {**good, "score": 1 / 3 + 1 / 3}, report)
    fails(check_report_json, {**good, "tests": [{**good["tests"][0], "visibility": "hidden"}, good["tests"][1]]},
          report)
    fails(check_report_json, {**good, "extra_data": {**good["extra_data"], "seed": 0}}, report)
    fails(check_report_json, {k: v for k, v in broken.to_gradescope().items() if k != "output"}, broken)
    fails(check_report_json, {**good, "error": "x"}, report)


# ---- fixes found by the review of the support code -----------------------------------------

def test_numerical_gradient_restores_x_when_f_raises():
    """Is x restored even when f raises in the middle of a gradient check?"""
    x = np.array([0.5, 1.5, 2.5])
    before = x.copy()
    calls = []

    def f(v):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("boom")
        return float(np.sum(v ** 2))

    with pytest.raises(RuntimeError):
        eval_numerical_gradient(f, x, verbose=False)
    assert np.array_equal(x, before)


def test_numerical_gradient_refuses_integer_arrays():
    """Does an integer x (where x + h would be rounded away) give a clear TypeError, not a zero gradient?"""
    with pytest.raises(TypeError, match="use a float array"):
        eval_numerical_gradient(lambda v: float(np.sum(v)), np.arange(3), verbose=False)
    assert eval_numerical_gradient(lambda v: float(np.sum(v)), np.arange(3.0), verbose=False) == pytest.approx([1, 1, 1])


def test_split_points_with_zero_weights_gives_zero_not_a_crash():
    """Does a cell whose tests all have weight 0 get 0 points instead of crashing the notebook?"""
    from autograder.engine.report import TestResult
    tests = [TestResult("q", "test_c", "f", "nb", True, "", weight=0.0)]
    split_points(tests, {"test_c": 3.0})
    assert (tests[0].score, tests[0].max_score) == (0.0, 0.0)


def test_assert_close_refuses_strings_and_complex_values_as_the_students_mistake():
    """Are a string or a complex value reported as wrong values (AssertionError), not as grader errors?"""
    for bad in ["2.25", np.array([1 + 2j]), [object()]]:
        with pytest.raises(AssertionError, match="should be real numbers"):
            assert_close(bad, [2.25] if not isinstance(bad, str) else 2.25, 1e-9, "the loss")
    with pytest.raises(AssertionError, match=r"tolerance 1.5e-06"):
        assert_close(1.0, 1.0 + 4e-6, 1.5e-6, "x")
