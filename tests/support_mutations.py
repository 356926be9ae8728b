"""Mutation run for the support code: do the unit tests catch small wrong changes?

Each mutation replaces one exact piece of text in one support module. For each, the
repository is copied (without .git, .venv, data and caches) to a temporary folder, the
mutation is applied to the copy, and the unit tests run there with the copy first on
PYTHONPATH (the venv's .pth points at the checkout; PYTHONPATH wins). A mutation is
"caught" when the run fails. Every mutation is run twice: with the whole ``tests/`` folder,
and with ``tests/`` minus ``tests/test_support_code.py``.

The repository is snapshotted once at the start (``--source worktree``: the files as they
are now; ``--source head``: the last commit, via ``git archive``, plus this script and the
new test file if they are not committed yet), and every copy is made from that snapshot,
so that edits made in the checkout during the run cannot mix into it. A baseline run on
the unmodified snapshot comes first; tests that already fail there (e.g. someone's work in
progress) are deselected in every mutation run, so that they cannot count as catches.
The checkout itself is never modified.

Usage::

    .venv/bin/python tests/support_mutations.py              # all mutations, both runs
    .venv/bin/python tests/support_mutations.py --only 1,4   # some of them (1-based)
    .venv/bin/python tests/support_mutations.py --list       # the mutations only
    .venv/bin/python tests/support_mutations.py --source head  # mutate the last commit
"""
from __future__ import annotations

import argparse
import io
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NEW_FILE = "tests/test_support_code.py"
SKIP = {".git", ".venv", "data", "course_workspace", "__pycache__", ".pytest_cache", ".ipynb_checkpoints"}
RUN_SECONDS = 900


@dataclass
class Mutation:
    label: str
    path: str
    old: str
    new: str


GC = "cs231n_lib/gradient_check.py"
CHECKS = "autograder/suites/kit/checks.py"
REPORT = "autograder/engine/report.py"
SUITE = "autograder/engine/suite.py"
PROTO = "autograder/sandbox/protocol.py"

MUTATIONS = [
    Mutation("rel_error floor 1e-8 -> 1e-6", GC,
             "np.maximum(1e-8, np.abs(x) + np.abs(y))", "np.maximum(1e-6, np.abs(x) + np.abs(y))"),
    Mutation("rel_error floor 1e-8 -> 1e-12", GC,
             "np.maximum(1e-8, np.abs(x) + np.abs(y))", "np.maximum(1e-12, np.abs(x) + np.abs(y))"),
    Mutation("rel_error: empty arrays no longer 0.0", GC,
             "if x.size == 0:\n        return 0.0", "if x.size == 0:\n        pass"),
    Mutation("numerical gradient: f(x+h) not copied (views see x change)", GC,
             "plus = np.array(f(x), dtype=np.float64, copy=True)", "plus = f(x)"),
    Mutation("numerical gradient array: step h ignored (always 1e-5)", GC,
             "grad[ix] = np.sum((pos - neg) * df) / (2 * h)", "grad[ix] = np.sum((pos - neg) * df) / (2 * 1e-5)"),
    Mutation("grad_check_sparse: divides by h, not 2h", GC,
             "num = float((fxph - fxmh) / (2 * h))", "num = float((fxph - fxmh) / h)"),
    Mutation("numerical gradient: x restored as (x - h) + h, not bit-exact", GC,
             "        x[ix] = old\n        yield", "        x[ix] += h\n        yield"),
    Mutation("assert_close (arrays): < -> <=", CHECKS,
             'assert err < tol, f"{what} differs', 'assert err <= tol, f"{what} differs'),
    Mutation("assert_close (scalars): tolerance x10", CHECKS,
             'assert err < tol, f"{what} is {float(got_a)', 'assert err < tol * 10, f"{what} is {float(got_a)'),
    Mutation("assert_close: shape check removed", CHECKS,
             "assert got_a.shape == want_a.shape, f", "assert True or got_a.shape == want_a.shape, f"),
    Mutation("split_points: weights ignored", REPORT,
             "share = points_by_cell.get(t.grade_id, 0.0) * t.weight / weights[t.grade_id]",
             "share = points_by_cell.get(t.grade_id, 0.0) / sum(u.grade_id == t.grade_id for u in tests)"),
    Mutation("split_points: a cell without points gets 1", REPORT,
             "share = points_by_cell.get(t.grade_id, 0.0) *", "share = points_by_cell.get(t.grade_id, 1.0) *"),
    Mutation("rng_for ignores the test name", SUITE,
             "return np.random.default_rng([seed, zlib.crc32(name.encode())])",
             "return np.random.default_rng(seed)"),
    Mutation("rng_for ignores the seed", SUITE,
             "return np.random.default_rng([seed, zlib.crc32(name.encode())])",
             "return np.random.default_rng(zlib.crc32(name.encode()))"),
    Mutation("runner: worker.seed call removed", SUITE,
             'self.worker.seed(zlib.crc32(f"{self.seed}:{test.__name__}".encode()) & 0x7FFFFFFF)',
             "pass"),
    Mutation("runner: worker seed ignores the test name", SUITE,
             'self.worker.seed(zlib.crc32(f"{self.seed}:{test.__name__}".encode()) & 0x7FFFFFFF)',
             "self.worker.seed(self.seed & 0x7FFFFFFF)"),
    Mutation("protocol: encode size cap x2", PROTO,
             "if len(data) > MAX_MESSAGE_BYTES:", "if len(data) > 2 * MAX_MESSAGE_BYTES:"),
    Mutation("protocol: decode refuses a message at the limit (> -> >=)", PROTO,
             "if len(line) > MAX_MESSAGE_BYTES:", "if len(line) >= MAX_MESSAGE_BYTES:"),
    Mutation("protocol: item cap off by one", PROTO,
             'if line.count(b",") > MAX_ITEMS:', 'if line.count(b",") >= MAX_ITEMS:'),
    Mutation("protocol: decode depth cap one lower than encode's", PROTO,
             'if depth > MAX_DEPTH:\n        raise ProtocolError(f"message nested',
             'if depth >= MAX_DEPTH:\n        raise ProtocolError(f"message nested'),
    Mutation("Gradescope: tests hidden from students", REPORT,
             '"visibility": "visible"', '"visibility": "hidden"'),
    Mutation("Gradescope: test score not rounded", REPORT,
             '"score": round(self.score, 4),\n                "max_score"', '"score": self.score,\n                "max_score"'),
    Mutation("Gradescope: extra_data grade_id is the function", REPORT,
             '"extra_data": {"grade_id": self.grade_id,', '"extra_data": {"grade_id": self.function,'),
    Mutation("Gradescope: ungraded notebook without output", REPORT,
             'doc["output"] = f"This notebook could not be graded: {self.error}"', "pass"),
]


