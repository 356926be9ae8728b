"""What every nbgrader command of this course does first (called from ``nbgrader_config.py``).

- nbgrader starts ``alembic`` by name when it creates a gradebook (and in ``nbgrader db upgrade``):
  the folder of the running interpreter goes first on PATH, so ``.venv/bin/nbgrader ...`` works
  from a plain shell, without activating the virtualenv.
- The course workspace, its exchange and its ``downloaded/`` folder exist before any command
  needs them (``nbgrader collect`` fails on a missing exchange).
- A new gradebook is made whole in a temporary file and then moved into place, so a failed
  start never leaves a half-made ``gradebook.db``; one left by an older set-up (tables but no
  alembic version) is completed.
- The course plan reaches the gradebook: every released assignment of ``assignments/*.toml`` is
  in it with its due date (so nbgrader computes how late a submission is, and formgrader and
  the export show the date).
- SQLAlchemy's "not in session" warnings, which nbgrader 0.9 triggers on every autograde and
  which change nothing, are not printed.
"""
from __future__ import annotations

import os
import sqlite3
import sys
import warnings
from datetime import timezone
from pathlib import Path

from autograder.engine.assignments import AssignmentError, assignment_names, load_assignment

GRADEBOOK = "gradebook.db"

# How `nbgrader zip_collect` reads who submitted what (FileNameCollectorPlugin.named_regexp). It is
# matched against the path of every file extracted into downloaded/<assignment>/extracted/: the
# notebook must sit in a folder whose name starts with the student id followed by "_", e.g. the
# zip `jdoe_assignment1.zip` that `python -m cs231n_lib.handin assignment1 --student jdoe` makes
# (zip_collect unpacks it into a folder of the same name), or an LMS download that prefixes each
# upload with the student's login (`jdoe_12345_jdoe_assignment1.zip`). Student ids: letters,
# digits, "." and "-".
ZIP_NAME_PATTERN = r".*/(?P<student_id>[A-Za-z0-9][A-Za-z0-9.\-]*)_[^/]*/(?P<file_id>[^/]+\.ipynb)$"


def tools_on_path() -> None:
    """Put the running interpreter's folder (the virtualenv's bin/) first on PATH."""
    bin_dir = os.path.dirname(sys.executable)  # not resolved: a venv's python is a symlink
    parts = os.environ.get("PATH", "").split(os.pathsep)
    if not parts or parts[0] != bin_dir:
        os.environ["PATH"] = os.pathsep.join([bin_dir] + [p for p in parts if p and p != bin_dir])


def quiet_warnings() -> None:
    """Hide SQLAlchemy's harmless "not in session" warnings from nbgrader's gradebook code."""
    try:
        from sqlalchemy.exc import SAWarning
    except ImportError:
        return
    warnings.filterwarnings("ignore", message=r"Object of type <\w+> not in session", category=SAWarning)


def alembic_head() -> str:
    """The alembic revision a current nbgrader gradebook carries (read in-process)."""
    from alembic.script import ScriptDirectory
    from nbgrader.dbutil import ALEMBIC_DIR
    return ScriptDirectory(ALEMBIC_DIR).get_current_head()


def _tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as db:
        return {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def ensure_gradebook(path: Path, log=None) -> str:
    """Make sure ``path`` is a whole nbgrader gradebook; returns what was done:
    ``"ok"``, ``"created"`` or ``"repaired"`` (tables without an alembic version, left by a start
    that failed half way, get the current version)."""
    path = Path(path)
    if path.exists():
        tables = _tables(path)
        if not tables or "alembic_version" in tables:
            return "ok"  # complete, or empty (nbgrader fills an empty file completely)
        with sqlite3.connect(path) as db:
            db.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
            db.execute("INSERT INTO alembic_version (version_num) VALUES (?)", (alembic_head(),))
        if log:
            log(f"{path}: completed a half-made gradebook (it had no alembic version)")
        return "repaired"
    from nbgrader.api import Gradebook
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        with Gradebook(f"sqlite:///{partial}"):
            pass
        os.replace(partial, path)
    finally:
        if partial.exists():
            partial.unlink()
    return "created"


def sync_due_dates(db_path: Path, course_root: Path, log=None) -> dict[str, object]:
    """Put every released assignment of ``<course_root>/assignments/*.toml`` in the gradebook with
    its due date (UTC, as nbgrader stores it). Returns ``{assignment: due}`` of what was written."""
    folder = Path(course_root) / "assignments"
    release = Path(course_root) / "release"
    plan = {}
    for name in assignment_names(folder):
        if not (release / name).is_dir():
            continue  # not released yet: generate_assignment adds it, the next command dates it
        try:
            due = load_assignment(name, folder).due
        except AssignmentError as exc:
            if log:
                log(f"not using the due date of {name}: {exc}")
            continue
        plan[name] = due.astimezone(timezone.utc).replace(tzinfo=None)
    if not plan:
        return {}
    from nbgrader.api import Gradebook, MissingEntry
    written = {}
    with Gradebook(f"sqlite:///{db_path}") as gb:
        for name, due in plan.items():
            try:
                current = gb.find_assignment(name).duedate
            except MissingEntry:
                current = None
            if current != due:
                gb.update_or_create_assignment(name, duedate=due)
                written[name] = due
    return written


def prepare_course(course_root: str, workspace: str, exchange: str, log=None) -> None:
    """Everything above, for the course at ``course_root`` with its private ``workspace``."""
    tools_on_path()
    quiet_warnings()
    for folder in (workspace, exchange, os.path.join(workspace, "downloaded")):
        os.makedirs(folder, exist_ok=True)
    db_path = Path(workspace) / GRADEBOOK
    ensure_gradebook(db_path, log)
    sync_due_dates(db_path, Path(course_root), log)
