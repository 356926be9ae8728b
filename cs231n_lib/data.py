"""Datasets and the assignment-1 preprocessing.

- CIFAR-10 loaders with the CS231n API: ``load_CIFAR_batch``, ``load_CIFAR10``,
  ``get_CIFAR10_data``.
- ``load_dataset()``: CIFAR-10 when it is on disk (``make data``), otherwise
  scikit-learn's bundled 8x8 digits, so every notebook runs offline.
- ``split_dataset`` and the preprocessing helpers (flatten, mean image,
  normalization, bias trick). Statistics always come from the training split,
  and no function modifies its inputs.

Images are float64 arrays of shape (N, H, W, C); labels are int64 arrays (N,).
"""
from __future__ import annotations

import os
import pickle
from dataclasses import dataclass

import numpy as np

from . import paths

CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer",
                   "dog", "frog", "horse", "ship", "truck")
CIFAR10_TRAIN_FILES = tuple(f"data_batch_{b}" for b in range(1, 6))
CIFAR10_BATCH_FILES = CIFAR10_TRAIN_FILES + ("test_batch",)


# --------------------------------------------------------------------------- CIFAR-10

def load_CIFAR_batch(filename):
    """Load one CIFAR-10 python batch.

    Inputs:
    - filename: path of a batch file (a pickled dict with 'data' uint8 (n, 3072),
      each row 1024 red, 1024 green, 1024 blue values of a row-major 32x32 image,
      and 'labels', n ints).

    Returns a tuple of:
    - X: float64 array of shape (n, 32, 32, 3), X[i, row, col, channel].
    - Y: int64 array of shape (n,).
    """
    filename = os.fspath(filename)
    if not os.path.isfile(filename):
        raise FileNotFoundError(f"CIFAR-10 batch not found: {filename} (run 'make data')")
    try:
        with open(filename, "rb") as f:
            batch = pickle.load(f, encoding="latin1")
        batch = {k.decode() if isinstance(k, bytes) else k: v for k, v in batch.items()}
        data = np.asarray(batch["data"], dtype=np.uint8)
        labels = np.asarray(batch["labels"], dtype=np.int64)
    except Exception as e:  # any unpickling or format problem
        raise ValueError(f"{filename} is not a CIFAR-10 python batch ({type(e).__name__}: {e})") from e
    n = len(labels)
    if data.shape != (n, 3 * 32 * 32):
        raise ValueError(f"{filename} is not a CIFAR-10 python batch: "
                         f"data has shape {data.shape}, expected ({n}, 3072)")
    X = data.reshape(n, 3, 32, 32).transpose(0, 2, 3, 1).astype(np.float64)
    return X, labels


def load_CIFAR10(root):
    """Load all of CIFAR-10 from the folder of extracted python batches.

    Inputs:
    - root: folder with data_batch_1 ... data_batch_5 and test_batch.

    Returns a tuple of:
    - Xtr: float64 (50000, 32, 32, 3), batches 1 to 5 in order.
    - Ytr: int64 (50000,).
    - Xte: float64 (10000, 32, 32, 3), the test batch.
    - Yte: int64 (10000,).
    """
    xs, ys = zip(*(load_CIFAR_batch(os.path.join(root, name)) for name in CIFAR10_TRAIN_FILES))
    Xte, Yte = load_CIFAR_batch(os.path.join(root, "test_batch"))
    return np.concatenate(xs), np.concatenate(ys), Xte, Yte


def cifar10_available(root=None):
    """True when all six CIFAR-10 batch files are in ``root``.

    Inputs:
    - root: folder to look in (default: ``paths.cifar10_dir()``).

    Returns:
    - a bool.
    """
    root = paths.cifar10_dir() if root is None else root
    return all(os.path.isfile(os.path.join(root, name)) for name in CIFAR10_BATCH_FILES)


def _check_split_sizes(n_train_available, n_test_available, num_training, num_validation, num_test, what):
    if min(num_training, num_validation, num_test) < 0:
        raise ValueError(f"split sizes must be >= 0, got num_training={num_training}, "
                         f"num_validation={num_validation}, num_test={num_test}")
    if num_training + num_validation > n_train_available:
        raise ValueError(f"asked for num_training={num_training} + num_validation={num_validation} = "
                         f"{num_training + num_validation} images but {what} has only "
                         f"{n_train_available} training images")
    if num_test > n_test_available:
        raise ValueError(f"asked for num_test={num_test} images but {what} has only "
                         f"{n_test_available} test images")


