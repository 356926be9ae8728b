"""Hidden suite of assignment2/training_setup.ipynb: PCA and whitening, weight initialization,
regularization and FullyConnectedNet.

- PCA: eigenvectors are compared up to sign, on data whose covariance has well separated eigenvalues.
- ``weight_init`` is graded statistically: 200,000 weights per draw, tolerances tens of standard
  errors wide (so a correct implementation passes for every seed) and wrong scales tested far from
  the right ones (so a wrong one fails for every seed). Its generator is built in the worker from a
  seed (a ``np.random.Generator`` cannot cross the process boundary).
- ``FullyConnectedNet`` is graded with the instructor's layers (IMPORTED_CELLS), so a mistake in
  layers.ipynb is graded there only; ``loss`` on networks set up by assigning the attributes its
  class docstring lists, so a wrong ``__init__`` costs only ``__init__``'s points.
"""
import secrets

import numpy as np

from autograder.engine.suite import graded
from autograder.suites.kit.checks import as_array, as_dict, as_float, as_list, as_pair, assert_close
from autograder.suites.kit.layer_pairs import assert_unchanged

NOTEBOOK = "training_setup"
IMPORTED_CELLS = {"assignment2/layers": ["layers_imports", "affine_forward", "affine_backward", "relu_forward",
                                         "relu_backward", "dropout_forward", "dropout_backward", "softmax_loss"]}
SETUP_CELLS = ["training_setup_imports", "FullyConnectedNet"]
SOLUTION_CELLS = ["compute_pca", "pca_project", "whiten", "weight_init", "l2_regularization", "l1_regularization",
                  "max_norm_project", "FullyConnectedNet_init", "FullyConnectedNet_loss"]


def fresh_name() -> str:
    return "_grader_" + secrets.token_hex(6)


# ---- PCA and whitening ----------------------------------------------------------------------

PCA = "compute_pca"
PCA_SHAPES = [(30, 1), (60, 3), (300, 8), (500, 20)]   # (N, D)


def correlated_data(rng, N, D):
    """Data (N, D) with a mean far from 0 whose covariance has the eigenvalues 16 * 1.5**-j (j = 0..D-1), each
    within 10 %: every eigenvector is well defined, and no eigenvalue is so small that rounding matters."""
    Q = np.linalg.qr(rng.standard_normal((D, D)))[0]
    scales = 4.0 * 1.5 ** (-np.arange(D) / 2.0) * np.exp(rng.uniform(-0.025, 0.025, D))
    Z = rng.standard_normal((N, D))
    Z = (Z - Z.mean(axis=0)) @ np.linalg.inv(np.linalg.cholesky(np.cov(Z.T, bias=True).reshape(D, D))).T  # exactly white
    return Z * scales @ Q.T + rng.uniform(-5.0, 5.0, D)


def student_pca(student, X):
    mean, U, S = as_list(student.compute_pca(X), "the result of compute_pca (a tuple mean, U, S)", 3)
    N, D = X.shape
    return (as_array(mean, "mean", (D,), "f"), as_array(U, "U", (D, D), "f"), as_array(S, "S", (D,), "f"))


def diagnose_eigenvalues(S, want, N) -> str:
    if np.allclose(S, want * N / (N - 1), rtol=1e-9):
        return "; they are N / (N - 1) times too large: divide by N (np.cov divides by N - 1)"
    if np.allclose(np.sort(S), np.sort(want), rtol=1e-9):
        return "; they are in the wrong order: from the largest down, as np.linalg.svd returns them"
    return ""


@graded("test_compute_pca", PCA, 1)
def test_compute_pca_mean(student, ref, rng):
    """Is mean the mean of the rows of X?"""
    for N, D in PCA_SHAPES:
        X = correlated_data(rng, N, D)
        mean, _, _ = student_pca(student, X)
        assert_close(mean, ref.compute_pca(X)[0], 1e-10, "mean", f"for X of shape {(N, D)}")


