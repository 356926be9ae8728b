"""The same batch on a Dask distributed cluster: ``python -m autograder grade --scheduler tcp://HOST:8786``.

Why Dask (and not Ray): it is pure Python, installs from PyPI with pip in seconds (``dask``,
``distributed``; no native runtime, object store or per-node daemons to run besides one
``dask worker`` process), its scheduler and workers start with one command each, over SSH,
SLURM/PBS (dask-jobqueue) or Kubernetes (dask-kubernetes), and ``as_completed`` streams
results back as they finish. A grading task is seconds long and moves kilobytes, which is what
Dask's scheduler handles well; Ray's strengths (GPU actors, a shared-memory object store for
large arrays) buy nothing here.

How it runs:

- Every node needs this repository and its virtualenv at the same path as on the coordinator
  (``make setup`` there; bubblewrap included), and runs ``dask worker tcp://SCHEDULER:8786
  --nthreads 1`` (one worker process per core: ``--nworkers N``). Before grading, every worker
  reports its sandbox (``containment.plan()``): a node that cannot contain student code stops
  the batch unless ``--allow-uncontained`` accepts the risk. Student code runs only in each
  node's contained workers, as on one machine.
- A task is one student's submission; the notebooks travel as bytes (nodes need not share a
  file system) and come back as plain data (``NotebookReport.to_dict()``), never pickled objects
  from student code.
- Results are stored by the coordinator as they arrive, atomically per notebook
  (:mod:`.store`). A lost node's tasks are run again elsewhere (``retries``); a result that
  arrives twice replaces an equal one (one file per notebook); a coordinator killed mid-batch is
  run again with the same command and grades only what is missing.
"""
from __future__ import annotations

import hashlib
import json

from .task import grade_submission

RETRIES = 3


def node_status(allow_uncontained: bool) -> dict:
    """On a Dask worker: which sandbox layers this node can give (run by ``client.run``)."""
    import socket

    from autograder.sandbox import containment
    plan = containment.plan()
    return {"host": socket.gethostname(), "namespaces": bool(plan["namespaces"]),
            "landlock_abi": plan["landlock_abi"],
            "contained": bool(plan["namespaces"] or plan["landlock_abi"]),
            "accepted": allow_uncontained or containment.allow_uncontained_from_env()}


def _task_key(task: dict) -> str:
    digest = hashlib.sha256(json.dumps({k: v["fingerprint"] for k, v in sorted(task["notebooks"].items())},
                                       sort_keys=True).encode()).hexdigest()[:12]
    return f"grade-{task['student']}-{task['assignment']}-{digest}"


def local_cluster(n_workers: int):
    """A LocalCluster of ``n_workers`` single-threaded worker processes, no dashboard."""
    from distributed import LocalCluster
    return LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                        dashboard_address=None, silence_logs=40)


def run_on_dask(tasks: list[dict], on_record, scheduler, jobs: int = 1, seed=None, use_template=True,
                allow_uncontained=False, client=None) -> str:
    """Grade ``tasks`` on a Dask cluster; ``on_record`` gets each notebook's record as its submission
    comes back. ``scheduler``: an address, ``"local"`` (a LocalCluster of ``jobs`` workers), or
    None with ``client`` given. Returns a description of the cluster."""
    try:
        from distributed import Client, as_completed
    except ImportError as err:
        raise RuntimeError("the Dask back end needs dask[distributed] (pip install -r requirements.txt)") from err
    cluster = None
    if client is None and scheduler is not None and not isinstance(scheduler, str):
        client = scheduler  # a distributed.Client
    own_client = client is None
    if client is None:
        if scheduler == "local":
            cluster = local_cluster(jobs)
            client = Client(cluster)
        else:
            client = Client(scheduler, timeout="30s")
    try:
        nodes = client.run(node_status, allow_uncontained)
        if not nodes:
            raise RuntimeError(f"the Dask cluster at {scheduler} has no workers")
        bad = sorted(f"{addr} ({s['host']})" for addr, s in nodes.items() if not (s["contained"] or s["accepted"]))
        if bad:
            raise RuntimeError("these Dask workers cannot contain student code (no namespaces, no Landlock): "
                               + ", ".join(bad) + "; run `python -m autograder doctor` there, or accept the "
                               "risk with --allow-uncontained")
        futures = [client.submit(grade_submission, task, seed, use_template, allow_uncontained,
                                 key=_task_key(task), pure=False, retries=RETRIES) for task in tasks]
        for future in as_completed(futures):
            for record in future.result():
                on_record(record)
            future.release()
        where = " (LocalCluster)" if cluster is not None else f" at {client.scheduler.address}"
        return f"Dask, {len(nodes)} workers{where}"
    finally:
        if own_client:
            client.close()
        if cluster is not None:
            cluster.close()
