"""Are the assignment-2 layer solutions (layers.ipynb) right, judged by independent oracles?

Oracles: numerical gradients (centred differences) of forward passes written here from their
definitions, scipy (expit, logsumexp), the canonical CS231n vectors, statistics of many draws,
and PyTorch autograd in float64 when it is installed (skipped cleanly otherwise). Every oracle
is shown to fail on a wrong answer (negative controls).
"""
from __future__ import annotations

import numpy as np
import pytest
from scipy.special import expit, logsumexp

from autograder.engine.grading import reference
from cs231n_lib.gradient_check import eval_numerical_gradient, eval_numerical_gradient_array, rel_error
from cs231n_lib.layer_utils import sandwich


@pytest.fixture(scope="module")
def L():
    return reference("assignment2", "layers")


def away_from_zero(rng, shape):
    return rng.uniform(0.1, 2.0, shape) * rng.choice([-1.0, 1.0], shape)


# ---- forward passes written from their definitions (the oracles) -------------------------

DEFINITIONS = {
    "affine": lambda x, w, b: x.reshape(len(x), -1) @ w + b,
    "relu": lambda x: np.where(x > 0, x, 0.0),
    "sigmoid": expit,
    "tanh": np.tanh,
    "leaky_relu": lambda x, alpha=0.01: np.where(x > 0, x, alpha * x),
    "maxout": lambda x, w, b: np.max([x @ w[k] + b[k] for k in range(len(w))], axis=0),
}


def layer_inputs(name, rng):
    if name == "affine":
        return (rng.standard_normal((4, 2, 3)), rng.standard_normal((6, 5)), rng.standard_normal(5))
    if name == "maxout":
        while True:
            x, w, b = rng.standard_normal((5, 4)), rng.standard_normal((3, 4, 6)), rng.standard_normal((3, 6))
            z = np.sort(np.einsum("nd,kdm->knm", x, w) + b[:, None, :], axis=0)
            if np.min(z[-1] - z[-2]) > 1e-3:          # no near-tie within reach of the step h
                return x, w, b
    if name == "leaky_relu":
        return (away_from_zero(rng, (4, 7)), 0.15)
    if name in ("relu",):
        return (away_from_zero(rng, (3, 4, 5)),)
    return (2.0 * rng.standard_normal((3, 4, 5)),)


@pytest.mark.parametrize("name", sorted(DEFINITIONS))
def test_forward_matches_definition(L, name):
    """Does each forward pass equal its definition, in the input's shape (or (N, M))?"""
    args = layer_inputs(name, np.random.default_rng(0))
    out, _ = getattr(L, f"{name}_forward")(*args)
    assert rel_error(out, DEFINITIONS[name](*args)) < 1e-12


@pytest.mark.parametrize("name", sorted(DEFINITIONS))
def test_backward_matches_numerical_gradient(L, name):
    """Does every gradient of each backward pass match centred differences of the definition?"""
    rng = np.random.default_rng(1)
    args = layer_inputs(name, rng)
    out, cache = getattr(L, f"{name}_forward")(*args)
    dout = rng.standard_normal(out.shape)
    grads = getattr(L, f"{name}_backward")(dout, cache)
    grads = grads if isinstance(grads, tuple) else (grads,)
    arrays = [a for a in args if isinstance(a, np.ndarray)]
    assert len(grads) == len(arrays)
    for i, (grad, value) in enumerate(zip(grads, arrays)):
        def f(v, i=i):
            changed = list(args)
            changed[i] = v
            return DEFINITIONS[name](*changed)
        num = eval_numerical_gradient_array(f, value.copy(), dout)
        assert grad.shape == value.shape
        assert rel_error(grad, num) < 1e-7, f"{name}: gradient {i}"


def test_numerical_oracle_can_fail(L):
    """Negative control: a backward pass with the sigmoid's gradient taken at x, not at out, is caught."""
    rng = np.random.default_rng(2)
    x, dout = rng.standard_normal((4, 5)), rng.standard_normal((4, 5))
    wrong = dout * expit(expit(x)) * (1 - expit(expit(x)))
    assert rel_error(wrong, eval_numerical_gradient_array(expit, x.copy(), dout)) > 1e-2
    assert rel_error(L.sigmoid_backward(dout, expit(x)), eval_numerical_gradient_array(expit, x.copy(), dout)) < 1e-8


