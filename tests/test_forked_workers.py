"""Workers forked from a pre-started template (autograder/sandbox/template.py) are contained exactly
like freshly started ones: the attacks of tests/test_containment.py run again, unchanged, in
forked workers. Then what is particular to a template: a forked worker cannot touch its template,
and nothing of one notebook's worker (processes, files, IPC objects) survives into the next fork.
"""
from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import test_containment as tc
from autograder.engine.grading import grade_notebook
from autograder.sandbox import Limits, StudentError, WorkerFailed
from autograder.sandbox.template import ForkedWorker, WorkerTemplate

pytestmark = pytest.mark.skipif(not WorkerTemplate.available(), reason="templates need bubblewrap namespaces")


class forked_start(ForkedWorker):  # noqa: N801 - stands for test_containment.start
    """A worker forked from a template of its own (one sandbox per submission), attacks defined."""

    def __init__(self, mode: str, **extra):
        limits = Limits(**tc.FAST, sandbox=mode, **extra)
        template = WorkerTemplate(limits, preload=["numpy"])
        template.start()
        super().__init__(template, limits)
        self.start()
        self.exec("attacks", tc.ATTACKS)

    def __enter__(self):
        return self

    def close(self):
        super().close()
        self.template.close()


@pytest.fixture
def forked(monkeypatch):
    monkeypatch.setattr(tc, "start", forked_start)


victim = tc.victim
ATTACK_TESTS = ["test_hidden_material_and_other_students_are_out_of_reach",
                "test_the_grader_process_cannot_be_read",
                "test_writes_outside_the_scratch_folder_fail_and_leave_nothing",
                "test_a_locked_folder_does_not_break_the_clean_up",
                "test_daemons_do_not_survive_the_worker",
                "test_the_grader_and_its_processes_cannot_be_signalled_or_traced",
                "test_one_worker_cannot_attack_another",
                "test_no_network"]


@pytest.mark.parametrize("name", ATTACK_TESTS)
def test_the_containment_attacks_fail_in_forked_workers(name, forked, request, tmp_path):
    test = getattr(tc, name)
    wanted = test.__code__.co_varnames[:test.__code__.co_argcount]
    args = {"mode": "auto", "tmp_path": tmp_path}
    if "victim" in wanted:
        args["victim"] = request.getfixturevalue("victim")
    test(**{k: args[k] for k in wanted})


def test_concurrent_forked_workers_do_not_share_the_process_limit(forked):
    tc.test_concurrent_workers_do_not_share_the_process_limit()


def test_a_forked_worker_cannot_signal_or_trace_its_template():
    with forked_start("auto") as w:
        template_pid = 2  # bwrap's init is 1 in the sandbox, the template 2
        assert w.call("proc_of", template_pid, "cmdline").startswith("GOT")  # it is there, and visible
        for sig in (signal.SIGKILL, signal.SIGSTOP, 0):
            tc.assert_blocked(w.call("signal_process", template_pid, sig))
        tc.assert_blocked(w.call("ptrace", template_pid))
        tc.assert_blocked(w.call("proc_of", template_pid, "environ"))
        assert w.template.alive
        w.close()
        w.start()  # the template still forks
        assert w.ping() < 1


def test_nothing_of_one_notebook_survives_into_the_next():
    limits = Limits(**tc.FAST)
    key = 0x5EC2000 + os.getpid() % 4096
    with WorkerTemplate(limits, preload=["numpy"]) as template:
        first = template.worker()
        first.start()
        first.exec("attacks", tc.ATTACKS)
        tc.assert_got(first.call("daemon", "cs231n-forked-daemon"))
        tc.assert_got(first.call("sysv_shm", key))
        tc.assert_got(first.call("write", "notes.txt"))
        tc.assert_got(first.call("write", "/tmp/left.txt"))
        tc.assert_got(first.call("locked_folder"))
        first.exec("state", "import numpy\nnumpy.sum = lambda *a, **k: 42\nLEFT = 1\n")
        first.close()
        second = template.worker()
        second.start()
        second.exec("probe", "import os, numpy, ctypes\n"
                             "def seen():\n"
                             "    procs = [p for p in os.listdir('/proc') if p.isdigit() and int(p) > 2]\n"
                             "    libc = ctypes.CDLL(None)\n"
                             f"    fresh = libc.shmget({key}, 4096, 0o1000 | 0o2000 | 0o666) >= 0\n"
                             "    return [sorted(os.listdir('.')), sorted(os.listdir('/tmp')), len(procs),\n"
                             "            fresh, float(numpy.sum(numpy.ones(3))), 'LEFT' in globals()]\n")
        files, tmp, processes, shm_is_new, total, left = second.call("seen")
        # a checkout (and its venv) under /tmp shows as the empty mount-point folders bwrap made for it
        skeleton = sorted({Path(p).parts[2] for p in (str(tc.REPO_ROOT), sys.prefix) if p.startswith("/tmp/")})
        assert files == [] and tmp == skeleton
        assert processes == 1  # itself: the daemon is gone
        assert shm_is_new and total == 3.0 and left is False
        second.close()


