"""Grader side of the process boundary: start, talk to and stop the student's worker process.

The worker (:mod:`autograder.worker`) runs in a fresh temporary directory, a scrubbed
environment, its own session, under resource limits and, when the grader runs as root,
as user ``nobody``. Time limits are enforced from here: each request waits on the response
pipe with a deadline and the worker is SIGKILLed when it passes. Stopping a worker kills
its process group, its session, every process carrying its environment token, and orphans
re-parented to the grader (a child subreaper), then reaps them all.

Typical use::

    with Worker(Limits(call_seconds=5)) as w:
        w.exec("svm_loss_naive", source)          # -> ExecResult
        loss, grad = w.call("svm_loss_naive", W, X, y, 0.1)
        clf = w.call("LinearSVM")                 # -> Handle
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

from autograder.protocol import (EXIT_CHANNEL, EXIT_MEMORY, MAX_MESSAGE_BYTES, Handle,
                                 ProtocolError, decode, encode)

REPO_ROOT = Path(__file__).resolve().parent.parent
TOKEN_VAR = "CS231N_WORKER"
START_SECONDS = 30.0
_LIVE: weakref.WeakSet = weakref.WeakSet()
_subreaper = False


@dataclass
class Limits:
    """Limits of one worker. Times in seconds, sizes in bytes."""

    call_seconds: float = 10.0          # per request (wall clock, enforced from outside)
    submission_seconds: float = 60.0    # all requests of this Worker together, restarts included
    memory_bytes: int = 2 << 30         # RLIMIT_AS
    max_processes: int = 32             # RLIMIT_NPROC (counts every process of the sandbox user)
    output_bytes: int = 1 << 20         # prints kept; RLIMIT_FSIZE is this plus 64 KiB
    cpu_seconds: int = 90               # RLIMIT_CPU, a safety net for lost workers
    uid: int = 65534                    # user the worker runs as when the grader is root
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
    """Outcome of running one cell: ``error`` is set when the student's code raised."""

    label: str
    ok: bool
    error: StudentError | None
    seconds: float


def _size(n: int) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:g} {unit}"
    return f"{n} bytes"


def _become_subreaper() -> None:
    """Orphans of our workers (double fork, setsid) get re-parented to this process."""
    global _subreaper
    if not _subreaper:
        _subreaper = True
        try:
            ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
        except (OSError, AttributeError):
            pass


def _processes() -> dict[int, tuple[int, int, int, bool]]:
    """pid -> (ppid, pgid, sid, is_zombie) for every process."""
    table = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat", "rb") as f:
                    data = f.read()
                fields = data[data.rindex(b")") + 2:].split()
                table[int(name)] = (int(fields[1]), int(fields[2]), int(fields[3]),
                                    fields[0] == b"Z")
            except (OSError, ValueError, IndexError):
                pass
    return table


def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return b""


def _uid(pid: int) -> int | None:
    for line in _read(f"/proc/{pid}/status").splitlines():
        if line.startswith(b"Uid:"):
            return int(line.split()[1])
    return None


def _set_limits(limits: Limits, nproc: int) -> None:  # runs in the child before exec
    for res, value in ((resource.RLIMIT_AS, limits.memory_bytes),
                       (resource.RLIMIT_FSIZE, limits.output_bytes + 65536),
                       (resource.RLIMIT_CORE, 0), (resource.RLIMIT_NPROC, nproc)):
        resource.setrlimit(res, (value, value))
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 5))


