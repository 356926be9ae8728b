"""Command line: ``python -m autograder grade PATH... [--json] [--seed N] [--allow-uncontained]``
and ``python -m autograder doctor`` (which sandbox layers this machine gives the worker).

Exit status 0 whenever grading completed (whatever the scores); 1 when the grader itself
failed on some notebook or test (never charged to the student: the test says so and the
traceback goes to stderr); 2 for bad usage.
"""
from __future__ import annotations

import argparse
import json
import os
import sys


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder", description="cs231n-workbook autograder")
    sub = parser.add_subparsers(dest="command", required=True)
    grade = sub.add_parser("grade", help="grade submitted notebooks with the hidden suites")
    grade.add_argument("paths", nargs="+", help="submitted .ipynb files")
    grade.add_argument("--json", action="store_true", help="print Gradescope results.json documents")
    grade.add_argument("--seed", type=int, default=None,
                       help="seed of the random inputs (default: the assignment's, from assignments/<name>.toml)")
    grade.add_argument("--assignment", default=None, help="assignment name (default: from the path)")
    grade.add_argument("--notebook", default=None, help="notebook name (default: from the path)")
    grade.add_argument("--allow-uncontained", action="store_true",
                       help="grade even where the kernel cannot contain student code (the risk is "
                            "yours: it can read and change what this account can)")
    sub.add_parser("doctor", help="say which sandbox layers contain the worker on this machine")
    args = parser.parse_args(argv)

    if args.command == "doctor":
        from autograder.sandbox.containment import doctor
        contained, text = doctor()
        print(text)
        return 0 if contained else 1
    if args.allow_uncontained:  # read by every Worker this process starts
        from autograder.sandbox.containment import ALLOW_VAR
        os.environ[ALLOW_VAR] = "1"

    from autograder.engine.grading import grade_notebook
    reports = [grade_notebook(p, args.assignment, args.notebook, args.seed) for p in args.paths]
    if args.json:
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
    else:
        for r in reports:
            head = f"{r.path}: {r.assignment}/{r.notebook} {r.score:.2f} / {r.max_score:.2f} (seed {r.seed}, {r.seconds:.2f} s)"
            print(head)
            print("  " + r.feedback_text().replace("\n", "\n  "))
            for text in r.grader_errors:
                print("  GRADER ERROR (not charged to the student; fix the suite and regrade):\n    "
                      + text.replace("\n", "\n    "), file=sys.stderr)
    failed = any((r.error and r.error.startswith("grader error")) or r.grader_errors for r in reports)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
