"""Hidden suite of assignment1/knn.ipynb: distances, voting, cross-validation."""
import numpy as np

from autograder.engine.suite import graded
from autograder.suites.kit.checks import (as_array, as_dict, as_list, assert_close, assert_does_not_call,
                                          assert_max_loops)

NOTEBOOK = "knn"
SETUP_CELLS = ["knn_imports", "KNearestNeighbor"]
SOLUTION_CELLS = ["compute_distances_two_loops", "predict_labels", "compute_distances_one_loop",
                  "compute_distances_no_loops", "cross_validate_knn"]

SHAPES = [(1, 4, 1), (5, 9, 3), (17, 40, 12), (30, 60, 48)]   # (num_test, num_train, D)
DIST_TOL = 1e-7

# Runs in the worker: cross-validation with the other graded methods replaced by simple correct
# versions, so that a bug in the distances or the vote costs points there and not here.
ORACLE_HELPER = '''
def _grader_cv_with_oracle(X_train, y_train, k_choices, num_folds):
    import numpy
    names = ["compute_distances_two_loops", "compute_distances_one_loop", "compute_distances_no_loops",
             "predict_labels"]
    saved = {n: KNearestNeighbor.__dict__.get(n) for n in names}

    def dists(self, X):
        diff = X[:, None, :] - self.X_train[None, :, :]
        return numpy.sqrt((diff * diff).sum(axis=2))

    def votes(self, dists, k=1):
        out = numpy.empty(dists.shape[0], dtype=numpy.int64)
        for i, row in enumerate(dists):
            values, counts = numpy.unique(self.y_train[numpy.argsort(row, kind="stable")[:k]], return_counts=True)
            out[i] = values[numpy.argmax(counts)]
        return out

    for n in names:
        setattr(KNearestNeighbor, n, votes if n == "predict_labels" else dists)
    try:
        return cross_validate_knn(X_train, y_train, k_choices, num_folds)
    finally:
        for n, f in saved.items():
            setattr(KNearestNeighbor, n, f)
'''


def fitted(module, X_train, y_train):
    knn = module.KNearestNeighbor()
    knn.train(X_train, y_train)
    return knn


def add_distance_tests(method: str, max_loops: int, forbidden: set[str]):
    cell, function = f"test_{method}", f"KNearestNeighbor.{method}"

    def define(weight, fn, suffix, gate=()):
        fn.__name__ = f"test_{method}_{suffix}"
        globals()[fn.__name__] = graded(cell, function, weight, gate=gate)(fn)
        return fn

    def distances(module, X_train, X):
        return getattr(fitted(module, X_train, np.arange(len(X_train)) % 3), method)(X)

    def matches(student, ref, rng):
        """Do the distances match the reference on random data of several shapes (incl. one test point, D = 1)?"""
        for num_test, num_train, D in SHAPES:
            X_train, X = 10 * rng.standard_normal((num_train, D)), 10 * rng.standard_normal((num_test, D))
            got = as_array(distances(student, X_train, X), f"{method}(X)", (num_test, num_train), "f")
            want = ref.KNearestNeighbor.compute_distances_two_loops(fitted(ref, X_train, np.arange(num_train) % 3), X)
            assert_close(got, want, DIST_TOL, "the distances", f"for num_test={num_test}, num_train={num_train}, D={D}")
    define(2, matches, "matches")

    def coincident(student, ref, rng):
        """Are distances between equal and nearly equal points >= 0, about 0, and never NaN?"""
        X_train = 100.0 + 10.0 * rng.standard_normal((40, 30))
        rows = rng.permutation(40)[:24]
        X = X_train[rows].copy()
        X[12:] += 1e-9 * rng.standard_normal((12, 30))          # near-coincident: distance ~ 5e-9
        got = as_array(distances(student, X_train, X), f"{method}(X)", (24, 40), "f")
        assert not np.any(np.isnan(got)), (
            f"{method} returns NaN for points that coincide with training points: rounding can make a "
            "squared distance of 0 slightly negative; clamp it at 0 before the square root")
        assert np.all(got >= 0), f"{method} returns negative distances"
        near = got[np.arange(24), rows]
        assert np.all(near < 1e-3), (f"the distance between a point and its copy should be about 0, "
                                     f"got up to {near.max():.3g}")
        want = ref.KNearestNeighbor.compute_distances_two_loops(fitted(ref, X_train, np.arange(40) % 3), X)
        far = np.ones(got.shape, dtype=bool)
        far[np.arange(24), rows] = False
        assert_close(got[far], want[far], DIST_TOL, "the distances between distinct points", "(coincident-points test)")
    define(1, coincident, "coincident")

    def inputs(student, rng):
        """Are X and the memorized training data left unchanged?"""
        X_train, X = rng.standard_normal((12, 5)), rng.standard_normal((4, 5))
        knn = fitted(student, X_train, np.arange(12) % 3)
        _, after, _ = knn._echo(method, X.copy())
        same = isinstance(after[0], np.ndarray) and after[0].shape == X.shape and np.array_equal(after[0], X)
        assert same, f"{method} changed its input X; work on copies"
        kept = knn._get("X_train")
        same = isinstance(kept, np.ndarray) and kept.shape == X_train.shape and np.array_equal(kept, X_train)
        assert same, f"{method} changed self.X_train; work on copies"
    define(1, inputs, "inputs", gate=matches)

    def structure(source):
        """Does it use the number of loops its name promises, and no library distance function?"""
        assert_max_loops(source, method, max_loops, method)
        assert_does_not_call(source, method, forbidden, method)
    define(1, structure, "structure", gate=matches)


