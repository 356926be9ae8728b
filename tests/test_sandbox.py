"""The worker process boundary: student code runs in a separate, limited process.

Each hostile test checks three things: the grader gets a clear result (StudentError or
WorkerFailed with a plain message), the grader's own state is untouched, and after
close() no process of the worker is left (not even a zombie).
"""
from __future__ import annotations

import os
import signal
import textwrap
import time

import numpy as np
import numpy.testing
import pytest

from autograder.sandbox import launcher as sandbox, protocol
from autograder.sandbox.protocol import Handle
from autograder.sandbox import REPO_ROOT, TOKEN_VAR, Limits, StudentError, Worker, WorkerFailed
from autograder.sandbox.containment import SCRATCH

ROOT = os.geteuid() == 0
root_only = pytest.mark.skipif(not ROOT, reason="dropping to nobody needs root")
FAST = dict(call_seconds=2, submission_seconds=30, memory_bytes=1 << 30, max_processes=16,
            output_bytes=64 * 1024, cpu_seconds=30)
ALLOWED_ENV = {"PATH", "HOME", "PYTHONPATH", "PYTHONDONTWRITEBYTECODE", "PYTHONNOUSERSITE",
               "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "MPLBACKEND",
               "LC_ALL", TOKEN_VAR, "PWD"}  # PWD: set by bwrap to the scratch folder


@pytest.fixture(autouse=True)
def no_zombies_of_earlier_tests():
    """Reap zombies other test files left to this (subreaping) process, so that the zombie check
    of ``leftovers`` counts only what a test here leaves behind."""
    for name in os.listdir("/proc"):
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
            if int(fields[1]) == os.getpid() and fields[0] == b"Z":
                os.waitpid(int(name), os.WNOHANG)
        except (OSError, ValueError, IndexError, ChildProcessError):
            pass
    yield


def leftovers(token: str) -> list[str]:
    """Processes carrying the worker's token, and zombie children of this process."""
    found = []
    me = os.getpid()
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                stat = f.read()
            fields = stat[stat.rindex(b")") + 2:].split()
            if int(fields[1]) == me and fields[0] == b"Z":
                found.append(f"zombie {name}")
            with open(f"/proc/{name}/environ", "rb") as f:
                if f"{TOKEN_VAR}={token}".encode() in f.read().split(b"\0"):
                    found.append(f"process {name}")
        except (OSError, ValueError):
            pass
    return found


def host_pid(w: Worker, ns_pid: int) -> int:
    """The pid, as the grader sees it, of the process that is ``ns_pid`` in the worker's PID
    namespace."""
    for name in os.listdir("/proc"):
        try:
            with open(f"/proc/{name}/status", "rb") as f:
                fields = [line.split()[1:] for line in f.read().splitlines()
                          if line.startswith(b"NSpid:")]
        except (OSError, ValueError):
            continue
        if (fields and len(fields[0]) > 1 and int(fields[0][-1]) == ns_pid
                and is_descendant(int(name), w.pid)):
            return int(name)
    raise AssertionError(f"no process is pid {ns_pid} in the worker's namespace")


def is_descendant(pid: int, ancestor: int) -> bool:
    while pid > 1:
        if pid == ancestor:
            return True
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            return False
        pid = int(stat[stat.rindex(b")") + 2:].split()[1])
    return False


def assert_clean(w: Worker) -> None:
    token, workdir = w._token, w._dir
    w.close()
    assert leftovers(token) == []
    assert not os.path.exists(workdir)
    assert not w.alive


@pytest.fixture
def worker():
    w = Worker(Limits(**FAST))
    w.start()
    yield w
    assert_clean(w)


def run(w: Worker, source: str, label: str = "cell"):
    result = w.exec(label, textwrap.dedent(source))
    assert result.label == label and result.seconds >= 0
    return result


def test_exec_and_call_return_plain_values(worker):
    run(worker, """
        import numpy as np
        def double(x, scale=1):
            return x * 2 * scale, {1: [0.5, 0.6]}
        def draw():
            return np.random.rand(3)
    """)
    arr = np.arange(6, dtype=np.float32).reshape(2, 3)
    out, folds = worker.call("double", arr, scale=3)
    assert type(out) is np.ndarray and out.dtype == np.float32 and out.shape == (2, 3)
    assert np.array_equal(out, arr * 6)
    assert folds == {1: [0.5, 0.6]}
    worker.seed(7)
    first = worker.call("draw")
    worker.seed(7)
    assert np.array_equal(worker.call("draw"), first)
    assert worker.getattr(None, "__name__") == "submission"
    worker.setattr(None, "k", 5)
    assert worker.getattr(None, "k") == 5


