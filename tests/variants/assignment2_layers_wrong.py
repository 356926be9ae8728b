"""Assignment 2, layers.ipynb: deliberately wrong implementations of every graded function.

Each is a classic student mistake, or a way to side-step a hidden test. ``WRONG[(notebook, solution
grade_id)]`` lists ``(label, source, tests)``: ``tests`` are the hidden tests (suite names without
``test_``) that it must fail, all of them and only them, for every seed (see variants/__init__.py).
"""

ASSIGNMENT = "assignment2"


def tests_of(name, *suffixes):
    """The names of ``name``'s tests with these suffixes (the suites name them test_<name>_<suffix>)."""
    return {f"{name}_{x}" for x in suffixes}


AFFINE_FORWARD_NO_RESHAPE = '''
def affine_forward(x, w, b):
    out = x.dot(w) + b                          # fails for x of more than two dimensions
    cache = (x, w, b)
    return out, cache
'''
AFFINE_FORWARD_NO_BIAS = '''
def affine_forward(x, w, b):
    out = x.reshape(x.shape[0], -1).dot(w)      # forgot + b
    cache = (x, w, b)
    return out, cache
'''
AFFINE_FORWARD_CACHES_ROWS = '''
def affine_forward(x, w, b):
    x = x.reshape(x.shape[0], -1)               # rebinding x: the cache below holds the flattened x
    out = x.dot(w) + b
    cache = (x, w, b)
    return out, cache
'''
AFFINE_BACKWARD_FLAT_DX = '''
def affine_backward(dout, cache):
    x, w, b = cache
    dx = dout.dot(w.T)                          # not reshaped to x's shape
    dw = x.reshape(x.shape[0], -1).T.dot(dout)
    db = dout.sum(axis=0)
    return dx, dw, db
'''
AFFINE_BACKWARD_MEAN_DB = '''
def affine_backward(dout, cache):
    x, w, b = cache
    dx = dout.dot(w.T).reshape(x.shape)
    dw = x.reshape(x.shape[0], -1).T.dot(dout)
    db = dout.mean(axis=0)                      # the bias is added to every row: sum, not mean
    return dx, dw, db
'''
AFFINE_BACKWARD_DW_TRANSPOSED = '''
def affine_backward(dout, cache):
    x, w, b = cache
    dx = dout.dot(w.T).reshape(x.shape)
    dw = dout.T.dot(x.reshape(x.shape[0], -1))  # (M, D) instead of (D, M)
    db = dout.sum(axis=0)
    return dx, dw, db
'''
RELU_FORWARD_IN_PLACE = '''
def relu_forward(x):
    x[x < 0] = 0                                # changes the caller's array
    out = x
    cache = x
    return out, cache
'''
RELU_FORWARD_NP_MAX = '''
def relu_forward(x):
    out = np.max(x, 0)                          # a reduction over axis 0, not an elementwise maximum
    cache = x
    return out, cache
'''
RELU_BACKWARD_IN_PLACE = '''
def relu_backward(dout, cache):
    x = cache
    dx = dout                                   # no copy: the next line zeroes the caller's dout
    dx[x <= 0] = 0
    return dx
'''
RELU_BACKWARD_WRONG_SIDE = '''
def relu_backward(dout, cache):
    x = cache
    return dout * (x < 0)
'''
RELU_BACKWARD_LOCAL_ONLY = '''
def relu_backward(dout, cache):
    x = cache
    return (x > 0).astype(float)                # the local gradient, without the upstream dout
'''
SIGMOID_FORWARD_EXP_RATIO = '''
def sigmoid_forward(x):
    out = np.exp(x) / (1 + np.exp(x))           # inf / inf = nan for large x
    cache = out
    return out, cache
'''
SIGMOID_FORWARD_SIGN = '''
def sigmoid_forward(x):
    out = 1 / (1 + np.exp(x))                   # sign error: this is sigmoid(-x)
    cache = out
    return out, cache
'''
SIGMOID_FORWARD_CACHES_X = '''
def sigmoid_forward(x):
    z = np.exp(-np.abs(x))
    out = np.where(x >= 0, 1 / (1 + z), z / (1 + z))
    cache = x                                   # the backward pass expects the output
    return out, cache
'''
SIGMOID_BACKWARD_OF_CACHE = '''
def sigmoid_backward(dout, cache):
    s = 1 / (1 + np.exp(-cache))                # treats the cached output as the input
    return dout * s * (1 - s)
'''
SIGMOID_BACKWARD_NO_DOUT = '''
def sigmoid_backward(dout, cache):
    out = cache
    return out * (1 - out)
'''
TANH_FORWARD_TEXTBOOK = '''
def tanh_forward(x):
    out = (np.exp(x) - np.exp(-x)) / (np.exp(x) + np.exp(-x))   # inf / inf = nan for |x| large
    cache = out
    return out, cache
'''
TANH_FORWARD_HALF = '''
def tanh_forward(x):
    out = 2 / (1 + np.exp(-x)) - 1              # 2 sigmoid(x) - 1 = tanh(x / 2)
    cache = out
    return out, cache
'''
TANH_BACKWARD_NOT_SQUARED = '''
def tanh_backward(dout, cache):
    out = cache
    return dout * (1 - out)
'''
TANH_BACKWARD_SECH_OF_OUT = '''
def tanh_backward(dout, cache):
    out = cache
    return dout / np.cosh(out) ** 2             # sech^2 of the output, not of the input
'''
LEAKY_FORWARD_FIXED_ALPHA = '''
def leaky_relu_forward(x, alpha=0.01):
    out = np.where(x > 0, x, 0.01 * x)          # ignores alpha
    cache = (x, alpha)
    return out, cache
'''
LEAKY_FORWARD_WRONG_SIDE = '''
def leaky_relu_forward(x, alpha=0.01):
    out = np.where(x > 0, alpha * x, x)
    cache = (x, alpha)
    return out, cache
'''
LEAKY_FORWARD_CACHES_X = '''
def leaky_relu_forward(x, alpha=0.01):
    out = np.where(x > 0, x, alpha * x)
    cache = x                                   # alpha is lost
    return out, cache
'''
LEAKY_BACKWARD_RELU = '''
def leaky_relu_backward(dout, cache):
    x, alpha = cache
    return dout * (x > 0)                       # a plain ReLU's gradient
'''
LEAKY_BACKWARD_DEFAULT_ALPHA = '''
def leaky_relu_backward(dout, cache):
    x, alpha = cache
    return dout * np.where(x > 0, 1.0, 0.01)    # the default instead of the cached alpha
'''
MAXOUT_FORWARD_AXIS = '''
def maxout_forward(x, w, b):
    pieces = np.einsum("nd,kdm->knm", x, w) + b[:, None, :]
    out = pieces.max(axis=1)                    # the maximum over the examples
    cache = (x, w, b)
    return out, cache
'''
MAXOUT_FORWARD_NO_BIAS = '''
def maxout_forward(x, w, b):
    out = np.einsum("nd,kdm->knm", x, w).max(axis=0)
    cache = (x, w, b)
    return out, cache
'''
MAXOUT_BACKWARD_ALL_PIECES = '''
def maxout_backward(dout, cache):
    x, w, b = cache
    K = w.shape[0]
    dx = sum(dout.dot(w[k].T) for k in range(K))              # every piece gets the gradient
    dw = np.stack([x.T.dot(dout) for k in range(K)])
    db = np.stack([dout.sum(axis=0) for k in range(K)])
    return dx, dw, db
'''
MAXOUT_BACKWARD_DB_AXIS = '''
def maxout_backward(dout, cache):
    x, w, b = cache
    pieces = np.einsum("nd,kdm->knm", x, w) + b[:, None, :]
    d = (np.arange(w.shape[0])[:, None, None] == pieces.argmax(axis=0)) * dout
    return np.einsum("knm,kdm->nd", d, w), np.einsum("nd,knm->kdm", x, d), d.sum(axis=2)   # db over M
'''
SVM_SUMMED = '''
def svm_loss(x, y):
    N = x.shape[0]
    margins = np.maximum(0, x - x[np.arange(N), y][:, None] + 1)
    margins[np.arange(N), y] = 0
    dx = (margins > 0).astype(float)
    dx[np.arange(N), y] = -dx.sum(axis=1)
    return margins.sum(), dx                    # not averaged over N
'''
SVM_NO_CORRECT_CLASS = '''
def svm_loss(x, y):
    N = x.shape[0]
    margins = np.maximum(0, x - x[np.arange(N), y][:, None] + 1)
    margins[np.arange(N), y] = 0
    dx = (margins > 0).astype(float) / N        # forgot the correct-class column
    return margins.sum() / N, dx
'''
SVM_ALIASES_X = '''
def svm_loss(x, y):
    N = x.shape[0]
    margins = x                                 # an alias, not a copy
    margins -= x[np.arange(N), y][:, None] - 1
    np.maximum(margins, 0, out=margins)
    margins[np.arange(N), y] = 0
    dx = (margins > 0).astype(float)
    dx[np.arange(N), y] = -dx.sum(axis=1)
    return margins.sum() / N, dx / N
'''
SOFTMAX_UNSHIFTED = '''
def softmax_loss(x, y):
    N = x.shape[0]
    p = np.exp(x) / np.exp(x).sum(axis=1, keepdims=True)      # overflows for scores near 1000
    loss = -np.log(p[np.arange(N), y]).mean()
    p[np.arange(N), y] -= 1
    return loss, p / N
'''
SOFTMAX_SUMMED = '''
def softmax_loss(x, y):
    N = x.shape[0]
    s = x - x.max(axis=1, keepdims=True)
    p = np.exp(s) / np.exp(s).sum(axis=1, keepdims=True)
    loss = -np.log(p[np.arange(N), y]).sum()    # not averaged
    p[np.arange(N), y] -= 1
    return loss, p
'''
SOFTMAX_DX_NOT_AVERAGED = '''
def softmax_loss(x, y):
    N = x.shape[0]
    s = x - x.max(axis=1, keepdims=True)
    p = np.exp(s) / np.exp(s).sum(axis=1, keepdims=True)
    loss = -np.log(p[np.arange(N), y]).mean()
    p[np.arange(N), y] -= 1
    return loss, p                              # dx without the 1 / N
'''
SQUARED_HINGE_NO_TWO = '''
def squared_hinge_loss(x, y):
    N = x.shape[0]
    m = np.maximum(0, x - x[np.arange(N), y][:, None] + 1)
    m[np.arange(N), y] = 0
    dx = m.copy()                               # the derivative of m**2 is 2 m
    dx[np.arange(N), y] = -m.sum(axis=1)
    return np.sum(m ** 2) / N, dx / N
'''
SQUARED_HINGE_SQUARED_SUM = '''
def squared_hinge_loss(x, y):
    N = x.shape[0]
    m = np.maximum(0, x - x[np.arange(N), y][:, None] + 1)
    m[np.arange(N), y] = 0
    total = m.sum(axis=1)                       # squares the sum of the margins
    dx = 2 * total[:, None] * (m > 0)
    dx[np.arange(N), y] = -2 * total * (m > 0).sum(axis=1)
    return np.sum(total ** 2) / N, dx / N
'''
BCE_NAIVE_LOGS = '''
def binary_cross_entropy_loss(x, y):
    N = x.shape[0]
    s = 1 / (1 + np.exp(-x))
    loss = -np.sum(y * np.log(s) + (1 - y) * np.log(1 - s)) / N   # log(0) for |x| large
    return loss, (s - y) / N
'''
BCE_MEAN_OVER_ALL = '''
def binary_cross_entropy_loss(x, y):
    z = np.exp(-np.abs(x))
    loss = np.mean(np.maximum(x, 0) - x * y + np.log1p(z))        # also averages over the attributes
    s = np.where(x >= 0, 1 / (1 + z), z / (1 + z))
    return loss, (s - y) / x.size
'''
BCE_DX_NOT_AVERAGED = '''
def binary_cross_entropy_loss(x, y):
    N = x.shape[0]
    z = np.exp(-np.abs(x))
    loss = np.sum(np.maximum(x, 0) - x * y + np.log1p(z)) / N
    return loss, np.where(x >= 0, 1 / (1 + z), z / (1 + z)) - y   # dx without the 1 / N
'''
L2_HALF = '''
def l2_regression_loss(x, y):
    N = x.shape[0]
    return 0.5 * np.sum((x - y) ** 2) / N, (x - y) / N     # the 1/2 convention of other courses
'''
L2_MEAN_OVER_ALL = '''
def l2_regression_loss(x, y):
    return np.mean((x - y) ** 2), 2 * (x - y) / x.size     # averages over the outputs too
'''
L2_SIGN = '''
def l2_regression_loss(x, y):
    N = x.shape[0]
    return np.sum((x - y) ** 2) / N, 2 * (y - x) / N       # gradient with the wrong sign
'''
L1_WHERE = '''
def l1_regression_loss(x, y):
    N = x.shape[0]
    return np.sum(np.abs(x - y)) / N, np.where(x > y, 1.0, -1.0) / N   # -1 / N where x == y
'''
L1_SUMMED = '''
def l1_regression_loss(x, y):
    return np.sum(np.abs(x - y)), np.sign(x - y)           # not averaged over N
'''
DROPOUT_FORWARD_TEMPLATE = '''
def dropout_forward(x, dropout_param):
    p, mode = dropout_param["p"], dropout_param["mode"]
    if dropout_param.get("seed") is not None:
        np.random.seed(dropout_param["seed"])
    mask, out = None, None
    if mode == "train":
        {train}
    elif mode == "test":
        {test}
    cache = (dropout_param, mask)
    out = out.astype(x.dtype, copy=False)
    return out, cache
'''
DROPOUT_DROP_PROBABILITY = DROPOUT_FORWARD_TEMPLATE.format(
    train="mask = (np.random.rand(*x.shape) >= p) / (1 - p)   # 2016 convention: p drops\n        out = x * mask",
    test="out = x")
