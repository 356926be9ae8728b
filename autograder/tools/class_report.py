"""``python -m autograder report <assignment>`` (``make report``): what the class got right and wrong.

Reads the results store of an assignment (``<workspace>/results/<assignment>/``, written by
``python -m autograder grade --results`` and by ``nbgrader autograde``) and writes

- ``class_report.html``: one self-contained page (plots embedded as PNG, no script, no link
  to fetch: readable offline): score distribution per notebook and per function, failure rate
  of every hidden test, the most common failure messages, time per submission, the notebooks
  that could not be graded and why, and how many students made each known mistake;
- ``class_report.csv``: the same numbers, one row per item, with a ``section`` column
  (``student``, ``function``, ``test``, ``message``, ``time``, ``ungraded``, ``mistake``).

    python -m autograder report assignment1 [--results DIR] [--out DIR]
"""
from __future__ import annotations

import argparse
import base64
import csv
import html
import io
import re
import statistics
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from autograder.batch.store import ResultStore, default_dir

MESSAGE_CHARS = 160
TOP_MESSAGES = 15
TOP_TESTS = 30


def _first_line(text: str) -> str:
    line = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
    return line if len(line) <= MESSAGE_CHARS else line[:MESSAGE_CHARS] + "..."


def message_kind(text: str) -> str:
    """A failure message with its numbers blanked, so that one kind of failure is counted once."""
    return re.sub(r"-?\d+(\.\d+)?(e[-+]?\d+)?", "#", _first_line(text))


@dataclass
class ClassData:
    """Everything the report shows, computed from the stored results."""
    assignment: str
    notebooks: list[str] = field(default_factory=list)
    students: list[str] = field(default_factory=list)
    scores: dict = field(default_factory=dict)          # (student, notebook) -> (score, max) or None
    functions: dict = field(default_factory=dict)       # (notebook, function) -> {student: (score, max)}
    tests: dict = field(default_factory=dict)           # (notebook, function, test question) -> Counter of statuses
    messages: Counter = field(default_factory=Counter)  # (notebook, function, kind) -> count
    examples: dict = field(default_factory=dict)        # (notebook, function, kind) -> one message
    seconds: dict = field(default_factory=dict)         # student -> seconds for all notebooks
    ungraded: list = field(default_factory=list)        # (student, notebook, reason)
    mistakes: Counter = field(default_factory=Counter)  # (notebook, function, mistake id) -> students
    mistake_words: dict = field(default_factory=dict)   # mistake id -> what the student is told


def collect(results, assignment: str) -> ClassData:
    data = ClassData(assignment)
    notebooks, students = [], []
    for r in results:
        rep = r.report
        if r.notebook not in notebooks:
            notebooks.append(r.notebook)
        if r.student not in students:
            students.append(r.student)
        data.seconds[r.student] = data.seconds.get(r.student, 0.0) + (rep.seconds or 0.0)
        if rep.error:
            data.scores[(r.student, r.notebook)] = None
            data.ungraded.append((r.student, r.notebook, rep.error))
            continue
        if rep.grader_errors:
            data.ungraded.append((r.student, r.notebook, "graded, but the grader failed on some test (a "
                                  "grader error: a person must look; the student is not charged)"))
        data.scores[(r.student, r.notebook)] = (rep.score, rep.max_score)
        per_function: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
        diagnosed, seen_messages = set(), set()
        for t in rep.tests:
            per_function[t.function][0] += t.score
            per_function[t.function][1] += t.max_score
            data.tests.setdefault((r.notebook, t.function, t.name), Counter())[t.status or
                                                                               ("passed" if t.passed else "failed")] += 1
            if t.status == "failed":
                key = (r.notebook, t.function, message_kind(t.output))
                if key not in seen_messages:  # counted once per student
                    seen_messages.add(key)
                    data.messages[key] += 1
                data.examples.setdefault(key, _first_line(t.output))
            if t.diagnosis and t.function not in diagnosed:
                diagnosed.add(t.function)
                data.mistakes[(r.notebook, t.function, t.diagnosis["mistake"])] += 1
                data.mistake_words[t.diagnosis["mistake"]] = t.diagnosis["says"]
        for function, (s, m) in per_function.items():
            data.functions.setdefault((r.notebook, function), {})[r.student] = (s, m)
    order = _notebook_order(assignment)
    data.notebooks = sorted(notebooks, key=lambda n: (order.index(n) if n in order else len(order), n))
    data.students = sorted(students)
    return data


