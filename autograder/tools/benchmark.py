"""``python -m autograder.tools.benchmark``: grading time per assignment-1 submission (not a test).

Builds a scratch course in ``build/benchmark-course/`` with ``--submissions`` students (a mix
of correct solutions, untouched releases and solutions with one bug), then measures wall time of

(a) our engine called directly: ``grade_notebook`` on each notebook, in this process;
(b) ``nbgrader autograde assignment1`` with our engine (the repo's ``nbgrader_config.py``);
(c) ``nbgrader autograde assignment1`` the stock way: nbgrader's ``Execute`` runs every
    student notebook top to bottom in a Jupyter kernel (the public checks are the tests).

(d) a course-scale batch: ``python -m autograder grade <submitted> --jobs <cores> --results``
    on ``--batch`` submissions (default 1,000; a mix of correct, untouched, known mistakes and
    unreadable files), workers forked from one template per submission, every result stored;
(e) the same batch on a Dask ``LocalCluster`` of 1, then 2 worker processes (``--dask``
    submissions, default 200): the scaling table.

(c) executes the whole notebooks on the offline digits data (about 10-25 s per notebook), so
it runs on ``--stock-submissions`` submissions only (default 3; the mix is interleaved, so any
N keeps it); ``--extrapolate`` also prints the estimate for all. Both nbgrader runs use an
empty data folder (``CS231N_DATA``), as CI does.

    python -m autograder.tools.benchmark                      # everything (about 10 minutes)
    python -m autograder.tools.benchmark --batch 100 --dask 40 --stock-submissions 1   # a quick look

(b) runs ``--repeat`` times (default 1; the median is reported); the others run once. Grading in
(b) uses the grading processes of ``GradeWithHiddenSuites`` (one per core by default). The
machine's load average is printed with the figures: other work on it slows every path.
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

import nbformat

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


BATCH_CYCLE = ["correct", "release", "correct", "svm reg without 0.5", "correct", "softmax without shift",
               "correct", "knn ties to larger label", "correct", "svm naive without the correct-class column",
               "correct", "predict with argmin", "correct", "correct", "release", "correct", "svm reg without 0.5",
               "correct", "cross-validation on shuffled folds", "correct"]


def batch_variants() -> dict[str, dict[str, dict[str, str]]]:
    """The benchmark's variants and a few more known mistakes, for a class with varied errors."""
    from autograder.engine.diagnosis import load_mistakes
    out = variants()
    sol = out["correct"]
    mistakes = {(m.cell, m.id): m.source for nb in demo.NOTEBOOKS for m in load_mistakes(demo.ASSIGNMENT, nb)}
    for label, nb, cell, mid in (("svm naive without the correct-class column", "svm", "svm_loss_naive",
                                  "no-correct-class-column"),
                                 ("predict with argmin", "svm", "LinearClassifier_predict", "argmin"),
                                 ("cross-validation on shuffled folds", "knn", "cross_validate_knn", "shuffled-folds")):
        out[label] = dict(sol, **{nb: dict(sol[nb], **{cell: mistakes[(cell, mid)]})})
    return out


