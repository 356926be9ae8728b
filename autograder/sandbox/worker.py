"""The worker process: the only place where student code runs (``python -m autograder.sandbox.worker``).

Started by :class:`autograder.sandbox.Worker`. Requests arrive one JSON line each on fd 3,
responses leave on fd 4 (see :mod:`autograder.sandbox.protocol`); fd 0 is /dev/null and fds 1/2 go
to an output file, so student prints never mix with the protocol. Requests::

    {"id", "op": "exec", "label", "source"}          run source in the student namespace
    {"id", "op": "call", "target", "method", "args", "kwargs"[, "echo_args": true]}
    {"id", "op": "getattr", "target", "name"}        target: Handle, or None = namespace
    {"id", "op": "setattr", "target", "name", "value"}
    {"id", "op": "seed", "seed"} / {"id", "op": "ping"}

Responses: ``{"id", "ok": True, "value"}`` or ``{"id", "ok": False, "error": {"type",
"message", "traceback"}}``. Every exception of student code (SystemExit, KeyboardInterrupt,
MemoryError, RecursionError included) becomes an error response and the worker keeps
serving. The worker is untrusted as soon as student code has run: the grader relies only
on :func:`autograder.sandbox.protocol.decode`, never on this module behaving.

Before it announces itself ready (and so before any student code), the worker confines
itself: when started as root with ``--uid/--gid`` it takes ownership of its working directory
and drops to that user (interpreter directories the user cannot reach, e.g. a Python under
/root, stay importable through directory descriptors opened before the drop); with
``--userns`` it then enters a user namespace of its own (so that RLIMIT_NPROC counts only
its processes); ``--nproc N`` sets RLIMIT_NPROC; ``--landlock RULES`` applies Landlock
(:mod:`autograder.sandbox.landlock`), and the worker refuses to run when that fails. The
ready message reports what was applied.
"""
import argparse
import builtins
import ctypes
import fcntl
import io
import json
import linecache
import os
import random
import resource
import sys
import time
import traceback
import types

_T0 = time.perf_counter()
import numpy as np  # noqa: E402

from autograder.sandbox import landlock  # noqa: E402
from autograder.sandbox.protocol import (  # noqa: E402
    EXIT_CHANNEL, EXIT_MEMORY, MAX_MESSAGE_BYTES, Handle, HandleTable, ProtocolError, decode,
    encode, to_wire)

REQUEST_FD, RESPONSE_FD = 3, 4
MAX_TEXT = 2000  # characters of an error message kept


class CappedOutput(io.RawIOBase):
    """fd 1 writer that keeps the first ``cap`` bytes, then drops the rest (once marked)."""

    def __init__(self, fd: int, cap: int):
        super().__init__()
        self.fd, self.cap, self.written = fd, cap, 0

    def writable(self):
        return True

    def write(self, b):
        n = len(b)
        room = self.cap - self.written
        if room > 0:
            chunk = bytes(b[:room])
            if n > room:
                chunk += b"\n[output truncated]\n"
            try:
                os.write(self.fd, chunk)
            except OSError:
                pass
        self.written += n
        return n


def _claim_fds(r: int, w: int) -> None:
    """Move the pipe ends passed by the grader to fds 3 and 4, not inherited by exec."""
    if (r, w) == (REQUEST_FD, RESPONSE_FD):
        os.set_inheritable(r, False)
        os.set_inheritable(w, False)
        return
    r2, w2 = fcntl.fcntl(r, fcntl.F_DUPFD_CLOEXEC, 10), fcntl.fcntl(w, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(r)
    os.close(w)
    os.dup2(r2, REQUEST_FD, inheritable=False)
    os.dup2(w2, RESPONSE_FD, inheritable=False)
    os.close(r2)
    os.close(w2)


EXIT_CONFINE = 71  # the worker could not confine itself: it refuses to serve


def _unshare_user_namespace() -> None:
    """Enter a new user namespace that maps only our own uid and gid."""
    uid, gid = os.getuid(), os.getgid()
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(4, 1, 0, 0, 0)  # PR_SET_DUMPABLE (reset by the uid change): /proc/self is ours again
    if libc.unshare(0x10000000) != 0:  # CLONE_NEWUSER
        err = ctypes.get_errno()
        raise OSError(err, f"unshare(CLONE_NEWUSER): {os.strerror(err)}")
    for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"),
                       ("gid_map", f"{gid} {gid} 1")):
        with open(f"/proc/self/{name}", "w") as f:
            f.write(text)