def _notebook_order(assignment: str) -> list[str]:
    try:
        from autograder.engine.assignments import load_assignment
        return list(load_assignment(assignment).notebooks)
    except Exception:  # noqa: BLE001 - no plan: alphabetical
        return []


# ---- plots ---------------------------------------------------------------------------------

def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=96, bbox_inches="tight")
    import matplotlib.pyplot as plt
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def plot_scores(data: ClassData) -> str:
    import matplotlib.pyplot as plt
    panels = ["total"] + data.notebooks
    fig, axes = plt.subplots(1, len(panels), figsize=(3.4 * len(panels), 2.8), squeeze=False)
    for ax, nb in zip(axes[0], panels):
        if nb == "total":
            values = [sum(v[0] for (s, n), v in data.scores.items() if s == st and v) for st in data.students]
            most = sum(max((v[1] for (s, n), v in data.scores.items() if n == nb2 and v), default=0)
                       for nb2 in data.notebooks)
        else:
            values = [v[0] for (s, n), v in data.scores.items() if n == nb and v]
            most = max((v[1] for (s, n), v in data.scores.items() if n == nb and v), default=0)
        ax.hist(values, bins=min(20, max(5, len(set(values)))), range=(0, max(most, 1e-9)), color="#4477aa")
        ax.set_title(f"{nb} (max {most:g})", fontsize=10)
        ax.set_xlabel("points")
    axes[0][0].set_ylabel("students")
    fig.suptitle("Score distribution (graded notebooks)", fontsize=11, y=1.06)
    return _png(fig)


def plot_functions(data: ClassData) -> str:
    import matplotlib.pyplot as plt
    keys = list(data.functions)
    labels, parts = [], {"full marks": [], "partial": [], "zero": [], "not graded": []}
    for nb, fn in keys:
        got = data.functions[(nb, fn)]
        n = len(data.students)
        full = sum(1 for s, m in got.values() if m > 0 and s >= m - 1e-9)
        zero = sum(1 for s, m in got.values() if s <= 1e-9)
        parts["full marks"].append(full / n)
        parts["zero"].append(zero / n)
        parts["partial"].append((len(got) - full - zero) / n)
        parts["not graded"].append((n - len(got)) / n)
        labels.append(f"{nb}: {fn}")
    fig, ax = plt.subplots(figsize=(8, 0.32 * len(labels) + 1.2))
    left = [0.0] * len(labels)
    colors = {"full marks": "#228833", "partial": "#ccbb44", "zero": "#ee6677", "not graded": "#bbbbbb"}
    for name, values in parts.items():
        ax.barh(labels, values, left=left, color=colors[name], label=name)
        left = [a + b for a, b in zip(left, values)]
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel("fraction of students")
    ax.legend(ncol=4, fontsize=8, loc="lower center", bbox_to_anchor=(0.5, 1.0))
    ax.tick_params(axis="y", labelsize=8)
    return _png(fig)


def test_rows(data: ClassData) -> list[tuple]:
    """(notebook, function, question, ran, failed, not checked, failure rate), worst first."""
    rows = []
    for (nb, fn, question), c in data.tests.items():
        ran = c["passed"] + c["failed"]
        rows.append((nb, fn, question, ran, c["failed"], c["not checked"], c["failed"] / ran if ran else 0.0))
    return sorted(rows, key=lambda r: (-r[6], r[0], r[1], r[2]))


