"""Known mistakes in assignment1/knn.ipynb (seeded from tests/variants/assignment1_wrong.py).

Each ``Mistake(cell, id, says, source)`` replaces one solution cell; ``says`` is shown to a
student whose function gives exactly the same answers on every input of its hidden tests.
"""
from autograder.engine.diagnosis import Mistake

TWO_LOOPS_SQUARED = '''
def compute_distances_two_loops(self, X):
    dists = np.zeros((X.shape[0], self.X_train.shape[0]))
    for i in range(X.shape[0]):
        for j in range(self.X_train.shape[0]):
            dists[i, j] = np.sum((X[i] - self.X_train[j]) ** 2)
    return dists
KNearestNeighbor.compute_distances_two_loops = compute_distances_two_loops
'''
TWO_LOOPS_L1 = TWO_LOOPS_SQUARED.replace("np.sum((X[i] - self.X_train[j]) ** 2)",
                                         "np.sum(np.abs(X[i] - self.X_train[j]))")
ONE_LOOP_SQUARED = '''
def compute_distances_one_loop(self, X):
    dists = np.zeros((X.shape[0], self.X_train.shape[0]))
    for i in range(X.shape[0]):
        dists[i, :] = np.sum((self.X_train - X[i]) ** 2, axis=1)
    return dists
KNearestNeighbor.compute_distances_one_loop = compute_distances_one_loop
'''
NO_LOOPS_PLUS_2AB = '''
def compute_distances_no_loops(self, X):
    sq = (X ** 2).sum(axis=1)[:, None] + (self.X_train ** 2).sum(axis=1)[None, :] + 2 * X.dot(self.X_train.T)
    return np.sqrt(np.maximum(sq, 0))
KNearestNeighbor.compute_distances_no_loops = compute_distances_no_loops
'''
NO_LOOPS_NO_CLAMP = '''
def compute_distances_no_loops(self, X):
    sq = (X ** 2).sum(axis=1)[:, None] + (self.X_train ** 2).sum(axis=1)[None, :] - 2 * X.dot(self.X_train.T)
    return np.sqrt(sq)
KNearestNeighbor.compute_distances_no_loops = compute_distances_no_loops
'''
VOTE_TIES_TO_LARGER = '''
def predict_labels(self, dists, k=1):
    y_pred = np.zeros(dists.shape[0], dtype=np.int64)
    for i in range(dists.shape[0]):
        counts = np.bincount(self.y_train[np.argsort(dists[i])[:k]])
        y_pred[i] = len(counts) - 1 - np.argmax(counts[::-1])
    return y_pred
KNearestNeighbor.predict_labels = predict_labels
'''
VOTE_IGNORES_K = '''
def predict_labels(self, dists, k=1):
    return self.y_train[np.argmin(dists, axis=1)]
KNearestNeighbor.predict_labels = predict_labels
'''
VOTE_NEAREST_WINS = '''
from collections import Counter
def predict_labels(self, dists, k=1):
    y_pred = np.zeros(dists.shape[0], dtype=np.int64)
    for i in range(dists.shape[0]):
        closest = self.y_train[np.argsort(dists[i])[:k]]
        y_pred[i] = Counter(closest.tolist()).most_common(1)[0][0]
    return y_pred
KNearestNeighbor.predict_labels = predict_labels
'''
VOTE_FLOAT_LABELS = '''
def predict_labels(self, dists, k=1):
    y_pred = np.zeros(dists.shape[0])
    for i in range(dists.shape[0]):
        y_pred[i] = np.bincount(self.y_train[np.argsort(dists[i], kind="stable")[:k]]).argmax()
    return y_pred
KNearestNeighbor.predict_labels = predict_labels
'''
CV_SHUFFLED = '''
def cross_validate_knn(X_train, y_train, k_choices, num_folds=5):
    order = np.random.permutation(len(y_train))
    X_folds, y_folds = np.array_split(X_train[order], num_folds), np.array_split(y_train[order], num_folds)
    result = {k: [] for k in k_choices}
    for i in range(num_folds):
        knn = KNearestNeighbor()
        knn.train(np.concatenate(X_folds[:i] + X_folds[i + 1:]), np.concatenate(y_folds[:i] + y_folds[i + 1:]))
        d = knn.compute_distances_no_loops(X_folds[i])
        for k in k_choices:
            result[k].append(float(np.mean(knn.predict_labels(d, k=k) == y_folds[i])))
    return result
'''
CV_TRAINS_ON_ALL = '''
def cross_validate_knn(X_train, y_train, k_choices, num_folds=5):
    X_folds, y_folds = np.array_split(X_train, num_folds), np.array_split(y_train, num_folds)
    result = {k: [] for k in k_choices}
    knn = KNearestNeighbor()
    knn.train(X_train, y_train)
    for i in range(num_folds):
        d = knn.compute_distances_no_loops(X_folds[i])
        for k in k_choices:
            result[k].append(float(np.mean(knn.predict_labels(d, k=k) == y_folds[i])))
    return result
'''

