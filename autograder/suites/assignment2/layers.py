"""Hidden suite of assignment2/layers.ipynb: layer pairs, loss layers, dropout, TwoLayerNet."""
from math import prod

import numpy as np

from autograder.engine.suite import graded
from autograder.suites.kit.checks import as_array, as_dict, as_list, as_number, as_pair, assert_close
from autograder.suites.kit.layer_pairs import (TWICE, LayerPair, add_layer_pair_tests, assert_like,
                                               assert_unchanged, same_value)
from autograder.suites.kit.loss_layers import LossLayer, add_loss_layer_tests, call
from autograder.suites.kit.reference_helpers import install_swap, instructor_sources
from cs231n_lib.gradient_check import rel_error

NOTEBOOK = "layers"
SETUP_CELLS = ["layers_imports", "TwoLayerNet"]
SOLUTION_CELLS = ["affine_forward", "affine_backward", "relu_forward", "relu_backward", "sigmoid_forward",
                  "sigmoid_backward", "tanh_forward", "tanh_backward", "leaky_relu_forward", "leaky_relu_backward",
                  "maxout_forward", "maxout_backward", "svm_loss", "softmax_loss", "squared_hinge_loss",
                  "binary_cross_entropy_loss", "l2_regression_loss", "l1_regression_loss", "dropout_forward",
                  "dropout_backward", "TwoLayerNet_init", "TwoLayerNet_loss"]


# ---- layer pairs ----------------------------------------------------------------------------

def away_from_zero(rng, shape, high=3.0):
    """Entries of magnitude 0.1..high with random signs: no input sits at a kink."""
    return rng.uniform(0.1, high, shape) * rng.choice([-1.0, 1.0], shape)


def affine_cases(rng):
    out = []
    for x_shape, M in [((1, 1), 1), ((4, 3, 2), 5), ((10, 7), 3), ((2, 2, 3, 4), 6)]:
        D = prod(x_shape[1:])
        out.append((f"x of shape {x_shape} and w of shape {(D, M)}",
                    (rng.standard_normal(x_shape), rng.standard_normal((D, M)), rng.standard_normal(M))))
    return out


def relu_cases(rng):
    return [(f"x of shape {s}", (away_from_zero(rng, s),)) for s in [(1, 1), (5, 7), (3, 2, 4, 5)]] + \
           [("x of shape (6, 8) with entries up to +-1000", (away_from_zero(rng, (6, 8), 1000.0),))]


def smooth_cases(rng):
    return [(f"x of shape {s}", (3.0 * rng.standard_normal(s),)) for s in [(1, 1), (6, 5), (2, 3, 4)]]


def extreme_inputs(rng):
    x = rng.uniform(30.0, 1000.0, (4, 6)) * rng.choice([-1.0, 1.0], (4, 6))
    x[0, :2] = [1000.0, -1000.0]
    x[1, :2] = 2.0 * rng.standard_normal(2)
    return [("x with entries between 30 and 1000 in absolute value (and x = +-1000)", (x,))]


def leaky_cases(rng):
    return [("x of shape (1, 1) and the default alpha", (away_from_zero(rng, (1, 1)),)),
            ("x of shape (5, 6) and the default alpha", (away_from_zero(rng, (5, 6)),)),
            ("x of shape (3, 2, 4) and alpha = 0.2", (away_from_zero(rng, (3, 2, 4)), 0.2)),
            ("x of shape (7, 3)", (away_from_zero(rng, (7, 3)), float(rng.uniform(0.05, 0.5))))]


def maxout_cases(rng):
    """Random maxout problems whose winning piece beats the runner-up by at least 1e-3 everywhere."""
    out = []
    for N, D, K, M in [(1, 1, 2, 1), (6, 4, 3, 5), (3, 5, 1, 2), (8, 3, 4, 6)]:
        while True:
            x, w, b = rng.standard_normal((N, D)), rng.standard_normal((K, D, M)), rng.standard_normal((K, M))
            pieces = np.sort(np.einsum("nd,kdm->knm", x, w) + b[:, None, :], axis=0)
            if K == 1 or np.min(pieces[-1] - pieces[-2]) > 1e-3:
                break
        out.append((f"N={N}, D={D}, K={K}, M={M}", (x, w, b)))
    return out


