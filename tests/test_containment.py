"""Containment of student code: what a hostile worker can reach, and what it leaves behind.

Each attack is a function in ``ATTACKS`` that returns ``"GOT ..."`` when it succeeded and
``"blocked: ..."`` when it did not. The same function runs in this test process as a negative
control (it must succeed there, or the test proves nothing), then in a worker, where it must
gain nothing; the host is then checked for harm. The tests run as the grader's user; when
that is root, ``test_everything_again_as_an_unprivileged_user`` runs this file again as a
fresh unprivileged user.
"""
from __future__ import annotations

import ctypes
import os
import pwd
import secrets
import shutil
import signal
import socket
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from autograder.engine.grading import grade_notebook
from autograder.sandbox import REPO_ROOT, ContainmentUnavailable, Limits, StudentError, Worker
from autograder.sandbox import containment
from test_hidden_suites import SEED, full_points, submission

ROOT = os.geteuid() == 0
FAST = dict(call_seconds=5, submission_seconds=60, memory_bytes=1 << 30, max_processes=16,
            output_bytes=64 * 1024, cpu_seconds=30)
PLAN = containment.plan()
needs_namespaces = pytest.mark.skipif(not PLAN["namespaces"],
                                      reason=f"no namespaces: {PLAN['namespaces_missing']}")
needs_landlock = pytest.mark.skipif(not PLAN["landlock_abi"], reason="the kernel has no Landlock")
MODES = [pytest.param("auto", marks=needs_namespaces, id="namespaces+landlock"),
         pytest.param("landlock", marks=needs_landlock, id="landlock-only")]
MARKER = f"cs231n-secret-{secrets.token_hex(6)}"
os.environ["CS231N_CONTAINMENT_MARKER"] = MARKER  # in the grader's environment, never the worker's

ATTACKS = textwrap.dedent('''
    import ctypes, os, signal, socket, subprocess, time

    def _try(fn):
        try:
            return "GOT " + repr(fn())[:200]
        except BaseException as exc:  # noqa: BLE001
            return f"blocked: {type(exc).__name__}: {exc}"[:300]

    def read(path):
        return _try(lambda: open(path, "rb").read(200))

    def read_via_library(relative):
        import cs231n_lib
        root = os.path.dirname(os.path.dirname(os.path.abspath(cs231n_lib.__file__)))
        return read(os.path.join(root, relative))

    def import_suites():
        def go():
            import importlib
            return importlib.import_module("autograder.suites.assignment1.svm").__file__
        return _try(go)

    def write(path, text="pwned"):
        def go():
            with open(path, "w") as f:
                f.write(text)
            return path
        return _try(go)

    def proc_of(pid, what):
        return read(f"/proc/{pid}/{what}")

    def read_parent_memory():
        def go():
            pid = os.getppid()
            maps = open(f"/proc/{pid}/maps").readline()
            start = int(maps.split("-")[0], 16)
            with open(f"/proc/{pid}/mem", "rb") as f:
                f.seek(start)
                return f.read(16)
        return _try(go)

    def cmdlines_with(marker):
        found = []
        for name in os.listdir("/proc"):
            if name.isdigit():
                for what in ("cmdline", "environ"):
                    try:
                        if marker.encode() in open(f"/proc/{name}/{what}", "rb").read():
                            found.append(int(name))
                    except OSError:
                        pass
        return ("GOT " + str(found)) if found else "blocked: not visible"

    def signal_process(pid, sig):
        return _try(lambda: os.kill(pid, sig))

    def ptrace(pid):
        def go():
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.ptrace(16, pid, None, None) != 0:  # PTRACE_ATTACH
                raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
            libc.ptrace(17, pid, None, None)  # PTRACE_DETACH
            return pid
        return _try(go)

    def connect(port):
        def go():
            with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
                s.sendall(b"exfiltrated")
                return port
        return _try(go)

    def daemon(marker):
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.setsid()
            if os.fork() == 0:
                os.write(w, b"x")
                os.execve("/bin/sleep", [marker, "1000"], {})
            os._exit(0)
        os.waitpid(pid, 0)
        return "GOT started" if os.read(r, 1) == b"x" else "blocked"

    def sysv_shm(key):
        libc = ctypes.CDLL(None, use_errno=True)
        shmid = libc.shmget(key, 4096, 0o1000 | 0o666)  # IPC_CREAT
        return f"GOT shmid {shmid}" if shmid >= 0 else f"blocked: errno {ctypes.get_errno()}"

    def locked_folder():
        os.makedirs("locked/deeper", exist_ok=True)
        open("locked/deeper/file", "w").write("x")
        os.chmod("locked/deeper", 0)
        os.chmod("locked", 0)
        return "GOT locked"
''')


