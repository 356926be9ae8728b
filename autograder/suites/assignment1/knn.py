"""Hidden suite of assignment1/knn.ipynb: distances, voting, cross-validation."""
import numpy as np

from autograder.engine.suite import graded
from autograder.suites.kit.checks import as_array, assert_close, assert_does_not_call, assert_max_loops

NOTEBOOK = "knn"
SETUP_CELLS = ["knn_imports", "KNearestNeighbor"]
SOLUTION_CELLS = ["compute_distances_two_loops", "predict_labels", "compute_distances_one_loop",
                  "compute_distances_no_loops", "cross_validate_knn"]

SHAPES = [(1, 4, 1), (5, 9, 3), (17, 40, 12), (30, 60, 48)]   # (num_test, num_train, D)
DIST_TOL = 1e-7
FORBIDDEN = {"norm", "cdist", "pdist", "distance_matrix", "euclidean_distances"}

# Runs in the worker: does a distance method change X or the memorized training data?
MUTATION_HELPER = '''
def _grader_dist_mutates(method, X_train, y_train, X):
    import numpy
    knn = KNearestNeighbor()
    knn.train(X_train, y_train)
    before = (X.copy(), X_train.copy())
    getattr(knn, method)(X)
    return [bool(not numpy.array_equal(X, before[0])), bool(not numpy.array_equal(knn.X_train, before[1]))]


def _grader_votes_mutate(y_train, dists, k):
    import numpy
    knn = KNearestNeighbor()
    knn.train(numpy.zeros((len(y_train), 1)), y_train)
    before = dists.copy()
    knn.predict_labels(dists, k=k)
    return bool(not numpy.array_equal(dists, before))
'''

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


def add_distance_tests(method: str, max_loops: int):
    cell, function = f"test_{method}", f"KNearestNeighbor.{method}"

    @graded(cell, function, 2)
    def matches(student, ref, rng):
        """Do the distances match the reference on random data of several shapes (incl. one test point, D = 1)?"""
        for num_test, num_train, D in SHAPES:
            X_train, X = 10 * rng.standard_normal((num_train, D)), 10 * rng.standard_normal((num_test, D))
            y_train = rng.integers(0, 3, num_train)
            got = as_array(getattr(fitted(student, X_train, y_train), method)(X), f"{method}(X)",
                           (num_test, num_train), "f")
            want = ref.KNearestNeighbor.compute_distances_two_loops(fitted(ref, X_train, y_train), X)
            assert_close(got, want, DIST_TOL, "the distances", f"for num_test={num_test}, num_train={num_train}, D={D}")

    def require_working(student, ref, rng):
        X_train, X = rng.standard_normal((6, 3)), rng.standard_normal((2, 3))
        got = getattr(fitted(student, X_train, np.arange(6) % 2), method)(X)
        want = ref.KNearestNeighbor.compute_distances_two_loops(fitted(ref, X_train, np.arange(6) % 2), X)
        assert_close(as_array(got, f"{method}(X)", (2, 6), "f"), want, DIST_TOL, "the distances",
                     "on a small problem (checked before this property)")

    @graded(cell, function, 1)
    def inputs(student, ref, worker, rng):
        """Are X and the memorized training data left unchanged?"""
        require_working(student, ref, rng)
        worker.exec("grader_helpers", MUTATION_HELPER)
        X_train, X = rng.standard_normal((12, 5)), rng.standard_normal((4, 5))
        changed_x, changed_train = student._grader_dist_mutates(method, X_train, np.arange(12) % 3, X)
        assert not changed_x, f"{method} changed its input X"
        assert not changed_train, f"{method} changed self.X_train"

    @graded(cell, function, 1)
    def structure(student, ref, source, rng):
        """Does it use the number of loops its name promises, and no library distance function?"""
        require_working(student, ref, rng)
        assert_max_loops(source, method, max_loops, method)
        assert_does_not_call(source, method, FORBIDDEN, method)

    for fn, suffix in [(matches, "matches"), (inputs, "inputs"), (structure, "structure")]:
        fn.__name__ = f"test_{method}_{suffix}"
        globals()[fn.__name__] = fn