PAIRS = [
    LayerPair("affine", affine_cases, ("dx", "dw", "db"), ("x", "w", "b"), "(x, w, b)"),
    LayerPair("relu", relu_cases, ("dx",), ("x",), "x"),
    LayerPair("sigmoid", smooth_cases, ("dx",), ("x",), "out", extreme=extreme_inputs, cache_tol=1e-6),
    LayerPair("tanh", smooth_cases, ("dx",), ("x",), "out", extreme=extreme_inputs, cache_tol=1e-6),
    LayerPair("leaky_relu", leaky_cases, ("dx",), ("x", "alpha"), "(x, alpha)"),
    LayerPair("maxout", maxout_cases, ("dx", "dw", "db"), ("x", "w", "b"), "(x, w, b)"),
]
for _pair in PAIRS:
    add_layer_pair_tests(globals(), _pair)


# ---- loss layers ----------------------------------------------------------------------------

def labels(rng, x):
    return rng.integers(0, x.shape[1], x.shape[0])


def bits(rng, x):
    return rng.integers(0, 2, x.shape)


def real_targets(rng, x):
    return rng.standard_normal(x.shape)


def softmax_big_scores(rng):
    out = []
    for sign in (1, -1):
        x = sign * 1000.0 + rng.uniform(-25.0, 25.0, (12, 5))
        hint = ("exp() of such scores overflows" if sign > 0 else "exp() of such scores is 0") + \
               "; shift each row of scores by its maximum first"
        out.append((f"with every score near {sign * 1000} (gaps under 50 within a row)", x, labels(rng, x), hint))
    return out


def bce_big_scores(rng):
    x = rng.uniform(40.0, 1000.0, (6, 5)) * rng.choice([-1.0, 1.0], (6, 5))
    x[0, :2] = [1000.0, -1000.0]
    x[1, :2] = rng.standard_normal(2)
    hint = ("log(sigmoid) is log(0) = -inf once the sigmoid rounds to 0 or 1; use the stable form "
            "max(x, 0) - x * y + log1p(exp(-|x|)), and a sigmoid that never exponentiates a large positive number")
    return [("with scores between 40 and 1000 in absolute value (and +-1000)", x, bits(rng, x), hint)]


def l1_subgradient(student, ref, rng):
    """dx of l1_regression_loss where x == y: 0, the subgradient the docstring asks for."""
    x = rng.standard_normal((10, 4))
    y = x.copy()
    moved = rng.random((10, 4)) < 0.5
    y[moved] += rng.standard_normal(int(moved.sum()))
    _, dx = call(student, "l1_regression_loss", x, y)
    _, want = ref.l1_regression_loss(x, y)
    assert_close(dx, want, 1e-12, "dx", "where half of the predictions equal their targets "
                 "(dx should be sign(x - y) / N, which is 0 where x == y)")


LOSSES = [
    LossLayer("svm_loss", labels),
    LossLayer("softmax_loss", labels, stable=softmax_big_scores,
              stable_question="Are the loss and dx exact and finite for scores near +1000 and -1000?"),
    LossLayer("squared_hinge_loss", labels),
    LossLayer("binary_cross_entropy_loss", bits, stable=bce_big_scores,
              stable_question="Are the loss and dx exact and finite for scores as large as +-1000?"),
    LossLayer("l2_regression_loss", real_targets),
    LossLayer("l1_regression_loss", real_targets,
              special=("Is the subgradient 0 where a prediction equals its target?", l1_subgradient)),
]
for _layer in LOSSES:
    add_loss_layer_tests(globals(), _layer)


# ---- dropout --------------------------------------------------------------------------------

DROP_F, DROP_B = "dropout_forward", "dropout_backward"


def dropout_out(student, x, param):
    out, cache = as_pair(student.dropout_forward(x, dict(param)), DROP_F)
    return as_array(out, f"out returned by {DROP_F}", x.shape, "f"), cache


def diagnose_mask(x, out, p) -> str:
    """Name the likely mistake of a train-mode output that differs from the reference."""
    kept = out != 0
    if np.allclose(out[kept], x[kept]):
        return "; the kept units equal x: inverted dropout divides them by p"
    if p != 0.5 and abs(kept.mean() - (1 - p)) < abs(kept.mean() - p):
        return f"; {kept.mean():.2f} of the units were kept with p = {p}: p is the probability of KEEPING a unit"
    return ("; with a seed, the mask should be (np.random.rand(*x.shape) < p) / p, drawn right after the given "
            "np.random.seed(seed)")


