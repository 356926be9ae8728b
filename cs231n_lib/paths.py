"""Every path the project uses, built in one place.

Environment variables let an instructor move things without editing code:

- ``CS231N_DATA``: folder that holds datasets (default ``<repo>/data``).
  CIFAR-10 lives in ``<data>/cifar-10-batches-py``.
- ``CS231N_WORKSPACE``: the private course workspace for submissions, the
  gradebook and feedback (default ``<repo>/course_workspace``, git-ignored).
"""
from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
SOURCE_DIR = REPO_ROOT / "source_nb"
RELEASE_DIR = REPO_ROOT / "release"
ASSIGNMENTS_DIR = REPO_ROOT / "assignments"

CIFAR10_FOLDER_NAME = "cifar-10-batches-py"


def data_dir() -> Path:
    """Folder that holds the datasets (``$CS231N_DATA`` or ``<repo>/data``)."""
    return Path(os.environ.get("CS231N_DATA", REPO_ROOT / "data")).expanduser().resolve()


def cifar10_dir() -> Path:
    """Folder with the extracted CIFAR-10 python batches."""
    return data_dir() / CIFAR10_FOLDER_NAME


def workspace_dir() -> Path:
    """Private course workspace (``$CS231N_WORKSPACE`` or ``<repo>/course_workspace``)."""
    return Path(os.environ.get("CS231N_WORKSPACE", REPO_ROOT / "course_workspace")).expanduser().resolve()


def source_notebook(assignment: str, notebook: str) -> Path:
    """Path of an instructor notebook, e.g. ``source_notebook('assignment1', 'svm')``."""
    return SOURCE_DIR / assignment / f"{notebook}.ipynb"


def release_notebook(assignment: str, notebook: str) -> Path:
    """Path of a student notebook in the committed release."""
    return RELEASE_DIR / assignment / f"{notebook}.ipynb"
