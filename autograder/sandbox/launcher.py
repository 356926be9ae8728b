"""Grader side of the process boundary: start, talk to and stop the student's worker process.

The worker (:mod:`autograder.sandbox.worker`) runs in a fresh temporary directory with a scrubbed
environment, in its own session, under resource limits and, when the grader is root, as
user ``nobody``. Time limits are enforced from here: each request waits on the response
pipe with a deadline, and the worker is SIGKILLed when it passes. Stopping a worker kills
its process group, its session, every process carrying its environment token and its
orphans (re-parented to the grader, a child subreaper), then reaps them all. Example::

    with Worker(Limits(call_seconds=5)) as w:
        w.exec("svm_loss_naive", source)          # StudentError if the cell raises
        loss, grad = w.call("svm_loss_naive", W, X, y, 0.1)
        clf = w.call("LinearSVM")                 # a Handle: the object stays in the worker
        w.call(clf, X, y, method="train")
"""
from __future__ import annotations

import ctypes
import fcntl
import functools
import os
import resource
import secrets
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import weakref
from dataclasses import dataclass
from pathlib import Path

from autograder.sandbox.processes import kill_process_tree, processes, read_bytes, uid_of
from autograder.sandbox.protocol import (EXIT_CHANNEL, EXIT_MEMORY, MAX_MESSAGE_BYTES, Handle,
                                 ProtocolError, decode, encode)

REPO_ROOT = Path(__file__).resolve().parents[2]
TOKEN_VAR = "CS231N_WORKER"
START_SECONDS = 30.0
_LIVE: weakref.WeakSet = weakref.WeakSet()
_subreaper = False


@dataclass
class Limits:
    """Limits of one worker. Times in seconds, sizes in bytes."""

    call_seconds: float = 10.0          # per request, wall clock, enforced from outside
    submission_seconds: float = 60.0    # all requests of one Worker, restarts included
    memory_bytes: int = 2 << 30         # RLIMIT_AS
    max_processes: int = 32             # RLIMIT_NPROC (counts every process of the user)
    output_bytes: int = 1 << 20         # prints kept; RLIMIT_FSIZE is this plus 64 KiB
    cpu_seconds: int = 90               # RLIMIT_CPU, a safety net
    uid: int | None = 65534             # user the worker runs as when the grader is root
    gid: int = 65534


class StudentError(Exception):
    """The student's code raised: ``message`` is ``Type: text``, ``traceback`` its frames."""

    def __init__(self, message: str, traceback: str = "", type_name: str = ""):
        super().__init__(message)
        self.message, self.traceback, self.type_name = message, traceback, type_name