def control_namespace() -> dict:
    ns: dict = {}
    exec(ATTACKS, ns)  # noqa: S102 - the negative controls run the attacks here, unconfined
    return ns


@pytest.fixture
def victim():
    """A process of the grader's own account, for the worker to attack."""
    proc = subprocess.Popen(["sleep", "300"])
    yield proc
    proc.kill()
    proc.wait()


class start(Worker):  # noqa: N801 - reads as a function: ``with start(mode) as w``
    """A started worker of the given sandbox mode, with the attacks defined in it."""

    def __init__(self, mode: str, **extra):
        super().__init__(Limits(**FAST, sandbox=mode, **extra))
        self.start()
        self.exec("attacks", ATTACKS)

    def __enter__(self):
        return self


def assert_blocked(result: str) -> None:
    assert result.startswith("blocked"), result


def assert_got(result: str) -> None:
    assert result.startswith("GOT"), f"negative control failed, the test proves nothing: {result}"


# ---- reads ----------------------------------------------------------------------------------

@pytest.mark.parametrize("mode", MODES)
def test_hidden_material_and_other_students_are_out_of_reach(mode, tmp_path):
    workspace = tmp_path / "course_workspace" / "submitted" / "s2-other" / "assignment1"
    workspace.mkdir(parents=True)
    os.chmod(tmp_path, 0o755)
    (workspace / "svm.ipynb").write_text('{"secret": "other student"}')
    home = Path(os.path.expanduser("~")) / f".cs231n-probe-{secrets.token_hex(4)}"
    home.write_text("grader's private file")
    try:
        targets = {"source notebook": str(REPO_ROOT / "source_nb/assignment1/svm.ipynb"),
                   "hidden suite": str(REPO_ROOT / "autograder/suites/assignment1/svm.py"),
                   "grading engine": str(REPO_ROOT / "autograder/engine/grading.py"),
                   "other student": str(workspace / "svm.ipynb"),
                   "home folder": str(home)}
        ns = control_namespace()
        for path in targets.values():
            assert_got(ns["read"](path))
        assert_got(ns["read_via_library"]("source_nb/assignment1/svm.ipynb"))
        with start(mode) as w:
            for what, path in targets.items():
                assert w.call("read", path).startswith("blocked"), what
            assert_blocked(w.call("read_via_library", "source_nb/assignment1/svm.ipynb"))
            assert_blocked(w.call("import_suites"))
            assert w.call("read", str(REPO_ROOT / "cs231n_lib/__init__.py")).startswith("GOT")
    finally:
        home.unlink()


@pytest.mark.parametrize("mode", MODES)
def test_the_grader_process_cannot_be_read(mode, victim):
    me = os.getpid()
    ns = control_namespace()
    assert_got(ns["proc_of"](me, "environ"))
    assert_got(ns["cmdlines_with"](MARKER))
    with start(mode) as w:
        assert_blocked(w.call("proc_of", me, "environ"))
        assert_blocked(w.call("proc_of", me, "mem"))
        assert_blocked(w.call("read_parent_memory"))
        assert_blocked(w.call("proc_of", victim.pid, "environ"))
        assert_blocked(w.call("cmdlines_with", MARKER))
        if mode == "auto":  # its own PID namespace: no other process is even visible
            assert_blocked(w.call("proc_of", me, "cmdline"))
            assert_blocked(w.call("proc_of", victim.pid, "cmdline"))
            assert w.call("proc_of", 1, "cmdline").startswith("GOT")  # its own init: bwrap