DROPOUT_NOT_INVERTED = DROPOUT_FORWARD_TEMPLATE.format(
    train="mask = (np.random.rand(*x.shape) < p) * 1.0       # kept units not divided by p\n        out = x * mask",
    test="out = x")
DROPOUT_TEST_SCALED = DROPOUT_FORWARD_TEMPLATE.format(
    train="mask = (np.random.rand(*x.shape) < p) / p\n        out = x * mask",
    test="out = x * p                                       # already scaled in training")
DROPOUT_BINOMIAL = DROPOUT_FORWARD_TEMPLATE.format(
    train="mask = np.random.binomial(1, p, size=x.shape) / p   # right idea, another random stream\n"
          "        out = x * mask",
    test="out = x")
DROPOUT_BACKWARD_IGNORES_MASK = '''
def dropout_backward(dout, cache):
    return dout
'''
DROPOUT_BACKWARD_TWICE_SCALED = '''
def dropout_backward(dout, cache):
    dropout_param, mask = cache
    if dropout_param["mode"] == "train":
        return dout * mask / dropout_param["p"]  # the mask is already divided by p
    return dout
'''
DROPOUT_BACKWARD_ALWAYS_MASK = '''
def dropout_backward(dout, cache):
    dropout_param, mask = cache
    return dout * mask                          # mask is None in test mode
'''
INIT_TEMPLATE = '''
def __init__(self, input_dim=3 * 32 * 32, hidden_dim=100, num_classes=10, weight_scale=1e-3, reg=0.0):
    self.params = {{}}
    self.reg = reg
    {body}


TwoLayerNet.__init__ = __init__
'''
INIT_RANDOM_BIASES = INIT_TEMPLATE.format(body='''self.params["W1"] = weight_scale * np.random.randn(input_dim, hidden_dim)
    self.params["b1"] = weight_scale * np.random.randn(hidden_dim)
    self.params["W2"] = weight_scale * np.random.randn(hidden_dim, num_classes)
    self.params["b2"] = weight_scale * np.random.randn(num_classes)''')