@graded("test_compute_pca", PCA, 2)
def test_compute_pca_eigenvalues(student, ref, rng):
    """Is S the eigenvalues of Xc.T @ Xc / N, from the largest down?"""
    for N, D in PCA_SHAPES:
        X = correlated_data(rng, N, D)
        _, _, S = student_pca(student, X)
        want = ref.compute_pca(X)[2]
        try:
            assert_close(S, want, 1e-9, "S", f"for X of shape {(N, D)} (the covariance is Xc.T @ Xc / N, Xc = X - mean)")
        except AssertionError as err:
            raise AssertionError(f"{err}{diagnose_eigenvalues(S, want, N)}") from None


@graded("test_compute_pca", PCA, 2)
def test_compute_pca_eigenvectors(student, ref, rng):
    """Are the columns of U the unit eigenvectors, in the order of S (either sign)?"""
    for N, D in PCA_SHAPES:
        X = correlated_data(rng, N, D)
        _, U, _ = student_pca(student, X)
        want = ref.compute_pca(X)[1]
        signs = np.where(np.sum(U * want, axis=0) < 0, -1.0, 1.0)
        err = float(np.abs(U * signs - want).max())
        assert err < 1e-7, (f"for X of shape {(N, D)}, U differs from the eigenvectors by up to {err:.2g} even with "
                            "the sign of every column chosen to match: column U[:, j] should be the unit eigenvector of "
                            "S[j], the columns sorted by decreasing eigenvalue (np.linalg.svd(cov) gives them)")


@graded("test_compute_pca", PCA, 1, gate=(test_compute_pca_mean, test_compute_pca_eigenvalues))
def test_compute_pca_inputs(student, rng):
    """Is X left unchanged?"""
    X = correlated_data(rng, 40, 4)
    _, after, _ = student._echo(PCA, X.copy())
    assert_unchanged(PCA, {"X": X}, after)


def projection_problem(rng, N, D):
    """X far from the origin, a mean and a random orthonormal U (not symmetric)."""
    X = rng.standard_normal((N, D)) + rng.uniform(-5.0, 5.0, D)
    mean = X.mean(axis=0) + 0.1 * rng.standard_normal(D)
    U = np.linalg.qr(rng.standard_normal((D, D)))[0]
    return X, mean, U


PROJECT = "pca_project"


@graded("test_pca_project", PROJECT, 2)
def test_pca_project_values(student, ref, rng):
    """Is X_reduced = (X - mean) @ U[:, :k] for several k (1, some, all)?"""
    for N, D, k in [(5, 1, 1), (20, 6, 1), (20, 6, 3), (40, 10, 10)]:
        X, mean, U = projection_problem(rng, N, D)
        got = as_array(student.pca_project(X, mean, U, k), "X_reduced", (N, k), "f")
        assert_close(got, ref.pca_project(X, mean, U, k), 1e-9, "X_reduced",
                     f"for X of shape {(N, D)} and k = {k} (centre X with mean, then take the first k COLUMNS of U)")


@graded("test_pca_project", PROJECT, 1, gate=test_pca_project_values)
def test_pca_project_inputs(student, rng):
    """Are X, mean and U left unchanged?"""
    X, mean, U = projection_problem(rng, 8, 4)
    _, after, _ = student._echo(PROJECT, X.copy(), mean.copy(), U.copy(), 2)
    assert_unchanged(PROJECT, {"X": X, "mean": mean, "U": U}, after)


WHITEN = "whiten"


def whitening_problem(rng, N, D):
    """X, mean, U and eigenvalues S from 10 down to 1e-3, with an exact 0 last."""
    X, mean, U = projection_problem(rng, N, D)
    S = np.sort(10.0 ** rng.uniform(-3.0, 1.0, D))[::-1]
    S[-1] = 0.0
    return X, mean, U, S


@graded("test_whiten", WHITEN, 2)
def test_whiten_values(student, ref, rng):
    """With the default eps, is X_white = (X - mean) @ U / np.sqrt(S + eps), finite where an eigenvalue is 0?"""
    for N, D in [(6, 2), (25, 5), (50, 12)]:
        X, mean, U, S = whitening_problem(rng, N, D)
        got = as_array(student.whiten(X, mean, U, S), "X_white", (N, D), "f")
        assert np.all(np.isfinite(got)), (f"X_white contains inf or nan for eigenvalues down to 0 (X of shape {(N, D)}): "
                                          "add eps to S before the square root")
        assert_close(got, ref.whiten(X, mean, U, S), 1e-9, "X_white",
                     f"for X of shape {(N, D)} with the default eps = 1e-5 ((X - mean) @ U / np.sqrt(S + eps))")


