"""``python -m autograder.tools.demo`` (``make demo``): a whole grading round on simulated students.

Builds a fresh demo course in ``build/demo-course/`` (copies of ``source_nb/``, ``release/`` and
``nbgrader_config.py``; the course workspace inside it), submits assignment 1 for four students

- ``s1-solved``: the instructor solution (full marks);
- ``s2-untouched``: the untouched release (zero);
- ``s3-buggy``: the solution with one subtle bug (``svm_loss_vectorized`` forgets the 0.5 of the
  regularization term);
- ``s4-broken``: a truncated ``knn.ipynb`` (not a notebook any more) and two good notebooks;
  and, for every later assignment, a solved, an untouched and a buggy student (``LATER_BUGS``);

then runs the real ``nbgrader generate_assignment``, ``nbgrader autograde``,
``nbgrader generate_feedback`` and ``nbgrader export``, and prints the grade table read from the
gradebook. Exit status 0 when every result is the one the design expects.

The helpers here (course, submissions, running nbgrader) are shared with the benchmark.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat

from cs231n_lib import paths

ASSIGNMENT = "assignment1"
NOTEBOOKS = ("knn", "svm", "softmax")
DEMO_DIR = paths.REPO_ROOT / "build" / "demo-course"
TIMESTAMP = "2027-01-20 18:00:00.000000 UTC"
_MARKER = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*$")

# the buggy student's svm_loss_vectorized: right in every respect but the regularization, which lacks the 0.5
# (so the loss is off by 0.5 * reg * sum(W**2) while the gradient is still right).
BUGGY_SVM_LOSS_VECTORIZED = '''def svm_loss_vectorized(W, X, y, reg):
    """
    Multiclass SVM loss and gradient, vectorized (no Python loop over examples or classes).

    Same inputs and outputs as svm_loss_naive.
    """
    loss = 0.0
    dW = np.zeros(W.shape)
    num_train = X.shape[0]
    scores = X.dot(W)
    rows = np.arange(num_train)
    margins = np.maximum(0, scores - scores[rows, y][:, None] + 1)
    margins[rows, y] = 0
    loss = margins.sum() / num_train + reg * np.sum(W * W)
    coeff = (margins > 0).astype(X.dtype)
    coeff[rows, y] = -coeff.sum(axis=1)
    dW = X.T.dot(coeff) / num_train + reg * W
    return loss, dW
'''


# The buggy student of every later assignment: one realistic mistake, on one function only.
# assignment -> (notebook, solution grade_id, source, what it gets wrong)
LATER_BUGS = {
    "assignment2": ("layers", "softmax_loss", '''def softmax_loss(x, y):
    N = x.shape[0]
    p = np.exp(x) / np.exp(x).sum(axis=1, keepdims=True)      # not shifted: overflows for scores near 1000
    loss = -np.log(p[np.arange(N), y]).mean()
    p[np.arange(N), y] -= 1
    return loss, p / N
''', "softmax_loss does not shift the scores"),
    "assignment3": ("conv_layers", "max_pool_backward_naive", '''def max_pool_backward_naive(dout, cache):
    x, pool_param = cache
    ph, pw, s = pool_param['pool_height'], pool_param['pool_width'], pool_param['stride']
    N, C, H_out, W_out = dout.shape
    dx = np.zeros_like(x)
    for n in range(N):
        for c in range(C):
            for i in range(H_out):
                for j in range(W_out):
                    window = x[n, c, i * s:i * s + ph, j * s:j * s + pw]
                    mask = window == np.max(window)
                    dx[n, c, i * s:i * s + ph, j * s:j * s + pw] = mask * dout[n, c, i, j]   # = where += is needed
    return dx
''', "max_pool_backward_naive overwrites where overlapping windows should add"),
}

# ---- a course folder and its submissions -----------------------------------------------

def tool_env(workspace: Path) -> dict:
    """Environment for nbgrader subprocesses: this interpreter's bin folder first on PATH."""
    env = dict(os.environ)
    bin_dir = str(Path(sys.executable).parent)  # not resolved: a venv's python is a symlink
    env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
    env["CS231N_WORKSPACE"] = str(workspace)
    env.setdefault("MPLBACKEND", "Agg")
    env.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    return env


