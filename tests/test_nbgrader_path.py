"""The nbgrader path end to end, in a temporary course: autograde -> gradebook, feedback, export.

One course is built per module (copies of source_nb/, release/ and nbgrader_config.py in a
temporary folder, the workspace inside it) with three students: ``sol`` (the instructor
solution), ``rel`` (the untouched release) and ``bad`` (a truncated knn.ipynb next to two good
notebooks). The real ``nbgrader`` commands run as subprocesses.
"""
from __future__ import annotations

import copy
import csv
import html
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat
import pytest

from autograder.tools import demo
from cs231n_lib import paths

ASSIGNMENT = demo.ASSIGNMENT
SUITES = paths.REPO_ROOT / "autograder" / "suites"


MARK = f"CS231N_TEST_RUN={os.getpid()}-{time.monotonic_ns()}"   # inherited by what this test starts


class KernelWatcher:
    """Records the processes started by this test (their environment carries MARK) whose command
    line mentions ipykernel, while it is active; other kernels on the machine do not count."""

    def __init__(self, interval=0.02):
        self.interval, self.seen, self._stop = interval, set(), threading.Event()

    def _scan(self):
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                cmd = Path(entry.path, "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                ours = "ipykernel" in cmd and MARK.encode() in Path(entry.path, "environ").read_bytes().split(b"\0")
            except OSError:
                continue
            if ours:
                self.seen.add((entry.name, cmd.strip()[:200]))

    def _run(self):
        while not self._stop.is_set():
            self._scan()
            time.sleep(self.interval)

    def __enter__(self):
        self._scan()
        self.before = set(self.seen)
        self.seen.clear()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.seen -= self.before  # kernels that were already running (an open JupyterLab) do not count


def marked(env: dict) -> dict:
    key, value = MARK.split("=", 1)
    return {**env, key: value}


def nbgrader(course: Path, workspace: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(demo.nbgrader_cmd(*args), cwd=course, env=marked(demo.tool_env(workspace)),
                          capture_output=True, text=True, timeout=300)


TINY_PNG = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")


def add_student_outputs(nb) -> None:
    """What a student's run leaves in an ordinary cell: a printout, a plot, and an HTML/JS output."""
    cell = next(c for c in nb.cells if c.cell_type == "code" and not c.metadata.get("nbgrader"))
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="student printout 31337\n"),
        nbformat.v4.new_output("display_data", data={"image/png": TINY_PNG, "text/plain": "<Figure>"}),
        nbformat.v4.new_output("display_data", data={"text/html": "<script>alert('student')</script>"}),
    ]


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """The temporary course, autograded once; yields a namespace with what the tests read."""
    if sys.platform != "linux":
        pytest.skip("the kernel watcher reads /proc")
    root = tmp_path_factory.mktemp("nbgrader-course")
    course = root / "course"
    workspace = demo.build_course(course)
    done = nbgrader(course, workspace, "generate_assignment", ASSIGNMENT, "--force")
    assert done.returncode == 0, done.stdout + done.stderr
    solved = {nb: demo.student_notebook(nb, demo.solution_sources(nb), course) for nb in demo.NOTEBOOKS}
    release = {nb: demo.student_notebook(nb, {}, course) for nb in demo.NOTEBOOKS}
    with_outputs = {nb: nbformat.from_dict(copy.deepcopy(dict(content))) for nb, content in solved.items()}
    add_student_outputs(with_outputs["knn"])
    demo.submit(workspace, "sol", with_outputs)
    demo.submit(workspace, "rel", release)
    demo.submit(workspace, "bad", dict(solved, knn=demo.truncated(solved["knn"])))
    with KernelWatcher() as watcher:
        graded = nbgrader(course, workspace, "autograde", ASSIGNMENT, "--force")
    ns = type("Course", (), {})()
    ns.root, ns.workspace, ns.autograde, ns.kernels = course, workspace, graded, watcher.seen
    return ns


def gradebook(workspace: Path):
    from nbgrader.api import Gradebook
    return Gradebook("sqlite:///" + str(workspace / "gradebook.db"))