def test_canonical_vectors(L):
    """Do affine_forward and relu_forward reproduce the CS231n notebook values?"""
    x = np.linspace(-0.1, 0.5, num=240).reshape(2, 4, 5, 6)
    w = np.linspace(-0.2, 0.3, num=360).reshape(120, 3)
    b = np.linspace(-0.3, 0.1, num=3)
    out, _ = L.affine_forward(x, w, b)
    assert rel_error(out, [[1.4983496695842708, 1.7066013216629172, 1.9148529737415652],
                           [3.2555319868066817, 3.514132702416055, 3.772733418025431]]) < 1e-14
    out, _ = L.relu_forward(np.linspace(-0.5, 0.5, num=12).reshape(3, 4))
    assert out[2, 3] == 0.5 and np.all(out[:1] == 0)


def test_sigmoid_and_tanh_are_exact_at_1000(L):
    """Are sigmoid and tanh finite and exact (scipy's expit, np.tanh) at +-1000 and +-40, with no overflow?"""
    x = np.array([-1000.0, -40.0, -1.0, 0.0, 1.0, 40.0, 1000.0])
    with np.errstate(over="raise", invalid="raise", divide="raise"):   # underflow to 0 is exact
        out, _ = L.sigmoid_forward(x)
        assert rel_error(out, expit(x)) < 1e-15
        out, _ = L.tanh_forward(x)
        assert rel_error(out, np.tanh(x)) < 1e-15


def test_tanh_is_a_scaled_sigmoid(L):
    """tanh(x) = 2 sigmoid(2x) - 1 (the identity the notebook teaches)."""
    x = np.linspace(-6, 6, 101)
    assert np.max(np.abs(L.tanh_forward(x)[0] - (2 * L.sigmoid_forward(2 * x)[0] - 1))) < 1e-15


def test_sandwich_composes_the_notebook_layers(L):
    """Does affine_relu_forward/backward equal affine then relu, and look its layers up at each call?"""
    rng = np.random.default_rng(3)
    x, w, b = rng.standard_normal((3, 4)), rng.standard_normal((4, 5)), rng.standard_normal(5)
    out, cache = L.affine_relu_forward(x, w, b)
    assert rel_error(out, np.maximum(0, x @ w + b)) < 1e-14
    dout = rng.standard_normal(out.shape)
    dx, dw, db = L.affine_relu_backward(dout, cache)
    num = eval_numerical_gradient_array(lambda v: np.maximum(0, v @ w + b), x.copy(), dout)
    assert rel_error(dx, num) < 1e-7
    layers = {"affine_forward": L.affine_forward, "affine_backward": L.affine_backward,
              "relu_forward": lambda a: (2 * a, a), "relu_backward": L.relu_backward}
    forward, _ = sandwich(layers, "affine", "relu")
    assert rel_error(forward(x, w, b)[0], 2 * (x @ w + b)) < 1e-14     # the replaced relu_forward is used
    del layers["relu_forward"]
    with pytest.raises(NameError, match="relu_forward"):
        forward(x, w, b)


# ---- loss layers ------------------------------------------------------------------------

def svm_oracle(x, y):
    correct = x[np.arange(len(y)), y][:, None]
    hinge = np.maximum(0, x - correct + 1)
    hinge[np.arange(len(y)), y] = 0
    return hinge.sum(axis=1).mean()


def squared_hinge_oracle(x, y):
    correct = x[np.arange(len(y)), y][:, None]
    hinge = np.maximum(0, x - correct + 1)
    hinge[np.arange(len(y)), y] = 0
    return (hinge ** 2).sum(axis=1).mean()


LOSS_ORACLES = {
    "svm_loss": svm_oracle,
    "softmax_loss": lambda x, y: np.mean(logsumexp(x, axis=1) - x[np.arange(len(y)), y]),
    "squared_hinge_loss": squared_hinge_oracle,
    "binary_cross_entropy_loss": lambda x, y: -np.sum(y * np.log(expit(x)) + (1 - y) * np.log(expit(-x))) / len(x),
    "l2_regression_loss": lambda x, y: np.sum((x - y) ** 2) / len(x),
    "l1_regression_loss": lambda x, y: np.sum(np.abs(x - y)) / len(x),
}


