"""Support code for the cs231n-workbook notebooks.

Data loading (``data``, ``download``), gradient checking (``gradient_check``),
plotting (``vis``, imported on demand), timing and notebook-cell loading.
This package never contains the solution of a graded function.

Shape glossary used in every docstring:
N examples, D input dimension, C classes, H/W image height/width,
F filters, HH/WW filter height/width, H'/W' output height/width.
"""
from .gradient_check import (  # noqa: F401
    eval_numerical_gradient,
    eval_numerical_gradient_array,
    grad_check_sparse,
    rel_error,
)
