"""Plots of the training notebooks: solver histories, optimizer paths, activation statistics.

matplotlib is imported inside each function, so importing this module costs nothing.
Every function returns the matplotlib Figure it drew.
"""
from __future__ import annotations

import numpy as np


def _plt():
    import matplotlib.pyplot as plt
    return plt


def plot_solver_histories(solvers, title=None, smooth=10):
    """Loss per step and training / validation accuracy per epoch of one or several solvers.

    Inputs:
    - solvers: dict mapping a label to a Solver (or any object with loss_history,
      train_acc_history and val_acc_history lists).
    - title: (str or None) title of the figure.
    - smooth: (int) also draw a moving average of this many steps of each loss (0: none).

    Returns:
    - the matplotlib Figure (three panels: loss, training accuracy, validation accuracy).
    """
    plt = _plt()
    fig, axes = plt.subplots(1, 3, figsize=(14, 3.8))
    for i, (label, s) in enumerate(solvers.items()):
        color = f"C{i % 10}"
        loss = np.asarray(s.loss_history, dtype=np.float64)
        axes[0].plot(loss, lw=0.5, alpha=0.35 if smooth and len(loss) > smooth else 1.0, color=color)
        if smooth and len(loss) > smooth:
            avg = np.convolve(loss, np.ones(smooth) / smooth, mode="valid")
            axes[0].plot(np.arange(smooth - 1, len(loss)), avg, lw=1.5, color=color, label=label)
        else:
            axes[0].lines[-1].set_label(label)
        axes[1].plot(s.train_acc_history, "o-", ms=3, color=color, label=label)
        axes[2].plot(s.val_acc_history, "o-", ms=3, color=color, label=label)
    for ax, name, xlabel in zip(axes, ["training loss", "training accuracy", "validation accuracy"],
                                ["step", "epoch", "epoch"]):
        ax.set_title(name)
        ax.set_xlabel(xlabel)
    axes[0].legend(fontsize=8)
    axes[2].legend(fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_paths_2d(f, paths, xlim, ylim, title="", levels=20, ax=None):
    """Paths of optimizers on a function of two variables, over its contour lines.

    Inputs:
    - f: function mapping arrays x, y (any equal shapes) to the function values (same shape).
    - paths: dict mapping a label to an array of shape (T, 2), the points visited.
    - xlim, ylim: (low, high) of the axes.
    - title: title of the plot.
    - levels: number of contour levels (spaced on a log scale of f - min f).
    - ax: matplotlib Axes to draw into (default: a new figure).

    Returns:
    - the matplotlib Figure.
    """
    plt = _plt()
    if ax is None:
        fig, ax = plt.subplots(figsize=(6, 4.5))
    else:
        fig = ax.figure
    gx, gy = np.meshgrid(np.linspace(*xlim, 300), np.linspace(*ylim, 300))
    gz = f(gx, gy)
    low = gz.min()
    ax.contour(gx, gy, gz - low + 1e-3, levels=np.geomspace(1e-2, max(1e-1, gz.max() - low), levels),
               colors="0.75", linewidths=0.6)
    for i, (label, path) in enumerate(paths.items()):
        path = np.asarray(path, dtype=np.float64)
        ax.plot(path[:, 0], path[:, 1], "o-", ms=2, lw=1, color=f"C{i % 10}", label=label)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_title(title)
    ax.legend(fontsize=8, loc="upper right")
    fig.tight_layout()
    return fig


def plot_layer_statistics(activations, title="", bins=40, value_range=None):
    """Mean and standard deviation of every layer's activations, and a histogram per layer.

    Inputs:
    - activations: list of L arrays, the activations of layers 1..L (any shapes).
    - title: title of the figure.
    - bins: bins of every histogram.
    - value_range: (low, high) of the histograms, default the range of all activations.

    Returns:
    - the matplotlib Figure: top row the per-layer means and standard deviations, bottom row one
      histogram per layer.
    """
    plt = _plt()
    L = len(activations)
    means = [float(np.mean(a)) for a in activations]
    stds = [float(np.std(a)) for a in activations]
    fig = plt.figure(figsize=(max(10, 1.3 * L), 4.8))
    grid = fig.add_gridspec(2, L, height_ratios=[1.2, 1])
    ax_mean = fig.add_subplot(grid[0, : L // 2])
    ax_std = fig.add_subplot(grid[0, L // 2:])
    layers = np.arange(1, L + 1)
    ax_mean.plot(layers, means, "o-")
    ax_mean.set_title("mean of each layer's activations", fontsize=9)
    ax_std.plot(layers, stds, "o-", color="C1")
    ax_std.set_title("standard deviation", fontsize=9)
    for ax in (ax_mean, ax_std):
        ax.set_xlabel("layer")
        ax.set_xticks(layers)
    if value_range is None:
        value_range = (min(float(np.min(a)) for a in activations), max(float(np.max(a)) for a in activations))
        if value_range[0] == value_range[1]:
            value_range = (value_range[0] - 1, value_range[1] + 1)
    for i, a in enumerate(activations):
        ax = fig.add_subplot(grid[1, i])
        ax.hist(np.ravel(a), bins=bins, range=value_range, color="C0")
        ax.set_yticks([])
        ax.set_title(f"layer {i + 1}", fontsize=8)
        ax.tick_params(labelsize=6)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
