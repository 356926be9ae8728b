"""Shared test fixtures: the instructor solutions, loaded from source_nb/ by grade_id."""
from __future__ import annotations

import pytest

from cs231n_lib import paths
from cs231n_lib.notebook_cells import load_notebook_cells

# Code cells that define the graded functions (no data loading, no training, no plots).
SVM_CELLS = ["svm_imports", "svm_loss_naive", "svm_loss_vectorized", "LinearClassifier",
             "LinearSVM", "LinearClassifier_train", "LinearClassifier_predict"]
SOFTMAX_CELLS = ["softmax_imports", "softmax_loss_naive", "softmax_loss_vectorized"]


@pytest.fixture(scope="session")
def svm_solution():
    """The instructor's svm.ipynb definitions, as a module."""
    return load_notebook_cells(paths.source_notebook("assignment1", "svm"), SVM_CELLS)


@pytest.fixture(scope="session")
def softmax_solution():
    """The instructor's softmax.ipynb loss functions, as a module."""
    return load_notebook_cells(paths.source_notebook("assignment1", "softmax"), SOFTMAX_CELLS)
