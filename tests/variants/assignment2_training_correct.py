"""Assignment 2, training_setup and training_optimization: correct implementations written differently.

Each is how a student (or a published CS231n solution, for the update rules and FullyConnectedNet)
might write the function; every one must get full marks for every seed.
``ALTERNATIVES[(notebook, solution grade_id)]`` lists (label, source).
"""

ASSIGNMENT = "assignment2"
SETUP, OPTIM = "training_setup", "training_optimization"

PCA_EIGH_SORTED = '''
def compute_pca(X):
    mean = np.mean(X, axis=0)
    Xc = X - mean
    S, U = np.linalg.eigh(Xc.T @ Xc / len(X))
    order = np.argsort(S)[::-1]
    return mean, U[:, order], S[order]
'''
PCA_SVD_OF_DATA = '''
def compute_pca(X):
    mean = X.mean(axis=0)
    _, s, Vt = np.linalg.svd(X - mean, full_matrices=False)   # the right singular vectors of the data
    return mean, Vt.T, s ** 2 / X.shape[0]
'''
PCA_NP_COV_BIASED = '''
def compute_pca(X):
    cov = np.atleast_2d(np.cov(X, rowvar=False, bias=True))
    U, S, _ = np.linalg.svd(cov)
    return X.mean(axis=0), U, S
'''
PROJECT_EINSUM = '''
def pca_project(X, mean, U, k):
    return np.einsum("nd,dk->nk", X - mean[None, :], U[:, :k])
'''
PROJECT_SPLIT = '''
def pca_project(X, mean, U, k):
    Uk = U[:, :k]
    return X @ Uk - mean @ Uk
'''
WHITEN_RECIPROCAL = '''
def whiten(X, mean, U, S, eps=1e-5):
    rotated = np.dot(X - mean, U)
    return rotated * (1.0 / np.sqrt(S + eps))[None, :]
'''
WHITEN_VIA_PROJECT = '''
def whiten(X, mean, U, S, eps=1e-5):
    return pca_project(X, mean, U, U.shape[1]) / np.sqrt(S + eps)
'''
INIT_NORMAL_AND_ARGSORT = '''
def weight_init(fan_in, fan_out, method, rng):
    if method not in ("zeros", "small", "xavier", "he", "sparse"):
        raise ValueError(method)
    shape = (fan_in, fan_out)
    if method == "zeros":
        return np.zeros(shape)
    if method == "small":
        return rng.normal(0.0, 0.01, size=shape)
    if method == "xavier":
        return rng.normal(scale=np.sqrt(1.0 / fan_in), size=shape)
    if method == "he":
        return rng.normal(scale=np.sqrt(2.0 / fan_in), size=shape)
    k = min(10, fan_in)
    rows = np.argsort(rng.random(shape), axis=0)[:k]           # k distinct random rows per column
    W = np.zeros(shape)
    np.put_along_axis(W, rows, 0.01 * rng.standard_normal((k, fan_out)), axis=0)
    return W
'''
INIT_PERMUTATION = '''
def weight_init(fan_in, fan_out, method, rng):
    if method not in ("zeros", "small", "xavier", "he", "sparse"):
        raise ValueError(method)
    if method == "sparse":
        W = np.zeros((fan_in, fan_out))
        for j in range(fan_out):
            W[rng.permutation(fan_in)[:10], j] = 0.01 * rng.standard_normal(min(10, fan_in))
        return W
    scale = {"zeros": 0.0, "small": 0.01, "xavier": 1 / np.sqrt(fan_in), "he": np.sqrt(2 / fan_in)}[method]
    return scale * rng.standard_normal((fan_in, fan_out))
'''
L2_SQUARE = '''
def l2_regularization(W, reg):
    return float(reg * np.square(W).sum() / 2), np.multiply(reg, W)
'''
L1_WHERE = '''
def l1_regularization(W, reg):
    dW = np.where(W > 0, reg, np.where(W < 0, -reg, 0.0))
    return reg * np.abs(W).sum(), dW
'''
MAX_NORM_LOOP = '''
def max_norm_project(W, c):
    W_projected = W.copy()
    for j in range(W.shape[1]):
        norm = np.linalg.norm(W[:, j])
        if norm > c:
            W_projected[:, j] *= c / norm
    return W_projected
'''
MAX_NORM_CLIP = '''
def max_norm_project(W, c):
    norms = np.linalg.norm(W, axis=0, keepdims=True)
    return W / np.maximum(norms / c, 1.0)
'''