def plot_tests(rows) -> str:
    import matplotlib.pyplot as plt
    rows = [r for r in rows if r[4] > 0][:TOP_TESTS]
    if not rows:
        rows = [("", "", "no test failed", 0, 0, 0, 0.0)]
    fig, ax = plt.subplots(figsize=(8, 0.3 * len(rows) + 1.0))
    ax.barh([f"{r[1]}: {r[2][:60]}" for r in rows], [r[6] for r in rows], color="#ee6677")
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel("failure rate (among the students whose test ran)")
    ax.tick_params(axis="y", labelsize=7)
    return _png(fig)


def plot_times(data: ClassData) -> str:
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(5, 2.6))
    ax.hist(list(data.seconds.values()) or [0], bins=20, color="#66ccee")
    ax.set_xlabel("seconds to grade one submission (all notebooks, one grading process)")
    ax.set_ylabel("students")
    return _png(fig)


def plot_mistakes(data: ClassData) -> str | None:
    if not data.mistakes:
        return None
    import matplotlib.pyplot as plt
    items = data.mistakes.most_common()
    fig, ax = plt.subplots(figsize=(8, 0.32 * len(items) + 1.0))
    ax.barh([f"{fn}: {mid.split('/', 1)[-1]}" for (nb, fn, mid), _ in items], [c for _, c in items], color="#aa3377")
    ax.invert_yaxis()
    ax.set_xlabel("students")
    ax.tick_params(axis="y", labelsize=8)
    return _png(fig)


# ---- CSV and HTML --------------------------------------------------------------------------

CSV_FIELDS = ["section", "student", "notebook", "function", "item", "value", "max", "count", "text"]


def csv_rows(data: ClassData, tests) -> list[dict]:
    rows = []
    for (student, nb), v in sorted(data.scores.items()):
        rows.append({"section": "student", "student": student, "notebook": nb,
                     "value": "" if v is None else round(v[0], 4), "max": "" if v is None else round(v[1], 4),
                     "text": "not graded" if v is None else "graded"})
    for (nb, fn), got in data.functions.items():
        values = [s for s, m in got.values()]
        rows.append({"section": "function", "notebook": nb, "function": fn, "item": "mean score",
                     "value": round(statistics.mean(values), 4), "max": round(max(m for s, m in got.values()), 4),
                     "count": len(values),
                     "text": f"full marks: {sum(1 for s, m in got.values() if m > 0 and s >= m - 1e-9)}"})
    for nb, fn, question, ran, failed, skipped, rate in tests:
        rows.append({"section": "test", "notebook": nb, "function": fn, "item": question, "value": round(rate, 4),
                     "count": ran, "max": failed, "text": f"not checked: {skipped}"})
    for (nb, fn, kind), count in data.messages.most_common():
        rows.append({"section": "message", "notebook": nb, "function": fn, "item": kind, "count": count,
                     "text": data.examples[(nb, fn, kind)]})
    for student, seconds in sorted(data.seconds.items()):
        rows.append({"section": "time", "student": student, "value": round(seconds, 3)})
    for student, nb, reason in data.ungraded:
        rows.append({"section": "ungraded", "student": student, "notebook": nb, "text": reason})
    for (nb, fn, mid), count in data.mistakes.most_common():
        rows.append({"section": "mistake", "notebook": nb, "function": fn, "item": mid, "count": count,
                     "text": data.mistake_words.get(mid, "")})
    return rows


def _table(head, rows) -> str:
    esc = html.escape
    out = ["<table><tr>" + "".join(f"<th>{esc(str(h))}</th>" for h in head) + "</tr>"]
    for row in rows:
        out.append("<tr>" + "".join(f"<td>{esc(str(c))}</td>" for c in row) + "</tr>")
    return "\n".join(out) + "</table>"