class Worker:
    """One student's worker process; a context manager (start on enter, close on exit)."""

    def __init__(self, limits: Limits | None = None, repo_root: str | Path = REPO_ROOT):
        self.limits = limits or Limits()
        self.repo_root = str(repo_root)
        self.startup_seconds: float | None = None   # wall time of the last start()
        self.worker_startup_ms: float | None = None  # worker's own import + set-up time
        self._proc = None
        self._used = 0.0
        self._tail = b""
        self._peak_rss: int | None = None
        self._dead: str | None = None

    def __enter__(self) -> "Worker":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def dropping(self) -> bool:
        """True when the worker runs as ``limits.uid`` (the grader is root)."""
        return os.geteuid() == 0 and self.limits.uid is not None

    def start(self) -> None:
        """Start a fresh worker process; WorkerFailed if it does not come up."""
        if self._proc is not None:
            raise RuntimeError("worker already started")
        _become_subreaper()
        lim = self.limits
        self._dir = tempfile.mkdtemp(prefix="cs231n-worker-")
        out_path = os.path.join(self._dir, "output.txt")
        out = os.open(out_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o600)
        self._out = os.open(out_path, os.O_RDONLY | os.O_CLOEXEC)
        req_r, self._req = os.pipe2(os.O_CLOEXEC)
        self._resp, resp_w = os.pipe2(os.O_CLOEXEC)
        for fd in (self._req, self._resp):
            try:
                fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, 1 << 20)
            except (OSError, AttributeError):
                pass
            os.set_blocking(fd, False)
        self._token = secrets.token_hex(16)
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": self._dir,
               "PYTHONPATH": self.repo_root, "PYTHONDONTWRITEBYTECODE": "1",
               "PYTHONNOUSERSITE": "1", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
               "MKL_NUM_THREADS": "1", "MPLBACKEND": "Agg", "LC_ALL": "C.UTF-8",
               TOKEN_VAR: self._token}
        cmd = [sys.executable, *(["-P"] if sys.version_info >= (3, 11) else []),
               "-m", "autograder.worker", "--fds", f"{req_r},{resp_w}",
               "--output-cap", str(lim.output_bytes)]
        nproc = lim.max_processes
        if self.dropping:
            cmd += ["--uid", str(lim.uid), "--gid", str(lim.gid)]
        else:  # RLIMIT_NPROC counts all processes of the user
            nproc += sum(_uid(p) == os.getuid() for p in _processes())
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
        self._buf, self._next_id, self._issued = bytearray(), 0, set()
        self._status = None
        self._dead = None
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
        """Stop the worker and every process it started; remove its directory."""
        if self._proc is None:
            return
        self._kill_tree()
        self._tail = self.output_tail(64 * 1024).encode()
        for fd in (self._req, self._resp, self._pidfd, self._out):
            if fd is not None:
                os.close(fd)
        self._out = None
        shutil.rmtree(self._dir, ignore_errors=True)
        _LIVE.discard(self)
        self._proc = None

    def restart(self) -> None:
        """A fresh worker (empty namespace); the time budget already used is kept."""
        self.close()
        self.start()

    @property
    def alive(self) -> bool:
        """True while the worker process runs."""
        return self._proc is not None and self._exit_info() is None

    @property
    def pid(self) -> int | None:
        """The worker's pid (also its process group and session id), None when stopped."""
        return self._proc.pid if self._proc is not None else None

    @property
    def peak_rss_bytes(self) -> int | None:
        """Peak resident memory of the current (or last) worker process."""
        if self.alive:
            for line in _read(f"/proc/{self._proc.pid}/status").splitlines():
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1]) * 1024
        return self._peak_rss

    @property
    def seconds_left(self) -> float:
        """What remains of the submission's time budget."""
        return max(0.0, self.limits.submission_seconds - self._used)

    def output_tail(self, n_bytes: int = 4096) -> str:
        """The last n_bytes the student's code printed (stdout and stderr together)."""
        if self._proc is None or self._out is None:
            data = self._tail[-n_bytes:] if n_bytes else b""
        else:
            size = os.fstat(self._out).st_size
            data = os.pread(self._out, min(n_bytes, size), max(0, size - n_bytes))
        return data.decode("utf-8", "replace")

    # ---- requests -------------------------------------------------------------------------

    def exec(self, label: str, source: str, *, seconds: float | None = None) -> ExecResult:
        """Run a cell's source in the student namespace (``label`` names it in tracebacks).

        A student exception is returned in ``ExecResult.error``; WorkerFailed is raised when
        the worker dies or passes its time limit (``seconds`` overrides call_seconds).
        """
        t0 = time.monotonic()
        resp = self._request({"op": "exec", "label": label, "source": source}, seconds)
        error = None if resp["ok"] else self._student_error(resp["error"])
        return ExecResult(label, resp["ok"], error, time.monotonic() - t0)

    def call(self, target: str | Handle, *args, method: str | None = None, **kwargs):
        """Call a namespace function (or ``target.method`` for a name or Handle) in the worker.

        Returns the result as plain data, or a Handle for a non-plain object. Raises
        StudentError when the student's code raises, WorkerFailed when the worker dies.
        """
        return self._value(self._request({"op": "call", "target": target, "method": method,
                                          "args": list(args), "kwargs": kwargs}))

    def getattr(self, target: Handle | None, name: str):
        """``target.name`` in the worker; with target None, the namespace variable ``name``."""
        return self._value(self._request({"op": "getattr", "target": target, "name": name}))

    def setattr(self, target: Handle | None, name: str, value) -> None:
        """Set ``target.name = value`` (or the namespace variable when target is None)."""
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
            raise ValueError(f"{value!r} was not issued by the running worker "
                             "(stale after a restart?)")
        if isinstance(value, (list, tuple)):
            for v in value:
                self._check_handles(v)
        elif isinstance(value, dict):
            for v in value.values():
                self._check_handles(v)

    def _request(self, msg: dict, seconds: float | None = None) -> dict:
        if self._proc is None or self._status is not None:
            raise WorkerFailed(self._dead or "the worker is not running")
        self._check_handles(list(msg.values()))
        left = self.limits.submission_seconds - self._used
        budget = (f"the submission's time budget of {self.limits.submission_seconds:g} s "
                  "is used up (the worker was stopped)")
        if left <= 0:
            self._fail(budget)
        per = self.limits.call_seconds if seconds is None else seconds
        reason = (f"time limit of {per:g} s per call exceeded (the worker was stopped)"
                  if per <= left else budget)
        self._next_id += 1
        msg["id"] = self._next_id
        data = encode(msg)  # ProtocolError here: the grader tried to send something not plain
        t0 = time.monotonic()
        deadline = t0 + min(per, left)
        try:
            view = memoryview(data)
            while view:
                if self._wait(self._req, select.POLLOUT, deadline, reason):
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
        """Wait until fd is ready (True); fails on time-out, False if the worker exited."""
        poller = select.poll()
        poller.register(fd, event)
        if self._pidfd is not None:
            poller.register(self._pidfd, select.POLLIN)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self._fail(reason)
            step = remaining if self._pidfd is not None else min(remaining, 0.05)
            events = dict(poller.poll(max(1, int(step * 1000) + 1)))
            if fd in events:
                return True
            if self._pidfd in events or (self._pidfd is None and self._exit_info()):
                return False

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
            elif not ready or chunk == b"":
                if b"\n" not in self._buf:
                    self._fail(self._exit_reason(1.0)
                               or "protocol error: the worker closed its response channel")
        line = bytes(self._buf[:i + 1])
        del self._buf[:i + 1]
        try:
            resp = decode(line)
        except ProtocolError as exc:
            self._fail(f"protocol error: {exc}")
        err = resp.get("error") if isinstance(resp, dict) else None
        if not (isinstance(resp, dict) and resp.get("id") == expected_id
                and (resp.get("ok") is True and "value" in resp or resp.get("ok") is False
                     and isinstance(err, dict)
                     and all(isinstance(err.get(k), str) for k in ("type", "message",
                                                                    "traceback")))):
            self._fail("protocol error: unexpected response from the worker")
        return resp

    def _value(self, resp: dict):
        if resp["ok"]:
            return resp["value"]
        raise self._student_error(resp["error"])

    def _student_error(self, err: dict) -> StudentError:
        message = err["message"]
        if err["type"] == "MemoryError":
            message = f"memory limit of {_size(self.limits.memory_bytes)} exceeded ({message})"
        elif err["type"] == "OSError" and "[Errno 27]" in message:  # EFBIG: RLIMIT_FSIZE
            message = f"output limit of {_size(self.limits.output_bytes)} exceeded ({message})"
        return StudentError(message, err["traceback"], err["type"])

    # ---- ending ---------------------------------------------------------------------------

    def _fail(self, reason: str):
        self._kill_tree()
        self._dead = reason
        raise WorkerFailed(reason)

    def _exit_info(self):
        """(code, signal) of the exited worker without reaping it, None while it runs."""
        if self._status is not None:
            return self._status
        try:
            info = os.waitid(os.P_PID, self._proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:
            return (0, None)
        if info is None:
            return None
        if info.si_code == os.CLD_EXITED:
            return (info.si_status, None)
        return (None, info.si_status)

    def _exit_reason(self, wait: float = 0.0) -> str | None:
        """Plain words for how the worker ended (waiting up to ``wait`` s), None if alive."""
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
        """SIGKILL the worker, its group, its session, token carriers and orphans; reap."""
        if self._proc is None or self._status is not None:
            return
        me, wpid = os.getpid(), self._proc.pid
        token = f"{TOKEN_VAR}={self._token}".encode()
        others = {w._proc.pid for w in list(_LIVE) if w is not self and w._proc is not None}
        ours: set[int] = set()
        for attempt in range(200):
            try:
                os.killpg(wpid, signal.SIGKILL)
            except OSError:
                pass
            table = _processes()
            for pid, (ppid, pgid, sid, _) in table.items():
                if pid == me or pid in ours or pgid in others or sid in others:
                    continue
                if (pid == wpid or pgid == wpid or sid == wpid
                        or token in _read(f"/proc/{pid}/environ").split(b"\0")
                        or (ppid == me and self.dropping and _uid(pid) == self.limits.uid)):
                    ours.add(pid)
            stack = list(ours)
            while stack:  # descendants of ours are ours
                parent = stack.pop()
                for pid, (ppid, *_rest) in table.items():
                    if ppid == parent and pid not in ours and pid != me:
                        ours.add(pid)
                        stack.append(pid)
            pending = False
            for pid in ours:
                if pid not in table:
                    continue
                ppid, _, _, zombie = table[pid]
                if not zombie:
                    pending = True
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except OSError:
                        pass
                elif ppid == me and pid != wpid:
                    try:
                        os.waitpid(pid, os.WNOHANG)
                    except ChildProcessError:
                        pass
                elif ppid != me:
                    pending = True  # a zombie whose parent is about to die: reap it later
            if not pending:
                break
            time.sleep(min(0.0005 * 2 ** attempt, 0.05))
        self._status = self._exit_info() or (None, signal.SIGKILL)
        try:
            _, _, usage = os.wait4(wpid, 0)
            self._peak_rss = usage.ru_maxrss * 1024
        except ChildProcessError:
            pass
        self._proc.returncode = -signal.SIGKILL