# ---- writes and leftovers ----------------------------------------------------------------------

@pytest.mark.parametrize("mode", MODES)
def test_writes_outside_the_scratch_folder_fail_and_leave_nothing(mode, tmp_path):
    import site
    site_packages = site.getsitepackages()[0]
    tag = secrets.token_hex(4)
    workspace = tmp_path / "course_workspace"
    workspace.mkdir()
    os.chmod(tmp_path, 0o777)
    os.chmod(workspace, 0o777)  # even a folder open to everyone
    home = Path(os.path.expanduser("~"))
    targets = [REPO_ROOT / f"cs231n_lib/_pwned_{tag}.py", REPO_ROOT / f"pwned_{tag}.txt",
               Path(site_packages) / f"zz_pwned_{tag}.pth", Path(site_packages) / "sitecustomize.py",
               workspace / f"pwned_{tag}.txt", home / f".pwned_{tag}"]
    before = {t: t.exists() for t in targets}
    host_tmp = [Path(d) / f"cs231n-leftover-{tag}" for d in ("/tmp", "/var/tmp", "/dev/shm")]
    private = ("/tmp/", "/var/tmp/", "/dev/shm/")   # private tmpfs folders inside the namespaces
    with start(mode) as w:
        for t in targets:
            got = w.call("write", str(t))
            # blocked, or (a checkout under /tmp) written into the sandbox's own tmpfs copy of that folder;
            # either way the host file must not appear (checked below)
            assert got.startswith("blocked") or (mode == "auto" and str(t).startswith(private)), (t, got)
        results = [w.call("write", str(p)) for p in host_tmp]
        assert w.call("write", "notes.txt").startswith("GOT")  # its own scratch folder works
    assert {t: t.exists() for t in targets} == before
    assert not any(p.exists() for p in host_tmp), results
    if mode == "auto":  # a private tmpfs: the writes worked inside, and vanished
        assert all(r.startswith("GOT") for r in results), results
    # negative control: the grader's account can write the folders it could reach
    assert os.access(workspace, os.W_OK) and os.access(home, os.W_OK)


@pytest.mark.parametrize("mode", MODES)
def test_a_locked_folder_does_not_break_the_clean_up(mode):
    w = start(mode)
    assert_got(w.call("locked_folder"))
    folder = w._dir
    w.close()
    assert not os.path.exists(folder)


# ---- processes --------------------------------------------------------------------------------

def host_processes_with(marker: str) -> list[int]:
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                if marker.encode() in open(f"/proc/{name}/cmdline", "rb").read():
                    found.append(int(name))
            except OSError:
                pass
    return found


@pytest.mark.parametrize("mode", MODES)
def test_daemons_do_not_survive_the_worker(mode):
    marker = f"cs231n-daemon-{secrets.token_hex(4)}"
    with start(mode) as w:
        assert_got(w.call("daemon", marker))
        time.sleep(0.1)
        assert host_processes_with(marker)  # negative control: it runs, detached
    assert host_processes_with(marker) == []


@needs_namespaces
def test_sysv_ipc_does_not_outlive_the_worker():
    key = 0x5EC0000 + secrets.randbelow(0xFFFF)

    def segments():
        return [line.split()[0] for line in open("/proc/sysvipc/shm").read().splitlines()[1:]]

    with start("auto") as w:
        assert_got(w.call("sysv_shm", key))
    assert str(key) not in segments()
    if PLAN["landlock_abi"]:  # negative control: without an IPC namespace the segment stays
        with start("landlock") as w:
            result = w.call("sysv_shm", key)
        try:
            assert_got(result)
            assert str(key) in segments()
        finally:
            shmid = int(result.split()[-1])
            ctypes.CDLL(None).shmctl(shmid, 0, None)  # IPC_RMID


