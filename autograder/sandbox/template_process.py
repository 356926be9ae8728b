"""The worker template: a pre-started, pre-imported process in one submission's sandbox that forks
a fresh worker per notebook (``python -m autograder.sandbox.template_process``; grader side:
:mod:`autograder.sandbox.template`).

It is started exactly like a worker (same bubblewrap namespaces, uid drop, own user namespace,
rlimits; see :mod:`autograder.sandbox.worker`), imports numpy and the modules the grader names
(``--preload``), announces itself, and then serves the grader on a Unix socket (``--control-fd``):

- ``fork`` (with three fds: request pipe, response pipe, output file): end every other process
  of the sandbox, empty its scratch folders and its SysV IPC, then fork. The child becomes an
  ordinary worker on those fds: it applies Landlock (``--landlock``, its own domain: it can
  neither signal nor trace the template) and serves the worker protocol. The reply carries the
  child's pid and a pidfd, so the grader can watch and kill it directly.
- ``status``: the exit status of a child (None while it runs).
- ``reset``: end every process of the sandbox but the template, reap them, empty the scratch
  folders and the IPC objects (the state of a freshly started sandbox).

Only used inside a PID namespace (bubblewrap): ``kill(-1)`` then reaches the sandbox's own
processes only. Everything in the sandbox belongs to one student: a template is never shared
between students, and dies with its sandbox.
"""
import argparse
import ctypes
import importlib
import json
import os
import shutil
import signal
import socket
import sys
import time

_T0 = time.perf_counter()
from autograder.sandbox import worker  # noqa: E402  (imports numpy and the protocol)

SCRATCH_DIRS = ("/scratch", "/tmp", "/dev/shm")
MAX_CONTROL_BYTES = 65536


def _empty(folder: str) -> None:
    """Remove everything in folder (files a student made unreadable or unwritable included)."""
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        path = os.path.join(folder, name)
        if os.path.isdir(path) and not os.path.islink(path):
            for root, dirs, _ in os.walk(path):
                for d in dirs:
                    try:
                        os.chmod(os.path.join(root, d), 0o700)
                    except OSError:
                        pass
            try:
                os.chmod(path, 0o700)
            except OSError:
                pass

            def fix(func, p, _exc):
                try:
                    os.chmod(os.path.dirname(p), 0o700)
                    func(p)
                except OSError:
                    pass
            shutil.rmtree(path, onerror=fix)
        else:
            try:
                os.unlink(path)
            except OSError:
                pass


def _remove_ipc() -> None:
    """Remove the SysV shared memory, semaphores and message queues of this IPC namespace."""
    libc = ctypes.CDLL(None, use_errno=True)
    for kind, remove in (("shm", lambda i: libc.shmctl(i, 0, None)), ("sem", lambda i: libc.semctl(i, 0, 0)),
                         ("msg", lambda i: libc.msgctl(i, 0, None))):
        try:
            lines = open(f"/proc/sysvipc/{kind}").read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            try:
                remove(int(line.split()[1]))  # IPC_RMID = 0
            except (ValueError, IndexError):
                pass


