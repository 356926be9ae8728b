"""Hidden tests shared by the SVM and softmax loss functions (same signature and conventions).

``add_loss_tests(namespace, function, cell, vectorized)`` defines the tests in a suite module.
Every loss is ``f(W, X, y, reg) -> (loss, dW)`` with W (D, C), X (N, D), y (N,),
regularization ``0.5 * reg * sum(W**2)`` and the data loss averaged over N.
"""
from __future__ import annotations

import numpy as np

from autograder.engine.suite import graded
from cs231n_lib.gradient_check import rel_error
from autograder.suites.kit.checks import (as_array, as_float, as_number, as_pair, assert_close,
                                          assert_does_not_call, assert_max_loops)

SHAPES = [(7, 5, 3), (23, 12, 6), (64, 30, 10)]   # (N, D, C)
LOSS_TOL, GRAD_TOL = 1e-9, 1e-7

def problem(rng, N, D, C, w_scale=0.5):
    X = rng.standard_normal((N, D))
    y = rng.integers(0, C, N)
    W = w_scale * rng.standard_normal((D, C))
    return W, X, y


def call(student, ref, name, W, X, y, reg):
    """(student's loss, dW) checked for type and shape, and the reference's."""
    loss, dW = as_pair(getattr(student, name)(W, X, y, reg), name)
    loss = as_float(loss, f"the loss returned by {name}")
    dW = as_array(dW, f"dW returned by {name}", W.shape, "f")
    return (loss, dW), getattr(ref, name)(W, X, y, reg)


def assert_inputs_unchanged(sent: dict, after: list) -> None:
    """The arguments as the worker returns them after the call equal those sent (judged here)."""
    for (arg, before), now in zip(sent.items(), after):
        same = isinstance(now, np.ndarray) and now.shape == before.shape and np.array_equal(now, before)
        assert same, f"the function changed its input {arg}; work on copies (e.g. X = X.copy())"


def big_score_problem(rng, N, D, C, sign):
    """W, X, y whose scores are all near sign * 1000, with gaps under 50 within each row.

    Column 0 of X is a constant 1 carrying the offset, so exp() of the raw scores overflows
    (sign +1) or underflows to 0 (sign -1), while after the max shift every probability is
    at least e^-50: the canonical ``-np.log(p[y])`` stays exact (DESIGN §5.2).
    """
    W, X, y = problem(rng, N, D, C)
    X[:, 0] = 1.0
    spread = X[:, 1:] @ W[1:]
    W[1:] *= 20.0 / max(1e-12, float(np.abs(spread).max()))
    W[0] = sign * 1000.0
    return W, X, y


