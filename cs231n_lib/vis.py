"""Plots the notebooks use. matplotlib is imported inside each function, so
importing the rest of ``cs231n_lib`` costs nothing for plotting.

Images are (N, H, W, C) arrays with values in 0..255 (C = 3 for CIFAR-10, 1 for digits).
Every function returns the matplotlib Figure it drew.
"""
from __future__ import annotations

import numpy as np


def _plt():
    import matplotlib.pyplot as plt
    return plt


def _as_displayable(img):
    """(H, W, C) -> something imshow accepts, scaled to 0..1."""
    img = np.asarray(img, dtype=np.float64)
    lo, hi = img.min(), img.max()
    img = (img - lo) / (hi - lo) if hi > lo else np.zeros_like(img)
    return img[..., 0] if img.shape[-1] == 1 else img


def show_image_grid(X, y, class_names, samples_per_class=7, seed=0):
    """A grid with ``samples_per_class`` random images (rows) of every class (columns).

    Inputs:
    - X: images of shape (N, H, W, C).
    - y: labels of shape (N,), values in 0..len(class_names)-1.
    - class_names: list of C_classes names.
    - samples_per_class: rows in the grid.
    - seed: seed for the choice of images.
    """
    plt = _plt()
    rng = np.random.default_rng(seed)
    num_classes = len(class_names)
    fig, axes = plt.subplots(samples_per_class, num_classes,
                             figsize=(num_classes, samples_per_class), squeeze=False)
    for c, name in enumerate(class_names):
        idxs = np.flatnonzero(y == c)
        chosen = rng.choice(idxs, min(samples_per_class, len(idxs)), replace=False) if len(idxs) else []
        for row in range(samples_per_class):
            ax = axes[row, c]
            ax.axis("off")
            if row < len(chosen):
                ax.imshow(_as_displayable(X[chosen[row]]), cmap="gray")
        axes[0, c].set_title(name, fontsize=8)
    fig.tight_layout()
    return fig


def show_weight_templates(W, image_shape, class_names):
    """Each column of a linear classifier's weights shown as an image (a class template).

    Inputs:
    - W: weights of shape (D, C) or (D + 1, C) with the bias as the last row.
    - image_shape: (H, W, C_channels) with H * W * C_channels == D.
    - class_names: list of C names.
    """
    plt = _plt()
    D = int(np.prod(image_shape))
    if W.shape[0] not in (D, D + 1):
        raise ValueError(f"weights have {W.shape[0]} rows; images of shape {image_shape} need {D} (+1 bias)")
    templates = W[:D].T.reshape(-1, *image_shape)
    fig, axes = plt.subplots(1, len(class_names), figsize=(1.2 * len(class_names), 1.6), squeeze=False)
    for i, name in enumerate(class_names):
        ax = axes[0, i]
        ax.imshow(_as_displayable(templates[i]), cmap="gray")
        ax.set_title(name, fontsize=8)
        ax.axis("off")
    fig.tight_layout()
    return fig


def plot_accuracy_vs_param(results, xlabel, ylabel="accuracy", log_x=False, title=None):
    """Mean accuracy with standard-deviation error bars against a hyperparameter.

    Inputs:
    - results: dict mapping a parameter value to a list of accuracies (e.g. one per fold).
    - xlabel, ylabel, title: axis labels and title.
    - log_x: use a logarithmic x axis.
    """
    plt = _plt()
    keys = sorted(results)
    means = np.array([np.mean(results[k]) for k in keys])
    stds = np.array([np.std(results[k]) for k in keys])
    fig, ax = plt.subplots(figsize=(6, 4))
    for k in keys:
        ax.scatter([k] * len(results[k]), results[k], color="0.6", s=12)
    ax.errorbar(keys, means, yerr=stds, marker="o", capsize=3)
    if log_x:
        ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title or f"{ylabel} vs {xlabel}")
    fig.tight_layout()
    return fig


def plot_loss_curve(loss_history, title="training loss", smooth=0):
    """Loss per iteration, optionally with a moving average of ``smooth`` iterations.

    Inputs:
    - loss_history: sequence of floats, one per iteration.
    """
    plt = _plt()
    loss = np.asarray(loss_history, dtype=np.float64)
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(loss, lw=0.8, label="loss")
    if smooth and len(loss) > smooth:
        avg = np.convolve(loss, np.ones(smooth) / smooth, mode="valid")
        ax.plot(np.arange(smooth - 1, len(loss)), avg, lw=2, label=f"mean of {smooth}")
        ax.legend()
    ax.set_xlabel("iteration")
    ax.set_ylabel("loss")
    ax.set_title(title)
    fig.tight_layout()
    return fig


def _finish(fig, ax, im, title, xlabel, ylabel):
    """Colour bar, title and axis labels; tight layout."""
    fig.colorbar(im, ax=ax)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    fig.tight_layout()
    return fig


def show_matrix(M, title="", xlabel="", ylabel=""):
    """A matrix as a grayscale image (e.g. test-by-train distances, shape (num_test, num_train))."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(8, 3))
    im = ax.imshow(np.asarray(M), interpolation="none", aspect="auto", cmap="gray")
    return _finish(fig, ax, im, title, xlabel, ylabel)


def plot_heatmap(values, row_labels, col_labels, title="", xlabel="", ylabel=""):
    """A labelled heat map, e.g. validation accuracy over a (learning rate, reg) grid.

    Inputs:
    - values: array of shape (len(row_labels), len(col_labels)).
    """
    plt = _plt()
    values = np.asarray(values, dtype=np.float64)
    fig, ax = plt.subplots(figsize=(1 + 1.1 * len(col_labels), 1 + 0.6 * len(row_labels)))
    im = ax.imshow(values, cmap="viridis")
    ax.set_xticks(range(len(col_labels)), [f"{c:g}" for c in col_labels])
    ax.set_yticks(range(len(row_labels)), [f"{r:g}" for r in row_labels])
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            ax.text(j, i, f"{values[i, j]:.3f}", ha="center", va="center", color="w", fontsize=8)
    return _finish(fig, ax, im, title, xlabel, ylabel)
