"""Assignment 3, conv_nets: correct implementations written differently from the instructor solution.

Every one must get full marks for every seed. ``ALTERNATIVES[(notebook, solution grade_id)]`` lists
(label, source).
"""

ASSIGNMENT = "assignment3"

FC_LOOP = '''
def fc_to_conv(w, b, input_shape):
    C, H, W = input_shape
    D, M = w.shape
    w_conv = np.empty((M, C, H, W))
    for m in range(M):
        w_conv[m] = w[:, m].reshape(C, H, W)        # one filter per output neuron
    return w_conv, np.array(b, copy=True), dict(stride=1, pad=0, dilation=1)
'''

MEMORY_OUTPUT_SHAPES = '''
def estimate_memory(layers, input_shape, batch_size=1, bytes_per_value=4, optimizer_slots=0):
    shapes, params = [], []
    shape = tuple(input_shape)
    for layer in layers:
        if layer[0] == "fc":
            params.append(np.prod(shape) * layer[1] + layer[1])
            shape = (layer[1],)
        elif layer[0] == "conv":
            kind, F, size, stride, pad = layer
            params.append(F * shape[0] * size ** 2 + F)
            shape = (F,) + tuple(conv_output_size(n, size, stride, pad) for n in shape[1:])
        else:
            kind, size, stride = layer
            shape = shape[:1] + tuple(conv_output_size(n, size, stride, 0) for n in shape[1:])
        shapes.append(shape)
    n_act = sum(int(np.prod(s)) for s in shapes) * batch_size
    n_par = int(sum(params))
    out = dict(activations=n_act * bytes_per_value, parameters=n_par * bytes_per_value,
               gradients=n_par * bytes_per_value, optimizer=n_par * optimizer_slots * bytes_per_value)
    out["total"] = out["activations"] + out["parameters"] + out["gradients"] + out["optimizer"]
    return out
'''

# The CS231n (2017+) form: np.random.normal with scale weight_scale gives the same numbers as randn * scale.
INIT_NORMAL = '''
def __init__(self, input_dim=(3, 32, 32), num_filters=32, filter_size=7, hidden_dim=100, num_classes=10,
             weight_scale=1e-3, reg=0.0, dtype=np.float32):
    self.params = {}
    self.reg = reg
    self.dtype = dtype
    C, H, W = input_dim
    self.params['W1'] = np.random.normal(0, weight_scale, (num_filters, C, filter_size, filter_size))
    self.params['b1'] = np.zeros((num_filters,))
    self.params['W2'] = np.random.normal(0, weight_scale, (num_filters * (H // 2) * (W // 2), hidden_dim))
    self.params['b2'] = np.zeros((hidden_dim,))
    self.params['W3'] = np.random.normal(0, weight_scale, (hidden_dim, num_classes))
    self.params['b3'] = np.zeros((num_classes,))
    for k, v in self.params.items():
        self.params[k] = v.astype(dtype)


ThreeLayerConvNet.__init__ = __init__
'''

# Without the sandwich helpers: every layer called on its own (naive convolution, as a student might).
LOSS_LAYER_BY_LAYER = '''
def loss(self, X, y=None):
    W1, b1 = self.params['W1'], self.params['b1']
    W2, b2 = self.params['W2'], self.params['b2']
    W3, b3 = self.params['W3'], self.params['b3']
    filter_size = W1.shape[2]
    conv_param = {'stride': 1, 'pad': (filter_size - 1) // 2}
    pool_param = {'pool_height': 2, 'pool_width': 2, 'stride': 2}
    a1, c1 = conv_forward_naive(X, W1, b1, conv_param)
    r1, cr1 = relu_forward(a1)
    p1, cp1 = max_pool_forward_naive(r1, pool_param)
    a2, c2 = affine_forward(p1, W2, b2)
    r2, cr2 = relu_forward(a2)
    scores, c3 = affine_forward(r2, W3, b3)
    if y is None:
        return scores
    data_loss, d = softmax_loss(scores, y)
    reg_loss = 0.5 * self.reg * sum(np.sum(W ** 2) for W in (W1, W2, W3))
    grads = {}
    d, grads['W3'], grads['b3'] = affine_backward(d, c3)
    d, grads['W2'], grads['b2'] = affine_backward(relu_backward(d, cr2), c2)
    d = relu_backward(max_pool_backward_naive(d, cp1), cr1)
    _, grads['W1'], grads['b1'] = conv_backward_naive(d, c1)
    for name, W in (('W1', W1), ('W2', W2), ('W3', W3)):
        grads[name] = grads[name] + self.reg * W
    return data_loss + reg_loss, grads


ThreeLayerConvNet.loss = loss
'''

NB = "conv_nets"
ALTERNATIVES = {
    (NB, "fc_to_conv"): [("a loop over the outputs", FC_LOOP)],
    (NB, "estimate_memory"): [("list of output shapes, conv_output_size", MEMORY_OUTPUT_SHAPES)],
    (NB, "ThreeLayerConvNet_init"): [("np.random.normal (CS231n)", INIT_NORMAL)],
    (NB, "ThreeLayerConvNet_loss"): [("layer by layer, naive convolution", LOSS_LAYER_BY_LAYER)],
}
