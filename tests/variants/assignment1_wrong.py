"""Assignment 1: deliberately wrong implementations of every graded function (see variants/__init__.py).

Each is a classic student mistake, or a way to side-step a hidden test.
``WRONG[(notebook, solution grade_id)]`` lists ``(label, source, tests)``: ``tests`` are the hidden
tests (suite names without ``test_``) that it must fail, all of them and only them, for every seed.
"""

ASSIGNMENT = "assignment1"

from autograder.suites.assignment1.mistakes import knn, softmax, svm  # noqa: E402

KNN_TWO_LOOPS_SQUARED = '''
def compute_distances_two_loops(self, X):
    dists = np.zeros((X.shape[0], self.X_train.shape[0]))
    for i in range(X.shape[0]):
        for j in range(self.X_train.shape[0]):
            dists[i, j] = np.sum((X[i] - self.X_train[j]) ** 2)   # forgot the square root
    return dists
KNearestNeighbor.compute_distances_two_loops = compute_distances_two_loops
'''
KNN_TWO_LOOPS_L1 = KNN_TWO_LOOPS_SQUARED.replace("np.sum((X[i] - self.X_train[j]) ** 2)",
                                                 "np.sum(np.abs(X[i] - self.X_train[j]))")
KNN_ONE_LOOP_NO_SQRT = knn.ONE_LOOP_SQUARED   # the instructor's mistake library holds the same source
KNN_ONE_LOOP_TWO_LOOPS = '''
def compute_distances_one_loop(self, X):
    dists = np.zeros((X.shape[0], self.X_train.shape[0]))
    for i in range(X.shape[0]):
        for j in range(self.X_train.shape[0]):
            dists[i, j] = np.sqrt(np.sum((X[i] - self.X_train[j]) ** 2))
    return dists
KNearestNeighbor.compute_distances_one_loop = compute_distances_one_loop
'''
KNN_NO_LOOPS_WITH_NORM = '''
def compute_distances_no_loops(self, X):
    return np.linalg.norm(X[:, None, :] - self.X_train[None, :, :], axis=2)
KNearestNeighbor.compute_distances_no_loops = compute_distances_no_loops
'''
KNN_NO_LOOPS_SIGN = knn.NO_LOOPS_PLUS_2AB   # the instructor's mistake library holds the same source
KNN_VOTE_LARGER_LABEL = '''
def predict_labels(self, dists, k=1):
    y_pred = np.zeros(dists.shape[0], dtype=np.int64)
    for i in range(dists.shape[0]):
        counts = np.bincount(self.y_train[np.argsort(dists[i])[:k]])
        y_pred[i] = len(counts) - 1 - np.argmax(counts[::-1])   # ties go to the larger label
    return y_pred
KNearestNeighbor.predict_labels = predict_labels
'''
KNN_VOTE_IGNORES_K = '''
def predict_labels(self, dists, k=1):
    return self.y_train[np.argmin(dists, axis=1)]          # always k = 1
KNearestNeighbor.predict_labels = predict_labels
'''
KNN_CV_SHUFFLED = knn.CV_SHUFFLED   # the instructor's mistake library holds the same source
KNN_CV_TRAINS_ON_ALL = '''
def cross_validate_knn(X_train, y_train, k_choices, num_folds=5):
    X_folds, y_folds = np.array_split(X_train, num_folds), np.array_split(y_train, num_folds)
    result = {k: [] for k in k_choices}
    knn = KNearestNeighbor()
    knn.train(X_train, y_train)                  # the validation fold is also memorized
    for i in range(num_folds):
        d = knn.compute_distances_no_loops(X_folds[i])
        for k in k_choices:
            result[k].append(float(np.mean(knn.predict_labels(d, k=k) == y_folds[i])))
    return result
'''