# The 2021+ CS231n solution (normal draws are the randn draws), with the given lines of our cell.
FC_INIT_CS231N = '''
def __init__(self, hidden_dims, input_dim=3 * 32 * 32, num_classes=10, dropout_keep_ratio=1,
             normalization=None, reg=0.0, weight_scale=1e-2, dtype=np.float32, seed=None):
    self.normalization = normalization
    self.use_dropout = dropout_keep_ratio != 1
    self.reg = reg
    self.num_layers = 1 + len(hidden_dims)
    self.dtype = dtype
    self.params = {}
    for i, (d_in, d_out) in enumerate(zip([input_dim, *hidden_dims], [*hidden_dims, num_classes])):
        self.params[f'W{i+1}'] = np.random.normal(0, weight_scale, (d_in, d_out))
        self.params[f'b{i+1}'] = np.zeros(d_out)
    self.dropout_param = {}
    if self.use_dropout:
        self.dropout_param = {"mode": "train", "p": dropout_keep_ratio}
        if seed is not None:
            self.dropout_param["seed"] = seed
    self.bn_params = []
    for k, v in self.params.items():
        self.params[k] = v.astype(dtype)


FullyConnectedNet.__init__ = __init__
'''
FC_LOSS_CS231N = '''
def loss(self, X, y=None):
    X = X.astype(self.dtype)
    mode = "test" if y is None else "train"
    if self.use_dropout:
        self.dropout_param["mode"] = mode
    cache = {}
    out = X
    for i in range(1, self.num_layers):
        W, b = self.params[f'W{i}'], self.params[f'b{i}']
        out, cache[f'fc{i}'] = affine_forward(out, W, b)
        out, cache[f'relu{i}'] = relu_forward(out)
        if self.use_dropout:
            out, cache[f'drop{i}'] = dropout_forward(out, self.dropout_param)
    L = self.num_layers
    scores, cache[f'fc{L}'] = affine_forward(out, self.params[f'W{L}'], self.params[f'b{L}'])
    if mode == "test":
        return scores
    loss, grads = 0.0, {}
    loss, dout = softmax_loss(scores, y)
    loss += 0.5 * self.reg * sum(np.sum(self.params[f'W{i}'] ** 2) for i in range(1, L + 1))
    dout, dW, db = affine_backward(dout, cache[f'fc{L}'])
    grads[f'W{L}'], grads[f'b{L}'] = dW + self.reg * self.params[f'W{L}'], db
    for i in range(L - 1, 0, -1):
        if self.use_dropout:
            dout = dropout_backward(dout, cache[f'drop{i}'])
        dout = relu_backward(dout, cache[f'relu{i}'])
        dout, dW, db = affine_backward(dout, cache[f'fc{i}'])
        grads[f'W{i}'], grads[f'b{i}'] = dW + self.reg * self.params[f'W{i}'], db
    return loss, grads


FullyConnectedNet.loss = loss
'''

# The CS231n solutions of the update rules (as published for 2021+), under our given setdefault lines.
MOMENTUM_IN_PLACE = '''
def sgd_momentum(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    v = config.get("velocity", np.zeros_like(w))
    next_w = None
    v = config['momentum'] * v - config['learning_rate'] * dw
    w += v                                               # w may be updated in place
    next_w = w
    config["velocity"] = v
    return next_w, config
'''
ADAGRAD_IN_PLACE = '''
def adagrad(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("cache", np.zeros_like(w))
    config["cache"] += dw * dw                           # the config's own state, updated in place
    w -= config["learning_rate"] * dw / (np.sqrt(config["cache"]) + config["epsilon"])   # and w too (allowed)
    return w, config
'''
RMSPROP_CS231N = '''
def rmsprop(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("decay_rate", 0.99)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("cache", np.zeros_like(w))
    next_w = None
    keys = ['learning_rate', 'decay_rate', 'epsilon', 'cache']
    lr, dr, eps, cache = (config.get(key) for key in keys)
    cache = dr * cache + (1 - dr) * dw**2
    next_w = w - lr * dw / (np.sqrt(cache) + eps)
    config['cache'] = cache
    return next_w, config
'''
ADAM_CS231N = '''
def adam(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("m", np.zeros_like(w))
    config.setdefault("v", np.zeros_like(w))
    config.setdefault("t", 0)
    next_w = None
    keys = ['learning_rate', 'beta1', 'beta2', 'epsilon', 'm', 'v', 't']
    lr, beta1, beta2, eps, m, v, t = (config.get(key) for key in keys)
    config['t'] = t = t + 1
    config['m'] = m = beta1 * m + (1 - beta1) * dw
    mt = m / (1 - beta1**t)
    config['v'] = v = beta2 * v + (1 - beta2) * (dw**2)
    vt = v / (1 - beta2**t)
    next_w = w - lr * mt / (np.sqrt(vt) + eps)
    return next_w, config
'''

ALTERNATIVES = {
    (SETUP, "compute_pca"): [("np.linalg.eigh, sorted", PCA_EIGH_SORTED), ("SVD of the centred data", PCA_SVD_OF_DATA),
                             ("np.cov with bias=True", PCA_NP_COV_BIASED)],
    (SETUP, "pca_project"): [("einsum", PROJECT_EINSUM), ("X @ U_k - mean @ U_k", PROJECT_SPLIT)],
    (SETUP, "whiten"): [("multiplies by the reciprocal", WHITEN_RECIPROCAL), ("through pca_project", WHITEN_VIA_PROJECT)],
    (SETUP, "weight_init"): [("rng.normal and an argsort for sparse", INIT_NORMAL_AND_ARGSORT),
                             ("one scale table, permutations for sparse", INIT_PERMUTATION)],
    (SETUP, "l2_regularization"): [("np.square", L2_SQUARE)],
    (SETUP, "l1_regularization"): [("np.where", L1_WHERE)],
    (SETUP, "max_norm_project"): [("a loop over the columns", MAX_NORM_LOOP), ("division by max(norm / c, 1)", MAX_NORM_CLIP)],
    (SETUP, "FullyConnectedNet_init"): [("CS231n, np.random.normal", FC_INIT_CS231N)],
    (SETUP, "FullyConnectedNet_loss"): [("CS231n, separate affine / relu / dropout layers", FC_LOSS_CS231N)],
    (OPTIM, "sgd_momentum"): [("CS231n, w updated in place", MOMENTUM_IN_PLACE)],
    (OPTIM, "adagrad"): [("cache and w updated in place", ADAGRAD_IN_PLACE)],
    (OPTIM, "rmsprop"): [("CS231n", RMSPROP_CS231N)],
    (OPTIM, "adam"): [("CS231n", ADAM_CS231N)],
}
