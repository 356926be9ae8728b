"""Do the training plots (cs231n_lib/training_vis.py) draw what they promise, at no import cost?"""
import subprocess
import sys

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from cs231n_lib import training_vis  # noqa: E402


def test_importing_the_solver_and_plots_costs_no_matplotlib_or_tqdm():
    """Do cs231n_lib.solver, optim and training_vis import without matplotlib and tqdm (loaded when used)?"""
    code = ("import sys, cs231n_lib.solver, cs231n_lib.optim, cs231n_lib.training_vis; "
            "print('matplotlib' in sys.modules, 'tqdm' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "False"]


def test_paths_are_drawn_over_the_contours():
    """Does plot_paths_2d draw one line per path, with every point, and the contour lines?"""
    f = lambda x, y: 0.5 * (x ** 2 + 10 * y ** 2)
    paths = {"a": np.array([[-2.0, 1.0], [-1.0, 0.5], [0.0, 0.0]]), "b": np.array([[-2.0, 1.0], [0.0, 0.0]])}
    fig = training_vis.plot_paths_2d(f, paths, xlim=(-3, 1), ylim=(-1.5, 1.5), title="t")
    ax = fig.axes[0]
    lines = {line.get_label(): line for line in ax.lines}
    assert set(lines) == {"a", "b"} and len(lines["a"].get_xdata()) == 3
    assert ax.collections, "the contour lines are missing"
    assert ax.get_title() == "t"
    plt.close(fig)


def test_layer_statistics_show_every_layer():
    """Does plot_layer_statistics plot the per-layer mean and std and one histogram per layer?"""
    acts = [np.full((10, 4), float(i)) + np.arange(4) for i in range(5)]
    fig = training_vis.plot_layer_statistics(acts, title="x")
    axes = fig.axes
    assert len(axes) == 2 + 5
    assert np.allclose(axes[0].lines[0].get_ydata(), [np.mean(a) for a in acts])
    assert np.allclose(axes[1].lines[0].get_ydata(), [np.std(a) for a in acts])
    assert [ax.get_title() for ax in axes[2:]] == [f"layer {i}" for i in range(1, 6)]
    plt.close(fig)


def test_constant_activations_still_get_a_histogram_range():
    """Negative case: all-zero activations (the all-zeros initialization) do not break the histograms."""
    fig = training_vis.plot_layer_statistics([np.zeros((5, 3))] * 3)
    assert len(fig.axes) == 5
    plt.close(fig)


def test_solver_histories_of_several_runs():
    """Does plot_solver_histories draw one smoothed loss and two accuracy curves per run, labelled?"""
    class Run:
        def __init__(self, k):
            self.loss_history = list(np.linspace(2, 1, 30) * k)
            self.train_acc_history, self.val_acc_history = [0.1, 0.5, 0.9], [0.1, 0.4, 0.6]

    fig = training_vis.plot_solver_histories({"sgd": Run(1), "adam": Run(2)}, smooth=5)
    loss_ax, train_ax, val_ax = fig.axes
    assert [line.get_label() for line in val_ax.lines] == ["sgd", "adam"]
    assert len(train_ax.lines) == 2 and len(loss_ax.lines) == 4    # raw and smoothed, per run
    plt.close(fig)
