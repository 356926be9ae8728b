"""Execute notebooks top to bottom (as a student's "Run All") and report what they print.

    python -m autograder.tools.run_notebooks [NOTEBOOK ...]   (default: every source notebook)

Each notebook runs in a fresh kernel in its own folder; executed copies go to build/executed/.
Exit status 1 when any notebook raised.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from cs231n_lib import paths

HIGHLIGHT = ("Data:", "accuracy", "faster", "passed", "took")


def execute(path: Path, out_dir: Path, timeout: int = 600) -> tuple[bool, float, list[str]]:
    """Run one notebook; return (ok, seconds, interesting printed lines)."""
    nb = nbformat.read(str(path), as_version=4)
    tic = time.perf_counter()
    ok = True
    try:
        NotebookClient(nb, timeout=timeout, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute()
    except CellExecutionError as exc:
        ok = False
        print(f"{path.name}: {str(exc).strip().splitlines()[-1]}", file=sys.stderr)
    seconds = time.perf_counter() - tic
    out_dir.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(out_dir / path.name))
    lines = [line for cell in nb.cells if cell.cell_type == "code" for out in cell.get("outputs", [])
             if out.get("output_type") == "stream" for line in out.get("text", "").splitlines()
             if any(h in line for h in HIGHLIGHT)]
    return ok, seconds, lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    args = parser.parse_args(argv)
    notebooks = args.notebooks or sorted(paths.SOURCE_DIR.glob("*/*.ipynb"))
    failed = 0
    for path in notebooks:
        ok, seconds, lines = execute(path.resolve(), paths.REPO_ROOT / "build" / "executed" / path.parent.name)
        failed += not ok
        print(f"== {path.parent.name}/{path.name}: {'ok' if ok else 'FAILED'} in {seconds:.1f} s")
        for line in lines:
            print("   " + line)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