@pytest.mark.parametrize("mode", MODES)
def test_the_grader_and_its_processes_cannot_be_signalled_or_traced(mode, victim):
    ns = control_namespace()
    assert_got(ns["signal_process"](victim.pid, 0))  # negative control
    with start(mode) as w:
        assert_blocked(w.call("signal_process", os.getpid(), 0))
        for sig in (signal.SIGSTOP, signal.SIGKILL):
            assert_blocked(w.call("signal_process", victim.pid, sig))
        assert_blocked(w.call("ptrace", victim.pid))
        assert_blocked(w.call("ptrace", os.getpid()))
        w.call("signal_process", 1, signal.SIGKILL)  # the namespace's init (or the host's)
        assert w.ping() < 1
    assert victim.poll() is None
    with open(f"/proc/{victim.pid}/stat") as f:
        assert f.read().split(") ")[1][0] in "SR"  # not stopped


@pytest.mark.parametrize("mode", MODES)
def test_one_worker_cannot_attack_another(mode):
    with start(mode) as a, start(mode) as b:
        targets = {b.pid, b._worker_pid or b.pid, b._init_pid or b.pid}
        for pid in targets:
            assert_blocked(a.call("signal_process", pid, signal.SIGKILL))
            assert_blocked(a.call("proc_of", pid, "environ"))
        assert b.ping() < 1 and a.ping() < 1


@pytest.mark.parametrize("mode", MODES)
def test_no_network(mode):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    server.settimeout(0.2)
    port = server.getsockname()[1]
    try:
        assert_got(control_namespace()["connect"](port))  # negative control
        server.accept()[0].close()
        with start(mode) as w:
            assert_blocked(w.call("connect", port))
        with pytest.raises(socket.timeout):
            server.accept()
    finally:
        server.close()


@needs_namespaces
def test_concurrent_workers_do_not_share_the_process_limit():
    bomb = textwrap.dedent('''
        import os, time
        def fill():
            n = 0
            while True:
                try:
                    pid = os.fork()
                except OSError:
                    return n
                if pid == 0:
                    time.sleep(60)
                    os._exit(0)
                n += 1
    ''')
    with start("auto") as a, start("auto") as b:
        a.exec("bomb", bomb)
        b.exec("bomb", bomb)
        made_a = a.call("fill")
        made_b = b.call("fill")  # a's processes are still there
        assert 0 < made_a < 16 and made_b == made_a


def test_the_same_attacks_succeed_in_an_uncontained_worker(victim):
    """Negative control for the worker-level tests: without containment they would fail."""
    import tempfile
    open_folder = tempfile.mkdtemp(prefix="cs231n-open-")  # /tmp: reachable by nobody too
    os.chmod(open_folder, 0o777)
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    try:
        with start("none", allow_uncontained=True) as w:
            assert_got(w.call("read", str(REPO_ROOT / "source_nb/assignment1/svm.ipynb")))
            assert_got(w.call("import_suites"))
            assert_got(w.call("write", os.path.join(open_folder, "pwned.txt")))
            assert_got(w.call("cmdlines_with", "pytest"))
            assert_got(w.call("connect", server.getsockname()[1]))
            if not ROOT:  # same uid: the grader's account is at the worker's mercy
                assert_got(w.call("proc_of", os.getpid(), "environ"))
                assert_got(w.call("signal_process", victim.pid, 0))
    finally:
        server.close()
        shutil.rmtree(open_folder)


# ---- the report, the refusal, the opt-in --------------------------------------------------------

def test_every_worker_says_what_contains_it():
    with Worker(Limits(**FAST)) as w:
        c = w.containment
    assert c["layers"] == [layer for layer, ok in (("namespaces", PLAN["namespaces"]),
                                                   ("landlock", PLAN["landlock_abi"])) if ok]
    assert c["uncontained_accepted"] is False and c["summary"]
    assert c["uid"] == (65534 if ROOT else os.getuid())


def test_no_containment_is_refused_unless_accepted(monkeypatch):
    monkeypatch.delenv(containment.ALLOW_VAR, raising=False)
    with pytest.raises(ContainmentUnavailable, match="allow-uncontained"):
        Worker(Limits(**FAST, sandbox="none")).start()
    with Worker(Limits(**FAST, sandbox="none", allow_uncontained=True)) as w:
        assert w.containment["layers"] == [] and w.containment["uncontained_accepted"]
        assert "NONE" in w.containment["summary"]
    monkeypatch.setenv(containment.ALLOW_VAR, "1")
    with Worker(Limits(**FAST, sandbox="none")) as w:
        assert w.containment["uncontained_accepted"]


