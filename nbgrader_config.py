"""nbgrader configuration for cs231n-workbook.

source_nb/ holds the instructor notebooks, release/ the generated student notebooks
(committed). Student data (submitted/, autograded/, feedback/, downloaded/, the exchange,
grades.csv and the gradebook) lives in the private course workspace: $CS231N_WORKSPACE, default
<repo>/course_workspace (git-ignored). $CS231N_EXCHANGE moves the exchange to a folder that
students on the same server can reach (e.g. /srv/nbgrader/exchange).

Every nbgrader command run from this folder first prepares the course
(autograder/nbgrader_ext/course.py): the virtualenv's tools on PATH (nbgrader runs `alembic` by
name), the workspace folders, a whole gradebook, and the due dates of assignments/*.toml in it.
"""
import os
import sys

c = get_config()  # noqa: F821  (provided by traitlets when nbgrader loads this file)

_repo = os.path.dirname(os.path.abspath(__file__))
_workspace = os.path.abspath(os.path.expanduser(
    os.environ.get("CS231N_WORKSPACE", os.path.join(_repo, "course_workspace"))))
_exchange = os.path.abspath(os.path.expanduser(
    os.environ.get("CS231N_EXCHANGE", os.path.join(_workspace, "exchange"))))

from autograder.nbgrader_ext.course import ZIP_NAME_PATTERN, prepare_course  # noqa: E402
from autograder.nbgrader_ext.feedback import NBGRADER_TEMPLATES, TEMPLATES  # noqa: E402

prepare_course(_repo, _workspace, _exchange, log=lambda message: print(message, file=sys.stderr))

c.CourseDirectory.course_id = "cs231n-workbook"
c.CourseDirectory.root = _repo
c.CourseDirectory.source_directory = "source_nb"
c.CourseDirectory.release_directory = "release"
c.CourseDirectory.submitted_directory = os.path.join(_workspace, "submitted")
c.CourseDirectory.autograded_directory = os.path.join(_workspace, "autograded")
c.CourseDirectory.feedback_directory = os.path.join(_workspace, "feedback")
c.CourseDirectory.solution_directory = os.path.join(_workspace, "solution")
c.CourseDirectory.source_with_tests_directory = os.path.join(_workspace, "source_with_tests")
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(_workspace, "gradebook.db")
c.Exchange.root = _exchange

# nbgrader zip_collect: archives from an LMS go into <workspace>/downloaded/<assignment>/archive/;
# each notebook must sit in a folder named "<student id>_..." (see ZIP_NAME_PATTERN).
c.ZipCollectApp.collect_directory_structure = os.path.join(_workspace, "{downloaded}", "{assignment_id}",
                                                          "{collect_step}")   # absolute: in the workspace
c.FileNameCollectorPlugin.named_regexp = ZIP_NAME_PATTERN

# Only notebooks are copied into the release (no checkpoints, caches or data).
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "*.npy", "*.png"]
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
c.OverwriteCells.add_missing_cells = True
c.ExecutePreprocessor.timeout = 120

# Autograde with the hidden suites (autograder/nbgrader_ext/plugin.py): no student kernel is started;
# scores land per grade cell; a notebook that cannot be graded is flagged for manual grading.
# The student's own outputs (text, PNG/JPEG plots) are kept for the feedback (feedback.py).
c.Autograde.sanitize_preprocessors = [
    "autograder.nbgrader_ext.feedback.KeepStudentOutputs",
    "nbgrader.preprocessors.DeduplicateIds",
    "nbgrader.preprocessors.OverwriteKernelspec",
    "nbgrader.preprocessors.OverwriteCells",
    "nbgrader.preprocessors.CheckCellMetadata",
]  # nbgrader's default list with ClearOutput replaced
c.Autograde.exporter_class = "autograder.nbgrader_ext.plugin.SubmissionExporter"
c.Autograde.autograde_preprocessors = [
    "autograder.nbgrader_ext.plugin.GradeWithHiddenSuites",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "autograder.nbgrader_ext.plugin.FlagUngradedCells",
    "nbgrader.preprocessors.AssignLatePenalties",
]  # nbgrader's default list with Execute replaced, FlagUngradedCells added, the 2nd CheckCellMetadata dropped
# Late penalties from [late] in assignments/<assignment>.toml (default: a late submission scores 0).
c.AssignLatePenalties.plugin_class = "autograder.nbgrader_ext.late.CoursePlanLatePenalty"

# Feedback: never hidden tests (ours are not in the notebook at all; ClearHiddenTests covers the rest),
# "not graded" instead of a number for what waits for a person, math readable offline (feedback.py).
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "autograder.nbgrader_ext.feedback.MarkOpenGrades",
    "autograder.nbgrader_ext.feedback.ClearHiddenTests",
    "autograder.nbgrader_ext.feedback.DropScoreOutputs",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
c.GenerateFeedback.exporter_class = "autograder.nbgrader_ext.feedback.FeedbackHTMLExporter"
c.FeedbackHTMLExporter.template_name = "cs231n_feedback"
c.FeedbackHTMLExporter.extra_template_basedirs = [TEMPLATES, NBGRADER_TEMPLATES]
# release_feedback passes over students collected by zip_collect (no exchange submission to answer)
c.ExchangeFactory.release_feedback = "autograder.nbgrader_ext.feedback.ReleaseFeedback"

# nbgrader export: the usual grades CSV plus a "status" column (autograder/nbgrader_ext/export.py),
# written to <workspace>/grades.csv unless --to names another file.
c.ExportApp.plugin_class = "autograder.nbgrader_ext.export.StatusCsvExportPlugin"
