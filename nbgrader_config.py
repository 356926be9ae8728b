"""nbgrader configuration for cs231n-workbook.

source_nb/ holds the instructor notebooks, release/ the generated student
notebooks (committed). Student data (submitted/, autograded/, feedback/, the
gradebook) lives in the private course workspace: $CS231N_WORKSPACE, default
<repo>/course_workspace (git-ignored).
"""
import os

c = get_config()  # noqa: F821  (provided by traitlets when nbgrader loads this file)

_repo = os.path.dirname(os.path.abspath(__file__))
_workspace = os.path.abspath(os.environ.get("CS231N_WORKSPACE", os.path.join(_repo, "course_workspace")))

os.makedirs(_workspace, exist_ok=True)  # the gradebook needs its folder to exist

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
c.Exchange.root = os.path.join(_workspace, "exchange")

# Only notebooks are copied into the release (no checkpoints, caches or data).
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "*.npy", "*.png"]
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
c.OverwriteCells.add_missing_cells = True
c.ExecutePreprocessor.timeout = 120

# Autograde with the hidden suites (autograder/nbgrader_ext/plugin.py): no student kernel is started;
# scores land per grade cell; a notebook that cannot be graded is flagged for manual grading.
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
# Feedback never shows hidden tests (ours are not in the notebook at all; ClearHiddenTests covers the rest).
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbgrader.preprocessors.ClearHiddenTests",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
# nbgrader export: the usual grades CSV plus a "status" column (autograder/nbgrader_ext/export.py).
c.ExportApp.plugin_class = "autograder.nbgrader_ext.export.StatusCsvExportPlugin"
