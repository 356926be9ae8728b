"""One batch from start to end: find the submissions, skip what the store holds, grade the rest
in-process, on a local pool or on a Dask cluster, store each result as it comes, return the reports.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from autograder.engine.report import NotebookReport

from .store import ResultStore, default_dir
from .submissions import find_submissions, notebook_files
from .task import grade_submission, payload


@dataclass
class BatchOutcome:
    reports: list = field(default_factory=list)      # NotebookReport per notebook, in path order
    graded_notebooks: int = 0
    graded_submissions: int = 0
    reused_notebooks: int = 0
    backend: str = ""
    store: str | None = None


def _stores(subs, results) -> dict[str, ResultStore]:
    if results is None:
        return {}
    out = {}
    for a in sorted({s.assignment for s in subs}):
        folder = default_dir(a) if results == "default" else Path(results)
        if results != "default" and len({s.assignment for s in subs}) > 1:
            folder = Path(results) / a
        out[a] = ResultStore(folder, a)
    return out


def grade_paths(paths, assignment=None, seed=None, jobs=1, scheduler=None, results=None, force=False,
                use_template=True, allow_uncontained=False, progress=False) -> BatchOutcome:
    """Grade notebook files and folders as submissions; see ``python -m autograder grade``."""
    subs = find_submissions(paths, assignment)
    stores = _stores(subs, results)
    for store in stores.values():
        store.remove_partial_files()  # left by a write that a kill interrupted
    outcome = BatchOutcome(store=", ".join(str(s.folder) for s in stores.values()) or None)
    found: dict[tuple[str, str, str], NotebookReport] = {}
    tasks = []
    for sub in subs:
        task = payload(sub, ship_bytes=scheduler is not None)
        store = stores.get(sub.assignment)
        todo = {}
        for name, nb in task["notebooks"].items():
            if store is not None and not force and store.is_done(sub.student, name, nb["fingerprint"], seed):
                stored = store.load(sub.student, name)
                if stored is not None:
                    found[(sub.student, sub.assignment, name)] = stored.report
                    outcome.reused_notebooks += 1
                    continue
            todo[name] = nb
        if todo:
            tasks.append(dict(task, notebooks=todo))

    bar = None
    if progress and tasks:
        from tqdm import tqdm
        bar = tqdm(total=sum(len(t["notebooks"]) for t in tasks), desc="grading", unit="nb")

    def on_record(record):
        key = (record["student"], record["assignment"], record["notebook"])
        store = stores.get(record["assignment"])
        if record.get("stored"):
            stored = store.load(record["student"], record["notebook"])
            report = stored.report if stored else NotebookReport.from_dict(record["report"])
        else:
            report = NotebookReport.from_dict(record["report"])
            if store is not None:
                store.save(record["student"], record["notebook"], record["fingerprint"], record["report"])
        found[key] = report
        outcome.graded_notebooks += 1
        if bar is not None:
            bar.update(1)

    try:
        if scheduler is not None:
            from .cluster import run_on_dask
            outcome.backend = run_on_dask(tasks, on_record, scheduler, jobs, seed, use_template, allow_uncontained)
        elif jobs > 1 and len(tasks) > 1:
            from .pool import run_pool
            folder = None
            if len(stores) == 1:
                folder = next(iter(stores.values())).folder
            if folder is not None:  # the grading processes write to the store themselves
                run_pool(tasks, jobs, on_record, folder, seed, use_template, allow_uncontained)
            else:
                run_pool(tasks, jobs, on_record, None, seed, use_template, allow_uncontained)
            outcome.backend = f"{min(jobs, len(tasks))} grading processes"
        else:
            for task in tasks:
                grade_submission(task, seed, use_template, allow_uncontained, on_notebook=on_record)
            outcome.backend = "1 grading process"
    finally:
        if bar is not None:
            bar.close()
    outcome.graded_submissions = len(tasks)
    where = {path: (sub, name) for sub in subs for name, path in sub.notebooks.items()}
    for path in notebook_files(paths):  # the order the paths were given in
        sub, name = where[path]
        report = found.get((sub.student, sub.assignment, name))
        if report is None:
            report = NotebookReport(str(path), sub.assignment, name, seed,
                                    error="not graded: its grading process was lost twice "
                                          "(run the batch again to grade it)")
        outcome.reports.append(report)
    return outcome