class WorkerFailed(Exception):
    """The worker died or was stopped; ``reason`` says why in plain words."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass
class ExecResult:
    """A cell that ran without raising."""

    label: str
    seconds: float


def _size(n: int) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:g} {unit}"
    return f"{n} bytes"


def _set_limits(limits: Limits, nproc: int) -> None:  # in the child, before exec
    for res, value in ((resource.RLIMIT_AS, limits.memory_bytes), (resource.RLIMIT_CORE, 0),
                       (resource.RLIMIT_FSIZE, limits.output_bytes + 65536),
                       (resource.RLIMIT_NPROC, nproc)):
        resource.setrlimit(res, (value, value))
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 5))


class Worker:
    """One student's worker process; a context manager (start on enter, close on exit)."""

    def __init__(self, limits: Limits | None = None, repo_root: str | Path = REPO_ROOT):
        self.limits = limits or Limits()
        self.repo_root = str(repo_root)
        self.startup_seconds: float | None = None   # wall time of the last start()
        self.worker_startup_ms: float | None = None  # the worker's own import and set-up
        self._proc, self._used, self._tail, self._peak_rss, self._dead = None, 0.0, b"", None, None

    def __enter__(self) -> "Worker":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def start(self) -> None:
        """Start a fresh worker process (empty namespace); WorkerFailed if it cannot start."""
        global _subreaper
        if self._proc is not None:
            raise RuntimeError("worker already started")
        if not _subreaper:  # orphans of workers (double fork, setsid) come back to us
            _subreaper = True
            try:
                ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
            except (OSError, AttributeError):
                pass
        lim = self.limits
        self._drop = os.geteuid() == 0 and lim.uid is not None
        self._dir = tempfile.mkdtemp(prefix="cs231n-worker-")  # 0700 until the worker owns it
        path = os.path.join(self._dir, "output.txt")
        out = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o600)
        self._out = os.open(path, os.O_RDONLY | os.O_CLOEXEC)  # survives an unlink
        req_r, self._req = os.pipe2(os.O_CLOEXEC)
        self._resp, resp_w = os.pipe2(os.O_CLOEXEC)
        for fd in (self._req, self._resp):
            try:
                fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, 1 << 20)
            except (OSError, AttributeError):
                pass
            os.set_blocking(fd, False)
        self._token = secrets.token_hex(16)
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": self._dir, "LC_ALL": "C.UTF-8",
               "PYTHONPATH": self.repo_root, "PYTHONDONTWRITEBYTECODE": "1",
               "PYTHONNOUSERSITE": "1", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
               "MKL_NUM_THREADS": "1", "MPLBACKEND": "Agg", TOKEN_VAR: self._token}
        cmd = [sys.executable, *(["-P"] if sys.version_info >= (3, 11) else []), "-m",
               "autograder.sandbox.worker", "--fds", f"{req_r},{resp_w}", "--output-cap",
               str(lim.output_bytes)]
        nproc = lim.max_processes
        if self._drop:
            cmd += ["--uid", str(lim.uid), "--gid", str(lim.gid)]
        else:  # RLIMIT_NPROC counts every process of the user
            nproc += sum(uid_of(p) == os.getuid() for p in processes())
        t0 = time.monotonic()
        try:
            self._proc = subprocess.Popen(
                cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=out, cwd=self._dir, env=env,
                pass_fds=(req_r, resp_w), start_new_session=True,
                preexec_fn=functools.partial(_set_limits, lim, nproc))
        finally:
            for fd in (out, req_r, resp_w):
                os.close(fd)
        try:
            self._pidfd = os.pidfd_open(self._proc.pid)
        except (AttributeError, OSError):
            self._pidfd = None
        _LIVE.add(self)
        self._buf, self._next_id, self._issued, self._status, self._dead = (
            bytearray(), 0, set(), None, None)
        try:
            ready = self._receive(0, t0 + START_SECONDS, "the worker did not start in time")
        except WorkerFailed as exc:
            tail = self.output_tail(2000).strip()
            self.close()
            raise WorkerFailed(f"the worker could not start: {exc.reason}"
                               + (f"\n{tail}" if tail else "")) from None
        self.startup_seconds = time.monotonic() - t0
        self.worker_startup_ms = ready["value"]["startup_ms"]

    def close(self) -> None:
        """Stop the worker and every process it started; remove its directory. Idempotent."""
        if self._proc is None:
            return
        self._kill_tree()
        self._tail = self.output_tail(64 * 1024).encode()
        for fd in (self._req, self._resp, self._pidfd, self._out):
            if fd is not None:
                os.close(fd)
        shutil.rmtree(self._dir, ignore_errors=True)
        _LIVE.discard(self)
        self._proc = self._out = None

    def restart(self) -> None:
        """Close and start again (empty namespace); the time budget already used is kept."""
        self.close()
        self.start()

    @property
    def alive(self) -> bool:
        """True while the worker process runs."""
        return self._proc is not None and self._exit_info() is None

    @property
    def pid(self) -> int | None:
        """The worker's pid (also its process group and session id); None when closed."""
        return self._proc.pid if self._proc is not None else None

    @property
    def peak_rss_bytes(self) -> int | None:
        """Peak resident memory of the running (or last) worker process."""
        if self.alive:
            for line in read_bytes(f"/proc/{self._proc.pid}/status").splitlines():
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1]) * 1024
        return self._peak_rss

    @property
    def seconds_left(self) -> float:
        """What remains of the submission's time budget."""
        return max(0.0, self.limits.submission_seconds - self._used)

    def output_tail(self, n_bytes: int = 4096) -> str:
        """The last n_bytes printed by the student's code (stdout and stderr together)."""
        if self._out is None:
            data = self._tail[-n_bytes:] if n_bytes else b""
        else:
            size = os.fstat(self._out).st_size
            data = os.pread(self._out, min(n_bytes, size), max(0, size - n_bytes))
        return data.decode("utf-8", "replace")

    # ---- requests: StudentError when the student's code raises, WorkerFailed when it dies --

    def exec(self, label: str, source: str, *, seconds: float | None = None) -> ExecResult:
        """Run a cell in the student namespace; ``label`` names it in tracebacks.

        ``seconds`` replaces ``call_seconds`` for this request (e.g. a training cell).
        """
        t0 = time.monotonic()
        self._value(self._request({"op": "exec", "label": label, "source": source}, seconds))
        return ExecResult(label, time.monotonic() - t0)

    def call(self, target: str | Handle, *args, method: str | None = None, **kwargs):
        """Call ``target(*args, **kwargs)`` (or ``target.method(...)``) in the worker.

        target is a namespace name or a Handle. The result comes back as plain data, or
        as a Handle when it is a single non-plain object (e.g. a classifier instance).
        """
        return self._value(self._request({"op": "call", "target": target, "method": method,
                                          "args": list(args), "kwargs": kwargs}))

    def call_echo(self, target: str | Handle, *args, method: str | None = None, **kwargs):
        """Like :meth:`call`, and also send back the arguments as they are after the call.

        Returns ``(result, args_after, kwargs_after)``: the grader compares them with what it
        sent to decide "inputs unchanged" on its own side (the worker is not trusted to).
        """
        value = self._value(self._request({"op": "call", "target": target, "method": method,
                                           "args": list(args), "kwargs": kwargs, "echo_args": True}))
        if not (isinstance(value, dict) and set(value) == {"$result", "$args", "$kwargs"}
                and isinstance(value["$args"], list) and isinstance(value["$kwargs"], dict)):
            raise ProtocolError("malformed reply to a call that echoes its arguments")
        for v in [value["$result"], *value["$args"], *value["$kwargs"].values()]:
            if isinstance(v, Handle):
                self._issued.add(v)
        return value["$result"], value["$args"], value["$kwargs"]

    def getattr(self, target: Handle | None, name: str):
        """``target.name`` in the worker; with target None, the namespace variable ``name``."""
        return self._value(self._request({"op": "getattr", "target": target, "name": name}))

    def setattr(self, target: Handle | None, name: str, value) -> None:
        """``target.name = value`` in the worker (a namespace variable when target is None)."""
        self._value(self._request({"op": "setattr", "target": target, "name": name,
                                   "value": value}))

    def seed(self, n: int) -> None:
        """Seed numpy's global generator and ``random`` in the worker."""
        self._value(self._request({"op": "seed", "seed": int(n)}))

    def ping(self) -> float:
        """Round trip to the worker; returns the seconds it took."""
        t0 = time.perf_counter()
        self._value(self._request({"op": "ping"}))
        return time.perf_counter() - t0

    def _check_handles(self, value) -> None:
        if isinstance(value, Handle) and value not in self._issued:
            raise ValueError(f"{value!r} was not issued by the running worker (stale after "
                             "a restart?)")
        for v in value.values() if isinstance(value, dict) else (
                value if isinstance(value, (list, tuple)) else ()):
            self._check_handles(v)

    def _request(self, msg: dict, seconds: float | None = None) -> dict:
        if self._proc is None or self._status is not None:
            raise WorkerFailed(self._dead or "the worker is not running")
        self._check_handles(list(msg.values()))
        left = self.limits.submission_seconds - self._used
        per = self.limits.call_seconds if seconds is None else seconds
        reason = (f"time limit of {per:g} s per call exceeded (the worker was stopped)"
                  if per <= left else f"the submission's time budget of "
                  f"{self.limits.submission_seconds:g} s is used up (the worker was stopped)")
        if left <= 0:
            self._fail(reason)
        self._next_id += 1
        msg["id"] = self._next_id
        view = memoryview(encode(msg))  # ProtocolError: the grader sent something not plain
        t0 = time.monotonic()
        deadline = t0 + min(per, left)
        try:
            while view:
                if not self._wait(self._req, select.POLLOUT, deadline, reason):
                    self._fail(self._exit_reason(1.0) or "the worker stopped reading")
                try:
                    view = view[os.write(self._req, view):]
                except BlockingIOError:
                    pass
                except BrokenPipeError:
                    self._fail(self._exit_reason(1.0) or "the worker closed its input")
            resp = self._receive(self._next_id, deadline, reason)
        finally:
            self._used += time.monotonic() - t0
        if resp["ok"] and isinstance(resp["value"], Handle):
            self._issued.add(resp["value"])
        return resp

    def _wait(self, fd: int, event: int, deadline: float, reason: str) -> bool:
        """True once fd is ready, False if the worker exited; fails with reason at deadline."""
        poller = select.poll()
        poller.register(fd, event)
        if self._pidfd is not None:
            poller.register(self._pidfd, select.POLLIN)
        while (remaining := deadline - time.monotonic()) > 0:
            step = remaining if self._pidfd is not None else min(remaining, 0.05)
            events = dict(poller.poll(int(step * 1000) + 1))
            if fd in events:
                return True
            if self._pidfd in events or (self._pidfd is None and self._exit_info()):
                return False
        self._fail(reason)

    def _receive(self, expected_id: int, deadline: float, reason: str) -> dict:
        while (i := self._buf.find(b"\n")) < 0:
            if len(self._buf) > MAX_MESSAGE_BYTES:
                self._fail(f"protocol error: response larger than {_size(MAX_MESSAGE_BYTES)}")
            ready = self._wait(self._resp, select.POLLIN, deadline, reason)
            try:
                chunk = os.read(self._resp, 1 << 20)
            except BlockingIOError:
                chunk = None
            if chunk:
                self._buf += chunk
            elif not ready or chunk == b"":  # the worker exited, or hung up
                self._fail(self._exit_reason(1.0)
                           or "protocol error: the worker closed its response channel")
        line = bytes(self._buf[:i + 1])
        del self._buf[:i + 1]
        try:
            resp = decode(line)
        except ProtocolError as exc:
            self._fail(f"protocol error: {exc}")
        err = resp.get("error") if isinstance(resp, dict) else None
        if not (isinstance(resp, dict) and resp.get("id") == expected_id and (
                resp.get("ok") is True and "value" in resp or resp.get("ok") is False
                and isinstance(err, dict)
                and all(isinstance(err.get(k), str) for k in ("type", "message", "traceback")))):
            self._fail("protocol error: unexpected response from the worker")
        return resp

    def _value(self, resp: dict):
        if resp["ok"]:
            return resp["value"]
        err, message = resp["error"], resp["error"]["message"]
        if err["type"] == "MemoryError":
            message = f"memory limit of {_size(self.limits.memory_bytes)} exceeded ({message})"
        elif err["type"] == "OSError" and "[Errno 27]" in message:  # EFBIG: RLIMIT_FSIZE
            message = f"output limit of {_size(self.limits.output_bytes)} exceeded ({message})"
        raise StudentError(message, err["traceback"], err["type"])

    # ---- ending -----------------------------------------------------------------------------

    def _fail(self, reason: str):
        self._kill_tree()
        self._dead = reason
        raise WorkerFailed(reason)

    def _exit_info(self) -> tuple[int | None, int | None] | None:
        """(exit code, signal) of the ended worker, without reaping it; None while it runs."""
        if self._status is not None:
            return self._status
        try:
            info = os.waitid(os.P_PID, self._proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:
            return (0, None)
        if info is None:
            return None
        return (info.si_status, None) if info.si_code == os.CLD_EXITED else (None, info.si_status)

    def _exit_reason(self, wait: float = 0.0) -> str | None:
        """How the worker ended, in plain words (waiting up to ``wait`` s); None if alive."""
        end = time.monotonic() + wait
        while (info := self._exit_info()) is None:
            if time.monotonic() >= end:
                return None
            time.sleep(0.01)
        code, sig = info
        if sig == signal.SIGXFSZ:
            return f"output limit of {_size(self.limits.output_bytes)} exceeded"
        if sig == signal.SIGXCPU:
            return f"CPU time limit of {self.limits.cpu_seconds} s exceeded"
        if sig is not None:
            return f"killed by signal {sig} ({signal.Signals(sig).name})"
        if code == EXIT_CHANNEL:
            return "protocol error: the worker closed its response channel"
        if code == EXIT_MEMORY:
            return f"memory limit of {_size(self.limits.memory_bytes)} exceeded (MemoryError)"
        return f"the worker exited with status {code} (did the code call os._exit?)"

    def _kill_tree(self) -> None:
        """SIGKILL the worker, its group, session, token carriers and orphans; reap them."""
        if self._proc is None or self._status is not None:
            return
        others = {w._proc.pid for w in list(_LIVE) if w is not self and w._proc is not None}
        kill_process_tree(self._proc.pid, f"{TOKEN_VAR}={self._token}".encode(), others,
                          self.limits.uid if self._drop else None)
        self._status = self._exit_info() or (None, signal.SIGKILL)
        try:
            self._peak_rss = os.wait4(self._proc.pid, 0)[2].ru_maxrss * 1024
        except ChildProcessError:
            pass
        self._proc.returncode = -signal.SIGKILL
