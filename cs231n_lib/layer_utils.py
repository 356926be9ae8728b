"""Sandwich layers: two layers run as one, built from layer functions found by name.

A layer is a pair of free functions ``<name>_forward(x, *params) -> (out, cache)`` and
``<name>_backward(dout, cache)`` (DESIGN §5.1). ``sandwich(layers, "affine", "relu")`` returns
the pair ``affine_relu_forward(x, w, b) -> (out, (affine_cache, relu_cache))`` /
``affine_relu_backward(dout, cache) -> (dx, dw, db)``, the composite layers of CS231n's
``layer_utils.py``. The layer functions are looked up in ``layers`` (a notebook's ``globals()``,
a module or a dict) at every call, so the sandwich always runs the functions the notebook
defines now, including ones written after the sandwich was made.

This module only composes; the math of every layer is the notebook's. Typical use, in the
first cell of a notebook:

    affine_relu_forward, affine_relu_backward = sandwich(globals(), "affine", "relu")
"""
from __future__ import annotations

from collections.abc import Mapping


def _lookup(layers, name: str):
    """The function ``name`` in ``layers`` (a mapping or an object with attributes)."""
    found = layers.get(name) if isinstance(layers, Mapping) else getattr(layers, name, None)
    if not callable(found):
        raise NameError(f"the sandwich layer needs a function {name}; define it first")
    return found


def sandwich(layers, first: str, second: str):
    """The forward and backward functions of layer ``first`` followed by layer ``second``.

    Inputs:
    - layers: where to find the layer functions by name at each call: a dict (e.g. a
      notebook's ``globals()``) or a module.
    - first: name of the first layer, e.g. "affine" (uses affine_forward / affine_backward);
      it receives every parameter of the sandwich.
    - second: name of the second layer, e.g. "relu"; it has no parameters of its own
      (its backward returns one array, the gradient of its input).

    Returns a tuple of:
    - forward(x, *params) -> (out, cache): out of the second layer; cache is the tuple
      (cache of the first layer, cache of the second layer).
    - backward(dout, cache) -> what the first layer's backward returns, e.g. (dx, dw, db):
      dout has the shape of out; every gradient has the shape of its input.
    """
    forward_first, forward_second = f"{first}_forward", f"{second}_forward"
    backward_first, backward_second = f"{first}_backward", f"{second}_backward"

    def forward(x, *params):
        a, first_cache = _lookup(layers, forward_first)(x, *params)
        out, second_cache = _lookup(layers, forward_second)(a)
        return out, (first_cache, second_cache)

    def backward(dout, cache):
        first_cache, second_cache = cache
        da = _lookup(layers, backward_second)(dout, second_cache)
        return _lookup(layers, backward_first)(da, first_cache)

    forward.__name__, backward.__name__ = f"{first}_{second}_forward", f"{first}_{second}_backward"
    forward.__qualname__, backward.__qualname__ = forward.__name__, backward.__name__
    forward.__doc__ = (f"{first} then {second}: ({forward_first} then {forward_second}).\n\n"
                       f"Inputs: x and the parameters of {forward_first}.\n"
                       f"Returns a tuple of: out (the output of {forward_second}) and cache, "
                       f"the tuple ({first} cache, {second} cache).")
    backward.__doc__ = (f"Backward pass of {forward.__name__}.\n\n"
                        f"Inputs: dout (shape of the sandwich's out) and its cache.\n"
                        f"Returns: what {backward_first} returns (the gradient of x first, each "
                        f"in the shape of its input).")
    return forward, backward
