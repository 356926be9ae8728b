"""The course plan: one TOML file per assignment in ``assignments/``.

Each file gives ``title``, ``notebooks`` (in order), ``due`` (ISO 8601 with offset),
``[limits]`` (``seconds_per_call``, ``seconds_per_submission``), ``handout`` text and, optionally,
``seed``: the seed of the hidden suites' random inputs for this assignment (one per course and
assignment, so that a regrade reproduces every grade; change it for a new term). Without it the
seed is derived from the assignment's name.
"""
from __future__ import annotations

import tomllib
import zlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cs231n_lib import paths


class AssignmentError(ValueError):
    """An assignment definition is missing or malformed."""


@dataclass(frozen=True)
class Assignment:
    name: str
    title: str
    notebooks: tuple[str, ...]
    due: datetime
    seconds_per_call: float
    seconds_per_submission: float
    handout: str
    seed: int

    def source_notebooks(self) -> list[Path]:
        return [paths.source_notebook(self.name, nb) for nb in self.notebooks]


def load_assignment(name: str, folder: Path | None = None) -> Assignment:
    """Read ``assignments/<name>.toml`` and check it, naming the file and field on any error."""
    path = Path(folder or paths.ASSIGNMENTS_DIR) / f"{name}.toml"
    if not path.is_file():
        raise AssignmentError(f"no assignment definition {path}")
    try:
        raw = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise AssignmentError(f"{path}: not valid TOML: {exc}") from exc

    def field(key, kind, table=raw):
        if key not in table:
            raise AssignmentError(f"{path}: missing field '{key}'")
        if not isinstance(table[key], kind):
            raise AssignmentError(f"{path}: field '{key}' should be {getattr(kind, '__name__', kind)}")
        return table[key]

    notebooks = field("notebooks", list)
    if not notebooks or not all(isinstance(n, str) and n for n in notebooks):
        raise AssignmentError(f"{path}: 'notebooks' should be a non-empty list of names")
    try:
        due = datetime.fromisoformat(field("due", str))
    except ValueError as exc:
        raise AssignmentError(f"{path}: 'due' is not an ISO 8601 date: {exc}") from exc
    if due.tzinfo is None:
        raise AssignmentError(f"{path}: 'due' needs a UTC offset, e.g. 2027-01-22T23:59:00-08:00")
    limits = field("limits", dict)
    per_call = field("seconds_per_call", (int, float), limits)
    per_sub = field("seconds_per_submission", (int, float), limits)
    if not 0 < per_call <= per_sub:
        raise AssignmentError(f"{path}: need 0 < seconds_per_call <= seconds_per_submission")
    seed = raw.get("seed", default_seed(name))
    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed < 2**31:
        raise AssignmentError(f"{path}: 'seed' should be an integer between 0 and 2**31 - 1")
    return Assignment(name, field("title", str), tuple(notebooks), due, float(per_call), float(per_sub),
                      field("handout", str).strip(), seed)


def default_seed(name: str) -> int:
    """The seed of an assignment without a ``seed`` field: fixed, derived from its name."""
    return zlib.crc32(f"cs231n-workbook:{name}".encode()) & 0x7FFFFFFF


def assignment_names(folder: Path | None = None) -> list[str]:
    """Names of all defined assignments, sorted."""
    return sorted(p.stem for p in Path(folder or paths.ASSIGNMENTS_DIR).glob("*.toml"))
