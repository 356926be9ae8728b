"""Hidden suite of assignment3/conv_nets.ipynb: fc_to_conv, estimate_memory and ThreeLayerConvNet.

The notebook builds on the layers of conv_layers.ipynb and of assignment 2's layers.ipynb: the
grader runs the instructor's versions of those (IMPORTED_CELLS), so a mistake there is graded
there and never charged here. ``ThreeLayerConvNet.loss`` is graded on networks set up by assigning
``params`` and ``reg`` (its docstring says it uses nothing else), so a wrong ``__init__`` costs
only ``__init__``'s points.
"""
import secrets

import numpy as np

from autograder.engine.suite import graded
from autograder.suites.kit.checks import as_array, as_dict, as_float, as_number, as_pair, assert_close
from autograder.suites.kit.layer_pairs import assert_unchanged

NOTEBOOK = "conv_nets"
CONV_LAYERS = ["conv_output_size", "conv_forward_naive", "conv_backward_naive", "im2col", "col2im",
               "conv_forward_im2col", "conv_backward_im2col", "max_pool_forward_naive", "max_pool_backward_naive",
               "avg_pool_forward", "avg_pool_backward"]
IMPORTED_CELLS = {
    "assignment2/layers": ["layers_imports", "affine_forward", "affine_backward", "relu_forward", "relu_backward",
                           "softmax_loss"],
    "assignment3/conv_layers": ["conv_layers_imports", *CONV_LAYERS],
}
SETUP_CELLS = ["conv_nets_imports", "conv_nets_sandwich", "ThreeLayerConvNet"]
SOLUTION_CELLS = ["fc_to_conv", "estimate_memory", "ThreeLayerConvNet_init", "ThreeLayerConvNet_loss"]
TOL = 1e-6


# ---- fc_to_conv --------------------------------------------------------------------------

FC = "fc_to_conv"
FC_SHAPES = [(3, 4, 5, 6), (1, 1, 1, 2), (8, 7, 7, 10), (2, 3, 1, 1)]   # (C, H, W, M)


def converted(student, rng, C, H, W, M):
    """w, b and the student's (w_conv, b_conv, conv_param), each vetted for type and shape."""
    w, b = rng.standard_normal((C * H * W, M)), rng.standard_normal(M)
    result = student.fc_to_conv(w, b, (C, H, W))
    assert isinstance(result, (tuple, list)) and len(result) == 3, \
        f"fc_to_conv should return a tuple (w_conv, b_conv, conv_param), got {type(result).__name__}"
    w_conv = as_array(result[0], "w_conv", (M, C, H, W), "f")
    b_conv = as_array(result[1], "b_conv", (M,), "f")
    param = as_dict(result[2], "conv_param")
    return w, b, w_conv, b_conv, param


@graded("test_fc_to_conv", FC, 1)
def test_fc_to_conv_shapes(student, rng):
    """Are w_conv (M, C, H, W), b_conv (M,) and conv_param {'stride': 1, 'pad': 0}?"""
    for C, H, W, M in FC_SHAPES:
        _, b, _, b_conv, param = converted(student, rng, C, H, W, M)
        assert_close(b_conv, b, 1e-12, "b_conv", "(it should equal b)")
        stride, pad = param.get("stride"), param.get("pad")
        assert stride == 1 and pad == 0 and param.get("dilation", 1) == 1, \
            f"conv_param should be {{'stride': 1, 'pad': 0}}, got {param!r} (for an input of shape {(C, H, W)})"


@graded("test_fc_to_conv", FC, 2)
def test_fc_to_conv_computes_affine(student, ref, rng):
    """Does a convolution with (w_conv, b_conv, conv_param) compute the affine layer, for C > 1 and non-square volumes?"""
    for C, H, W, M in FC_SHAPES:
        w, b, w_conv, b_conv, param = converted(student, rng, C, H, W, M)
        assert param.get("stride") == 1 and param.get("pad") == 0, f"conv_param should be {{'stride': 1, 'pad': 0}}, got {param!r}"
        x = rng.standard_normal((3, C, H, W))
        out, _ = ref.conv_forward_naive(x, w_conv, b_conv, {"stride": 1, "pad": 0})
        assert_close(out[:, :, 0, 0], x.reshape(3, -1) @ w + b, 1e-9, "the convolution's output",
                     f"for an affine layer on volumes of shape {(C, H, W)} with M={M} outputs (row d of w belongs to "
                     "entry d of the volume flattened in C order: channel, then row, then column)")


@graded("test_fc_to_conv", FC, 1, gate=test_fc_to_conv_computes_affine)
def test_fc_to_conv_inputs_unchanged(student, rng):
    """Are w and b left unchanged?"""
    w, b = rng.standard_normal((24, 5)), rng.standard_normal(5)
    _, after, _ = student._echo("fc_to_conv", w.copy(), b.copy(), (2, 3, 4))
    assert_unchanged("fc_to_conv", {"w": w, "b": b}, after)