@graded("test_whiten", WHITEN, 1)
def test_whiten_eps(student, ref, rng):
    """Is a given eps used, as np.sqrt(S + eps)?"""
    for eps in (0.5, 3.0):
        X, mean, U, S = whitening_problem(rng, 15, 4)
        got = as_array(student.whiten(X, mean, U, S, eps=eps), "X_white", X.shape, "f")
        assert_close(got, ref.whiten(X, mean, U, S, eps=eps), 1e-9, "X_white",
                     f"with eps = {eps} (divide by np.sqrt(S + eps), not np.sqrt(S) + eps)")


@graded("test_whiten", WHITEN, 1, gate=test_whiten_values)
def test_whiten_inputs(student, rng):
    """Are X, mean, U and S left unchanged?"""
    X, mean, U, S = whitening_problem(rng, 7, 3)
    _, after, _ = student._echo(WHITEN, X.copy(), mean.copy(), U.copy(), S.copy())
    assert_unchanged(WHITEN, {"X": X, "mean": mean, "U": U, "S": S}, after)


# ---- weight initialization ------------------------------------------------------------------

INIT_W = "weight_init"
# Defined in the worker under a fresh name: the generator is made there from a seed; numpy's
# global generator is seeded too, so that drawing from it instead of rng shows.
DRAW = '''
def {name}(fan_in, fan_out, method, seed, global_seed):
    import numpy
    numpy.random.seed(global_seed)
    return weight_init(fan_in, fan_out, method, numpy.random.default_rng(seed))
'''
METHODS = ("zeros", "small", "xavier", "he", "sparse")


def drawer(worker):
    name = fresh_name()
    worker.exec("grader_weight_init", DRAW.format(name=name))
    return name


def draw(student, name, rng, fan_in, fan_out, method, seed=None, global_seed=None):
    seed = int(rng.integers(0, 2**31 - 1)) if seed is None else seed
    global_seed = int(rng.integers(0, 2**31 - 1)) if global_seed is None else global_seed
    W = getattr(student, name)(fan_in, fan_out, method, seed, global_seed)
    return as_array(W, f"weight_init({fan_in}, {fan_out}, {method!r}, rng)", (fan_in, fan_out), "f")


def assert_gaussian(values, want_std, what, std_tol=0.05):
    """Mean about 0, standard deviation within std_tol of want_std, and the shape of a normal distribution."""
    std = float(values.std())
    assert abs(std / want_std - 1) < std_tol, (f"{what}: the weights have standard deviation {std:.4g}, expected "
                                               f"{want_std:.4g}")
    assert abs(float(values.mean())) < 8 * want_std / np.sqrt(values.size), \
        f"{what}: the weights should have mean 0, got {values.mean():.3g}"
    inside = float(np.mean(np.abs(values) < want_std))
    assert abs(inside - 0.6827) < 0.06 if values.size < 50000 else abs(inside - 0.6827) < 0.02, (
        f"{what}: {inside:.1%} of the weights lie within one standard deviation of 0; for normal draws "
        "(rng.standard_normal) it is 68.3%")


@graded("test_weight_init", INIT_W, 1)
def test_weight_init_shapes(student, worker, rng):
    """Does every method return a float array of shape (fan_in, fan_out)?"""
    name = drawer(worker)
    for method in METHODS:
        for fan_in, fan_out in [(1, 1), (3, 7), (12, 5)]:
            draw(student, name, rng, fan_in, fan_out, method)


@graded("test_weight_init", INIT_W, 1)
def test_weight_init_zeros(student, worker, rng):
    """Is 'zeros' all zero?"""
    name = drawer(worker)
    for fan_in, fan_out in [(1, 1), (30, 20)]:
        W = draw(student, name, rng, fan_in, fan_out, "zeros")
        assert np.all(W == 0), "'zeros' should give all-zero weights"


@graded("test_weight_init", INIT_W, 1)
def test_weight_init_small(student, worker, rng):
    """Is 'small' 0.01 * standard normal?"""
    W = draw(student, drawer(worker), rng, 400, 500, "small")
    assert_gaussian(W, 0.01, "'small' with fan_in 400, fan_out 500")


