"""Grading results and their two renderings: Gradescope's ``results.json`` shape and plain text.

A ``NotebookReport`` holds one ``TestResult`` per hidden test. The points of a graded
cell are split over its tests in proportion to their weights (partial credit).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields


@dataclass
class TestResult:
    """One hidden test: what it checked, how it went, and the points it carries."""
    name: str            # the test's question, e.g. "Does the loss match the reference on random shapes?"
    grade_id: str        # the graded (check) cell the points belong to, e.g. "test_svm_loss_naive"
    function: str        # the graded name, e.g. "svm_loss_naive" or "KNearestNeighbor.predict_labels"
    notebook: str        # e.g. "svm"
    passed: bool
    output: str          # message shown to the student (never the hidden test's code)
    score: float = 0.0
    max_score: float = 0.0
    weight: float = 1.0
    gated: bool = False  # runs only after other tests passed (gate= / needs= in the suite)
    status: str = ""     # "passed", "failed", "not checked" (an earlier test failed) or "grader error"
    test_id: str = ""    # the suite's name of the test, e.g. "test_svm_loss_naive_loss_matches"
    diagnosis: dict | None = None  # a known mistake that reproduces the student's outputs exactly:
    #                                {"mistake": id, "says": plain words} (see engine/diagnosis.py)

    def to_gradescope(self) -> dict:
        output = self.output
        if self.diagnosis:
            output += f"\nLikely cause: {self.diagnosis['says']}"
        extra = {"grade_id": self.grade_id, "function": self.function, "notebook": self.notebook}
        if self.diagnosis:
            extra["diagnosis"] = self.diagnosis["mistake"]
        return {"name": f"{self.function}: {self.name}", "score": round(self.score, 4),
                "max_score": round(self.max_score, 4), "output": output, "visibility": "visible",
                "extra_data": extra}


@dataclass
class NotebookReport:
    """The grade of one submitted notebook."""
    path: str
    assignment: str
    notebook: str
    seed: int
    tests: list[TestResult] = field(default_factory=list)
    error: str | None = None     # set when the notebook could not be graded at all
    seconds: float = 0.0
    notices: dict[str, list[str]] = field(default_factory=dict)  # grade_id -> notes for the student
    grader_errors: list[str] = field(default_factory=list)       # tracebacks for the instructor
    containment: object = None   # the sandbox layers that were active (from the worker)

    @property
    def needs_review(self) -> bool:
        """True when a person must look: the notebook was not graded, or the grader failed on a test."""
        return bool(self.error or self.grader_errors)

    @property
    def score(self) -> float:
        return round(sum(t.score for t in self.tests), 6)

    @property
    def max_score(self) -> float:
        return round(sum(t.max_score for t in self.tests), 6)

    def cell_scores(self) -> dict[str, tuple[float, float]]:
        """``grade_id -> (score, max_score)`` summed over the tests of each graded cell."""
        out: dict[str, tuple[float, float]] = {}
        for t in self.tests:
            s, m = out.get(t.grade_id, (0.0, 0.0))
            out[t.grade_id] = (s + t.score, m + t.max_score)
        return {g: (round(s, 6), round(m, 6)) for g, (s, m) in out.items()}

    def to_gradescope(self) -> dict:
        doc = {"score": round(self.score, 4), "max_score": round(self.max_score, 4),
               "tests": [t.to_gradescope() for t in self.tests], "execution_time": round(self.seconds, 3),
               "extra_data": {"assignment": self.assignment, "notebook": self.notebook, "seed": self.seed,
                              "needs_review": self.needs_review}}
        notes = [n for ns in self.notices.values() for n in ns]
        if notes:
            doc["output"] = "\n".join(notes)
        if self.error:
            doc["error"] = self.error
            doc["output"] = f"This notebook could not be graded: {self.error}"
        return doc

    def diagnoses(self) -> dict[str, dict]:
        """``function -> diagnosis`` of every function whose failure a known mistake explains."""
        return {t.function: t.diagnosis for t in self.tests if t.diagnosis}

    def to_dict(self) -> dict:
        """Everything in the report as plain JSON-able data (see :meth:`from_dict`)."""
        doc = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "tests"}
        doc["tests"] = [asdict(t) for t in self.tests]
        doc["containment"] = (self.containment.get("summary") if isinstance(self.containment, dict)
                              else self.containment)
        return doc

    @classmethod
    def from_dict(cls, doc: dict) -> "NotebookReport":
        known = {f.name for f in fields(cls)}
        report = cls(**{k: v for k, v in doc.items() if k in known and k != "tests"})
        test_fields = {f.name for f in fields(TestResult)}
        report.tests = [TestResult(**{k: v for k, v in t.items() if k in test_fields}) for t in doc.get("tests", [])]
        return report

    def feedback_text(self, grade_id: str | None = None) -> str:
        """Plain-text feedback: one line per test (only the tests of ``grade_id`` if given); a known
        mistake that explains a function's failures is named once, under its first failed test."""
        lines = []
        explained = set()
        if self.error:
            lines.append(f"Not graded: {self.error}")
        for gid, notes in self.notices.items():
            if grade_id is None or gid == grade_id:
                lines.extend(f"Note: {n}" for n in notes)
        for t in self.tests:
            if grade_id is not None and t.grade_id != grade_id:
                continue
            mark = {"not checked": "SKIP", "grader error": "ERROR"}.get(t.status, "PASS" if t.passed else "FAIL")
            line = f"[{mark}] {t.function}: {t.name} ({t.score:.2f} / {t.max_score:.2f})"
            if not t.passed and t.output:
                line += "\n       " + t.output.replace("\n", "\n       ")
            if t.diagnosis and t.function not in explained:
                explained.add(t.function)
                line += "\n       Likely cause: " + t.diagnosis["says"].replace("\n", "\n       ")
            lines.append(line)
        return "\n".join(lines)


def split_points(tests: list[TestResult], points_by_cell: dict[str, float]) -> None:
    """Give each test its share of its cell's points (by weight) and its score."""
    weights: dict[str, float] = {}
    for t in tests:
        weights[t.grade_id] = weights.get(t.grade_id, 0.0) + t.weight
    for t in tests:
        total = weights[t.grade_id]
        share = points_by_cell.get(t.grade_id, 0.0) * (t.weight / total if total > 0 else 0.0)
        t.max_score = share
        t.score = share if t.passed else 0.0
