"""Assignment 2, training_setup and training_optimization: deliberately wrong implementations.

Each is a classic student mistake, or a pasted solution that lacks a part of our contract.
``WRONG[(notebook, solution grade_id)]`` lists ``(label, source, tests)``: ``tests`` are the hidden
tests (suite names without ``test_``) that it must fail, all of them and only them, for every seed
(see variants/__init__.py). A property test gated on a failing value test is reported "not checked"
and counts as failed, so it is listed too.
"""

ASSIGNMENT = "assignment2"
SETUP, OPTIM = "training_setup", "training_optimization"

# ---- compute_pca -------------------------------------------------------------------------------

PCA_NP_COV = '''
def compute_pca(X):
    mean = X.mean(axis=0)
    cov = np.atleast_2d(np.cov(X.T))                     # divides by N - 1
    U, S, _ = np.linalg.svd(cov)
    return mean, U, S
'''
PCA_NOT_CENTRED = '''
def compute_pca(X):
    mean = X.mean(axis=0)
    cov = X.T.dot(X) / X.shape[0]                        # forgot to subtract the mean
    U, S, _ = np.linalg.svd(cov)
    return mean, U, S
'''
PCA_EIGH_UNSORTED = '''
def compute_pca(X):
    mean = X.mean(axis=0)
    Xc = X - mean
    S, U = np.linalg.eigh(Xc.T.dot(Xc) / X.shape[0])     # ascending order, never reversed
    return mean, U, S
'''
PCA_ROWS = '''
def compute_pca(X):
    mean = X.mean(axis=0)
    Xc = X - mean
    U, S, _ = np.linalg.svd(Xc.T.dot(Xc) / X.shape[0])
    return mean, U.T, S                                  # eigenvectors as rows
'''
PCA_IN_PLACE = '''
def compute_pca(X):
    mean = X.mean(axis=0)
    X -= mean                                            # centres the caller's array
    U, S, _ = np.linalg.svd(X.T.dot(X) / X.shape[0])
    return mean, U, S
'''

# ---- pca_project -------------------------------------------------------------------------------

PROJECT_NO_MEAN = '''
def pca_project(X, mean, U, k):
    return X.dot(U[:, :k])                               # forgot to centre
'''
PROJECT_ROWS = '''
def pca_project(X, mean, U, k):
    return (X - mean).dot(U[:k].T)                       # the first k rows instead of columns
'''
PROJECT_IN_PLACE = '''
def pca_project(X, mean, U, k):
    X -= mean
    return X.dot(U[:, :k])
'''

# ---- whiten ------------------------------------------------------------------------------------

WHITEN_EPS_OUTSIDE = '''
def whiten(X, mean, U, S, eps=1e-5):
    return (X - mean).dot(U) / (np.sqrt(S) + eps)
'''
WHITEN_NO_SQRT = '''
def whiten(X, mean, U, S, eps=1e-5):
    return (X - mean).dot(U) / (S + eps)                 # divides by the variance, not the standard deviation
'''
WHITEN_FIXED_EPS = '''
def whiten(X, mean, U, S, eps=1e-5):
    return (X - mean).dot(U) / np.sqrt(S + 1e-5)         # ignores the eps argument
'''
WHITEN_NO_EPS = '''
def whiten(X, mean, U, S, eps=1e-5):
    with np.errstate(divide="ignore", invalid="ignore"):
        return (X - mean).dot(U) / np.sqrt(S)
'''

# ---- weight_init -------------------------------------------------------------------------------

INIT_TEMPLATE = '''
def weight_init(fan_in, fan_out, method, rng):
    if method not in ("zeros", "small", "xavier", "he", "sparse"):
        raise ValueError(method)
    if method == "zeros":
        return np.zeros((fan_in, fan_out))
    if method == "small":
        return SMALL
    if method == "xavier":
        return XAVIER
    if method == "he":
        return HE
    W = np.zeros((fan_in, fan_out))
    k = min(10, fan_in)
    for j in range(fan_out):
        rows = ROWS
        W[rows, j] = 0.01 * rng.standard_normal(k)
    return W
'''
INIT_PARTS = {"SMALL": "0.01 * rng.standard_normal((fan_in, fan_out))",
              "XAVIER": "rng.standard_normal((fan_in, fan_out)) / np.sqrt(fan_in)",
              "HE": "rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / fan_in)",
              "ROWS": "rng.choice(fan_in, k, replace=False)"}


