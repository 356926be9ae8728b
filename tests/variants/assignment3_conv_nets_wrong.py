"""Assignment 3, conv_nets: deliberately wrong implementations of every graded function.

``WRONG[(notebook, solution grade_id)]`` lists ``(label, source, tests)``: ``tests`` are the hidden
tests (suite names without ``test_``) that it must fail, all of them and only them, for every seed
(see variants/__init__.py).
"""

ASSIGNMENT = "assignment3"

FC_NO_TRANSPOSE = '''
def fc_to_conv(w, b, input_shape):
    C, H, W = input_shape
    return w.reshape(w.shape[1], C, H, W), b.copy(), {'stride': 1, 'pad': 0}     # rows of w are inputs, not outputs
'''
FC_CHANNELS_LAST = '''
def fc_to_conv(w, b, input_shape):
    C, H, W = input_shape
    w_conv = w.T.reshape(-1, H, W, C).transpose(0, 3, 1, 2)           # assumes (H, W, C) flattening
    return w_conv.copy(), b.copy(), {'stride': 1, 'pad': 0}
'''
FC_STRIDE_IS_SIZE = '''
def fc_to_conv(w, b, input_shape):
    C, H, W = input_shape
    return w.T.reshape(-1, C, H, W).copy(), b.copy(), {'stride': H, 'pad': 0}   # one step per filter size
'''
FC_BIAS_AS_VOLUME = '''
def fc_to_conv(w, b, input_shape):
    C, H, W = input_shape
    return w.T.reshape(-1, C, H, W).copy(), b.reshape(-1, 1, 1), {'stride': 1, 'pad': 0}
'''
FC_RESHAPES_W = '''
def fc_to_conv(w, b, input_shape):
    C, H, W = input_shape
    w.shape = (C, H, W, -1)                                            # reshapes the caller's array itself
    return np.moveaxis(w, 3, 0).copy(), b.copy(), {'stride': 1, 'pad': 0}
'''

MEMORY = '''
def estimate_memory(layers, input_shape, batch_size=1, bytes_per_value=4, optimizer_slots=0):
    C, H, W = input_shape
    values, params = 0, 0
    shape = (C, H, W)
    for layer in layers:
        if layer[0] == 'conv':
            _, F, k, s, p = layer
            params += F * (shape[0] * k * k + 1)
            shape = (F, (shape[1] - k + 2 * p) // s + 1, (shape[2] - k + 2 * p) // s + 1)
        elif layer[0] == 'pool':
            _, k, s = layer
            shape = (shape[0], (shape[1] - k) // s + 1, (shape[2] - k) // s + 1)
        else:
            params += (int(np.prod(shape)) + 1) * layer[1]
            shape = (layer[1],)
        values += int(np.prod(shape))
    act = values * batch_size * bytes_per_value
    par = params * bytes_per_value
    opt = optimizer_slots * par
    return {'activations': act, 'parameters': par, 'gradients': par, 'optimizer': opt, 'total': act + 2 * par + opt}
'''


def _edit(old, new):
    assert old in MEMORY, old
    return MEMORY.replace(old, new)


MEMORY_COUNTS_INPUT = _edit("values, params = 0, 0", "values, params = C * H * W, 0                 # the input counted too")
MEMORY_NO_BIASES = _edit("params += F * (shape[0] * k * k + 1)", "params += F * shape[0] * k * k").replace(
    "params += (int(np.prod(shape)) + 1) * layer[1]", "params += int(np.prod(shape)) * layer[1]")
MEMORY_BATCH_EVERYWHERE = _edit("par = params * bytes_per_value", "par = params * batch_size * bytes_per_value")
MEMORY_NO_OPTIMIZER = _edit("opt = optimizer_slots * par", "opt = 0")
MEMORY_POPS_LAYERS = _edit("    for layer in layers:\n", "    while layers:\n        layer = layers.pop(0)\n")