@graded("test_dropout_forward", DROP_F, 2)
def test_dropout_forward_train_values(student, ref, rng):
    """With a seed, does train mode give exactly the reference output (mask (np.random.rand(*x.shape) < p) / p)?"""
    for shape, p in [((1, 1), 0.5), ((40, 30), 0.3), ((5, 4, 3), 0.8), ((200,), 1.0)]:
        x = rng.standard_normal(shape) + 5.0
        param = {"mode": "train", "p": p, "seed": int(rng.integers(0, 2**31 - 1))}
        out, _ = dropout_out(student, x, param)
        want, _ = ref.dropout_forward(x, dict(param))
        try:
            assert_close(out, want, 1e-12, "out", f"for x of shape {shape}, p = {p}")
        except AssertionError as err:
            raise AssertionError(f"{err}{diagnose_mask(x, out, p)}") from None


@graded("test_dropout_forward", DROP_F, 1)
def test_dropout_forward_keep_fraction(student, rng):
    """Without a seed, is a fraction p of the units kept, each divided by p, the others 0?"""
    x = rng.standard_normal((300, 400)) + 10.0
    for p in (0.3, 0.8):
        out, _ = dropout_out(student, x, {"mode": "train", "p": p})
        kept = out != 0
        assert abs(kept.mean() - p) < 0.02, (f"with p = {p}, {kept.mean():.3f} of the units were kept: "
                                             "p is the probability of KEEPING a unit")
        assert_close(out[kept], x[kept] / p, 1e-12, "the kept units", f"with p = {p} (inverted dropout: x / p)")


@graded("test_dropout_forward", DROP_F, 1)
def test_dropout_forward_test_mode(student, rng):
    """In test mode, is the output the input (with and without a seed)?"""
    x = rng.standard_normal((7, 9))
    for param in ({"mode": "test", "p": 0.4}, {"mode": "test", "p": 0.7, "seed": 5}):
        out, _ = dropout_out(student, x, param)
        assert np.array_equal(out, x), f"with dropout_param {param} the output should be x itself (test mode)"


@graded("test_dropout_forward", DROP_F, 1)
def test_dropout_forward_seed(student, rng):
    """Does the same seed give the same mask, another seed or no seed a different one?"""
    x = rng.standard_normal((30, 40)) + 5.0
    a, _ = dropout_out(student, x, {"mode": "train", "p": 0.5, "seed": 11})
    b, _ = dropout_out(student, x, {"mode": "train", "p": 0.5, "seed": 11})
    c, _ = dropout_out(student, x, {"mode": "train", "p": 0.5, "seed": 12})
    assert np.array_equal(a, b), "two calls with the same seed should drop the same units (np.random.seed(seed) is given)"
    assert not np.array_equal(a, c), "calls with different seeds should drop different units"
    d, _ = dropout_out(student, x, {"mode": "train", "p": 0.5})
    e, _ = dropout_out(student, x, {"mode": "train", "p": 0.5})
    assert not np.array_equal(d, e), "without a seed, every call should draw a fresh mask (do not seed it yourself)"


@graded("test_dropout_forward", DROP_F, 1)
def test_dropout_forward_cache(student, worker, rng):
    """After two calls, is each cache (dropout_param, mask) with out == x * mask (mask None in test mode)?"""
    worker.exec("grader_twice", TWICE)
    x1, x2 = rng.standard_normal((20, 6)) + 5.0, rng.standard_normal((20, 6)) + 5.0
    p1, p2 = {"mode": "train", "p": 0.6}, {"mode": "train", "p": 0.3, "seed": 3}
    results = as_pair(student._grader_twice(DROP_F, [x1, dict(p1)], [x2, dict(p2)]), f"two calls of {DROP_F}")
    for x, param, result in [(x1, p1, results[0]), (x2, p2, results[1])]:
        out, cache = as_pair(result, DROP_F)
        out = as_array(out, f"out returned by {DROP_F}", x.shape, "f")
        cached_param, mask = assert_like(cache, (param, x), f"the cache of {DROP_F} (it should be (dropout_param, mask))")
        assert same_value(cached_param, param), "the cache should hold the dropout_param of this call"
        assert np.all(np.isin(mask, [0.0, 1.0 / param["p"]])), \
            f"the cached mask should hold the values 0 and 1 / p = {1 / param['p']:.4g} (the scaled mask)"
        assert_close(x * mask, out, 1e-12, "x * (the cached mask)", "(after a second call it should still be the "
                     "output of its own call: the backward pass multiplies by it)")
    out, cache = as_pair(student.dropout_forward(x1, {"mode": "test", "p": 0.6}), DROP_F)
    assert_like(cache, ({"mode": "test", "p": 0.6}, None), f"the cache of {DROP_F} in test mode "
                "(it should be (dropout_param, None))")


