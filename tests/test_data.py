"""Loaders on a synthetic CIFAR-10 folder, the digits fallback, splits and preprocessing."""
import pickle

import numpy as np
import pytest

from cifar_fixture import KNOWN_COL, KNOWN_RGB, KNOWN_ROW, SIZES, write_cifar_folder
from cs231n_lib import data
from cs231n_lib.data import (Dataset, append_bias, fit_normalization, flatten, get_CIFAR10_data,
                             load_CIFAR10, load_CIFAR_batch, load_dataset, mean_image,
                             preprocess_splits, split_dataset)

TRAIN = [f"data_batch_{b}" for b in range(1, 6)]
N_TRAIN = sum(SIZES[name] for name in TRAIN)
N_TEST = SIZES["test_batch"]


@pytest.fixture
def cifar(tmp_path):
    root = tmp_path / "cifar-10-batches-py"
    return root, write_cifar_folder(root)


def expected_images(raw):
    """Oracle for the layout: X[i, r, c, ch] = data[i, ch * 1024 + r * 32 + c]."""
    i, r, c, ch = np.indices((len(raw), 32, 32, 3))
    return raw[i, ch * 1024 + r * 32 + c].astype(np.float64)


# ---------------------------------------------------------------- CIFAR-10 loaders

def test_load_batch_layout_dtype_and_count(cifar):
    root, batches = cifar
    X, Y = load_CIFAR_batch(root / "data_batch_3")
    n = SIZES["data_batch_3"]
    assert X.shape == (n, 32, 32, 3) and X.dtype == np.float64
    assert Y.shape == (n,) and Y.dtype == np.int64
    assert tuple(X[0, KNOWN_ROW, KNOWN_COL]) == KNOWN_RGB["data_batch_3"]
    np.testing.assert_array_equal(X, expected_images(batches["data_batch_3"]["data"]))
    np.testing.assert_array_equal(Y, batches["data_batch_3"]["labels"])


def test_load_batch_accepts_bytes_keys(tmp_path, cifar):
    _, batches = cifar
    raw = {k.encode(): v for k, v in batches["test_batch"].items()}
    (tmp_path / "b").write_bytes(pickle.dumps(raw, protocol=2))
    X, Y = load_CIFAR_batch(tmp_path / "b")
    assert X.shape == (N_TEST, 32, 32, 3) and list(Y) == batches["test_batch"]["labels"]


def test_load_batch_errors_name_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope"):
        load_CIFAR_batch(tmp_path / "nope")
    bad = tmp_path / "garbage_batch"
    bad.write_bytes(b"this is not a pickle")
    with pytest.raises(ValueError, match="garbage_batch"):
        load_CIFAR_batch(bad)
    wrong = tmp_path / "wrong_shape"
    wrong.write_bytes(pickle.dumps({"data": np.zeros((2, 10), np.uint8), "labels": [0, 1]}))
    with pytest.raises(ValueError, match="wrong_shape"):
        load_CIFAR_batch(wrong)


def test_load_CIFAR10_order(cifar):
    root, batches = cifar
    Xtr, Ytr, Xte, Yte = load_CIFAR10(root)
    assert Xtr.shape == (N_TRAIN, 32, 32, 3) and Xte.shape == (N_TEST, 32, 32, 3)
    np.testing.assert_array_equal(Ytr, np.concatenate([batches[b]["labels"] for b in TRAIN]))
    np.testing.assert_array_equal(Yte, batches["test_batch"]["labels"])
    first = np.cumsum([0] + [SIZES[b] for b in TRAIN])[:-1]  # index of image 0 of each batch
    for start, name in zip(first, TRAIN):
        assert tuple(Xtr[start, KNOWN_ROW, KNOWN_COL]) == KNOWN_RGB[name]
    assert tuple(Xte[0, KNOWN_ROW, KNOWN_COL]) == KNOWN_RGB["test_batch"]


def test_cifar10_available(cifar, tmp_path):
    root, _ = cifar
    assert data.cifar10_available(root)
    assert not data.cifar10_available(tmp_path / "missing")
    (root / "data_batch_4").unlink()
    assert not data.cifar10_available(root)