INIT_W2_FIRST = INIT_TEMPLATE.format(body='''self.params["W2"] = weight_scale * np.random.randn(hidden_dim, num_classes)
    self.params["W1"] = weight_scale * np.random.randn(input_dim, hidden_dim)
    self.params["b1"] = np.zeros(hidden_dim)
    self.params["b2"] = np.zeros(num_classes)''')
INIT_UNIFORM = INIT_TEMPLATE.format(body='''self.params["W1"] = weight_scale * np.random.rand(input_dim, hidden_dim)
    self.params["b1"] = np.zeros(hidden_dim)
    self.params["W2"] = weight_scale * np.random.rand(hidden_dim, num_classes)
    self.params["b2"] = np.zeros(num_classes)''')
INIT_SEEDS = INIT_TEMPLATE.format(body='''np.random.seed(0)                           # the model must not seed the global generator
    self.params["W1"] = weight_scale * np.random.randn(input_dim, hidden_dim)
    self.params["b1"] = np.zeros(hidden_dim)
    self.params["W2"] = weight_scale * np.random.randn(hidden_dim, num_classes)
    self.params["b2"] = np.zeros(num_classes)''')
LOSS_TEMPLATE = '''
def loss(self, X, y=None):
    W1, b1, W2, b2 = self.params["W1"], self.params["b1"], self.params["W2"], self.params["b2"]
    {forward}
    if y is None:
        return scores
    grads = {{}}
    data_loss, dscores = softmax_loss(scores, y)
    {rest}
    return loss, grads


TwoLayerNet.loss = loss
'''
FORWARD = '''h, h_cache = affine_relu_forward(X, W1, b1)
    scores, s_cache = affine_forward(h, W2, b2)'''
