"""Assignment 2, layers.ipynb: correct implementations written differently from the instructor solution.

Each is how a student (or a published CS231n solution) might write the function; every one must get
full marks for every seed. ``ALTERNATIVES[(notebook, solution grade_id)]`` lists (label, source).
"""

ASSIGNMENT = "assignment2"

AFFINE_FORWARD_CANONICAL = '''
def affine_forward(x, w, b):
    out = None
    N = x.shape[0]
    x_row = x.reshape(N, np.prod(x.shape[1:]))
    out = np.dot(x_row, w) + b
    cache = (x, w, b)
    return out, cache
'''
AFFINE_BACKWARD_CANONICAL = '''
def affine_backward(dout, cache):
    x, w, b = cache
    dx = np.dot(dout, w.T).reshape(x.shape)
    dw = np.dot(x.reshape(x.shape[0], -1).T, dout)
    db = np.sum(dout, axis=0)
    return dx, dw, db
'''
RELU_FORWARD_MASK = '''
def relu_forward(x):
    out = x * (x > 0)
    cache = x
    return out, cache
'''
RELU_BACKWARD_COPY = '''
def relu_backward(dout, cache):
    x = cache
    dx = dout.copy()
    dx[x <= 0] = 0
    return dx
'''
SIGMOID_FORWARD_NAIVE = '''
def sigmoid_forward(x):
    out = 1 / (1 + np.exp(-x))          # overflows (with a warning) to 1 / inf = 0: still exact
    cache = out
    return out, cache
'''
SIGMOID_FORWARD_LOGADDEXP = '''
def sigmoid_forward(x):
    out = np.exp(-np.logaddexp(0, -x))
    cache = out
    return out, cache
'''
SIGMOID_BACKWARD_EXPANDED = '''
def sigmoid_backward(dout, cache):
    out = cache
    return dout * (out - out ** 2)
'''
TANH_FORWARD_EXPM1 = '''
def tanh_forward(x):
    e = np.exp(-2 * np.abs(x))
    out = np.sign(x) * -np.expm1(-2 * np.abs(x)) / (1 + e)
    cache = out
    return out, cache
'''
TANH_BACKWARD_EXPANDED = '''
def tanh_backward(dout, cache):
    out = cache
    return dout - dout * out * out
'''
LEAKY_FORWARD_MAXIMUM = '''
def leaky_relu_forward(x, alpha=0.01):
    out = np.maximum(alpha * x, x)          # right for 0 <= alpha < 1
    cache = (x, alpha)
    return out, cache
'''
LEAKY_BACKWARD_COPY = '''
def leaky_relu_backward(dout, cache):
    x, alpha = cache
    dx = dout.copy()
    dx[x < 0] *= alpha
    return dx
'''
MAXOUT_FORWARD_LOOP = '''
def maxout_forward(x, w, b):
    out = x.dot(w[0]) + b[0]
    for k in range(1, w.shape[0]):
        out = np.maximum(out, x.dot(w[k]) + b[k])
    cache = (x, w, b)
    return out, cache
'''
MAXOUT_BACKWARD_LOOP = '''
def maxout_backward(dout, cache):
    x, w, b = cache
    K = w.shape[0]
    pieces = np.stack([x.dot(w[k]) + b[k] for k in range(K)])
    best = np.argmax(pieces, axis=0)
    dx, dw, db = np.zeros_like(x), np.zeros_like(w), np.zeros_like(b)
    for k in range(K):
        d = dout * (best == k)
        dx += d.dot(w[k].T)
        dw[k] = x.T.dot(d)
        db[k] = d.sum(axis=0)
    return dx, dw, db
'''
SVM_LOSS_CANONICAL = '''
def svm_loss(x, y):
    N = x.shape[0]
    correct_class_scores = x[np.arange(N), y]
    margins = np.maximum(0, x - correct_class_scores[:, np.newaxis] + 1.0)
    margins[np.arange(N), y] = 0
    loss = np.sum(margins) / N
    num_pos = np.sum(margins > 0, axis=1)
    dx = np.zeros_like(x)
    dx[margins > 0] = 1
    dx[np.arange(N), y] -= num_pos
    dx /= N
    return loss, dx
'''
SOFTMAX_LOSS_CANONICAL = '''
def softmax_loss(x, y):
    shifted_logits = x - np.max(x, axis=1, keepdims=True)
    Z = np.sum(np.exp(shifted_logits), axis=1, keepdims=True)
    log_probs = shifted_logits - np.log(Z)
    probs = np.exp(log_probs)
    N = x.shape[0]
    loss = -np.sum(log_probs[np.arange(N), y]) / N
    dx = probs.copy()
    dx[np.arange(N), y] -= 1
    dx /= N
    return loss, dx
'''
SOFTMAX_LOSS_SHIFT_THEN_LOG = '''
def softmax_loss(x, y):
    N = x.shape[0]
    scores = x - x.max(axis=1, keepdims=True)
    p = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    loss = -np.log(p[np.arange(N), y]).mean()
    p[np.arange(N), y] -= 1
    return loss, p / N
'''
SQUARED_HINGE_LOOPS = '''
def squared_hinge_loss(x, y):
    N, C = x.shape
    loss, dx = 0.0, np.zeros_like(x)
    for i in range(N):
        for j in range(C):
            if j == y[i]:
                continue
            m = x[i, j] - x[i, y[i]] + 1
            if m > 0:
                loss += m * m
                dx[i, j] += 2 * m
                dx[i, y[i]] -= 2 * m
    return loss / N, dx / N
'''
BCE_LOGADDEXP = '''
def binary_cross_entropy_loss(x, y):
    N = x.shape[0]
    loss = np.sum(y * np.logaddexp(0, -x) + (1 - y) * np.logaddexp(0, x)) / N
    sig = np.exp(-np.logaddexp(0, -x))
    return loss, (sig - y) / N
'''
L2_MEAN_OF_SUMS = '''
def l2_regression_loss(x, y):
    loss = np.mean(np.sum((x - y) ** 2, axis=1))
    dx = 2 * (x - y) / x.shape[0]
    return loss, dx
'''
L1_MEAN_OF_SUMS = '''
def l1_regression_loss(x, y):
    loss = np.abs(x - y).sum(axis=1).mean()
    dx = np.sign(x - y) / len(x)
    return loss, dx
'''
DROPOUT_FORWARD_BOOL_MASK = '''
def dropout_forward(x, dropout_param):
    p, mode = dropout_param["p"], dropout_param["mode"]
    if dropout_param.get("seed") is not None:
        np.random.seed(dropout_param["seed"])
    mask, out = None, None
    if mode == "train":
        keep = np.random.rand(*x.shape) < p
        mask = keep / p
        out = x * mask
    elif mode == "test":
        out = x.copy()
    cache = (dropout_param, mask)
    out = out.astype(x.dtype, copy=False)
    return out, cache
'''
DROPOUT_BACKWARD_COPY = '''
def dropout_backward(dout, cache):
    dropout_param, mask = cache
    if dropout_param["mode"] == "train":
        return dout * mask
    return dout.copy()
'''
TWO_LAYER_INIT_NORMAL = '''
def __init__(self, input_dim=3 * 32 * 32, hidden_dim=100, num_classes=10, weight_scale=1e-3, reg=0.0):
    self.params = {}
    self.reg = reg
    self.params["W1"] = np.random.normal(0.0, weight_scale, (input_dim, hidden_dim))
    self.params["b1"] = np.zeros(hidden_dim)
    self.params["W2"] = np.random.normal(0.0, weight_scale, (hidden_dim, num_classes))
    self.params["b2"] = np.zeros(num_classes)


TwoLayerNet.__init__ = __init__
'''
TWO_LAYER_LOSS_CANONICAL = '''
def loss(self, X, y=None):
    W1, b1 = self.params["W1"], self.params["b1"]
    W2, b2 = self.params["W2"], self.params["b2"]
    a1, fc1_cache = affine_forward(X, W1, b1)
    h1, relu_cache = relu_forward(a1)
    scores, fc2_cache = affine_forward(h1, W2, b2)
    if y is None:
        return scores
    grads = {}
    loss, dscores = softmax_loss(scores, y)
    loss += 0.5 * self.reg * (np.sum(np.square(W1)) + np.sum(np.square(W2)))
    dh1, grads["W2"], grads["b2"] = affine_backward(dscores, fc2_cache)
    da1 = relu_backward(dh1, relu_cache)
    _, grads["W1"], grads["b1"] = affine_backward(da1, fc1_cache)
    grads["W1"] += self.reg * W1
    grads["W2"] += self.reg * W2
    return loss, grads


TwoLayerNet.loss = loss
'''

