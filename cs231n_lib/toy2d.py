"""2-D toy classification problems: the spiral dataset and decision-boundary plots.

Small enough to train a network in a second and to look at what it learned: every point of
the plane gets a predicted class. matplotlib is imported inside the plotting function, so
importing this module costs nothing.
"""
from __future__ import annotations

import numpy as np


def make_spiral(points_per_class=100, num_classes=3, noise=0.2, seed=0):
    """The spiral dataset of the course notes: one noisy arm of a spiral per class.

    Inputs:
    - points_per_class: (int) number of points of each class.
    - num_classes: (int) number of classes (arms).
    - noise: (float) standard deviation of the noise added to each point's angle.
    - seed: seed of the ``np.random.default_rng`` that draws the noise.

    Returns a tuple of:
    - X: float64 array of shape (points_per_class * num_classes, 2), points in [-1, 1]^2.
    - y: int64 array of shape (points_per_class * num_classes,), values in 0..num_classes-1.
    """
    rng = np.random.default_rng(seed)
    n, k = int(points_per_class), int(num_classes)
    if n < 1 or k < 1:
        raise ValueError(f"need points_per_class >= 1 and num_classes >= 1, got {n} and {k}")
    radius = np.tile(np.linspace(0.0, 1.0, n), k)
    y = np.repeat(np.arange(k, dtype=np.int64), n)
    theta = np.concatenate([np.linspace(c * 4.0, (c + 1) * 4.0, n) for c in range(k)])
    theta = theta + noise * rng.standard_normal(n * k)
    X = np.column_stack([radius * np.sin(theta), radius * np.cos(theta)])
    return X, y


def plot_decision_boundary(predict, X, y, ax=None, title="", resolution=200, margin=0.1):
    """Colour every point of the plane by the class ``predict`` gives it, with the data on top.

    Inputs:
    - predict: function mapping an array of shape (M, 2) to integer labels of shape (M,).
    - X: points, array of shape (N, 2).
    - y: labels, array of shape (N,).
    - ax: matplotlib Axes to draw into (default: a new figure).
    - title: title of the plot.
    - resolution: (int) grid points per axis.
    - margin: (float) space around the data, in the units of X.

    Returns:
    - the matplotlib Axes.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(4, 4))
    lo, hi = X.min(axis=0) - margin, X.max(axis=0) + margin
    g0, g1 = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    labels = np.asarray(predict(np.column_stack([g0.ravel(), g1.ravel()]))).reshape(g0.shape)
    ax.contourf(g0, g1, labels, levels=np.arange(int(y.max()) + 2) - 0.5, cmap="Spectral", alpha=0.35)
    ax.scatter(X[:, 0], X[:, 1], c=y, s=10, cmap="Spectral", edgecolors="k", linewidths=0.3)
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title, fontsize=9)
    return ax