def nbgrader_cmd(*args: str) -> list[str]:
    exe = Path(sys.executable).parent / "nbgrader"
    return [str(exe), *args] if exe.exists() else [sys.executable, "-m", "nbgrader", *args]


def build_course(dest: Path, config: Path | None = None) -> Path:
    """A fresh course folder: source_nb/, release/ and the nbgrader config; returns its workspace."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    shutil.copytree(paths.SOURCE_DIR, dest / "source_nb")
    shutil.copytree(paths.RELEASE_DIR, dest / "release")
    shutil.copy(config or paths.REPO_ROOT / "nbgrader_config.py", dest / "nbgrader_config.py")
    workspace = dest / "workspace"
    workspace.mkdir()
    return workspace


def solution_sources(notebook: str, assignment: str = ASSIGNMENT) -> dict[str, str]:
    """``grade_id -> source`` of the instructor's answer cells, solution markers removed."""
    nb = nbformat.read(paths.source_notebook(assignment, notebook), as_version=4)
    out = {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            out[meta["grade_id"]] = "\n".join(l for l in cell.source.splitlines() if not _MARKER.match(l))
    return out


def student_notebook(notebook: str, answers: dict[str, str], course: Path,
                     assignment: str = ASSIGNMENT):
    """The released notebook of ``course`` with the answer cells named in ``answers`` filled in."""
    nb = nbformat.read(course / "release" / assignment / f"{notebook}.ipynb", as_version=4)
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid in answers:
            cell.source = answers[gid]
    return nb


def submit(workspace: Path, student: str, files: dict, assignment: str = ASSIGNMENT) -> Path:
    """Write ``submitted/<student>/<assignment>/``: ``files`` maps notebook -> NotebookNode or raw bytes."""
    folder = workspace / "submitted" / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        path = folder / f"{name}.ipynb"
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            nbformat.write(content, str(path))
    (folder / "timestamp.txt").write_text(TIMESTAMP + "\n")
    return folder


def truncated(nb) -> bytes:
    """A notebook file cut in the middle: not JSON any more."""
    text = nbformat.writes(nb).encode()
    return text[: len(text) // 2]


def submissions(course: Path) -> dict[str, dict]:
    """The four demo students: ``student -> {notebook: NotebookNode or bytes}``."""
    solved = {nb: student_notebook(nb, solution_sources(nb), course) for nb in NOTEBOOKS}
    release = {nb: student_notebook(nb, {}, course) for nb in NOTEBOOKS}
    buggy_svm = dict(solution_sources("svm"), svm_loss_vectorized=BUGGY_SVM_LOSS_VECTORIZED)
    return {
        "s1-solved": dict(solved),
        "s2-untouched": dict(release),
        "s3-buggy": dict(solved, svm=student_notebook("svm", buggy_svm, course)),
        "s4-broken": dict(solved, knn=truncated(solved["knn"])),
    }


def run_nbgrader(course: Path, workspace: Path, *args: str, log=None, on_line=None) -> int:
    """Run ``nbgrader <args>`` in ``course``; every output line goes to ``log`` and ``on_line``."""
    proc = subprocess.Popen(nbgrader_cmd(*args), cwd=course, env=tool_env(workspace), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, bufsize=1)
    for line in proc.stdout:
        if log is not None:
            log.write(line)
        if on_line is not None:
            on_line(line)
    return proc.wait()


def autograde(course: Path, workspace: Path, log, progress=None, *extra: str) -> int:
    """``nbgrader autograde assignment1 --force``; ``progress`` ticks once per notebook graded."""
    def on_line(line):
        if progress is not None and "Autograding " in line:
            progress.update(1)
            match = re.search(r"autograded[/\\]([^/\\]+)[/\\][^/\\]+[/\\]([^/\\\s]+)\.ipynb", line)
            if match:
                progress.set_postfix_str(f"{match.group(1)}/{match.group(2)}")
    return run_nbgrader(course, workspace, "autograde", ASSIGNMENT, "--force", *extra, log=log, on_line=on_line)


# ---- reading the gradebook -----------------------------------------------------------

def grade_rows(workspace: Path, students, assignment: str = ASSIGNMENT) -> list[dict]:
    """One row per (student, notebook): autograded score and max, written points, status."""
    from nbgrader.api import Gradebook, MissingEntry

    from autograder.nbgrader_ext.export import is_autograded, notebook_status

    rows = []
    with Gradebook("sqlite:///" + str(workspace / "gradebook.db")) as gb:
        for student in students:
            for notebook in gb.find_assignment(assignment).notebooks:
                row = {"student": student, "notebook": notebook.name, "score": None, "max": 0.0,
                       "written": 0.0, "written_max": 0.0, "lost": []}
                answers = {c.name for c in notebook.solution_cells}
                row["status"] = notebook_status(gb, assignment, student, notebook.name,
                                                str(workspace / "submitted" / student / assignment),
                                                str(workspace / "autograded" / student / assignment))
                try:
                    sub = gb.find_submission_notebook(notebook.name, assignment, student)
                except MissingEntry:
                    rows.append(row)
                    continue
                score = 0.0
                for grade in sub.grades:
                    if grade.name in answers:
                        row["written"] += grade.manual_score or 0.0
                        row["written_max"] += grade.max_score
                        continue
                    row["max"] += grade.max_score
                    if grade.auto_score is not None:
                        score += grade.auto_score
                        if grade.auto_score < grade.max_score - 1e-9:
                            row["lost"].append(grade.name)
                if is_autograded(row["status"]):
                    row["score"] = score
                rows.append(row)
    return rows


def print_table(rows) -> None:
    from autograder.nbgrader_ext.export import is_autograded
    print(f"\n{'student':<13} {'notebook':<8} {'autograded':>14}  {'written':>9}  status")
    print("-" * 100)
    for r in rows:
        score = "--" if r["score"] is None else f"{r['score']:.2f}"
        status = r["status"] + (f" (points lost on {', '.join(sorted(r['lost']))})"
                                if r["lost"] and is_autograded(r["status"]) else "")
        written = f"{r['written']:g} / {r['written_max']:g}"
        print(f"{r['student']:<13} {r['notebook']:<8} {score:>6} / {r['max']:<6.2f}  {written:>9}  {status}")
    print("(written: points awarded for written answers so far / their maximum; TAs grade them in formgrader)")


def check_expectations(rows) -> list[str]:
    """What differs from the designed outcome of the demo (empty when all is as expected)."""
    from autograder.nbgrader_ext.export import is_autograded
    problems = []
    for r in rows:
        who = f"{r['student']}/{r['notebook']}"
        full = r["score"] is not None and abs(r["score"] - r["max"]) < 1e-6
        if r["student"] == "s4-broken" and r["notebook"] == "knn":
            if not r["status"].startswith("needs manual grade") or r["score"] is not None:
                problems.append(f"{who}: the unreadable file should be flagged, got {r['status']!r}")
        elif r["student"] == "s2-untouched":
            if not is_autograded(r["status"]) or r["score"] != 0:
                problems.append(f"{who}: the untouched release should score 0, got {r['score']} ({r['status']})")
        elif r["student"] == "s3-buggy" and r["notebook"] == "svm":
            if not is_autograded(r["status"]) or r["lost"] != ["test_svm_loss_vectorized"] or full:
                problems.append(f"{who}: should lose points on test_svm_loss_vectorized only, lost on "
                                f"{r['lost']} ({r['status']})")
        elif not full or not is_autograded(r["status"]):
            problems.append(f"{who}: should have full marks, got {r['score']} / {r['max']} ({r['status']})")
    return problems


# ---- the demo --------------------------------------------------------------------------

def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.tools.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--dest", type=Path, default=DEMO_DIR, help="demo course folder (rebuilt each run)")
    args = parser.parse_args(argv)
    from tqdm import tqdm

    course = args.dest.resolve()
    print(f"Demo course: {course}")
    workspace = build_course(course)
    log_path = course / "nbgrader.log"
    with open(log_path, "w") as log:
        print("nbgrader generate_assignment (registers the notebooks in the gradebook) ...", flush=True)
        if run_nbgrader(course, workspace, "generate_assignment", ASSIGNMENT, "--force", log=log) != 0:
            print(f"error: nbgrader generate_assignment failed; see {log_path}")
            return 1
        students = submissions(course)
        for student, files in students.items():
            submit(workspace, student, files)
        print(f"Submitted {len(students)} students x {len(NOTEBOOKS)} notebooks to {workspace / 'submitted'}")
        print("  s1-solved: solution | s2-untouched: untouched release | s3-buggy: svm_loss_vectorized forgets the 0.5 "
              "| s4-broken: knn.ipynb truncated")

        tic = time.perf_counter()
        with tqdm(total=len(students) * len(NOTEBOOKS), desc="nbgrader autograde", unit="nb") as bar:
            rc = autograde(course, workspace, log, bar)
        graded_in = time.perf_counter() - tic
        print(f"nbgrader autograde: exit {rc}, {graded_in:.1f} s for {len(students)} submissions")
        tic = time.perf_counter()
        rc_feedback = run_nbgrader(course, workspace, "generate_feedback", ASSIGNMENT, "--force", log=log)
        print(f"nbgrader generate_feedback: exit {rc_feedback}, {time.perf_counter() - tic:.1f} s")
        csv_path = course / "grades.csv"
        rc_export = run_nbgrader(course, workspace, "export", "--to", str(csv_path), log=log)
        print(f"nbgrader export: exit {rc_export}, {csv_path}")

    errors = [l.rstrip() for l in open(log_path) if "| ERROR]" in l]
    if errors:
        print(f"\nErrors logged by nbgrader ({log_path}):")
        for line in errors:
            print("  " + line[:200])

    rows = grade_rows(workspace, sorted(students))
    print_table(rows)

    feedback = sorted((workspace / "feedback").glob(f"*/{ASSIGNMENT}/*.html"))
    print(f"\nFeedback HTML ({len(feedback)} files): {workspace / 'feedback'}/<student>/{ASSIGNMENT}/<notebook>.html")
    for student in sorted(students):
        print(f"  {student}: {', '.join(p.name for p in feedback if p.parent.parent.name == student)}")
    print(f"Plain-text feedback and Gradescope JSON: {workspace / 'autograded'}/<student>/{ASSIGNMENT}/"
          "<notebook>.feedback.txt, <notebook>.results.json")

    problems = check_expectations(rows) + show_diagnosis_and_class_report(workspace)
    if rc != 0 or rc_feedback != 0 or rc_export != 0:
        problems.append(f"nbgrader exit codes: autograde {rc}, generate_feedback {rc_feedback}, export {rc_export}")
    if len(feedback) != len(students) * len(NOTEBOOKS):
        problems.append(f"expected {len(students) * len(NOTEBOOKS)} feedback files, found {len(feedback)}")
    if problems:
        print("\nThe demo did NOT go as designed:")
        for p in problems:
            print("  - " + p)
        return 1
    print("\nAll as designed: s1-solved full marks, s2-untouched 0, s3-buggy loses points on svm_loss_vectorized only, "
          "s4-broken's unreadable knn.ipynb flagged for manual grading (the other notebooks graded).")
    return later_assignments(course, workspace)


def later_assignments(course: Path, workspace: Path) -> int:
    """The same round for every later assignment: s1-solved, s2-untouched and s3-buggy (LATER_BUGS)."""
    from autograder.engine.assignments import assignment_names, load_assignment
    status = 0
    for assignment in [a for a in assignment_names() if a != ASSIGNMENT]:
        notebooks = load_assignment(assignment).notebooks
        log_path = course / f"nbgrader-{assignment}.log"
        with open(log_path, "w") as log:
            print(f"\n==== {assignment}: {', '.join(notebooks)} ====", flush=True)
            if run_nbgrader(course, workspace, "generate_assignment", assignment, "--force", log=log) != 0:
                print(f"error: nbgrader generate_assignment {assignment} failed; see {log_path}")
                status = 1
                continue
            solved = {nb: student_notebook(nb, solution_sources(nb, assignment), course, assignment) for nb in notebooks}
            students = {"s1-solved": solved,
                        "s2-untouched": {nb: student_notebook(nb, {}, course, assignment) for nb in notebooks}}
            bug = LATER_BUGS.get(assignment)
            if bug and bug[0] in notebooks:
                nb, gid, source, what = bug
                students["s3-buggy"] = dict(solved, **{nb: student_notebook(
                    nb, dict(solution_sources(nb, assignment), **{gid: source}), course, assignment)})
                print(f"  s3-buggy: {what}")
            for student, files in students.items():
                submit(workspace, student, files, assignment)
            tic = time.perf_counter()
            rc = run_nbgrader(course, workspace, "autograde", assignment, "--force", log=log)
            print(f"nbgrader autograde {assignment}: exit {rc}, {time.perf_counter() - tic:.1f} s for "
                  f"{len(students)} submissions x {len(notebooks)} notebooks")
        rows = grade_rows(workspace, sorted(students), assignment)
        print_table(rows)
        problems = [] if rc == 0 else [f"nbgrader autograde {assignment} exited {rc}"]
        for r in rows:
            who = f"{assignment}/{r['student']}/{r['notebook']}"
            full = r["score"] is not None and abs(r["score"] - r["max"]) < 1e-6
            if r["student"] == "s2-untouched" and r["score"] != 0:
                problems.append(f"{who}: the untouched release should score 0, got {r['score']}")
            elif r["student"] == "s3-buggy" and bug and r["notebook"] == bug[0]:
                if r["lost"] != [f"test_{bug[1]}"] or full:
                    problems.append(f"{who}: should lose points on test_{bug[1]} only, lost on {r['lost']}")
            elif r["student"] != "s2-untouched" and not full:
                problems.append(f"{who}: should have full marks, got {r['score']} / {r['max']}")
        if problems:
            print(f"\n{assignment} did NOT go as designed:")
            for p in problems:
                print("  - " + p)
            status = 1
        else:
            print(f"{assignment} as designed: s1-solved full marks, s2-untouched 0"
                  + (f", s3-buggy loses points on {bug[1]} only" if bug else ""))
    return status


def show_diagnosis_and_class_report(workspace: Path) -> list[str]:
    """Print s3-buggy's diagnosis (its feedback) and the class report of the round; return problems."""
    from autograder.batch.store import ResultStore
    from autograder.tools.class_report import summary_lines, write_report
    feedback = workspace / "autograded" / "s3-buggy" / ASSIGNMENT / "svm.feedback.txt"
    causes = [l.strip() for l in feedback.read_text().splitlines() if "Likely cause:" in l] if feedback.exists() else []
    print("\nMistake diagnosis in s3-buggy's feedback (svm.feedback.txt):")
    print("  " + (causes[0] if causes else "(none)"))
    results = ResultStore(workspace / "results" / ASSIGNMENT, ASSIGNMENT).results()
    if not results:
        return ["the results store of the round is empty: no class report"]
    html_path, csv_path, data = write_report(results, ASSIGNMENT, workspace / "results" / ASSIGNMENT)
    print("\nClass report (python -m autograder report):")
    print("  " + "\n  ".join(summary_lines(data)))
    print(f"  {html_path}\n  {csv_path}")
    problems = [] if causes else ["s3-buggy's feedback names no known mistake"]
    if not data.mistakes:
        problems.append("the class report counts no known mistake")
    return problems


if __name__ == "__main__":
    sys.exit(main())