@graded("test_weight_init", INIT_W, 1)
def test_weight_init_xavier(student, worker, rng):
    """Is 'xavier' standard normal / sqrt(fan_in), for two fan-ins (and fan-outs other than the fan-in)?"""
    name = drawer(worker)
    for fan_in, fan_out in [(100, 2000), (900, 250)]:
        W = draw(student, name, rng, fan_in, fan_out, "xavier")
        assert_gaussian(W, 1 / np.sqrt(fan_in), f"'xavier' with fan_in {fan_in}, fan_out {fan_out} (1 / sqrt(fan_in))")


@graded("test_weight_init", INIT_W, 1)
def test_weight_init_he(student, worker, rng):
    """Is 'he' standard normal * sqrt(2 / fan_in), for two fan-ins (and fan-outs other than the fan-in)?"""
    name = drawer(worker)
    for fan_in, fan_out in [(100, 2000), (800, 250)]:
        W = draw(student, name, rng, fan_in, fan_out, "he")
        assert_gaussian(W, np.sqrt(2 / fan_in), f"'he' with fan_in {fan_in}, fan_out {fan_out} (sqrt(2 / fan_in))")


@graded("test_weight_init", INIT_W, 2)
def test_weight_init_sparse(student, worker, rng):
    """Does 'sparse' give every column exactly min(10, fan_in) nonzero 0.01 * normal weights, in random rows?"""
    name = drawer(worker)
    for fan_in, fan_out in [(1, 4), (6, 9), (400, 500)]:
        W = draw(student, name, rng, fan_in, fan_out, "sparse")
        per_column = np.count_nonzero(W, axis=0)
        k = min(10, fan_in)
        assert np.all(per_column == k), (f"'sparse' with fan_in {fan_in}: every column should have exactly "
                                         f"min(10, fan_in) = {k} nonzero weights, found counts {sorted(set(per_column.tolist()))} "
                                         "(choose the rows without repetition: rng.choice(fan_in, k, replace=False))")
    used = float(np.mean(np.any(W != 0, axis=1)))
    assert used > 0.9, (f"'sparse' with fan_in 400, fan_out 500: only {used:.0%} of the inputs are connected to any unit; "
                        "every unit should choose its 10 inputs at random")
    assert_gaussian(W[W != 0], 0.01, "'sparse' (its nonzero weights)", std_tol=0.1)


@graded("test_weight_init", INIT_W, 1, gate=(test_weight_init_small, test_weight_init_sparse))
def test_weight_init_uses_rng(student, worker, rng):
    """Are the random numbers drawn from rng (same rng state, same weights, whatever numpy's global state)?"""
    name = drawer(worker)
    for method in ("small", "sparse"):
        seed = int(rng.integers(0, 2**31 - 1))
        a = draw(student, name, rng, 30, 20, method, seed=seed, global_seed=1)
        b = draw(student, name, rng, 30, 20, method, seed=seed, global_seed=2)
        assert np.array_equal(a, b), (f"'{method}': two calls with generators in the same state gave different weights "
                                      "(numpy's global generator differed): draw from rng, not from np.random")
        c = draw(student, name, rng, 30, 20, method, seed=seed + 1, global_seed=1)
        assert not np.array_equal(a, c), f"'{method}': generators in different states gave the same weights"


# ---- regularization -------------------------------------------------------------------------

def penalty(student, name, W, reg):
    loss, dW = as_pair(getattr(student, name)(W, reg), name)
    return as_float(loss, f"the loss returned by {name}"), as_array(dW, f"dW returned by {name}", W.shape, "f")


REG_SHAPES = [(1,), (6, 4), (3, 2, 5)]


def away_from_zero(rng, shape):
    return rng.uniform(0.1, 2.0, shape) * rng.choice([-1.0, 1.0], shape)


