"""Are the assignment-3 instructor solutions right, judged by independent oracles?

Oracles: direct sums written here from the definition, scipy's correlate, numerical gradients,
the adjoint identity, hand counts, and PyTorch (``torch.nn.functional``) when it is installed
(skipped cleanly otherwise). Every oracle is shown to fail on a wrong answer (negative controls).
"""
from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import correlate

from autograder.engine.grading import reference
from autograder.suites.kit.conv_cases import CONV_CASES, DILATED_CASES, OVERLAPPING_POOL_CASES, POOL_CASES
from cs231n_lib import paths
from cs231n_lib.gradient_check import eval_numerical_gradient, eval_numerical_gradient_array, rel_error
from cs231n_lib.notebook_cells import load_notebook_cells

CASES = CONV_CASES + DILATED_CASES
IDS = [c.describe() for c in CASES]


@pytest.fixture(scope="module")
def layers():
    return reference("assignment3", "conv_layers")


@pytest.fixture(scope="module")
def nets():
    return reference("assignment3", "conv_nets")


def correlate_oracle(x, w, b, stride, pad, dilation):
    """The convolution from scipy's correlate on a dilated filter, subsampled by the stride."""
    F, C, HH, WW = w.shape
    w_dil = np.zeros((F, C, dilation * (HH - 1) + 1, dilation * (WW - 1) + 1))
    w_dil[:, :, ::dilation, ::dilation] = w
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out = np.stack([np.stack([correlate(x_pad[n], w_dil[f], mode="valid")[0] for f in range(F)]) for n in range(len(x))])
    return out[:, :, ::stride, ::stride] + b[None, :, None, None]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_conv_forward_matches_scipy_correlate(layers, case):
    """Do both forward passes equal scipy's correlation with the dilated filter?"""
    rng = np.random.default_rng(0)
    x, w, b = case.draw(rng)
    want = correlate_oracle(x, w, b, case.stride, case.pad, case.dilation)
    for fn in (layers.conv_forward_naive, layers.conv_forward_im2col):
        out, _ = fn(x, w, b, case.conv_param())
        assert out.shape == case.out_shape
        assert rel_error(out, want) < 1e-10


def test_correlate_oracle_can_fail(layers):
    """Negative control: a flipped filter (a true convolution) disagrees with the oracle."""
    rng = np.random.default_rng(1)
    x, w, b = CONV_CASES[0].draw(rng)
    out, _ = layers.conv_forward_naive(x, w[:, :, ::-1, ::-1], b, CONV_CASES[0].conv_param())
    assert rel_error(out, correlate_oracle(x, w, b, 1, 1, 1)) > 1e-3


@pytest.mark.parametrize("case", [CONV_CASES[1], CONV_CASES[3], DILATED_CASES[1]], ids=lambda c: c.describe())
def test_conv_backward_matches_numerical_gradients(layers, case):
    """Do both backward passes agree with centered differences of the forward pass?"""
    rng = np.random.default_rng(2)
    x, w, b = case.draw(rng)
    param = case.conv_param()
    dout = rng.standard_normal(case.out_shape)
    num = [eval_numerical_gradient_array(lambda v: layers.conv_forward_naive(v, w, b, param)[0], x.copy(), dout),
           eval_numerical_gradient_array(lambda v: layers.conv_forward_naive(x, v, b, param)[0], w.copy(), dout),
           eval_numerical_gradient_array(lambda v: layers.conv_forward_naive(x, w, v, param)[0], b.copy(), dout)]
    naive = layers.conv_backward_naive(dout, (x, w, b, param))
    fast = layers.conv_backward_im2col(dout, layers.conv_forward_im2col(x, w, b, param)[1])
    for grads in (naive, fast):
        for got, want in zip(grads, num):
            assert rel_error(got, want) < 1e-7


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_col2im_is_the_adjoint_of_im2col(layers, case):
    """<im2col(x), Y> == <x, col2im(Y)> for random x and Y, with stride, padding and dilation."""
    rng = np.random.default_rng(3)
    x, _, _ = case.draw(rng)
    args = (case.HH, case.WW, case.stride, case.pad, case.dilation)
    cols = layers.im2col(x, *args)
    Y = rng.standard_normal(cols.shape)
    assert rel_error(np.sum(cols * Y), np.sum(x * layers.col2im(Y, x.shape, *args))) < 1e-12


def test_im2col_layout_by_definition(layers):
    """Is cols[(c, i, j), (n, h, v)] = x_pad[n, c, h*S + i*d, v*S + j*d], entry by entry?"""
    case = DILATED_CASES[1]
    x, _, _ = case.draw(np.random.default_rng(4))
    cols = layers.im2col(x, case.HH, case.WW, case.stride, case.pad, case.dilation)
    x_pad = np.pad(x, ((0, 0), (0, 0), (case.pad, case.pad), (case.pad, case.pad)))
    _, _, Ho, Wo = case.out_shape
    for (c, i, j, n, h, v) in np.ndindex(case.C, case.HH, case.WW, case.N, Ho, Wo):
        row, col = (c * case.HH + i) * case.WW + j, (n * Ho + h) * Wo + v
        assert cols[row, col] == x_pad[n, c, h * case.stride + i * case.dilation, v * case.stride + j * case.dilation]


