"""The contained worker: where student code runs, and the only way the grader talks to it.

- :mod:`.launcher`: the grader side (``Worker``, ``Limits``): start, call, time limits, stop.
- :mod:`.worker`: the worker process itself (``python -m autograder.sandbox.worker``).
- :mod:`.template`, :mod:`.template_process`: workers forked from a pre-started, pre-imported
  template in one submission's sandbox (the grader side and the process in the sandbox).
- :mod:`.protocol`: the plain-data wire format; decoding is the security gate.
- :mod:`.processes`: the process table and the killing of a worker's whole tree.
- :mod:`.containment`: which kernel layers contain the worker (bubblewrap namespaces,
  Landlock) and ``python -m autograder doctor``; :mod:`.landlock`: the Landlock binding.

This package knows nothing of grading: it runs code and moves plain data.
"""
from .containment import ContainmentUnavailable
from .launcher import REPO_ROOT, TOKEN_VAR, ExecResult, Limits, StudentError, Worker, WorkerFailed

__all__ = ["REPO_ROOT", "TOKEN_VAR", "ContainmentUnavailable", "ExecResult", "Limits",
           "StudentError", "Worker", "WorkerFailed"]
