"""Are the solutions of training_setup.ipynb and training_optimization.ipynb right, judged by
independent oracles?

Oracles: PyTorch's optimizers and autograd in float64 (skipped cleanly when torch is missing),
scikit-learn's PCA, numerical gradients, CS231n's canonical vectors, the definitions written out,
and statistics of many draws. Every oracle is shown to fail on a wrong implementation from
tests/variants/ (negative controls).
"""
from __future__ import annotations

import numpy as np
import pytest

from autograder.engine.grading import reference
from cs231n_lib.gradient_check import eval_numerical_gradient, rel_error
from variants import wrong

RULES = ("sgd_momentum", "adagrad", "rmsprop", "adam")


@pytest.fixture(scope="module")
def setup_nb():
    return reference("assignment2", "training_setup")


@pytest.fixture(scope="module")
def optim_nb():
    return reference("assignment2", "training_optimization")


def wrong_source(grade_id, label_start):
    """The source of the wrong implementation of grade_id whose label starts with label_start."""
    return next(src for _, _, gid, label, src, _ in wrong() if gid == grade_id and label.startswith(label_start))


def variant(module, grade_id, label_start, name=None):
    """The function a wrong variant defines, run in a copy of the solution's namespace."""
    ns = dict(vars(module))
    exec(compile(wrong_source(grade_id, label_start), "variant", "exec"), ns)
    return ns[name or grade_id]


# ---- update rules -----------------------------------------------------------------------------

def torch_trajectory(rule, hyper, w0, grads):
    """The weights after each step of the PyTorch optimizer that implements `rule` (float64)."""
    torch = pytest.importorskip("torch")
    p = torch.nn.Parameter(torch.tensor(w0, dtype=torch.float64))
    make = {
        "sgd_momentum": lambda: torch.optim.SGD([p], lr=hyper["learning_rate"], momentum=hyper["momentum"]),
        "adagrad": lambda: torch.optim.Adagrad([p], lr=hyper["learning_rate"], eps=hyper["epsilon"]),
        "rmsprop": lambda: torch.optim.RMSprop([p], lr=hyper["learning_rate"], alpha=hyper["decay_rate"],
                                               eps=hyper["epsilon"]),
        "adam": lambda: torch.optim.Adam([p], lr=hyper["learning_rate"], betas=(hyper["beta1"], hyper["beta2"]),
                                         eps=hyper["epsilon"]),
    }[rule]
    opt, out = make(), []
    for g in grads:
        opt.zero_grad()
        p.grad = torch.tensor(g, dtype=torch.float64)
        opt.step()
        out.append(p.detach().numpy().copy())
    return out


def our_trajectory(fn, hyper, w0, grads):
    w, config, out = w0.copy(), dict(hyper), []
    for g in grads:
        w, config = fn(w, g, config)
        out.append(np.array(w, copy=True))
    return out


HYPER = {"sgd_momentum": {"learning_rate": 0.05, "momentum": 0.8},
         "adagrad": {"learning_rate": 0.1, "epsilon": 1e-3},
         "rmsprop": {"learning_rate": 0.02, "decay_rate": 0.9, "epsilon": 1e-3},
         "adam": {"learning_rate": 0.03, "beta1": 0.8, "beta2": 0.95, "epsilon": 1e-3}}


@pytest.mark.parametrize("rule", RULES)
def test_update_rules_follow_torch_for_twenty_steps(optim_nb, rule):
    """Does every rule give PyTorch's trajectory (SGD momentum, Adagrad, RMSprop, Adam), state threaded?"""
    rng = np.random.default_rng(0)
    w0, grads = rng.standard_normal((3, 4)), [rng.standard_normal((3, 4)) for _ in range(20)]
    ours = our_trajectory(getattr(optim_nb, rule), HYPER[rule], w0, grads)
    theirs = torch_trajectory(rule, HYPER[rule], w0, grads)
    assert max(np.abs(a - b).max() for a, b in zip(ours, theirs)) < 1e-12


@pytest.mark.parametrize("rule,label", [("sgd_momentum", "steps with the previous velocity"),
                                        ("adagrad", "epsilon inside"), ("rmsprop", "epsilon inside"),
                                        ("adam", "t incremented after")])