def autograded_cells(gb, notebook: str):
    """Names of the grade cells scored by tests (not written answers)."""
    nb = gb.find_notebook(notebook, ASSIGNMENT)
    answers = {c.name for c in nb.solution_cells}
    return {c.name: c.max_score for c in nb.grade_cells if c.name not in answers}


def html_text(path: Path) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", path.read_text()))


def suite_lines() -> list[str]:
    """Distinctive code lines of the hidden suites (none of them occurs in any notebook)."""
    import nbformat
    notebooks = "\n".join(cell.source for p in paths.SOURCE_DIR.rglob("*.ipynb")
                           for cell in nbformat.read(str(p), as_version=4).cells)
    lines = set()
    for path in SUITES.rglob("*.py"):
        for line in path.read_text().splitlines():
            line = line.strip()
            if len(line) >= 25 and not line.startswith(("#", '"', "'")) and line not in notebooks:
                lines.add(line)
    return sorted(lines)


def leaked(text: str, lines: list[str]) -> list[str]:
    return [line for line in lines if line in text] + [s for s in ("_grader_", "def test_") if s in text]


# ---- autograde --------------------------------------------------------------------------

def test_autograde_succeeds_without_starting_a_kernel(course):
    assert course.autograde.returncode == 0, course.autograde.stdout + course.autograde.stderr
    assert course.kernels == set(), f"a Jupyter kernel was started during autograde: {course.kernels}"


def test_kernel_watcher_sees_a_kernel_process():
    # the negative control of the test above: a process named like a kernel is noticed
    with KernelWatcher() as watcher:
        proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(0.5)", "ipykernel_launcher"],
                                env=marked(dict(os.environ)))
        other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(0.5)", "ipykernel_launcher"])
        proc.wait()
        other.wait()
    assert {int(pid) for pid, _ in watcher.seen} == {proc.pid}   # this test's own, not another's


def test_solution_gets_full_marks_in_every_grade_cell(course):
    with gradebook(course.workspace) as gb:
        for notebook in demo.NOTEBOOKS:
            cells = autograded_cells(gb, notebook)
            assert cells, notebook
            for name, points in cells.items():
                grade = gb.find_grade(name, notebook, ASSIGNMENT, "sol")
                assert (grade.auto_score, grade.needs_manual_grade) == (points, False), f"{notebook}/{name}"


def test_untouched_release_scores_zero(course):
    with gradebook(course.workspace) as gb:
        for notebook in demo.NOTEBOOKS:
            for name in autograded_cells(gb, notebook):
                grade = gb.find_grade(name, notebook, ASSIGNMENT, "rel")
                assert (grade.auto_score, grade.needs_manual_grade) == (0.0, False), f"{notebook}/{name}"
        assert gb.find_submission(ASSIGNMENT, "rel").score == 0.0


def test_unreadable_notebook_is_flagged_not_zero_and_the_others_are_graded(course):
    with gradebook(course.workspace) as gb:
        knn = gb.find_submission_notebook("knn", ASSIGNMENT, "bad")
        assert knn.grades and all(g.auto_score is None and g.needs_manual_grade for g in knn.grades)
        comments = [c.auto_comment or "" for c in knn.comments]
        assert any("not a readable notebook" in c for c in comments), comments
        for notebook in ("svm", "softmax"):
            for name, points in autograded_cells(gb, notebook).items():
                assert gb.find_grade(name, notebook, ASSIGNMENT, "bad").auto_score == points
    log = course.autograde.stdout + course.autograde.stderr
    assert re.search(r"ERROR\].*bad/assignment1/knn could not be graded: knn.ipynb is not a readable notebook", log)


def test_results_json_and_feedback_text_sit_beside_the_autograded_notebook(course):
    import json
    folder = course.workspace / "autograded" / "sol" / ASSIGNMENT
    doc = json.loads((folder / "svm.results.json").read_text())
    assert doc["score"] == doc["max_score"] > 0 and isinstance(doc["extra_data"]["seed"], int)
    assert {"name", "score", "max_score", "output", "visibility", "extra_data"} <= set(doc["tests"][0])
    text = (course.workspace / "autograded" / "rel" / ASSIGNMENT / "svm.feedback.txt").read_text()
    assert "not implemented" in text and "[FAIL]" in text and "[PASS]" not in text
    bad = json.loads((course.workspace / "autograded" / "bad" / ASSIGNMENT / "knn.results.json").read_text())
    assert "not a readable notebook" in bad["error"] and bad["max_score"] > 0