INIT = '''
def __init__(self, input_dim=(3, 32, 32), num_filters=32, filter_size=7, hidden_dim=100, num_classes=10,
             weight_scale=1e-3, reg=0.0, dtype=np.float32):
    self.params = {}
    self.reg = reg
    self.dtype = dtype
    C, H, W = input_dim
    self.params['W1'] = weight_scale * np.random.randn(num_filters, C, filter_size, filter_size)
    self.params['b1'] = np.zeros(num_filters)
    self.params['W2'] = weight_scale * np.random.randn(num_filters * H * W // 4, hidden_dim)
    self.params['b2'] = np.zeros(hidden_dim)
    self.params['W3'] = weight_scale * np.random.randn(hidden_dim, num_classes)
    self.params['b3'] = np.zeros(num_classes)
    for k, v in self.params.items():
        self.params[k] = v.astype(dtype)


ThreeLayerConvNet.__init__ = __init__
'''
INIT_NO_POOLING = INIT.replace("num_filters * H * W // 4", "num_filters * H * W")
INIT_ORDER = INIT.replace(
    "    self.params['W2'] = weight_scale * np.random.randn(num_filters * H * W // 4, hidden_dim)\n", "").replace(
    "    self.params['b3'] = np.zeros(num_classes)\n",
    "    self.params['b3'] = np.zeros(num_classes)\n"
    "    self.params['W2'] = weight_scale * np.random.randn(num_filters * H * W // 4, hidden_dim)   # drawn last\n")
INIT_BIASES_ONE = INIT.replace("self.params['b1'] = np.zeros(num_filters)", "self.params['b1'] = np.ones(num_filters)")
INIT_UNIFORM = INIT.replace("np.random.randn(", "np.random.rand(")

LOSS = '''
def loss(self, X, y=None):
    W1, b1 = self.params['W1'], self.params['b1']
    W2, b2 = self.params['W2'], self.params['b2']
    W3, b3 = self.params['W3'], self.params['b3']
    filter_size = W1.shape[2]
    conv_param = {'stride': 1, 'pad': (filter_size - 1) // 2}
    pool_param = {'pool_height': 2, 'pool_width': 2, 'stride': 2}
    scores = None
    out1, cache1 = conv_relu_pool_forward(X, W1, b1, conv_param, pool_param)
    out2, cache2 = affine_relu_forward(out1, W2, b2)
    scores, cache3 = affine_forward(out2, W3, b3)
    if y is None:
        return scores
    loss, grads = 0, {}
    loss, dscores = softmax_loss(scores, y)
    loss += 0.5 * self.reg * (np.sum(W1 * W1) + np.sum(W2 * W2) + np.sum(W3 * W3))
    dout2, grads['W3'], grads['b3'] = affine_backward(dscores, cache3)
    dout1, grads['W2'], grads['b2'] = affine_relu_backward(dout2, cache2)
    dx, grads['W1'], grads['b1'] = conv_relu_pool_backward(dout1, cache1)
    grads['W3'] += self.reg * W3
    grads['W2'] += self.reg * W2
    grads['W1'] += self.reg * W1
    return loss, grads


ThreeLayerConvNet.loss = loss
'''


def _loss(*edits):
    source = LOSS
    for old, new in edits:
        assert old in source, old
        source = source.replace(old, new)
    return source


LOSS_FULL_REG = _loss(("0.5 * self.reg * (", "self.reg * ("), ("+= self.reg * W3", "+= 2 * self.reg * W3"),
                      ("+= self.reg * W2", "+= 2 * self.reg * W2"), ("+= self.reg * W1", "+= 2 * self.reg * W1"))
LOSS_REGULARIZED_BIASES = _loss(
    ("np.sum(W3 * W3))", "np.sum(W3 * W3) + np.sum(b1 * b1) + np.sum(b2 * b2) + np.sum(b3 * b3))"),
    ("    grads['W1'] += self.reg * W1\n", "    grads['W1'] += self.reg * W1\n    for k in ('b1', 'b2', 'b3'):\n"
                                         "        grads[k] += self.reg * self.params[k]\n"))