def get_CIFAR10_data(num_training=49000, num_validation=1000, num_test=1000,
                     subtract_mean=True, cifar10_dir=None):
    """Load CIFAR-10 and split it the CS231n way (assignment 2).

    Inputs:
    - num_training: number of training images, the first of the training set.
    - num_validation: the next num_validation training images form the validation set.
    - num_test: the first num_test test images.
    - subtract_mean: subtract the mean image of X_train from every split.
    - cifar10_dir: folder of the batches (default: ``paths.cifar10_dir()``).

    Returns a dict with:
    - 'X_train' (num_training, 3, 32, 32), 'y_train' (num_training,)
    - 'X_val' (num_validation, 3, 32, 32), 'y_val' (num_validation,)
    - 'X_test' (num_test, 3, 32, 32), 'y_test' (num_test,)
    """
    root = paths.cifar10_dir() if cifar10_dir is None else cifar10_dir
    X_train, y_train, X_test, y_test = load_CIFAR10(root)
    _check_split_sizes(len(X_train), len(X_test), num_training, num_validation, num_test,
                       f"CIFAR-10 in {root}")
    val = slice(num_training, num_training + num_validation)
    X_val, y_val = X_train[val], y_train[val]
    X_train, y_train = X_train[:num_training], y_train[:num_training]
    X_test, y_test = X_test[:num_test], y_test[:num_test]
    if subtract_mean:
        mean = X_train.mean(axis=0)
        X_train, X_val, X_test = X_train - mean, X_val - mean, X_test - mean
    to_chw = lambda X: X.transpose(0, 3, 1, 2).copy()
    return {"X_train": to_chw(X_train), "y_train": y_train.copy(),
            "X_val": to_chw(X_val), "y_val": y_val.copy(),
            "X_test": to_chw(X_test), "y_test": y_test.copy()}


# --------------------------------------------------------------------------- Dataset

@dataclass(frozen=True, eq=False, repr=False)
class Dataset:
    """A labelled image dataset: X_* float64 (N, H, W, C), y_* int64 (N,)."""

    name: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple

    @property
    def image_shape(self):
        """(H, W, C) of one image."""
        return tuple(self.X_train.shape[1:])

    def __repr__(self):
        return (f"Dataset({self.name!r}, X_train={self.X_train.shape}, y_train={self.y_train.shape}, "
                f"X_test={self.X_test.shape}, y_test={self.y_test.shape}, "
                f"{len(self.class_names)} classes)")


def load_digits_dataset(num_test=300, seed=0):
    """scikit-learn's bundled 8x8 digits (1797 images, no network needed).

    Inputs:
    - num_test: number of test images; the other 1797 - num_test are training images.
    - seed: seed of the fixed permutation that splits the images.

    Returns:
    - a Dataset named 'digits': X_train (1797 - num_test, 8, 8, 1), X_test (num_test, 8, 8, 1),
      float64 in 0..255 (pixel * 255 / 16); y_train, y_test int64 in 0..9;
      class_names '0' ... '9'.
    """
    from sklearn.datasets import load_digits  # lazy: sklearn is slow to import

    digits = load_digits()
    X = digits.images[..., None].astype(np.float64) * (255.0 / 16.0)
    y = digits.target.astype(np.int64)
    if not 0 < num_test < len(X):
        raise ValueError(f"num_test={num_test} must be between 1 and {len(X) - 1}")
    order = np.random.default_rng(seed).permutation(len(X))
    train, test = order[:len(X) - num_test], order[len(X) - num_test:]
    return Dataset("digits", X[train], y[train], X[test], y[test], tuple(str(d) for d in range(10)))


def load_dataset(root=None, verbose=True):
    """CIFAR-10 when it is on disk, else the bundled digits. Prints one line saying which.

    Inputs:
    - root: CIFAR-10 folder (default: ``paths.cifar10_dir()``).
    - verbose: print the one-line summary.

    Returns:
    - a Dataset: 'cifar10' with X_train (50000, 32, 32, 3), X_test (10000, 32, 32, 3),
      or 'digits' (see ``load_digits_dataset``).
    """
    root = paths.cifar10_dir() if root is None else root
    if cifar10_available(root):
        Xtr, ytr, Xte, yte = load_CIFAR10(root)
        ds = Dataset("cifar10", Xtr, ytr, Xte, yte, CIFAR10_CLASSES)
        line = f"Data: CIFAR-10 from {root} ({len(Xtr)} train / {len(Xte)} test images)"
    else:
        ds = load_digits_dataset()
        h, w, _ = ds.image_shape
        line = (f"Data: CIFAR-10 not found in {root}; using scikit-learn's bundled digits "
                f"({len(ds.X_train)} train / {len(ds.X_test)} test {h}x{w} images). "
                f"Run 'make data' to get CIFAR-10.")
    if verbose:
        print(line)
    return ds


