"""What students and TAs see of a graded notebook: its outputs, and the feedback HTML.

Configuration (in the repo's ``nbgrader_config.py``)::

    c.Autograde.sanitize_preprocessors = [
        "autograder.nbgrader_ext.feedback.KeepStudentOutputs",   # instead of nbgrader's ClearOutput
        "nbgrader.preprocessors.DeduplicateIds",
        "nbgrader.preprocessors.OverwriteKernelspec",
        "nbgrader.preprocessors.OverwriteCells",
        "nbgrader.preprocessors.CheckCellMetadata",
    ]
    c.GenerateFeedback.preprocessors = [
        "nbgrader.preprocessors.GetGrades",
        "autograder.nbgrader_ext.feedback.MarkOpenGrades",
        "autograder.nbgrader_ext.feedback.ClearHiddenTests",
        "autograder.nbgrader_ext.feedback.DropScoreOutputs",
        "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
    ]
    c.GenerateFeedback.exporter_class = "autograder.nbgrader_ext.feedback.FeedbackHTMLExporter"
    c.FeedbackHTMLExporter.template_name = "cs231n_feedback"
    c.FeedbackHTMLExporter.extra_template_basedirs = [TEMPLATES, <nbgrader's formgrader templates>]

- ``KeepStudentOutputs``: nbgrader clears every output before it grades, because its kernel
  makes them again; our grader runs no kernel, so the student's own printouts and plots would be
  lost. This keeps the outputs of the cells that are not grade cells, limited to what cannot
  run in a reader's browser (text, tracebacks, PNG and JPEG images; no HTML, SVG or JavaScript,
  which the TA's formgrader would otherwise render) and to ``MAX_OUTPUT_BYTES`` per output.
- ``MarkOpenGrades``: a cell that is not graded yet says so ("written answer: not graded yet",
  "needs manual grade: <reason>") instead of showing 0 points; a notebook that could not be
  graded shows no score at all (``resources["cs231n_feedback"]``, read by the template).
- ``ClearHiddenTests``: nbgrader's, accepting the ``display_data_priority`` option that the HTML
  exporter hands to every preprocessor (nbgrader's own class warns that it does not know it).
- ``DropScoreOutputs``: the ``execute_result`` that carries a test cell's partial score to
  nbgrader's ``SaveAutoGrades`` is not shown (the cell's text already gives the points).
- ``FeedbackHTMLExporter``: math in markdown becomes MathML (``latex2mathml``), which browsers
  draw without MathJax or any network; the template (``templates/cs231n_feedback``) loads
  nothing from outside and wraps long lines.
- ``ReleaseFeedback`` (``c.ExchangeFactory.release_feedback``): ``nbgrader release_feedback``
  passes over students collected from a zip, who have no exchange submission to attach it to.
"""
from __future__ import annotations

import glob
import html
import os

import nbformat
from jinja2 import pass_context
from nbconvert.exporters import HTMLExporter
from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath
from nbconvert.preprocessors import Preprocessor
from nbgrader import utils as nbutils
from nbgrader.exchange.default.release_feedback import ExchangeReleaseFeedback
from nbgrader.preprocessors import ClearHiddenTests as _NbgraderClearHiddenTests
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Bool, Integer, List

from .export import flag_reasons, open_grades
from .plugin import META_KEY

TEMPLATES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "templates")
NBGRADER_TEMPLATES = os.path.join(os.path.dirname(os.path.abspath(nbutils.__file__)), "server_extensions",
                                  "formgrader", "templates")
FEEDBACK_KEY = "cs231n_feedback"
SAFE_MIME = ("text/plain", "image/png", "image/jpeg")
MAX_OUTPUT_BYTES = 2_000_000


# ---- before grading: keep the student's outputs ------------------------------------------

class KeepStudentOutputs(Preprocessor):
    """Keep the outputs of ordinary cells (text and PNG/JPEG only); clear those of grade cells."""

    enabled = Bool(True)  # nbconvert preprocessors are off unless enabled
    max_output_bytes = Integer(MAX_OUTPUT_BYTES, help="Largest output kept (bytes of its data)").tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        if nbutils.is_grade(cell):
            cell.outputs = []  # the grader writes these (a student's copy could fake a score)
            cell.execution_count = None
            return cell, resources
        kept = []
        for out in cell.get("outputs", []):
            out = self._safe(out)
            if out is not None:
                kept.append(nbformat.from_dict(out))  # attribute access, as nbgrader's later steps expect
        cell.outputs = kept
        return cell, resources

    def _safe(self, out):
        kind = out.get("output_type")
        if kind == "stream":
            text = out.get("text", "")
            if not isinstance(text, str):
                return None
            return {**out, "text": text[: self.max_output_bytes]}
        if kind == "error":
            tb = [str(line)[:10_000] for line in (out.get("traceback") or [])][:200]
            return {**out, "ename": str(out.get("ename", ""))[:200], "evalue": str(out.get("evalue", ""))[:2000],
                    "traceback": tb}
        if kind in ("display_data", "execute_result"):
            data = {k: v for k, v in (out.get("data") or {}).items()
                    if k in SAFE_MIME and isinstance(v, str) and len(v) <= self.max_output_bytes}
            if not data:
                return None
            clean = {**out, "data": data, "metadata": {}}
            return clean
        return None


