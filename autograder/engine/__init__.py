"""Grading one notebook: read -> identify -> plan -> run -> score (no nbgrader import here).

- :mod:`.grading`: ``grade_notebook``, the entry point of the CLI and the nbgrader plug-in.
- :mod:`.submission`: reading a submission and matching its cells to the source by grade_id.
- :mod:`.suite`: running a hidden suite against the worker (gates, dependencies, fault blame).
- :mod:`.report`: per-test results, points, Gradescope JSON and plain-text feedback.
- :mod:`.assignments`: the course plan (``assignments/*.toml``).
"""