ALTERNATIVES = {
    ("layers", "affine_forward"): [("CS231n: np.prod of the trailing dimensions", AFFINE_FORWARD_CANONICAL)],
    ("layers", "affine_backward"): [("CS231n: np.dot and np.sum", AFFINE_BACKWARD_CANONICAL)],
    ("layers", "relu_forward"): [("x * (x > 0)", RELU_FORWARD_MASK)],
    ("layers", "relu_backward"): [("copy of dout, zeroed where x <= 0", RELU_BACKWARD_COPY)],
    ("layers", "sigmoid_forward"): [("1 / (1 + exp(-x)), overflow warning and all", SIGMOID_FORWARD_NAIVE),
                                    ("exp(-logaddexp(0, -x))", SIGMOID_FORWARD_LOGADDEXP)],
    ("layers", "sigmoid_backward"): [("out - out**2", SIGMOID_BACKWARD_EXPANDED)],
    ("layers", "tanh_forward"): [("sign(x) * -expm1(-2|x|) / (1 + exp(-2|x|))", TANH_FORWARD_EXPM1)],
    ("layers", "tanh_backward"): [("dout - dout * out * out", TANH_BACKWARD_EXPANDED)],
    ("layers", "leaky_relu_forward"): [("np.maximum(alpha * x, x)", LEAKY_FORWARD_MAXIMUM)],
    ("layers", "leaky_relu_backward"): [("copy of dout, scaled where x < 0", LEAKY_BACKWARD_COPY)],
    ("layers", "maxout_forward"): [("running maximum over the pieces", MAXOUT_FORWARD_LOOP)],
    ("layers", "maxout_backward"): [("one piece at a time", MAXOUT_BACKWARD_LOOP)],
    ("layers", "svm_loss"): [("CS231n layers.py", SVM_LOSS_CANONICAL)],
    ("layers", "softmax_loss"): [("CS231n layers.py (log-probabilities)", SOFTMAX_LOSS_CANONICAL),
                                 ("shifted, then -log(p)", SOFTMAX_LOSS_SHIFT_THEN_LOG)],
    ("layers", "squared_hinge_loss"): [("loops over examples and classes", SQUARED_HINGE_LOOPS)],
    ("layers", "binary_cross_entropy_loss"): [("np.logaddexp", BCE_LOGADDEXP)],
    ("layers", "l2_regression_loss"): [("mean over N of the row sums", L2_MEAN_OF_SUMS)],
    ("layers", "l1_regression_loss"): [("mean over N of the row sums", L1_MEAN_OF_SUMS)],
    ("layers", "dropout_forward"): [("boolean mask, then scaled; a copy in test mode", DROPOUT_FORWARD_BOOL_MASK)],
    ("layers", "dropout_backward"): [("a copy of dout in test mode", DROPOUT_BACKWARD_COPY)],
    ("layers", "TwoLayerNet_init"): [("np.random.normal(0, weight_scale, shape)", TWO_LAYER_INIT_NORMAL)],
    ("layers", "TwoLayerNet_loss"): [("CS231n style: the layers one by one", TWO_LAYER_LOSS_CANONICAL)],
}
