"""Pack an assignment's notebooks into the zip you upload: ``<student id>_<assignment>.zip``.

    python -m cs231n_lib.handin assignment1 --student jdoe        # from the folder that holds release/

It reads every notebook of ``release/<assignment>/`` (or ``--folder``), refuses a file that is
not a readable notebook (the grader could not read it either), lists the functions and answers
that are still stubs, and writes the zip into the current folder (or ``--out``). The name is
the one the course's ``nbgrader zip_collect`` reads: the student id, an underscore, the rest.
Upload the zip as your instructor asks (LMS, Gradescope); the notebooks sit at its top level.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import zipfile
from pathlib import Path

STUDENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9.\-]*")
CODE_STUB = "raise NotImplementedError()"
TEXT_STUB = "YOUR ANSWER HERE"


class HandinError(ValueError):
    """The submission cannot be packed (with a message for the student)."""


def open_stubs(path: Path) -> list[str]:
    """grade_ids of the answer cells of a notebook that still hold the release's stub."""
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
        cells = nb["cells"]
        assert isinstance(cells, list)
    except Exception as exc:
        raise HandinError(f"{path} is not a readable notebook ({type(exc).__name__}); open it in JupyterLab, "
                          "save it again and retry") from None
    stubs = []
    for cell in cells:
        meta = (cell.get("metadata") or {}).get("nbgrader") or {}
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        if meta.get("solution") and (CODE_STUB in source or TEXT_STUB in source):
            stubs.append(meta.get("grade_id", "?"))
    return stubs


def pack(assignment: str, student: str, folder: Path, out_dir: Path) -> tuple[Path, dict[str, list[str]]]:
    """Write ``<out_dir>/<student>_<assignment>.zip``; return its path and ``{notebook: open stubs}``."""
    if not STUDENT_ID.fullmatch(student):
        raise HandinError(f"student id {student!r}: use letters, digits, '.' and '-' only (no '_' or spaces)")
    notebooks = sorted(p for p in Path(folder).glob("*.ipynb"))
    if not notebooks:
        raise HandinError(f"no notebooks in {folder}")
    stubs = {p.name: open_stubs(p) for p in notebooks}
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{student}_{assignment}.zip"
    partial = target.with_suffix(".zip.partial")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in notebooks:
            zf.write(p, p.name)
    partial.replace(target)
    return target, stubs


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cs231n_lib.handin", description=__doc__.splitlines()[0])
    parser.add_argument("assignment", help="e.g. assignment1")
    parser.add_argument("--student", required=True, help="your student id (letters, digits, '.', '-')")
    parser.add_argument("--folder", type=Path, help="the notebooks' folder (default: release/<assignment>)")
    parser.add_argument("--out", type=Path, default=Path("."), help="where the zip goes (default: here)")
    args = parser.parse_args(argv)
    folder = args.folder or Path("release") / args.assignment
    try:
        target, stubs = pack(args.assignment, args.student, folder, args.out)
    except HandinError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for name, open_cells in stubs.items():
        if open_cells:
            print(f"note: {name} still has unanswered cells: {', '.join(open_cells)}")
    print(f"wrote {target} ({len(stubs)} notebooks: {', '.join(stubs)}); upload it as your instructor asks")
    return 0


if __name__ == "__main__":
    sys.exit(main())
