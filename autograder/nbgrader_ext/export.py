"""``nbgrader export`` with a ``status`` column, so that no ungraded submission passes for a 0.

Configuration (in the repo's ``nbgrader_config.py``)::

    c.ExportApp.plugin_class = "autograder.nbgrader_ext.export.StatusCsvExportPlugin"

The CSV (``<workspace>/grades.csv`` unless ``--to`` names another file) has nbgrader's usual
columns (assignment, duedate, timestamp, student_id, last_name, first_name, email, raw_score,
late_submission_penalty, score, max_score) plus ``status``:

- ``complete``: every submitted notebook was autograded and every written answer graded by hand;
- ``autograded, written answers pending``: the autograded points are final, the written answers
  (graded in formgrader) are not graded yet; the score counts them as 0 so far;
- ``needs manual grade: <notebook>: <reason>``: the autograder could not grade some cells
  (unreadable file, grader error, a cell no hidden test covers); a TA must grade them. The score
  columns are left empty until then, so that a partial sum never passes for a grade;
- ``not graded: autograde failed (see log)``: the student's files are in ``submitted/`` but
  nbgrader produced no autograded notebook for them; the score columns are left empty,
  because the gradebook may still hold an old score;
- ``not graded: not autograded yet``: submitted, but ``nbgrader autograde`` never ran on it;
- ``no submission``: nothing submitted (score 0, as nbgrader counts it).

``; not submitted: <notebooks>`` follows when some notebooks of the assignment are missing.
"""
from __future__ import annotations

import csv
import glob
import os

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.plugins.export import ExportPlugin

from .plugin import COMMENT_PREFIX, _coursedir

COLUMNS = ["assignment", "duedate", "timestamp", "student_id", "last_name", "first_name", "email",
           "raw_score", "late_submission_penalty", "score", "max_score", "status"]

COMPLETE = "complete"
WRITTEN_PENDING = "autograded, written answers pending"
NEEDS_MANUAL = "needs manual grade"
GRADED = (COMPLETE, WRITTEN_PENDING)  # every autograded point is known


def is_autograded(status: str) -> bool:
    """True for a notebook or submission whose autograded points are all known."""
    return status.startswith(GRADED)


def open_grades(gradebook: Gradebook, sub_nb) -> tuple[list, list]:
    """``(flagged, written)``: the grades of a submitted notebook still waiting for a person.
    ``flagged``: test cells the autograder could not score; ``written``: answers graded by hand
    (written or coded answers) that have no score yet."""
    answers = {cell.name for cell in gradebook.find_notebook(sub_nb.name, sub_nb.assignment.name).solution_cells}
    flagged, written = [], []
    for grade in sub_nb.grades:
        if grade.manual_score is not None or not grade.needs_manual_grade:
            continue
        (written if grade.name in answers else flagged).append(grade)
    return flagged, written


def flag_reasons(sub_nb, flagged) -> list[str]:
    """Why the flagged cells were not graded (the autograder's comments), or a plain default."""
    reasons = [c.auto_comment[len(COMMENT_PREFIX):] for c in sub_nb.comments
               if c.auto_comment and c.auto_comment.startswith(COMMENT_PREFIX)]
    if not reasons:
        reasons = [f"cells {', '.join(sorted(g.name for g in flagged))} have no automatic score"]
    return list(dict.fromkeys(reasons))


def notebook_status(gradebook: Gradebook, assignment: str, student_id: str, notebook: str,
                    submitted_dir: str, autograded_dir: str) -> str:
    """Status of one submitted notebook: ``complete``, ``autograded, written answers pending``,
    ``needs manual grade: <reason>``, ``not graded: autograde failed (see log)``,
    ``not graded: not autograded yet`` or ``not submitted``.

    ``submitted_dir`` / ``autograded_dir`` are the student's folders of the assignment.
    """
    if not os.path.isfile(os.path.join(submitted_dir, f"{notebook}.ipynb")):
        return "not submitted"
    try:
        sub_nb = gradebook.find_submission_notebook(notebook, assignment, student_id)
    except MissingEntry:
        return "not graded: not autograded yet"
    if not os.path.isfile(os.path.join(autograded_dir, f"{notebook}.ipynb")):
        return "not graded: autograde failed (see log)"
    flagged, written = open_grades(gradebook, sub_nb)
    if flagged:
        return f"{NEEDS_MANUAL}: " + "; ".join(flag_reasons(sub_nb, flagged))
    return WRITTEN_PENDING if written else COMPLETE


