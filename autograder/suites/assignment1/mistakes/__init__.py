"""Known mistakes of assignment 1, one module per notebook (see autograder/engine/diagnosis.py).

Each module defines ``MISTAKES``: wrong implementations students really write, each with the
words the feedback uses when a submission reproduces it exactly. Grader-side data, never released.
"""
