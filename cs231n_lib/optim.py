"""The given update rule: plain stochastic gradient descent (as in CS231n's ``optim.py``).

Every update rule has the interface

    next_w, config = rule(w, dw, config=None)

- w: the current weights, an array of any shape.
- dw: the gradient of the loss with respect to w, an array of the shape of w (never modified).
- config: a dict of hyperparameters (e.g. ``learning_rate``) and of the state the rule carries
  from one step to the next (e.g. a velocity); missing entries are filled in with their defaults
  (``config.setdefault``), and the returned config holds the updated state.

The :class:`cs231n_lib.solver.Solver` calls one rule per parameter and keeps one config per
parameter. Only ``sgd`` lives here: the other rules (momentum, Adagrad, RMSProp, Adam) are the ones
students write in ``training_optimization.ipynb`` and hand to the Solver by name.
"""
from __future__ import annotations

__all__ = ["sgd"]


def sgd(w, dw, config=None):
    """
    Vanilla stochastic gradient descent: next_w = w - learning_rate * dw.

    Inputs:
    - w: weights, array of any shape.
    - dw: gradient of the loss with respect to w, array of the same shape.
    - config: dict or None, with the key
      - learning_rate: (float) step size, default 1e-2.

    Returns a tuple of:
    - next_w: the updated weights, a new array of the shape of w.
    - config: the config, with the default learning rate filled in.
    """
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    next_w = w - config["learning_rate"] * dw
    return next_w, config
