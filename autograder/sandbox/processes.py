"""The process table (read from /proc) and the killing of a worker's whole process tree.

Used by :mod:`autograder.sandbox` after a worker ends or is stopped: everything the student
started (children, detached daemons, fork bombs) is SIGKILLed and reaped.
"""
from __future__ import annotations

import os
import signal
import time


def read_bytes(path: str) -> bytes:
    """Contents of a (/proc) file, or b"" when it cannot be read."""
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return b""


def processes() -> dict[int, tuple[int, int, int, bool]]:
    """pid -> (ppid, pgid, sid, is_zombie) for every process."""
    table = {}
    for name in os.listdir("/proc"):
        stat = read_bytes(f"/proc/{name}/stat") if name.isdigit() else b""
        if stat:
            f = stat[stat.rindex(b")") + 2:].split()
            table[int(name)] = (int(f[1]), int(f[2]), int(f[3]), f[0] == b"Z")
    return table


def uid_of(pid: int) -> int | None:
    """Real uid of a process, or None when it is gone."""
    for line in read_bytes(f"/proc/{pid}/status").splitlines():
        if line.startswith(b"Uid:"):
            return int(line.split()[1])
    return None


def _belongs(pid, ppid, pgid, sid, wpid, token, me, drop_uid) -> bool:
    return (wpid in (pid, pgid, sid)
            or token in read_bytes(f"/proc/{pid}/environ").split(b"\0")
            or (ppid == me and drop_uid is not None and uid_of(pid) == drop_uid))


def kill_process_tree(wpid: int, token: bytes, others: set[int], drop_uid: int | None) -> None:
    """SIGKILL worker ``wpid`` and everything of it; reap what was re-parented to us.

    Inputs:
    - wpid: the worker's pid (also its process group and session id).
    - token: the ``NAME=value`` environment entry every process of this worker inherits.
    - others: pids (= groups and sessions) of other live workers, never touched.
    - drop_uid: the uid the worker runs as when it dropped privileges (orphans of ours
      with that uid are ours), or None.

    The worker itself is left as a zombie for the caller to reap (its exit status is read).
    """
    me = os.getpid()
    ours: set[int] = set()
    for attempt in range(200):  # until nothing of ours runs (a fork bomb races us)
        table = processes()  # first read while the worker (a subreaper of its orphans) lives
        try:
            os.killpg(wpid, signal.SIGKILL)
        except OSError:
            pass
        for pid, (ppid, pgid, sid, _) in table.items():
            if pid == me or pid in ours or pgid in others or sid in others:
                continue
            if _belongs(pid, ppid, pgid, sid, wpid, token, me, drop_uid):
                ours.add(pid)
        stack = list(ours)
        while stack:  # descendants of ours are ours
            parent = stack.pop()
            for pid, (ppid, *_) in table.items():
                if ppid == parent and pid not in ours and pid != me:
                    ours.add(pid)
                    stack.append(pid)
        pending = False
        for pid in ours & table.keys():
            ppid, _, _, zombie = table[pid]
            if not zombie:
                pending = True
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            elif ppid != me:
                pending = True  # its parent is dying: it will be re-parented to us
            elif pid != wpid:
                try:
                    os.waitpid(pid, os.WNOHANG)
                except ChildProcessError:
                    pass
        if not pending:
            return
        time.sleep(min(0.0005 * 2 ** attempt, 0.05))


def remove_tree(path: str) -> None:
    """Remove a worker's folder, even when the student made parts of it unreadable (chmod 000)."""
    import shutil

    def unlock(folder: str) -> None:  # give every folder back its owner's rights, top down
        try:
            os.chmod(folder, 0o700)
            with os.scandir(folder) as entries:
                subfolders = [e.path for e in entries if e.is_dir(follow_symlinks=False)]
        except OSError:
            return
        for sub in subfolders:
            unlock(sub)

    shutil.rmtree(path, ignore_errors=True)
    if os.path.lexists(path):
        unlock(path)
        shutil.rmtree(path, ignore_errors=True)