BACKWARD = '''dh, dW2, grads["b2"] = affine_backward(dscores, s_cache)
    _, dW1, grads["b1"] = affine_relu_backward(dh, h_cache)'''
LOSS_FULL_REG = LOSS_TEMPLATE.format(forward=FORWARD, rest=f'''loss = data_loss + self.reg * (np.sum(W1 * W1) + np.sum(W2 * W2))   # no 0.5
    {BACKWARD}
    grads["W1"], grads["W2"] = dW1 + 2 * self.reg * W1, dW2 + 2 * self.reg * W2''')
LOSS_REGULARIZES_BIASES = LOSS_TEMPLATE.format(forward=FORWARD, rest=f'''loss = data_loss + 0.5 * self.reg * sum(np.sum(v * v) for v in (W1, b1, W2, b2))
    {BACKWARD}
    grads["W1"], grads["W2"] = dW1 + self.reg * W1, dW2 + self.reg * W2
    grads["b1"] = grads["b1"] + self.reg * b1
    grads["b2"] = grads["b2"] + self.reg * b2''')
LOSS_NO_RELU = LOSS_TEMPLATE.format(forward='''h, h_cache = affine_forward(X, W1, b1)          # no ReLU
    scores, s_cache = affine_forward(h, W2, b2)''', rest='''loss = data_loss + 0.5 * self.reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
    dh, dW2, grads["b2"] = affine_backward(dscores, s_cache)
    _, dW1, grads["b1"] = affine_backward(dh, h_cache)
    grads["W1"], grads["W2"] = dW1 + self.reg * W1, dW2 + self.reg * W2''')
