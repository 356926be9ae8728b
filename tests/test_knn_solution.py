"""Are the instructor's kNN solutions in knn.ipynb right?

Every answer is compared with an oracle written here, independently of the notebook:
scipy's cdist or a plain-Python float loop for distances, a sort-and-count vote for
predict_labels, and fold boundaries computed by hand for cross-validation. The negative
controls at the end show that the same comparison helpers reject classic mistakes.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.spatial.distance import cdist

from cs231n_lib import paths
from cs231n_lib.notebook_cells import load_notebook_cells

KNN_CELLS = ["knn_imports", "KNearestNeighbor", "compute_distances_two_loops",
             "compute_distances_one_loop", "compute_distances_no_loops", "predict_labels",
             "cross_validate_knn"]
DISTANCE_METHODS = ["compute_distances_two_loops", "compute_distances_one_loop",
                    "compute_distances_no_loops"]
# (num_test, num_train, D): non-square, D = 1, num_test = 1, a single pair, wider data
SHAPES = [(5, 7, 3), (1, 4, 2), (6, 3, 1), (1, 1, 1), (8, 20, 50), (3, 9, 64)]


@pytest.fixture(scope="module")
def knn():
    """The instructor's KNearestNeighbor and cross_validate_knn (no data loaded)."""
    return load_notebook_cells(paths.source_notebook("assignment1", "knn"), KNN_CELLS)


def trained(knn, X_train, y_train=None):
    clf = knn.KNearestNeighbor()
    clf.train(X_train, np.zeros(len(X_train), dtype=np.int64) if y_train is None else y_train)
    return clf


def random_data(seed, num_test, num_train, D):
    """Continuous data with an offset, so no-loop rounding is not trivially exact."""
    rng = np.random.default_rng(seed)
    X_train = rng.normal(3.0, 2.0, (num_train, D))
    X_test = rng.normal(3.0, 2.0, (num_test, D))
    return X_test, X_train


# ---------------------------------------------------------------- oracles and comparison helpers

def loop_oracle(X, X_train):
    """L2 distances with plain Python floats and math.fsum (no numpy arithmetic)."""
    return np.array([[math.sqrt(math.fsum((a - b) ** 2 for a, b in zip(x, t)))
                      for t in X_train.tolist()] for x in X.tolist()])


def assert_distances_close(actual, expected, X, X_train):
    """Same shape, finite, >= 0, and within 1e-6 * (1 + largest row norm) of the oracle."""
    actual = np.asarray(actual)
    assert actual.shape == expected.shape, f"shape {actual.shape}, expected {expected.shape}"
    assert np.all(np.isfinite(actual)), "distances contain NaN or inf"
    assert np.all(actual >= 0), "negative distances"
    scale = max(np.sqrt((X ** 2).sum(axis=1)).max(), np.sqrt((X_train ** 2).sum(axis=1)).max())
    tol = 1e-6 * (1.0 + scale)
    diff = float(np.abs(actual - expected).max())
    assert diff <= tol, f"largest difference to the oracle {diff:.3e} > tolerance {tol:.3e}"


def vote_oracle(dists, y_train, k):
    """Sort by (distance, index), count the k labels, smallest label among the most common."""
    out = []
    for row in np.asarray(dists).tolist():
        nearest = sorted(range(len(row)), key=lambda j: (row[j], j))[:k]
        counts = {}
        for j in nearest:
            counts[int(y_train[j])] = counts.get(int(y_train[j]), 0) + 1
        top = max(counts.values())
        out.append(min(label for label, c in counts.items() if c == top))
    return np.array(out, dtype=np.int64)


def assert_votes_match(predict_labels, dists, y_train, k):
    """predict_labels(dists, k) has shape (num_test,), integer dtype, and equals the oracle."""
    got = predict_labels(dists, k=k)
    want = vote_oracle(dists, y_train, k)
    assert isinstance(got, np.ndarray) and got.shape == want.shape, \
        f"k={k}: shape {getattr(got, 'shape', None)}, expected {want.shape}"
    assert np.issubdtype(got.dtype, np.integer), f"k={k}: dtype {got.dtype} is not an integer type"
    np.testing.assert_array_equal(got, want, err_msg=f"k={k}")