class Template:
    def __init__(self, control: socket.socket, landlock_rules: str | None, output_cap: int):
        self.control, self.landlock, self.output_cap = control, landlock_rules, output_cap
        self.children: dict[int, tuple | None] = {}   # pid -> (exit code, signal) once reaped

    def _reap(self, block: bool) -> bool:
        """Reap what has ended (recording our workers' statuses); True when no child is left."""
        while True:
            try:
                pid, status = os.waitpid(-1, 0 if block else os.WNOHANG)
            except ChildProcessError:
                return True
            if pid == 0:
                return False
            if pid in self.children:
                self.children[pid] = ((os.waitstatus_to_exitcode(status), None) if os.WIFEXITED(status)
                                      else (None, os.WTERMSIG(status)))

    def reset(self) -> None:
        """The sandbox as freshly started: no other process, empty scratch folders and IPC."""
        while True:  # again and again: a process may have forked while the signal was on its way
            try:
                os.kill(-1, signal.SIGKILL)  # every process we may signal but ourselves and init
            except ProcessLookupError:
                pass
            if self._reap(block=False):  # orphans come back to us (a subreaper): all of them are reaped
                break
            time.sleep(0.001)
        for folder in SCRATCH_DIRS:
            _empty(folder)
        _remove_ipc()

    def fork(self, fds: list[int]) -> tuple[int, int]:
        self.reset()
        req_r, resp_w, out = fds
        pid = os.fork()
        if pid == 0:  # the new worker
            try:
                self.control.close()
                os.dup2(out, 1)
                os.dup2(out, 2)
                for fd in (out,):
                    os.close(fd)
                os.chdir("/scratch")
                worker._claim_fds(req_r, resp_w)
                streams = worker.setup_output(self.output_cap)
                applied = worker.confine(self.landlock)
            except BaseException as exc:  # noqa: BLE001
                worker.refuse(exc)
            worker.serve(streams, {"landlock": applied, "nproc_in_userns": True, "forked": True,
                                   "startup_ms": 0.0})
        for fd in fds:
            os.close(fd)
        self.children[pid] = None
        return pid, os.pidfd_open(pid)

    def status(self, pid: int):
        if self.children.get(pid) is None:
            self._reap(block=False)
        return self.children.get(pid)

    def serve(self) -> None:
        while True:
            try:
                data, fds, _flags, _addr = socket.recv_fds(self.control, MAX_CONTROL_BYTES, 3)
            except InterruptedError:
                continue
            if not data:
                break  # the grader is gone
            try:
                msg = json.loads(data)
                op = msg["op"]
                if op == "fork":
                    if len(fds) != 3:
                        raise ValueError("fork needs three fds")
                    pid, pidfd = self.fork(fds)
                    socket.send_fds(self.control, [json.dumps({"ok": True, "pid": pid}).encode()], [pidfd])
                    os.close(pidfd)
                    continue
                for fd in fds:
                    os.close(fd)
                if op == "status":
                    reply = {"ok": True, "status": self.status(int(msg["pid"]))}
                elif op == "reset":
                    self.reset()
                    reply = {"ok": True}
                else:
                    raise ValueError(f"unknown op {op!r}")
            except Exception as exc:  # noqa: BLE001
                reply = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
            self.control.send(json.dumps(reply).encode())
        self.reset()
        os._exit(0)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m autograder.sandbox.template_process")
    parser.add_argument("--fds", default=f"{worker.REQUEST_FD},{worker.RESPONSE_FD}")
    parser.add_argument("--control-fd", type=int, required=True)
    parser.add_argument("--preload", default="")
    parser.add_argument("--uid", type=int)
    parser.add_argument("--gid", type=int)
    parser.add_argument("--output-cap", type=int, default=1 << 20)
    parser.add_argument("--userns", action="store_true")
    parser.add_argument("--nproc", type=int)
    parser.add_argument("--landlock")
    args = parser.parse_args(argv)
    worker._claim_fds(*(int(x) for x in args.fds.split(",")))
    control = socket.socket(fileno=args.control_fd)
    os.set_inheritable(control.fileno(), False)
    try:
        # the template itself: uid drop, own user namespace, process limit (+1: the template counts)
        worker.confine(None, args.uid, args.gid, args.userns, None if args.nproc is None else args.nproc + 1)
    except Exception as exc:  # noqa: BLE001
        worker.refuse(exc)
    preloaded = []
    for name in filter(None, args.preload.split(",")):
        try:
            importlib.import_module(name)
            preloaded.append(name)
        except Exception:  # noqa: BLE001 - a module that does not import here is imported by the cell
            pass
    sys.stdout.flush()
    worker.send({"id": 0, "ok": True, "value": {
        "pid": os.getpid(), "uid": os.getuid(), "landlock": None, "nproc_in_userns": args.nproc is not None,
        "template": True, "preloaded": preloaded, "startup_ms": (time.perf_counter() - _T0) * 1e3}})
    os.close(worker.REQUEST_FD)   # the template takes requests on its control socket only
    os.close(worker.RESPONSE_FD)
    Template(control, args.landlock, args.output_cap).serve()


if __name__ == "__main__":
    main()