@graded("test_dropout_forward", DROP_F, 1, gate=test_dropout_forward_keep_fraction)
def test_dropout_forward_inputs(student, rng):
    """Are x and dropout_param left unchanged (train and test mode)?"""
    x = rng.standard_normal((6, 7))
    for param in ({"mode": "train", "p": 0.5, "seed": 1}, {"mode": "test", "p": 0.5}):
        _, after, _ = student._echo(DROP_F, x.copy(), dict(param))
        assert_unchanged(DROP_F, {"x": x, "dropout_param": param}, after)


def reference_cache(ref, rng, shape, p):
    x = rng.standard_normal(shape) + 5.0
    param = {"mode": "train", "p": p, "seed": int(rng.integers(0, 2**31 - 1))}
    return ref.dropout_forward(x, param)[1]


@graded("test_dropout_backward", DROP_B, 2)
def test_dropout_backward_train(student, ref, rng):
    """In train mode, given the cache (dropout_param, mask), is dx = dout * mask?"""
    for shape, p in [((1, 1), 0.5), ((12, 9), 0.3), ((4, 3, 5), 0.9)]:
        cache = reference_cache(ref, rng, shape, p)
        dout = rng.standard_normal(shape)
        dx = as_array(student.dropout_backward(dout, cache), f"dx returned by {DROP_B}", shape, "f")
        assert_close(dx, ref.dropout_backward(dout, cache), 1e-12, "dx",
                     f"for shape {shape}, p = {p} (dx should be dout times the cached mask)")


@graded("test_dropout_backward", DROP_B, 1)
def test_dropout_backward_test_mode(student, rng):
    """In test mode, is dx = dout?"""
    dout = rng.standard_normal((5, 8))
    dx = as_array(student.dropout_backward(dout, ({"mode": "test", "p": 0.4}, None)), f"dx returned by {DROP_B}",
                  dout.shape, "f")
    assert np.array_equal(dx, dout), "in test mode the layer is the identity, so dx should be dout"


@graded("test_dropout_backward", DROP_B, 1, gate=test_dropout_backward_train)
def test_dropout_backward_inputs(student, ref, rng):
    """Are dout and the cache left unchanged?"""
    cache = reference_cache(ref, rng, (6, 5), 0.5)
    dout = rng.standard_normal((6, 5))
    _, after, _ = student._echo(DROP_B, dout.copy(), cache)
    assert_unchanged(DROP_B, {"dout": dout, "cache": cache}, after)


# ---- TwoLayerNet ----------------------------------------------------------------------------

INIT, LOSS = "TwoLayerNet.__init__", "TwoLayerNet.loss"
KEYS = ("W1", "b1", "W2", "b2")


def new_net(student, D, H, C, weight_scale, reg=0.0):
    return student.TwoLayerNet(input_dim=D, hidden_dim=H, num_classes=C, weight_scale=weight_scale, reg=reg)


def params_of(net, D, H, C):
    params = as_dict(net._get("params"), "self.params", KEYS)
    shapes = {"W1": (D, H), "b1": (H,), "W2": (H, C), "b2": (C,)}
    return {k: as_array(params[k], f"self.params['{k}']", shapes[k], "f") for k in KEYS}


@graded("test_TwoLayerNet_init", INIT, 1)
def test_init_shapes(student, rng):
    """Are the parameters W1 (D, H), b1 (H,), W2 (H, C), b2 (C,), with zero biases (several sizes)?"""
    for D, H, C, ws in [(1, 1, 2, 0.1), (7, 13, 4, 1e-2), (50, 20, 10, 1e-3)]:
        params = params_of(new_net(student, D, H, C, ws), D, H, C)
        assert np.all(params["b1"] == 0) and np.all(params["b2"] == 0), "the biases should start at zero"


@graded("test_TwoLayerNet_init", INIT, 1)
def test_init_scale(student, rng):
    """Do W1 and W2 have mean about 0 and standard deviation about weight_scale?"""
    for ws in (1e-3, 0.5):
        params = params_of(new_net(student, 60, 50, 40, ws), 60, 50, 40)
        for k in ("W1", "W2"):
            W = params[k]
            assert abs(W.std() / ws - 1) < 0.2 and abs(W.mean()) < 0.2 * ws, (
                f"with weight_scale = {ws:g}, {k} has mean {W.mean():.3g} and standard deviation {W.std():.3g}: "
                "draw it as weight_scale * np.random.randn(...)")