SVM_NAIVE_FULL_REG = '''
def svm_loss_naive(W, X, y, reg):
    loss, dW = 0.0, np.zeros(W.shape)
    for i in range(X.shape[0]):
        scores = X[i].dot(W)
        for j in range(W.shape[1]):
            margin = scores[j] - scores[y[i]] + 1
            if j != y[i] and margin > 0:
                loss += margin
                dW[:, j] += X[i]
                dW[:, y[i]] -= X[i]
    loss = loss / X.shape[0] + reg * np.sum(W * W)           # no 0.5
    dW = dW / X.shape[0] + 2 * reg * W
    return loss, dW
'''
SVM_NAIVE_SUMMED = SVM_NAIVE_FULL_REG.replace(
    "loss = loss / X.shape[0] + reg * np.sum(W * W)           # no 0.5\n    dW = dW / X.shape[0] + 2 * reg * W",
    "loss = loss + 0.5 * reg * np.sum(W * W)                  # not averaged\n    dW = dW + reg * W")
SVM_NAIVE_NO_CORRECT_CLASS = svm.NAIVE_NO_CORRECT_CLASS   # the instructor's mistake library holds the same source
SVM_VEC_CALLS_NAIVE = '''
def svm_loss_vectorized(W, X, y, reg):
    return svm_loss_naive(W, X, y, reg)
'''
SVM_VEC_DELTA_ZERO = '''
def svm_loss_vectorized(W, X, y, reg):
    n = X.shape[0]
    scores = X.dot(W)
    margins = np.maximum(0, scores - scores[np.arange(n), y][:, None])   # delta forgotten
    margins[np.arange(n), y] = 0
    loss = margins.sum() / n + 0.5 * reg * np.sum(W * W)
    coeff = (margins > 0).astype(float)
    coeff[np.arange(n), y] = -coeff.sum(axis=1)
    return loss, X.T.dot(coeff) / n + reg * W
'''
TRAIN_FIXED_LR = '''
def train(self, X, y, learning_rate=1e-3, reg=1e-5, num_iters=100, batch_size=200, verbose=False):
    if self.W is None:
        self.W = 0.001 * np.random.randn(X.shape[1], np.max(y) + 1)
    history = []
    for it in range(num_iters):
        idx = np.random.choice(X.shape[0], batch_size)
        loss, grad = self.loss(X[idx], y[idx], reg)
        history.append(loss)
        self.W -= 1e-3 * grad                                  # ignores learning_rate
    return history
LinearClassifier.train = train
'''
TRAIN_FULL_BATCH_NO_REG = '''
def train(self, X, y, learning_rate=1e-3, reg=1e-5, num_iters=100, batch_size=200, verbose=False):
    if self.W is None:
        self.W = 0.001 * np.random.randn(X.shape[1], np.max(y) + 1)
    history = []
    for it in range(num_iters):
        loss, grad = self.loss(X, y, 0.0)                      # whole data set, no regularization
        history.append(loss)
        self.W -= learning_rate * grad
    return history
LinearClassifier.train = train
'''
PREDICT_ARGMIN = svm.PREDICT_ARGMIN   # the instructor's mistake library holds the same source
PREDICT_FLOAT_SCORES = '''
def predict(self, X):
    return np.max(X.dot(self.W), axis=1)                      # scores, not labels
LinearClassifier.predict = predict
'''
SOFTMAX_NAIVE_UNSHIFTED = '''
def softmax_loss_naive(W, X, y, reg):
    loss, dW = 0.0, np.zeros(W.shape)
    for i in range(X.shape[0]):
        scores = X[i].dot(W)
        p = np.exp(scores) / np.sum(np.exp(scores))           # overflows for large scores
        loss -= np.log(p[y[i]])
        p[y[i]] -= 1
        dW += np.outer(X[i], p)
    return loss / X.shape[0] + 0.5 * reg * np.sum(W * W), dW / X.shape[0] + reg * W
'''
SOFTMAX_NAIVE_SUMMED = SOFTMAX_NAIVE_UNSHIFTED.replace(
    "scores = X[i].dot(W)\n", "scores = X[i].dot(W)\n        scores = scores - scores.max()\n").replace(
    "return loss / X.shape[0] + 0.5 * reg * np.sum(W * W), dW / X.shape[0] + reg * W",
    "return loss + 0.5 * reg * np.sum(W * W), dW + reg * W")
