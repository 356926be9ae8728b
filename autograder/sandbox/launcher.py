"""Grader side of the process boundary: start, talk to and stop the student's worker process.

The worker (:mod:`autograder.sandbox.worker`) is contained by the kernel (see
:mod:`autograder.sandbox.containment`): under bubblewrap in its own user, PID, mount, IPC,
UTS and network namespaces, seeing only the interpreter, the virtualenv, ``cs231n_lib`` and
``autograder/sandbox`` (read-only) and size-limited tmpfs scratch folders; plus Landlock,
resource limits, a scrubbed environment, its own session and, when the grader is root, an
unprivileged uid. ``Worker.containment`` says which layers were active. Time limits are
enforced from here: each request waits on the response pipe with a deadline, and the worker
is SIGKILLed when it passes. Stopping a contained worker kills bwrap and the init of its PID
namespace, which takes every process of the namespace with it; an uncontained one has its
process group, session, token carriers and orphans killed and reaped. Example::

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
import json
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

from autograder.sandbox import containment
from autograder.sandbox.containment import ContainmentUnavailable
from autograder.sandbox.processes import (kill_process_tree, processes, read_bytes, remove_tree,
                                          uid_of)
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
    max_processes: int = 32             # RLIMIT_NPROC: per worker in its user namespace; without
    #                                     namespaces it counts every process of the user
    output_bytes: int = 1 << 20         # prints kept; RLIMIT_FSIZE is this plus 64 KiB
    cpu_seconds: int = 90               # RLIMIT_CPU, a safety net
    uid: int | None = 65534             # user the worker runs as when the grader is root
    gid: int = 65534
    scratch_bytes: int = 64 << 20       # size of each tmpfs: the working folder, /tmp, /dev/shm
    sandbox: str = "auto"               # "auto" (namespaces if possible, else Landlock),
    #                                     "namespaces", "landlock", or "none"
    allow_uncontained: bool = False     # accept running student code without containment


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

    MODULE = "autograder.sandbox.worker"  # what runs in the sandbox (a template runs another module)

    def __init__(self, limits: Limits | None = None, repo_root: str | Path = REPO_ROOT):
        self.limits = limits or Limits()
        self.repo_root = str(repo_root)
        self.startup_seconds: float | None = None   # wall time of the last start()
        self.worker_startup_ms: float | None = None  # the worker's own import and set-up
        self._proc, self._used, self._tail, self._peak_rss, self._dead = None, 0.0, b"", None, None
        self._init_pidfd = self._worker_pid = None
        self.containment: dict | None = None  # the layers of the last start() (see _describe)

    def __enter__(self) -> "Worker":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def start(self) -> None:
        """Start a fresh worker process (empty namespace).

        Raises ContainmentUnavailable when this machine cannot contain it and the risk was
        not accepted, WorkerFailed when it cannot start.
        """
        global _subreaper
        if self._proc is not None:
            raise RuntimeError("worker already started")
        bwrap, use_landlock, missing = self._layers()  # probes bwrap before we become a subreaper
        if not _subreaper:  # orphans of uncontained workers (double fork, setsid) come back to us
            _subreaper = True
            try:
                ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
            except (OSError, AttributeError):
                pass
        lim = self.limits
        root = os.geteuid() == 0
        self._drop = root and lim.uid is not None
        self._bwrap = bwrap is not None
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
        child_fds = [req_r, resp_w]
        self._token = secrets.token_hex(16)
        home = containment.SCRATCH if self._bwrap else self._dir
        pythonpath = self.repo_root
        if use_landlock and not self._bwrap:
            pythonpath = self._import_links()
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": home, "LC_ALL": "C.UTF-8",
               "PYTHONPATH": pythonpath, "PYTHONDONTWRITEBYTECODE": "1",
               "PYTHONNOUSERSITE": "1", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
               "MKL_NUM_THREADS": "1", "MPLBACKEND": "Agg", TOKEN_VAR: self._token}
        cmd = [sys.executable, *(["-P"] if sys.version_info >= (3, 11) else []), "-m",
               self.MODULE, "--fds", f"{req_r},{resp_w}", "--output-cap",
               str(lim.output_bytes)]
        extra_fds, extra_args = self._extra_channels()
        child_fds += extra_fds
        cmd += extra_args
        if self._drop:
            cmd += ["--uid", str(lim.uid), "--gid", str(lim.gid)]
        nproc = lim.max_processes
        info_r = None
        if self._bwrap:
            # RLIMIT_NPROC is counted per user namespace: the worker sets it on itself inside
            # its own namespace (bwrap's as a normal user, one of its own when the grader is root),
            # so that concurrent workers do not share it; bwrap itself gets the hard limit.
            cmd += ["--nproc", str(nproc + (0 if self._drop or root else 1))]
            if self._drop:
                cmd += ["--userns"]
            nproc = resource.getrlimit(resource.RLIMIT_NPROC)[1]
            info_r, info_w = os.pipe2(os.O_CLOEXEC)
            os.set_blocking(info_r, False)
            child_fds.append(info_w)
            cmd = containment.bwrap_command(bwrap, self.repo_root, root, lim.scratch_bytes,
                                            info_w) + cmd
        elif not self._drop:  # RLIMIT_NPROC counts every process of the user
            nproc += sum(uid_of(p) == os.getuid() for p in processes())
        if use_landlock:
            rules = ({"read": ["/"], "write": [containment.SCRATCH, "/tmp", "/dev/shm"]}
                     if self._bwrap else
                     {"read": containment.read_paths(self.repo_root, False), "write": [self._dir]})
            cmd += ["--landlock", json.dumps({**rules, "write_files": list(containment.DEV_FILES)})]
        t0 = time.monotonic()
        try:
            self._proc = subprocess.Popen(
                cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=out, cwd=self._dir, env=env,
                pass_fds=tuple(child_fds), start_new_session=True,
                preexec_fn=functools.partial(_set_limits, lim, nproc))
        finally:
            for fd in (out, *child_fds):
                os.close(fd)
        try:
            self._pidfd = os.pidfd_open(self._proc.pid)
        except (AttributeError, OSError):
            self._pidfd = None
        _LIVE.add(self)
        self._buf, self._next_id, self._issued, self._status, self._dead = (
            bytearray(), 0, set(), None, None)
        self._init_pid = self._init_pidfd = self._worker_pid = None
        try:
            if info_r is not None:
                self._read_bwrap_info(info_r, t0 + START_SECONDS)
            ready = self._receive(0, t0 + START_SECONDS, "the worker did not start in time")
        except WorkerFailed as exc:
            tail = self.output_tail(2000).strip()
            self.close()
            raise WorkerFailed(f"the worker could not start: {exc.reason}"
                               + (f"\n{tail}" if tail else "")) from None
        finally:
            if info_r is not None:
                os.close(info_r)
        self.startup_seconds = time.monotonic() - t0
        if self._init_pid is not None:  # the worker is the only child of the namespace's init
            kids = read_bytes(f"/proc/{self._init_pid}/task/{self._init_pid}/children").split()
            self._worker_pid = int(kids[0]) if kids else None
        value = ready["value"]
        self.worker_startup_ms = value["startup_ms"]
        self.containment = self._describe(value, bwrap, missing)

    def _extra_channels(self) -> tuple[list[int], list[str]]:
        """Further fds to hand to the sandboxed process, and its further arguments (none here)."""
        return [], []

    def _import_links(self) -> str:
        """Under Landlock alone the repository cannot be listed, so Python could not find
        cs231n_lib in it: a folder of links to the allowed parts goes on PYTHONPATH instead."""
        links = os.path.join(self._dir, ".imports")
        os.makedirs(os.path.join(links, "autograder"))
        root = Path(self.repo_root)
        for target, name in ((root / "cs231n_lib", "cs231n_lib"),
                             (root / "autograder" / "__init__.py", "autograder/__init__.py"),
                             (root / "autograder" / "sandbox", "autograder/sandbox")):
            os.symlink(target, os.path.join(links, name))
        return links

    def _layers(self) -> tuple[str | None, bool, str | None]:
        """(bwrap path or None, apply Landlock?, what is missing); raises ContainmentUnavailable."""
        lim = self.limits
        if lim.sandbox not in ("auto", "namespaces", "landlock", "none"):
            raise ValueError(f"unknown sandbox mode {lim.sandbox!r}")
        plan = containment.plan()
        bwrap = plan["namespaces"] if lim.sandbox in ("auto", "namespaces") else None
        use_landlock = plan["landlock_abi"] > 0 and lim.sandbox != "none"
        missing = []
        if lim.sandbox in ("auto", "namespaces") and not bwrap:
            missing.append(f"namespaces: {plan['namespaces_missing']}")
        if lim.sandbox != "none" and not use_landlock:
            missing.append("Landlock: the kernel has none (or it is not enabled)")
        allowed = lim.allow_uncontained or containment.allow_uncontained_from_env()
        if lim.sandbox == "namespaces" and not bwrap and not allowed:
            raise ContainmentUnavailable(
                f"cannot contain the worker with namespaces ({plan['namespaces_missing']}). "
                + containment.HOW_TO_FIX)
        if not bwrap and not use_landlock and not allowed:
            what = "; ".join(missing) if missing else "containment was turned off (sandbox='none')"
            raise ContainmentUnavailable(
                f"refusing to run student code uncontained: {what}. " + containment.HOW_TO_FIX)
        return bwrap, use_landlock, "; ".join(missing) or None

    def _read_bwrap_info(self, fd: int, deadline: float) -> None:
        """Learn the host pid of the PID namespace's init (bwrap writes it before the worker
        starts) and keep a pidfd on it; without it, stopping falls back to the process scan."""
        data = b""
        while b"}" not in data:
            if not self._wait(fd, select.POLLIN, deadline, "the worker did not start in time"):
                return
            try:
                chunk = os.read(fd, 4096)
            except BlockingIOError:
                continue
            if not chunk:
                return
            data += chunk
        try:
            pid = int(json.loads(data[:data.index(b"}") + 1].decode())["child-pid"])
            self._init_pidfd = os.pidfd_open(pid)
        except (ValueError, KeyError, TypeError, AttributeError, OSError):
            return
        self._init_pid = pid

    def _describe(self, ready: dict, bwrap: str | None, missing: str | None) -> dict:
        """What contains this worker (copied into grading reports)."""
        lim, plan = self.limits, containment.plan()
        root = os.geteuid() == 0
        layers, ll = [], ready.get("landlock")
        if bwrap:
            layers.append("namespaces")
        if ll:
            layers.append("landlock")
        accepted = not layers
        desc = {
            "layers": layers,
            "namespaces": (f"bubblewrap {plan['bwrap_version']}: "
                           + ("pid, mount, ipc, uts, net, cgroup; user namespace of the worker's own"
                              if root else "user, pid, mount, ipc, uts, net, cgroup")
                           if bwrap else None),
            "landlock": (f"ABI {ll['abi']}: filesystem" + (", tcp" if ll["tcp"] else "")
                         + (", signals and abstract sockets" if ll[
                             "scoped_signals_and_abstract_sockets"] else "") if ll else None),
            "uid": ready.get("uid"),
            "uid_drop": self._drop,
            "rlimits": {"memory_bytes": lim.memory_bytes, "max_processes": lim.max_processes,
                        "output_bytes": lim.output_bytes, "cpu_seconds": lim.cpu_seconds,
                        "nproc_per_user_namespace": bool(ready.get("nproc_in_userns"))},
            "uncontained_accepted": accepted,
            "missing": missing,
        }
        desc["summary"] = (" + ".join(layers) if layers else
                           "NONE (the instructor accepted running student code uncontained)")
        return desc

    def close(self) -> None:
        """Stop the worker and every process it started; remove its directory. Idempotent."""
        if self._proc is None:
            return
        self._kill_tree()
        self._tail = self.output_tail(64 * 1024).encode()
        for fd in (self._req, self._resp, self._pidfd, self._out, self._init_pidfd):
            if fd is not None:
                os.close(fd)
        self._init_pidfd = None
        remove_tree(self._dir)
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
        """The pid of our child (also its process group and session id): the worker itself, or
        bwrap when contained by namespaces; None when closed."""
        return self._proc.pid if self._proc is not None else None

    @property
    def peak_rss_bytes(self) -> int | None:
        """Peak resident memory of the running (or last) worker process."""
        if self.alive:
            pid = self._worker_pid or self._proc.pid
            for line in read_bytes(f"/proc/{pid}/status").splitlines():
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
        if info.si_code != os.CLD_EXITED:
            return (None, info.si_status)
        if self._bwrap and 128 < info.si_status < 128 + 65:  # bwrap: 128 + the worker's signal
            return (None, info.si_status - 128)
        return (info.si_status, None)

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
        """SIGKILL the worker and everything it started; reap what is ours."""
        if self._proc is None or self._status is not None:
            return
        if self._init_pidfd is not None:
            # init of the PID namespace: when it dies the kernel kills every process in it
            for pid, pidfd in ((self._proc.pid, self._pidfd), (self._init_pid, self._init_pidfd)):
                try:
                    if pidfd is not None:
                        signal.pidfd_send_signal(pidfd, signal.SIGKILL)
                    else:
                        os.kill(pid, signal.SIGKILL)
                except (OSError, AttributeError):
                    pass
            poller = select.poll()
            poller.register(self._init_pidfd, select.POLLIN)
            if not poller.poll(10_000):  # exits once the namespace is empty
                raise RuntimeError("the sandbox's PID namespace did not end within 10 s")
        else:
            others = {w._proc.pid for w in list(_LIVE) if w is not self and w._proc is not None}
            kill_process_tree(self._proc.pid, f"{TOKEN_VAR}={self._token}".encode(), others,
                              self.limits.uid if self._drop else None)
        self._status = self._exit_info() or (None, signal.SIGKILL)
        try:
            self._peak_rss = os.wait4(self._proc.pid, 0)[2].ru_maxrss * 1024
        except ChildProcessError:
            pass
        if self._init_pidfd is not None:  # re-parented to us (a subreaper) when bwrap died first
            try:
                os.waitid(os.P_PIDFD, self._init_pidfd, os.WEXITED | os.WNOHANG)
            except (ChildProcessError, AttributeError, OSError):
                pass
        self._proc.returncode = -signal.SIGKILL