@graded("test_l2_regularization", "l2_regularization", 2)
def test_l2_regularization_values(student, ref, rng):
    """Are the loss 0.5 * reg * sum(W**2) and dW = reg * W right, for weights of several shapes?"""
    for shape in REG_SHAPES:
        W, reg = rng.standard_normal(shape), float(rng.uniform(0.1, 3.0))
        loss, dW = penalty(student, "l2_regularization", W, reg)
        want_loss, want_dW = ref.l2_regularization(W, reg)
        hint = (" (our convention is 0.5 * reg * np.sum(W * W), whose gradient is reg * W)"
                if np.isclose(loss, 2 * want_loss) or np.allclose(dW, 2 * want_dW) else "")
        assert_close(loss, want_loss, 1e-10, "the loss", f"for W of shape {shape}, reg {reg:.3f}{hint}")
        assert_close(dW, want_dW, 1e-10, "dW", f"for W of shape {shape}, reg {reg:.3f}{hint}")


@graded("test_l2_regularization", "l2_regularization", 1, gate=test_l2_regularization_values)
def test_l2_regularization_inputs(student, rng):
    """Is W left unchanged?"""
    W = rng.standard_normal((4, 3))
    _, after, _ = student._echo("l2_regularization", W.copy(), 0.7)
    assert_unchanged("l2_regularization", {"W": W}, after)


@graded("test_l1_regularization", "l1_regularization", 2)
def test_l1_regularization_values(student, ref, rng):
    """Are the loss reg * sum(|W|) and dW = reg * sign(W) right, for weights of several shapes (no zero entry)?"""
    for shape in REG_SHAPES:
        W, reg = away_from_zero(rng, shape), float(rng.uniform(0.1, 3.0))
        loss, dW = penalty(student, "l1_regularization", W, reg)
        want_loss, want_dW = ref.l1_regularization(W, reg)
        assert_close(loss, want_loss, 1e-10, "the loss", f"for W of shape {shape}, reg {reg:.3f} (reg * np.sum(np.abs(W)))")
        assert_close(dW, want_dW, 1e-10, "dW", f"for W of shape {shape}, reg {reg:.3f} (reg * np.sign(W))")


@graded("test_l1_regularization", "l1_regularization", 1)
def test_l1_regularization_zero_subgradient(student, rng):
    """Is dW 0 where W == 0 (the subgradient np.sign gives)?"""
    W = away_from_zero(rng, (6, 5))
    W[rng.random((6, 5)) < 0.4] = 0.0
    W[0, 0] = 0.0
    _, dW = penalty(student, "l1_regularization", W, 0.5)
    zero = W == 0
    assert np.all(dW[zero] == 0), "where W == 0, dW should be 0 (reg * np.sign(W) gives 0 there)"
    assert_close(dW[~zero], 0.5 * np.sign(W[~zero]), 1e-12, "dW where W != 0")


@graded("test_l1_regularization", "l1_regularization", 1, gate=test_l1_regularization_values)
def test_l1_regularization_inputs(student, rng):
    """Is W left unchanged?"""
    W = away_from_zero(rng, (4, 3))
    _, after, _ = student._echo("l1_regularization", W.copy(), 0.7)
    assert_unchanged("l1_regularization", {"W": W}, after)


MAX_NORM = "max_norm_project"


def columns_around(rng, D, M, c):
    """W (D, M) whose column norms are either 0.2c..0.8c or 1.5c..4c, both kinds present when M > 1."""
    W = rng.standard_normal((D, M))
    W /= np.linalg.norm(W, axis=0)
    long = rng.random(M) < 0.5
    long[0] = True
    if M > 1:
        long[-1] = False
    norms = np.where(long, rng.uniform(1.5, 4.0, M), rng.uniform(0.2, 0.8, M)) * c
    return W * norms


@graded("test_max_norm_project", MAX_NORM, 2)
def test_max_norm_project_values(student, ref, rng):
    """Is every column (a unit's incoming weights) longer than c rescaled to norm c, and every other column kept?"""
    for D, M in [(1, 3), (5, 1), (8, 6), (30, 20)]:
        c = float(rng.uniform(0.5, 4.0))
        W = columns_around(rng, D, M, c)
        got = as_array(student.max_norm_project(W, c), "W_projected", (D, M), "f")
        assert_close(got, ref.max_norm_project(W, c), 1e-10, "W_projected",
                     f"for W of shape {(D, M)} and c = {c:.3f} (the L2 norm of each COLUMN W[:, j] is limited to c)")


