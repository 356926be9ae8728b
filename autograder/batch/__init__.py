"""Grading at course scale: many submissions at once, on one machine or on a cluster.

- :mod:`.submissions`: finding the submitted notebooks and grouping them per student.
- :mod:`.store`: the crash-safe results store (one file per notebook, written atomically).
- :mod:`.task`: grading one student's submission (the unit of work everywhere), with workers
  forked from a pre-started template.
- :mod:`.pool`: a pool of local grading processes (``python -m autograder grade --jobs N``).
- :mod:`.cluster`: the same on a Dask distributed cluster (``--scheduler tcp://...``).

Layering: this package uses the engine and the sandbox; the CLI, the nbgrader plug-ins and the
tools use it; the engine knows nothing of it.
"""