@graded("test_TwoLayerNet_init", INIT, 1, gate=test_init_shapes)
def test_init_global_rng(student, worker, rng):
    """Are W1 and then W2 drawn as weight_scale * np.random.randn(...) from the global generator as seeded?"""
    D, H, C, ws = 6, 5, 3, 0.1
    seed = int(rng.integers(0, 2**31 - 1))
    worker.seed(seed)
    params = params_of(new_net(student, D, H, C, ws), D, H, C)
    draws = np.random.RandomState(seed)
    want_W1, want_W2 = ws * draws.randn(D, H), ws * draws.randn(H, C)
    assert_close(params["W1"], want_W1, 1e-12, "W1", "after np.random.seed(seed) (it should be the first draw, "
                 "weight_scale * np.random.randn(D, H); do not call np.random.seed yourself)")
    assert_close(params["W2"], want_W2, 1e-12, "W2", "(it should be drawn right after W1, as "
                 "weight_scale * np.random.randn(H, C))")


LAYER_CELLS = ("affine_forward", "affine_backward", "relu_forward", "relu_backward", "softmax_loss")

# Runs in the worker: TwoLayerNet.loss on a network set up by assigning params and reg (as the class
# docstring allows); returns the result and the arguments after the call. It is called through the
# kit's swap (reference_helpers.install_swap), so the instructor's layers stand in for the student's
# during the call: a mistake in a layer is graded with the layer, never charged to the network.
NET_LOSS = '''
def _grader_net_loss(params, reg, X, y):
    net = TwoLayerNet.__new__(TwoLayerNet)
    net.params, net.reg = params, reg
    result = net.loss(X) if y is None else net.loss(X, y)
    return result, X, net.params
'''


def net_problem(rng, N, D, H, C, scale=0.5):
    params = {"W1": scale * rng.standard_normal((D, H)), "b1": 0.1 * rng.standard_normal(H),
              "W2": scale * rng.standard_normal((H, C)), "b2": 0.1 * rng.standard_normal(C)}
    return params, rng.standard_normal((N, D)), rng.integers(0, C, N)


def student_net_loss(student, worker, params, reg, X, y):
    """(result of loss, X after, params after) of the student's TwoLayerNet.loss on the instructor's layers."""
    worker.exec("grader_net_loss", NET_LOSS)
    swap = install_swap(worker, instructor_sources("assignment2", NOTEBOOK, LAYER_CELLS))
    result, X_after, params_after = as_list(getattr(student, swap)("_grader_net_loss", params, reg, X, y),
                                            "the result of TwoLayerNet.loss", 3)
    return result, X_after, params_after


def reference_net_loss(ref, params, reg, X, y):
    net = ref.TwoLayerNet.__new__(ref.TwoLayerNet)
    net.params, net.reg = {k: v.copy() for k, v in params.items()}, reg
    return net.loss(X) if y is None else net.loss(X, y)


def loss_and_grads(student, worker, params, reg, X, y):
    result, _, _ = student_net_loss(student, worker, params, reg, X, y)
    loss, grads = as_pair(result, "loss(X, y)")
    loss = as_number(loss, "the loss returned by loss(X, y)")
    grads = as_dict(grads, "grads", KEYS)
    return loss, {k: as_array(grads[k], f"grads['{k}']", params[k].shape, "f") for k in KEYS}


SIZES = [(1, 3, 4, 2), (5, 7, 10, 3), (12, 20, 15, 6)]   # (N, D, H, C)


@graded("test_TwoLayerNet_loss", LOSS, 1)
def test_loss_scores(student, ref, worker, rng):
    """With y None, are the scores (N, C) those of affine - relu - affine (inputs of any shape)?"""
    for N, D, H, C in SIZES:
        params, X, _ = net_problem(rng, N, D, H, C)
        scores, _, _ = student_net_loss(student, worker, params, 0.0, X, None)
        scores = as_array(scores, "the scores returned by loss(X)", (N, C), "f")
        assert_close(scores, reference_net_loss(ref, params, 0.0, X, None), 1e-9, "the array of scores",
                     f"for N={N}, D={D}, H={H}, C={C}")
    params, X, _ = net_problem(rng, 4, 6, 5, 3)
    X = X.reshape(4, 2, 3)
    scores, _, _ = student_net_loss(student, worker, params, 0.0, X, None)
    scores = as_array(scores, "the scores returned by loss(X)", (4, 3), "f")
    assert_close(scores, reference_net_loss(ref, params, 0.0, X, None), 1e-9, "the array of scores",
                 "for X of shape (4, 2, 3) (each example is flattened to D = 6 values)")