@graded("test_max_norm_project", MAX_NORM, 1, gate=test_max_norm_project_values)
def test_max_norm_project_inputs(student, rng):
    """Is W left unchanged (a new array is returned)?"""
    W = columns_around(rng, 6, 5, 1.0)
    _, after, _ = student._echo(MAX_NORM, W.copy(), 1.0)
    assert_unchanged(MAX_NORM, {"W": W}, after)


# ---- FullyConnectedNet ----------------------------------------------------------------------

INIT, LOSS = "FullyConnectedNet.__init__", "FullyConnectedNet.loss"
# Defined in the worker under a fresh name: a network built by the student's __init__ (the dtype
# given by name: a numpy type cannot cross the boundary), or one set up by assigning the attributes
# the class docstring lists (for loss).
MAKE = '''
def {name}(hidden_dims, kwargs, dtype=None):
    import numpy
    if dtype is not None:
        kwargs = dict(kwargs, dtype=getattr(numpy, dtype))
    return FullyConnectedNet(hidden_dims, **kwargs)


def {name}_assigned(params, reg, keep, seed):
    import numpy
    net = object.__new__(FullyConnectedNet)
    net.params, net.reg, net.dtype, net.normalization = params, reg, numpy.float64, None
    net.num_layers = len(params) // 2
    net.use_dropout = keep != 1
    net.dropout_param = {{}}
    if net.use_dropout:
        net.dropout_param = {{"mode": "train", "p": keep}}
        if seed is not None:
            net.dropout_param["seed"] = seed
    net.bn_params = []
    return net
'''


def maker(worker) -> str:
    name = fresh_name()
    worker.exec("grader_make_network", MAKE.format(name=name))
    return name


def param_shapes(hidden_dims, input_dim, num_classes):
    dims = [input_dim, *hidden_dims, num_classes]
    shapes = {}
    for l in range(1, len(dims)):
        shapes[f"W{l}"], shapes[f"b{l}"] = (dims[l - 1], dims[l]), (dims[l],)
    return shapes


def student_params(model, what: str, shapes: dict) -> dict:
    params = as_dict(model._get("params"), f"{what}.params", shapes)
    return {k: as_array(params[k], f"{what}.params[{k!r}]", shapes[k], "f") for k in shapes}


INIT_CONFIGS = [([3], 4, 2), ([5, 6, 7], 10, 3), ([4, 4], 6, 5), ([2, 3, 4, 5, 6], 7, 4)]   # (hidden, D, C)


@graded("test_FullyConnectedNet_init", INIT, 1)
def test_fc_net_init_shapes(student, worker):
    """Are the parameters W1..WL, b1..bL of the documented shapes, with zero biases, for several depths?"""
    make = maker(worker)
    for hidden, D, C in INIT_CONFIGS:
        model = getattr(student, make)(hidden, {"input_dim": D, "num_classes": C, "weight_scale": 0.1})
        params = student_params(model, f"FullyConnectedNet({hidden}, input_dim={D}, num_classes={C})",
                                param_shapes(hidden, D, C))
        for k, v in params.items():
            assert not k.startswith("b") or np.all(v == 0), f"{k} should start at zero (hidden_dims {hidden})"


@graded("test_FullyConnectedNet_init", INIT, 1)
def test_fc_net_init_scale(student, worker):
    """Do the weights have mean about 0 and standard deviation about weight_scale?"""
    make = maker(worker)
    hidden, D, C = [300, 200], 400, 100
    for ws in (1e-2, 0.5):
        model = getattr(student, make)(hidden, {"input_dim": D, "num_classes": C, "weight_scale": ws}, "float64")
        params = student_params(model, "FullyConnectedNet", param_shapes(hidden, D, C))
        for k in ("W1", "W2", "W3"):
            W = params[k]
            assert abs(W.std() / ws - 1) < 0.1 and abs(W.mean()) < 0.05 * ws, (
                f"with weight_scale = {ws:g}, {k} has mean {W.mean():.3g} and standard deviation {W.std():.3g}: "
                "draw it as weight_scale * np.random.randn(rows, columns)")