LIBRARY = {"norm", "cdist", "pdist", "distance_matrix", "euclidean_distances", "pairwise_distances"}
add_distance_tests("compute_distances_two_loops", 2, LIBRARY)
add_distance_tests("compute_distances_one_loop", 1, LIBRARY | {"compute_distances_two_loops"})
add_distance_tests("compute_distances_no_loops", 0,
                   LIBRARY | {"compute_distances_two_loops", "compute_distances_one_loop"})

VOTE = "KNearestNeighbor.predict_labels"


def votes(module, y_train, dists, k):
    knn = fitted(module, np.zeros((len(y_train), 1)), y_train)
    return knn.predict_labels(dists, k=k)


@graded("test_predict_labels", VOTE, 2)
def test_votes_match_reference(student, ref, rng):
    """Do the labels match the reference for random distances and k = 1, 2, 3, 5, 8, num_train?"""
    num_test, num_train = 25, 40
    y_train = rng.integers(0, 6, num_train)
    dists = rng.random((num_test, num_train))
    for k in [1, 2, 3, 5, 8, num_train]:
        got = as_array(votes(student, y_train, dists, k), f"predict_labels(dists, k={k})", (num_test,))
        want = votes(ref, y_train, dists, k)
        wrong = int(np.sum(got != want))
        assert wrong == 0, f"with k={k}, {wrong} of {num_test} predicted labels are wrong"


def tie_case(rng, nearest_first):
    """y_train and one row of distances whose k = len(nearest_first) nearest labels are
    ``nearest_first`` (in order of distance), the other training points far away."""
    k, num_train = len(nearest_first), 12
    y_train = np.empty(num_train, dtype=np.int64)
    order = rng.permutation(num_train)
    y_train[order[:k]] = nearest_first
    y_train[order[k:]] = max(nearest_first) + 1 + rng.integers(0, 3, num_train - k)
    dists = np.empty((1, num_train))
    dists[0, order] = np.arange(num_train) + 1.0
    return y_train, dists


