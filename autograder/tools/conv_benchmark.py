"""``python -m autograder.tools.conv_benchmark``: how fast the reference solutions are (figures, not a test).

1. Convolution, forward + backward, on CS231n's shapes (x 50x3x32x32 with w 32x3x7x7, pad 3; and
   x 100x64x16x16 with w 64x64x3x3, pad 1; stride 1): the instructor's ``conv_*_im2col`` (from
   ``source_nb/assignment3/conv_layers.ipynb``), its ``conv_*_naive`` (timed on a few examples and
   scaled to the batch: its cost is linear in N), and PyTorch's CPU ``conv2d`` with autograd when
   torch is installed (float64 like the others, and float32). The im2col time is split into its steps
   (im2col, the matrix multiplies, the reshapes, col2im) to say where it goes.
2. The no-loop kNN distances of assignment 1 (the instructor's ``compute_distances_no_loops``, from
   ``source_nb/assignment1/knn.ipynb``) against ``scipy.spatial.distance.cdist``, on CS231n's
   sizes (500 test and 5000 training points of 3072 dimensions).

Every figure is the best of ``--repeat`` runs (wall time, this machine, numpy's BLAS threads as
configured). Nothing is asserted: speed is measured, not tested.

    python -m autograder.tools.conv_benchmark
    python -m autograder.tools.conv_benchmark --repeat 5 --naive-examples 1
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from cs231n_lib import paths
from cs231n_lib.notebook_cells import load_notebook_cells

CONV_SHAPES = [((50, 3, 32, 32), (32, 3, 7, 7), 3), ((100, 64, 16, 16), (64, 64, 3, 3), 1)]
KNN_SIZES = (500, 5000, 3072)   # test points, training points, dimensions
CONV_CELLS = ["conv_layers_imports", "conv_output_size", "conv_forward_naive", "conv_backward_naive", "im2col",
              "col2im", "conv_forward_im2col", "conv_backward_im2col"]


def best_time(f, repeat: int) -> float:
    """Smallest wall time of ``repeat`` calls of f(), in seconds."""
    best = float("inf")
    for _ in range(repeat):
        tic = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - tic)
    return best


def conv_steps(layers, x, w, b, pad, repeat: int) -> dict[str, float]:
    """Seconds of each step of the im2col forward and backward passes (stride 1), run one by one."""
    F, _, HH, WW = w.shape
    N, _, H, W = x.shape
    H_out, W_out = layers.conv_output_size(H, HH, 1, pad), layers.conv_output_size(W, WW, 1, pad)
    cols = layers.im2col(x, HH, WW, 1, pad)
    flat = w.reshape(F, -1) @ cols
    dout = np.ones((N, F, H_out, W_out))
    dout_mat = dout.transpose(1, 0, 2, 3).reshape(F, -1)
    dcols = w.reshape(F, -1).T @ dout_mat
    return {
        "forward: im2col": best_time(lambda: layers.im2col(x, HH, WW, 1, pad), repeat),
        "forward: w @ cols": best_time(lambda: w.reshape(F, -1) @ cols, repeat),
        "forward: + b, reshape, transpose": best_time(
            lambda: np.ascontiguousarray((flat + b[:, None]).reshape(F, N, H_out, W_out).transpose(1, 0, 2, 3)), repeat),
        "backward: dout to (F, N*H'*W')": best_time(lambda: dout.transpose(1, 0, 2, 3).reshape(F, -1), repeat),
        "backward: dw = dout @ cols.T": best_time(lambda: dout_mat @ cols.T, repeat),
        "backward: dcols = w.T @ dout": best_time(lambda: w.reshape(F, -1).T @ dout_mat, repeat),
        "backward: col2im": best_time(lambda: layers.col2im(dcols, x.shape, HH, WW, 1, pad), repeat),
    }


def torch_time(x, w, b, pad, repeat: int, dtype: str):
    """Seconds of torch's conv2d forward + backward, or None when torch is not installed."""
    try:
        import torch
    except ImportError:
        return None
    xt, wt, bt = (torch.tensor(a, dtype=getattr(torch, dtype), requires_grad=True) for a in (x, w, b))
    grad = torch.ones(1, dtype=getattr(torch, dtype))

    def step():
        for t in (xt, wt, bt):
            t.grad = None
        out = torch.nn.functional.conv2d(xt, wt, bt, padding=pad)
        out.backward(grad.expand_as(out))
    step()
    return best_time(step, repeat)


