"""Hidden tests of a layer: a pair ``<name>_forward(x, ...) -> (out, cache)`` / ``<name>_backward(dout, cache)``.

``add_layer_pair_tests(namespace, pair)`` defines, for a :class:`LayerPair`:

check cell ``test_<name>_forward``
- ``values``: out against the reference on random inputs of several shapes, edge cases included
  (N = 1, one feature, extra dimensions); out must be a float array of the right shape;
- ``extreme`` (when the pair gives such inputs): out exact and finite for inputs near +-1000;
- ``cache``: after two forward calls (in the worker, so that a cache overwritten by the second
  call shows), each cache has the pinned structure and the *reference* backward, given it,
  computes the right gradients: the forward's cache is graded on its own;
- ``inputs``: the arguments are unchanged (judged here on the echoed arguments; gated on values);

check cell ``test_<name>_backward``
- ``values``: every gradient against the reference, given a cache the suite builds with the
  reference forward (the pinned cache, DESIGN §5.2), so a wrong forward never costs the
  backward's points and the backward never needs the student's forward;
- ``inputs``: dout and the cache are unchanged (gated on values).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from autograder.engine.suite import graded

from .checks import as_array, as_dict, as_list, as_number, as_pair, assert_close

TWICE = '''
def _grader_twice(name, first, second):
    """Two calls of a notebook function; both results are returned after the second call."""
    function = globals()[name]
    return function(*first), function(*second)
'''


@dataclass(frozen=True)
class LayerPair:
    """What the generated tests need to know about one layer.

    - name: the layer, e.g. "affine" for affine_forward / affine_backward.
    - cases: rng -> list of (description, forward args); every case is used by the value tests.
    - grads: names of what the backward returns, in order, e.g. ("dx", "dw", "db"); one name
      means the backward returns a single array.
    - arg_names: names of the forward's arguments, for messages.
    - cache_doc: the pinned cache, for messages, e.g. "(x, w, b)".
    - extreme: rng -> list of (description, forward args) with inputs near +-1000, or None.
    - forward_tol, backward_tol: largest relative errors accepted (cs231n_lib.rel_error).
    - cache_tol: the same for the gradients the reference backward computes from the student's
      cache. A cache that is a computed value (sigmoid, tanh: out) may differ from the reference's
      by rounding, and 1 - out**2 near out = +-1 turns that into absolute errors of about
      2e-16 * |dout|: the tolerance must allow them (rel_error's floor is 1e-8).
    """
    name: str
    cases: Callable
    grads: tuple
    arg_names: tuple
    cache_doc: str
    extreme: Callable | None = None
    forward_tol: float = 1e-9
    backward_tol: float = 1e-8
    cache_tol: float = 1e-8


# ---- values of any plain structure (arrays, numbers, strings, None, tuples, lists, dicts) ----

def assert_like(value, model, what: str):
    """Check ``value`` has the structure of ``model`` (arrays of its shapes, tuples of its length,
    dicts with its keys, numbers where it has numbers); return it. Raises AssertionError for students."""
    if isinstance(model, np.ndarray):
        return as_array(value, what, model.shape, "biuf")
    if isinstance(model, (tuple, list)):
        items = as_list(value, what, len(model))
        return tuple(assert_like(v, m, f"item {i} of {what}") for i, (v, m) in enumerate(zip(items, model)))
    if isinstance(model, dict):
        value = as_dict(value, what, model.keys())
        return {k: assert_like(value[k], m, f"{what}[{k!r}]") for k, m in model.items()}
    if model is None:
        assert value is None, f"{what} should be None, got {type(value).__name__}"
        return None
    if isinstance(model, str):
        assert value == model, f"{what} should be {model!r}, got {value!r}"
        return value
    as_number(value, what)
    return value


def same_value(a, b) -> bool:
    """Exactly equal plain values (arrays: same shape and entries)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape
                and np.array_equal(a, b))
    if isinstance(a, (tuple, list)) or isinstance(b, (tuple, list)):
        return (isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)) and len(a) == len(b)
                and all(same_value(x, y) for x, y in zip(a, b)))
    if isinstance(a, dict) or isinstance(b, dict):
        return (isinstance(a, dict) and isinstance(b, dict) and set(a) == set(b)
                and all(same_value(a[k], b[k]) for k in a))
    return type(a) is type(b) and a == b


def assert_unchanged(function: str, sent: dict, after) -> None:
    """The arguments as the worker returns them after the call equal those sent (judged here)."""
    for (name, before), now in zip(sent.items(), list(after)):
        assert same_value(now, before), (f"{function} changed its input {name}; compute new arrays instead "
                                         f"(e.g. {name} = {name}.copy() before writing into it)")


def gradients(value, pair: LayerPair, shapes, function: str):
    """The backward's result vetted: a tuple of float arrays of the given shapes (one array if one grad)."""
    if len(pair.grads) == 1:
        return (as_array(value, f"{pair.grads[0]} returned by {function}", shapes[0], "f"),)
    items = as_list(value, f"the result of {function} (a tuple {', '.join(pair.grads)})", len(pair.grads))
    return tuple(as_array(v, f"{g} returned by {function}", s, "f")
                 for v, g, s in zip(items, pair.grads, shapes))