@graded("test_FullyConnectedNet_init", INIT, 1, gate=test_fc_net_init_shapes)
def test_fc_net_init_global_rng(student, worker, rng):
    """Are W1, W2, ... drawn in order as weight_scale * np.random.randn(...) from the global generator as the caller seeded it?"""
    make = maker(worker)
    for hidden, D, C in INIT_CONFIGS[1:3]:
        for kwargs in ({}, {"dropout_keep_ratio": 0.5, "seed": 123}):
            seed = int(rng.integers(0, 2**31 - 1))
            worker.seed(seed)
            model = getattr(student, make)(hidden, {"input_dim": D, "num_classes": C, "weight_scale": 0.1, **kwargs},
                                           "float64")
            shapes = param_shapes(hidden, D, C)
            params = student_params(model, "FullyConnectedNet", shapes)
            draws = np.random.RandomState(seed)
            for l in range(1, len(hidden) + 2):
                want = 0.1 * draws.randn(*shapes[f"W{l}"])
                assert_close(params[f"W{l}"], want, 1e-12, f"W{l}",
                             f"after np.random.seed({seed}) for hidden_dims {hidden}{' with seed=123' if kwargs else ''}: "
                             "draw W1, then W2, ..., each as weight_scale * np.random.randn(rows, columns), with nothing "
                             "drawn in between; the seed argument only goes into dropout_param (never np.random.seed)")


LOSS_CONFIGS = [([6], 5, 3, 4), ([5, 4], 7, 4, 6), ([4, 3, 5, 6], 6, 5, 8)]   # (hidden, D, C, N)


def network(rng, hidden, D, C, N):
    """Parameters with weights large enough that the scores differ, data X (N, D) and labels y."""
    params = {k: (0.6 if k.startswith("W") else 0.2) * rng.standard_normal(s)
              for k, s in param_shapes(hidden, D, C).items()}
    return params, rng.standard_normal((N, D)), rng.integers(0, C, N)


def assigned(student, worker, params, reg=0.0, keep=1, seed=None):
    return getattr(student, maker(worker) + "_assigned")(params, reg, keep, seed)


def reference_net(ref, params, reg=0.0, keep=1, seed=None):
    return ref.fc_net_from_params({k: v.copy() for k, v in params.items()}, reg=reg, dropout_keep_ratio=keep, seed=seed)


def loss_and_grads(student, worker, ref, params, X, y, reg=0.0, keep=1, seed=None):
    """(student's loss, grads) vetted for types, keys and shapes, and the reference's."""
    model = assigned(student, worker, params, reg, keep, seed)
    loss, grads = as_pair(model.loss(X, y), "loss(X, y)")
    loss = as_float(loss, "the loss returned by loss(X, y)")
    grads = as_dict(grads, "grads", params)
    grads = {k: as_array(grads[k], f"grads[{k!r}]", params[k].shape, "f") for k in params}
    return (loss, grads), reference_net(ref, params, reg, keep, seed).loss(X, y)


def describe(hidden, D, C, N):
    return f"for hidden_dims {hidden}, X of shape {(N, D)}, {C} classes"


@graded("test_FullyConnectedNet_loss", LOSS, 1)
def test_fc_net_loss_scores(student, ref, worker, rng):
    """With y None, are the scores (N, C) those of {affine - relu} x (L - 1) - affine (inputs of any shape)?"""
    for hidden, D, C, N in LOSS_CONFIGS:
        params, X, _ = network(rng, hidden, D, C, N)
        if len(hidden) == 2:
            X = X.reshape(N, 1, D)
        scores = as_array(assigned(student, worker, params).loss(X), "the scores returned by loss(X)", (N, C), "f")
        assert_close(scores, reference_net(ref, params).loss(X), 1e-9, "the scores", describe(hidden, D, C, N))


@graded("test_FullyConnectedNet_loss", LOSS, 2)
def test_fc_net_loss_value(student, ref, worker, rng):
    """Does the loss match the reference (softmax averaged over N, plus 0.5 * reg * the squared weights), for several depths?"""
    for (hidden, D, C, N), reg in zip(LOSS_CONFIGS, (0.0, 0.3, 1.7)):
        params, X, y = network(rng, hidden, D, C, N)
        (loss, _), (want, _) = loss_and_grads(student, worker, ref, params, X, y, reg)
        assert_close(loss, want, 1e-9, "the loss", f"{describe(hidden, D, C, N)}, reg {reg}")