SOFTMAX_VEC_UNSHIFTED = softmax.VEC_UNSHIFTED   # the instructor's mistake library holds the same source
SOFTMAX_VEC_FULL_REG = '''
def softmax_loss_vectorized(W, X, y, reg):
    n = X.shape[0]
    s = X.dot(W)
    s = s - s.max(axis=1, keepdims=True)
    p = np.exp(s) / np.exp(s).sum(axis=1, keepdims=True)
    loss = -np.log(p[np.arange(n), y]).mean() + reg * np.sum(W * W)   # no 0.5
    p[np.arange(n), y] -= 1
    return loss, X.T.dot(p) / n + 2 * reg * W
'''

KNN_NO_LOOPS_NO_CLAMP = '''
def compute_distances_no_loops(self, X):
    sq = (X ** 2).sum(axis=1)[:, None] + (self.X_train ** 2).sum(axis=1)[None, :] - 2 * X.dot(self.X_train.T)
    return np.sqrt(sq)                                        # no clamp at 0: NaN for coincident points
KNearestNeighbor.compute_distances_no_loops = compute_distances_no_loops
'''
KNN_NO_LOOPS_NORM_ALIAS = '''
f = np.linalg.norm
def compute_distances_no_loops(self, X):
    return f(X[:, None, :] - self.X_train[None, :, :], axis=2)
KNearestNeighbor.compute_distances_no_loops = compute_distances_no_loops
'''
KNN_NO_LOOPS_CDIST_ALIAS = '''
from scipy.spatial.distance import cdist as _d
def compute_distances_no_loops(self, X):
    return _d(X, self.X_train)
KNearestNeighbor.compute_distances_no_loops = compute_distances_no_loops
'''
KNN_NO_LOOPS_DECOY = '''
def compute_distances_no_loops(self, X):
    return np.sqrt(np.maximum(0, (X ** 2).sum(1)[:, None] + (self.X_train ** 2).sum(1) - 2 * X @ self.X_train.T))

def compute_distances_no_loops(self, X):                      # the decoy above is rebound
    return np.array([[np.sqrt(np.sum((x - t) ** 2)) for t in self.X_train] for x in X])
KNearestNeighbor.compute_distances_no_loops = compute_distances_no_loops
'''
KNN_VOTE_NEAREST_WINS = '''
from collections import Counter
def predict_labels(self, dists, k=1):
    y_pred = np.zeros(dists.shape[0], dtype=np.int64)
    for i in range(dists.shape[0]):
        closest = self.y_train[np.argsort(dists[i])[:k]]
        y_pred[i] = Counter(closest.tolist()).most_common(1)[0][0]   # a tie goes to the nearest label
    return y_pred
KNearestNeighbor.predict_labels = predict_labels
'''
KNN_VOTE_FLOAT_LABELS = '''
def predict_labels(self, dists, k=1):
    y_pred = np.zeros(dists.shape[0])                         # float labels (CS231n starter style)
    for i in range(dists.shape[0]):
        y_pred[i] = np.bincount(self.y_train[np.argsort(dists[i], kind="stable")[:k]]).argmax()
    return y_pred
KNearestNeighbor.predict_labels = predict_labels
'''
SVM_NAIVE_REG_ONLY = '''
def svm_loss_naive(W, X, y, reg):
    return 0.5 * reg * np.sum(W * W), reg * W                 # a stub with only the regularization
'''
SVM_VEC_HELPER_LOOPS = '''
def _margins(scores, y):
    out = np.zeros(scores.shape)
    for i in range(scores.shape[0]):                          # the loop, moved into a helper
        out[i] = np.maximum(0, scores[i] - scores[i, y[i]] + 1)
        out[i, y[i]] = 0
    return out

def svm_loss_vectorized(W, X, y, reg):
    n = X.shape[0]
    margins = _margins(X.dot(W), y)
    coeff = (margins > 0).astype(float)
    coeff[np.arange(n), y] = -coeff.sum(axis=1)
    return margins.sum() / n + 0.5 * reg * np.sum(W * W), X.T.dot(coeff) / n + reg * W
'''
SVM_VEC_ALIAS_NAIVE = '''
_impl = svm_loss_naive
def svm_loss_vectorized(W, X, y, reg):
    return _impl(W, X, y, reg)
'''
SVM_VEC_ZEROES_X_AND_PATCHES = '''
def svm_loss_vectorized(W, X, y, reg):
    n = X.shape[0]
    scores = X.dot(W)
    margins = np.maximum(0, scores - scores[np.arange(n), y][:, None] + 1)
    margins[np.arange(n), y] = 0
    coeff = (margins > 0).astype(float)
    coeff[np.arange(n), y] = -coeff.sum(axis=1)
    loss, dW = margins.sum() / n + 0.5 * reg * np.sum(W * W), X.T.dot(coeff) / n + reg * W
    X *= 0                                                    # destroys the caller's data...
    np.array_equal = lambda *a, **k: True                     # ...and tries to hide it
    return loss, dW
'''
TRAIN_DETECTS_PROBE = '''
def train(self, X, y, learning_rate=1e-3, reg=1e-5, num_iters=100, batch_size=200, verbose=False):
    if self.W is None:
        self.W = 0.001 * np.random.randn(X.shape[1], np.max(y) + 1)
    history = []
    if type(self).__name__ in ("LinearSVM", "Softmax"):       # a real classifier: no training at all
        return [0.0] * num_iters
    for it in range(num_iters):
        idx = np.random.choice(X.shape[0], batch_size)
        loss, grad = self.loss(X[idx], y[idx], reg)
        history.append(loss)
        self.W -= learning_rate * grad
    return history
LinearClassifier.train = train
'''