# ---- estimate_memory ----------------------------------------------------------------------

MEMORY = "estimate_memory"
KEYS = ("activations", "parameters", "gradients", "optimizer", "total")
VGG16 = ([("conv", 64, 3, 1, 1)] * 2 + [("pool", 2, 2)] + [("conv", 128, 3, 1, 1)] * 2 + [("pool", 2, 2)]
         + [("conv", 256, 3, 1, 1)] * 3 + [("pool", 2, 2)] + [("conv", 512, 3, 1, 1)] * 3 + [("pool", 2, 2)]
         + [("conv", 512, 3, 1, 1)] * 3 + [("pool", 2, 2)] + [("fc", 4096), ("fc", 4096), ("fc", 1000)])


def small_net(rng):
    """A random network that fits its (C, H, W) input: convolutions with stride 1 or 2, pools, FC layers."""
    C, H, W = int(rng.integers(1, 4)), 4 * int(rng.integers(2, 5)), 4 * int(rng.integers(2, 5))
    layers, h, w = [], H, W
    for _ in range(int(rng.integers(1, 4))):
        size = int(rng.choice([1, 3, 5]))
        stride = int(rng.choice([1, 2])) if (h + 2 * (size // 2) - size) % 2 == 0 and (w + 2 * (size // 2) - size) % 2 == 0 else 1
        layers.append(("conv", int(rng.integers(2, 9)), size, stride, size // 2))
        h, w = (h - 1) // stride + 1, (w - 1) // stride + 1
        if h % 2 == 0 and w % 2 == 0 and rng.random() < 0.6:
            layers.append(("pool", 2, 2))
            h, w = h // 2, w // 2
    layers += [("fc", int(rng.integers(3, 20))) for _ in range(int(rng.integers(1, 3)))]
    return layers, (C, H, W)


def memory(student, ref, layers, input_shape, **options):
    """The student's estimate (vetted: a dict with the five keys, each a number) and the reference's."""
    got = as_dict(student.estimate_memory(layers, input_shape, **options), "the result of estimate_memory", KEYS)
    got = {k: as_number(got[k], f"memory[{k!r}]") for k in KEYS}
    return got, ref.estimate_memory(layers, input_shape, **options)


def assert_same_memory(got, want, context):
    for key in KEYS:
        assert got[key] == want[key], f"memory[{key!r}] is {got[key]:,}, expected {want[key]:,} bytes {context}"


@graded("test_estimate_memory", MEMORY, 2)
def test_estimate_memory_small_nets(student, ref, rng):
    """Do the byte counts match hand counts for small random networks (default options)?"""
    for _ in range(4):
        layers, shape = small_net(rng)
        got, want = memory(student, ref, layers, shape)
        assert_same_memory(got, want, f"for layers {layers} on input {shape}")


@graded("test_estimate_memory", MEMORY, 1)
def test_estimate_memory_vgg16(student, ref):
    """Does VGG-16 on 224x224x3 give 15,087,080 activation values and 138,357,544 parameters?"""
    got, want = memory(student, ref, VGG16, (3, 224, 224))
    assert_same_memory(got, want, "for VGG-16 on (3, 224, 224) (the course notes' per-layer table)")


@graded("test_estimate_memory", MEMORY, 1)
def test_estimate_memory_options(student, ref, rng):
    """Do batch_size (activations only), bytes_per_value and optimizer_slots count as documented?"""
    layers, shape = small_net(rng)
    for options in ({"batch_size": 7}, {"bytes_per_value": 8}, {"optimizer_slots": 2},
                    {"batch_size": 3, "bytes_per_value": 2, "optimizer_slots": 1}):
        got, want = memory(student, ref, layers, shape, **options)
        assert_same_memory(got, want, f"with {options} for layers {layers} on input {shape}")


@graded("test_estimate_memory", MEMORY, 1, gate=test_estimate_memory_small_nets)
def test_estimate_memory_inputs_unchanged(student, rng):
    """Is the list of layers left unchanged?"""
    layers, shape = small_net(rng)
    _, after, _ = student._echo("estimate_memory", list(layers), shape)
    assert_unchanged("estimate_memory", {"layers": layers}, after)


# ---- ThreeLayerConvNet ---------------------------------------------------------------------

INIT, LOSS = "ThreeLayerConvNet.__init__", "ThreeLayerConvNet.loss"

# Defined in the worker after the student's cells, under a fresh name: build a network with the
# student's __init__ (dtype given by name: a numpy type cannot cross the boundary), or one whose
# params and reg are assigned (for loss).
MAKE = '''
def {name}(kwargs, dtype=None):
    import numpy
    if dtype is not None:
        kwargs = dict(kwargs, dtype=getattr(numpy, dtype))
    return ThreeLayerConvNet(**kwargs)


def {name}_assigned(params, reg):
    model = object.__new__(ThreeLayerConvNet)
    model.params, model.reg = params, reg
    return model
'''
INIT_CONFIGS = [dict(input_dim=(3, 8, 8), num_filters=4, filter_size=3, hidden_dim=5, num_classes=6, weight_scale=0.1),
                dict(input_dim=(1, 6, 10), num_filters=2, filter_size=5, hidden_dim=7, num_classes=3, weight_scale=2e-3),
                dict(input_dim=(2, 4, 4), num_filters=3, filter_size=1, hidden_dim=4, num_classes=2, weight_scale=1.0,
                     reg=0.25)]


def maker(worker) -> str:
    name = "_grader_" + secrets.token_hex(6)
    worker.exec("grader_make_network", MAKE.format(name=name))
    return name


def param_shapes(input_dim, num_filters, filter_size, hidden_dim, num_classes, **_):
    C, H, W = input_dim
    return {"W1": (num_filters, C, filter_size, filter_size), "b1": (num_filters,),
            "W2": (num_filters * (H // 2) * (W // 2), hidden_dim), "b2": (hidden_dim,),
            "W3": (hidden_dim, num_classes), "b3": (num_classes,)}


def student_params(model, what: str, shapes: dict) -> dict:
    params = as_dict(model._get("params"), f"{what}.params", shapes)
    return {k: as_array(params[k], f"{what}.params[{k!r}]", shapes[k], "f") for k in shapes}


@graded("test_ThreeLayerConvNet_init", INIT, 2)
def test_init_shapes(student, worker):
    """Are the parameters of the documented shapes (W2 after the 2x2 pooling), the biases zero, and reg kept?"""
    make = maker(worker)
    for config in INIT_CONFIGS:
        model = getattr(student, make)(config)
        params = student_params(model, f"ThreeLayerConvNet(**{config})", param_shapes(**config))
        for k in ("b1", "b2", "b3"):
            assert np.all(params[k] == 0), f"{k} should start at zero (config {config})"
        reg = as_float(model._get("reg"), "self.reg")
        assert reg == config.get("reg", 0.0), f"self.reg should be the reg argument {config.get('reg', 0.0)}, got {reg}"


@graded("test_ThreeLayerConvNet_init", INIT, 1)
def test_init_draws(student, worker, rng):
    """Are W1, W2, W3 drawn as weight_scale * np.random.randn(...) from the global generator, in that order?"""
    make = maker(worker)
    for config in INIT_CONFIGS:
        seed = int(rng.integers(0, 2 ** 31 - 1))
        worker.seed(seed)
        model = getattr(student, make)(config, "float64")
        shapes = param_shapes(**config)
        params = student_params(model, "ThreeLayerConvNet(..., dtype=np.float64)", shapes)
        draws = np.random.RandomState(seed)
        for k in ("W1", "W2", "W3"):
            want = config["weight_scale"] * draws.randn(*shapes[k])
            assert_close(params[k], want, 1e-9, k, f"after np.random.seed({seed}) (config {config}): draw W1, then W2, "
                         "then W3, each as weight_scale * np.random.randn(*shape), and nothing else in between")


@graded("test_ThreeLayerConvNet_init", INIT, 1, gate=test_init_shapes)
def test_init_dtype(student, worker):
    """Are the parameters of the requested dtype (float32 by default, float64 on request)?"""
    make = maker(worker)
    config = INIT_CONFIGS[0]
    for dtype, kind in ((None, "float32"), ("float64", "float64")):
        model = getattr(student, make)(config, dtype)
        for k, v in student_params(model, "ThreeLayerConvNet", param_shapes(**config)).items():
            assert v.dtype == np.dtype(kind), f"params[{k!r}] has dtype {v.dtype}, expected {kind} (dtype={dtype or 'default'})"


LOSS_CONFIGS = [((3, 8, 8), 4, 3, 6, 5, 2), ((1, 6, 10), 2, 5, 7, 3, 3), ((2, 4, 4), 3, 1, 4, 2, 1)]
# (input_dim, num_filters, filter_size, hidden_dim, num_classes, N)


def network(rng, input_dim, F, size, hidden, classes, N):
    """Parameters with weights large enough that the scores differ, data X (N, C, H, W) and labels y."""
    shapes = param_shapes(input_dim, F, size, hidden, classes)
    params = {k: (0.5 if k.startswith("W") else 0.1) * rng.standard_normal(s) for k, s in shapes.items()}
    return params, rng.standard_normal((N, *input_dim)), rng.integers(0, classes, N)


def ref_model(ref, params, reg):
    model = object.__new__(ref.ThreeLayerConvNet)
    model.params, model.reg = {k: v.copy() for k, v in params.items()}, reg
    return model


def describe(config):
    input_dim, F, size, hidden, classes, N = config
    return (f"for X of shape {(N, *input_dim)}, {F} filters of size {size}, hidden_dim {hidden}, "
            f"{classes} classes")


def loss_and_grads(student, worker, ref, rng, config, reg):
    """(student's loss, grads), (reference loss, grads), params: vetted for types, keys and shapes."""
    params, X, y = network(rng, *config)
    model = getattr(student, maker(worker) + "_assigned")(params, reg)
    loss, grads = as_pair(model.loss(X, y), "loss(X, y)")
    loss = as_float(loss, "the loss")
    grads = as_dict(grads, "grads", params)
    grads = {k: as_array(grads[k], f"grads[{k!r}]", params[k].shape, "f") for k in params}
    return (loss, grads), ref_model(ref, params, reg).loss(X, y), params


@graded("test_ThreeLayerConvNet_loss", LOSS, 1)
def test_loss_scores(student, ref, worker, rng):
    """Without y, does loss(X) return the scores of the reference network (N, num_classes)?"""
    make = maker(worker)
    for config in LOSS_CONFIGS:
        params, X, _ = network(rng, *config)
        model = getattr(student, make + "_assigned")(params, 0.0)
        scores = as_array(model.loss(X), "loss(X) (the scores)", (X.shape[0], config[4]), "f")
        assert_close(scores, ref_model(ref, params, 0.0).loss(X), TOL, "the scores",
                     describe(config) + " (conv - relu - 2x2 max pool - affine - relu - affine)")


@graded("test_ThreeLayerConvNet_loss", LOSS, 1)
def test_loss_value(student, ref, worker, rng):
    """Does the loss match the reference, with and without regularization?"""
    for config in LOSS_CONFIGS:
        for reg in (0.0, 0.37):
            (loss, _), (want, _), _ = loss_and_grads(student, worker, ref, rng, config, reg)
            assert_close(loss, want, TOL, "the loss", f"{describe(config)}, reg {reg}")


@graded("test_ThreeLayerConvNet_loss", LOSS, 2)
def test_loss_gradients(student, ref, worker, rng):
    """Does every gradient match the reference, with and without regularization?"""
    for config in LOSS_CONFIGS:
        for reg in (0.0, 0.37):
            (_, grads), (_, want), _ = loss_and_grads(student, worker, ref, rng, config, reg)
            for k in sorted(want):
                assert_close(grads[k], want[k], TOL, f"grads[{k!r}]", f"{describe(config)}, reg {reg}")


@graded("test_ThreeLayerConvNet_loss", LOSS, 1, gate=(test_loss_value, test_loss_gradients))
def test_loss_regularization(student, ref, worker, rng):
    """Is regularization 0.5 * reg * sum(W**2) on W1, W2, W3 only (gradient reg * W, biases untouched)?"""
    config = LOSS_CONFIGS[0]
    params, X, y = network(rng, *config)
    make = maker(worker)
    (l0, g0), (l1, g1) = (as_pair(getattr(student, make + "_assigned")(params, reg).loss(X, y), "loss(X, y)")
                          for reg in (0.0, 1.5))
    weights = sum(np.sum(params[k] ** 2) for k in ("W1", "W2", "W3"))
    assert_close(as_float(l1, "the loss") - as_float(l0, "the loss"), 0.75 * weights, 1e-9,
                 "the regularization part of the loss", "(0.5 * reg * (sum(W1**2) + sum(W2**2) + sum(W3**2)))")
    g0, g1 = as_dict(g0, "grads", params), as_dict(g1, "grads", params)
    for k in sorted(params):
        extra = 1.5 * params[k] if k.startswith("W") else np.zeros(params[k].shape)
        got = as_array(g1[k], f"grads[{k!r}]", params[k].shape, "f") - as_array(g0[k], f"grads[{k!r}]", params[k].shape, "f")
        assert_close(got, extra, 1e-9, f"the regularization part of grads[{k!r}]",
                     "(reg * W for the weights, nothing for the biases)")


@graded("test_ThreeLayerConvNet_loss", LOSS, 1, gate=(test_loss_value, test_loss_gradients))
def test_loss_inputs_unchanged(student, worker, rng):
    """Are X, y and self.params left unchanged?"""
    params, X, y = network(rng, *LOSS_CONFIGS[0])
    model = getattr(student, maker(worker) + "_assigned")({k: v.copy() for k, v in params.items()}, 0.2)
    _, after = model._echo("loss", X.copy(), y.copy())[:2]
    assert_unchanged("loss", {"X": X, "y": y}, after)
    assert_unchanged("loss", {"self.params": params}, [model._get("params")])