@graded("test_predict_labels", VOTE, 1)
def test_vote_ties_go_to_smaller_label(student, rng):
    """Is a tie in the vote broken toward the smaller label (not the nearest, not the larger)?"""
    a, b, c = np.sort(rng.choice(np.arange(1, 20), 3, replace=False))
    for nearest_first, want in [([b, a], a), ([c, b, a], a), ([a, b, b, a], a), ([b, a, a, b], a)]:
        y_train, dists = tie_case(rng, nearest_first)
        got = as_array(votes(student, y_train, dists, len(nearest_first)), "predict_labels(dists, k)", (1,))
        assert int(got[0]) == want, (f"k={len(nearest_first)}: the nearest labels are {[int(v) for v in nearest_first]} "
                                     f"(nearest first), a tie; it should go to the smaller label {want}, got {int(got[0])}")


@graded("test_predict_labels", VOTE, 1)
def test_votes_use_k(student, rng):
    """Is k respected: k = 1 gives the nearest label, k = num_train the overall majority?"""
    y_train = np.array([3] * 7 + [1] * 5)
    dists = rng.random((6, 12))
    dists[:, 8] = -1.0                                        # training point 8 (label 1) is always nearest
    got1 = as_array(votes(student, y_train, dists, 1), "predict_labels(dists, k=1)", (6,))
    assert np.all(got1 == 1), "with k=1 every test point should get the label of its single nearest training point"
    got_all = as_array(votes(student, y_train, dists, 12), "predict_labels(dists, k=12)", (6,))
    assert np.all(got_all == 3), "with k=num_train every test point should get the majority label of all training points"


@graded("test_predict_labels", VOTE, 1, gate=test_votes_match_reference)
def test_votes_types_and_inputs(student, ref, rng):
    """Are the labels integers of shape (num_test,), and is dists left unchanged?"""
    y_train = rng.integers(0, 4, 10)
    dists = rng.random((7, 10))
    knn = fitted(student, np.zeros((10, 1)), y_train)
    got, after, _ = knn._echo("predict_labels", dists.copy(), k=3)
    got = as_array(got, "predict_labels(dists, k=3)", (7,))
    assert got.dtype.kind in "iu", (f"predict_labels returns labels of dtype {got.dtype}; labels are integers "
                                    "(np.zeros(num_test) makes floats: use np.zeros(num_test, dtype=np.int64))")
    same = isinstance(after[0], np.ndarray) and after[0].shape == dists.shape and np.array_equal(after[0], dists)
    assert same, "predict_labels changed dists; work on a copy"


CV = "cross_validate_knn"


def cv_data(rng, n, d=6):
    """Overlapping classes, so that fold accuracies depend on which points are in which fold."""
    centers = 0.7 * rng.standard_normal((3, d))
    y = rng.integers(0, 3, n)
    return centers[y] + rng.standard_normal((n, d)), y


@graded("test_cross_validate_knn", CV, 2)
def test_cv_matches_reference(student, ref, worker, rng):
    """Do the fold accuracies match the reference (with correct distances and votes supplied)?"""
    worker.exec("grader_oracle", ORACLE_HELPER)
    for n, folds, ks in [(53, 5, [1, 3, 7]), (40, 4, [2, 5])]:
        X, y = cv_data(rng, n)
        got = as_dict(student._grader_cv_with_oracle(X, y, ks, folds), "the result of cross_validate_knn", ks)
        want = ref.cross_validate_knn(X, y, ks, folds)
        for k in ks:
            accuracies = as_list(got[k], f"the accuracies for k={k}", folds)
            assert_close(accuracies, want[k], 1e-12, f"the fold accuracies for k={k}",
                         f"(N={n}, num_folds={folds}; folds from np.array_split in order)")


@graded("test_cross_validate_knn", CV, 1)
def test_cv_uneven_folds(student, ref, worker, rng):
    """With N not divisible by num_folds, are the folds those of np.array_split (sizes differ by one)?"""
    worker.exec("grader_oracle", ORACLE_HELPER)
    X, y = cv_data(rng, 23)
    got = as_dict(student._grader_cv_with_oracle(X, y, [1], 4), "the result of cross_validate_knn", [1])
    want = ref.cross_validate_knn(X, y, [1], 4)
    assert_close(as_list(got[1], "the accuracies for k=1", 4), want[1], 1e-12, "the fold accuracies", "(N=23 in 4 folds of sizes 6, 6, 6, 5)")
