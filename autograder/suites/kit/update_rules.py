"""Hidden tests of an update rule ``rule(w, dw, config=None) -> (next_w, config)`` (DESIGN §5.1, §5.2).

``add_update_rule_tests(namespace, rule)`` defines, for an :class:`UpdateRule`, in check cell
``test_<name>``:

- ``one_step``: one call on random weights of several shapes, with non-default hyperparameters and
  a random state in ``config``: the step ``next_w - w`` and every state entry of the returned
  config against the reference;
- ``several_steps``: a config holding only the learning rate, threaded through several calls (the
  config the student's rule returns is what the next call gets): the rule must create its state,
  keep it and update it at every step;
- ``defaults``: ``rule(w, dw)`` and ``rule(w, dw, None)``: the returned config holds every default
  of CS231n's optim.py, and the step is the reference step with those defaults;
- ``dw_unchanged``: the gradient is left unchanged (judged here on the echoed arguments; the rule may
  update ``w`` in place: that is allowed and not graded). Gated on ``one_step``.

Rules are called positionally (``rule(w, dw, config)``), as the Solver calls them. The step is
compared rather than ``next_w``, so that a mistake in the size of a step is never hidden by the
size of the weights. A failing value test names a known mistake when the student's step is the
step that mistake gives (``UpdateRule.mistakes``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from autograder.engine.suite import graded

from .checks import as_array, as_dict, as_number, as_pair, assert_close
from .layer_pairs import assert_unchanged

SHAPES = [(1,), (4, 5), (2, 3, 4)]
STEP_TOL, STATE_TOL = 1e-5, 1e-9
# STEP_TOL: every mistake a value test is meant to catch changes the step by far more (the suites
# choose hyperparameters for that); with epsilon at its default 1e-8 and gradients of 0.5..2 in
# magnitude, where epsilon sits (sqrt(cache) + eps or sqrt(cache + eps)) changes the step by less
# than 2e-6 and is never what decides a test.


@dataclass(frozen=True)
class UpdateRule:
    """What the generated tests need to know about one update rule.

    - name: the rule, e.g. "adam" (the function and its solution cell), graded in ``test_<name>``.
    - defaults: hyperparameter -> CS231n default, e.g. {"learning_rate": 1e-3, "beta1": 0.9, ...}.
    - state: names of the array entries the rule keeps in config, e.g. ("m", "v").
    - counters: names of integer entries the rule keeps in config, e.g. ("t",).
    - hyper: rng -> dict of non-default hyperparameters for the value tests (the learning rate
      included), each drawn far from its default, so that a rule that ignores one always fails.
    - initial_state: (rng, shape) -> dict of a random state for every entry of state and counters.
    - mistakes: (description, fn(w, dw, config) -> next_w) of known wrong rules, to name them.
    - steps: number of calls of the several-steps test.
    """
    name: str
    defaults: dict
    state: tuple
    hyper: Callable
    initial_state: Callable
    counters: tuple = ()
    mistakes: tuple = field(default_factory=tuple)
    steps: int = 5


def copy_config(config: dict) -> dict:
    return {k: (np.array(v, copy=True) if isinstance(v, np.ndarray) else v) for k, v in config.items()}


def gradient(rng, shape):
    """A gradient whose entries are 0.5..2 in magnitude: no entry is (almost) zero."""
    return rng.uniform(0.5, 2.0, shape) * rng.choice([-1.0, 1.0], shape)


def call_rule(student, rule: UpdateRule, w, dw, *config):
    """The student's (next_w, config) after ``rule(w, dw, *config)``, vetted."""
    shown = f"{rule.name}(w, dw{', config' if config else ''})"
    next_w, new_config = as_pair(getattr(student, rule.name)(w, dw, *config), shown)
    next_w = as_array(next_w, f"next_w returned by {rule.name}", w.shape, "f")
    new_config = as_dict(new_config, f"the config returned by {rule.name}")
    return next_w, new_config


def same_step(step, guess) -> bool:
    """The same numbers where finite, and inf or nan at the same places."""
    finite = np.isfinite(step)
    return (guess.shape == step.shape and np.array_equal(finite, np.isfinite(guess))
            and np.allclose(step[finite], guess[finite], rtol=1e-6, atol=1e-12))


def named_mistake(rule: UpdateRule, w, dw, config, step) -> str:
    """'; it looks like <mistake>' when the student's step is the one a known mistake gives."""
    for description, wrong in rule.mistakes:
        with np.errstate(all="ignore"):
            guess = np.asarray(wrong(w.copy(), dw.copy(), copy_config(config)), dtype=np.float64) - w
        if same_step(step, guess):
            return f"; it looks like {description}"
    return ""