def weight_init_with(**changes):
    source = INIT_TEMPLATE
    for key, default in INIT_PARTS.items():
        source = source.replace(key, changes.get(key, default))
    return source


INIT_HE_AS_XAVIER = weight_init_with(HE="rng.standard_normal((fan_in, fan_out)) / np.sqrt(fan_in)")   # variance 1/fan_in
INIT_XAVIER_NO_SQRT = weight_init_with(XAVIER="rng.standard_normal((fan_in, fan_out)) / fan_in")
INIT_XAVIER_FAN_OUT = weight_init_with(XAVIER="rng.standard_normal((fan_in, fan_out)) / np.sqrt(fan_out)")
INIT_SPARSE_WITH_REPEATS = weight_init_with(ROWS="rng.integers(0, fan_in, k)")
INIT_SPARSE_FIRST_ROWS = weight_init_with(ROWS="np.arange(k)")
INIT_GLOBAL_RANDOM = weight_init_with(SMALL="0.01 * np.random.randn(fan_in, fan_out)",
                                      ROWS="np.random.choice(fan_in, k, replace=False)")
INIT_SMALL_UNIFORM = weight_init_with(SMALL="0.01 * rng.uniform(-np.sqrt(3), np.sqrt(3), (fan_in, fan_out))")

# ---- regularization ----------------------------------------------------------------------------

L2_NO_HALF = '''
def l2_regularization(W, reg):
    return reg * np.sum(W * W), 2 * reg * W              # the 2017+ CS231n convention
'''
L2_GRAD_TWICE = '''
def l2_regularization(W, reg):
    return 0.5 * reg * np.sum(W * W), 2 * reg * W
'''
L2_IN_PLACE = '''
def l2_regularization(W, reg):
    loss = 0.5 * reg * np.sum(W * W)
    W *= reg                                             # scales the caller's weights
    return loss, W
'''
L1_GRAD_LIKE_L2 = '''
def l1_regularization(W, reg):
    return reg * np.sum(np.abs(W)), reg * W
'''
L1_SIGN_WITHOUT_ZERO = '''
def l1_regularization(W, reg):
    return reg * np.sum(np.abs(W)), reg * np.where(W > 0, 1.0, -1.0)    # -reg where W == 0
'''
L1_NO_ABS = '''
def l1_regularization(W, reg):
    return reg * np.sum(W), reg * np.sign(W)
'''
MAX_NORM_ROWS = '''
def max_norm_project(W, c):
    norms = np.sqrt(np.sum(W * W, axis=1, keepdims=True))   # the rows, not the units' columns
    return W * np.minimum(1.0, c / norms)
'''
MAX_NORM_ALL_COLUMNS = '''
def max_norm_project(W, c):
    return W * (c / np.linalg.norm(W, axis=0))           # every column to norm c, short ones too
'''
MAX_NORM_IN_PLACE = '''
def max_norm_project(W, c):
    norms = np.linalg.norm(W, axis=0)
    W *= np.minimum(1.0, c / norms)
    return W
'''

# ---- FullyConnectedNet -------------------------------------------------------------------------

FC_INIT = '''
def __init__(self, hidden_dims, input_dim=3 * 32 * 32, num_classes=10, dropout_keep_ratio=1,
             normalization=None, reg=0.0, weight_scale=1e-2, dtype=np.float32, seed=None):
    self.normalization = None
    self.use_dropout = dropout_keep_ratio != 1
    self.reg = reg
    self.num_layers = 1 + len(hidden_dims)
    self.dtype = dtype
    self.params = {}
    dims = [input_dim] + list(hidden_dims) + [num_classes]
    for l in range(1, self.num_layers + 1):
        self.params["W%d" % l] = weight_scale * np.random.randn(dims[l - 1], dims[l])
        self.params["b%d" % l] = np.zeros(dims[l])
    self.dropout_param = {}
    if self.use_dropout:
        self.dropout_param = {"mode": "train", "p": dropout_keep_ratio}
        if seed is not None:
            self.dropout_param["seed"] = seed
    for k, v in self.params.items():
        self.params[k] = v.astype(dtype)


FullyConnectedNet.__init__ = __init__
'''
FC_INIT_RANDOM_BIASES = FC_INIT.replace('self.params["b%d" % l] = np.zeros(dims[l])',
                                        'self.params["b%d" % l] = weight_scale * np.random.randn(dims[l])')