STYLE = """body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}
table{border-collapse:collapse;font-size:13px;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:3px 6px;
text-align:left;vertical-align:top}th{background:#f0f0f0}img{max-width:100%}h2{margin-top:1.6em}
.kpi{display:inline-block;margin-right:2em;font-size:15px}.kpi b{font-size:22px;display:block}"""


def render_html(data: ClassData, tests) -> str:
    esc = html.escape
    graded = [v for v in data.scores.values() if v]
    totals = {st: sum(v[0] for (s, n), v in data.scores.items() if s == st and v) for st in data.students}
    times = sorted(data.seconds.values())
    kpis = [("students", len(data.students)), ("notebooks graded", len(graded)),
            ("notebooks not graded", len(data.scores) - len(graded)),
            ("median total", f"{statistics.median(totals.values()):.2f}" if totals else "-"),
            ("median s / submission", f"{statistics.median(times):.2f}" if times else "-"),
            ("known mistakes found", sum(data.mistakes.values()))]
    parts = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>Class report: {esc(data.assignment)}</title>"
             f"<style>{STYLE}</style></head><body>",
             f"<h1>Class report: {esc(data.assignment)}</h1>",
             "<div>" + "".join(f"<span class='kpi'><b>{esc(str(v))}</b>{esc(k)}</span>" for k, v in kpis) + "</div>",
             "<h2 id='scores'>Score distribution per notebook</h2>",
             f"<img alt='score histograms' src='data:image/png;base64,{plot_scores(data)}'>"]
    per_nb = []
    for nb in data.notebooks:
        vals = [v[0] for (s, n), v in data.scores.items() if n == nb and v]
        most = max((v[1] for (s, n), v in data.scores.items() if n == nb and v), default=0)
        per_nb.append((nb, len(vals), f"{statistics.mean(vals):.2f}" if vals else "-",
                       f"{statistics.median(vals):.2f}" if vals else "-", f"{most:g}",
                       sum(1 for v in vals if most and v >= most - 1e-9)))
    parts.append(_table(["notebook", "graded", "mean", "median", "max points", "full marks"], per_nb))
    parts += ["<h2 id='functions'>Score distribution per function</h2>",
              f"<img alt='per-function scores' src='data:image/png;base64,{plot_functions(data)}'>"]
    fn_rows = []
    for (nb, fn), got in data.functions.items():
        vals = [s for s, m in got.values()]
        most = max(m for s, m in got.values())
        fn_rows.append((nb, fn, f"{most:g}", f"{statistics.mean(vals):.2f}",
                        sum(1 for s, m in got.values() if m > 0 and s >= m - 1e-9), sum(1 for v in vals if v <= 1e-9)))
    parts.append(_table(["notebook", "function", "points", "mean", "full marks", "zero"], fn_rows))
    parts += ["<h2 id='tests'>Failure rate of each hidden test</h2>",
              f"<img alt='test failure rates' src='data:image/png;base64,{plot_tests(tests)}'>",
              _table(["notebook", "function", "test", "ran", "failed", "not checked", "failure rate"],
                     [(*r[:6], f"{r[6]:.0%}") for r in tests if r[4] or r[5]] or [("-",) * 7])]
    parts += ["<h2 id='messages'>Most common failure messages</h2>",
              "<p>Numbers are blanked (#) so that one kind of failure counts once; an example as students saw it.</p>",
              _table(["students", "notebook", "function", "message"],
                     [(c, nb, fn, data.examples[(nb, fn, kind)]) for (nb, fn, kind), c in
                      data.messages.most_common(TOP_MESSAGES)] or [("-",) * 4])]
    mistake_png = plot_mistakes(data)
    parts.append("<h2 id='mistakes'>Known mistakes found (diagnosis)</h2>")
    parts.append("<p>A mistake is counted when a known wrong implementation reproduces the student's answers "
                 "exactly on every input of the function's hidden tests.</p>")
    if mistake_png:
        parts.append(f"<img alt='known mistakes' src='data:image/png;base64,{mistake_png}'>")
    parts.append(_table(["students", "notebook", "function", "mistake", "what the student is told"],
                        [(c, nb, fn, mid, data.mistake_words.get(mid, "")) for (nb, fn, mid), c in
                         data.mistakes.most_common()] or [("-",) * 5]))
    parts += ["<h2 id='time'>Time per submission</h2>",
              f"<img alt='grading time' src='data:image/png;base64,{plot_times(data)}'>",
              _table(["submissions", "median s", "95th percentile s", "slowest s"],
                     [(len(times), f"{statistics.median(times):.2f}" if times else "-",
                       f"{times[int(0.95 * (len(times) - 1))]:.2f}" if times else "-",
                       f"{times[-1]:.2f}" if times else "-")])]
    parts += ["<h2 id='ungraded'>Notebooks not graded, and why</h2>",
              _table(["student", "notebook", "reason"], data.ungraded or [("-", "-", "every notebook was graded")])]
    parts.append("</body></html>")
    return "\n".join(parts)