def test_student_exception_becomes_student_error(worker):
    run(worker, """
        import numpy as np
        def helper(x):
            raise ValueError(f"bad input {x}")
        def graded(x):
            return helper(x)
        def broadcast():
            return np.ones(3) + np.ones(4)
    """, label="svm_loss_naive")
    with pytest.raises(StudentError) as exc:
        worker.call("graded", 3)
    assert exc.value.message == "ValueError: bad input 3"
    assert exc.value.type_name == "ValueError"
    tb = exc.value.traceback
    assert 'File "svm_loss_naive", line 6, in graded' in tb and "return helper(x)" in tb
    assert "worker.py" not in tb and "autograder" not in tb
    with pytest.raises(StudentError, match="operands could not be broadcast") as exc:
        worker.call("broadcast")
    assert "numpy" not in exc.value.traceback
    with pytest.raises(StudentError, match="NameError: name 'missing' is not defined"):
        worker.call("missing")
    with pytest.raises(StudentError) as exc:
        worker.exec("bad_cell", "def f(:\n    pass\n")
    assert exc.value.type_name == "SyntaxError" and "bad_cell" in exc.value.message
    with pytest.raises(StudentError, match="^NotImplementedError$"):
        worker.exec("todo", "raise NotImplementedError\n")
    assert worker.alive and worker.ping() < 1


def test_monkeypatching_numpy_in_the_worker_leaves_the_grader_alone(worker):
    allclose, assert_allclose = np.allclose, numpy.testing.assert_allclose
    run(worker, """
        import numpy as np
        import numpy
        np.allclose = lambda *a, **k: True
        numpy.testing.assert_allclose = lambda *a, **k: None
        np.random.seed = lambda *a: None
        def check():
            return np.allclose(1.0, 2.0)
    """)
    assert worker.call("check") is True  # the patch is real, inside the worker
    assert np.allclose is allclose and numpy.testing.assert_allclose is assert_allclose
    assert not np.allclose(1.0, 2.0)
    with pytest.raises(AssertionError):
        numpy.testing.assert_allclose(1.0, 2.0)


@pytest.mark.parametrize("statement, type_name", [
    ("sys.exit(0)", "SystemExit"), ("sys.exit('bye')", "SystemExit"), ("exit()", "SystemExit"),
    ("raise KeyboardInterrupt", "KeyboardInterrupt"), ("raise GeneratorExit", "GeneratorExit"),
    ("deep()", "RecursionError"), ("raise MemoryError", "MemoryError"),
])
def test_base_exceptions_are_student_errors_and_the_worker_survives(worker, statement,
                                                                    type_name):
    run(worker, f"import sys\ndef deep():\n    return deep()\ndef g():\n    {statement}\n")
    with pytest.raises(StudentError) as exc:
        worker.call("g")
    assert exc.value.type_name == type_name
    with pytest.raises(StudentError) as exc:
        worker.exec("top_level", statement + "\n")
    assert exc.value.type_name == type_name
    assert worker.alive and worker.ping() < 1
    assert worker.call("deep", method="__repr__").startswith("<function deep")


def test_os_exit_fails_the_worker_and_restart_works(worker):
    run(worker, "import os\ndef leave():\n    os._exit(0)\n")
    with pytest.raises(WorkerFailed) as exc:
        worker.call("leave")
    assert "exited with status 0" in exc.value.reason and "os._exit" in exc.value.reason
    assert not worker.alive
    with pytest.raises(WorkerFailed, match="exited with status 0"):
        worker.ping()
    old_pid = worker.pid
    worker.restart()
    assert worker.alive and worker.pid != old_pid
    with pytest.raises(StudentError, match="NameError"):  # a fresh namespace
        worker.call("leave")
    with pytest.raises(WorkerFailed, match="exited with status 3"):
        worker.exec("cell", "import os\nos._exit(3)\n")
    worker.restart()
    assert worker.ping() < 1


@pytest.mark.parametrize("body", [
    "while True:\n        pass",
    # catches everything, ignores the polite signals
    "import signal\n    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):\n"
    "        signal.signal(s, signal.SIG_IGN)\n"
    "    while True:\n        try:\n            while True:\n                pass\n"
    "        except BaseException:\n            pass",
    "import time\n    time.sleep(1000)",
])
def test_endless_code_is_stopped_at_the_call_limit(body):
    w = Worker(Limits(**{**FAST, "call_seconds": 1}))
    w.start()
    try:
        run(w, f"def spin():\n    {body}\n")
        t0 = time.monotonic()
        with pytest.raises(WorkerFailed) as exc:
            w.call("spin")
        elapsed = time.monotonic() - t0
        assert exc.value.reason == "time limit of 1 s per call exceeded (the worker was stopped)"
        assert 1.0 <= elapsed < 2.0
        assert not w.alive
        w.restart()
        assert w.ping() < 1
    finally:
        assert_clean(w)