def check_loss(student, ref, worker, rng, part):
    for (N, D, H, C), reg in zip(SIZES, [0.0, 0.3, 1.7]):
        params, X, y = net_problem(rng, N, D, H, C)
        loss, grads = loss_and_grads(student, worker, params, reg, X, y)
        want_loss, want_grads = reference_net_loss(ref, params, reg, X, y)
        where = f"for N={N}, D={D}, H={H}, C={C}, reg={reg}"
        try:
            if part == "loss":
                assert_close(loss, want_loss, 1e-9, "the loss", where)
            else:
                for k in KEYS:
                    assert_close(grads[k], want_grads[k], 1e-8, f"grads['{k}']", where)
        except AssertionError as err:
            raise AssertionError(f"{err}{diagnose_reg(student, ref, worker, params, reg, X, y, part)}") from None


def diagnose_reg(student, ref, worker, params, reg, X, y, part) -> str:
    """Name the regularization convention when the same network is right with reg = 0."""
    if reg == 0:
        return ""
    loss, grads = loss_and_grads(student, worker, params, 0.0, X, y)
    want_loss, want_grads = reference_net_loss(ref, params, 0.0, X, y)
    if part == "loss":
        right = rel_error(loss, want_loss) < 1e-9
    else:
        right = all(rel_error(grads[k], want_grads[k]) < 1e-8 for k in KEYS)
    return ("; with reg = 0 it matches, so the regularization is off: our convention is "
            "0.5 * reg * (np.sum(W1 * W1) + np.sum(W2 * W2)), weights only, with gradients reg * W1 and "
            "reg * W2" if right else "")


@graded("test_TwoLayerNet_loss", LOSS, 2)
def test_loss_value(student, ref, worker, rng):
    """Does the loss match the reference (softmax averaged over N, plus 0.5 * reg * the squared weights)?"""
    check_loss(student, ref, worker, rng, "loss")


@graded("test_TwoLayerNet_loss", LOSS, 2)
def test_loss_grads(student, ref, worker, rng):
    """Does every gradient (W1, b1, W2, b2) match the reference?"""
    check_loss(student, ref, worker, rng, "grads")


@graded("test_TwoLayerNet_loss", LOSS, 1, gate=(test_loss_value, test_loss_grads))
def test_loss_regularization(student, ref, worker, rng):
    """Is regularization 0.5 * reg * (sum(W1**2) + sum(W2**2)), on the weights only (gradients reg * W, biases none)?"""
    params, X, y = net_problem(rng, 6, 5, 8, 4)
    l0, g0 = loss_and_grads(student, worker, params, 0.0, X, y)
    l1, g1 = loss_and_grads(student, worker, params, 2.5, X, y)
    penalty = 0.5 * 2.5 * (np.sum(params["W1"] ** 2) + np.sum(params["W2"] ** 2))
    assert_close(l1 - l0, penalty, 1e-9, "the regularization part of the loss",
                 "(it should be 0.5 * reg * (np.sum(W1 * W1) + np.sum(W2 * W2)), biases not included)")
    for k in KEYS:
        extra = 2.5 * params[k] if k.startswith("W") else np.zeros_like(params[k])
        assert_close(g1[k] - g0[k], extra, 1e-9, f"the regularization part of grads['{k}']",
                     "(reg * W for the weights, nothing for the biases)")


@graded("test_TwoLayerNet_loss", LOSS, 1, gate=(test_loss_value, test_loss_grads))
def test_loss_inputs(student, worker, rng):
    """Are X and self.params left unchanged by loss?"""
    params, X, y = net_problem(rng, 5, 4, 6, 3)
    _, X_after, params_after = student_net_loss(student, worker, {k: v.copy() for k, v in params.items()}, 0.4, X.copy(), y)
    assert same_value(X_after, X), "loss changed its input X; compute new arrays instead"
    assert same_value(params_after, params), "loss changed self.params; it should only compute the loss and gradients"