def cv_oracle(X, y, k_choices, num_folds):
    """Fold boundaries by hand (first N % num_folds folds one longer), cdist, oracle vote."""
    n = len(X)
    base, extra = divmod(n, num_folds)
    bounds = [0]
    for i in range(num_folds):
        bounds.append(bounds[-1] + base + (1 if i < extra else 0))
    result = {k: [] for k in k_choices}
    for i in range(num_folds):
        val = np.arange(bounds[i], bounds[i + 1])
        fit = np.r_[0:bounds[i], bounds[i + 1]:n]
        d = cdist(X[val], X[fit])
        for k in k_choices:
            pred = vote_oracle(d, y[fit], k)
            result[k].append(np.count_nonzero(pred == y[val]) / len(val))
    return result


def assert_cv_matches(cross_validate, X, y, k_choices, num_folds):
    got = cross_validate(X, y, k_choices, num_folds=num_folds)
    want = cv_oracle(X, y, k_choices, num_folds)
    assert isinstance(got, dict), f"returned {type(got).__name__}, expected dict"
    assert list(got) == list(k_choices), f"keys {list(got)}, expected {list(k_choices)}"
    for k in k_choices:
        assert len(got[k]) == num_folds, f"k={k}: {len(got[k])} accuracies, expected {num_folds}"
        np.testing.assert_allclose(got[k], want[k], rtol=0, atol=1e-12, err_msg=f"k={k}")


def labeled_clusters(seed, n, D, num_classes=3, noise=1.5):
    """Overlapping clusters, so cross-validation accuracies lie strictly between 0 and 1."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, num_classes, n)
    centers = rng.normal(0.0, 2.0, (num_classes, D))
    return centers[y] + rng.normal(0.0, noise, (n, D)), y.astype(np.int64)


# ---------------------------------------------------------------- distances

@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("method", DISTANCE_METHODS)
def test_distances_match_cdist(knn, method, shape):
    """Does each distance version equal scipy's Euclidean cdist on random data of several shapes?"""
    X, X_train = random_data(sum(shape), *shape)
    dists = getattr(trained(knn, X_train), method)(X)
    assert_distances_close(dists, cdist(X, X_train), X, X_train)
    assert dists.dtype == np.float64


@pytest.mark.parametrize("method", DISTANCE_METHODS)
def test_distances_match_python_float_loop(knn, method):
    """Does each version equal a plain-Python fsum loop on pixel-like values 0..255?"""
    rng = np.random.default_rng(7)
    X_train = rng.integers(0, 256, (9, 12)).astype(np.float64)
    X = rng.integers(0, 256, (4, 12)).astype(np.float64)
    assert_distances_close(getattr(trained(knn, X_train), method)(X), loop_oracle(X, X_train), X, X_train)


@pytest.mark.parametrize("method", DISTANCE_METHODS)
def test_distance_to_itself_is_zero_without_nan(knn, method):
    """Is d(x, x) zero (up to rounding), never NaN or negative, for points far from the origin?"""
    rng = np.random.default_rng(3)
    X_train = rng.normal(1000.0, 1.0, (30, 17))  # large norms, small distances: rounding bites
    dists = getattr(trained(knn, X_train), method)(X_train.copy())
    assert_distances_close(dists, cdist(X_train, X_train), X_train, X_train)


def test_hand_computed_distances(knn):
    """Do all versions give the 3-4-5 / 5-12-13 triangle distances exactly (up to 1e-12)?"""
    X_train = np.array([[0.0, 0.0, 0.0], [3.0, 4.0, 0.0], [3.0, 4.0, 12.0]])
    X = np.array([[0.0, 0.0, 0.0], [3.0, 4.0, 0.0]])
    want = np.array([[0.0, 5.0, 13.0], [5.0, 0.0, 12.0]])
    clf = trained(knn, X_train)
    for method in DISTANCE_METHODS:
        np.testing.assert_allclose(getattr(clf, method)(X), want, rtol=0, atol=1e-12, err_msg=method)