def test_submission_budget_is_shared_by_all_calls_and_restarts():
    w = Worker(Limits(**{**FAST, "call_seconds": 1, "submission_seconds": 1.5}))
    w.start()
    try:
        run(w, "import time\ndef nap():\n    time.sleep(0.8)\n")
        w.call("nap")
        assert 0.5 < w.seconds_left < 0.7
        t0 = time.monotonic()
        with pytest.raises(WorkerFailed, match="time budget of 1.5 s is used up"):
            w.call("nap")
        assert time.monotonic() - t0 < 1.0
        w.restart()
        with pytest.raises(WorkerFailed, match="time budget of 1.5 s is used up"):
            w.ping()
    finally:
        assert_clean(w)


def test_print_flood_is_truncated_and_the_worker_goes_on(worker):
    run(worker, """
        import sys
        def flood():
            for i in range(200_000):
                print("spam", i)
            print("to stderr", file=sys.stderr)
            return "done"
    """)
    assert worker.call("flood") == "done"
    tail = worker.output_tail(200)
    assert tail.endswith("[output truncated]\n")
    size = os.path.getsize(os.path.join(worker._dir, "output.txt"))
    assert 64 * 1024 <= size < 64 * 1024 + 100
    assert worker.ping() < 1


def test_raw_output_flood_hits_the_file_size_limit(worker):
    run(worker, "import os, signal\ndef flood():\n    while True:\n"
                "        os.write(1, b'x' * 4096)\n")
    with pytest.raises(StudentError, match=r"^output limit of 64 KiB exceeded \(OSError"):
        worker.call("flood")  # Python ignores SIGXFSZ: the write fails with EFBIG
    assert worker.ping() < 1
    run(worker, "signal.signal(signal.SIGXFSZ, signal.SIG_DFL)")
    with pytest.raises(WorkerFailed, match="^output limit of 64 KiB exceeded$"):
        worker.call("flood")  # now the signal kills the worker
    assert len(worker.output_tail(10_000)) == 10_000
    worker.close()
    assert worker.output_tail(5) == "xxxxx"  # kept after close


def test_memory_hogs_get_memory_error_and_the_worker_survives():
    w = Worker(Limits(**{**FAST, "memory_bytes": 512 << 20}))
    w.start()
    try:
        run(w, "import numpy as np\ndef huge():\n    return np.ones(10**11)\n"
               "def big():\n    return np.ones(100_000_000).sum()\n"  # 800 MB > 512 MiB
               "def small():\n    return np.ones(10).sum()\n")
        for name in ("huge", "big"):
            with pytest.raises(StudentError) as exc:
                w.call(name)
            assert exc.value.type_name == "MemoryError"
            assert exc.value.message.startswith("memory limit of 512 MiB exceeded (MemoryError")
        assert w.call("small") == 10.0 and w.alive
        assert w.peak_rss_bytes < 512 << 20
    finally:
        assert_clean(w)


def test_fork_bomb_is_capped_and_cleaned_up(worker):
    run(worker, """
        import os, time
        def bomb():
            made = 0
            for _ in range(200):
                try:
                    pid = os.fork()
                except OSError:
                    break
                if pid == 0:  # children fork forever and never return
                    try:
                        while True:
                            try:
                                os.fork()
                            except OSError:
                                time.sleep(0.001)
                    finally:
                        os._exit(0)
                made += 1
            return made
    """)
    made = worker.call("bomb")
    assert 0 < made < 16  # RLIMIT_NPROC stopped it
    time.sleep(0.2)
    assert leftovers(worker._token)  # the bomb is running...
    # ...and the fixture's assert_clean checks that close() leaves nothing behind