# ---- feedback ------------------------------------------------------------------------------

class MarkOpenGrades(NbGraderPreprocessor):
    """After ``GetGrades``: name the cells still waiting for a person, and an ungraded notebook."""

    display_data_priority = List(help="Unused here; set by nbconvert's HTMLExporter").tag(config=True)

    def preprocess(self, nb, resources):
        from nbgrader.api import Gradebook
        info = resources["nbgrader"]
        error = (nb.metadata.get(META_KEY) or {}).get("error")
        with Gradebook(info["db_url"]) as gb:
            sub_nb = gb.find_submission_notebook(info["notebook"], info["assignment"], info["student"])
            flagged, written = open_grades(gb, sub_nb)
            reasons = flag_reasons(sub_nb, flagged) if flagged else []
            open_cells = {g.name: f"needs manual grade: {'; '.join(reasons)}" for g in flagged}
            open_cells.update({g.name: "not graded yet (graded by hand)" for g in written})
            pending_points = sum(g.max_score for g in written)
        for cell in nb.cells:
            gid = cell.metadata.get("nbgrader", {}).get("grade_id")
            if gid in open_cells and nbutils.is_grade(cell):
                cell.metadata.nbgrader["cs231n_open"] = open_cells[gid]
        resources[FEEDBACK_KEY] = {
            "not_graded": error or ("; ".join(reasons) if flagged else None),
            "pending_written": pending_points,
        }
        return nb, resources


class ClearHiddenTests(_NbgraderClearHiddenTests):
    """nbgrader's ``ClearHiddenTests``, accepting the option every HTML-export preprocessor gets."""

    display_data_priority = List(help="Unused here; set by nbconvert's HTMLExporter").tag(config=True)


class DropScoreOutputs(Preprocessor):
    """Remove the ``execute_result`` (the bare score) from the outputs of autograded test cells."""

    enabled = Bool(True)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code" and nbutils.is_grade(cell) and not nbutils.is_solution(cell):
            cell.outputs = [o for o in cell.get("outputs", []) if o.get("output_type") != "execute_result"]
        return cell, resources


def latex_to_mathml(tex: str, display: str) -> str:
    """MathML for a LaTeX formula (``display``: "inline" or "block"); the escaped source when the
    converter cannot read it."""
    from latex2mathml.converter import convert
    try:
        return convert(tex, display=display)
    except Exception:
        delim = "$$" if display == "block" else "$"
        return f'<code class="tex">{delim}{html.escape(tex)}{delim}</code>'


class MathMLRenderer(IPythonRenderer):
    """nbconvert's markdown renderer with math as MathML instead of text for MathJax."""

    def inline_math(self, body: str) -> str:
        return latex_to_mathml(body, "inline")

    def block_math(self, body: str) -> str:
        return latex_to_mathml(body, "block")

    def latex_environment(self, name: str, body: str) -> str:
        return latex_to_mathml(f"\\begin{{{name}}}{body}\\end{{{name}}}", "block")


class FeedbackHTMLExporter(HTMLExporter):
    """HTML exporter of the feedback: markdown math rendered as MathML, readable offline."""

    @pass_context
    def markdown2html(self, context, source):
        cell = context.get("cell", {})
        path = context.get("resources", {}).get("metadata", {}).get("path", "")
        renderer = MathMLRenderer(escape=False, attachments=cell.get("attachments", {}),
                                  embed_images=self.embed_images, path=path,
                                  anchor_link_text=self.anchor_link_text,
                                  exclude_anchor_links=self.exclude_anchor_links, **self.lexer_options)
        return MarkdownWithMath(renderer=renderer).render(source)


# ---- delivering feedback -------------------------------------------------------------------

class ReleaseFeedback(ExchangeReleaseFeedback):
    """nbgrader's ``release_feedback``, which passes over the students who did not submit through
    the exchange (collected from a zip: no submission time, no submission secret) instead of
    failing on the first of them; the log says where their feedback files are."""

    def copy_files(self):
        excluded = [s for s in (self.coursedir.student_id_exclude or "").split(",") if s]
        for folder in sorted(glob.glob(self.src_path)):
            if os.path.isfile(os.path.join(folder, "timestamp.txt")) and \
                    os.path.isfile(os.path.join(folder, "submission_secret.txt")):
                continue
            student = os.path.basename(os.path.dirname(folder.rstrip(os.sep)))
            if student not in excluded:
                excluded.append(student)
                self.log.warning("%s did not submit through the exchange (e.g. a zip): send the feedback in %s "
                                 "another way", student, folder)
        self.coursedir.student_id_exclude = ",".join(excluded)
        return super().copy_files()
