"""A pool of local grading processes: ``python -m autograder grade --jobs N``.

Each process takes whole submissions from a queue and grades them (``task.grade_submission``),
each with its own contained workers. A result is written to the results store by the process
that graded it, atomically, as soon as the notebook is done, so a batch killed at any point
loses only the notebooks being graded at that moment. The processes die with the batch
(``PR_SET_PDEATHSIG``) and their sandboxes with them (bwrap ``--die-with-parent``): a killed
batch leaves nothing running that could still write. A process that dies (e.g. out of memory)
is replaced and its submission given to another process once.
"""
from __future__ import annotations

import ctypes
import multiprocessing
import os
import queue
import signal

from .store import ResultStore
from .task import grade_submission

PR_SET_PDEATHSIG = 1


def _die_with_parent(parent: int) -> None:
    try:
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # the parent died before the line above
        os._exit(1)


def _child(parent, tasks, results, store_folder, seed, use_template, allow_uncontained):
    _die_with_parent(parent)
    from autograder.sandbox import launcher
    launcher._subreaper = False  # not inherited through fork: this process must become one itself
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the coordinator's to handle
    while True:
        item = tasks.get()
        if item is None:
            return
        index, task = item
        store = ResultStore(store_folder, task["assignment"]) if store_folder else None
        results.put(("start", index, os.getpid()))

        def saved(record):
            if store is not None:
                store.save(record["student"], record["notebook"], record["fingerprint"], record["report"])
            results.put(("notebook", index, record if store is None else _summary(record)))
        grade_submission(task, seed, use_template, allow_uncontained, on_notebook=saved)
        results.put(("done", index, os.getpid()))


def _summary(record: dict) -> dict:
    """What the coordinator needs of a stored record (the report itself is in the store)."""
    report = record["report"]
    return {**{k: record[k] for k in ("student", "assignment", "notebook", "fingerprint")},
            "report": {k: report.get(k) for k in ("path", "assignment", "notebook", "seed", "error", "seconds",
                                                   "grader_errors")},
            "score": sum(t["score"] for t in report.get("tests", [])),
            "max_score": sum(t["max_score"] for t in report.get("tests", [])), "stored": True}


def run_pool(tasks: list[dict], jobs: int, on_record, store_folder=None, seed=None, use_template=True,
             allow_uncontained=False) -> None:
    """Grade ``tasks`` (submission payloads) in ``jobs`` processes; ``on_record`` gets each notebook's
    record as it finishes (a summary when ``store_folder`` is given: the full record is stored)."""
    if not tasks:
        return
    ctx = multiprocessing.get_context("fork")
    task_q, result_q = ctx.Queue(), ctx.Queue()
    for item in enumerate(tasks):
        task_q.put(item)
    args = (os.getpid(), task_q, result_q, str(store_folder) if store_folder else None, seed, use_template,
            allow_uncontained)
    procs = {}

    def spawn():
        p = ctx.Process(target=_child, args=args, daemon=True)
        p.start()
        procs[p.pid] = p

    for _ in range(min(jobs, len(tasks))):
        spawn()
    running: dict[int, int] = {}   # pid -> index of the submission it grades
    done, retried = set(), set()
    try:
        while len(done) < len(tasks):
            try:
                kind, index, value = result_q.get(timeout=1.0)
            except queue.Empty:
                for pid, p in list(procs.items()):
                    if p.exitcode is not None and p.exitcode != 0:  # died: give its submission to another
                        del procs[pid]
                        lost = running.pop(pid, None)
                        if lost is not None and lost not in done and lost not in retried:
                            retried.add(lost)
                            task_q.put((lost, tasks[lost]))
                        elif lost is not None and lost not in done:
                            done.add(lost)  # twice lost: its notebooks stay missing (a rerun retries)
                        spawn()
                if not procs:
                    raise RuntimeError("every grading process died")
                continue
            if kind == "start":
                running[value] = index
            elif kind == "notebook":
                on_record(value)
            elif kind == "done":
                running.pop(value, None)
                done.add(index)
        for _ in procs:
            task_q.put(None)
        for p in procs.values():
            p.join(10)
    finally:
        for p in procs.values():
            if p.is_alive():
                p.kill()
            p.join(5)
        task_q.close()
        result_q.close()