def loss_problem(name, rng, N=7, C=4):
    x = 2.0 * rng.standard_normal((N, C))
    if name == "binary_cross_entropy_loss":
        return x, rng.integers(0, 2, (N, C))
    if name.startswith("l"):
        return x, rng.standard_normal((N, C))
    return x, rng.integers(0, C, N)


@pytest.mark.parametrize("name", sorted(LOSS_ORACLES))
def test_loss_matches_oracle_and_numerical_gradient(L, name):
    """Is each loss equal to its definition, and dx equal to centred differences of it?"""
    x, y = loss_problem(name, np.random.default_rng(4))
    loss, dx = getattr(L, name)(x, y)
    assert rel_error(loss, LOSS_ORACLES[name](x, y)) < 1e-12
    num = eval_numerical_gradient(lambda v: LOSS_ORACLES[name](v, y), x.copy(), verbose=False)
    assert dx.shape == x.shape and rel_error(dx, num) < 1e-6


def test_canonical_loss_values(L):
    """Do svm_loss and softmax_loss reproduce CS231n's seeded values?"""
    np.random.seed(231)
    x = 0.001 * np.random.randn(50, 10)
    y = np.random.randint(10, size=50)
    assert abs(L.svm_loss(x, y)[0] - 8.999602749096233) < 1e-12
    assert abs(L.softmax_loss(x, y)[0] - 2.3025458445007376) < 1e-12