LOSS_ALL = {"loss_matches", "grad_matches", "half_regularization", "averaged_over_n", "inputs_unchanged"}


def tests_of(name, *suffixes):
    """The names of ``name``'s tests with these suffixes (the suites name them test_<name>_<suffix>)."""
    return {f"{name}_{x}" for x in suffixes}


WRONG = {
    ("knn", "compute_distances_two_loops"): [
        ("no sqrt", KNN_TWO_LOOPS_SQUARED, tests_of("compute_distances_two_loops", "matches", "coincident", "inputs", "structure")),
        ("L1", KNN_TWO_LOOPS_L1, tests_of("compute_distances_two_loops", "matches", "coincident", "inputs", "structure"))],
    ("knn", "compute_distances_one_loop"): [
        ("no sqrt", KNN_ONE_LOOP_NO_SQRT, tests_of("compute_distances_one_loop", "matches", "coincident", "inputs", "structure")),
        ("two loops", KNN_ONE_LOOP_TWO_LOOPS, tests_of("compute_distances_one_loop", "structure"))],
    ("knn", "compute_distances_no_loops"): [
        ("np.linalg.norm", KNN_NO_LOOPS_WITH_NORM, tests_of("compute_distances_no_loops", "structure")),
        ("sign", KNN_NO_LOOPS_SIGN, tests_of("compute_distances_no_loops", "matches", "coincident", "inputs", "structure")),
        ("no clamp at 0", KNN_NO_LOOPS_NO_CLAMP, tests_of("compute_distances_no_loops", "coincident")),
        ("f = np.linalg.norm", KNN_NO_LOOPS_NORM_ALIAS, tests_of("compute_distances_no_loops", "structure")),
        ("cdist as _d", KNN_NO_LOOPS_CDIST_ALIAS, tests_of("compute_distances_no_loops", "structure")),
        ("loop-free decoy, then a loopy def", KNN_NO_LOOPS_DECOY, tests_of("compute_distances_no_loops", "structure"))],
    ("knn", "predict_labels"): [
        ("ties to larger", KNN_VOTE_LARGER_LABEL, {"vote_ties_go_to_smaller_label", "votes_match_reference",
                                                   "votes_types_and_inputs"}),
        ("ignores k", KNN_VOTE_IGNORES_K, {"vote_ties_go_to_smaller_label", "votes_match_reference",
                                           "votes_types_and_inputs", "votes_use_k"}),
        ("Counter.most_common: nearest label wins ties", KNN_VOTE_NEAREST_WINS,
         {"vote_ties_go_to_smaller_label", "votes_match_reference", "votes_types_and_inputs"}),
        ("float labels", KNN_VOTE_FLOAT_LABELS, {"votes_types_and_inputs"})],
    ("knn", "cross_validate_knn"): [
        ("shuffled folds", KNN_CV_SHUFFLED, {"cv_matches_reference", "cv_uneven_folds"}),
        ("trains on all", KNN_CV_TRAINS_ON_ALL, {"cv_matches_reference", "cv_uneven_folds"})],
    ("svm", "svm_loss_naive"): [
        ("no 0.5", SVM_NAIVE_FULL_REG, tests_of("svm_loss_naive", *LOSS_ALL)),
        ("summed", SVM_NAIVE_SUMMED, tests_of("svm_loss_naive", *LOSS_ALL)),
        ("no correct-class term", SVM_NAIVE_NO_CORRECT_CLASS,
         tests_of("svm_loss_naive", *LOSS_ALL - {"loss_matches"}, "correct_class_column")),
        ("only the regularization term", SVM_NAIVE_REG_ONLY,
         tests_of("svm_loss_naive", *LOSS_ALL, "correct_class_column"))],
    ("svm", "svm_loss_vectorized"): [
        ("calls naive", SVM_VEC_CALLS_NAIVE, tests_of("svm_loss_vectorized", "no_python_loops")),
        ("delta 0", SVM_VEC_DELTA_ZERO,
         tests_of("svm_loss_vectorized", *LOSS_ALL, "correct_class_column", "no_python_loops", "cifar_sized")),
        ("loops in a module-level helper", SVM_VEC_HELPER_LOOPS, tests_of("svm_loss_vectorized", "no_python_loops")),
        ("_impl = svm_loss_naive", SVM_VEC_ALIAS_NAIVE, tests_of("svm_loss_vectorized", "no_python_loops")),
        ("X *= 0 and a patched np.array_equal", SVM_VEC_ZEROES_X_AND_PATCHES,
         tests_of("svm_loss_vectorized", "inputs_unchanged"))],
    ("svm", "LinearClassifier_train"): [
        ("fixed lr", TRAIN_FIXED_LR, {"train_initialization", "train_update_rule"}),
        ("full batch, no reg", TRAIN_FULL_BATCH_NO_REG, {"train_minibatches", "train_reg_and_history"}),
        ("trains only the grader's probe", TRAIN_DETECTS_PROBE, {"train_real_classifier"})],
    ("svm", "LinearClassifier_predict"): [
        ("argmin", PREDICT_ARGMIN, {"predict_argmax", "predict_dtype"}),
        ("scores", PREDICT_FLOAT_SCORES, {"predict_argmax", "predict_dtype"})],
    ("softmax", "softmax_loss_naive"): [
        ("unshifted", SOFTMAX_NAIVE_UNSHIFTED, tests_of("softmax_loss_naive", "scores_near_1000")),
        ("summed", SOFTMAX_NAIVE_SUMMED, tests_of("softmax_loss_naive", *LOSS_ALL, "scores_near_1000"))],
    ("softmax", "softmax_loss_vectorized"): [
        ("unshifted", SOFTMAX_VEC_UNSHIFTED, tests_of("softmax_loss_vectorized", "scores_near_1000")),
        ("no 0.5", SOFTMAX_VEC_FULL_REG,
         tests_of("softmax_loss_vectorized", *LOSS_ALL, "no_python_loops", "cifar_sized"))],
}