def add_loss_tests(ns: dict, name: str, cell: str, vectorized: bool, big_scores: bool = False) -> None:
    """Define the hidden tests of loss function ``name`` (graded in check cell ``cell``) in namespace ``ns``."""

    def define(weight, fn, question, gate=()):
        fn.__doc__ = question
        fn.__name__ = f"test_{name}_{fn.__name__}"
        ns[fn.__name__] = graded(cell, name, weight, gate=gate)(fn)

    def compare_on_shapes(student, ref, rng, part):
        for N, D, C in SHAPES:
            W, X, y = problem(rng, N, D, C)
            reg = float(rng.uniform(0.1, 2.0))
            got, want = call(student, ref, name, W, X, y, reg)
            what, tol = ("the loss", LOSS_TOL) if part == 0 else ("dW", GRAD_TOL)
            try:
                assert_close(got[part], want[part], tol, what, f"for N={N}, D={D}, C={C}, reg={reg:.3f}")
            except AssertionError as err:
                raise AssertionError(f"{err}{diagnose(student, ref, W, X, y, part)}") from None

    def diagnose(student, ref, W, X, y, part):
        """Name the convention when only the regularization differs (a pasted 2017+ CS231n solution)."""
        got, want = call(student, ref, name, W, X, y, 0.0)
        if rel_error(got[part], want[part]) < (LOSS_TOL if part == 0 else GRAD_TOL):
            return ("; with reg = 0 it matches, so the regularization term is off: our convention is "
                    "0.5 * reg * np.sum(W * W) with gradient reg * W (code written for reg * np.sum(W * W) "
                    "needs the 0.5)")
        return ""

    def loss_matches(student, ref, rng):
        compare_on_shapes(student, ref, rng, 0)
    define(2, loss_matches, "Does the loss match the reference on random problems of several shapes?")

    def grad_matches(student, ref, rng):
        compare_on_shapes(student, ref, rng, 1)
    define(2, grad_matches, "Does the gradient match the reference on random problems of several shapes?")

    working = (loss_matches, grad_matches)

    def half_regularization(student, ref, rng):
        W, X, y = problem(rng, 11, 6, 4)
        (l0, g0), _ = call(student, ref, name, W, X, y, 0.0)
        (l1, g1), _ = call(student, ref, name, W, X, y, 1.7)
        assert_close(l1 - l0, 0.5 * 1.7 * np.sum(W * W), 1e-9, "the regularization part of the loss",
                     "(our convention is 0.5 * reg * np.sum(W * W); code written for reg * np.sum(W * W) "
                     "needs the 0.5)")
        assert_close(g1 - g0, 1.7 * W, 1e-9, "the regularization part of dW", "(it should be reg * W)")
    define(1, half_regularization, "Is the regularization term 0.5 * reg * sum(W**2), with gradient reg * W?",
           gate=working)

    def averaged_over_n(student, ref, rng):
        W, X, y = problem(rng, 9, 5, 4)
        (l1, g1), _ = call(student, ref, name, W, X, y, 0.0)
        (l2, g2), _ = call(student, ref, name, W, np.concatenate([X, X, X]), np.concatenate([y, y, y]), 0.0)
        assert_close(l2, l1, 1e-10, "the loss of the data repeated three times",
                     "(the data loss should be averaged over the N examples, not summed)")
        assert_close(g2, g1, 1e-10, "dW of the data repeated three times", "(dW should be averaged over N)")
    define(1, averaged_over_n, "Are the loss and gradient averaged over the N examples?", gate=working)

    def correct_class_column(student, ref, rng):
        W, X, y = problem(rng, 1, 6, 5, w_scale=0.05)
        y[0] = int(np.argmax(X @ W))   # every margin is positive only with delta = 1
        (_, dW), (_, want) = call(student, ref, name, W, X, y, 0.0)
        assert_close(dW[:, y[0]], want[:, y[0]], GRAD_TOL, "the gradient column of the correct class",
                     "for a single example (the correct-class score appears in every term)")
    define(1, correct_class_column, "Is the gradient of the correct-class column right?")

    def inputs_unchanged(student, ref, rng):
        W, X, y = problem(rng, 8, 5, 3)
        sent = {"W": W, "X": X, "y": y}
        _, after, _ = student._echo(name, W.copy(), X.copy(), y.copy(), 0.5)
        assert_inputs_unchanged(sent, after)
    define(1, inputs_unchanged, "Are W, X and y left unchanged?", gate=working)

    if big_scores:
        def scores_near_1000(student, ref, rng):
            for sign in (1, -1):
                W, X, y = big_score_problem(rng, 20, 6, 5, sign)
                got = as_pair(getattr(student, name)(W, X, y, 0.0), name)
                want, want_dW = getattr(ref, name)(W, X, y, 0.0)
                hint = (f"with every score near {sign * 1000} (gaps under 50 within a row): "
                        f"{'exp() of such scores overflows' if sign > 0 else 'exp() of such scores is 0'}"
                        "; shift the scores by their row maximum first")
                loss = as_number(got[0], f"the loss returned by {name}")
                assert np.isfinite(loss), f"the loss is {loss} {hint}"
                dW = as_array(got[1], f"dW returned by {name}", W.shape, "f")
                assert np.all(np.isfinite(dW)), f"dW contains inf or nan {hint}"
                assert_close(loss, want, 1e-8, "the loss", f"with every score near {sign * 1000}")
                assert_close(dW, want_dW, 1e-7, "dW", f"with every score near {sign * 1000}")
        define(2, scores_near_1000, "Are loss and gradient exact and finite for scores near +1000 and -1000?")

    if vectorized:
        def no_python_loops(source):
            assert_max_loops(source, name, 0, name)
            naive = name.replace("vectorized", "naive")
            assert_does_not_call(source, name, {naive}, name)
        define(1, no_python_loops, "Is it free of Python loops (and of calls to the naive version)?",
               gate=working)

        def cifar_sized(student, ref, rng):
            W, X, y = problem(rng, 100, 3073, 10, w_scale=1e-3)
            X *= 60.0
            (loss, dW), (want, want_dW) = call(student, ref, name, W, X, y, 2.5e4)
            assert_close(loss, want, LOSS_TOL, "the loss", "on a CIFAR-sized minibatch (N=100, D=3073)")
            assert_close(dW, want_dW, GRAD_TOL, "dW", "on a CIFAR-sized minibatch (N=100, D=3073)")
        define(1, cifar_sized, "Does it work on a CIFAR-sized minibatch?")