MISTAKES = [
    Mistake("compute_distances_two_loops", "squared-distance",
            "your distances are the squared L2 distances: the square root "
            "(np.sqrt) of the sum of squared differences is missing",
            TWO_LOOPS_SQUARED),
    Mistake("compute_distances_two_loops", "l1-distance",
            "your distances are L1 (Manhattan) distances, the sum of absolute "
            "differences; the notebook asks for L2: the square root of the sum of squares",
            TWO_LOOPS_L1),
    Mistake("compute_distances_one_loop", "squared-distance",
            "your distances are the squared L2 distances: the square root "
            "(np.sqrt) of the sum of squared differences is missing",
            ONE_LOOP_SQUARED),
    Mistake("compute_distances_no_loops", "plus-2ab",
            "your distances come from ||x||^2 + ||t||^2 + 2 x.t: the cross term "
            "of (x - t)^2 must be subtracted (- 2 * X.dot(X_train.T))",
            NO_LOOPS_PLUS_2AB),
    Mistake("compute_distances_no_loops", "no-clamp",
            "your distances are right except where a test point equals a training "
            "point: rounding makes ||x||^2 + ||t||^2 - 2 x.t slightly negative there, and its "
            "square root is NaN; clamp at 0 first (np.maximum(..., 0))",
            NO_LOOPS_NO_CLAMP),
    Mistake("predict_labels", "ties-to-larger-label",
            "your votes are right except for ties, which you break toward the "
            "larger label; the convention is the smaller label (np.bincount(...).argmax() does it)",
            VOTE_TIES_TO_LARGER),
    Mistake("predict_labels", "ignores-k",
            "your predictions are the label of the single nearest neighbour, "
            "whatever k is: take the k nearest (np.argsort(dists[i])[:k]) and let them vote",
            VOTE_IGNORES_K),
    Mistake("predict_labels", "nearest-label-wins-ties",
            "your votes are right except for ties, which go to the label seen first "
            "among the nearest (Counter.most_common does that); the convention is the smaller label",
            VOTE_NEAREST_WINS),
    Mistake("predict_labels", "float-labels",
            "your labels are right but are floats: np.zeros(num_test) makes a float "
            "array; use np.zeros(num_test, dtype=np.int64)",
            VOTE_FLOAT_LABELS),
    Mistake("cross_validate_knn", "shuffled-folds",
            "your accuracies are what you get when the data is shuffled before it is "
            "split into folds; split X_train in order with np.array_split",
            CV_SHUFFLED),
    Mistake("cross_validate_knn", "validation-fold-in-training",
            "your accuracies are what you get when the classifier is trained on all "
            "of X_train, the validation fold included; train on the other folds only",
            CV_TRAINS_ON_ALL),
]
