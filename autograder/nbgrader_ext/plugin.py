"""nbgrader integration: ``nbgrader autograde`` grades with the hidden suites, no student kernel.

Configuration (already in the repo's ``nbgrader_config.py``)::

    c.Autograde.exporter_class = "autograder.nbgrader_ext.plugin.SubmissionExporter"
    c.Autograde.autograde_preprocessors = [
        "autograder.nbgrader_ext.plugin.GradeWithHiddenSuites",   # replaces nbgrader's Execute
        "nbgrader.preprocessors.IgnorePattern",
        "nbconvert.preprocessors.ClearMetadataPreprocessor",
        "nbgrader.preprocessors.LimitOutput",
        "nbgrader.preprocessors.SaveAutoGrades",
        "autograder.nbgrader_ext.plugin.FlagUngradedCells",       # after SaveAutoGrades
        "nbgrader.preprocessors.AssignLatePenalties",
    ]   # nbgrader's default list, with Execute replaced, FlagUngradedCells added, and the second
        # CheckCellMetadata dropped (sanitizing already ran it; it is the costliest step per notebook)
    c.GenerateFeedback.preprocessors = [
        "nbgrader.preprocessors.GetGrades",
        "nbgrader.preprocessors.ClearHiddenTests",
        "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
    ]
    c.ExportApp.plugin_class = "autograder.nbgrader_ext.export.StatusCsvExportPlugin"
    # optional: override the assignment's seed (default: `seed` in assignments/<assignment>.toml)
    # c.GradeWithHiddenSuites.seed = 1234
    # optional: grading processes working ahead of nbgrader (default 0 = one per core; 1 = none)
    # c.GradeWithHiddenSuites.processes = 1

What each piece does:

- ``SubmissionExporter`` reads submitted notebooks like nbgrader does, except that a file that
  is not a readable notebook (truncated JSON, wrong encoding, ...) becomes a placeholder: the
  released notebook with a notice on top and the reason in its metadata. nbgrader would
  otherwise stop on that student (and drop the student's other notebooks too).
- ``GradeWithHiddenSuites`` grades the sanitized notebook (locked cells restored from the
  gradebook) with :func:`autograder.engine.grading.grade_notebook`. Each autograded grade cell gets a
  stdout stream with the feedback of its tests (failure messages, never the test code) and an
  ``execute_result`` holding its partial score, which nbgrader's ``SaveAutoGrades`` records
  (``nbgrader.utils.determine_grade``). ``<notebook>.results.json`` (Gradescope's shape) and
  ``<notebook>.feedback.txt`` are written beside the autograded notebook; the seed goes into
  both and into the notebook metadata. A notebook without a hidden suite (missing or misnamed)
  is not run: every grade cell is flagged "needs manual grade" with that reason. Only with
  ``c.GradeWithHiddenSuites.fallback_to_kernel = True`` does it go to nbgrader's ``Execute``,
  an ordinary kernel outside the sandbox. While nbgrader
  sanitizes and saves one notebook, grading processes (``GradingAhead``) already grade the next
  submitted files; a result is used only if sanitizing left the graded cells unchanged.
- A notebook that cannot be graded gets, in every grade cell, an ``error`` output that says
  why (so it is never read as full marks); ``FlagUngradedCells`` then sets those grades to
  ``auto_score = None, needs_manual_grade = True``, writes the reason into the comment of the
  solution cells and logs it as an error.
- ``autograder.nbgrader_ext.export.StatusCsvExportPlugin`` writes nbgrader's grades CSV plus a ``status``
  column, which also names submissions that nbgrader failed on entirely.
"""
from __future__ import annotations

import json
import os
import time

import nbformat
from nbconvert.exporters import NotebookExporter
from nbgrader import utils as nbutils
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Bool, Integer

from cs231n_lib.notebook_cells import grade_id as _grade_id

from .grading_ahead import GradingAhead, record_result

META_KEY = "cs231n_autograder"      # notebook metadata written by this module
RESOURCES_KEY = "cs231n_autograder"  # resources shared by the two preprocessors of one notebook
COMMENT_PREFIX = "Not graded automatically: "


# ---- helpers ---------------------------------------------------------------------------