def test_stable_losses_at_1000(L):
    """Are softmax (row gaps under 700) and binary cross-entropy (any scores) exact and finite near +-1000?"""
    x = np.array([[1000.0, 1000.0 + np.log(3.0)], [-1000.0, -1000.0 + np.log(3.0)], [1000.0, 400.0]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):   # underflow to 0 is exact
        loss, dx = L.softmax_loss(x, np.array([0, 0, 1]))
    assert abs(loss - (2 * np.log(4.0) + 600.0) / 3) < 1e-9 and np.all(np.isfinite(dx))
    xb, yb = np.array([[1000.0, -1000.0, 30.0], [-1000.0, 1000.0, -30.0]]), np.array([[1, 0, 0], [1, 0, 1]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):   # underflow to 0 is exact
        loss, dx = L.binary_cross_entropy_loss(xb, yb)
    want = (0 + 0 + (30 + np.log1p(np.exp(-30))) + 1000 + 1000 + (30 + np.log1p(np.exp(-30)))) / 2
    assert rel_error(loss, want) < 1e-14
    assert rel_error(dx, (expit(xb) - yb) / 2) < 1e-14


def test_l1_subgradient_is_zero_where_equal(L):
    """Is the L1 subgradient 0 where a prediction equals its target?"""
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    assert np.array_equal(L.l1_regression_loss(x, x.copy())[1], np.zeros((2, 2)))


def test_loss_oracle_can_fail(L):
    """Negative control: a softmax that forgets the mean over N disagrees with the oracle."""
    x, y = loss_problem("softmax_loss", np.random.default_rng(5))
    summed = L.softmax_loss(x, y)[0] * len(x)
    assert rel_error(summed, LOSS_ORACLES["softmax_loss"](x, y)) > 0.5


# ---- dropout ----------------------------------------------------------------------------

def test_dropout_statistics_and_modes(L):
    """Keep fraction p, the mean preserved, identity at test time, the seeded mask of DESIGN §5.2."""
    rng = np.random.default_rng(6)
    x = rng.standard_normal((500, 500)) + 10
    for p in (0.25, 0.7):
        out, (param, mask) = L.dropout_forward(x, {"mode": "train", "p": p})
        assert abs(np.mean(out != 0) - p) < 0.01 and abs(out.mean() - x.mean()) < 0.1
        assert np.array_equal(out, x * mask) and set(np.unique(mask)) == {0.0, 1 / p}
        assert np.array_equal(L.dropout_forward(x, {"mode": "test", "p": p})[0], x)
    np.random.seed(42)
    want = x * ((np.random.rand(*x.shape) < 0.4) / 0.4)
    out, _ = L.dropout_forward(x, {"mode": "train", "p": 0.4, "seed": 42})
    assert np.array_equal(out, want)


def test_dropout_matches_canonical_statistics(L):
    """CS231n's seeded statistics (keep probability p): zero fractions 0.749784 / 0.600796 / 0.30074."""
    np.random.seed(231)
    x = np.random.randn(500, 500) + 10
    for p, zeros in [(0.25, 0.749784), (0.4, 0.600796), (0.7, 0.30074)]:
        out, _ = L.dropout_forward(x, {"mode": "train", "p": p})
        assert abs(np.mean(out == 0) - zeros) < 1e-12


def test_dropout_backward_numerical(L):
    """With a seed (the same mask every call), does dx match centred differences of the forward pass?"""
    rng = np.random.default_rng(7)
    x, dout = rng.standard_normal((6, 7)) + 10, rng.standard_normal((6, 7))
    param = {"mode": "train", "p": 0.3, "seed": 9}
    _, cache = L.dropout_forward(x, param)
    num = eval_numerical_gradient_array(lambda v: L.dropout_forward(v, param)[0], x.copy(), dout)
    assert rel_error(L.dropout_backward(dout, cache), num) < 1e-8


# ---- TwoLayerNet ------------------------------------------------------------------------

def test_two_layer_net_canonical_vector(L):
    """Does TwoLayerNet reproduce the CS231n fc_net values (scores, loss at reg 0 and 1)?"""
    N, D, H, C = 3, 5, 50, 7
    net = L.TwoLayerNet(input_dim=D, hidden_dim=H, num_classes=C)
    net.params = {"W1": np.linspace(-0.7, 0.3, num=D * H).reshape(D, H), "b1": np.linspace(-0.1, 0.9, num=H),
                  "W2": np.linspace(-0.3, 0.4, num=H * C).reshape(H, C), "b2": np.linspace(-0.9, 0.1, num=C)}
    X = np.linspace(-5.5, 4.5, num=N * D).reshape(D, N).T
    assert abs(net.loss(X)[0, 0] - 11.531651082430411) < 1e-12
    assert abs(net.loss(X, np.array([0, 5, 1]))[0] - 3.47022435559539) < 1e-12
    net.reg = 1.0
    assert abs(net.loss(X, np.array([0, 5, 1]))[0] - 26.594842695238583) < 1e-10


def test_two_layer_net_init_draws(L):
    """W1 then W2 from the global generator as weight_scale * randn; zero biases."""
    np.random.seed(3)
    net = L.TwoLayerNet(input_dim=4, hidden_dim=3, num_classes=2, weight_scale=0.5)
    draws = np.random.RandomState(3)
    assert np.array_equal(net.params["W1"], 0.5 * draws.randn(4, 3))
    assert np.array_equal(net.params["W2"], 0.5 * draws.randn(3, 2))
    assert not net.params["b1"].any() and not net.params["b2"].any()


def test_two_layer_net_numerical_gradients(L):
    """Does every gradient of TwoLayerNet.loss (reg > 0) match centred differences of its loss?"""
    rng = np.random.default_rng(8)
    X, y = rng.standard_normal((4, 6)), rng.integers(0, 3, 4)
    np.random.seed(0)
    net = L.TwoLayerNet(input_dim=6, hidden_dim=8, num_classes=3, weight_scale=0.5, reg=0.3)
    _, grads = net.loss(X, y)
    for k, v in net.params.items():
        num = eval_numerical_gradient(lambda _: net.loss(X, y)[0], v, verbose=False, h=1e-6)
        assert rel_error(grads[k], num) < 1e-6, k


# ---- PyTorch autograd (float64), when installed ------------------------------------------

def test_layers_and_losses_match_torch(L):
    """Do every forward pass, gradient and loss equal PyTorch's (float64 autograd)?"""
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    rng = np.random.default_rng(9)
    t = lambda a: torch.tensor(a, dtype=torch.float64, requires_grad=True)

    x, w, b = layer_inputs("affine", rng)
    dout = rng.standard_normal((4, 5))
    tx, tw, tb = t(x), t(w), t(b)
    out = F.linear(tx.reshape(4, -1), tw.T, tb)
    out.backward(torch.tensor(dout))
    got = L.affine_backward(dout, L.affine_forward(x, w, b)[1])
    for mine, theirs in zip(got, (tx.grad, tw.grad, tb.grad)):
        assert rel_error(mine, theirs.numpy()) < 1e-12

    for name, fn in [("relu", F.relu), ("sigmoid", torch.sigmoid), ("tanh", torch.tanh),
                     ("leaky_relu", lambda v: F.leaky_relu(v, 0.15))]:
        args = layer_inputs(name, rng)
        tx = t(args[0])
        out = fn(tx)
        dout = rng.standard_normal(args[0].shape)
        out.backward(torch.tensor(dout))
        mine, cache = getattr(L, f"{name}_forward")(*args)
        assert rel_error(mine, out.detach().numpy()) < 1e-12, name
        assert rel_error(getattr(L, f"{name}_backward")(dout, cache), tx.grad.numpy()) < 1e-12, name

    x, y = loss_problem("softmax_loss", rng)
    tx = t(x)
    F.cross_entropy(tx, torch.tensor(y)).backward()
    loss, dx = L.softmax_loss(x, y)
    assert rel_error(loss, F.cross_entropy(torch.tensor(x), torch.tensor(y)).item()) < 1e-12
    assert rel_error(dx, tx.grad.numpy()) < 1e-12

    for name, p in [("svm_loss", 1), ("squared_hinge_loss", 2)]:
        x, y = loss_problem(name, rng)
        tx = t(x)
        # multi_margin_loss averages over the C classes too: multiply by C for our sum over classes
        theirs = F.multi_margin_loss(tx, torch.tensor(y), p=p, margin=1.0) * x.shape[1]
        theirs.backward()
        loss, dx = getattr(L, name)(x, y)
        assert rel_error(loss, theirs.item()) < 1e-12, name
        assert rel_error(dx, tx.grad.numpy()) < 1e-12, name

    x, y = loss_problem("binary_cross_entropy_loss", rng)
    x[0, :2] = [1000.0, -1000.0]
    tx = t(x)
    theirs = F.binary_cross_entropy_with_logits(tx, torch.tensor(y, dtype=torch.float64), reduction="sum") / len(x)
    theirs.backward()
    loss, dx = L.binary_cross_entropy_loss(x, y)
    assert rel_error(loss, theirs.item()) < 1e-12 and rel_error(dx, tx.grad.numpy()) < 1e-12

    for name, fn in [("l2_regression_loss", F.mse_loss), ("l1_regression_loss", F.l1_loss)]:
        x, y = loss_problem(name, rng)
        tx = t(x)
        theirs = fn(tx, torch.tensor(y), reduction="sum") / len(x)
        theirs.backward()
        loss, dx = getattr(L, name)(x, y)
        assert rel_error(loss, theirs.item()) < 1e-12 and rel_error(dx, tx.grad.numpy()) < 1e-12, name


def test_two_layer_net_matches_torch(L):
    """Do TwoLayerNet's loss and gradients equal a PyTorch two-layer network's (float64 autograd)?"""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(10)
    X, y = rng.standard_normal((6, 2, 4)), rng.integers(0, 5, 6)
    np.random.seed(1)
    net = L.TwoLayerNet(input_dim=8, hidden_dim=9, num_classes=5, weight_scale=0.4, reg=0.7)
    loss, grads = net.loss(X, y)
    p = {k: torch.tensor(v, requires_grad=True) for k, v in net.params.items()}
    h = torch.relu(torch.tensor(X).reshape(6, -1) @ p["W1"] + p["b1"])
    theirs = torch.nn.functional.cross_entropy(h @ p["W2"] + p["b2"], torch.tensor(y)) \
        + 0.5 * 0.7 * ((p["W1"] ** 2).sum() + (p["W2"] ** 2).sum())
    theirs.backward()
    assert rel_error(loss, theirs.item()) < 1e-12
    for k in p:
        assert rel_error(grads[k], p[k].grad.numpy()) < 1e-11, k


def test_torch_oracle_can_fail(L):
    """Negative control: a regularization without the 0.5 differs from the torch network."""
    torch = pytest.importorskip("torch")
    W = np.random.default_rng(11).standard_normal((3, 4))
    assert rel_error(1.0 * np.sum(W * W), 0.5 * (torch.tensor(W) ** 2).sum().item()) > 0.3
