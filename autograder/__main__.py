"""Command line::

    python -m autograder grade PATH... [--json] [--seed N] [--allow-uncontained]
                                       [--jobs N] [--scheduler tcp://HOST:8786 | local]
                                       [--results [DIR]] [--force] [--quiet]
    python -m autograder report ASSIGNMENT [--results DIR] [--out DIR]
    python -m autograder doctor

``grade`` grades submitted notebooks (files, or folders searched for ``*.ipynb``); the
notebooks of one student's submission are graded together. ``--jobs`` grading processes
(default: one per core) work in parallel; ``--scheduler`` sends the submissions to a Dask
cluster instead (``local`` starts one on this machine). ``--results`` keeps every notebook's
result in a crash-safe store (default ``<workspace>/results/<assignment>``): a batch that was
killed is run again with the same command and grades only what is missing (``--force``
grades everything again). ``report`` writes the class report of an assignment from its store.

Exit status 0 whenever grading completed (whatever the scores); 1 when the grader itself
failed on some notebook or test (never charged to the student: the test says so and the
traceback goes to stderr); 2 for bad usage.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time


def _print_reports(reports, as_json: bool) -> None:
    if as_json:
        docs = []
        for r in reports:
            doc = r.to_gradescope()
            doc["path"] = r.path
            docs.append(doc)
        out = docs[0] if len(docs) == 1 else {
            "score": round(sum(d["score"] for d in docs), 4),
            "max_score": round(sum(d["max_score"] for d in docs), 4),
            "tests": [t for d in docs for t in d["tests"]],
            "submissions": docs,
        }
        json.dump(out, sys.stdout, indent=1)
        sys.stdout.write("\n")
        return
    for r in reports:
        head = f"{r.path}: {r.assignment}/{r.notebook} {r.score:.2f} / {r.max_score:.2f} (seed {r.seed}, {r.seconds:.2f} s)"
        print(head)
        print("  " + r.feedback_text().replace("\n", "\n  "))
        for text in r.grader_errors:
            print("  GRADER ERROR (not charged to the student; fix the suite and regrade):\n    "
                  + text.replace("\n", "\n    "), file=sys.stderr)


def _grade_batch(args) -> list:
    """Grade the paths as submissions (pool, cluster, results store); reports in path order."""
    from autograder.batch.run import grade_paths
    tic = time.perf_counter()
    outcome = grade_paths(args.paths, assignment=args.assignment, seed=args.seed, jobs=args.jobs,
                          scheduler=args.scheduler, results=args.results, force=args.force,
                          use_template=not args.no_template, allow_uncontained=args.allow_uncontained,
                          progress=not args.quiet and sys.stderr.isatty())
    seconds = time.perf_counter() - tic
    n_sub = max(1, outcome.graded_submissions)
    print(f"graded {outcome.graded_notebooks} notebooks of {outcome.graded_submissions} submissions in "
          f"{seconds:.1f} s ({seconds / n_sub:.3f} s per submission, {outcome.backend}); "
          f"{outcome.reused_notebooks} already in the results store"
          + (f" ({outcome.store})" if outcome.store else ""), file=sys.stderr)
    return outcome.reports


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder", description="cs231n-workbook autograder")
    sub = parser.add_subparsers(dest="command", required=True)
    grade = sub.add_parser("grade", help="grade submitted notebooks with the hidden suites")
    grade.add_argument("paths", nargs="+", help="submitted .ipynb files, or folders holding them")
    grade.add_argument("--json", action="store_true", help="print Gradescope results.json documents")
    grade.add_argument("--seed", type=int, default=None,
                       help="seed of the random inputs (default: the assignment's, from assignments/<name>.toml)")
    grade.add_argument("--assignment", default=None, help="assignment name (default: from the path)")
    grade.add_argument("--notebook", default=None, help="notebook name (default: from the path)")
    grade.add_argument("--allow-uncontained", action="store_true",
                       help="grade even where the kernel cannot contain student code (the risk is "
                            "yours: it can read and change what this account can)")
    grade.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                       help="grading processes on this machine (default: one per core)")
    grade.add_argument("--scheduler", default=None,
                       help="grade on a Dask cluster: the scheduler's address (tcp://host:8786), or "
                            "'local' for a LocalCluster of --jobs workers on this machine")
    grade.add_argument("--results", nargs="?", const="default", default=None, metavar="DIR",
                       help="keep each notebook's result in a crash-safe store and skip what it already "
                            "holds (default folder: <workspace>/results/<assignment>)")
    grade.add_argument("--force", action="store_true", help="with --results: grade again what the store holds")
    grade.add_argument("--quiet", action="store_true", help="print only the summary line, not every report")
    grade.add_argument("--no-template", action="store_true",
                       help="start every worker afresh instead of forking it from a pre-started template")
    report = sub.add_parser("report", help="write the class report of an assignment (HTML with plots, and CSV)")
    report.add_argument("assignment", help="e.g. assignment1")
    report.add_argument("--results", default=None, metavar="DIR",
                        help="the results store (default: <workspace>/results/<assignment>)")
    report.add_argument("--out", default=None, metavar="DIR",
                        help="where to write class_report.html and class_report.csv (default: the store's folder)")
    sub.add_parser("doctor", help="say which sandbox layers contain the worker on this machine")
    args = parser.parse_args(argv)

    if args.command == "doctor":
        from autograder.sandbox.containment import doctor
        contained, text = doctor()
        print(text)
        return 0 if contained else 1
    if args.command == "report":
        from autograder.tools.class_report import main as report_main
        return report_main([args.assignment] + (["--results", args.results] if args.results else [])
                           + (["--out", args.out] if args.out else []))
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")
    if args.allow_uncontained:  # read by every Worker this process starts
        from autograder.sandbox.containment import ALLOW_VAR
        os.environ[ALLOW_VAR] = "1"

    if args.notebook is not None:  # one notebook under another name: graded here, one by one
        from autograder.engine.grading import grade_notebook
        reports = [grade_notebook(p, args.assignment, args.notebook, args.seed) for p in args.paths]
    else:
        try:
            reports = _grade_batch(args)
        except (ValueError, RuntimeError) as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
    if not args.quiet:
        _print_reports(reports, args.json)
    failed = any((r.error and r.error.startswith("grader error")) or r.grader_errors for r in reports)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
