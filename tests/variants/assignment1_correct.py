"""Assignment 1: correct implementations written differently from the instructor solution, as solution-cell sources.

Each is how a student (or a published CS231n solution) might write the function; every one must
get full marks for every seed. ``ALTERNATIVES[(notebook, solution grade_id)]`` lists (label, source).
"""

ASSIGNMENT = "assignment1"

KNN_TWO_LOOPS_MATH = '''
import math
def compute_distances_two_loops(self, X):
    num_test, num_train = X.shape[0], self.X_train.shape[0]
    dists = np.zeros((num_test, num_train))
    for i in range(num_test):
        for j in range(num_train):
            dists[i][j] = math.sqrt(float(np.square(X[i, :] - self.X_train[j, :]).sum()))
    return dists
KNearestNeighbor.compute_distances_two_loops = compute_distances_two_loops
'''
KNN_ONE_LOOP_ROWS = '''
def compute_distances_one_loop(self, X):
    dists = np.zeros((X.shape[0], self.X_train.shape[0]))
    for i in range(X.shape[0]):
        dists[i, :] = np.sqrt(np.sum(np.square(self.X_train - X[i, :]), axis=1))
    return dists
KNearestNeighbor.compute_distances_one_loop = compute_distances_one_loop
'''
KNN_NO_LOOPS_EINSUM = '''
def compute_distances_no_loops(self, X):
    cross = np.einsum("id,jd->ij", X, self.X_train)
    sq = np.einsum("id,id->i", X, X)[:, None] + np.einsum("jd,jd->j", self.X_train, self.X_train)[None, :] - 2 * cross
    sq[sq < 0] = 0
    return np.sqrt(sq)
KNearestNeighbor.compute_distances_no_loops = compute_distances_no_loops
'''
KNN_VOTE_COUNTER = '''
from collections import Counter
def predict_labels(self, dists, k=1):
    num_test = dists.shape[0]
    y_pred = np.zeros(num_test, dtype=np.int64)
    for i in range(num_test):
        closest_y = list(self.y_train[np.argsort(dists[i])[:k]])
        counts = Counter(closest_y)
        best = max(counts.values())
        y_pred[i] = min(label for label, c in counts.items() if c == best)
    return y_pred
KNearestNeighbor.predict_labels = predict_labels
'''
KNN_CV_SLICES = '''
def cross_validate_knn(X_train, y_train, k_choices, num_folds=5):
    X_folds = np.array_split(X_train, num_folds)
    y_folds = np.array_split(y_train, num_folds)
    k_to_accuracies = {}
    for k in k_choices:
        k_to_accuracies[k] = []
        for fold in range(num_folds):
            X_tr = np.vstack([X_folds[j] for j in range(num_folds) if j != fold])
            y_tr = np.hstack([y_folds[j] for j in range(num_folds) if j != fold])
            classifier = KNearestNeighbor()
            classifier.train(X_tr, y_tr)
            y_pred = classifier.predict(X_folds[fold], k=k)
            k_to_accuracies[k].append(np.sum(y_pred == y_folds[fold]) / len(y_folds[fold]))
    return k_to_accuracies
'''
SVM_NAIVE_CANONICAL = '''
def svm_loss_naive(W, X, y, reg):
    dW = np.zeros(W.shape)
    num_classes = W.shape[1]
    num_train = X.shape[0]
    loss = 0.0
    for i in range(num_train):
        scores = X[i].dot(W)
        correct_class_score = scores[y[i]]
        for j in range(num_classes):
            if j == y[i]:
                continue
            margin = scores[j] - correct_class_score + 1
            if margin > 0:
                loss += margin
                dW[:, j] += X[i]
                dW[:, y[i]] -= X[i]
    loss /= num_train
    dW /= num_train
    loss += 0.5 * reg * np.sum(W * W)
    dW += reg * W
    return loss, dW
'''
SVM_VEC_CANONICAL = '''
def svm_loss_vectorized(W, X, y, reg):
    num_train = X.shape[0]
    scores = X.dot(W)
    correct = scores[np.arange(num_train), y].reshape(-1, 1)
    margins = np.maximum(0, scores - correct + 1)
    margins[np.arange(num_train), y] = 0
    loss = np.sum(margins) / num_train + 0.5 * reg * np.sum(W * W)
    binary = margins
    binary[margins > 0] = 1
    row_sum = np.sum(binary, axis=1)
    binary[np.arange(num_train), y] = -row_sum.T
    dW = np.dot(X.T, binary) / num_train + reg * W
    return loss, dW
'''
TRAIN_CANONICAL = '''
def train(self, X, y, learning_rate=1e-3, reg=1e-5, num_iters=100, batch_size=200, verbose=False):
    num_train, dim = X.shape
    num_classes = np.max(y) + 1
    if self.W is None:
        self.W = 0.001 * np.random.randn(dim, num_classes)
    loss_history = []
    for it in range(num_iters):
        batch_indices = np.random.choice(num_train, batch_size, replace=True)
        X_batch = X[batch_indices]
        y_batch = y[batch_indices]
        loss, grad = self.loss(X_batch, y_batch, reg)
        loss_history.append(loss)
        self.W += -learning_rate * grad
        if verbose and it % 100 == 0:
            print("iteration %d / %d: loss %f" % (it, num_iters, loss))
    return loss_history
LinearClassifier.train = train
'''
PREDICT_CANONICAL = '''
def predict(self, X):
    y_pred = np.zeros(X.shape[0], dtype=np.int64)
    y_pred = np.argmax(X.dot(self.W), axis=1)
    return y_pred
LinearClassifier.predict = predict
'''
SOFTMAX_NAIVE_CANONICAL = '''
def softmax_loss_naive(W, X, y, reg):
    loss = 0.0
    dW = np.zeros_like(W)
    num_train = X.shape[0]
    num_classes = W.shape[1]
    for i in range(num_train):
        scores = X[i].dot(W)
        scores -= np.max(scores)
        p = np.exp(scores) / np.sum(np.exp(scores))
        loss += -np.log(p[y[i]])
        for j in range(num_classes):
            dW[:, j] += (p[j] - (j == y[i])) * X[i]
    loss = loss / num_train + 0.5 * reg * np.sum(W * W)
    dW = dW / num_train + reg * W
    return loss, dW
'''
SOFTMAX_VEC_CANONICAL = '''
def softmax_loss_vectorized(W, X, y, reg):
    num_train = X.shape[0]
    scores = X.dot(W)
    scores -= np.max(scores, axis=1, keepdims=True)
    p = np.exp(scores) / np.sum(np.exp(scores), axis=1, keepdims=True)
    loss = np.sum(-np.log(p[np.arange(num_train), y])) / num_train + 0.5 * reg * np.sum(W * W)
    p[np.arange(num_train), y] -= 1
    dW = X.T.dot(p) / num_train + reg * W
    return loss, dW
'''