def test_time_limits_and_deaths_are_reported_as_for_any_worker():
    with WorkerTemplate(Limits(**{**tc.FAST, "call_seconds": 1})) as template:
        w = template.worker()
        w.start()
        with pytest.raises(WorkerFailed, match="time limit of 1 s per call"):
            w.exec("loop", "while True:\n    pass\n")
        assert not w.alive
        w.close()
        w.start()
        with pytest.raises(WorkerFailed, match="exited with status 3"):
            w.exec("exit", "import os\nos._exit(3)\n")
        w.close()
        w.start()
        with pytest.raises(StudentError, match="ZeroDivisionError"):
            w.exec("raise", "1 / 0\n")
        assert w.ping() < 1
        w.close()
        assert template.forks == 3


def test_a_dead_template_is_replaced():
    with WorkerTemplate(Limits(**tc.FAST)) as template:
        w = template.worker()
        w.start()
        w.close()
        os.kill(template._worker_pid, signal.SIGKILL)  # from the grader's side
        w.start()  # a new template (a new sandbox) forks it
        assert w.ping() < 1 and template.alive
        w.close()


def test_hostile_cell_graded_with_a_template(tmp_path, victim):
    """The hostile submission of test_containment, graded with forked workers: full marks, no harm."""
    limits = Limits(**tc.FAST)
    with WorkerTemplate(limits, preload=["numpy", "cs231n_lib.data"]) as template:
        original = tc.grade_notebook
        tc.grade_notebook = lambda path, seed, limits: grade_notebook(path, seed=seed, limits=limits,
                                                                      make_worker=template.worker)
        try:
            tc.test_hostile_cell_in_a_correct_submission_gains_and_harms_nothing(tmp_path, victim)
        finally:
            tc.grade_notebook = original
        assert template.forks >= 1


@pytest.mark.skipif(not tc.ROOT, reason="creating a user needs root (this run is already unprivileged)")
@pytest.mark.skipif(not shutil.which("useradd") or not shutil.which("unshare")
                    or not shutil.which("setpriv"), reason="needs useradd, unshare and setpriv")
def test_forked_workers_again_as_an_unprivileged_user(tmp_path):
    if subprocess.run(["id", tc.USER], capture_output=True).returncode != 0:
        subprocess.run(["useradd", "--create-home", "--shell", "/bin/sh", tc.USER], check=True)
    user = pwd.getpwnam(tc.USER)
    script = ["set -e"]
    blocked = tc._unreachable_ancestor(sys.base_prefix)
    if blocked:
        keep = Path(sys.base_prefix).resolve()
        stage = tmp_path / "stage"
        stage.mkdir()
        script += [f"mount --bind {keep} {stage}", f"mount -t tmpfs -o mode=755 tmpfs {blocked}",
                   f"mkdir -p {keep}", f"mount --bind {stage} {keep}"]
    for path in (tc.REPO_ROOT, Path(sys.prefix)):
        if tc._unreachable_ancestor(str(path)) not in (None, blocked):
            pytest.skip(f"{path} is not reachable by other users")
    script.append('exec setpriv --reuid "$U" --regid "$G" --clear-groups env -i PATH=/usr/bin:/bin '
                  'HOME="$H" PYTHONDONTWRITEBYTECODE=1 "$PY" -m pytest -q -p no:cacheprovider '
                  f'-x {Path(__file__).name} -k "not unprivileged and not hostile"')
    env = {"U": str(user.pw_uid), "G": str(user.pw_gid), "H": user.pw_dir, "PY": sys.executable,
           "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    out = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", "\n".join(script)],
                         capture_output=True, text=True, env=env, cwd=Path(__file__).parent, timeout=600)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert " passed" in out.stdout and "failed" not in out.stdout