add_distance_tests("compute_distances_two_loops", 2)
add_distance_tests("compute_distances_one_loop", 1)
add_distance_tests("compute_distances_no_loops", 0)

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


@graded("test_predict_labels", VOTE, 1)
def test_vote_ties_go_to_smaller_label(student, rng):
    """Is a tie in the vote broken toward the smaller label?"""
    labels = rng.permutation(np.arange(2, 8))                 # six distinct labels
    y_train = np.repeat(labels, 2)                            # each label twice
    order = np.argsort(rng.random(12))
    dists = np.empty((1, 12))
    dists[0, order] = np.arange(12) + 1.0
    for k in [2, 4, 6]:
        nearest = y_train[order[:k]]
        values, counts = np.unique(nearest, return_counts=True)
        want = int(values[counts == counts.max()].min())
        got = as_array(votes(student, y_train, dists, k), "predict_labels(dists, k)", (1,))
        assert int(got[0]) == want, f"k={k}: the votes {sorted(nearest.tolist())} should give label {want}, got {int(got[0])}"


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


@graded("test_predict_labels", VOTE, 1)
def test_votes_types_and_inputs(student, ref, worker, rng):
    """Are the labels integers of shape (num_test,), and is dists left unchanged?"""
    y_train = rng.integers(0, 4, 10)
    dists = rng.random((7, 10))
    got = as_array(votes(student, y_train, dists, 3), "predict_labels(dists, k=3)", (7,), "iu")
    assert np.array_equal(got, votes(ref, y_train, dists, 3)), "predict_labels(dists, k=3) gives wrong labels"
    worker.exec("grader_helpers", MUTATION_HELPER)
    assert not student._grader_votes_mutate(y_train, dists, 3), "predict_labels changed dists"


CV = "cross_validate_knn"


def cv_data(rng, n, d=6):
    centers = 3 * rng.standard_normal((3, d))
    y = rng.integers(0, 3, n)
    return centers[y] + rng.standard_normal((n, d)), y


@graded("test_cross_validate_knn", CV, 2)
def test_cv_matches_reference(student, ref, worker, rng):
    """Do the fold accuracies match the reference (with correct distances and votes supplied)?"""
    worker.exec("grader_oracle", ORACLE_HELPER)
    for n, folds, ks in [(53, 5, [1, 3, 7]), (40, 4, [2, 5])]:
        X, y = cv_data(rng, n)
        got = student._grader_cv_with_oracle(X, y, ks, folds)
        want = ref.cross_validate_knn(X, y, ks, folds)
        assert isinstance(got, dict), f"cross_validate_knn should return a dict, got {type(got).__name__}"
        assert sorted(got) == sorted(ks), f"the keys should be the k_choices {ks}, got {sorted(got)}"
        for k in ks:
            assert len(got[k]) == folds, f"k={k}: expected {folds} accuracies (one per fold), got {len(got[k])}"
            assert_close(got[k], want[k], 1e-12, f"the fold accuracies for k={k}",
                         f"(N={n}, num_folds={folds}; folds from np.array_split in order)")


@graded("test_cross_validate_knn", CV, 1)
def test_cv_uneven_folds(student, ref, worker, rng):
    """With N not divisible by num_folds, are the folds those of np.array_split (sizes differ by one)?"""
    worker.exec("grader_oracle", ORACLE_HELPER)
    X, y = cv_data(rng, 23)
    got = student._grader_cv_with_oracle(X, y, [1], 4)
    want = ref.cross_validate_knn(X, y, [1], 4)
    assert_close(got.get(1, []), want[1], 1e-12, "the fold accuracies", "(N=23 in 4 folds of sizes 6, 6, 6, 5)")
