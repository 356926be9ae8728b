"""The course plan: one TOML file per assignment in ``assignments/``.

Each file gives ``title``, ``notebooks`` (in order), ``due`` (ISO 8601 with offset),
``[limits]`` (``seconds_per_call``, ``seconds_per_submission``), ``handout`` text and, optionally,
``seed``: the seed of the hidden suites' random inputs for this assignment (one per course and
assignment, so that a regrade reproduces every grade; change it for a new term). Without it the
seed is derived from the assignment's name.

Optional ``[late]``: ``grace_minutes`` (default 0) and ``penalty_per_day`` (the fraction of the
score lost per started day after the due date and the grace period; default 1.0: a late
submission scores 0, nbgrader's "zero" method). The due date goes into the nbgrader gradebook
(``autograder/nbgrader_ext/course.py``), and ``nbgrader autograde`` applies the penalty
(``autograder/nbgrader_ext/late.py``).
"""
from __future__ import annotations

import math
import tomllib
import zlib
from dataclasses import dataclass, field as dataclass_field
from datetime import datetime
from pathlib import Path

from cs231n_lib import paths


class AssignmentError(ValueError):
    """An assignment definition is missing or malformed."""


@dataclass(frozen=True)
class LatePolicy:
    """What a late submission loses: ``penalty_per_day`` of its score per started day after the due
    date plus ``grace_minutes`` (1.0: everything, at once)."""
    grace_minutes: float = 0.0
    penalty_per_day: float = 1.0

    def penalty(self, score: float, seconds_late: float) -> float:
        """Points taken from ``score`` for a submission ``seconds_late`` after the due date."""
        late = seconds_late - 60.0 * self.grace_minutes
        if late <= 0 or score <= 0:
            return 0.0
        days = math.ceil(late / 86400.0)
        return min(score, score * self.penalty_per_day * days)


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
    late: LatePolicy = dataclass_field(default_factory=LatePolicy)

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
    late = LatePolicy()
    if "late" in raw:
        table = field("late", dict)
        unknown = set(table) - {"grace_minutes", "penalty_per_day"}
        if unknown:
            raise AssignmentError(f"{path}: unknown field(s) in [late]: {', '.join(sorted(unknown))}")
        grace = table.get("grace_minutes", 0)
        per_day = table.get("penalty_per_day", 1.0)
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (grace, per_day)) \
                or grace < 0 or not 0 <= per_day <= 1:
            raise AssignmentError(f"{path}: [late] needs grace_minutes >= 0 and 0 <= penalty_per_day <= 1")
        late = LatePolicy(float(grace), float(per_day))
    return Assignment(name, field("title", str), tuple(notebooks), due, float(per_call), float(per_sub),
                      field("handout", str).strip(), seed, late)


def default_seed(name: str) -> int:
    """The seed of an assignment without a ``seed`` field: fixed, derived from its name."""
    return zlib.crc32(f"cs231n-workbook:{name}".encode()) & 0x7FFFFFFF


def assignment_names(folder: Path | None = None) -> list[str]:
    """Names of all defined assignments, sorted."""
    return sorted(p.stem for p in Path(folder or paths.ASSIGNMENTS_DIR).glob("*.toml"))