def _coursedir(configurable):
    """The CourseDirectory of the running nbgrader converter (preprocessor -> exporter -> converter)."""
    node = configurable
    while node is not None:
        coursedir = getattr(node, "coursedir", None)
        if coursedir is not None:
            return coursedir
        node = getattr(node, "parent", None)
    from nbgrader.coursedir import CourseDirectory
    return CourseDirectory(config=configurable.config)


def _converter(configurable):
    """The running nbgrader converter (it knows every notebook of this run), or None."""
    node = getattr(configurable, "parent", None)
    while node is not None and not hasattr(node, "assignments"):
        node = getattr(node, "parent", None)
    return node


def _is_autograded_test(cell) -> bool:
    """A grade cell whose points come from tests (not a written or coded answer graded by hand)."""
    return nbutils.is_grade(cell) and not nbutils.is_solution(cell) and cell.cell_type == "code"


def _not_graded_output(reason: str):
    return nbformat.v4.new_output(
        "error", ename="NotGraded", evalue=reason,
        traceback=[f"{COMMENT_PREFIX}{reason}",
                   "These points are left for a TA to grade by hand; they are not a score of 0."])


def _describe(exc: Exception) -> str:
    """One short line about a read error, without the file's content that nbformat quotes."""
    text = (str(exc).strip().splitlines() or [""])[0]
    text = text.split(": '", 1)[0].split(': "', 1)[0][:160]
    name = type(exc).__name__
    if name == "NotJSONError":
        return "not valid JSON; the file may be truncated or damaged"
    return f"{name}: {text}" if text else name


def _write(path: str, text: str) -> None:
    if os.path.exists(path):  # nbgrader leaves earlier results read-only
        os.remove(path)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)


# ---- reading submissions ---------------------------------------------------------------

class SubmissionExporter(NotebookExporter):
    """nbgrader's notebook exporter, except that an unreadable submission becomes a placeholder.

    The placeholder is the released notebook with a notice cell on top; its metadata carries
    ``cs231n_autograder.unreadable`` (the reason), so that the grading step flags every grade
    cell instead of grading the release. Without a released notebook the error is raised as
    nbgrader would.
    """

    def from_file(self, file_stream, resources=None, **kw):
        try:
            nb = nbformat.read(file_stream, as_version=4)
            if not isinstance(nb.get("cells"), list):
                raise ValueError("the file has no list of cells")
        except Exception as exc:  # NotJSONError, UnicodeDecodeError, ValidationError, ...
            nb = self._placeholder(getattr(file_stream, "name", "?"), resources, exc)
        return self.from_notebook_node(nb, resources=resources, **kw)

    def _placeholder(self, filename, resources, exc):
        info = (resources or {}).get("nbgrader") or {}
        assignment, notebook = info.get("assignment"), info.get("notebook")
        if not (assignment and notebook):
            raise exc
        coursedir = _coursedir(self)
        release = os.path.join(coursedir.format_path(coursedir.release_directory, ".", assignment),
                               f"{notebook}.ipynb")
        if not os.path.isfile(release):
            raise exc
        reason = f"{os.path.basename(filename)} is not a readable notebook ({_describe(exc)})"
        self.log.warning("%s/%s/%s: %s; using a placeholder so that the student's other notebooks are "
                         "still graded, and flagging this one for manual grading",
                         info.get("student"), assignment, notebook, reason)
        nb = nbformat.read(release, as_version=4)
        nb.cells.insert(0, nbformat.v4.new_markdown_cell(
            f"**This notebook could not be graded.** The submitted file `{os.path.basename(filename)}` "
            f"could not be read: {reason}. What follows is the released notebook, shown as a "
            "placeholder; a TA grades this notebook by hand."))
        nb.metadata[META_KEY] = {"unreadable": reason}
        return nb


# ---- grading ---------------------------------------------------------------------------