def write_batch(dest: Path, n: int) -> tuple[Path, dict[str, int]]:
    """``n`` submissions in ``dest/submitted/<student>/assignment1/``; every 50th has an unreadable
    knn.ipynb. Returns the submitted folder and the count of each variant."""
    import shutil
    if dest.exists():
        shutil.rmtree(dest)
    answers = batch_variants()
    texts = {(v, nb): nbformat.writes(demo.student_notebook(nb, answers[v][nb], paths.REPO_ROOT)).encode()
             for v in answers for nb in demo.NOTEBOOKS}
    counts: dict[str, int] = {}
    for i in range(n):
        variant = BATCH_CYCLE[i % len(BATCH_CYCLE)]
        folder = dest / "submitted" / f"s{i + 1:04d}" / demo.ASSIGNMENT
        folder.mkdir(parents=True)
        label = variant
        for nb in demo.NOTEBOOKS:
            data = texts[(variant, nb)]
            if i % 50 == 49 and nb == "knn":
                data, label = data[: len(data) // 2], variant + " (+ unreadable knn.ipynb)"
            (folder / f"{nb}.ipynb").write_bytes(data)
        counts[label] = counts.get(label, 0) + 1
    return dest / "submitted", counts


def load() -> str:
    return " / ".join(f"{x:.1f}" for x in os.getloadavg())


CPUACCT = Path("/sys/fs/cgroup/cpuacct")


def _cpu_group() -> Path | None:
    """A fresh cgroup-v1 cpuacct group to count the CPU time of a whole process tree (sandboxed
    workers included), when this machine offers one to this user; else None."""
    group = CPUACCT / f"cs231n-benchmark-{os.getpid()}"
    try:
        group.mkdir(exist_ok=True)
        (group / "cpuacct.usage").read_text()
        return group
    except OSError:
        return None


class CpuCounter:
    """CPU seconds used by this process and everything it starts within the ``with`` block, counted
    by a cgroup-v1 cpuacct group (sandboxed workers included); ``seconds`` is None where this
    machine offers none."""

    def __init__(self, pids=()):
        self.pids = [os.getpid(), *pids]  # e.g. Dask workers started before the block

    def __enter__(self):
        self.group, self.seconds = _cpu_group(), None
        if self.group is not None:
            try:
                self.start = int((self.group / "cpuacct.usage").read_text())
                for pid in self.pids:
                    (self.group / "cgroup.procs").write_text(str(pid))
            except OSError:
                self.group = None
        return self

    def __exit__(self, *exc):
        if self.group is not None:
            self.seconds = (int((self.group / "cpuacct.usage").read_text()) - self.start) / 1e9
            for pid in self.pids:
                try:
                    (CPUACCT / "cgroup.procs").write_text(str(pid))
                except OSError:
                    pass


def time_batch(submitted: Path, results: Path, jobs: int) -> tuple[float, str, float | None]:
    """Wall time of ``python -m autograder grade <submitted> --jobs N --results`` (the real CLI),
    its summary line, and the CPU seconds of its whole process tree (None if not measurable)."""
    import shutil
    if results.exists():
        shutil.rmtree(results)
    cmd = [sys.executable, "-m", "autograder", "grade", str(submitted), "--jobs", str(jobs), "--quiet",
           "--results", str(results)]
    group = _cpu_group()
    if group is not None:  # the batch joins the group before it starts: all it starts is counted
        cmd = ["sh", "-c", f'echo $$ > {group}/cgroup.procs && exec "$@"', "sh", *cmd]
    tic = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=paths.REPO_ROOT)
    seconds = time.perf_counter() - tic
    cpu = None
    if group is not None:
        cpu = int((group / "cpuacct.usage").read_text()) / 1e9
        try:
            group.rmdir()
        except OSError:
            pass
    summary = [l for l in out.stderr.splitlines() if l.startswith("graded ")]
    if out.returncode not in (0, 1) or not summary:
        raise RuntimeError(f"the batch failed (exit {out.returncode}): {out.stderr[-2000:]}")
    return seconds, summary[0], cpu