def test_refusal_names_what_is_missing(monkeypatch):
    monkeypatch.delenv(containment.ALLOW_VAR, raising=False)
    fake = {**PLAN, "namespaces": None, "namespaces_missing": "bubblewrap is not installed",
            "landlock_abi": 0}
    monkeypatch.setattr(containment, "plan", lambda: fake)
    with pytest.raises(ContainmentUnavailable) as exc:
        Worker(Limits(**FAST)).start()
    text = str(exc.value)
    assert "bubblewrap is not installed" in text and "Landlock" in text and "sysctl" in text


@needs_landlock
def test_without_user_namespaces_landlock_contains_the_worker(monkeypatch, tmp_path):
    """As with Ubuntu's apparmor_restrict_unprivileged_userns: bwrap is there but fails."""
    fake = tmp_path / "bwrap"
    fake.write_text("#!/bin/sh\n[ \"$1\" = --version ] && echo 'bubblewrap 0.11.0' && exit 0\n"
                    "echo 'bwrap: setting up uid map: Permission denied' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setattr(containment, "bwrap_binary", lambda: (str(fake), "test"))
    containment._plan.cache_clear()
    try:
        with Worker(Limits(**FAST)) as w:
            assert w.containment["layers"] == ["landlock"]
            assert "setting up uid map: Permission denied" in w.containment["missing"]
            w.exec("attacks", ATTACKS)
            assert_blocked(w.call("read", str(REPO_ROOT / "source_nb/assignment1/svm.ipynb")))
        contained, text = containment.doctor()
        assert contained and "namespaces: NO" in text and "Permission denied" in text
    finally:
        containment._plan.cache_clear()


def test_doctor_reports_the_layers():
    out = subprocess.run([sys.executable, "-m", "autograder", "doctor"], capture_output=True,
                         text=True, cwd=REPO_ROOT, timeout=60)
    assert out.returncode == (0 if PLAN["namespaces"] or PLAN["landlock_abi"] else 1), out.stderr
    assert "namespaces:" in out.stdout and "landlock:" in out.stdout and "rlimits:" in out.stdout


def test_missing_hidden_suite_is_flagged_for_manual_grading_not_run(tmp_path):
    """nbgrader plug-in: a notebook without a suite is not executed in a kernel by default."""
    import nbformat
    from autograder.nbgrader_ext.plugin import RESOURCES_KEY, GradeWithHiddenSuites
    nb = nbformat.read(str(REPO_ROOT / "release/assignment1/svm.ipynb"), as_version=4)
    probe = tmp_path / "ran"
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.source = f"open({str(probe)!r}, 'w').write('x')\n" + cell.source
    pre = GradeWithHiddenSuites(write_reports=False, processes=1)
    resources = {"nbgrader": {"student": "s1", "assignment": "assignment1", "notebook": "svm_renamed"}}
    nb, resources = pre.preprocess(nb, resources)
    ungraded = resources[RESOURCES_KEY]["ungraded"]
    assert ungraded and all("no hidden suite" in reason for reason, _ in ungraded.values())
    assert not probe.exists()
    assert GradeWithHiddenSuites().fallback_to_kernel is False


# ---- hostile cells in an otherwise correct submission ---------------------------------------

def test_hostile_cell_in_a_correct_submission_gains_and_harms_nothing(tmp_path, victim):
    tag = secrets.token_hex(4)
    marker = f"cs231n-daemon-{tag}"
    src = Path(submission(tmp_path, "svm")).read_text()
    import nbformat
    from cs231n_lib.notebook_cells import grade_id
    nb = nbformat.reads(src, as_version=4)
    cell = next(c for c in nb.cells if grade_id(c) == "svm_loss_vectorized")
    repo_probe = REPO_ROOT / f"pwned_{tag}.txt"
    cell.source = ATTACKS + textwrap.dedent(f'''
        stolen = [read({str(REPO_ROOT / "autograder/suites/assignment1/svm.py")!r}),
                  read_via_library("source_nb/assignment1/svm.ipynb"),
                  proc_of({os.getpid()}, "environ"), cmdlines_with({MARKER!r}),
                  write({str(repo_probe)!r}), write("/tmp/cs231n-leftover-{tag}"),
                  signal_process({victim.pid}, 9), signal_process({os.getpid()}, 19),
                  ptrace({os.getpid()}), daemon({marker!r}), sysv_shm(0x5EC1000 + {int(tag, 16) % 4096}),
                  locked_folder()]
        # a checkout under /tmp: its folder exists in the sandbox's private /tmp, so the write lands
        # there (the host file is checked below); anywhere else it must be refused outright
        private = {str(REPO_ROOT).startswith(("/tmp/", "/var/tmp/", "/dev/shm/"))!r}
        assert not any(s.startswith("GOT") for s in stolen[:4] + stolen[4:5] * (not private) + stolen[6:9]), stolen
    ''') + "\n" + cell.source
    path = tmp_path / "hostile" / "assignment1" / "svm.ipynb"
    path.parent.mkdir(parents=True)
    nbformat.write(nb, str(path))
    report = grade_notebook(path, seed=SEED, limits=Limits(**FAST))
    assert report.error is None, report.error
    assert report.cell_scores() == {g: (p, p) for g, p in full_points("svm").items()}, \
        report.feedback_text()
    assert not repo_probe.exists() and not Path(f"/tmp/cs231n-leftover-{tag}").exists()
    assert host_processes_with(marker) == [] and victim.poll() is None


# ---- the same, as an ordinary user -----------------------------------------------------------

USER = "cs231n-probe"


def _unreachable_ancestor(path: str) -> str | None:
    """The first ancestor of path that other users cannot traverse (e.g. /root), or None."""
    p = Path(path).resolve()
    for parent in list(reversed(p.parents))[1:] + [p]:
        if not os.stat(parent).st_mode & stat.S_IXOTH:
            return str(parent)
    return None


@pytest.mark.skipif(not ROOT, reason="creating a user needs root (this run is already unprivileged)")
@pytest.mark.skipif(not shutil.which("useradd") or not shutil.which("unshare")
                    or not shutil.which("setpriv"), reason="needs useradd, unshare and setpriv")
def test_everything_again_as_an_unprivileged_user(tmp_path):
    if subprocess.run(["id", USER], capture_output=True).returncode != 0:
        subprocess.run(["useradd", "--create-home", "--shell", "/bin/sh", USER], check=True)
    user = pwd.getpwnam(USER)
    # the interpreter may live under a folder the user cannot enter (a pyenv under /root): give
    # the run a private mount namespace where that folder is a tmpfs holding only the interpreter
    script = ["set -e"]
    blocked = _unreachable_ancestor(sys.base_prefix)
    if blocked:
        keep = Path(sys.base_prefix).resolve()
        stage = tmp_path / "stage"
        stage.mkdir()
        script += [f"mount --bind {keep} {stage}", f"mount -t tmpfs -o mode=755 tmpfs {blocked}",
                   f"mkdir -p {keep}", f"mount --bind {stage} {keep}"]
    for path in (REPO_ROOT, Path(sys.prefix)):
        if _unreachable_ancestor(str(path)) not in (None, blocked):
            pytest.skip(f"{path} is not reachable by other users")
    script.append('exec setpriv --reuid "$U" --regid "$G" --clear-groups env -i PATH=/usr/bin:/bin '
                  'HOME="$H" PYTHONDONTWRITEBYTECODE=1 "$PY" -m pytest -q -p no:cacheprovider '
                  f'-x {Path(__file__).name} -k "not unprivileged"')
    env = {"U": str(user.pw_uid), "G": str(user.pw_gid), "H": user.pw_dir, "PY": sys.executable,
           "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    out = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c",
                          "\n".join(script)], capture_output=True, text=True, env=env,
                         cwd=Path(__file__).parent, timeout=600)
    print(out.stdout[-3000:], out.stderr[-3000:])
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert " passed" in out.stdout and "failed" not in out.stdout