class GradeWithHiddenSuites(NbGraderPreprocessor):
    """Grade a sanitized submission with the hidden suites and put the scores in its grade cells.

    Replaces nbgrader's ``Execute`` in ``Autograde.autograde_preprocessors``; no student kernel
    is started (the engine runs the student's cells in its own sandboxed worker).
    """

    seed = Integer(None, allow_none=True,
                   help="Seed of the random test inputs for every submission (default: the "
                        "assignment's seed from assignments/<assignment>.toml, recorded in the "
                        "results)").tag(config=True)
    fallback_to_kernel = Bool(False, help="Assignments or notebooks without a hidden suite are executed "
                                          "by nbgrader's Execute preprocessor: the student's code runs in "
                                          "an ordinary kernel, NOT sandboxed, with the grader's rights. "
                                          "Off by default: such a notebook is flagged 'needs manual "
                                          "grade' instead").tag(config=True)
    write_reports = Bool(True, help="Write <notebook>.results.json and <notebook>.feedback.txt "
                                    "beside the autograded notebook").tag(config=True)
    processes = Integer(0, help="Grading processes working ahead of nbgrader on the next submitted "
                                "notebooks (0: one per CPU core; 1: grade inside nbgrader's process, "
                                "one notebook at a time)").tag(config=True)

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        student, assignment, notebook = info["student"], info["assignment"], info["notebook"]
        unreadable = (nb.metadata.get(META_KEY) or {}).get("unreadable")

        from autograder.engine.grading import available_suites, grade_notebook
        from autograder.engine.report import NotebookReport

        no_suite = not unreadable and (assignment, notebook) not in available_suites()
        if no_suite and self.fallback_to_kernel:
            self.log.warning("No hidden suite for %s/%s: executing the student's code UNSANDBOXED in a "
                             "kernel (nbgrader's Execute), because fallback_to_kernel is set",
                             assignment, notebook)
            from nbgrader.preprocessors import Execute
            return Execute(parent=self.parent).preprocess(nb, resources)

        if unreadable or no_suite:
            reason = unreadable or (
                f"no hidden suite for {assignment}/{notebook} (missing, or named differently from the "
                "notebook); the student's code was not run")
            report = NotebookReport(f"{student}/{assignment}/{notebook}.ipynb", assignment, notebook,
                                    seed=None, error=reason)
        else:
            report = self._graded_ahead(nb, student, assignment, notebook)
            where = "graded ahead in a grading process"
            if report is None:
                report = grade_notebook(nb, assignment, notebook, seed=self.seed)
                where = "graded in nbgrader's process"
            report.path = f"{student}/{assignment}/{notebook}.ipynb"

        record_result(_coursedir(self), nb, report, student, assignment, notebook)  # for the class report
        ungraded = self._fill_cells(nb, report)
        resources[RESOURCES_KEY] = {"ungraded": ungraded, "error": report.error}
        nb.metadata[META_KEY] = {**(nb.metadata.get(META_KEY) or {}), "seed": report.seed,
                                 "score": round(report.score, 4), "max_score": round(report.max_score, 4),
                                 "error": report.error, "graded_at": time.strftime("%Y-%m-%d %H:%M:%S %z")}
        for text in report.grader_errors:
            self.log.error("grader error while grading %s/%s/%s: %s", student, assignment, notebook, text)
        if report.error:
            self.log.error("%s/%s/%s could not be graded: %s", student, assignment, notebook, report.error)
        else:
            self.log.info("%s/%s/%s: %.2f / %.2f points (seed %s, %.2f s, %s)", student, assignment,
                          notebook, report.score, report.max_score, report.seed, report.seconds, where)
        if self.write_reports:
            max_points = sum(float(c.metadata["nbgrader"].get("points", 0)) for c in nb.cells
                             if _is_autograded_test(c))
            self._write_reports(report, student, assignment, notebook, max_points)
        return nb, resources

    def _graded_ahead(self, nb, student, assignment, notebook):
        """The report of this notebook if a grading process already graded its submitted file and
        the graded cells are the same after nbgrader's sanitizing; else None (grade it here)."""
        workers = self.processes or os.cpu_count() or 1
        converter = _converter(self)
        if workers <= 1 or converter is None:
            return None
        ahead = getattr(converter, "_cs231n_ahead", None)
        if ahead is None:
            ahead = converter._cs231n_ahead = GradingAhead(converter, workers, self.seed, self.log)
        return ahead.report(nb, (student, assignment, notebook))

    def _fill_cells(self, nb, report) -> dict:
        """Set the outputs of every autograded grade cell; return ``{grade_id: (reason, comment_ids)}``
        for the grade cells that must be graded by hand."""
        scores = report.cell_scores()
        ungraded = {}
        solutions_so_far = []
        all_solutions = [_grade_id(c) for c in nb.cells if nbutils.is_solution(c) and _grade_id(c)]
        for cell in nb.cells:
            gid = _grade_id(cell)
            if nbutils.is_solution(cell) and gid:
                solutions_so_far.append(gid)
            if not nbutils.is_grade(cell) or not gid:
                continue
            if report.error:
                # the whole notebook is ungraded: written answers too (an unreadable file's placeholder
                # would otherwise score its unchanged answer cells 0)
                ungraded[gid] = (report.error, all_solutions)
                if _is_autograded_test(cell):
                    cell.outputs = [_not_graded_output(report.error)]
                continue
            if not _is_autograded_test(cell):
                continue  # a written answer: nbgrader leaves it for manual grading as usual
            if gid not in scores:
                reason = f"no hidden test grades the cell '{gid}'"
                ungraded[gid] = (reason, solutions_so_far[-1:])
                cell.outputs = [_not_graded_output(reason)]
                continue
            points = float(cell.metadata["nbgrader"].get("points", 0))
            got, most = scores[gid]
            value = min(points, max(0.0, round(points * got / most, 6))) if most > 0 else 0.0
            tests = [t for t in report.tests if t.grade_id == gid]
            if any(t.status == "grader error" for t in tests):
                # never charged to the student: a person grades this cell once the suite is fixed
                ungraded[gid] = ("a hidden test of this cell failed inside the grader (a grader error, "
                                 "not the student's; see the autograde log)", solutions_so_far[-1:])
            head = (f"Hidden tests: {value:g} / {points:g} points "
                    f"({sum(t.passed for t in tests)} of {len(tests)} tests passed, seed {report.seed})")
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout",
                                                   text=head + "\n" + report.feedback_text(gid) + "\n"),
                            nbformat.v4.new_output("execute_result", data={"text/plain": f"{value:g}"},
                                                   execution_count=None)]
        return ungraded

    def _write_reports(self, report, student, assignment, notebook, max_points):
        coursedir = _coursedir(self)
        folder = coursedir.format_path(coursedir.autograded_directory, student, assignment)
        try:
            os.makedirs(folder, exist_ok=True)
            doc = report.to_gradescope()
            if report.error and not report.tests:
                doc["max_score"] = round(max_points, 4)
            doc["extra_data"].update({"student": student, "assignment": assignment, "notebook": notebook})
            _write(os.path.join(folder, f"{notebook}.results.json"), json.dumps(doc, indent=1) + "\n")
            if report.error:
                head = (f"{assignment}/{notebook} for {student}: not graded ({max_points:g} points left for a TA "
                        "to grade by hand; this is not a score of 0)\n")
            else:
                head = (f"{assignment}/{notebook} for {student}: {report.score:.2f} / {report.max_score:.2f} "
                        f"points (seed {report.seed})\n")
            _write(os.path.join(folder, f"{notebook}.feedback.txt"), head + report.feedback_text() + "\n")
        except OSError as err:
            self.log.error("could not write the reports of %s/%s/%s to %s: %s",
                           student, assignment, notebook, folder, err)