def submission_status(gradebook: Gradebook, coursedir, assignment, student_id: str) -> tuple[str, bool]:
    """``(status, scores_valid)`` of one student's submission of ``assignment`` (a gradebook row)."""
    def folder(step):
        return coursedir.format_path(step, student_id, assignment.name)

    submitted_dir, autograded_dir = folder(coursedir.submitted_directory), folder(coursedir.autograded_directory)
    if not glob.glob(os.path.join(submitted_dir, "*.ipynb")):
        return "no submission", True
    try:
        gradebook.find_submission(assignment.name, student_id)
    except MissingEntry:
        return "not graded: not autograded yet", False
    by_status: dict[str, list[str]] = {}
    for notebook in assignment.notebooks:
        status = notebook_status(gradebook, assignment.name, student_id, notebook.name,
                                 submitted_dir, autograded_dir)
        by_status.setdefault(status, []).append(notebook.name)
    parts = []
    failed = [n for s, names in by_status.items() if s.startswith("not graded") for n in names]
    if failed:
        parts.append(f"not graded: autograde failed (see log) for {', '.join(failed)}")
    flagged = [f"{n}: {s[len(NEEDS_MANUAL) + 2:]}" for s, names in by_status.items()
               if s.startswith(NEEDS_MANUAL) for n in names]
    if flagged:
        parts.append(f"{NEEDS_MANUAL}: " + " | ".join(flagged))
    if not parts:
        parts.append(WRITTEN_PENDING if WRITTEN_PENDING in by_status else COMPLETE)
    if "not submitted" in by_status:
        parts.append(f"not submitted: {', '.join(by_status['not submitted'])}")
    return "; ".join(parts), not failed and not flagged


def workspace_of(coursedir) -> str:
    """The course workspace: the folder of the gradebook (``course_workspace/`` or $CS231N_WORKSPACE)."""
    url = coursedir.db_url
    if url.startswith("sqlite:///"):
        return os.path.dirname(os.path.abspath(url[len("sqlite:///"):]))
    return coursedir.root


class StatusCsvExportPlugin(ExportPlugin):
    """nbgrader's CSV export plus a ``status`` column (see the module docstring)."""

    def export(self, gradebook: Gradebook) -> None:
        coursedir = _coursedir(self)
        dest = self.to or os.path.join(workspace_of(coursedir), "grades.csv")
        only_assignments = {str(a) for a in self.assignment}
        only_students = {str(s) for s in self.student}
        self.log.info("Exporting grades with a status column to %s", dest)
        students = {s.id: s for s in gradebook.students}
        rows, problems = [], 0
        for assignment in gradebook.assignments:
            if only_assignments and assignment.name not in only_assignments:
                continue
            # students with files in submitted/ but no gradebook entry (autograde never created them)
            on_disk = {os.path.basename(os.path.dirname(p.rstrip(os.sep))) for p in
                       glob.glob(os.path.join(coursedir.format_path(coursedir.submitted_directory, "*",
                                                                    assignment.name), ""))}
            for student_id in sorted(set(students) | on_disk):
                if only_students and student_id not in only_students:
                    continue
                student = students.get(student_id)
                row = {"assignment": assignment.name, "duedate": assignment.duedate, "student_id": student_id,
                       "last_name": getattr(student, "last_name", None),
                       "first_name": getattr(student, "first_name", None),
                       "email": getattr(student, "email", None), "max_score": assignment.max_score}
                status, valid = submission_status(gradebook, coursedir, assignment, student_id)
                try:
                    submission = gradebook.find_submission(assignment.name, student_id)
                except MissingEntry:
                    row.update(timestamp=None, raw_score=0.0 if valid else None,
                               late_submission_penalty=0.0 if valid else None, score=0.0 if valid else None)
                else:
                    penalty = submission.late_submission_penalty or 0.0
                    row.update(timestamp=submission.timestamp, late_submission_penalty=penalty,
                               raw_score=submission.score if valid else None,
                               score=max(0.0, submission.score - penalty) if valid else None)
                row["status"] = status
                if not status.startswith(GRADED) and status != "no submission":
                    problems += 1
                    self.log.warning("%s / %s: %s", assignment.name, student_id, status)
                rows.append(row)
        with open(dest, "w", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(COLUMNS)
            for row in rows:
                writer.writerow(["" if row[k] is None else str(row[k]) for k in COLUMNS])
        if problems:
            self.log.warning("%d submission(s) are not fully graded: see the status column of %s", problems, dest)