def ignore(_dir, names):
    return [n for n in names if n in SKIP]


def snapshot(dest: Path, source: str) -> None:
    """The repository as it is now (worktree) or at its last commit (head), in ``dest``."""
    if source == "worktree":
        shutil.copytree(REPO, dest, ignore=ignore)
        return
    tar = subprocess.run(["git", "-C", str(REPO), "archive", "--format=tar", "HEAD"],
                         capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(tar)) as archive:
        archive.extractall(dest, filter="data")
    for rel in (NEW_FILE, "tests/support_mutations.py"):
        if not (dest / rel).exists():
            shutil.copy2(REPO / rel, dest / rel)


def env_for(copy: Path) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(copy) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["MPLBACKEND"] = "Agg"
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return env


def pytest_args(copy: Path, with_new: bool, deselect: list[str]) -> list[str]:
    """The whole tests/ folder; the new file first (so that a catch there stops the run early)."""
    files = sorted(p.relative_to(copy).as_posix() for p in (copy / "tests").glob("test_*.py"))
    if NEW_FILE in files:
        files.remove(NEW_FILE)
        if with_new:
            files.insert(0, NEW_FILE)
    args = [sys.executable, "-m", "pytest", *files, "-q", "-x", "-p", "no:cacheprovider", "-rfE"]
    for node in deselect:
        args += ["--deselect", node]
    return args


def run_tests(copy: Path, args: list[str]) -> tuple[int, str, float]:
    t0 = time.monotonic()
    try:
        proc = subprocess.run(args, cwd=copy, env=env_for(copy), capture_output=True, text=True,
                              timeout=RUN_SECONDS)
        code, out = proc.returncode, proc.stdout + proc.stderr
    except subprocess.TimeoutExpired as exc:
        code, out = -1, f"timeout after {RUN_SECONDS} s\n{exc.stdout or ''}"
    return code, out, time.monotonic() - t0


def first_failure(output: str) -> str:
    m = re.search(r"^(?:FAILED|ERROR) (\S+)", output, re.M)
    return m.group(1) if m else (output.strip().splitlines() or ["?"])[-1][:80]