class FlagUngradedCells(NbGraderPreprocessor):
    """After ``SaveAutoGrades``: the cells that could not be graded need a manual grade, not a 0.

    Sets ``auto_score = None`` and ``needs_manual_grade = True`` in the gradebook, and writes the
    reason into the auto comment of the related solution cells (shown to the TA in formgrader
    and to the student in the feedback).
    """

    def preprocess(self, nb, resources):
        ungraded = (resources.get(RESOURCES_KEY) or {}).get("ungraded")
        if not ungraded:
            return nb, resources
        from nbgrader.api import Gradebook, MissingEntry
        info = resources["nbgrader"]
        args = (info["notebook"], info["assignment"], info["student"])
        with Gradebook(info["db_url"]) as gb:
            comments = {}
            for gid, (reason, comment_ids) in ungraded.items():
                grade = gb.find_grade(gid, *args)
                grade.auto_score = None
                grade.needs_manual_grade = True
                for cid in comment_ids:
                    comments.setdefault(cid, []).append(reason)
            for cid, reasons in comments.items():
                try:
                    comment = gb.find_comment(cid, *args)
                except MissingEntry:
                    continue
                comment.auto_comment = COMMENT_PREFIX + "; ".join(dict.fromkeys(reasons))
            gb.db.commit()
        self.log.warning("%s/%s/%s: %d grade cell(s) flagged for manual grading: %s", info["student"],
                       info["assignment"], info["notebook"], len(ungraded),
                       "; ".join(sorted({reason for reason, _ in ungraded.values()})))
        return nb, resources