@pytest.mark.parametrize("W,F,S,P,d,want", [(227, 11, 4, 0, 1, 55), (32, 3, 1, 1, 1, 32), (7, 3, 1, 0, 2, 3),
                                             (9, 3, 2, 0, 3, 2), (5, 7, 1, 1, 1, 1)])
def test_conv_output_size_values(layers, W, F, S, P, d, want):
    """Hand-computed sizes, as Python ints."""
    got = layers.conv_output_size(W, F, S, P, dilation=d)
    assert got == want and type(got) is int


@pytest.mark.parametrize("W,F,S,P", [(10, 3, 2, 0), (224, 11, 4, 0), (4, 7, 1, 1)])
def test_conv_output_size_refuses_misfits_naming_the_numbers(layers, W, F, S, P):
    """A setting that does not tile raises ValueError whose message names W, F, S and P."""
    with pytest.raises(ValueError) as err:
        layers.conv_output_size(W, F, S, P)
    for name, value in zip("WFSP", (W, F, S, P)):
        assert f"{name}={value}" in str(err.value)


def numpy_pool(x, case, reduce):
    """Pooling from the definition: every window listed with explicit index arithmetic."""
    _, _, Ho, Wo = case.out_shape
    out = np.empty(case.out_shape)
    for h, v in np.ndindex(Ho, Wo):
        window = x[:, :, h * case.stride:h * case.stride + case.pool_height, v * case.stride:v * case.stride + case.pool_width]
        out[:, :, h, v] = reduce(window.reshape(*window.shape[:2], -1), axis=2)
    return out


@pytest.mark.parametrize("case", POOL_CASES + OVERLAPPING_POOL_CASES, ids=lambda c: c.describe())
def test_pooling_by_definition_and_numerical_gradients(layers, case):
    """Max and average pooling equal their definitions, and their gradients the centered differences."""
    rng = np.random.default_rng(5)
    x = case.draw(rng)
    dout = rng.standard_normal(case.out_shape)
    for forward, backward, reduce in ((layers.max_pool_forward_naive, layers.max_pool_backward_naive, np.max),
                                      (layers.avg_pool_forward, layers.avg_pool_backward, np.mean)):
        out, cache = forward(x, case.pool_param())
        assert rel_error(out, numpy_pool(x, case, reduce)) < 1e-12
        num = eval_numerical_gradient_array(lambda v: forward(v, case.pool_param())[0], x.copy(), dout, h=1e-6)
        assert rel_error(backward(dout, cache), num) < 1e-7


def test_pool_inputs_have_no_ties():
    """The suites' pooling inputs never hold two equal values (ties are not graded); a constant input would."""
    for case in POOL_CASES + OVERLAPPING_POOL_CASES:
        x = case.draw(np.random.default_rng(6))
        assert len(np.unique(x)) == x.size
    assert len(np.unique(np.zeros((2, 2)))) != 4


def test_fc_to_conv_computes_the_affine_layer(nets, layers):
    """The converted filters, slid over a larger volume, give the affine layer on every crop."""
    rng = np.random.default_rng(7)
    C, H, W, M = 3, 4, 5, 6
    w, b = rng.standard_normal((C * H * W, M)), rng.standard_normal(M)
    w_conv, b_conv, param = nets.fc_to_conv(w, b, (C, H, W))
    big = rng.standard_normal((2, C, H + 3, W + 2))
    out, _ = layers.conv_forward_naive(big, w_conv, b_conv, param)
    for i, j in np.ndindex(4, 3):
        crop = big[:, :, i:i + H, j:j + W].reshape(2, -1)
        assert rel_error(out[:, :, i, j], crop @ w + b) < 1e-12