def split_dataset(ds, num_training, num_validation, num_test, num_dev=0, seed=0):
    """Split a Dataset the assignment-1 way.

    Inputs:
    - ds: a Dataset with X_train (N, H, W, C) and X_test (M, H, W, C).
    - num_training: the first num_training training images.
    - num_validation: the next num_validation training images.
    - num_test: the first num_test test images.
    - num_dev: size of a small development set drawn without replacement from the
      train split with ``np.random.default_rng(seed)`` (0: no dev set).
    - seed: seed for the dev draw.

    Returns a dict of copies (ds is never modified) with:
    - 'X_train' (num_training, H, W, C), 'y_train' (num_training,)
    - 'X_val' (num_validation, H, W, C), 'y_val' (num_validation,)
    - 'X_test' (num_test, H, W, C), 'y_test' (num_test,)
    - when num_dev > 0: 'X_dev' (num_dev, H, W, C), 'y_dev' (num_dev,)
    """
    _check_split_sizes(len(ds.X_train), len(ds.X_test), num_training, num_validation, num_test,
                       f"dataset {ds.name!r}")
    if not 0 <= num_dev <= num_training:
        raise ValueError(f"num_dev={num_dev} must be between 0 and num_training={num_training}")
    val = slice(num_training, num_training + num_validation)
    out = {"X_train": ds.X_train[:num_training].copy(), "y_train": ds.y_train[:num_training].copy(),
           "X_val": ds.X_train[val].copy(), "y_val": ds.y_train[val].copy(),
           "X_test": ds.X_test[:num_test].copy(), "y_test": ds.y_test[:num_test].copy()}
    if num_dev > 0:
        dev = np.random.default_rng(seed).choice(num_training, num_dev, replace=False)
        out["X_dev"], out["y_dev"] = ds.X_train[dev], ds.y_train[dev]  # fancy indexing copies
    return out


# --------------------------------------------------------------------------- preprocessing

def _rows(X):
    X = np.asarray(X)
    return X.reshape(X.shape[0], -1)  # a view when possible; callers never write to it


def flatten(X):
    """One row per image.

    Inputs:
    - X: array of shape (N, d1, ..., dk).

    Returns:
    - a new array of shape (N, D), D = d1 * ... * dk (X is not modified).
    """
    return _rows(X).copy()


def mean_image(X_train):
    """Mean of the flattened training images.

    Inputs:
    - X_train: array of shape (N, d1, ..., dk).

    Returns:
    - float64 array of shape (D,).
    """
    return _rows(X_train).mean(axis=0, dtype=np.float64)


def fit_normalization(X_train, eps=1e-8):
    """Per-feature mean and standard deviation of the flattened training images.

    Features whose standard deviation is below ``eps`` (e.g. digits pixels that are
    always 0) get std 1, so they are only centred and never blown up.

    Inputs:
    - X_train: array of shape (N, d1, ..., dk).
    - eps: threshold below which a std counts as zero.

    Returns a tuple of:
    - mean: float64 array of shape (D,).
    - std: float64 array of shape (D,), all entries >= eps.
    """
    X = _rows(X_train)
    std = X.std(axis=0, dtype=np.float64)
    return X.mean(axis=0, dtype=np.float64), np.where(std < eps, 1.0, std)


def append_bias(X):
    """The bias trick: append a column of ones.

    Inputs:
    - X: array of shape (N, D).

    Returns:
    - a new array of shape (N, D + 1) whose last column is 1.
    """
    X = np.asarray(X)
    if X.ndim != 2:
        raise ValueError(f"append_bias expects (N, D), got shape {X.shape}; flatten first")
    return np.hstack([X, np.ones((X.shape[0], 1), dtype=X.dtype)])


def preprocess_splits(splits, normalize=False, bias=True):
    """Flatten, centre (and optionally scale) every X_* with training statistics.

    Inputs:
    - splits: dict with 'X_train' (N, d1, ..., dk) and any other 'X_*' (M, d1, ..., dk)
      and 'y_*' entries (e.g. the output of ``split_dataset``).
    - normalize: also divide by the per-feature std of X_train (see ``fit_normalization``).
    - bias: append a column of ones (the bias trick).

    Returns a tuple of:
    - new_splits: dict with the same keys; every X_* float64 of shape (M, D), or (M, D + 1)
      with bias; other entries copied. ``splits`` is not modified.
    - stats: dict with 'mean' (D,) and, when normalize, 'std' (D,).
    """
    if "X_train" not in splits:
        raise KeyError("preprocess_splits needs an 'X_train' entry")
    if normalize:
        mean, std = fit_normalization(splits["X_train"])
        stats = {"mean": mean, "std": std}
    else:
        mean = mean_image(splits["X_train"])
        stats = {"mean": mean}
    out = {}
    for key, value in splits.items():
        if not key.startswith("X_"):
            out[key] = np.array(value, copy=True)
            continue
        X = _rows(value) - mean  # a new float64 array
        if normalize:
            X /= stats["std"]
        out[key] = append_bias(X) if bias else X
    return out, stats
