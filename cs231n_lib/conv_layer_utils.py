"""The conv - relu - pool sandwich of CS231n's ``layer_utils.py``, built from a notebook's own layers.

``conv_relu_pool(layers)`` returns the pair

    conv_relu_pool_forward(x, w, b, conv_param, pool_param) -> (out, (conv_cache, relu_cache, pool_cache))
    conv_relu_pool_backward(dout, cache) -> (dx, dw, db)

where the three layers are functions found by name in ``layers`` (a notebook's ``globals()``, a
module or a dict) at every call, as in :func:`cs231n_lib.layer_utils.sandwich`: the sandwich runs
the convolution, ReLU and pooling the notebook defines, never a copy of its own. This module only
composes; the math of every layer is the student's. Typical use, in the first cell of a notebook:

    conv_relu_pool_forward, conv_relu_pool_backward = conv_relu_pool(globals())
"""
from __future__ import annotations

from .layer_utils import _lookup

CONV = ("conv_forward_im2col", "conv_backward_im2col")
RELU = ("relu_forward", "relu_backward")
MAX_POOL = ("max_pool_forward_naive", "max_pool_backward_naive")


def conv_relu_pool(layers, conv=CONV, relu=RELU, pool=MAX_POOL):
    """The forward and backward functions of a convolution, a ReLU and a pooling layer in a row.

    Inputs:
    - layers: where to find the layer functions by name at each call: a dict (e.g. a
      notebook's ``globals()``) or a module.
    - conv: names of the convolution's (forward, backward), with the API of conv_forward_naive:
      forward(x, w, b, conv_param) -> (out, cache), backward(dout, cache) -> (dx, dw, db).
    - relu: names of the ReLU's (forward, backward): forward(x) -> (out, cache), backward -> dx.
    - pool: names of the pooling layer's (forward, backward): forward(x, pool_param) -> (out, cache),
      backward(dout, cache) -> dx.

    Returns a tuple of:
    - forward(x, w, b, conv_param, pool_param) -> (out, cache): x of shape (N, C, H, W), w of shape
      (F, C, HH, WW), b of shape (F,); out of shape (N, F, H'', W''), the pooled activations; cache
      is the tuple (conv cache, relu cache, pool cache).
    - backward(dout, cache) -> (dx, dw, db): dout of the shape of out; every gradient has the
      shape of its input.
    """
    def forward(x, w, b, conv_param, pool_param):
        a, conv_cache = _lookup(layers, conv[0])(x, w, b, conv_param)
        s, relu_cache = _lookup(layers, relu[0])(a)
        out, pool_cache = _lookup(layers, pool[0])(s, pool_param)
        return out, (conv_cache, relu_cache, pool_cache)

    def backward(dout, cache):
        conv_cache, relu_cache, pool_cache = cache
        ds = _lookup(layers, pool[1])(dout, pool_cache)
        da = _lookup(layers, relu[1])(ds, relu_cache)
        return _lookup(layers, conv[1])(da, conv_cache)

    forward.__name__ = forward.__qualname__ = "conv_relu_pool_forward"
    backward.__name__ = backward.__qualname__ = "conv_relu_pool_backward"
    forward.__doc__ = (f"{conv[0]}, then {relu[0]}, then {pool[0]}.\n\n"
                       "Inputs: x, w, b, conv_param, pool_param.\n"
                       "Returns a tuple of: out (the pooled activations) and cache, the tuple "
                       "(conv cache, relu cache, pool cache).")
    backward.__doc__ = (f"Backward pass of conv_relu_pool_forward: {pool[1]}, {relu[1]}, {conv[1]}.\n\n"
                        "Inputs: dout (shape of the sandwich's out) and its cache.\n"
                        "Returns: (dx, dw, db), each in the shape of its input.")
    return forward, backward
