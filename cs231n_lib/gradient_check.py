"""Numerical gradients (centered differences) and the one shared ``rel_error``.

Notebooks and tests import these; nothing here knows any graded function.
All functions work in the dtype of ``x``; use float64 for gradient checks.
"""
from __future__ import annotations

import numpy as np


def rel_error(x, y):
    """Maximum elementwise relative error between two arrays (or scalars).

    Inputs:
    - x, y: arrays of the same shape (or scalars).

    Returns:
    - max over elements of |x - y| / max(1e-8, |x| + |y|), a float.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.shape != y.shape:
        raise ValueError(f"rel_error: shapes differ, {x.shape} vs {y.shape}")
    if x.size == 0:
        return 0.0
    return float(np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y))))


def _centered_pairs(f, x, h, indices):
    """Yield ``(index, f(x + h e_index), f(x - h e_index))``, restoring x after each index.

    Array results are copied, since f may return a view of x. x is restored even when f raises.
    Raises TypeError for an x that cannot hold x + h (an integer array).
    """
    if not np.issubdtype(np.asarray(x).dtype, np.inexact):
        raise TypeError(f"gradient check: x has dtype {np.asarray(x).dtype}; use a float array "
                        "(e.g. x.astype(np.float64)) so that x + h is not rounded")
    for ix in indices:
        old = x[ix]
        try:
            x[ix] = old + h
            plus = np.array(f(x), dtype=np.float64, copy=True)
            x[ix] = old - h
            minus = np.array(f(x), dtype=np.float64, copy=True)
        finally:
            x[ix] = old
        yield ix, plus, minus


def eval_numerical_gradient(f, x, verbose=True, h=1e-5):
    """Centered-difference gradient of a scalar function at ``x``.

    Inputs:
    - f: function of one argument (an array shaped like x) returning a float.
    - x: array of any shape; modified in place while evaluating and restored.
    - verbose: print every index and its partial derivative.
    - h: step size.

    Returns:
    - grad: array of the same shape as x.
    """
    grad = np.zeros_like(x, dtype=np.float64)
    for ix, fxph, fxmh in _centered_pairs(f, x, h, np.ndindex(x.shape)):
        grad[ix] = (fxph - fxmh) / (2 * h)
        if verbose:
            print(ix, grad[ix])
    return grad


def eval_numerical_gradient_array(f, x, df, h=1e-5):
    """Numerical vector-Jacobian product of an array-valued function.

    Inputs:
    - f: function of one argument (an array shaped like x) returning an array.
    - x: array of any shape; modified in place while evaluating and restored.
    - df: upstream gradient, shaped like f(x).
    - h: step size.

    Returns:
    - grad: array shaped like x, grad[i] = sum((f(x + h e_i) - f(x - h e_i)) * df) / (2h).
    """
    grad = np.zeros_like(x, dtype=np.float64)
    for ix, pos, neg in _centered_pairs(f, x, h, np.ndindex(x.shape)):
        grad[ix] = np.sum((pos - neg) * df) / (2 * h)
    return grad


def grad_check_sparse(f, x, analytic_grad, num_checks=10, h=1e-5, seed=None, verbose=True):
    """Compare an analytic gradient with centered differences at random indices.

    Inputs:
    - f: function of one argument (an array shaped like x) returning a float.
    - x: array at which to check; modified in place while evaluating and restored.
    - analytic_grad: array shaped like x.
    - num_checks: number of random indices to check.
    - h: step size.
    - seed: seed of the index generator (None: fresh randomness).
    - verbose: print one line per index, as the CS231n version does.

    Returns:
    - errors: array of shape (num_checks,), the relative error
      |num - ana| / (|num| + |ana|) at each checked index (0 where both are 0).
      (The CS231n original returns None; returning the errors lets callers assert.)
    """
    analytic_grad = np.asarray(analytic_grad)
    if analytic_grad.shape != x.shape:
        raise ValueError(
            f"grad_check_sparse: analytic gradient has shape {analytic_grad.shape}, "
            f"but x has shape {x.shape}")
    rng = np.random.default_rng(seed)
    errors = np.zeros(num_checks)
    indices = [tuple(int(rng.integers(m)) for m in x.shape) for _ in range(num_checks)]
    for i, (ix, fxph, fxmh) in enumerate(_centered_pairs(f, x, h, indices)):
        num = float((fxph - fxmh) / (2 * h))
        ana = float(analytic_grad[ix])
        denom = abs(num) + abs(ana)
        errors[i] = abs(num - ana) / denom if denom > 0 else 0.0
        if verbose:
            print(f"numerical: {num:f} analytic: {ana:f}, relative error: {errors[i]:e}")
    return errors