def compare(rule: UpdateRule, got, want, w, dw, sent_config, where: str) -> None:
    """The student's (next_w, config) against the reference's, for one call."""
    (next_w, config), (want_w, want_config) = got, want
    with np.errstate(all="ignore"):
        step = next_w - w
    try:
        assert np.all(np.isfinite(step)), f"the step next_w - w contains inf or nan {where}"
        assert_close(step, want_w - w, STEP_TOL, "the step next_w - w", where)
    except AssertionError as err:
        raise AssertionError(f"{err}{named_mistake(rule, w, dw, sent_config, step)}") from None
    for key in rule.state:
        assert key in config, f"the returned config has no '{key}' {where}: store the new state in config['{key}']"
        value = as_array(config[key], f"config['{key}'] returned by {rule.name}", w.shape, "f")
        assert_close(value, want_config[key], STATE_TOL, f"config['{key}']", f"{where} (the state after the step)")
    for key in rule.counters:
        assert key in config, f"the returned config has no '{key}' {where}"
        value = as_number(config[key], f"config['{key}'] returned by {rule.name}")
        assert value == want_config[key], f"config['{key}'] is {value:g} after the step {where}, expected {want_config[key]}"


def add_update_rule_tests(ns: dict, rule: UpdateRule) -> None:
    """Define the hidden tests of update rule ``rule`` (see the module docstring) in suite namespace ``ns``."""
    name = rule.name
    cell = f"test_{name}"

    def define(weight, fn, suffix, question, gate=()):
        fn.__doc__ = question
        fn.__name__ = f"test_{name}_{suffix}"
        ns[fn.__name__] = graded(cell, name, weight, gate=gate)(fn)
        return fn

    def reference(ref, w, dw, config):
        next_w, new_config = getattr(ref, name)(w.copy(), dw.copy(), copy_config(config) if config is not None else None)
        return next_w, new_config

    def one_step(student, ref, rng):
        for shape in SHAPES:
            w, dw = rng.standard_normal(shape), gradient(rng, shape)
            config = {**rule.hyper(rng), **rule.initial_state(rng, shape)}
            got = call_rule(student, rule, w, dw, copy_config(config))
            want = reference(ref, w, dw, config)
            shown = ", ".join(f"{k}={v:.3g}" for k, v in config.items() if not isinstance(v, np.ndarray))
            compare(rule, got, want, w, dw, config, f"for w of shape {shape} and config with {shown} and a state")
    first = define(2, one_step, "one_step",
                   f"Does one step of {name} match the reference, state included (non-default hyperparameters)?")

    def several_steps(student, ref, rng):
        shape = (6, 4)
        w = rng.standard_normal(shape)
        hyper = rule.hyper(rng)
        student_config, ref_config = {"learning_rate": hyper["learning_rate"]}, {"learning_rate": hyper["learning_rate"]}
        student_w, ref_w = w.copy(), w.copy()
        for step in range(1, rule.steps + 1):
            dw = gradient(rng, shape)
            sent = copy_config(student_config)
            got = call_rule(student, rule, student_w, dw, sent)
            want = reference(ref, ref_w, dw, ref_config)
            compare(rule, got, want, student_w, dw, sent,
                    f"at step {step} of {rule.steps} (each call gets the config the previous call returned, "
                    f"starting from {{'learning_rate': {hyper['learning_rate']:.3g}}})")
            (student_w, student_config), (ref_w, ref_config) = got, want
    define(2, several_steps, "several_steps",
           f"Does {name} keep its state in config and update it correctly over {rule.steps} steps?")

    def defaults(student, ref, rng):
        shape = (3, 5)
        for how, extra in [("rule(w, dw)", ()), ("rule(w, dw, None)", (None,))]:
            w, dw = rng.standard_normal(shape), gradient(rng, shape)
            next_w, config = call_rule(student, rule, w, dw, *extra)
            want_w, want_config = reference(ref, w, dw, None)
            for key, default in rule.defaults.items():
                assert key in config, (f"after {how.replace('rule', name)} the config should hold '{key}' with its "
                                       f"default {default:g} (config.setdefault('{key}', {default:g}))")
                value = as_number(config[key], f"config['{key}'] returned by {name}")
                assert value == default, f"the default of '{key}' should be {default:g}, got {value:g}"
            compare(rule, (next_w, config), (want_w, want_config), w, dw, {},
                    f"for {how.replace('rule', name)} (every hyperparameter at its default)")
    define(1, defaults, "defaults",
           f"Called as {name}(w, dw) or with config=None, does it use and return CS231n's defaults?")

    def dw_unchanged(student, rng):
        w, dw = rng.standard_normal((4, 3)), gradient(rng, (4, 3))
        config = {**rule.hyper(rng), **rule.initial_state(rng, (4, 3))}
        _, after, _ = student._echo(name, w.copy(), dw.copy(), copy_config(config))
        assert_unchanged(name, {"dw": dw}, list(after)[1:2])   # w may be updated in place: not graded
    define(1, dw_unchanged, "dw_unchanged", "Is dw left unchanged?", gate=first)