@graded("test_FullyConnectedNet_loss", LOSS, 2)
def test_fc_net_loss_grads(student, ref, worker, rng):
    """Does every gradient match the reference, for several depths, with and without regularization?"""
    for (hidden, D, C, N), reg in zip(LOSS_CONFIGS, (0.0, 0.3, 1.7)):
        params, X, y = network(rng, hidden, D, C, N)
        (_, grads), (_, want) = loss_and_grads(student, worker, ref, params, X, y, reg)
        for k in sorted(want):
            assert_close(grads[k], want[k], 1e-8, f"grads[{k!r}]", f"{describe(hidden, D, C, N)}, reg {reg}")


@graded("test_FullyConnectedNet_loss", LOSS, 2)
def test_fc_net_loss_dropout(student, ref, worker, rng):
    """With seeded dropout after every hidden ReLU, do the loss and gradients match (same seed, same masks), and is loss(X) free of dropout?"""
    for (hidden, D, C, N), keep in zip(LOSS_CONFIGS[1:], (0.6, 0.8)):
        params, X, y = network(rng, hidden, D, C, N)
        seed = int(rng.integers(0, 2**31 - 1))
        where = f"{describe(hidden, D, C, N)}, dropout_keep_ratio {keep}"
        (loss, grads), (want_loss, want_grads) = loss_and_grads(student, worker, ref, params, X, y, 0.2, keep, seed)
        assert_close(loss, want_loss, 1e-9, "the loss", f"{where} (a dropout layer after every hidden ReLU, each "
                     "given self.dropout_param itself, with its seed; none after the last affine layer)")
        for k in sorted(want_grads):
            assert_close(grads[k], want_grads[k], 1e-8, f"grads[{k!r}]", where)
        scores = as_array(assigned(student, worker, params, 0.2, keep, seed).loss(X), "the scores returned by loss(X)",
                          (N, C), "f")
        assert_close(scores, reference_net(ref, params).loss(X), 1e-9, "the scores",
                     f"{where}: loss(X) without labels runs dropout in test mode, where it does nothing")


@graded("test_FullyConnectedNet_loss", LOSS, 1, gate=(test_fc_net_loss_value, test_fc_net_loss_grads))
def test_fc_net_loss_regularization(student, ref, worker, rng):
    """Is regularization 0.5 * reg * sum over all weights (gradient reg * W), with nothing for the biases?"""
    hidden, D, C, N = LOSS_CONFIGS[2]
    params, X, y = network(rng, hidden, D, C, N)
    (l0, g0), _ = loss_and_grads(student, worker, ref, params, X, y, 0.0)
    (l1, g1), _ = loss_and_grads(student, worker, ref, params, X, y, 1.5)
    weights = sum(np.sum(v ** 2) for k, v in params.items() if k.startswith("W"))
    assert_close(l1 - l0, 0.75 * weights, 1e-9, "the regularization part of the loss",
                 "(0.5 * reg * (sum(W1**2) + ... + sum(WL**2)), every layer's weights, no biases)")
    for k in sorted(params):
        extra = 1.5 * params[k] if k.startswith("W") else np.zeros(params[k].shape)
        assert_close(g1[k] - g0[k], extra, 1e-9, f"the regularization part of grads[{k!r}]",
                     "(reg * W for every weight matrix, nothing for the biases)")


@graded("test_FullyConnectedNet_loss", LOSS, 1, gate=(test_fc_net_loss_value, test_fc_net_loss_grads))
def test_fc_net_loss_inputs(student, worker, rng):
    """Are X, y and self.params left unchanged?"""
    hidden, D, C, N = LOSS_CONFIGS[1]
    params, X, y = network(rng, hidden, D, C, N)
    model = assigned(student, worker, {k: v.copy() for k, v in params.items()}, 0.4, 0.7, 5)
    _, after = model._echo("loss", X.copy(), y.copy())[:2]
    assert_unchanged("loss", {"X": X, "y": y}, after)
    assert_unchanged("loss", {"self.params": params}, [model._get("params")])
