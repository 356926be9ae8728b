"""Wall-clock timing for the notebooks' loop-vs-vectorized comparisons."""
from __future__ import annotations

import time


def time_function(f, *args, repeat=1, **kwargs):
    """Best wall time of ``f(*args, **kwargs)`` over ``repeat`` runs.

    Inputs:
    - f: the function to time; args/kwargs are passed through.
    - repeat: number of runs; the minimum is reported.

    Returns:
    - seconds: float, the fastest run.
    """
    best = float("inf")
    for _ in range(max(1, repeat)):
        tic = time.perf_counter()
        f(*args, **kwargs)
        best = min(best, time.perf_counter() - tic)
    return best