def test_grading_inside_nbgraders_process_gives_the_same_grades(course):
    # processes=1: no grading processes working ahead; the default uses one per core
    done = nbgrader(course.root, course.workspace, "autograde", ASSIGNMENT, "--student", "rel", "--force",
                    "--GradeWithHiddenSuites.processes=1")
    assert done.returncode == 0, done.stdout + done.stderr
    log = done.stdout + done.stderr
    assert log.count("graded in nbgrader's process") == 3 and "graded ahead" not in log
    assert "graded ahead" in course.autograde.stdout + course.autograde.stderr or os.cpu_count() == 1
    with gradebook(course.workspace) as gb:
        assert gb.find_submission(ASSIGNMENT, "rel").score == 0.0
        assert all(g.needs_manual_grade is False for nb in gb.find_submission(ASSIGNMENT, "rel").notebooks
                   for g in nb.grades if g.cell_type == "code")


def test_fingerprint_covers_exactly_the_graded_cells():
    from autograder.nbgrader_ext.grading_ahead import graded_cells_fingerprint
    nb = demo.student_notebook("svm", demo.solution_sources("svm"), paths.REPO_ROOT)
    before = graded_cells_fingerprint(nb, ASSIGNMENT, "svm")
    for cell in nb.cells:  # what nbgrader's sanitizing may change: outputs, locked and test cells
        cell.get("metadata", {}).pop("collapsed", None)
        if cell.cell_type == "code":
            cell.outputs = []
        if cell.metadata.get("nbgrader", {}).get("locked"):
            cell.source += "\n# restored from the gradebook"
    assert graded_cells_fingerprint(nb, ASSIGNMENT, "svm") == before
    answer = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "svm_loss_naive")
    answer.source += "\n"
    assert graded_cells_fingerprint(nb, ASSIGNMENT, "svm") != before


# ---- feedback and export ------------------------------------------------------------------

@pytest.fixture(scope="module")
def feedback(course):
    done = nbgrader(course.root, course.workspace, "generate_feedback", ASSIGNMENT, "--force")
    assert done.returncode == 0, done.stdout + done.stderr
    return course.workspace / "feedback"


def test_feedback_shows_failures_and_no_hidden_test_code(feedback):
    files = sorted(feedback.glob(f"*/{ASSIGNMENT}/*.html"))
    assert len(files) == 9, files
    for notebook in demo.NOTEBOOKS:
        text = html_text(feedback / "rel" / ASSIGNMENT / f"{notebook}.html")
        assert "not implemented" in text, notebook
    assert "not a readable notebook" in html_text(feedback / "bad" / ASSIGNMENT / "knn.html")
    lines = suite_lines()
    assert len(lines) > 20
    for path in files:
        assert leaked(html_text(path), lines) == [], path