def test_torch_oracle_catches_a_wrong_rule(optim_nb, rule, label):
    """Negative control: does the PyTorch trajectory differ for a wrong rule?"""
    rng = np.random.default_rng(0)
    w0, grads = rng.standard_normal((3, 4)), [rng.standard_normal((3, 4)) for _ in range(20)]
    with np.errstate(all="ignore"):
        ours = our_trajectory(variant(optim_nb, rule, label), HYPER[rule], w0, grads)
    theirs = torch_trajectory(rule, HYPER[rule], w0, grads)
    assert not all(np.allclose(a, b, atol=1e-9) for a, b in zip(ours, theirs))


def linspace_problem():
    w = np.linspace(-0.4, 0.6, num=20).reshape(4, 5)
    dw = np.linspace(-0.6, 0.4, num=20).reshape(4, 5)
    return w, dw, np.linspace(0.6, 0.9, num=20).reshape(4, 5)


def test_canonical_vectors_in_full_precision(optim_nb):
    """Do momentum, RMSProp and Adam reproduce CS231n's vectors (recomputed to full precision)?"""
    w, dw, s = linspace_problem()
    next_w, config = optim_nb.sgd_momentum(w, dw, {"learning_rate": 1e-3, "velocity": s})
    assert abs(next_w[0, 0] - 0.14060000000000006) < 1e-15 and abs(next_w[3, 4] - 1.4096000000000002) < 1e-15
    assert abs(config["velocity"][1, 2] - 0.6397052631578948) < 1e-15
    next_w, config = optim_nb.rmsprop(w, dw, {"learning_rate": 1e-2, "cache": s})
    assert abs(next_w[0, 0] - -0.3922384948433383) < 1e-15 and abs(next_w[3, 4] - 0.5957661882343064) < 1e-15
    assert abs(config["cache"][0, 1] - 0.6126277008310249) < 1e-15
    m, v = s, np.linspace(0.7, 0.5, num=20).reshape(4, 5)
    next_w, config = optim_nb.adam(w, dw, {"learning_rate": 1e-2, "m": m, "v": v, "t": 5})
    assert abs(next_w[0, 0] - -0.40094747166840083) < 1e-15 and abs(next_w[3, 4] - 0.5980145902433942) < 1e-15
    assert config["t"] == 6


def test_adam_without_increment_is_off_by_the_documented_amount(optim_nb):
    """Negative control: is the 't incremented after' variant 1.5e-3 off on the canonical Adam vector?"""
    w, dw, m = linspace_problem()
    v = np.linspace(0.7, 0.5, num=20).reshape(4, 5)
    config = {"learning_rate": 1e-2, "m": m.copy(), "v": v.copy(), "t": 5}
    good, _ = optim_nb.adam(w, dw, dict(config))
    bad, _ = variant(optim_nb, "adam", "t incremented after")(w, dw, dict(config, m=m.copy(), v=v.copy()))
    assert 1e-3 < rel_error(good, bad) < 2e-3


