"""Do the plotting helpers draw what they promise, without costing anything at import?"""
import subprocess
import sys

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
from cs231n_lib import vis  # noqa: E402


def test_importing_the_library_does_not_import_matplotlib():
    """Is matplotlib left unimported by `import cs231n_lib`, its data and gradient modules and even vis?"""
    code = ("import sys, cs231n_lib, cs231n_lib.data, cs231n_lib.gradient_check, cs231n_lib.vis; "
            "print('matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_each_helper_returns_a_figure_with_the_expected_axes():
    """Does each helper return a Figure with one panel per class (grids) or one plot (curves)?"""
    rng = np.random.default_rng(0)
    X, y = rng.uniform(0, 255, (30, 8, 8, 1)), np.arange(30) % 3
    assert len(vis.show_image_grid(X, y, ["a", "b", "c"], samples_per_class=2).axes) == 6
    W = rng.standard_normal((65, 3))  # 8*8*1 pixels + bias row
    assert len(vis.show_weight_templates(W, (8, 8, 1), ["a", "b", "c"]).axes) == 3
    ax = vis.plot_accuracy_vs_param({1: [0.5, 0.7], 5: [0.6, 0.8]}, "k").axes[0]
    assert ax.get_xlabel() == "k"
    assert len(vis.plot_loss_curve(np.linspace(3, 1, 200), smooth=20).axes[0].lines) == 2
    assert vis.show_matrix(rng.random((4, 6)), title="d").axes[0].get_title() == "d"
    heat = vis.plot_heatmap(rng.random((2, 3)), [1e-6, 1e-5], [1, 10, 100], title="acc")
    assert len(heat.axes[0].texts) == 6


def test_weight_templates_refuse_the_wrong_image_shape():
    """Is a weight matrix that does not fit the image shape refused with the sizes named?"""
    with pytest.raises(ValueError, match="65 rows.*3072"):
        vis.show_weight_templates(np.zeros((65, 3)), (32, 32, 3), ["a", "b", "c"])