def reference_grads(ref, pair: LayerPair, dout, cache):
    got = getattr(ref, f"{pair.name}_backward")(dout, cache)
    return tuple(got) if len(pair.grads) > 1 else (got,)


def add_layer_pair_tests(ns: dict, pair: LayerPair) -> None:
    """Define the hidden tests of layer ``pair`` (see the module docstring) in suite namespace ``ns``."""
    forward, backward = f"{pair.name}_forward", f"{pair.name}_backward"

    def define(function, weight, fn, suffix, question, gate=()):
        fn.__doc__ = question
        fn.__name__ = f"test_{function}_{suffix}"
        ns[fn.__name__] = graded(f"test_{function}", function, weight, gate=gate)(fn)
        return fn

    def run_forward(student, args):
        out, cache = as_pair(getattr(student, forward)(*args), forward)
        return out, cache

    # ---- forward --------------------------------------------------------------------------
    def forward_values(student, ref, rng):
        for desc, args in pair.cases(rng):
            want, _ = getattr(ref, forward)(*args)
            out, _ = run_forward(student, args)
            out = as_array(out, f"out returned by {forward}", want.shape, "f")
            assert_close(out, want, pair.forward_tol, "out", f"for {desc}")
    values = define(forward, 3, forward_values, "values",
                    f"Does {forward} match the reference on random inputs of several shapes (edge cases included)?")

    if pair.extreme is not None:
        def forward_extreme(student, ref, rng):
            for desc, args in pair.extreme(rng):
                want, _ = getattr(ref, forward)(*args)
                out, _ = run_forward(student, args)
                out = as_array(out, f"out returned by {forward}", want.shape, "f")
                assert np.all(np.isfinite(out)), (f"{forward} returns inf or nan for {desc}: exp() of such inputs "
                                                  "overflows; use a form that never exponentiates a large positive number")
                assert_close(out, want, pair.forward_tol, "out", f"for {desc}")
        define(forward, 1, forward_extreme, "extreme", f"Is {forward} exact and finite for inputs near +-1000?")

    def forward_cache(student, worker, ref, rng):
        (desc1, args1), (desc2, args2) = pair.cases(rng)[-2:]
        worker.exec("grader_twice", TWICE)
        results = as_pair(student._grader_twice(forward, list(args1), list(args2)), f"two calls of {forward}")
        for desc, args, result in [(desc1, args1, results[0]), (desc2, args2, results[1])]:
            _, cache = as_pair(result, forward)
            want_out, want_cache = getattr(ref, forward)(*args)
            cache = assert_like(cache, want_cache, f"the cache of {forward} (it should be {pair.cache_doc})")
            dout = rng.standard_normal(want_out.shape)
            got = reference_grads(ref, pair, dout, cache)
            want = reference_grads(ref, pair, dout, want_cache)
            for g, a, b in zip(pair.grads, got, want):
                assert_close(a, b, pair.cache_tol, f"{g} computed from your cache",
                             f"for {desc}, after a second call of {forward} (the cache should be {pair.cache_doc} "
                             "of this call)")
    define(forward, 1, forward_cache, "cache",
           f"After two calls, does each cache of {forward} hold {pair.cache_doc}, what {backward} needs?")

    def forward_inputs(student, rng):
        desc, args = pair.cases(rng)[-1]
        sent = dict(zip(pair.arg_names, args))
        _, after, _ = student._echo(forward, *[np.copy(a) if isinstance(a, np.ndarray) else a for a in args])
        assert_unchanged(forward, sent, after)
    define(forward, 1, forward_inputs, "inputs", f"Does {forward} leave its inputs unchanged?", gate=values)

    # ---- backward -------------------------------------------------------------------------
    def backward_values(student, ref, rng):
        for desc, args in pair.cases(rng):
            out, cache = getattr(ref, forward)(*args)
            dout = rng.standard_normal(out.shape)
            want = reference_grads(ref, pair, dout, cache)
            got = gradients(getattr(student, backward)(dout, cache), pair, [w.shape for w in want], backward)
            for g, a, b in zip(pair.grads, got, want):
                assert_close(a, b, pair.backward_tol, g, f"for {desc}, given the cache {pair.cache_doc}")
    bvalues = define(backward, 3, backward_values, "values",
                     f"Given the cache {pair.cache_doc}, does {backward} match the reference on several shapes?")

    def backward_inputs(student, ref, rng):
        desc, args = pair.cases(rng)[-1]
        out, cache = getattr(ref, forward)(*args)
        dout = rng.standard_normal(out.shape)
        _, after, _ = student._echo(backward, dout.copy(), cache)
        assert_unchanged(backward, {"dout": dout, "cache": getattr(ref, forward)(*args)[1]}, after)
    define(backward, 1, backward_inputs, "inputs", f"Does {backward} leave dout and the cache unchanged?",
           gate=bvalues)