def write_report(results, assignment: str, out_dir: Path) -> tuple[Path, Path, ClassData]:
    """Write class_report.html and class_report.csv into ``out_dir``; returns their paths and the data."""
    import matplotlib
    matplotlib.use("Agg")
    data = collect(results, assignment)
    tests = test_rows(data)
    out_dir.mkdir(parents=True, exist_ok=True)
    html_path, csv_path = out_dir / "class_report.html", out_dir / "class_report.csv"
    html_path.write_text(render_html(data, tests), encoding="utf-8")
    with open(csv_path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, CSV_FIELDS)
        writer.writeheader()
        writer.writerows(csv_rows(data, tests))
    return html_path, csv_path, data


def summary_lines(data: ClassData) -> list[str]:
    """A few lines for a terminal: scores, ungraded notebooks, the most common mistakes and failures."""
    graded = [v for v in data.scores.values() if v]
    lines = [f"{len(data.students)} students, {len(graded)} notebooks graded, {len(data.ungraded)} flagged"]
    for nb in data.notebooks:
        vals = [v[0] for (s, n), v in data.scores.items() if n == nb and v]
        most = max((v[1] for (s, n), v in data.scores.items() if n == nb and v), default=0)
        if vals:
            lines.append(f"  {nb:<8} mean {statistics.mean(vals):6.2f} / {most:g}, full marks {sum(v >= most - 1e-9 for v in vals)}"
                         f" of {len(vals)}")
    for student, nb, reason in data.ungraded[:5]:
        lines.append(f"  not graded: {student}/{nb}: {reason[:100]}")
    if len(data.ungraded) > 5:
        lines.append(f"  ... and {len(data.ungraded) - 5} more notebooks not graded (see the report)")
    for (nb, fn, mid), c in data.mistakes.most_common(5):
        lines.append(f"  mistake x{c}: {fn}: {data.mistake_words.get(mid, mid)[:110]}")
    for (nb, fn, kind), c in data.messages.most_common(3):
        lines.append(f"  failure x{c}: {fn}: {data.examples[(nb, fn, kind)][:110]}")
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder report", description=__doc__.splitlines()[0])
    parser.add_argument("assignment")
    parser.add_argument("--results", type=Path, default=None, help="the results store (default: "
                                                                    "<workspace>/results/<assignment>)")
    parser.add_argument("--out", type=Path, default=None, help="output folder (default: the store's folder)")
    args = parser.parse_args(argv)
    folder = args.results or default_dir(args.assignment)
    results = ResultStore(folder, args.assignment).results()
    if not results:
        print(f"error: no graded notebooks of {args.assignment} in {folder}; grade them first "
              f"(python -m autograder grade <submitted folder> --results, or nbgrader autograde)", file=sys.stderr)
        return 1
    html_path, csv_path, data = write_report(results, args.assignment, args.out or folder)
    print("\n".join(summary_lines(data)))
    print(f"class report: {html_path}\n              {csv_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