LOSS_NO_HIDDEN_RELU = _loss(("affine_relu_forward(out1, W2, b2)", "affine_forward(out1, W2, b2)"),
                            ("affine_relu_backward(dout2, cache2)", "affine_backward(dout2, cache2)"))
LOSS_W1_NOT_REGULARIZED = _loss(("    grads['W1'] += self.reg * W1\n", ""))
LOSS_NO_PADDING = _loss(("conv_param = {'stride': 1, 'pad': (filter_size - 1) // 2}", "conv_param = {'stride': 1, 'pad': 0}"))
LOSS_REG_INTO_PARAMS = _loss(("    return loss, grads\n", "    self.params['W1'] -= 1e-3 * grads['W1']          # a sneaky update step\n"
                                                         "    return loss, grads\n"))

NB = "conv_nets"
LOSS_ALL = {"loss_scores", "loss_value", "loss_gradients", "loss_regularization", "loss_inputs_unchanged"}
LOSS_REG = {"loss_value", "loss_gradients", "loss_regularization", "loss_inputs_unchanged"}
WRONG = {
    (NB, "fc_to_conv"): [
        ("reshaped without the transpose", FC_NO_TRANSPOSE, {"fc_to_conv_computes_affine", "fc_to_conv_inputs_unchanged"}),
        ("channels-last flattening", FC_CHANNELS_LAST, {"fc_to_conv_computes_affine", "fc_to_conv_inputs_unchanged"}),
        ("stride of the filter size", FC_STRIDE_IS_SIZE,
         {"fc_to_conv_shapes", "fc_to_conv_computes_affine", "fc_to_conv_inputs_unchanged"}),
        ("bias shaped (M, 1, 1)", FC_BIAS_AS_VOLUME,
         {"fc_to_conv_shapes", "fc_to_conv_computes_affine", "fc_to_conv_inputs_unchanged"}),
        ("w.shape = ... on the caller's array", FC_RESHAPES_W, {"fc_to_conv_inputs_unchanged"})],
    (NB, "estimate_memory"): [
        ("input counted as an activation", MEMORY_COUNTS_INPUT,
         {"estimate_memory_small_nets", "estimate_memory_vgg16", "estimate_memory_options", "estimate_memory_inputs_unchanged"}),
        ("no biases", MEMORY_NO_BIASES,
         {"estimate_memory_small_nets", "estimate_memory_vgg16", "estimate_memory_options", "estimate_memory_inputs_unchanged"}),
        ("batch size multiplies the parameters", MEMORY_BATCH_EVERYWHERE, {"estimate_memory_options"}),
        ("optimizer_slots ignored", MEMORY_NO_OPTIMIZER, {"estimate_memory_options"}),
        ("pops the layers", MEMORY_POPS_LAYERS, {"estimate_memory_inputs_unchanged"})],
    (NB, "ThreeLayerConvNet_init"): [
        ("W2 sized without the pooling", INIT_NO_POOLING, {"init_shapes", "init_draws", "init_dtype"}),
        ("W2 drawn last", INIT_ORDER, {"init_draws"}),
        ("biases start at one", INIT_BIASES_ONE, {"init_shapes", "init_dtype"}),
        ("uniform weights", INIT_UNIFORM, {"init_draws"})],
    (NB, "ThreeLayerConvNet_loss"): [
        ("reg * sum(W**2) without the 0.5", LOSS_FULL_REG, LOSS_REG),
        ("biases regularized", LOSS_REGULARIZED_BIASES, LOSS_REG),
        ("no ReLU after the hidden layer", LOSS_NO_HIDDEN_RELU, LOSS_ALL),
        ("W1 not regularized", LOSS_W1_NOT_REGULARIZED, {"loss_gradients", "loss_regularization", "loss_inputs_unchanged"}),
        ("convolution without padding", LOSS_NO_PADDING, LOSS_ALL),
        ("updates self.params inside loss", LOSS_REG_INTO_PARAMS, {"loss_inputs_unchanged"})],
}