def test_get_CIFAR10_data(cifar):
    root, batches = cifar
    raw = np.concatenate([expected_images(batches[b]["data"]) for b in TRAIN])
    raw_test = expected_images(batches["test_batch"]["data"])
    nt, nv, ns = N_TRAIN - 6, 4, 3
    d = get_CIFAR10_data(nt, nv, ns, cifar10_dir=root)
    assert d["X_train"].shape == (nt, 3, 32, 32) and d["X_val"].shape == (nv, 3, 32, 32)
    assert d["X_test"].shape == (ns, 3, 32, 32) and d["y_val"].shape == (nv,)
    mean = raw[:nt].mean(axis=0).transpose(2, 0, 1)  # from the training images only
    np.testing.assert_allclose(d["X_val"] + mean, raw[nt:nt + nv].transpose(0, 3, 1, 2))
    np.testing.assert_allclose(d["X_test"] + mean, raw_test[:ns].transpose(0, 3, 1, 2))
    np.testing.assert_allclose(d["X_train"].mean(axis=0), 0, atol=1e-9)
    assert abs(d["X_val"].mean()) > 1e-3  # the val mean was not used
    labels = np.concatenate([batches[b]["labels"] for b in TRAIN])
    np.testing.assert_array_equal(d["y_val"], labels[nt:nt + nv])
    plain = get_CIFAR10_data(nt, nv, ns, subtract_mean=False, cifar10_dir=root)
    np.testing.assert_array_equal(plain["X_train"], raw[:nt].transpose(0, 3, 1, 2))
    with pytest.raises(ValueError, match=str(N_TRAIN)):
        get_CIFAR10_data(N_TRAIN, 1, 1, cifar10_dir=root)


# ---------------------------------------------------------------- datasets

def test_digits_dataset():
    ds = data.load_digits_dataset()
    assert ds.name == "digits" and ds.image_shape == (8, 8, 1)
    assert ds.X_train.shape == (1497, 8, 8, 1) and ds.X_test.shape == (300, 8, 8, 1)
    assert ds.X_train.dtype == np.float64 and ds.y_train.dtype == np.int64
    assert ds.X_train.min() == 0 and ds.X_train.max() == 255
    assert ds.class_names == tuple("0123456789")
    from sklearn.datasets import load_digits
    target = load_digits().target
    np.testing.assert_array_equal(np.sort(np.concatenate([ds.y_train, ds.y_test])), np.sort(target))
    again = data.load_digits_dataset()
    np.testing.assert_array_equal(again.X_test, ds.X_test)
    assert not np.array_equal(data.load_digits_dataset(seed=1).y_test, ds.y_test)
    text = repr(ds)
    assert "digits" in text and "(1497, 8, 8, 1)" in text and len(text) < 200


def test_load_dataset_falls_back_to_digits(tmp_path, capsys):
    ds = load_dataset(tmp_path / "nothing-here")
    lines = capsys.readouterr().out.splitlines()
    assert ds.name == "digits" and len(lines) == 1
    assert "digits" in lines[0] and str(tmp_path / "nothing-here") in lines[0]
    assert "make data" in lines[0]


def test_load_dataset_uses_cifar_when_present(cifar, capsys):
    root, _ = cifar
    ds = load_dataset(root)
    lines = capsys.readouterr().out.splitlines()
    assert ds.name == "cifar10" and ds.image_shape == (32, 32, 3)
    assert ds.X_train.shape[0] == N_TRAIN and ds.class_names == data.CIFAR10_CLASSES
    assert lines == [f"Data: CIFAR-10 from {root} ({N_TRAIN} train / {N_TEST} test images)"]
    load_dataset(root, verbose=False)
    assert capsys.readouterr().out == ""


def test_load_dataset_default_path_comes_from_paths(tmp_path, monkeypatch, capsys):
    write_cifar_folder(tmp_path / "cifar-10-batches-py")
    monkeypatch.setenv("CS231N_DATA", str(tmp_path))
    assert load_dataset().name == "cifar10"
    assert str(tmp_path) in capsys.readouterr().out


# ---------------------------------------------------------------- splits

def toy_dataset(n_train=40, n_test=12):
    """Every image is distinct: image k is filled with the value k (test: 1000 + k)."""
    X = np.arange(n_train, dtype=np.float64)[:, None, None, None] * np.ones((1, 2, 2, 3))
    Xt = 1000 + np.arange(n_test, dtype=np.float64)[:, None, None, None] * np.ones((1, 2, 2, 3))
    return Dataset("toy", X, np.arange(n_train) % 10, Xt, np.arange(n_test) % 10, tuple("abcdefghij"))