def feedback_heading(path: Path) -> str:
    """The text above the list of cells: notebook name, score (or why there is none)."""
    match = re.search(r'<div class="panel-heading">(.*?)<div id="toc">', path.read_text(), re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", match.group(1))) if match else ""


def test_feedback_is_honest_readable_offline_and_has_no_score_outputs(feedback):
    bad = (feedback / "bad" / ASSIGNMENT / "knn.html").read_text()
    heading = feedback_heading(feedback / "bad" / ASSIGNMENT / "knn.html")
    assert "not graded" in heading and "Score:" not in heading, heading   # no number for an ungraded notebook
    assert "needs manual grade: knn.ipynb is not a readable notebook" in html.unescape(bad)
    sol = (feedback / "sol" / ASSIGNMENT / "svm.html").read_text()
    assert "Score: 14.0 / 18.0" in feedback_heading(feedback / "sol" / ASSIGNMENT / "svm.html")
    assert "Written answers (4.0 points) are not graded yet" in html_text(feedback / "sol" / ASSIGNMENT / "svm.html")
    for text in (bad, sol):
        # nothing loaded from outside: no script or style from a URL, no MathJax; math is MathML
        assert re.findall(r'(?:src|href)="(?:https?:)?//', text) == []
        assert "mathjax" not in text.lower()
        assert "<math" in text and "white-space: pre-wrap" in text
        # the bare score nbgrader reads from a test cell (an execute_result) is not shown
        assert "Out[" not in text and "output_prompt" not in re.sub(r"<style.*?</style>", "", text, flags=re.S)


def test_leak_check_can_fail():
    lines = suite_lines()
    assert leaked("feedback ... " + lines[len(lines) // 2] + " ...", lines)
    assert leaked("x = _grader_probe(W)", lines)


def test_export_has_a_status_column(course):
    # one more student whose notebook nbgrader itself cannot process (mangled cell metadata):
    # nbgrader drops the result, and the CSV must say so rather than show a score
    import json
    mangled = json.loads((course.workspace / "submitted" / "sol" / ASSIGNMENT / "knn.ipynb").read_text())
    for cell in mangled["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == "predict_labels":
            del cell["metadata"]["nbgrader"]["grade_id"]
    demo.submit(course.workspace, "zed", {"knn": json.dumps(mangled).encode()})
    failed = nbgrader(course.root, course.workspace, "autograde", ASSIGNMENT, "--student", "zed", "--force")
    assert failed.returncode != 0
    csv_path = course.root / "grades.csv"
    done = nbgrader(course.root, course.workspace, "export", "--to", str(csv_path))
    assert done.returncode == 0, done.stdout + done.stderr
    rows = {r["student_id"]: r for r in csv.DictReader(csv_path.open())}
    assert set(rows) == {"sol", "rel", "bad", "zed"}
    # the solution's written answers wait for a TA; the release's unchanged answers score 0 (nbgrader)
    assert rows["sol"]["status"] == "autograded, written answers pending" and float(rows["sol"]["raw_score"]) > 0
    assert rows["rel"]["status"] == "complete" and float(rows["rel"]["raw_score"]) == 0.0
    assert rows["bad"]["status"].startswith("needs manual grade: knn: knn.ipynb is not a readable notebook")
    assert rows["bad"]["raw_score"] == "" and rows["bad"]["score"] == ""   # no partial sum passing for a grade
    assert rows["zed"]["status"].startswith("not graded: autograde failed (see log)")
    assert rows["zed"]["raw_score"] == "" and rows["zed"]["score"] == ""


def test_export_goes_into_the_workspace_by_default(course):
    elsewhere = sorted(p.name for p in course.root.iterdir())
    (course.workspace / "grades.csv").unlink(missing_ok=True)
    done = nbgrader(course.root, course.workspace, "export")
    assert done.returncode == 0, done.stdout + done.stderr
    assert (course.workspace / "grades.csv").is_file()
    assert sorted(p.name for p in course.root.iterdir()) == elsewhere   # nothing new beside the notebooks


def test_written_answers_graded_by_hand_complete_the_status(course):
    """Once a TA grades every written answer (formgrader sets manual_score), the status is complete."""
    from autograder.nbgrader_ext.export import notebook_status
    args = (str(course.workspace / "submitted" / "sol" / ASSIGNMENT),
            str(course.workspace / "autograded" / "sol" / ASSIGNMENT))
    with gradebook(course.workspace) as gb:
        assert notebook_status(gb, ASSIGNMENT, "sol", "svm", *args) == "autograded, written answers pending"
        answers = {c.name for c in gb.find_notebook("svm", ASSIGNMENT).solution_cells}
        graded = [g for g in gb.find_submission_notebook("svm", ASSIGNMENT, "sol").grades if g.name in answers]
        saved = [(g.manual_score, g.needs_manual_grade) for g in graded]
        try:
            for g in graded:
                g.manual_score, g.needs_manual_grade = 1.0, False
            gb.db.commit()
            assert notebook_status(gb, ASSIGNMENT, "sol", "svm", *args) == "complete"
        finally:
            for g, (score, needs) in zip(graded, saved):
                g.manual_score, g.needs_manual_grade = score, needs
            gb.db.commit()


# ---- the feedback in a real browser -------------------------------------------------------

PROBE = """<script>
const maths = [...document.querySelectorAll("math")];
document.body.setAttribute("data-check", JSON.stringify({
  overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
  maths: maths.length,
  drawn: maths.filter(m => m.getBoundingClientRect().width > 0 && getComputedStyle(m).display.includes("math")).length,
  cut: [...document.querySelectorAll("pre")].filter(p => p.scrollWidth > p.clientWidth + 1).length,
  text: document.body.innerText,
}));
</script>"""


# Chromium leaves helper processes behind for a moment; once the test process is a child subreaper
# (the sandbox makes the grader one) they would come back to it as zombies. This wrapper is the
# subreaper for the browser and reaps them all before it exits.
REAPER = ("import ctypes, os, subprocess, sys\n"
          "ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER\n"
          "done = subprocess.run(sys.argv[1:])\n"
          "while True:\n"
          "    try:\n"
          "        os.wait()\n"
          "    except ChildProcessError:\n"
          "        break\n"
          "sys.exit(done.returncode)\n")


def browser_view(html_path: Path, tmp_path: Path, css_change=None) -> dict:
    """What headless Chromium lays out for a feedback page (900 px wide): horizontal overflow, math
    elements drawn as MathML, <pre> blocks cut off, and the visible text."""
    import json
    import shutil as _shutil
    chromium = _shutil.which("chromium") or _shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("Debian's chromium is not installed (apt-get install -y --no-install-recommends chromium)")
    text = html_path.read_text()
    if css_change:
        text = text.replace(*css_change)
    page = tmp_path / f"probe-{html_path.parent.parent.name}-{html_path.name}"
    page.write_text(text.replace("</body>", PROBE + "</body>"))
    done = subprocess.run([sys.executable, "-c", REAPER, chromium, "--headless", "--no-sandbox", "--disable-gpu",
                           "--window-size=900,1200",
                           "--virtual-time-budget=5000", "--dump-dom", page.as_uri()],
                          capture_output=True, text=True, timeout=120)
    match = re.search(r'data-check="([^"]*)"', done.stdout)
    assert match, done.stderr[-2000:]
    return json.loads(html.unescape(match.group(1)))


def test_feedback_in_a_browser_wraps_long_lines_draws_math_and_shows_what_matters(feedback, tmp_path):
    view = browser_view(feedback / "rel" / ASSIGNMENT / "svm.html", tmp_path)
    assert view["overflow"] <= 0 and view["cut"] == 0, view | {"text": ""}
    assert view["maths"] > 10 and view["drawn"] == view["maths"]          # MathML, drawn without MathJax
    assert "not implemented" in view["text"] and "Hidden tests: 0 / 4 points" in view["text"]
    assert leaked(view["text"], suite_lines()) == []
    bad = browser_view(feedback / "bad" / ASSIGNMENT / "knn.html", tmp_path)
    assert "not graded: a TA grades it by hand" in bad["text"] and "Score:" not in bad["text"].split("1.")[0]


def test_the_browser_probe_sees_cut_off_lines(feedback, tmp_path):
    """Negative control: without the wrapping rule, long lines run off the page."""
    view = browser_view(feedback / "rel" / ASSIGNMENT / "svm.html", tmp_path,
                        css_change=("white-space: pre-wrap;", "white-space: pre;"))
    assert view["cut"] > 0 or view["overflow"] > 0


def test_feedback_shows_the_students_own_outputs_and_plots_but_no_script(feedback):
    page = (feedback / "sol" / ASSIGNMENT / "knn.html").read_text()
    assert "student printout 31337" in page
    assert f"data:image/png;base64,{TINY_PNG}" in page
    assert "alert('student')" not in page and "alert(&#39;student&#39;)" not in page
    # negative control: the student without outputs has none of them
    assert "student printout 31337" not in (feedback / "rel" / ASSIGNMENT / "knn.html").read_text()