def test_background_processes_end_with_the_worker(worker):
    run(worker, """
        import os, subprocess, time
        def spawn():
            return subprocess.Popen(["sleep", "1000"]).pid
        def daemon():
            r, w = os.pipe()
            pid = os.fork()
            if pid == 0:
                os.setsid()
                if os.fork() == 0:  # double fork, new session, no token in its environment
                    os.write(w, str(os.getpid()).encode())
                    os.execve("/bin/sleep", ["sleep", "1000"], {})
                os._exit(0)
            os.waitpid(pid, 0)
            return int(os.read(r, 100))
    """)
    sleeper, daemon = worker.call("spawn"), worker.call("daemon")
    time.sleep(0.2)
    contained = "namespaces" in worker.containment["layers"]
    if contained:  # the worker sees the pids of its own PID namespace: find them from here
        sleeper, daemon = host_pid(worker, sleeper), host_pid(worker, daemon)
    for pid in (sleeper, daemon):
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            assert f.read().startswith(b"sleep\0")
    with open(f"/proc/{daemon}/stat", "rb") as f:
        stat = f.read()
    ppid, pgid, sid = (int(x) for x in stat[stat.rindex(b")") + 2:].split()[1:4])
    assert sid != worker.pid and pgid != worker.pid  # it escaped the worker's session
    # re-parented to the worker, a child subreaper (so found among its descendants)
    assert ppid == (worker._worker_pid if contained else worker.pid)
    worker.close()
    for pid in (sleeper, daemon):
        assert not os.path.exists(f"/proc/{pid}")  # killed and reaped: no zombie either


def test_environment_is_scrubbed(monkeypatch):
    monkeypatch.setenv("SECRET_TOKEN", "hunter2")
    monkeypatch.setenv("PYTHONINSPECT", "1")
    with Worker(Limits(**FAST)) as w:
        run(w, "import os\ndef env():\n    return dict(os.environ)\n"
               "def where():\n    return os.getcwd(), os.getuid()\n"
               "def imports():\n    import fractions, sqlite3, numpy, cs231n_lib\n"
               "    return fractions.Fraction(1, 3).denominator, numpy.__file__\n")
        env = w.call("env")
        cwd, uid = w.call("where")
        # modules not imported before the drop to nobody still import (stdlib, venv, repo)
        denominator, numpy_file = w.call("imports")
        assert denominator == 3 and numpy_file == np.__file__
        token, workdir = w._token, w._dir
    assert "SECRET_TOKEN" not in env and "hunter2" not in str(env)
    assert set(env) <= ALLOWED_ENV
    # inside the namespaces the working folder is a private tmpfs (/scratch), else a host folder
    assert env["HOME"] == cwd == (SCRATCH if "namespaces" in w.containment["layers"] else workdir)
    assert env[TOKEN_VAR] == token
    assert env["PYTHONPATH"] == str(REPO_ROOT) and env["OPENBLAS_NUM_THREADS"] == "1"
    assert uid == (65534 if ROOT else os.getuid())
    assert leftovers(token) == [] and not os.path.exists(workdir)


@root_only
def test_student_cannot_write_outside_its_directory(worker):
    probe = REPO_ROOT / "tests" / "_sandbox_probe.txt"
    run(worker, f"""
        import os
        def write_repo():
            with open({str(probe)!r}, "w") as f:
                f.write("pwned")
        def write_home():
            with open("notes.txt", "w") as f:
                f.write("fine")
            return os.path.getsize("notes.txt")
    """)
    # not there at all (namespaces), read-only, or not allowed (uid, Landlock)
    with pytest.raises(StudentError, match="PermissionError|FileNotFoundError|Read-only"):
        worker.call("write_repo")
    assert not probe.exists()
    assert worker.call("write_home") == 4
    # EINVAL in the worker's own user namespace, where uid 0 does not exist
    with pytest.raises(StudentError, match=r"^(PermissionError|OSError: \[Errno 22\])"):
        worker.exec("cell", "import os\nos.setuid(0)\n")


def test_instances_live_in_the_worker_behind_handles(worker):
    run(worker, """
        import numpy as np
        class KNearestNeighbor:
            def __init__(self):
                self.W = np.zeros((2, 3))
            def train(self, X, y):
                self.X_train, self.y_train = X, y
                return self
            def predict(self, X, k=1):
                return self.y_train[:len(X)] * k + self.W.sum()
    """)
    clf = worker.call("KNearestNeighbor")
    assert isinstance(clf, Handle) and clf.type_name == "submission.KNearestNeighbor"
    X, y = np.random.rand(5, 3), np.arange(5)
    assert worker.call(clf, X, y, method="train") == clf  # returns self: the same handle
    assert np.array_equal(worker.getattr(clf, "X_train"), X)
    assert np.array_equal(worker.call(clf, X[:2], k=2, method="predict"), [0, 2])
    worker.setattr(clf, "W", np.ones((2, 3)))
    W = worker.getattr(clf, "W")
    assert type(W) is np.ndarray and W.shape == (2, 3) and W.sum() == 6
    assert np.array_equal(worker.call(clf, X[:2], method="predict"), [6, 7])
    other = worker.call("KNearestNeighbor")
    assert other != clf
    with pytest.raises(StudentError, match="AttributeError"):
        worker.getattr(other, "X_train")
    worker.restart()
    with pytest.raises(ValueError, match="stale"):
        worker.call(clf, X, method="predict")


