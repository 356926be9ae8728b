"""A tiny synthetic CIFAR-10 in the official python-batch format (no network).

Each batch has a different number of images and labels that encode the batch,
so loading batches in the wrong order shows. Image 0 of every batch has one
known pixel, ``KNOWN_RGB[name]`` at (KNOWN_ROW, KNOWN_COL).
"""
from __future__ import annotations

import gzip
import hashlib
import io
import pickle
import tarfile
from pathlib import Path

import numpy as np

FOLDER = "cifar-10-batches-py"
SIZES = {"data_batch_1": 7, "data_batch_2": 5, "data_batch_3": 8,
         "data_batch_4": 6, "data_batch_5": 9, "test_batch": 4}
LABEL_NAMES = ["airplane", "automobile", "bird", "cat", "deer",
               "dog", "frog", "horse", "ship", "truck"]
KNOWN_ROW, KNOWN_COL = 3, 29
KNOWN_RGB = {name: (10 + b, 100 + b, 200 + b) for b, name in enumerate(SIZES)}


def make_batches(seed=0):
    """{file name: dict} for the six batches; data uint8 (n, 3072), labels list of n ints."""
    rng = np.random.default_rng(seed)
    batches = {}
    for b, (name, n) in enumerate(SIZES.items()):
        data = rng.integers(0, 256, size=(n, 3072), dtype=np.uint8)
        for channel, value in enumerate(KNOWN_RGB[name]):  # the documented layout, by hand
            data[0, channel * 1024 + KNOWN_ROW * 32 + KNOWN_COL] = value
        batches[name] = {"batch_label": f"synthetic {name}",
                         "labels": [(b + i) % 10 for i in range(n)],
                         "data": data,
                         "filenames": [f"{name}_{i}.png" for i in range(n)]}
    return batches


def file_bytes(seed=0):
    """{file name: pickled bytes} for the six batches and batches.meta."""
    files = {name: pickle.dumps(batch, protocol=2) for name, batch in make_batches(seed).items()}
    files["batches.meta"] = pickle.dumps(
        {"num_cases_per_batch": 10000, "label_names": LABEL_NAMES, "num_vis": 3072}, protocol=2)
    return files


def write_cifar_folder(root, seed=0):
    """Write the synthetic batches into the folder ``root``; returns make_batches(seed)."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    for name, blob in file_bytes(seed).items():
        (root / name).write_bytes(blob)
    return make_batches(seed)


def make_tarball(seed=0, extra=None, drop=()):
    """Bytes of a cifar-10-python.tar.gz lookalike.

    extra: {member name: bytes} to add; drop: file names to leave out.
    """
    members = {f"{FOLDER}/{name}": blob for name, blob in file_bytes(seed).items() if name not in drop}
    members.update(extra or {})
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, blob in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))
    return gzip.compress(buf.getvalue(), mtime=0)  # same bytes every time


def md5(blob):
    return hashlib.md5(blob).hexdigest()


def file_md5s(seed=0):
    """{file name: md5} of the extracted files."""
    return {name: md5(blob) for name, blob in file_bytes(seed).items()}