ALTERNATIVES = {
    ("knn", "compute_distances_two_loops"): [("math.sqrt per pair", KNN_TWO_LOOPS_MATH)],
    ("knn", "compute_distances_one_loop"): [("row at a time", KNN_ONE_LOOP_ROWS)],
    ("knn", "compute_distances_no_loops"): [("einsum, clamped", KNN_NO_LOOPS_EINSUM)],
    ("knn", "predict_labels"): [("Counter, smallest of the most common", KNN_VOTE_COUNTER)],
    ("knn", "cross_validate_knn"): [("vstack of the other folds", KNN_CV_SLICES)],
    ("svm", "svm_loss_naive"): [("canonical CS231n loops", SVM_NAIVE_CANONICAL)],
    ("svm", "svm_loss_vectorized"): [("canonical CS231n vectorized", SVM_VEC_CANONICAL)],
    ("svm", "LinearClassifier_train"): [("np.random.choice with replacement", TRAIN_CANONICAL)],
    ("svm", "LinearClassifier_predict"): [("argmax of the scores", PREDICT_CANONICAL)],
    ("softmax", "softmax_loss_naive"): [("shifted, -log(p)", SOFTMAX_NAIVE_CANONICAL)],
    ("softmax", "softmax_loss_vectorized"): [("shifted, -log(p)", SOFTMAX_VEC_CANONICAL)],
}