def apply(copy: Path, m: Mutation) -> str | None:
    """Apply m to the copy; None, or why it cannot be applied."""
    path = copy / m.path
    text = path.read_text()
    n = text.count(m.old)
    if n != 1:
        return f"old text found {n} times"
    path.write_text(text.replace(m.old, m.new))
    return None


def baseline(work: Path, pristine: Path) -> list[str]:
    """Node ids that fail on the unmodified copy (deselected in the mutation runs)."""
    copy = work / "baseline"
    shutil.copytree(pristine, copy)
    where = subprocess.run([sys.executable, "-c", "import autograder, cs231n_lib; "
                            "print(autograder.__file__); print(cs231n_lib.__file__)"],
                           cwd=work, env=env_for(copy), capture_output=True, text=True).stdout.split()
    if not all(Path(p).is_relative_to(copy) for p in where) or len(where) != 2:
        sys.exit(f"the copy's modules do not win on PYTHONPATH: {where}")
    args = [a for a in pytest_args(copy, True, []) if a != "-x"]
    code, out, secs = run_tests(copy, args)
    failing = re.findall(r"^(?:FAILED|ERROR) (\S+)", out, re.M)
    print(f"baseline: exit {code} in {secs:.0f} s; {len(failing)} failing test(s) deselected"
          + "".join(f"\n  {f}" for f in failing))
    if code not in (0, 1) or (code == 1 and not failing):
        sys.exit("baseline run did not complete:\n" + out[-3000:])
    shutil.rmtree(copy)
    return failing


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", help="comma-separated 1-based mutation numbers")
    ap.add_argument("--list", action="store_true", help="print the mutations and exit")
    ap.add_argument("--without-new-only", action="store_true", help="skip the runs with the new test file")
    ap.add_argument("--source", choices=["worktree", "head"], default="worktree",
                    help="snapshot the files as they are (default) or the last commit")
    opts = ap.parse_args()
    chosen = list(enumerate(MUTATIONS, 1))
    if opts.only:
        keep = {int(i) for i in opts.only.split(",")}
        chosen = [(i, m) for i, m in chosen if i in keep]
    if opts.list:
        for i, m in chosen:
            print(f"{i:2d}. {m.label}  [{m.path}]")
        return 0

    rows = []
    with tempfile.TemporaryDirectory(prefix="support-mutations-") as tmp:
        work = Path(tmp)
        pristine = work / "pristine"
        snapshot(pristine, opts.source)
        print(f"source: {opts.source} of {REPO}")
        deselect = baseline(work, pristine)
        for i, m in chosen:
            row = {"i": i, "label": m.label}
            for with_new in ([False] if opts.without_new_only else [False, True]):
                copy = work / f"m{i}-{int(with_new)}"
                shutil.copytree(pristine, copy)
                why = apply(copy, m)
                if why:
                    row[with_new] = f"not applied ({why})"
                else:
                    code, out, secs = run_tests(copy, pytest_args(copy, with_new, deselect))
                    if code == 0:
                        row[with_new] = f"not caught ({secs:.0f} s)"
                    elif code == 1:
                        row[with_new] = f"CAUGHT by {first_failure(out)} ({secs:.0f} s)"
                    else:
                        row[with_new] = f"run error, exit {code}: {first_failure(out)}"
                shutil.rmtree(copy)
                print(f"{i:2d}. {m.label}: {'with' if with_new else 'without'} {NEW_FILE}: {row[with_new]}",
                      flush=True)
            rows.append(row)

    print()
    print(f"{'#':>2}  {'mutation':<62}  {'tests/ without new file':<26}  tests/ with new file")
    for r in rows:
        def short(v):
            return "—" if v is None else v.split(" by ")[0].split(" (")[0]
        print(f"{r['i']:>2}  {r['label']:<62}  {short(r.get(False)):<26}  {short(r.get(True))}")
    for with_new, name in ((False, "without"), (True, "with")):
        done = [r[with_new] for r in rows if with_new in r]
        if done:
            caught = sum(v.startswith("CAUGHT") for v in done)
            print(f"{name} {NEW_FILE}: {caught} of {len(done)} mutations caught")
    print("\ncaught by (first failing test):")
    for r in rows:
        for with_new in (False, True):
            v = r.get(with_new, "")
            if v.startswith("CAUGHT"):
                print(f"  {r['i']:>2} {'with' if with_new else 'without'}: {v[len('CAUGHT by '):]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
