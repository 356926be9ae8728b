"""Workers forked from a pre-started template: one sandbox per submission, one fresh process per notebook.

Starting a worker costs a new bubblewrap sandbox, a Python interpreter and numpy (about 70 ms
of CPU), and the notebook's setup cells import the support library again (about 60 ms more).
A :class:`WorkerTemplate` is started once per student's submission, in a sandbox exactly like a
worker's (the same namespaces, uid drop, user namespace, rlimits), with numpy and the modules
the grader names already imported. Each :class:`ForkedWorker` is a fork of it: a fresh process
with an empty namespace, which applies Landlock in a domain of its own and then serves the
usual worker protocol, so the engine uses it like any worker. Before each fork the template
ends every other process of the sandbox and empties its scratch folders and IPC objects, so
every notebook starts in the state of a fresh sandbox. Killing a forked worker (a time limit)
ends it and everything it started; closing the template ends the sandbox.

What is shared, and why it is safe: the forked workers of one template live in one sandbox, one
after the other, and belong to the same student; a template is never shared between students,
so a worker sees no other student's process, file or IPC object, exactly as before. Forked
workers cannot signal or trace the template (Landlock scoping and ptrace rules of their own
domain); a template that dies anyway is restarted (a new sandbox).

    with WorkerTemplate(Limits(), preload=["cs231n_lib.data"]) as template:
        for notebook in submission:
            grade_notebook(notebook, make_worker=template.worker)
"""
from __future__ import annotations

import json
import os
import secrets
import select
import signal
import socket
import tempfile
import time
import fcntl

from autograder.sandbox import containment
from autograder.sandbox.containment import ContainmentUnavailable
from autograder.sandbox.launcher import START_SECONDS, _LIVE, Limits, Worker, WorkerFailed
from autograder.sandbox.processes import read_bytes, remove_tree

MAX_REPLY_BYTES = 65536


class WorkerTemplate(Worker):
    """A pre-started, pre-imported process in one submission's sandbox that forks its workers."""

    MODULE = "autograder.sandbox.template_process"

    def __init__(self, limits: Limits | None = None, preload=(), **kw):
        super().__init__(limits, **kw)
        self.preload = tuple(preload)
        self._control: socket.socket | None = None
        self._current: ForkedWorker | None = None
        self.forks = 0

    @staticmethod
    def available(limits: Limits | None = None) -> bool:
        """Whether templates can be used here: namespaces via bubblewrap (the template relies on a
        PID namespace of its own), pidfds and fd passing."""
        lim = limits or Limits()
        return (lim.sandbox in ("auto", "namespaces") and bool(containment.plan()["namespaces"])
                and hasattr(os, "pidfd_open") and hasattr(socket, "send_fds"))

    def start(self) -> None:
        if not self.available(self.limits):
            raise ContainmentUnavailable("worker templates need bubblewrap namespaces (see `python -m "
                                         "autograder doctor`); use ordinary workers instead")
        super().start()
        if "namespaces" not in self.containment["layers"]:  # never fork outside a PID namespace
            self.close()
            raise ContainmentUnavailable("the template did not start in namespaces")

    def _extra_channels(self):
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        os.set_inheritable(mine.fileno(), False)
        mine.settimeout(START_SECONDS)
        self._control = mine
        fd = theirs.detach()
        return [fd], ["--control-fd", str(fd), "--preload", ",".join(self.preload)]

    def close(self) -> None:
        if self._current is not None:
            self._current.close()
            self._current = None
        if self._control is not None:
            self._control.close()
            self._control = None
        super().close()

    # ---- the control channel --------------------------------------------------------------

    def _ask(self, msg: dict, fds=(), want_fds: int = 0):
        if self._control is None or not self.alive:
            raise WorkerFailed("the worker template is not running")
        try:
            if fds:
                socket.send_fds(self._control, [json.dumps(msg).encode()], list(fds))
            else:
                self._control.send(json.dumps(msg).encode())
            data, got, _flags, _addr = socket.recv_fds(self._control, MAX_REPLY_BYTES, max(want_fds, 1))
        except (OSError, socket.timeout) as exc:
            raise WorkerFailed(f"the worker template does not answer ({exc})") from None
        try:
            reply = json.loads(data)
            if not isinstance(reply, dict) or reply.get("ok") is not True or len(got) != want_fds:
                raise ValueError(reply)
        except ValueError:
            for fd in got:
                os.close(fd)
            raise WorkerFailed(f"the worker template failed: {data[:300]!r}") from None
        return reply, got

    def fork(self, fds) -> tuple[int, int]:
        """A new worker on these fds (request read end, response write end, output file):
        ``(pid in the sandbox, pidfd)``. Restarts the template once if it is gone."""
        for attempt in (0, 1):
            try:
                if attempt:
                    self.restart()
                reply, got = self._ask({"op": "fork"}, fds, want_fds=1)
                pid = reply.get("pid")
                if not isinstance(pid, int) or pid <= 1:
                    os.close(got[0])
                    raise WorkerFailed("the worker template sent a bad pid")
                self.forks += 1
                return pid, got[0]
            except WorkerFailed:
                if attempt:
                    raise

    def status(self, pid: int) -> tuple | None:
        """(exit code, signal) of a forked worker once it has ended, else None."""
        try:
            reply, _ = self._ask({"op": "status", "pid": pid})
        except WorkerFailed:
            return (None, signal.SIGKILL)
        st = reply.get("status")
        if st is None:
            return None
        code, sig = st
        return (code if isinstance(code, int) else None, sig if isinstance(sig, int) else None)

    def reset(self) -> None:
        """End every process in the sandbox but the template; empty the scratch folders."""
        try:
            self._ask({"op": "reset"})
        except WorkerFailed:
            if self._proc is not None:
                super().close()  # the whole sandbox goes: nothing of the student's survives

    def worker(self, limits: Limits | None = None) -> "ForkedWorker":
        """A worker (not started) to be forked from this template: the engine's ``make_worker``."""
        return ForkedWorker(self, limits)