FC_INIT_SEEDS = FC_INIT.replace("    self.params = {}\n", "    self.params = {}\n    if seed is not None:\n"
                                "        np.random.seed(seed)                      # the seed is for dropout only\n")
FC_INIT_UNIFORM = FC_INIT.replace("weight_scale * np.random.randn(dims[l - 1], dims[l])",
                                  "weight_scale * np.random.rand(dims[l - 1], dims[l])")

FC_LOSS = '''
def loss(self, X, y=None):
    X = X.astype(self.dtype)
    mode = "test" if y is None else "train"
    if self.use_dropout:
        self.dropout_param["mode"] = mode
    L = self.num_layers
    caches, h = [], X
    for l in range(1, L):
        h, cache = affine_relu_forward(h, self.params["W%d" % l], self.params["b%d" % l])
        drop_cache = None
        if self.use_dropout:
            h, drop_cache = dropout_forward(h, DROPOUT_PARAM)
        caches.append((cache, drop_cache))
    scores, last_cache = affine_forward(h, self.params["W%d" % L], self.params["b%d" % L])
    if mode == "test":
        return scores
    grads = {}
    loss, dscores = softmax_loss(scores, y)
    dh, grads["W%d" % L], grads["b%d" % L] = affine_backward(dscores, last_cache)
    for l in range(L - 1, 0, -1):
        cache, drop_cache = caches[l - 1]
        if self.use_dropout:
            dh = dropout_backward(dh, drop_cache)
        dh, grads["W%d" % l], grads["b%d" % l] = affine_relu_backward(dh, cache)
    for name in self.params:
        if REGULARIZED:
            loss += HALF * self.reg * np.sum(self.params[name] ** 2)
            grads[name] = grads[name] + GRAD * self.reg * self.params[name]
    return loss, grads


FullyConnectedNet.loss = loss
'''
FC_LOSS_PARTS = {"DROPOUT_PARAM": "self.dropout_param", "REGULARIZED": 'name.startswith("W")', "HALF": "0.5",
                 "GRAD": "1.0"}


def fc_loss_with(**changes):
    source = FC_LOSS
    for key, default in FC_LOSS_PARTS.items():
        source = source.replace(key, changes.get(key, default))
    return source


FC_LOSS_FULL_REG = fc_loss_with(HALF="1.0", GRAD="2.0")
FC_LOSS_BIASES_REGULARIZED = fc_loss_with(REGULARIZED="True")
FC_LOSS_UNSEEDED_DROPOUT = fc_loss_with(DROPOUT_PARAM='{"mode": mode, "p": self.dropout_param["p"]}')
FC_LOSS_NO_LAST_RELU = '''
def loss(self, X, y=None):
    X = X.astype(self.dtype)
    mode = "test" if y is None else "train"
    if self.use_dropout:
        self.dropout_param["mode"] = mode
    L = self.num_layers
    caches, h = [], X
    for l in range(1, L):
        if l < L - 1:
            h, cache = affine_relu_forward(h, self.params["W%d" % l], self.params["b%d" % l])
        else:                                            # the last hidden layer without its ReLU
            h, cache = affine_forward(h, self.params["W%d" % l], self.params["b%d" % l])
        drop_cache = None
        if self.use_dropout:
            h, drop_cache = dropout_forward(h, self.dropout_param)
        caches.append((cache, drop_cache))
    scores, last_cache = affine_forward(h, self.params["W%d" % L], self.params["b%d" % L])
    if mode == "test":
        return scores
    grads = {}
    loss, dscores = softmax_loss(scores, y)
    dh, grads["W%d" % L], grads["b%d" % L] = affine_backward(dscores, last_cache)
    for l in range(L - 1, 0, -1):
        cache, drop_cache = caches[l - 1]
        if self.use_dropout:
            dh = dropout_backward(dh, drop_cache)
        backward = affine_relu_backward if l < L - 1 else affine_backward
        dh, grads["W%d" % l], grads["b%d" % l] = backward(dh, cache)
    for l in range(1, L + 1):
        W = self.params["W%d" % l]
        loss += 0.5 * self.reg * np.sum(W * W)
        grads["W%d" % l] += self.reg * W
    return loss, grads


FullyConnectedNet.loss = loss
'''

