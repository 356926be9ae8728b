"""Hidden tests of a loss layer ``f(x, y) -> (loss, dx)``: scores (or predictions) x (N, C), targets y.

``add_loss_layer_tests(namespace, layer)`` defines, for a :class:`LossLayer` (check cell ``test_<name>``):

- ``loss_matches`` / ``grad_matches``: the loss and dx against the reference on random problems of
  several shapes, edge cases included (N = 1, C = 2); dx must be a float array of x's shape;
- ``averaged_over_n``: the same examples three times give the same loss and a third of dx per row
  (gated on the value tests);
- ``inputs_unchanged``: x and y unchanged, judged here on the echoed arguments (gated);
- ``stable`` (when the layer gives such problems): loss and dx exact and finite on its problems,
  e.g. scores near +-1000;
- ``special`` (when the layer gives one): a convention of its own, e.g. the L1 subgradient at x == y.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from autograder.engine.suite import graded

from .checks import as_array, as_number, as_pair, assert_close
from .layer_pairs import assert_unchanged

SHAPES = [(1, 2), (1, 5), (6, 3), (20, 10), (50, 4)]   # (N, C)
LOSS_TOL, GRAD_TOL = 1e-9, 1e-8


def normal_scores(rng, N, C):
    """Scores of the value tests: 2 * standard normal, shape (N, C)."""
    return 2.0 * rng.standard_normal((N, C))


@dataclass(frozen=True)
class LossLayer:
    """What the generated tests need to know about one loss layer.

    - name: the function, e.g. "softmax_loss".
    - targets: (rng, x) -> y for scores x of shape (N, C): labels (N,), or arrays of x's shape.
    - scores: (rng, N, C) -> x, the scores of the value tests.
    - stable: rng -> list of (description, x, y, hint) with extreme scores, or None.
    - special: (question, check(student, ref, rng)) of a convention of this layer, or None.
    """
    name: str
    targets: Callable
    scores: Callable = normal_scores
    stable: Callable | None = None
    stable_question: str = ""
    special: tuple | None = None


def call(student, name, x, y):
    """The student's (loss, dx), vetted: a finite-or-not float and a float array of x's shape."""
    loss, dx = as_pair(getattr(student, name)(x, y), name)
    return as_number(loss, f"the loss returned by {name}"), as_array(dx, f"dx returned by {name}", x.shape, "f")


def add_loss_layer_tests(ns: dict, layer: LossLayer) -> None:
    """Define the hidden tests of ``layer`` (see the module docstring) in suite namespace ``ns``."""
    name = layer.name

    def define(weight, fn, suffix, question, gate=()):
        fn.__doc__ = question
        fn.__name__ = f"test_{name}_{suffix}"
        ns[fn.__name__] = graded(f"test_{name}", name, weight, gate=gate)(fn)
        return fn

    def problems(rng):
        for N, C in SHAPES:
            x = layer.scores(rng, N, C)
            yield N, C, x, layer.targets(rng, x)

    def compare(student, ref, rng, part):
        for N, C, x, y in problems(rng):
            got = call(student, name, x, y)
            want = getattr(ref, name)(x, y)
            if part == 0:
                assert_close(got[0], want[0], LOSS_TOL, "the loss", f"for N={N}, C={C}")
            else:
                assert_close(got[1], want[1], GRAD_TOL, "dx", f"for N={N}, C={C}")

    def loss_matches(student, ref, rng):
        compare(student, ref, rng, 0)
    loss_ok = define(2, loss_matches, "loss_matches", "Does the loss match the reference on random problems "
                                                      "of several shapes (N = 1, C = 2 included)?")

    def grad_matches(student, ref, rng):
        compare(student, ref, rng, 1)
    grad_ok = define(2, grad_matches, "grad_matches", "Does dx match the reference on random problems of several shapes?")
    working = (loss_ok, grad_ok)

    def averaged_over_n(student, ref, rng):
        x = layer.scores(rng, 9, 4)
        y = layer.targets(rng, x)
        loss, dx = call(student, name, x, y)
        x3, y3 = np.concatenate([x, x, x]), np.concatenate([y, y, y])
        loss3, dx3 = call(student, name, x3, y3)
        assert_close(loss3, loss, 1e-10, "the loss of the examples repeated three times",
                     "(the loss should be averaged over the N examples, not summed)")
        assert_close(3 * dx3[:9], dx, 1e-10, "3 * dx of the examples repeated three times",
                     "(dx should carry the 1 / N of the average)")
    define(1, averaged_over_n, "averaged_over_n", "Are the loss and dx averaged over the N examples?", gate=working)

    def inputs_unchanged(student, rng):
        x = layer.scores(rng, 8, 5)
        y = layer.targets(rng, x)
        _, after, _ = student._echo(name, x.copy(), y.copy())
        assert_unchanged(name, {"x": x, "y": y}, after)
    define(1, inputs_unchanged, "inputs_unchanged", "Are x and y left unchanged?", gate=working)

    if layer.stable is not None:
        def stable(student, ref, rng):
            for desc, x, y, hint in layer.stable(rng):
                loss, dx = as_pair(getattr(student, name)(x, y), name)
                loss = as_number(loss, f"the loss returned by {name}")
                dx = as_array(dx, f"dx returned by {name}", x.shape, "f")
                assert np.isfinite(loss), f"the loss is {loss} {desc}: {hint}"
                assert np.all(np.isfinite(dx)), f"dx contains inf or nan {desc}: {hint}"
                want, want_dx = getattr(ref, name)(x, y)
                assert_close(loss, want, 1e-8, "the loss", desc)
                assert_close(dx, want_dx, 1e-7, "dx", desc)
        define(2, stable, "stable", layer.stable_question)

    if layer.special is not None:
        question, check = layer.special

        def special(student, ref, rng):
            check(student, ref, rng)
        define(1, special, "special", question)
