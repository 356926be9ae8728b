"""The results store: one JSON file per graded notebook, written atomically, so that a batch
killed at any point (the grader, a Dask worker, the machine) can be run again and grades only
what is missing, duplicating nothing and losing nothing.

Layout (default ``<workspace>/results/<assignment>/``)::

    <student>/<notebook>.json     {"student", "assignment", "notebook", "fingerprint", "seed",
                                   "graded_at", "host", "report": NotebookReport.to_dict()}

A file is written to a temporary name in the same folder, flushed to disk, then renamed over
its final name (``os.replace`` is atomic on POSIX), and the folder is flushed too: a reader sees
the old result, the new one, or none, never half of one. There is exactly one file per
(student, notebook), so grading a notebook twice (a retried Dask task, two runs at once)
replaces a result by an equal one and never adds a second. A result counts as done only for the
same submitted file (``fingerprint``: SHA-256 of its bytes) and the same seed, so a resubmission
or a new seed is graded again.
"""
from __future__ import annotations

import hashlib
import json
import os
import socket
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from autograder.engine.report import NotebookReport

from cs231n_lib import paths

TMP_PREFIX = ".partial-"


def default_dir(assignment: str) -> Path:
    """``<workspace>/results/<assignment>`` (the workspace is ``$CS231N_WORKSPACE``)."""
    return paths.workspace_dir() / "results" / assignment


def fingerprint(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _safe(name: str) -> str:
    if not name or name in (".", "..") or "/" in name or "\0" in name or name.startswith(TMP_PREFIX):
        raise ValueError(f"not usable as a file name in the results store: {name!r}")
    return name


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` by ``text`` so that no reader ever sees a partial file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX, dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


@dataclass
class StoredResult:
    student: str
    assignment: str
    notebook: str
    fingerprint: str
    seed: int | None
    graded_at: str
    host: str
    report: NotebookReport


class ResultStore:
    """The results of one assignment, one file per (student, notebook)."""

    def __init__(self, folder: str | Path, assignment: str):
        self.folder, self.assignment = Path(folder), assignment

    def path(self, student: str, notebook: str) -> Path:
        return self.folder / _safe(student) / f"{_safe(notebook)}.json"

    def save(self, student: str, notebook: str, fingerprint: str, report: NotebookReport | dict) -> Path:
        doc = report.to_dict() if isinstance(report, NotebookReport) else report
        record = {"student": student, "assignment": self.assignment, "notebook": notebook,
                  "fingerprint": fingerprint, "seed": doc.get("seed"),
                  "graded_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "host": socket.gethostname(),
                  "report": doc}
        path = self.path(student, notebook)
        write_atomically(path, json.dumps(record, indent=1, default=str) + "\n")
        return path

    def load(self, student: str, notebook: str) -> StoredResult | None:
        try:
            doc = json.loads(self.path(student, notebook).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return StoredResult(doc["student"], doc["assignment"], doc["notebook"], doc["fingerprint"],
                            doc.get("seed"), doc.get("graded_at", ""), doc.get("host", ""),
                            NotebookReport.from_dict(doc["report"]))

    def is_done(self, student: str, notebook: str, fingerprint: str, seed: int | None) -> bool:
        """Whether this exact file was already graded with this seed."""
        try:
            doc = json.loads(self.path(student, notebook).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        return doc.get("fingerprint") == fingerprint and (seed is None or doc.get("seed") == seed)

    def results(self) -> list[StoredResult]:
        """Every stored result, sorted by student and notebook."""
        out = []
        if not self.folder.is_dir():
            return out
        for student_dir in sorted(p for p in self.folder.iterdir() if p.is_dir()):
            for f in sorted(student_dir.glob("*.json")):
                r = self.load(student_dir.name, f.stem)
                if r is not None:
                    out.append(r)
        return out

    def partial_files(self) -> list[Path]:
        """Temporary files left by a write that was interrupted (never read as results)."""
        return sorted(self.folder.glob(f"*/{TMP_PREFIX}*")) if self.folder.is_dir() else []

    def remove_partial_files(self) -> int:
        found = self.partial_files()
        for p in found:
            try:
                p.unlink()
            except OSError:
                pass
        return len(found)