# ---- update rules ------------------------------------------------------------------------------

MOMENTUM_TEMPLATE = '''
def sgd_momentum(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    v = config.get("velocity", np.zeros_like(w))
BODY
    config["velocity"] = v
    return next_w, config
'''
MOMENTUM_PLUS_SIGN = MOMENTUM_TEMPLATE.replace("BODY", '''    v = config["momentum"] * v + config["learning_rate"] * dw
    next_w = w - v''')
MOMENTUM_OLD_VELOCITY = MOMENTUM_TEMPLATE.replace("BODY", '''    next_w = w + v
    v = config["momentum"] * v - config["learning_rate"] * dw''')
MOMENTUM_FIXED_MU = MOMENTUM_TEMPLATE.replace("BODY", '''    v = 0.9 * v - config["learning_rate"] * dw
    next_w = w + v''')
MOMENTUM_SCALES_DW = MOMENTUM_TEMPLATE.replace("BODY", '''    dw *= config["learning_rate"]                    # scales the caller's gradient
    v = config["momentum"] * v - dw
    next_w = w + v''')

ADAGRAD_TEMPLATE = '''
def adagrad(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("cache", np.zeros_like(w))
BODY
    return next_w, config
'''
ADAGRAD_EPS_INSIDE = ADAGRAD_TEMPLATE.replace("BODY", '''    config["cache"] = config["cache"] + dw ** 2
    next_w = w - config["learning_rate"] * dw / np.sqrt(config["cache"] + config["epsilon"])''')
ADAGRAD_NOT_ACCUMULATED = ADAGRAD_TEMPLATE.replace("BODY", '''    config["cache"] = dw ** 2
    next_w = w - config["learning_rate"] * dw / (np.sqrt(config["cache"]) + config["epsilon"])''')
ADAGRAD_OLD_CACHE = ADAGRAD_TEMPLATE.replace("BODY", '''    next_w = w - config["learning_rate"] * dw / (np.sqrt(config["cache"]) + config["epsilon"])
    config["cache"] = config["cache"] + dw ** 2''')

RMSPROP_TEMPLATE = '''
def rmsprop(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("decay_rate", 0.99)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("cache", np.zeros_like(w))
BODY
    return next_w, config
'''
RMSPROP_EPS_INSIDE = RMSPROP_TEMPLATE.replace("BODY", '''    rho = config["decay_rate"]
    config["cache"] = rho * config["cache"] + (1 - rho) * dw ** 2
    next_w = w - config["learning_rate"] * dw / np.sqrt(config["cache"] + config["epsilon"])''')
RMSPROP_DECAY_SWAPPED = RMSPROP_TEMPLATE.replace("BODY", '''    rho = config["decay_rate"]
    config["cache"] = (1 - rho) * config["cache"] + rho * dw ** 2
    next_w = w - config["learning_rate"] * dw / (np.sqrt(config["cache"]) + config["epsilon"])''')
RMSPROP_CACHE_NOT_STORED = RMSPROP_TEMPLATE.replace("BODY", '''    rho = config["decay_rate"]
    cache = rho * config["cache"] + (1 - rho) * dw ** 2      # never written back to config
    next_w = w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"])''')

ADAM_TEMPLATE = '''
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
BODY
    return next_w, config
'''
ADAM_T_AFTER = ADAM_TEMPLATE.replace("BODY", '''    b1, b2 = config["beta1"], config["beta2"]
    config["m"] = b1 * config["m"] + (1 - b1) * dw
    config["v"] = b2 * config["v"] + (1 - b2) * dw ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        m_hat = config["m"] / (1 - b1 ** config["t"])
        v_hat = config["v"] / (1 - b2 ** config["t"])
        next_w = w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"])
    config["t"] += 1''')
ADAM_NO_CORRECTION = ADAM_TEMPLATE.replace("BODY", '''    b1, b2 = config["beta1"], config["beta2"]
    config["t"] += 1
    config["m"] = b1 * config["m"] + (1 - b1) * dw
    config["v"] = b2 * config["v"] + (1 - b2) * dw ** 2
    next_w = w - config["learning_rate"] * config["m"] / (np.sqrt(config["v"]) + config["epsilon"])''')