def test_split_dataset_sizes_and_slices():
    ds = toy_dataset()
    s = split_dataset(ds, 30, 6, 5, num_dev=8, seed=3)
    assert {k: v.shape[0] for k, v in s.items()} == {
        "X_train": 30, "y_train": 30, "X_val": 6, "y_val": 6, "X_test": 5, "y_test": 5,
        "X_dev": 8, "y_dev": 8}
    ids = {k: s[k][:, 0, 0, 0].astype(int) for k in ("X_train", "X_val", "X_test", "X_dev")}
    assert list(ids["X_train"]) == list(range(30)) and list(ids["X_val"]) == list(range(30, 36))
    assert list(ids["X_test"]) == list(range(1000, 1005))
    assert len(set(ids["X_dev"])) == 8 and set(ids["X_dev"]) <= set(ids["X_train"])
    assert not set(ids["X_dev"]) & set(ids["X_val"])
    np.testing.assert_array_equal(s["y_dev"], ds.y_train[ids["X_dev"]])
    again = split_dataset(ds, 30, 6, 5, num_dev=8, seed=3)
    np.testing.assert_array_equal(again["X_dev"], s["X_dev"])
    assert "X_dev" not in split_dataset(ds, 30, 6, 5)


def test_split_dataset_copies_and_errors():
    ds = toy_dataset()
    before = ds.X_train.copy()
    s = split_dataset(ds, 30, 6, 5, num_dev=4)
    for value in s.values():
        assert not any(np.shares_memory(value, a) for a in (ds.X_train, ds.y_train, ds.X_test, ds.y_test))
    s["X_train"] += 1
    np.testing.assert_array_equal(ds.X_train, before)
    with pytest.raises(ValueError, match="35.*6.*41.*40"):
        split_dataset(ds, 35, 6, 5)
    with pytest.raises(ValueError, match="13.*12"):
        split_dataset(ds, 30, 6, 13)
    with pytest.raises(ValueError, match="num_dev=31"):
        split_dataset(ds, 30, 6, 5, num_dev=31)


# ---------------------------------------------------------------- preprocessing

def test_flatten_mean_bias():
    X = np.arange(24, dtype=np.float64).reshape(2, 2, 2, 3)
    F = flatten(X)
    assert F.shape == (2, 12) and not np.shares_memory(F, X)
    np.testing.assert_array_equal(F[1], np.arange(12, 24))
    np.testing.assert_array_equal(mean_image(X), np.arange(6, 18))
    B = append_bias(F)
    assert B.shape == (2, 13) and np.all(B[:, -1] == 1)
    np.testing.assert_array_equal(B[:, :-1], F)
    with pytest.raises(ValueError):
        append_bias(X)


def test_fit_normalization_constant_features():
    X = np.zeros((5, 3))
    X[:, 1] = [1, 2, 3, 4, 5]
    mean, std = fit_normalization(X)
    np.testing.assert_allclose(mean, [0, 3, 0])
    np.testing.assert_allclose(std, [1, np.std([1, 2, 3, 4, 5]), 1])


def make_splits(seed=0):
    rng = np.random.default_rng(seed)
    return {"X_train": rng.normal(2.0, 3.0, size=(50, 4, 4, 3)), "y_train": rng.integers(0, 10, 50),
            "X_val": rng.normal(7.0, 3.0, size=(20, 4, 4, 3)), "y_val": rng.integers(0, 10, 20),
            "X_test": rng.normal(-4.0, 3.0, size=(10, 4, 4, 3)), "y_test": rng.integers(0, 10, 10)}


def test_preprocess_splits_uses_train_statistics_only():
    splits = make_splits()
    copies = {k: v.copy() for k, v in splits.items()}
    out, stats = preprocess_splits(splits)
    for k, v in splits.items():  # inputs untouched
        np.testing.assert_array_equal(v, copies[k])
    assert out["X_train"].shape == (50, 49) and out["X_val"].shape == (20, 49)
    assert np.all(out["X_test"][:, -1] == 1)
    train_mean = splits["X_train"].reshape(50, -1).mean(axis=0)
    np.testing.assert_allclose(stats["mean"], train_mean)
    np.testing.assert_allclose(out["X_train"][:, :-1].mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(out["X_val"][:, :-1], splits["X_val"].reshape(20, -1) - train_mean)
    assert out["X_val"][:, :-1].mean() > 3 and out["X_test"][:, :-1].mean() < -3
    np.testing.assert_array_equal(out["y_val"], splits["y_val"])
    assert "std" not in stats


def test_preprocess_splits_normalize_without_bias():
    splits = make_splits()
    out, stats = preprocess_splits(splits, normalize=True, bias=False)
    assert out["X_train"].shape == (50, 48)
    np.testing.assert_allclose(out["X_train"].std(axis=0), 1, rtol=1e-10)
    np.testing.assert_allclose(stats["std"], splits["X_train"].reshape(50, -1).std(axis=0))
    assert abs(out["X_val"].std(axis=0).mean() - 1) < 0.5 and out["X_val"].mean() > 1
