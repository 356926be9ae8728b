"""Landlock (Linux >= 5.13): a process restricts itself, for good, before student code runs.

A small ctypes binding of the three system calls (``landlock_create_ruleset``,
``landlock_add_rule``, ``landlock_restrict_self``); no third-party package. Used by the
worker as the second layer inside the namespaces, and as the only filesystem layer when
user namespaces are not available. What :func:`restrict` denies, by ABI version:

- ABI 1+: opening for reading, listing and executing outside ``read`` paths; any change
  (write, truncate, create, remove, rename, link) outside ``write`` paths; ptrace of
  processes outside the domain (the grader, other workers).
- ABI 4+: TCP bind and connect, on every port.
- ABI 6+: signals to processes outside the domain, connecting to abstract unix sockets
  created outside it.

Example::

    abi = landlock.abi()           # 0 when the kernel has no Landlock
    if abi:
        landlock.restrict(read=["/usr", "/etc/ld.so.cache"], write=["/tmp/scratch"])
"""
from __future__ import annotations

import ctypes
import os
import platform

# system call numbers: the same on every architecture that has them (asm-generic table)
_SYS = {"create_ruleset": 444, "add_rule": 445, "restrict_self": 446}
if platform.machine() in ("alpha",):  # pragma: no cover - other numbering
    _SYS = {"create_ruleset": 554, "add_rule": 555, "restrict_self": 556}

CREATE_RULESET_VERSION = 1 << 0
RULE_PATH_BENEATH, RULE_NET_PORT = 1, 2
PR_SET_NO_NEW_PRIVS = 38

FS = {"execute": 1 << 0, "write_file": 1 << 1, "read_file": 1 << 2, "read_dir": 1 << 3,
      "remove_dir": 1 << 4, "remove_file": 1 << 5, "make_char": 1 << 6, "make_dir": 1 << 7,
      "make_reg": 1 << 8, "make_sock": 1 << 9, "make_fifo": 1 << 10, "make_block": 1 << 11,
      "make_sym": 1 << 12, "refer": 1 << 13, "truncate": 1 << 14}
NET_BIND_TCP, NET_CONNECT_TCP = 1 << 0, 1 << 1
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1 << 0, 1 << 1

READ = FS["execute"] | FS["read_file"] | FS["read_dir"]
FILE_RIGHTS = FS["execute"] | FS["write_file"] | FS["read_file"] | FS["truncate"]


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


def _syscall(name: str, *args) -> int:
    ret = _libc.syscall(ctypes.c_long(_SYS[name]), *args)
    if ret < 0:
        err = ctypes.get_errno()
        raise OSError(err, f"landlock_{name}: {os.strerror(err)}")
    return ret


def abi() -> int:
    """The kernel's Landlock ABI version; 0 when Landlock is absent or disabled."""
    try:
        return _syscall("create_ruleset", None, ctypes.c_size_t(0),
                        ctypes.c_uint32(CREATE_RULESET_VERSION))
    except OSError:  # ENOSYS (not built), EOPNOTSUPP (not enabled at boot)
        return 0


def fs_rights(version: int) -> int:
    """Every filesystem right that ABI ``version`` knows (what the ruleset handles)."""
    rights = (1 << 13) - 1
    if version >= 2:
        rights |= FS["refer"]
    if version >= 3:
        rights |= FS["truncate"]
    return rights


class Ruleset:
    """Rules gathered now (paths are opened at once, e.g. before a drop of privileges that
    would make them unreachable) and enforced later by :meth:`enforce`."""

    def __init__(self, read: list[str], write: list[str], write_files: list[str] = (),
                 deny_tcp: bool = True, scope: bool = True):
        """Inputs:
        - read: paths (directories or files) that may be read, listed and executed.
        - write: directories where anything may be done (the scratch folders).
        - write_files: single files that may also be written (e.g. /dev/null).
        - deny_tcp: deny TCP bind/connect (ABI >= 4).
        - scope: deny signals and abstract unix sockets beyond the domain (ABI >= 6).

        Paths that cannot be opened are skipped. Raises OSError when Landlock is unavailable
        or a system call fails (the caller must then refuse to run student code).
        """
        self.version = abi()
        if self.version < 1:
            raise OSError("Landlock is not available in this kernel")
        handled = fs_rights(self.version)
        attr = _RulesetAttr(handled, 0, 0)
        size = 8
        if self.version >= 4 and deny_tcp:
            attr.handled_access_net, size = NET_BIND_TCP | NET_CONNECT_TCP, 16
        if self.version >= 6 and scope:
            attr.scoped, size = SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL, 24
        self.attr = attr
        self.fd = _syscall("create_ruleset", ctypes.byref(attr), ctypes.c_size_t(size),
                           ctypes.c_uint32(0))
        self.rules = {"read": [], "write": []}
        for paths, rights, kind in ((read, READ & handled, "read"), (write, handled, "write"),
                                    (write_files, FILE_RIGHTS & handled, "write")):
            for path in paths:
                try:
                    pfd = os.open(path, os.O_PATH | os.O_CLOEXEC)
                except OSError:
                    continue
                try:
                    allowed = rights if os.path.isdir(path) else rights & FILE_RIGHTS
                    rule = _PathBeneathAttr(allowed, pfd)
                    _syscall("add_rule", ctypes.c_int(self.fd), ctypes.c_int(RULE_PATH_BENEATH),
                             ctypes.byref(rule), ctypes.c_uint32(0))
                    self.rules[kind].append(path)
                finally:
                    os.close(pfd)

    def enforce(self) -> dict:
        """Restrict this process and its future children for good; returns what is enforced."""
        try:
            if _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
                err = ctypes.get_errno()
                raise OSError(err, f"prctl(PR_SET_NO_NEW_PRIVS): {os.strerror(err)}")
            _syscall("restrict_self", ctypes.c_int(self.fd), ctypes.c_uint32(0))
        finally:
            os.close(self.fd)
        return {"abi": self.version, "filesystem": True, "tcp": bool(self.attr.handled_access_net),
                "scoped_signals_and_abstract_sockets": bool(self.attr.scoped), **self.rules}


def restrict(read: list[str], write: list[str], write_files: list[str] = (),
             deny_tcp: bool = True, scope: bool = True) -> dict:
    """Restrict this process and its future children at once (see :class:`Ruleset`)."""
    return Ruleset(read, write, write_files, deny_tcp, scope).enforce()