def test_three_versions_agree(knn):
    """Do the one-loop and no-loop matrices agree with the two-loop matrix?"""
    X, X_train = random_data(11, 20, 30, 40)
    clf = trained(knn, X_train)
    two = clf.compute_distances_two_loops(X)
    one = clf.compute_distances_one_loop(X)
    none = clf.compute_distances_no_loops(X)
    np.testing.assert_allclose(one, two, rtol=1e-12, atol=0)
    assert_distances_close(none, two, X, X_train)


@pytest.mark.parametrize("method", DISTANCE_METHODS)
def test_distances_do_not_modify_inputs(knn, method):
    """Do the distance methods leave X and the stored training data untouched?"""
    X, X_train = random_data(5, 6, 8, 4)
    X_before, X_train_before = X.copy(), X_train.copy()
    clf = trained(knn, X_train)
    getattr(clf, method)(X)
    np.testing.assert_array_equal(X, X_before)
    np.testing.assert_array_equal(clf.X_train, X_train_before)


# ---------------------------------------------------------------- predict_labels

@pytest.mark.parametrize("k", [2, 4, 6, 8])
def test_vote_ties_go_to_smaller_label(knn, k):
    """With an even k split between two labels, is the smaller label chosen, even when the larger one is nearer?"""
    y_train = np.array([9, 3] * (k // 2) + [0, 0, 0])  # the nearest k: 9, 3, 9, 3, ...; then three 0s
    clf = trained(knn, np.zeros((len(y_train), 1)), y_train)
    dists = np.arange(1.0, len(y_train) + 1.0)[None, :]
    assert clf.predict_labels(dists, k=k).tolist() == [3]
    assert_votes_match(clf.predict_labels, dists, y_train, k)


def test_three_way_tie_and_majority(knn):
    """Does a three-way tie go to the smallest label, and a clear majority win over a smaller label?"""
    y_train = np.array([6, 4, 5, 6, 4, 5, 1])
    clf = trained(knn, np.zeros((7, 1)), y_train)
    dists = np.array([[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0],    # k=6: 6, 4, 5 twice each -> 4
                      [1.0, 9.0, 9.5, 2.0, 8.0, 8.5, 3.0]])   # k=3: 6, 6, 1 -> 6
    assert clf.predict_labels(dists[:1], k=6).tolist() == [4]
    assert clf.predict_labels(dists[1:], k=3).tolist() == [6]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_predict_labels_matches_independent_vote(knn, seed):
    """For k = 1..7 and k = num_train, does predict_labels equal a sort-and-count vote on random distances?"""
    rng = np.random.default_rng(seed)
    num_test, num_train = 12, 15
    y_train = rng.integers(0, 5, num_train)
    dists = rng.random((num_test, num_train))
    clf = trained(knn, np.zeros((num_train, 1)), y_train)
    for k in [1, 2, 3, 4, 5, 6, 7, num_train]:
        assert_votes_match(clf.predict_labels, dists, y_train, k)


def test_k1_is_the_label_of_the_nearest_point(knn):
    """With k=1, is the prediction the label of the nearest training point?"""
    X, X_train = random_data(21, 25, 40, 6)
    y_train = np.random.default_rng(21).integers(0, 10, 40)
    clf = trained(knn, X_train, y_train)
    dists = cdist(X, X_train)
    np.testing.assert_array_equal(clf.predict_labels(dists, k=1), y_train[dists.argmin(axis=1)])


@pytest.mark.parametrize("num_test", [1, 4])
def test_predict_labels_dtype_and_shape(knn, num_test):
    """Is y_pred an integer array of shape (num_test,), also for a single test point?"""
    y_train = np.array([0, 3, 3, 1])
    clf = trained(knn, np.zeros((4, 1)), y_train)
    y_pred = clf.predict_labels(np.random.default_rng(0).random((num_test, 4)), k=3)
    assert y_pred.shape == (num_test,)
    assert np.issubdtype(y_pred.dtype, np.integer)


def test_predict_labels_does_not_modify_dists(knn):
    """Does predict_labels leave dists and the stored labels untouched?"""
    y_train = np.array([2, 0, 1, 2, 0])
    clf = trained(knn, np.zeros((5, 1)), y_train)
    dists = np.random.default_rng(4).random((3, 5))
    dists_before = dists.copy()
    clf.predict_labels(dists, k=3)
    np.testing.assert_array_equal(dists, dists_before)
    np.testing.assert_array_equal(clf.y_train, [2, 0, 1, 2, 0])


# ---------------------------------------------------------------- the given class

@pytest.mark.parametrize("num_loops", [0, 1, 2])
def test_predict_dispatches_to_every_version(knn, num_loops):
    """Does predict(num_loops=0/1/2) equal the oracle vote on cdist distances?"""
    X_train, y_train = labeled_clusters(8, 40, 5)
    X, _ = labeled_clusters(9, 10, 5)
    clf = trained(knn, X_train, y_train)
    np.testing.assert_array_equal(clf.predict(X, k=3, num_loops=num_loops),
                                  vote_oracle(cdist(X, X_train), y_train, 3))


@pytest.mark.parametrize("bad", [3, -1, "2"])
def test_predict_rejects_bad_num_loops(knn, bad):
    """Does predict raise a ValueError naming an invalid num_loops?"""
    clf = trained(knn, np.zeros((3, 2)), np.array([0, 1, 1]))
    with pytest.raises(ValueError, match=f"Invalid value {bad!r} for num_loops"):
        clf.predict(np.zeros((1, 2)), k=1, num_loops=bad)


def test_untrained_classifier_and_bad_training_data(knn):
    """Does predict before train, and train with mismatched or non-integer labels, fail with a clear error?"""
    clf = knn.KNearestNeighbor()
    assert repr(clf) == "KNearestNeighbor(untrained)"
    with pytest.raises(RuntimeError, match="train"):
        clf.predict(np.zeros((1, 2)))
    with pytest.raises(ValueError, match="flatten"):
        clf.train(np.zeros((3, 2, 2)), np.zeros(3, dtype=np.int64))
    with pytest.raises(ValueError, match=r"shape \(3,\)"):
        clf.train(np.zeros((3, 2)), np.zeros(4, dtype=np.int64))
    with pytest.raises(ValueError, match="integers"):
        clf.train(np.zeros((3, 2)), np.array([0.0, 1.0, 1.0]))
    clf.train(np.zeros((3, 2)), np.array([0, 1, 1]))
    assert repr(clf) == "KNearestNeighbor(num_train=3, D=2, num_classes=2)"


# ---------------------------------------------------------------- cross-validation

@pytest.mark.parametrize("n,num_folds,k_choices", [
    (23, 5, [1, 3, 4, 7]),   # uneven folds: 5, 5, 5, 4, 4
    (30, 3, [10, 1, 2]),     # keys keep the order of k_choices
    (12, 4, [1, 9]),         # k equal to the training size of a run
])
def test_cross_validation_matches_independent_folds(knn, n, num_folds, k_choices):
    """Does cross_validate_knn equal fold-by-fold accuracies computed here from hand-made fold boundaries?"""
    X, y = labeled_clusters(n, n, 4)
    assert_cv_matches(knn.cross_validate_knn, X, y, k_choices, num_folds)


def test_cross_validation_hand_example(knn):
    """Does the 7-point, 3-fold example give the accuracies worked out by hand?"""
    X = np.array([[0.0], [1.0], [2.0], [10.0], [11.0], [3.0], [12.0]])
    y = np.array([0, 0, 1, 1, 1, 0, 1])
    got = knn.cross_validate_knn(X, y, [1, 3], num_folds=3)
    np.testing.assert_allclose(got[1], [2 / 3, 1.0, 0.5], atol=1e-12)
    np.testing.assert_allclose(got[3], [1 / 3, 1.0, 1.0], atol=1e-12)


def test_cross_validation_values_and_inputs(knn):
    """Are the accuracies Python floats in [0, 1], one per fold, with the inputs left untouched?"""
    X, y = labeled_clusters(31, 25, 3)
    X_before, y_before = X.copy(), y.copy()
    result = knn.cross_validate_knn(X, y, [1, 5], num_folds=5)
    for accs in result.values():
        assert len(accs) == 5 and all(isinstance(a, float) and 0.0 <= a <= 1.0 for a in accs)
    np.testing.assert_array_equal(X, X_before)
    np.testing.assert_array_equal(y, y_before)


# ---------------------------------------------------------------- negative controls

def test_distance_helper_catches_wrong_distances(knn):
    """Does the distance comparison reject squared distances, L1, a transposed matrix and NaNs?"""
    X, X_train = random_data(13, 5, 7, 3)
    ref = cdist(X, X_train)
    wrong = {
        "squared (no sqrt)": ref ** 2,
        "L1": cdist(X, X_train, "cityblock"),
        "transposed": cdist(X_train, X),
        "NaN from an unclamped sqrt": np.where(ref == ref.min(), np.nan, ref),
    }
    for name, dists in wrong.items():
        with pytest.raises(AssertionError):
            assert_distances_close(dists, ref, X, X_train)
            pytest.fail(f"not caught: {name}")


def test_unclamped_no_loop_version_is_caught(knn):
    """Does the self-distance data really produce a negative squared distance without the clamp at 0?"""
    rng = np.random.default_rng(3)
    X_train = rng.normal(1000.0, 1.0, (30, 17))  # the data of test_distance_to_itself_is_zero_without_nan
    sq = (X_train ** 2).sum(1)[:, None] - 2 * X_train @ X_train.T + (X_train ** 2).sum(1)
    with np.errstate(invalid="ignore"):
        unclamped = np.sqrt(sq)
    with pytest.raises(AssertionError):
        assert_distances_close(unclamped, cdist(X_train, X_train), X_train, X_train)


def test_vote_helper_catches_larger_label_ties(knn):
    """Does the vote comparison reject a predict_labels that breaks ties toward the larger label?"""
    class LargerLabelWins(knn.KNearestNeighbor):
        def predict_labels(self, dists, k=1):
            nearest = np.argsort(dists, axis=1, kind="stable")[:, :k]
            counts = [np.bincount(self.y_train[row], minlength=10) for row in nearest]
            return np.array([9 - c[::-1].argmax() for c in counts], dtype=np.int64)

    y_train = np.array([9, 3, 0, 0])
    clf = LargerLabelWins()
    clf.train(np.zeros((4, 1)), y_train)
    dists = np.array([[1.0, 2.0, 3.0, 4.0]])
    assert_votes_match(clf.predict_labels, dists, y_train, 1)  # no tie: the wrong version still agrees
    with pytest.raises(AssertionError):
        assert_votes_match(clf.predict_labels, dists, y_train, 2)


def test_fold_helper_catches_strided_folds(knn):
    """Does the cross-validation comparison reject folds taken with a stride instead of in order?"""
    def strided_cross_validate(X, y, k_choices, num_folds=5):
        result = {k: [] for k in k_choices}
        for i in range(num_folds):
            val = np.arange(i, len(X), num_folds)
            fit = np.setdiff1d(np.arange(len(X)), val)
            d = cdist(X[val], X[fit])
            for k in k_choices:
                result[k].append(float(np.mean(vote_oracle(d, y[fit], k) == y[val])))
        return result

    X, y = labeled_clusters(23, 23, 4)
    with pytest.raises(AssertionError):
        assert_cv_matches(strided_cross_validate, X, y, [1, 3, 4, 7], 5)