ADAM_STORES_CORRECTED = ADAM_TEMPLATE.replace("BODY", '''    b1, b2 = config["beta1"], config["beta2"]
    config["t"] += 1
    config["m"] = (b1 * config["m"] + (1 - b1) * dw) / (1 - b1 ** config["t"])      # corrected m stored
    config["v"] = (b2 * config["v"] + (1 - b2) * dw ** 2) / (1 - b2 ** config["t"])
    next_w = w - config["learning_rate"] * config["m"] / (np.sqrt(config["v"]) + config["epsilon"])''')

PCA_INPUTS = "compute_pca_inputs"
RULE_FAILS = ("one_step", "several_steps", "defaults", "dw_unchanged")


def rule_tests(rule, *names):
    return {f"{rule}_{n}" for n in names}


WRONG = {
    (SETUP, "compute_pca"): [
        ("np.cov (divides by N - 1)", PCA_NP_COV, {"compute_pca_eigenvalues", PCA_INPUTS}),
        ("covariance of the uncentred data", PCA_NOT_CENTRED,
         {"compute_pca_eigenvalues", "compute_pca_eigenvectors", PCA_INPUTS}),
        ("np.linalg.eigh, ascending order", PCA_EIGH_UNSORTED,
         {"compute_pca_eigenvalues", "compute_pca_eigenvectors", PCA_INPUTS}),
        ("eigenvectors as the rows of U", PCA_ROWS, {"compute_pca_eigenvectors"}),
        ("centres X in place", PCA_IN_PLACE, {PCA_INPUTS}),
    ],
    (SETUP, "pca_project"): [
        ("forgets to centre", PROJECT_NO_MEAN, {"pca_project_values", "pca_project_inputs"}),
        ("the first k rows of U", PROJECT_ROWS, {"pca_project_values", "pca_project_inputs"}),
        ("centres X in place", PROJECT_IN_PLACE, {"pca_project_inputs"}),
    ],
    (SETUP, "whiten"): [
        ("np.sqrt(S) + eps", WHITEN_EPS_OUTSIDE, {"whiten_values", "whiten_eps", "whiten_inputs"}),
        ("divides by S + eps (no square root)", WHITEN_NO_SQRT, {"whiten_values", "whiten_eps", "whiten_inputs"}),
        ("no eps at all", WHITEN_NO_EPS, {"whiten_values", "whiten_eps", "whiten_inputs"}),
        ("ignores the eps argument", WHITEN_FIXED_EPS, {"whiten_eps"}),
    ],
    (SETUP, "weight_init"): [
        ("'he' with variance 1 / fan_in", INIT_HE_AS_XAVIER, {"weight_init_he"}),
        ("'xavier' divides by fan_in", INIT_XAVIER_NO_SQRT, {"weight_init_xavier"}),
        ("'xavier' divides by sqrt(fan_out)", INIT_XAVIER_FAN_OUT, {"weight_init_xavier"}),
        ("'sparse' rows drawn with repetition", INIT_SPARSE_WITH_REPEATS, {"weight_init_sparse", "weight_init_uses_rng"}),
        ("'sparse' always the first rows", INIT_SPARSE_FIRST_ROWS, {"weight_init_sparse", "weight_init_uses_rng"}),
        ("numpy's global generator instead of rng", INIT_GLOBAL_RANDOM, {"weight_init_uses_rng"}),
        ("'small' uniform with the right standard deviation", INIT_SMALL_UNIFORM,
         {"weight_init_small", "weight_init_uses_rng"}),
    ],
    (SETUP, "l2_regularization"): [
        ("reg * sum(W**2) (no 0.5)", L2_NO_HALF, {"l2_regularization_values", "l2_regularization_inputs"}),
        ("gradient 2 * reg * W", L2_GRAD_TWICE, {"l2_regularization_values", "l2_regularization_inputs"}),
        ("scales W in place", L2_IN_PLACE, {"l2_regularization_inputs"}),
    ],
    (SETUP, "l1_regularization"): [
        ("gradient reg * W", L1_GRAD_LIKE_L2,
         {"l1_regularization_values", "l1_regularization_zero_subgradient", "l1_regularization_inputs"}),
        ("sign without the 0 at W == 0", L1_SIGN_WITHOUT_ZERO, {"l1_regularization_zero_subgradient"}),
        ("sum(W) without the absolute value", L1_NO_ABS, {"l1_regularization_values", "l1_regularization_inputs"}),
    ],
    (SETUP, "max_norm_project"): [
        ("norms of the rows", MAX_NORM_ROWS, {"max_norm_project_values", "max_norm_project_inputs"}),
        ("every column to norm c", MAX_NORM_ALL_COLUMNS, {"max_norm_project_values", "max_norm_project_inputs"}),
        ("rescales W in place", MAX_NORM_IN_PLACE, {"max_norm_project_inputs"}),
    ],
    (SETUP, "FullyConnectedNet_init"): [
        ("random biases", FC_INIT_RANDOM_BIASES, {"fc_net_init_shapes", "fc_net_init_global_rng"}),
        ("calls np.random.seed(seed)", FC_INIT_SEEDS, {"fc_net_init_global_rng"}),
        ("uniform weights (np.random.rand)", FC_INIT_UNIFORM, {"fc_net_init_scale", "fc_net_init_global_rng"}),
    ],
    (SETUP, "FullyConnectedNet_loss"): [
        ("reg * sum(W**2) (no 0.5)", FC_LOSS_FULL_REG,
         {"fc_net_loss_value", "fc_net_loss_grads", "fc_net_loss_dropout", "fc_net_loss_regularization",
          "fc_net_loss_inputs"}),
        ("biases regularized", FC_LOSS_BIASES_REGULARIZED,
         {"fc_net_loss_value", "fc_net_loss_grads", "fc_net_loss_dropout", "fc_net_loss_regularization",
          "fc_net_loss_inputs"}),
        ("a dropout_param of its own, without the seed", FC_LOSS_UNSEEDED_DROPOUT, {"fc_net_loss_dropout"}),
        ("no ReLU after the last hidden layer", FC_LOSS_NO_LAST_RELU,
         {"fc_net_loss_scores", "fc_net_loss_value", "fc_net_loss_grads", "fc_net_loss_dropout",
          "fc_net_loss_regularization", "fc_net_loss_inputs"}),
    ],
    (OPTIM, "sgd_momentum"): [
        ("velocity with the opposite sign", MOMENTUM_PLUS_SIGN, rule_tests("sgd_momentum", *RULE_FAILS)),
        ("steps with the previous velocity", MOMENTUM_OLD_VELOCITY, rule_tests("sgd_momentum", *RULE_FAILS)),
        ("momentum fixed at 0.9", MOMENTUM_FIXED_MU, rule_tests("sgd_momentum", "one_step", "dw_unchanged")),
        ("scales dw in place", MOMENTUM_SCALES_DW, rule_tests("sgd_momentum", "dw_unchanged")),
    ],
    (OPTIM, "adagrad"): [
        ("epsilon inside the square root", ADAGRAD_EPS_INSIDE, rule_tests("adagrad", "one_step", "dw_unchanged")),
        ("cache not accumulated", ADAGRAD_NOT_ACCUMULATED, rule_tests("adagrad", "one_step", "several_steps", "dw_unchanged")),
        ("steps with the previous cache", ADAGRAD_OLD_CACHE, rule_tests("adagrad", *RULE_FAILS)),
    ],
    (OPTIM, "rmsprop"): [
        ("epsilon inside the square root", RMSPROP_EPS_INSIDE, rule_tests("rmsprop", "one_step", "dw_unchanged")),
        ("decay rate on the wrong term", RMSPROP_DECAY_SWAPPED, rule_tests("rmsprop", *RULE_FAILS)),
        ("cache not stored in config", RMSPROP_CACHE_NOT_STORED, rule_tests("rmsprop", *RULE_FAILS)),
    ],
    (OPTIM, "adam"): [
        ("t incremented after the bias correction", ADAM_T_AFTER, rule_tests("adam", *RULE_FAILS, "first_step")),
        ("no bias correction", ADAM_NO_CORRECTION, rule_tests("adam", *RULE_FAILS, "first_step")),
        ("bias-corrected m and v stored in config", ADAM_STORES_CORRECTED, rule_tests("adam", *RULE_FAILS)),
    ],
}