def dask_scaling(submitted: Path, workers: list[int]) -> list[tuple[int, float, int]]:
    """(workers, seconds, submissions, CPU seconds or None) of the batch on a LocalCluster of each size
    (warmed up first). CPU seconds count this process and what it started, the cluster included."""
    from distributed import Client

    from autograder.batch.cluster import local_cluster
    from autograder.batch.run import grade_paths
    from autograder.batch.submissions import find_submissions
    rows = []
    n = len(find_submissions([submitted]))
    for w in workers:
        with local_cluster(w) as cluster, Client(cluster) as client:
            warm = sorted(submitted.iterdir())[:w]  # every worker imports the engine and the suites once
            grade_paths(warm, scheduler=client)
            with CpuCounter(client.run(os.getpid).values()) as cpu:  # the workers and all they start
                tic = time.perf_counter()
                grade_paths([submitted], scheduler=client)
                seconds = time.perf_counter() - tic
            rows.append((w, seconds, n, cpu.seconds))
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.tools.benchmark", description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=20,
                        help="submissions for (a) and (b) (default 20; 0 skips (a), (b) and (c))")
    parser.add_argument("--stock-submissions", type=int, default=3,
                        help="submissions for the stock path (c) (default 3; about 20 s each); 0 skips (c)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of (b); the median is reported (default 1)")
    parser.add_argument("--batch", type=int, default=1000, help="submissions of the batch (d) (default 1000; 0 skips)")
    parser.add_argument("--dask", type=int, default=200,
                        help="submissions of the Dask scaling run (e) (default 200; 0 skips)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="grading processes of (d)")
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
    c_total = c_per = None
    if n > 0:  # (a), (b), (c)
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
                with CpuCounter() as c_cpu:
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
            print(f"  (c) nbgrader autograde, stock kernels  {c_per:7.2f} s/sub   ({c_total:.1f} s for {n_stock}"
                  + (f"; {c_cpu.seconds / n_stock:.2f} core-seconds per submission" if c_cpu.seconds else "") + ")")
            print(f"  speed-up of (b) over (c): {c_per / b_per:.1f}x per submission")
            if args.extrapolate and n_stock < n:
                print(f"  (c) extrapolated to {n} submissions: {c_per * n:.0f} s")
            print("\nTotal autograded points per variant, (b) hidden suites vs (c) stock (public checks in a kernel):")
            for variant in dict.fromkeys(v for _, v in students[:n_stock]):
                who = [s for s, v in students[:n_stock] if v == variant]
                print(f"  {variant:<26} (b) {statistics.mean(b_scores[s] for s in who):6.2f}   "
                      f"(c) {statistics.mean(c_scores[s] for s in who):6.2f}")
        if c_total is not None:
            c_per = c_total / n_stock
        print(f"  load average during the run (1/5/15 min): {load()}")

    if args.batch > 0:  # (d) the course-scale batch
        submitted, counts = write_batch(dest / "batch", args.batch)
        print(f"\n(d) batch of {args.batch} submissions ({', '.join(f'{v} x{c}' for v, c in counts.items())})",
              flush=True)
        seconds, summary, cpu = time_batch(submitted, dest / "batch" / "results", args.jobs)
        per = seconds / args.batch
        print(f"  python -m autograder grade --jobs {args.jobs} --results: {seconds:.1f} s for {args.batch} "
              f"submissions = {per:.3f} s per submission (load average now {load()})")
        print(f"  {summary}")
        if cpu is not None:
            print(f"  CPU time of the whole batch (grader, workers, sandboxes): {cpu:.1f} s = {cpu / args.batch:.3f} "
                  f"core-seconds per submission, i.e. {cpu / args.batch / (os.cpu_count() or 1):.3f} s per "
                  f"submission on {os.cpu_count()} idle cores")
        print(f"  1,000 submissions: {per * 1000:.0f} s ({per * 1000 / 60:.1f} min)"
              + (f"; {c_per / per:.0f}x the stock nbgrader path per submission ({c_per:.1f} s / {per:.3f} s)"
                 if c_total is not None else ""))
        if cpu is not None and c_total is not None and c_cpu.seconds:
            print(f"  in CPU time: {c_cpu.seconds / n_stock / (cpu / args.batch):.0f}x less than the stock path per "
                  f"submission ({c_cpu.seconds / n_stock:.2f} vs {cpu / args.batch:.3f} core-seconds; load-independent)")
        print(f"  class report of the batch: python -m autograder report {demo.ASSIGNMENT} --results "
              f"{dest / 'batch' / 'results'}")
    if args.dask > 0:  # (e) Dask scaling
        try:
            import distributed  # noqa: F401
        except ImportError:
            print("\n(e) skipped: dask[distributed] is not installed")
        else:
            submitted, _ = write_batch(dest / "dask", args.dask)
            rows = dask_scaling(submitted, [1, 2])
            print(f"\n(e) Dask LocalCluster scaling ({args.dask} submissions, one thread per worker process; "
                  f"load average {load()}):")
            print(f"  {'workers':>7}  {'seconds':>8}  {'s/submission':>12}  {'speed-up':>8}  {'efficiency':>10}"
                  f"  {'CPU s/submission':>16}")
            base = rows[0][1]
            for w, s, n_sub, cpu_s in rows:
                print(f"  {w:>7}  {s:8.1f}  {s / n_sub:12.3f}  {base / s:8.2f}  {base / s / w:10.0%}"
                      f"  {cpu_s / n_sub if cpu_s else float('nan'):16.3f}")
    print(f"\nnbgrader output: {log_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