def _drop_privileges(uid: int, gid: int) -> None:
    """Become uid/gid for good; keep the interpreter's import directories reachable."""
    try:
        os.chown(".", uid, gid)
    except OSError:  # a tmpfs scratch folder open to all (inside the namespaces)
        pass
    dirs = {p: os.open(p, os.O_RDONLY | os.O_DIRECTORY) for p in sys.path if os.path.isdir(p)}
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)
    try:
        os.setuid(0)
    except PermissionError:
        pass
    else:
        os._exit(70)  # the drop did not hold: refuse to run student code
    remap = {}
    for p, fd in dirs.items():
        if os.access(p, os.R_OK | os.X_OK):
            os.close(fd)
        else:
            remap[p] = f"/proc/self/fd/{fd}"

    def fix(entry):
        for old, new in remap.items():
            if entry == old or entry.startswith(old + "/"):
                return new + entry[len(old):]
        return entry

    sys.path[:] = [fix(p) for p in sys.path]
    for module in list(sys.modules.values()):
        path = getattr(module, "__path__", None)
        if isinstance(path, list):
            path[:] = [fix(p) for p in path]
    sys.path_importer_cache.clear()


def _text(obj) -> str:
    try:
        s = str(obj)
    except BaseException:  # noqa: BLE001 - a student __str__ may raise anything
        s = "<unprintable>"
    return s if len(s) <= MAX_TEXT else s[:MAX_TEXT] + "..."


class Session:
    """The student namespace, its handles and the request handlers."""

    def __init__(self):
        module = types.ModuleType("submission")
        module.__dict__["__builtins__"] = builtins
        sys.modules["submission"] = module
        self.ns = module.__dict__
        self.handles = HandleTable()
        self.labels = set()

    def error(self, exc: BaseException) -> dict:
        """Error result: ``Type: message`` and a traceback of the student's frames only."""
        try:
            name = type(exc).__name__
            msg = _text(exc)
            frames = [f for f in traceback.extract_tb(exc.__traceback__)
                      if f.filename in self.labels][-10:]
            tb = "".join(traceback.format_list(frames))
            if isinstance(exc, SyntaxError):
                tb += "".join(traceback.format_exception_only(type(exc), exc))
        except BaseException:  # noqa: BLE001
            name, msg, tb = "Exception", "<unprintable error>", ""
        message = f"{name}: {msg}" if msg else name
        return {"type": _text(name), "message": message, "traceback": tb[-4 * MAX_TEXT:]}

    def resolve(self, value):
        """Replace handles (anywhere in args) by the worker objects they stand for."""
        if isinstance(value, Handle):
            return self.handles.get(value)
        if type(value) is list:
            return [self.resolve(v) for v in value]
        if type(value) is tuple:
            return tuple(self.resolve(v) for v in value)
        if type(value) is dict:
            return {k: self.resolve(v) for k, v in value.items()}
        return value

    def target(self, target):
        if target is None:
            return None
        if isinstance(target, Handle):
            return self.handles.get(target)
        if target not in self.ns:
            raise NameError(f"name {target!r} is not defined")
        return self.ns[target]

    def op_exec(self, req):
        label, source = str(req["label"]), str(req["source"])
        self.labels.add(label)
        linecache.cache[label] = (len(source), None, source.splitlines(True), label)
        exec(compile(source, label, "exec"), self.ns)

    def op_call(self, req):
        fn = self.target(req["target"])
        if req.get("method") is not None:
            fn = getattr(fn, req["method"])
        args = self.resolve(req.get("args", []))
        kwargs = self.resolve(req.get("kwargs", {}))
        result = to_wire(fn(*args, **kwargs), self.handles)
        if req.get("echo_args"):  # the arguments as they are after the call (judged by the grader)
            return {"$result": result, "$args": [to_wire(a, self.handles) for a in args],
                    "$kwargs": {k: to_wire(v, self.handles) for k, v in kwargs.items()}}
        return result

    def op_getattr(self, req):
        obj = self.target(req["target"])
        if obj is None:
            if req["name"] not in self.ns:
                raise NameError(f"name {req['name']!r} is not defined")
            return to_wire(self.ns[req["name"]], self.handles)
        return to_wire(getattr(obj, req["name"]), self.handles)

    def op_setattr(self, req):
        obj, value = self.target(req["target"]), self.resolve(req["value"])
        if obj is None:
            self.ns[req["name"]] = value
        else:
            setattr(obj, req["name"], value)

    def op_seed(self, req):
        np.random.seed(req["seed"])
        random.seed(req["seed"])

    def op_ping(self, req):
        return "pong"

    def handle(self, req) -> dict:
        """Run one request; always returns a response dict."""
        rid = req.get("id") if isinstance(req, dict) else None
        try:
            handler = getattr(self, "op_" + str(req["op"]), None)
            if handler is None:
                raise ProtocolError(f"unknown op {req['op']!r}")
            return {"id": rid, "ok": True, "value": handler(req)}
        except BaseException as exc:  # noqa: BLE001 - SystemExit, KeyboardInterrupt, ...
            return {"id": rid, "ok": False, "error": self.error(exc)}