LOSS_NO_REG_GRADIENT = LOSS_TEMPLATE.format(forward=FORWARD, rest=f'''loss = data_loss + 0.5 * self.reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
    {BACKWARD}
    grads["W1"], grads["W2"] = dW1, dW2         # forgot reg * W''')

FORWARD_ALL = ("values", "inputs")
LOSS_ALL = ("loss_matches", "grad_matches", "averaged_over_n", "inputs_unchanged")
LOSS_GRAD = ("grad_matches", "averaged_over_n", "inputs_unchanged")
NET_ALL = {"loss_value", "loss_grads", "loss_regularization", "loss_inputs"}

WRONG = {
    ("layers", "affine_forward"): [
        ("x not flattened", AFFINE_FORWARD_NO_RESHAPE, tests_of("affine_forward", "values", "cache", "inputs")),
        ("no bias", AFFINE_FORWARD_NO_BIAS, tests_of("affine_forward", *FORWARD_ALL)),
        ("x rebound to its rows, so the cache holds them", AFFINE_FORWARD_CACHES_ROWS,
         tests_of("affine_forward", "cache"))],
    ("layers", "affine_backward"): [
        ("dx not reshaped", AFFINE_BACKWARD_FLAT_DX, tests_of("affine_backward", "values", "inputs")),
        ("db as a mean", AFFINE_BACKWARD_MEAN_DB, tests_of("affine_backward", "values", "inputs")),
        ("dw transposed", AFFINE_BACKWARD_DW_TRANSPOSED, tests_of("affine_backward", "values", "inputs"))],
    ("layers", "relu_forward"): [
        ("in place", RELU_FORWARD_IN_PLACE, tests_of("relu_forward", "inputs")),
        ("np.max for np.maximum", RELU_FORWARD_NP_MAX, tests_of("relu_forward", *FORWARD_ALL))],
    ("layers", "relu_backward"): [
        ("writes into dout", RELU_BACKWARD_IN_PLACE, tests_of("relu_backward", "inputs")),
        ("gradient on the wrong side", RELU_BACKWARD_WRONG_SIDE, tests_of("relu_backward", "values", "inputs")),
        ("local gradient only", RELU_BACKWARD_LOCAL_ONLY, tests_of("relu_backward", "values", "inputs"))],
    ("layers", "sigmoid_forward"): [
        ("exp(x) / (1 + exp(x))", SIGMOID_FORWARD_EXP_RATIO, tests_of("sigmoid_forward", "extreme")),
        ("sigmoid(-x) (its cache still gives the right gradient)", SIGMOID_FORWARD_SIGN,
         tests_of("sigmoid_forward", "values", "extreme", "inputs")),
        ("caches x", SIGMOID_FORWARD_CACHES_X, tests_of("sigmoid_forward", "cache"))],
    ("layers", "sigmoid_backward"): [
        ("sigmoid of the cache", SIGMOID_BACKWARD_OF_CACHE, tests_of("sigmoid_backward", "values", "inputs")),
        ("forgot dout", SIGMOID_BACKWARD_NO_DOUT, tests_of("sigmoid_backward", "values", "inputs"))],
    ("layers", "tanh_forward"): [
        ("textbook exponentials", TANH_FORWARD_TEXTBOOK, tests_of("tanh_forward", "extreme")),
        ("2 sigmoid(x) - 1", TANH_FORWARD_HALF, tests_of("tanh_forward", "values", "extreme", "cache", "inputs"))],
    ("layers", "tanh_backward"): [
        ("1 - out", TANH_BACKWARD_NOT_SQUARED, tests_of("tanh_backward", "values", "inputs")),
        ("sech^2 of the output", TANH_BACKWARD_SECH_OF_OUT, tests_of("tanh_backward", "values", "inputs"))],
    ("layers", "leaky_relu_forward"): [
        ("ignores alpha", LEAKY_FORWARD_FIXED_ALPHA, tests_of("leaky_relu_forward", *FORWARD_ALL)),
        ("slope on the positive side", LEAKY_FORWARD_WRONG_SIDE, tests_of("leaky_relu_forward", *FORWARD_ALL)),
        ("caches x only", LEAKY_FORWARD_CACHES_X, tests_of("leaky_relu_forward", "cache"))],
    ("layers", "leaky_relu_backward"): [
        ("plain ReLU gradient", LEAKY_BACKWARD_RELU, tests_of("leaky_relu_backward", "values", "inputs")),
        ("default alpha", LEAKY_BACKWARD_DEFAULT_ALPHA, tests_of("leaky_relu_backward", "values", "inputs"))],
    ("layers", "maxout_forward"): [
        ("maximum over the examples", MAXOUT_FORWARD_AXIS, tests_of("maxout_forward", *FORWARD_ALL)),
        ("no bias", MAXOUT_FORWARD_NO_BIAS, tests_of("maxout_forward", *FORWARD_ALL))],
    ("layers", "maxout_backward"): [
        ("every piece gets the gradient", MAXOUT_BACKWARD_ALL_PIECES, tests_of("maxout_backward", "values", "inputs")),
        ("db summed over the units", MAXOUT_BACKWARD_DB_AXIS, tests_of("maxout_backward", "values", "inputs"))],
    ("layers", "svm_loss"): [
        ("summed over N", SVM_SUMMED, tests_of("svm_loss", *LOSS_ALL)),
        ("no correct-class gradient", SVM_NO_CORRECT_CLASS, tests_of("svm_loss", *LOSS_GRAD)),
        ("margins alias x", SVM_ALIASES_X, tests_of("svm_loss", "inputs_unchanged"))],
    ("layers", "softmax_loss"): [
        ("unshifted", SOFTMAX_UNSHIFTED, tests_of("softmax_loss", "stable")),
        ("summed over N", SOFTMAX_SUMMED, tests_of("softmax_loss", *LOSS_ALL, "stable")),
        ("dx not averaged", SOFTMAX_DX_NOT_AVERAGED, tests_of("softmax_loss", *LOSS_GRAD, "stable"))],
    ("layers", "squared_hinge_loss"): [
        ("derivative without the 2", SQUARED_HINGE_NO_TWO, tests_of("squared_hinge_loss", *LOSS_GRAD)),
        ("squares the sum of the margins", SQUARED_HINGE_SQUARED_SUM, tests_of("squared_hinge_loss", *LOSS_ALL))],
    ("layers", "binary_cross_entropy_loss"): [
        ("log of the sigmoid", BCE_NAIVE_LOGS, tests_of("binary_cross_entropy_loss", "stable")),
        ("mean over the attributes too", BCE_MEAN_OVER_ALL, tests_of("binary_cross_entropy_loss", *LOSS_ALL, "stable")),
        ("dx not averaged", BCE_DX_NOT_AVERAGED, tests_of("binary_cross_entropy_loss", *LOSS_GRAD, "stable"))],
    ("layers", "l2_regression_loss"): [
        ("with a factor 1/2", L2_HALF, tests_of("l2_regression_loss", *LOSS_ALL)),
        ("mean over the outputs too", L2_MEAN_OVER_ALL, tests_of("l2_regression_loss", *LOSS_ALL)),
        ("gradient sign", L2_SIGN, tests_of("l2_regression_loss", *LOSS_GRAD))],
    ("layers", "l1_regression_loss"): [
        ("-1 where x == y", L1_WHERE, tests_of("l1_regression_loss", "special")),
        ("summed over N", L1_SUMMED, tests_of("l1_regression_loss", *LOSS_ALL, "special"))],
    ("layers", "dropout_forward"): [
        ("p as the drop probability", DROPOUT_DROP_PROBABILITY,
         tests_of("dropout_forward", "train_values", "keep_fraction", "cache", "inputs")),
        ("not inverted", DROPOUT_NOT_INVERTED, tests_of("dropout_forward", "train_values", "keep_fraction", "cache", "inputs")),
        ("scaled at test time", DROPOUT_TEST_SCALED, tests_of("dropout_forward", "test_mode")),
        ("np.random.binomial", DROPOUT_BINOMIAL, tests_of("dropout_forward", "train_values"))],
    ("layers", "dropout_backward"): [
        ("ignores the mask", DROPOUT_BACKWARD_IGNORES_MASK, tests_of("dropout_backward", "train", "inputs")),
        ("divides by p again", DROPOUT_BACKWARD_TWICE_SCALED, tests_of("dropout_backward", "train", "inputs")),
        ("the mask in test mode too", DROPOUT_BACKWARD_ALWAYS_MASK, tests_of("dropout_backward", "test_mode"))],
    ("layers", "TwoLayerNet_init"): [
        ("random biases", INIT_RANDOM_BIASES, {"init_shapes", "init_global_rng"}),
        ("W2 drawn first", INIT_W2_FIRST, {"init_global_rng"}),
        ("uniform weights", INIT_UNIFORM, {"init_scale", "init_global_rng"}),
        ("seeds the global generator", INIT_SEEDS, {"init_global_rng"})],
    ("layers", "TwoLayerNet_loss"): [
        ("reg without the 0.5", LOSS_FULL_REG, NET_ALL),
        ("regularizes the biases", LOSS_REGULARIZES_BIASES, NET_ALL),
        ("no ReLU", LOSS_NO_RELU, NET_ALL | {"loss_scores"}),
        ("no reg in the gradients", LOSS_NO_REG_GRADIENT, {"loss_grads", "loss_regularization", "loss_inputs"})],
}