@pytest.mark.parametrize("rule", RULES)
def test_rules_leave_dw_alone_and_fill_defaults(optim_nb, rule):
    """Do the rules leave dw unchanged and return config with CS231n's defaults filled in?"""
    defaults = {"sgd_momentum": {"learning_rate": 1e-2, "momentum": 0.9},
                "adagrad": {"learning_rate": 1e-2, "epsilon": 1e-8},
                "rmsprop": {"learning_rate": 1e-2, "decay_rate": 0.99, "epsilon": 1e-8},
                "adam": {"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8}}[rule]
    w, dw, _ = linspace_problem()
    before = dw.copy()
    _, config = getattr(optim_nb, rule)(w.copy(), dw)
    assert np.array_equal(dw, before)
    assert {k: config[k] for k in defaults} == defaults


# ---- PCA and whitening --------------------------------------------------------------------------

def test_compute_pca_matches_sklearn(setup_nb):
    """Does compute_pca give scikit-learn's mean, components (up to sign) and variances (times (N-1)/N)?"""
    from sklearn.decomposition import PCA

    rng = np.random.default_rng(1)
    X = rng.standard_normal((300, 6)) @ rng.standard_normal((6, 6)) + 3.0
    mean, U, S = setup_nb.compute_pca(X)
    sk = PCA().fit(X)
    assert rel_error(mean, sk.mean_) < 1e-12
    assert rel_error(S, sk.explained_variance_ * (len(X) - 1) / len(X)) < 1e-10
    signs = np.sign(np.sum(U * sk.components_.T, axis=0))
    assert np.abs(U * signs - sk.components_.T).max() < 1e-9


def test_sklearn_oracle_catches_np_cov(setup_nb):
    """Negative control: does the np.cov (N - 1) variant disagree with scikit-learn's N-normalized variances?"""
    from sklearn.decomposition import PCA

    X = np.random.default_rng(1).standard_normal((50, 4))
    _, _, S = variant(setup_nb, "compute_pca", "np.cov")(X)
    assert rel_error(S, PCA().fit(X).explained_variance_ * 49 / 50) > 1e-3


def test_pca_project_and_reconstruction(setup_nb):
    """Does projecting onto all D components and rotating back give X (U is orthonormal), and k < D its best rank-k fit?"""
    rng = np.random.default_rng(2)
    X = rng.standard_normal((100, 5)) @ rng.standard_normal((5, 5))
    mean, U, S = setup_nb.compute_pca(X)
    full = setup_nb.pca_project(X, mean, U, 5)
    assert np.abs(full @ U.T + mean - X).max() < 1e-10
    k2 = setup_nb.pca_project(X, mean, U, 2)
    residual = np.mean(np.sum((X - mean - k2 @ U[:, :2].T) ** 2, axis=1))
    assert abs(residual - S[2:].sum()) < 1e-9 * S.sum()                # the discarded variance


def test_whitened_training_data_has_identity_covariance(setup_nb):
    """Is the covariance of whitened training data diag(S / (S + eps)), and does eps=0 give scikit-learn's whitening?"""
    from sklearn.decomposition import PCA

    rng = np.random.default_rng(3)
    X = rng.standard_normal((400, 6)) @ rng.standard_normal((6, 6))
    mean, U, S = setup_nb.compute_pca(X)
    Xw = setup_nb.whiten(X, mean, U, S, eps=0.1)
    assert np.abs(Xw.T @ Xw / len(X) - np.diag(S / (S + 0.1))).max() < 1e-10
    sk = PCA(whiten=True).fit(X).transform(X) * np.sqrt(len(X) / (len(X) - 1))
    ours = setup_nb.whiten(X, mean, U, S, eps=0.0)
    assert np.abs(np.abs(ours) - np.abs(sk)).max() < 1e-8


# ---- weight_init ----------------------------------------------------------------------------------

@pytest.mark.parametrize("method,scale", [("small", lambda n: 0.01), ("xavier", lambda n: 1 / np.sqrt(n)),
                                          ("he", lambda n: np.sqrt(2 / n))])
def test_weight_init_scales_over_many_seeds(setup_nb, method, scale):
    """Over 30 seeds, is the standard deviation within 1 % of the documented scale (the suite allows 5 %)?"""
    ratios = [setup_nb.weight_init(400, 500, method, np.random.default_rng(s)).std() / scale(400) for s in range(30)]
    assert max(abs(r - 1) for r in ratios) < 0.01


def test_weight_init_statistical_margins_fail_a_wrong_scale(setup_nb):
    """Negative control: is 'he' drawn with variance 1/fan_in 29 % off, far outside the suite's 5 %?"""
    wrong_he = variant(setup_nb, "weight_init", "'he' with variance 1 / fan_in")
    ratios = [wrong_he(400, 500, "he", np.random.default_rng(s)).std() / np.sqrt(2 / 400) for s in range(10)]
    assert all(abs(r - 1) > 0.25 for r in ratios)


def test_sparse_init_structure(setup_nb):
    """Does 'sparse' give exactly min(10, fan_in) distinct nonzero rows per column, chosen from the rng?"""
    for fan_in in (3, 10, 50):
        W = setup_nb.weight_init(fan_in, 40, "sparse", np.random.default_rng(fan_in))
        assert np.all(np.count_nonzero(W, axis=0) == min(10, fan_in))
    a = setup_nb.weight_init(50, 40, "sparse", np.random.default_rng(0))
    np.random.seed(5)
    assert np.array_equal(a, setup_nb.weight_init(50, 40, "sparse", np.random.default_rng(0)))
    assert not np.array_equal(a != 0, setup_nb.weight_init(50, 40, "sparse", np.random.default_rng(1)) != 0)


def test_unknown_init_method_is_refused(setup_nb):
    """Is an unknown method a ValueError naming the methods (given code)?"""
    with pytest.raises(ValueError, match="'he'"):
        setup_nb.weight_init(3, 4, "kaiming", np.random.default_rng(0))


# ---- regularization ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["l2_regularization", "l1_regularization"])
def test_penalty_gradients_are_numerical_gradients(setup_nb, name):
    """Is dW the numerical gradient of the loss term (away from the kink of |w|)?"""
    rng = np.random.default_rng(4)
    W = rng.uniform(0.1, 1.0, (5, 3)) * rng.choice([-1.0, 1.0], (5, 3))
    fn = getattr(setup_nb, name)
    num = eval_numerical_gradient(lambda w: fn(w, 0.7)[0], W.copy(), verbose=False)
    assert rel_error(fn(W, 0.7)[1], num) < 1e-8
    bad = variant(setup_nb, "l2_regularization", "gradient 2 * reg * W")
    assert rel_error(bad(W, 0.7)[1], eval_numerical_gradient(lambda w: bad(w, 0.7)[0], W.copy(), verbose=False)) > 0.1


def test_max_norm_projection_properties(setup_nb):
    """Is the projection idempotent, within the ball, direction-preserving, and a no-op for short columns?"""
    rng = np.random.default_rng(5)
    W = rng.standard_normal((10, 12)) * rng.uniform(0.1, 3.0, 12)
    P = setup_nb.max_norm_project(W, 1.5)
    norms = np.linalg.norm(W, axis=0)
    assert np.all(np.linalg.norm(P, axis=0) <= 1.5 + 1e-12)
    assert np.allclose(P[:, norms <= 1.5], W[:, norms <= 1.5])
    cosines = np.sum(P * W, axis=0) / (np.linalg.norm(P, axis=0) * norms)
    assert np.allclose(cosines, 1.0)
    assert np.allclose(setup_nb.max_norm_project(P, 1.5), P)


# ---- FullyConnectedNet --------------------------------------------------------------------------------

def random_params(rng, dims, scale=0.5):
    params = {}
    for l in range(1, len(dims)):
        params[f"W{l}"] = scale * rng.standard_normal((dims[l - 1], dims[l]))
        params[f"b{l}"] = 0.1 * rng.standard_normal(dims[l])
    return params


def test_fc_net_canonical_initial_losses(setup_nb):
    """Does a network built by the solution's __init__ reproduce CS231n's seeded initial losses?"""
    np.random.seed(231)
    X, y = np.random.randn(2, 15), np.random.randint(10, size=(2,))
    losses = [setup_nb.FullyConnectedNet([20, 30], input_dim=15, num_classes=10, reg=reg, weight_scale=5e-2,
                                         dtype=np.float64).loss(X, y)[0] for reg in (0, 3.14)]
    assert abs(losses[0] - 2.300479089768492) < 1e-12 and abs(losses[1] - 7.052114776533016) < 1e-12
    np.random.seed(231)
    X, y = np.random.randn(2, 15), np.random.randint(10, size=(2,))
    losses = [setup_nb.FullyConnectedNet([20, 30], input_dim=15, num_classes=10, weight_scale=5e-2, dtype=np.float64,
                                         dropout_keep_ratio=keep, seed=123).loss(X, y)[0] for keep in (1, 0.75, 0.5)]
    assert np.allclose(losses, [2.300479089768492, 2.302371489704412, 2.30427592207859], atol=1e-12, rtol=0)


@pytest.mark.parametrize("hidden,reg", [([7], 0.0), ([6, 5], 0.4), ([5, 4, 6, 3], 1.3)])
def test_fc_net_matches_torch_autograd(setup_nb, hidden, reg):
    """Do the loss and every gradient match PyTorch autograd (float64), for several depths and regs?"""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(len(hidden))
    D, C, N = 8, 4, 6
    params = random_params(rng, [D, *hidden, C])
    X, y = rng.standard_normal((N, D)), rng.integers(0, C, N)
    loss, grads = setup_nb.fc_net_from_params(params, reg=reg).loss(X, y)
    t = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    h = torch.tensor(X)
    L = len(hidden) + 1
    for l in range(1, L):
        h = torch.relu(h @ t[f"W{l}"] + t[f"b{l}"])
    scores = h @ t[f"W{L}"] + t[f"b{L}"]
    t_loss = torch.nn.functional.cross_entropy(scores, torch.tensor(y)) + \
        0.5 * reg * sum((t[f"W{l}"] ** 2).sum() for l in range(1, L + 1))
    t_loss.backward()
    assert abs(loss - t_loss.item()) < 1e-12
    for k in params:
        assert rel_error(grads[k], t[k].grad.numpy()) < 1e-10, k


def test_fc_net_gradients_with_dropout_are_numerical_gradients(setup_nb):
    """With seeded dropout (the same masks on every call), are the gradients the numerical ones?"""
    rng = np.random.default_rng(7)
    params = random_params(rng, [6, 8, 7, 3], scale=0.4)
    X, y = rng.standard_normal((5, 6)), rng.integers(0, 3, 5)
    net = setup_nb.fc_net_from_params(params, reg=0.2, dropout_keep_ratio=0.6, seed=11)
    _, grads = net.loss(X, y)
    for k in params:
        num = eval_numerical_gradient(lambda _: net.loss(X, y)[0], net.params[k], verbose=False)
        assert rel_error(grads[k], num) < 1e-6, k


def net_with_wrong_loss(setup_nb, label, params, reg):
    """A network from the solution whose loss is a wrong variant's (on a subclass: the solution is not touched)."""
    ns = dict(vars(setup_nb))
    ns["FullyConnectedNet"] = type("WrongNet", (setup_nb.FullyConnectedNet,), {})
    exec(compile(wrong_source("FullyConnectedNet_loss", label), "variant", "exec"), ns)
    net = setup_nb.fc_net_from_params(params, reg=reg)
    net.__class__ = ns["FullyConnectedNet"]
    return net


def test_torch_oracle_catches_regularized_biases(setup_nb):
    """Negative control: does PyTorch's loss differ from that of a network that regularizes its biases?"""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(8)
    params = random_params(rng, [4, 5, 3])
    X, y = rng.standard_normal((4, 4)), rng.integers(0, 3, 4)
    loss, _ = net_with_wrong_loss(setup_nb, "biases regularized", params, 1.0).loss(X, y)
    right, _ = setup_nb.fc_net_from_params(params, reg=1.0).loss(X, y)
    scores = torch.relu(torch.tensor(X) @ torch.tensor(params["W1"]) + torch.tensor(params["b1"])) @ \
        torch.tensor(params["W2"]) + torch.tensor(params["b2"])
    t_loss = torch.nn.functional.cross_entropy(scores, torch.tensor(y)).item() + \
        0.5 * (np.sum(params["W1"] ** 2) + np.sum(params["W2"] ** 2))
    assert abs(right - t_loss) < 1e-12 and abs(loss - t_loss) > 1e-3
    assert setup_nb.fc_net_from_params(params, reg=1.0).loss(X, y)[0] == right    # the solution is untouched


def test_fc_net_init_draws_in_order_and_never_seeds(setup_nb):
    """Are W1, W2, ... the caller's global draws in order (np.random.normal or randn alike), with seed for dropout only?"""
    np.random.seed(9)
    net = setup_nb.FullyConnectedNet([4, 3], input_dim=5, num_classes=2, weight_scale=0.3, dtype=np.float64,
                                     dropout_keep_ratio=0.5, seed=77)
    np.random.seed(9)
    assert np.array_equal(net.params["W1"], 0.3 * np.random.randn(5, 4))
    assert np.array_equal(net.params["W2"], np.random.normal(0, 0.3, (4, 3)))
    assert np.array_equal(net.params["W3"], 0.3 * np.random.randn(3, 2))
    assert net.dropout_param == {"mode": "train", "p": 0.5, "seed": 77}
    assert all(v.dtype == np.float32 for v in setup_nb.FullyConnectedNet([3], input_dim=2).params.values())