def test_estimate_memory_vgg16_against_the_notes_table(nets):
    """VGG-16: the notes' per-layer activations (without the input) and the well-known 138,357,544 parameters."""
    table = [224 * 224 * 64] * 2 + [112 * 112 * 64] + [112 * 112 * 128] * 2 + [56 * 56 * 128] + [56 * 56 * 256] * 3 \
        + [28 * 28 * 256] + [28 * 28 * 512] * 3 + [14 * 14 * 512] * 4 + [7 * 7 * 512] + [4096, 4096, 1000]
    conv_params = sum(F * (C * 9 + 1) for C, F in [(3, 64), (64, 64), (64, 128), (128, 128), (128, 256), (256, 256),
                                                    (256, 256), (256, 512), (512, 512), (512, 512), (512, 512),
                                                    (512, 512), (512, 512)])
    fc_params = (25088 + 1) * 4096 + (4096 + 1) * 4096 + (4096 + 1) * 1000
    vgg = load_notebook_cells(paths.source_notebook("assignment3", "conv_nets"), ["VGG16"])   # the notebook's own VGG16
    mem = nets.estimate_memory(vgg.VGG16, vgg.VGG16_INPUT, batch_size=2, bytes_per_value=4, optimizer_slots=2)
    assert mem["activations"] == 4 * 2 * sum(table) == 4 * 2 * 15_087_080
    assert mem["parameters"] == mem["gradients"] == 4 * (conv_params + fc_params) == 4 * 138_357_544
    assert mem["optimizer"] == 2 * mem["parameters"]
    assert mem["total"] == sum(mem[k] for k in ("activations", "parameters", "gradients", "optimizer"))
    assert sum(table) + 224 * 224 * 3 == 15_237_608          # the notes' table with its input row: "about 15.2 M"


def test_three_layer_convnet_gradients_match_numerical_gradients(nets):
    """Every gradient of ThreeLayerConvNet.loss agrees with centered differences (float64, reg > 0)."""
    np.random.seed(0)
    model = nets.ThreeLayerConvNet(input_dim=(2, 6, 4), num_filters=3, filter_size=3, hidden_dim=5, num_classes=3,
                                   weight_scale=0.5, reg=0.3, dtype=np.float64)
    X, y = np.random.randn(2, 2, 6, 4), np.array([0, 2])
    loss, grads = model.loss(X, y)
    for name, param in model.params.items():
        num = eval_numerical_gradient(lambda _: model.loss(X, y)[0], param, verbose=False, h=1e-6)
        assert np.abs(grads[name] - num).max() < 1e-7 * np.abs(num).max(), name   # entries near 0 are all noise


def test_three_layer_convnet_initial_loss_is_the_canonical_value(nets):
    """CS231n's gradient-check cell (seed 231, 3 filters 3x3, hidden 7, float64) gives the recorded loss 2.302585301275796."""
    np.random.seed(231)
    X = np.random.randn(2, 3, 16, 16)
    y = np.random.randint(10, size=2)
    model = nets.ThreeLayerConvNet(num_filters=3, filter_size=3, input_dim=(3, 16, 16), hidden_dim=7, dtype=np.float64)
    loss, _ = model.loss(X, y)
    assert abs(loss - 2.302585301275796) < 1e-12


# ---- PyTorch as an oracle (optional) -------------------------------------------------------

@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_conv_matches_torch(layers, case):
    """Forward and backward of both convolutions equal torch's conv2d and its autograd (float64)."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(8)
    x, w, b = case.draw(rng)
    dout = rng.standard_normal(case.out_shape)
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    out_t = torch.nn.functional.conv2d(xt, wt, bt, stride=case.stride, padding=case.pad, dilation=case.dilation)
    out_t.backward(torch.tensor(dout))
    want = [xt.grad.numpy(), wt.grad.numpy(), bt.grad.numpy()]
    for forward, backward in ((layers.conv_forward_naive, layers.conv_backward_naive),
                              (layers.conv_forward_im2col, layers.conv_backward_im2col)):
        out, cache = forward(x, w, b, case.conv_param())
        assert rel_error(out, out_t.detach().numpy()) < 1e-10
        for got, exp in zip(backward(dout, cache), want):
            assert rel_error(got, exp) < 1e-10


@pytest.mark.parametrize("case", POOL_CASES + OVERLAPPING_POOL_CASES, ids=lambda c: c.describe())
def test_pooling_matches_torch(layers, case):
    """Max and average pooling, forward and backward, equal torch's max_pool2d and avg_pool2d."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(9)
    x = case.draw(rng)
    dout = rng.standard_normal(case.out_shape)
    size = (case.pool_height, case.pool_width)
    for forward, backward, pool in ((layers.max_pool_forward_naive, layers.max_pool_backward_naive, torch.nn.functional.max_pool2d),
                                    (layers.avg_pool_forward, layers.avg_pool_backward, torch.nn.functional.avg_pool2d)):
        xt = torch.tensor(x, requires_grad=True)
        out_t = pool(xt, size, stride=case.stride)
        out_t.backward(torch.tensor(dout))
        out, cache = forward(x, case.pool_param())
        assert rel_error(out, out_t.detach().numpy()) < 1e-12
        assert rel_error(backward(dout, cache), xt.grad.numpy()) < 1e-12


def test_torch_oracle_can_fail(layers):
    """Negative control: torch's conv2d without the padding disagrees with our padded convolution."""
    torch = pytest.importorskip("torch")
    case = CONV_CASES[0]
    x, w, b = case.draw(np.random.default_rng(10))
    out, _ = layers.conv_forward_naive(x, w, b, case.conv_param())
    unpadded = torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(w), torch.tensor(b), padding=0).numpy()
    assert out.shape != unpadded.shape