def test_results_that_are_not_plain_data_cannot_pass_for_values(worker):
    run(worker, """
        import numpy as np
        class AlwaysEqual:
            def __eq__(self, other):
                return True
            __hash__ = object.__hash__
        class Sneaky(np.ndarray):
            def __eq__(self, other):
                return np.ones(self.shape, dtype=bool)
            def __array_ufunc__(self, *args, **kwargs):
                return True
        def fake():
            return AlwaysEqual()
        def nested():
            return [1.0, AlwaysEqual()]
        def objects():
            return np.array([1.0, None], dtype=object)
        def sneaky():
            return np.arange(3.0).view(Sneaky)
        def a_set():
            return (1, {2, 3})
    """)
    fake = worker.call("fake")
    assert isinstance(fake, Handle) and fake != 1.0 and not (fake == np.float64(1.0))
    for name, what in (("nested", "AlwaysEqual"), ("objects", "object"), ("a_set", "set")):
        with pytest.raises(StudentError) as exc:
            worker.call(name)
        assert exc.value.type_name == "ProtocolError" and what in exc.value.message
    arr = worker.call("sneaky")
    assert type(arr) is np.ndarray
    assert (arr == np.array([0.0, 1.0, 5.0])).tolist() == [True, True, False]
    assert worker.ping() < 1


def test_forged_or_garbage_responses_fail_the_worker(worker):
    run(worker, "import os\ndef garbage():\n    os.write(4, b'{not json\\n')\n    return 1\n"
                "def forged():\n    os.write(4, b'{\"$dict\": [[\"id\", 999], [\"ok\", true],"
                " [\"value\", 1]]}\\n')\n    return 2\n")
    with pytest.raises(WorkerFailed, match="^protocol error"):
        worker.call("garbage")
    worker.restart()
    run(worker, "import os\ndef forged():\n    os.write(4, b'{\"$dict\": [[\"id\", 999], "
                "[\"ok\", true], [\"value\", 1]]}\\n')\n    return 2\n"
                "def hang_up():\n    os.close(4)\n")
    with pytest.raises(WorkerFailed, match="^protocol error: unexpected response"):
        worker.call("forged")
    worker.restart()
    run(worker, "import os\ndef hang_up():\n    os.close(4)\n")
    t0 = time.monotonic()
    with pytest.raises(WorkerFailed, match="closed its response channel"):
        worker.call("hang_up")
    assert time.monotonic() - t0 < 1.9  # noticed at once, not at the time limit


def test_oversized_results_are_refused_on_both_sides(worker, monkeypatch):
    run(worker, "import numpy as np, autograder.sandbox.protocol as p\n"
                "def big():\n    return np.zeros(20_000)\n")
    assert worker.call("big").shape == (20_000,)
    run(worker, "p.MAX_MESSAGE_BYTES = 100_000")  # the worker's own cap refuses
    with pytest.raises(StudentError, match="exceeds the message limit") as exc:
        worker.call("big")
    assert exc.value.type_name == "ProtocolError"
    run(worker, "p.MAX_MESSAGE_BYTES = 1 << 30")  # a worker that lies past the cap...
    monkeypatch.setattr(protocol, "MAX_MESSAGE_BYTES", 100_000)
    monkeypatch.setattr(sandbox, "MAX_MESSAGE_BYTES", 100_000)
    too_big = r"^protocol error: (response larger|message of \d+ bytes exceeds)"
    with pytest.raises(WorkerFailed, match=too_big):
        worker.call("big")  # ...is stopped by the grader's cap


def test_start_failure_close_and_requests_after_close_are_clear():
    w = Worker(Limits(**{**FAST, "memory_bytes": 20 << 20}))  # too small to import numpy
    with pytest.raises(WorkerFailed, match="^the worker could not start"):
        w.start()
    assert not w.alive and w.pid is None
    w = Worker(Limits(**FAST))
    w.start()
    assert w.alive and w.startup_seconds < 5 and w.worker_startup_ms > 0
    assert_clean(w)
    w.close()  # idempotent
    with pytest.raises(WorkerFailed, match="not running"):
        w.ping()
    with pytest.raises(RuntimeError, match="already started"):
        with Worker(Limits(**FAST)) as w2:
            w2.start()
