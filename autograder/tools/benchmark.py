"""``python -m autograder.tools.benchmark``: grading time per assignment-1 submission (not a test).

Builds a scratch course in ``build/benchmark-course/`` with ``--submissions`` students (a mix
of correct solutions, untouched releases and solutions with one bug), then measures wall time of

(a) our engine called directly: ``grade_notebook`` on each notebook, in this process;
(b) ``nbgrader autograde assignment1`` with our engine (the repo's ``nbgrader_config.py``);
(c) ``nbgrader autograde assignment1`` the stock way: nbgrader's ``Execute`` runs every
    student notebook top to bottom in a Jupyter kernel (the public checks are the tests).

(c) executes the whole notebooks on the offline digits data (about 10-25 s per notebook), so
20 submissions take several minutes; ``--stock-submissions N`` grades only the first N (the
mix is interleaved, so any N keeps it) and ``--extrapolate`` also prints the estimate for all.
Both nbgrader runs use an empty data folder (``CS231N_DATA``), as CI does.

    python -m autograder.tools.benchmark                      # (a), (b) and (c) on 20 submissions
    python -m autograder.tools.benchmark --stock-submissions 5 --extrapolate

(b) runs ``--repeat`` times (default 3, median reported); (a) and (c) run once. Grading in (b)
uses the grading processes of ``GradeWithHiddenSuites`` (one per core by default).
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
from pathlib import Path

from cs231n_lib import paths

from . import demo

BENCH_DIR = paths.REPO_ROOT / "build" / "benchmark-course"

STOCK_CONFIG_LINES = '''
# --- benchmark path (c): nbgrader's stock autograde (a kernel executes each notebook) ---
c.Autograde.exporter_class = "nbconvert.exporters.NotebookExporter"
c.Autograde.autograde_preprocessors = [  # nbgrader 0.9's default list
    "nbgrader.preprocessors.Execute",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]
c.ExecutePreprocessor.timeout = 600
c.Execute.timeout = 600
'''


def _replace(source: str, old: str, new: str, what: str) -> str:
    if old not in source:
        raise RuntimeError(f"cannot build the '{what}' variant: the solution no longer contains {old!r}")
    return source.replace(old, new)


def variants() -> dict[str, dict[str, dict[str, str]]]:
    """``variant -> {notebook: {grade_id: source}}`` of the answer cells each variant fills in."""
    sol = {nb: demo.solution_sources(nb) for nb in demo.NOTEBOOKS}
    no_shift = _replace(sol["softmax"]["softmax_loss_vectorized"],
                        "    shifted -= shifted.max(axis=1, keepdims=True)\n", "", "softmax without shift")
    tie_high = _replace(sol["knn"]["predict_labels"], "np.bincount(closest_y).argmax()",
                        "len(np.bincount(closest_y)) - 1 - np.bincount(closest_y)[::-1].argmax()",
                        "ties toward the larger label")
    return {
        "correct": sol,
        "release": {nb: {} for nb in demo.NOTEBOOKS},
        "svm reg without 0.5": dict(sol, svm=dict(sol["svm"], svm_loss_vectorized=demo.BUGGY_SVM_LOSS_VECTORIZED)),
        "softmax without shift": dict(sol, softmax=dict(sol["softmax"], softmax_loss_vectorized=no_shift)),
        "knn ties to larger label": dict(sol, knn=dict(sol["knn"], predict_labels=tie_high)),
    }


def plan(n: int) -> list[tuple[str, str]]:
    """``(student, variant)`` for n students: half correct, the rest release and buggy, interleaved."""
    cycle = ["correct", "release", "correct", "svm reg without 0.5", "correct",
             "softmax without shift", "correct", "release", "correct", "knn ties to larger label"]
    return [(f"s{i + 1:02d}", cycle[i % len(cycle)]) for i in range(n)]


def make_course(dest: Path, students: list[tuple[str, str]], stock: bool, log) -> Path:
    """A course with the given submissions, the assignment registered; returns its workspace."""
    workspace = demo.build_course(dest)
    if stock:
        with open(dest / "nbgrader_config.py", "a") as fh:
            fh.write(STOCK_CONFIG_LINES)
    if demo.run_nbgrader(dest, workspace, "generate_assignment", demo.ASSIGNMENT, "--force", log=log) != 0:
        raise RuntimeError(f"nbgrader generate_assignment failed in {dest}")
    answers = variants()
    for student, variant in students:
        demo.submit(workspace, student, {nb: demo.student_notebook(nb, answers[variant][nb], dest)
                                         for nb in demo.NOTEBOOKS})
    return workspace


def time_autograde(course: Path, workspace: Path, n: int, label: str, log) -> tuple[float, int]:
    from tqdm import tqdm
    os.environ["CS231N_DATA"] = str(course / "offline-data")  # empty: the notebooks use the digits
    tic = time.perf_counter()
    with tqdm(total=n * len(demo.NOTEBOOKS), desc=label, unit="nb") as bar:
        rc = demo.autograde(course, workspace, log, bar)
    return time.perf_counter() - tic, rc


def totals(workspace: Path, students) -> dict[str, float]:
    """Total autograded score per student, from the gradebook."""
    rows = demo.grade_rows(workspace, [s for s, _ in students])
    out: dict[str, float] = {}
    for r in rows:
        out[r["student"]] = out.get(r["student"], 0.0) + (r["score"] or 0.0)
    return out


def stock_totals(workspace: Path, students) -> dict[str, float]:
    """Total score of the autograded (check) cells per student under the stock path."""
    from nbgrader.api import Gradebook
    out = {}
    with Gradebook("sqlite:///" + str(workspace / "gradebook.db")) as gb:
        for student, _ in students:
            total = 0.0
            for nb in gb.find_assignment(demo.ASSIGNMENT).notebooks:
                answers = {c.name for c in nb.solution_cells}
                sub = gb.find_submission_notebook(nb.name, demo.ASSIGNMENT, student)
                total += sum(g.auto_score or 0.0 for g in sub.grades if g.name not in answers)
            out[student] = total
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.tools.benchmark", description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=20, help="submissions for (a) and (b) (default 20)")
    parser.add_argument("--stock-submissions", type=int, default=None,
                        help="submissions for the stock path (c) (default: --submissions; several minutes "
                             "for 20); 0 skips (c)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of (b); the median is reported (default 3)")
    parser.add_argument("--extrapolate", action="store_true",
                        help="also print the stock path's time extrapolated to --submissions")
    parser.add_argument("--dest", type=Path, default=BENCH_DIR, help="scratch folder (rebuilt each run)")
    args = parser.parse_args(argv)
    n = args.submissions
    n_stock = n if args.stock_submissions is None else min(args.stock_submissions, n)
    students = plan(n)
    dest = args.dest.resolve()
    dest.mkdir(parents=True, exist_ok=True)
    log_path = dest / "nbgrader.log"
    print(f"Scratch course: {dest} ({n} submissions: "
          + ", ".join(f"{v} x{sum(1 for _, x in students if x == v)}" for v in dict.fromkeys(v for _, v in students))
          + ")", flush=True)

    with open(log_path, "w") as log:
        ours_course = dest / "ours"
        ours_ws = make_course(ours_course, students, stock=False, log=log)

        # (a) the engine, in this process
        from tqdm import tqdm

        from autograder.engine.grading import grade_notebook
        per_submission = []
        with tqdm(students, desc="(a) grade_notebook", unit="sub") as bar:
            for student, _ in bar:
                tic = time.perf_counter()
                for nb in demo.NOTEBOOKS:
                    report = grade_notebook(ours_ws / "submitted" / student / demo.ASSIGNMENT / f"{nb}.ipynb")
                    if report.error:
                        print(f"error: {student}/{nb}: {report.error}")
                        return 1
                per_submission.append(time.perf_counter() - tic)
        a_total = sum(per_submission)

        # (b) nbgrader autograde with our engine (median of --repeat runs)
        b_runs = []
        for run in range(args.repeat):
            seconds, b_rc = time_autograde(ours_course, ours_ws, n, f"(b) nbgrader + engine, run {run + 1}", log)
            if b_rc != 0:
                print(f"error: nbgrader autograde (b) exited {b_rc}; see {log_path}")
                return 1
            b_runs.append(seconds)
        b_total = statistics.median(b_runs)
        b_scores = totals(ours_ws, students)

        # (c) stock nbgrader: a kernel executes every notebook
        c_total = None
        if n_stock > 0:
            stock_course = dest / "stock"
            stock_ws = make_course(stock_course, students[:n_stock], stock=True, log=log)
            c_total, c_rc = time_autograde(stock_course, stock_ws, n_stock, "(c) nbgrader stock", log)
            if c_rc != 0:
                print(f"warning: stock nbgrader autograde (c) exited {c_rc}; see {log_path}")
            c_scores = stock_totals(stock_ws, students[:n_stock])

    a_per, b_per = a_total / n, b_total / n
    print(f"\nSeconds per submission (assignment 1: knn + svm + softmax), wall time, {os.cpu_count()} cores:")
    print(f"  (a) engine directly (grade_notebook)   {a_per:7.2f} s/sub   "
          f"(median {statistics.median(per_submission):.2f}, first {per_submission[0]:.2f}; "
          f"{a_total:.1f} s for {n})")
    print(f"  (b) nbgrader autograde + our engine    {b_per:7.2f} s/sub   ({b_total:.1f} s for {n}, median of "
          f"{', '.join(f'{t:.1f}' for t in b_runs)}; no kernel)")
    if c_total is not None:
        c_per = c_total / n_stock
        print(f"  (c) nbgrader autograde, stock kernels  {c_per:7.2f} s/sub   ({c_total:.1f} s for {n_stock})")
        print(f"  speed-up of (b) over (c): {c_per / b_per:.1f}x per submission")
        if args.extrapolate and n_stock < n:
            print(f"  (c) extrapolated to {n} submissions: {c_per * n:.0f} s")
        print("\nTotal autograded points per variant, (b) hidden suites vs (c) stock (public checks in a kernel):")
        for variant in dict.fromkeys(v for _, v in students[:n_stock]):
            who = [s for s, v in students[:n_stock] if v == variant]
            print(f"  {variant:<26} (b) {statistics.mean(b_scores[s] for s in who):6.2f}   "
                  f"(c) {statistics.mean(c_scores[s] for s in who):6.2f}")
    print(f"\nnbgrader output: {log_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
