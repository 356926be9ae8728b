"""``nbgrader export`` with a ``status`` column, so that no ungraded submission passes for a 0.

Configuration (in the repo's ``nbgrader_config.py``)::

    c.ExportApp.plugin_class = "autograder.nbgrader_ext.export.StatusCsvExportPlugin"

The CSV has nbgrader's usual columns (assignment, duedate, timestamp, student_id, last_name,
first_name, email, raw_score, late_submission_penalty, score, max_score) plus ``status``:

- ``graded``: every submitted notebook was graded by the autograder (written answers are
  graded by hand as usual);
- ``needs manual grade: <reason>``: the autograder could not grade some cells (unreadable
  file, grader error, a cell no hidden test covers); a TA must grade them;
- ``not graded: autograde failed (see log)``: the student's files are in ``submitted/`` but
  nbgrader produced no autograded notebook for them; the score columns are left empty,
  because the gradebook may still hold an old score;
- ``not graded: not autograded yet``: submitted, but ``nbgrader autograde`` never ran on it;
- ``no submission``: nothing submitted (score 0, as nbgrader counts it).
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


def notebook_status(gradebook: Gradebook, assignment: str, student_id: str, notebook: str,
                    submitted_dir: str, autograded_dir: str) -> str:
    """Status of one submitted notebook: ``graded``, ``needs manual grade: <reason>``,
    ``not graded: autograde failed (see log)``, ``not graded: not autograded yet`` or ``not submitted``.

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
    reasons = [c.auto_comment[len(COMMENT_PREFIX):] for c in sub_nb.comments
               if c.auto_comment and c.auto_comment.startswith(COMMENT_PREFIX)]
    answers = {cell.name for cell in gradebook.find_notebook(notebook, assignment).solution_cells}
    unscored = [g.name for g in sub_nb.grades
                if g.needs_manual_grade and g.auto_score is None and g.manual_score is None
                and g.cell_type == "code" and g.name not in answers]
    if unscored and not reasons:
        reasons = [f"cells {', '.join(sorted(unscored))} have no automatic score"]
    if reasons:
        return "needs manual grade: " + "; ".join(dict.fromkeys(reasons))
    return "graded"


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
    flagged = [f"{n}: {s[len('needs manual grade: '):]}" for s, names in by_status.items()
               if s.startswith("needs manual grade") for n in names]
    if flagged:
        parts.append("needs manual grade: " + " | ".join(flagged))
    if not parts:
        parts.append("graded")
    if "not submitted" in by_status:
        parts.append(f"not submitted: {', '.join(by_status['not submitted'])}")
    return "; ".join(parts), not failed


class StatusCsvExportPlugin(ExportPlugin):
    """nbgrader's CSV export plus a ``status`` column (see the module docstring)."""

    def export(self, gradebook: Gradebook) -> None:
        dest = self.to or "grades.csv"
        coursedir = _coursedir(self)
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
                if status != "graded" and status != "no submission":
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