def bench_conv(layers, repeat: int, naive_examples: int) -> None:
    rng = np.random.default_rng(0)
    for x_shape, w_shape, pad in CONV_SHAPES:
        x, w, b = rng.standard_normal(x_shape), rng.standard_normal(w_shape), rng.standard_normal(w_shape[0])
        param = {"stride": 1, "pad": pad}
        out, cache = layers.conv_forward_im2col(x, w, b, param)
        dout = np.ones(out.shape)
        forward = best_time(lambda: layers.conv_forward_im2col(x, w, b, param), repeat)
        backward = best_time(lambda: layers.conv_backward_im2col(dout, cache), repeat)
        fast = forward + backward
        few = x[:naive_examples]
        tic = time.perf_counter()
        _, naive_cache = layers.conv_forward_naive(few, w, b, param)
        layers.conv_backward_naive(dout[:naive_examples], naive_cache)
        naive = (time.perf_counter() - tic) * x_shape[0] / naive_examples
        x32, w32, b32 = (a.astype(np.float32) for a in (x, w, b))
        out32, cache32 = layers.conv_forward_im2col(x32, w32, b32, param)
        fast32 = (best_time(lambda: layers.conv_forward_im2col(x32, w32, b32, param), repeat)
                  + best_time(lambda: layers.conv_backward_im2col(np.ones(out32.shape, np.float32), cache32), repeat))
        print(f"\nconvolution x {'x'.join(map(str, x_shape))}, w {'x'.join(map(str, w_shape))}, stride 1, pad {pad}")
        print(f"  im2col (reference)   forward {forward * 1e3:8.1f} ms, backward {backward * 1e3:8.1f} ms, "
              f"together {fast * 1e3:8.1f} ms (float64); {fast32 * 1e3:8.1f} ms in float32")
        print(f"  naive loops          together {naive * 1e3:8.0f} ms (timed on {naive_examples} example(s), scaled "
              f"to {x_shape[0]}): {naive / fast:6.0f}x the im2col time")
        for dtype in ("float64", "float32"):
            t = torch_time(x, w, b, pad, repeat, dtype)
            if t is None:
                print("  torch conv2d         not installed (pip install torch==2.13.0 for the CPU build)")
                break
            ours = fast if dtype == "float64" else fast32
            print(f"  torch conv2d {dtype} together {t * 1e3:8.1f} ms: im2col ({dtype}) takes {ours / t:5.2f}x torch's time")
        steps = conv_steps(layers, x, w, b, pad, repeat)
        total = sum(steps.values())
        print("  where the im2col time goes (each step timed alone):")
        for name, seconds in steps.items():
            print(f"    {name:<34} {seconds * 1e3:8.1f} ms  {100 * seconds / total:5.1f}%")


def bench_knn(repeat: int) -> None:
    from scipy.spatial.distance import cdist

    knn = load_notebook_cells(paths.source_notebook("assignment1", "knn"),
                              ["knn_imports", "KNearestNeighbor", "compute_distances_no_loops"])
    num_test, num_train, dim = KNN_SIZES
    rng = np.random.default_rng(1)
    X_train, X_test = 255 * rng.random((num_train, dim)), 255 * rng.random((num_test, dim))
    classifier = knn.KNearestNeighbor()
    classifier.train(X_train, np.zeros(num_train, dtype=np.int64))
    ours = best_time(lambda: classifier.compute_distances_no_loops(X_test), repeat)
    scipy = best_time(lambda: cdist(X_test, X_train), repeat)
    gram = best_time(lambda: X_test @ X_train.T, repeat)
    diff = np.abs(classifier.compute_distances_no_loops(X_test) - cdist(X_test, X_train)).max()
    print(f"\nkNN distances, {num_test} test x {num_train} training points, {dim} dimensions (float64)")
    print(f"  no-loop (reference)  {ours * 1e3:8.1f} ms ({ours / scipy:5.2f}x cdist's time); "
          f"of which X_test @ X_train.T {gram * 1e3:.1f} ms")
    print(f"  scipy cdist          {scipy * 1e3:8.1f} ms; largest difference {diff:.1e}")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure; the best is reported")
    parser.add_argument("--naive-examples", type=int, default=2, help="examples the naive convolution is timed on")
    args = parser.parse_args(argv)
    layers = load_notebook_cells(paths.source_notebook("assignment3", "conv_layers"), CONV_CELLS)
    print(f"numpy {np.__version__}; best of {args.repeat} runs")
    bench_conv(layers, args.repeat, args.naive_examples)
    bench_knn(args.repeat)


if __name__ == "__main__":
    main()