class _Forked:
    """Stands for the Popen of an ordinary worker: the pid (in the sandbox) and a return code."""

    def __init__(self, pid: int):
        self.pid, self.returncode = pid, None


class ForkedWorker(Worker):
    """A worker forked from a :class:`WorkerTemplate`; behaves as :class:`Worker` in every other way."""

    def __init__(self, template: WorkerTemplate, limits: Limits | None = None):
        super().__init__(limits or template.limits, template.repo_root)
        self.template = template
        self._reaped = None

    def start(self) -> None:
        if self._proc is not None:
            raise RuntimeError("worker already started")
        if self.template._current is not None and self.template._current is not self:
            self.template._current.close()  # one worker of a template at a time
        self.template._current = self
        if self.template._proc is None:
            self.template.start()
        self._drop, self._bwrap, self._reaped = self.template._drop, False, None
        self._dir = tempfile.mkdtemp(prefix="cs231n-worker-")
        path = os.path.join(self._dir, "output.txt")
        out = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o600)
        self._out = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        req_r, self._req = os.pipe2(os.O_CLOEXEC)
        self._resp, resp_w = os.pipe2(os.O_CLOEXEC)
        for fd in (self._req, self._resp):
            try:
                fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, 1 << 20)
            except (OSError, AttributeError):
                pass
            os.set_blocking(fd, False)
        self._token = secrets.token_hex(16)
        t0 = time.monotonic()
        try:
            pid, self._pidfd = self.template.fork([req_r, resp_w, out])
        except WorkerFailed as exc:
            for fd in (self._req, self._resp, self._out):
                os.close(fd)
            remove_tree(self._dir)
            self._out = None
            raise WorkerFailed(f"the worker could not start: {exc.reason}") from None
        finally:
            for fd in (req_r, resp_w, out):
                os.close(fd)
        self._proc = _Forked(pid)
        self._init_pid = self._init_pidfd = None
        self._worker_pid = _host_pid(self._pidfd)
        _LIVE.add(self)
        self._buf, self._next_id, self._issued, self._status, self._dead = bytearray(), 0, set(), None, None
        try:
            ready = self._receive(0, t0 + START_SECONDS, "the worker did not start in time")
        except WorkerFailed as exc:
            tail = self.output_tail(2000).strip()
            self.close()
            raise WorkerFailed(f"the worker could not start: {exc.reason}" + (f"\n{tail}" if tail else "")) from None
        self.startup_seconds = time.monotonic() - t0
        value = ready["value"]
        self.worker_startup_ms = value.get("startup_ms")
        desc = dict(self.template.containment)
        ll = value.get("landlock")
        desc["landlock"] = (f"ABI {ll['abi']}: filesystem" + (", tcp" if ll["tcp"] else "")
                            + (", signals and abstract sockets" if ll["scoped_signals_and_abstract_sockets"]
                               else "") if ll else None)
        desc["layers"] = [x for x in desc["layers"] if x != "landlock"] + (["landlock"] if ll else [])
        desc["uid"] = value.get("uid")
        desc["forked_from_template"] = True
        desc["summary"] = " + ".join(desc["layers"]) + " (forked from the submission's template)"
        self.containment = desc

    def _exit_info(self):
        if self._status is not None:
            return self._status
        if self._reaped is not None:
            return self._reaped
        if self._proc is None:
            return (0, None)
        if self._pidfd is not None and not select.select([self._pidfd], [], [], 0)[0]:
            return None  # the pidfd is readable once the process has ended
        deadline = time.monotonic() + 2.0
        while (st := self.template.status(self._proc.pid)) is None and time.monotonic() < deadline:
            time.sleep(0.005)
        self._reaped = st or (None, signal.SIGKILL)
        return self._reaped

    def _kill_tree(self) -> None:
        """SIGKILL the worker; the template ends everything else it started and reaps it."""
        if self._proc is None or self._status is not None:
            return
        try:
            signal.pidfd_send_signal(self._pidfd, signal.SIGKILL)
        except (OSError, AttributeError):
            pass
        if select.select([self._pidfd], [], [], 10)[0] == []:
            raise RuntimeError("a forked worker did not end within 10 s of SIGKILL")
        self._status = self._exit_info() or (None, signal.SIGKILL)
        self.template.reset()
        self._proc.returncode = -signal.SIGKILL

    def close(self) -> None:
        if self._proc is None:
            return
        super().close()
        if self.template._current is self:
            self.template._current = None

    @property
    def pid(self) -> int | None:
        """The worker's pid as the grader sees it (in the sandbox it has another); None when closed."""
        return self._worker_pid if self._proc is not None else None

    @property
    def peak_rss_bytes(self) -> int | None:
        if self.alive and self._worker_pid:
            for line in read_bytes(f"/proc/{self._worker_pid}/status").splitlines():
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1]) * 1024
        return self._peak_rss


def _host_pid(pidfd: int) -> int | None:
    """The pid, as this process sees it, of the process a pidfd refers to."""
    for line in read_bytes(f"/proc/self/fdinfo/{pidfd}").splitlines():
        if line.startswith(b"Pid:"):
            try:
                pid = int(line.split()[1])
            except (IndexError, ValueError):
                return None
            return pid if pid > 0 else None
    return None