def send(response: dict) -> None:
    """Write one response on fd 4; a response that cannot be encoded becomes an error."""
    try:
        data = encode(response)
    except BaseException as exc:  # noqa: BLE001 - ProtocolError, MemoryError, ...
        error = {"type": type(exc).__name__,
                 "message": f"{type(exc).__name__}: {_text(exc)}", "traceback": ""}
        data = encode({"id": response.get("id"), "ok": False, "error": error})
    view = memoryview(data)
    while view:
        view = view[os.write(RESPONSE_FD, view):]


def setup_output(cap: int) -> tuple:
    """Student prints go to fd 1 (an output file), capped; returns the streams to flush."""
    out = CappedOutput(1, cap)
    for name in ("stdout", "stderr", "__stdout__", "__stderr__"):
        setattr(sys, name, io.TextIOWrapper(io.BufferedWriter(out), encoding="utf-8",
                                            errors="backslashreplace", line_buffering=False))
    return (sys.stdout, sys.stderr)


def confine(landlock_rules: str | None, uid=None, gid=None, userns=False, nproc=None):
    """Apply every layer the grader asked for, in order; returns what Landlock applied.

    Raises when a layer cannot be applied: the caller refuses to run student code then.
    """
    applied = ruleset = None
    if landlock_rules:  # paths are opened now: some may be out of reach after the drop
        rules = json.loads(landlock_rules)
        ruleset = landlock.Ruleset(rules["read"], rules["write"], rules.get("write_files", ()))
    if uid is not None and os.geteuid() == 0:
        _drop_privileges(uid, gid if gid is not None else uid)
    if userns:
        _unshare_user_namespace()
    if nproc is not None:
        resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
    if ruleset is not None:
        applied = ruleset.enforce()
    # orphans of student processes (double fork + setsid) stay under the worker, so that
    # the grader finds them as its descendants even without a PID namespace
    ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    return applied


def refuse(exc: BaseException) -> None:
    """Never run student code half confined."""
    os.write(2, f"the worker could not confine itself: {type(exc).__name__}: {exc}\n".encode())
    os._exit(EXIT_CONFINE)


def serve(streams, ready: dict) -> None:
    """Announce readiness (``ready`` goes to the grader), then serve requests until EOF; never returns."""
    session = Session()
    send({"id": 0, "ok": True, "value": {"pid": os.getpid(), "uid": os.getuid(), **ready}})
    reader = open(REQUEST_FD, "rb", buffering=1 << 16, closefd=False)
    while True:
        try:
            line = reader.readline(MAX_MESSAGE_BYTES + 1)
            if not line:
                break  # the grader closed the channel
            try:
                req = decode(line)
            except ProtocolError as exc:
                response = {"id": None, "ok": False, "error": session.error(exc)}
            else:
                response = session.handle(req)
            for stream in streams:
                try:
                    stream.flush()
                except BaseException:  # noqa: BLE001
                    pass
            send(response)
        except MemoryError:
            os._exit(EXIT_MEMORY)
        except OSError:
            os._exit(EXIT_CHANNEL)  # the response channel is gone
        except BaseException:  # noqa: BLE001 - e.g. a student signal handler firing here
            continue
    os._exit(0)


def main(argv=None) -> None:
    """Set up (fds, output, privileges), announce readiness, then serve until EOF."""
    parser = argparse.ArgumentParser(prog="python -m autograder.sandbox.worker")
    parser.add_argument("--fds", default=f"{REQUEST_FD},{RESPONSE_FD}")
    parser.add_argument("--uid", type=int)
    parser.add_argument("--gid", type=int)
    parser.add_argument("--output-cap", type=int, default=1 << 20)
    parser.add_argument("--userns", action="store_true")
    parser.add_argument("--nproc", type=int)
    parser.add_argument("--landlock")
    args = parser.parse_args(argv)
    _claim_fds(*(int(x) for x in args.fds.split(",")))
    streams = setup_output(args.output_cap)
    try:
        applied = confine(args.landlock, args.uid, args.gid, args.userns, args.nproc)
    except Exception as exc:  # noqa: BLE001
        refuse(exc)
    serve(streams, {"landlock": applied, "nproc_in_userns": args.nproc is not None,
                    "startup_ms": (time.perf_counter() - _T0) * 1e3})


if __name__ == "__main__":
    main()
