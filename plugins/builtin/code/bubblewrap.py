"""The bubblewrap command line of the local sandbox, and the checks that it can run here.

What a program inside sees and may do:

- **Files**: ``/usr`` (with the ``/bin``, ``/lib``... links or binds next to it), the dynamic
  linker's cache in ``/etc``, and the Python installation that runs programs, all read-only;
  a fresh ``/dev`` (null, zero, random...) and a ``/proc`` of its own PID namespace; a private
  ``/tmp`` (tmpfs of ``tmp_mb``) as its working directory and home. Nothing else of the host:
  no home directories, no ``/etc/shadow``, no SSH keys, nothing writable outside ``/tmp``.
- **Namespaces**: new user, PID, network (loopback only, no route out), IPC, UTS and cgroup
  namespaces; no capabilities; user namespaces cannot be nested (``--disable-userns``, bubblewrap
  0.8+); a new session (no terminal to inject keys into).
- **Lifetime**: the runner is the sandbox's PID 1, so every process of the sandbox dies with it;
  it dies with the process that started it (``--die-with-parent``), and rewardkit kills it at
  the problem's time limit.
- **Limits** (set by the runner): CPU time, address space, processes, file size and open files.
- **Memory no process holds**: a seccomp filter (:func:`seccomp_filter`, on x86-64 and arm64)
  refuses the system calls that make it (``memfd_create``, ``memfd_secret``, System V
  ``shmget``, ``semget``, ``msgget`` and POSIX ``mq_open``: ``EPERM``), a socket buffer's
  resizing (``setsockopt`` of ``SO_SNDBUF``, ``SO_RCVBUF`` and their ``FORCE`` forms) and every
  system call of another architecture's ABI (32-bit, x32); ``/dev/shm`` is read-only (no POSIX shared memory);
  the only writable file system is ``/tmp``, of ``tmp_mb``. What remains is counted by the
  runner: the resident memory of the sandbox's processes and its System V segments.

The process limit counts the processes of one user, so the sandbox's user must not be the host's
root: when rewardkit runs as root it starts bubblewrap as user 65534 (nobody; through
``setpriv``, which any event loop can start), which then needs unprivileged user namespaces
(Debian and Ubuntu allow them; Ubuntu 24.04's AppArmor profile for bwrap allows it too). There
is no cgroup (this needs cgroup v2 with the memory and cpu controllers delegated to the user
running rewardkit, which neither a root session on a cgroup v1 host nor most unprivileged users
have): memory is summed by the runner, CPU time is counted per test over the sandbox's processes
(see :mod:`.runner`).
"""

from __future__ import annotations

import contextlib
import functools
import os
import platform
import shutil
import stat
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

from rewardkit.errors import RewardkitError

WORKDIR = "/tmp"
ENVIRONMENT = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": WORKDIR, "TMPDIR": WORKDIR, "LANG": "C.UTF-8"}
NOBODY = 65534
SANDBOX_ID = "1000"  # the user and group a program sees
TOP_LEVEL = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")  # links into /usr on merged-/usr systems
ETC = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/alternatives")
FALLBACK_PYTHON = "/usr/bin/python3"
INSTALL = "apt-get install bubblewrap (Debian, Ubuntu) or dnf install bubblewrap (Fedora)"
UNSAFE_HINT = "or set `sandbox: unsafe_local` to run programs without a sandbox (never for model-written code)"


class SandboxUnavailable(RewardkitError, RuntimeError):
    """The local sandbox cannot run on this machine; the message names the fix."""


def find(executable: str) -> str:
    """The path of the bubblewrap executable, or an error naming the package to install."""
    found = shutil.which(executable)
    if found is None:
        raise SandboxUnavailable(
            f"the local code sandbox needs bubblewrap ('{executable}' was not found): {INSTALL}; {UNSAFE_HINT}"
        )
    return found


def sandbox_user(requested: int | None) -> int | None:
    """The host user ID bubblewrap runs as; None: this process's own."""
    if requested is not None:
        return None if requested == os.geteuid() else requested
    return NOBODY if os.geteuid() == 0 else None


def as_user(user: int | None) -> list[str]:
    """The command prefix that runs bubblewrap as ``user`` (None: as ourselves). ``setpriv``
    rather than ``subprocess``'s ``user=``: uvloop's event loop (``rewardkit serve``) refuses that."""
    if user is None:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        raise SandboxUnavailable(
            f"rewardkit runs as root, so the sandbox runs as user {user}, which needs setpriv "
            "(apt-get install util-linux); or set sandbox_options user to your own user ID"
        )
    return [setpriv, f"--reuid={user}", f"--regid={user}", "--clear-groups", "--"]


SPAWN = {"cwd": "/", "env": {}}  # how bubblewrap is started: nothing of our environment


# -- the seccomp filter ----------------------------------------------------------------------
# A classic BPF program over struct seccomp_data (nr at offset 0, arch at 4, the arguments from 16,
# 8 bytes each: their low words on these little-endian machines), as bubblewrap's --seccomp reads
# it. Per architecture: its AUDIT_ARCH value, the numbers of the calls refused, and setsockopt's.
ARCHITECTURES = {
    "x86_64": (0xC000003E, {"memfd_create": 319, "memfd_secret": 447, "shmget": 29, "semget": 64, "msgget": 68, "mq_open": 240}, 54),
    "aarch64": (0xC00000B7, {"memfd_create": 279, "memfd_secret": 447, "shmget": 194, "semget": 190, "msgget": 186, "mq_open": 180}, 208),
}
X32_BIT = 0x40000000  # x86-64's x32 ABI: the same architecture value, system call numbers with this bit
# setsockopt(fd, SOL_SOCKET, one of these) is refused: a socket's buffers hold memory no process's
# resident size shows, up to net.core.[rw]mem_max each (4 MB and more on tuned hosts: 235 MB held
# by one process of 64 sockets under a 256 MB cap); at the default size they hold about 200 kB.
SOL_SOCKET, BUFFER_OPTIONS = 1, (7, 8, 32, 33)  # SO_SNDBUF, SO_RCVBUF, SO_SNDBUFFORCE, SO_RCVBUFFORCE
_LOAD, _JEQ, _JGE, _RETURN = 0x20, 0x15, 0x35, 0x06  # BPF_LD|W|ABS, BPF_JMP|JEQ|K, BPF_JMP|JGE|K, BPF_RET|K
_ARGUMENT = 16  # offset of the first argument in struct seccomp_data
_ALLOW, _EPERM = 0x7FFF0000, 0x00050000 | 1  # SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO | EPERM


def seccomp_filter(machine: str | None = None) -> bytes | None:
    """The filter refusing the calls that make memory no process holds, for this machine's
    architecture (``platform.machine()``); None where rewardkit does not know its numbers."""
    known = ARCHITECTURES.get(machine or platform.machine())
    if known is None:
        return None
    arch, numbers, setsockopt = known
    refused = sorted(numbers.values())
    # 0 load arch; 1 native: skip 2; 2 refuse; 3 load nr; 4 x32: refuse; 5.. each refused number;
    # then setsockopt's level and option checked (else allow); then allow, then (at ``refuse``)
    # refuse. A jump skips ``target - index - 1`` instructions.
    options = 5 + len(refused)  # where setsockopt is looked at
    allow = options + 4 + len(BUFFER_OPTIONS)
    refuse = allow + 1
    program = [(_LOAD, 0, 0, 4), (_JEQ, 1, 0, arch), (_RETURN, 0, 0, _EPERM), (_LOAD, 0, 0, 0)]
    program.append((_JGE, refuse - 4 - 1, 0, X32_BIT))
    for i, number in enumerate(refused):
        program.append((_JEQ, refuse - (5 + i) - 1, 0, number))
    program += [
        (_JEQ, 0, allow - options - 1, setsockopt),
        (_LOAD, 0, 0, _ARGUMENT + 8),  # the level
        (_JEQ, 0, allow - (options + 2) - 1, SOL_SOCKET),
        (_LOAD, 0, 0, _ARGUMENT + 16),  # the option
    ]
    for i, option in enumerate(BUFFER_OPTIONS):
        program.append((_JEQ, refuse - (options + 4 + i) - 1, 0, option))
    program += [(_RETURN, 0, 0, _ALLOW), (_RETURN, 0, 0, _EPERM)]
    return b"".join(struct.pack("=HBBI", *instruction) for instruction in program)


@contextlib.contextmanager
def seccomp_fd() -> Iterator[int | None]:
    """A file descriptor to read the filter from (for ``--seccomp``, passed to bubblewrap), closed
    on leaving; None where there is no filter for this architecture."""
    data = seccomp_filter()
    if data is None:
        yield None
        return
    read, write = os.pipe()  # the filter is far smaller than a pipe's buffer: written at once
    try:
        os.write(write, data)
        os.close(write)
        yield read
    finally:
        os.close(read)


def program_python(requested: str | None, user: int | None) -> str:
    """The interpreter that runs Python programs: ``requested``, else this Python's own (not a
    virtual environment's) when ``user`` can run it, else Debian's ``/usr/bin/python3``."""
    if requested:
        found = shutil.which(requested)
        if found is None:
            raise SandboxUnavailable(f"the Python interpreter '{requested}' (sandbox option python) was not found")
        return os.path.realpath(found)
    candidates = [os.path.realpath(sys.executable), FALLBACK_PYTHON]
    for candidate in candidates:
        if os.path.exists(candidate) and _runnable_by(candidate, user):
            return os.path.realpath(candidate)
    raise SandboxUnavailable(
        f"no Python interpreter that user {user} can run: {', '.join(candidates)}; install python3 "
        "or set the sandbox option python to an interpreter every user can read"
    )


def _runnable_by(path: str, user: int | None) -> bool:
    if user is None:
        return os.access(path, os.X_OK)
    real = Path(os.path.realpath(path))
    for directory in real.parents:
        if not os.stat(directory).st_mode & stat.S_IXOTH:
            return False
    mode = os.stat(real).st_mode
    return bool(mode & stat.S_IROTH and mode & stat.S_IXOTH)


def python_binds(python: str) -> tuple[str, ...]:
    """Host directories the sandbox needs for ``python``: its installation, unless under /usr."""
    real = Path(os.path.realpath(python))
    if real.is_relative_to("/usr"):
        return ()
    return (str(real.parent.parent),)


@functools.lru_cache(maxsize=None)
def features(bwrap: str) -> frozenset[str]:
    """The options this bubblewrap knows among those the sandbox uses when available."""
    shown = subprocess.run([bwrap, "--help"], capture_output=True, text=True, timeout=30).stdout
    return frozenset(option for option in ("--disable-userns", "--size") if option in shown)


def argv(bwrap: str, binds: tuple[str, ...], tmp_bytes: int, user: int | None, seccomp: int | None) -> list[str]:
    """The command line up to (and including) bubblewrap's ``--``: bubblewrap run as ``user``,
    with the seccomp filter read from fd ``seccomp``."""
    known = features(bwrap)
    args = [*as_user(user), bwrap, "--unshare-all", "--unshare-user", "--uid", SANDBOX_ID, "--gid", SANDBOX_ID]
    if seccomp is not None:
        args += ["--seccomp", str(seccomp)]
    args += ["--die-with-parent", "--new-session", "--as-pid-1", "--cap-drop", "ALL"]
    if "--disable-userns" in known:
        args.append("--disable-userns")
    args += ["--ro-bind", "/usr", "/usr"]
    for name in TOP_LEVEL:
        path = f"/{name}"
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    for path in ETC:
        args += ["--ro-bind-try", path, path]
    for path in binds:
        args += ["--ro-bind", path, path]
    args += ["--dev", "/dev", "--proc", "/proc"]
    if "--size" in known:
        args += ["--size", str(tmp_bytes)]
    args += ["--tmpfs", WORKDIR, "--remount-ro", "/dev", "--remount-ro", "/", "--chdir", WORKDIR, "--clearenv"]
    for key, value in ENVIRONMENT.items():
        args += ["--setenv", key, value]
    return [*args, "--"]


@functools.lru_cache(maxsize=None)
def check(bwrap: str, user: int | None, python: str, binds: tuple[str, ...]) -> None:
    """Start one sandbox running ``python`` (once per process and setting); raise naming the fix if it fails."""
    try:
        with seccomp_fd() as fd:
            command = [*argv(bwrap, binds, 1 << 20, user, fd), python, "-I", "-S", "-c", "pass"]
            fds = () if fd is None else (fd,)
            done = subprocess.run(command, capture_output=True, text=True, timeout=60, pass_fds=fds, **SPAWN)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SandboxUnavailable(f"bubblewrap could not start a sandbox: {exc}; {UNSAFE_HINT}") from None
    if done.returncode != 0:
        as_user = f" as user {user}" if user is not None else ""
        why = done.stderr.strip() or f"exit status {done.returncode}"
        raise SandboxUnavailable(
            f"bubblewrap could not start a sandbox{as_user}: {why}. "
            "It needs user namespaces (sysctl kernel.unprivileged_userns_clone=1; inside Docker, "
            f"--security-opt seccomp=unconfined or a runtime that allows them); {UNSAFE_HINT}"
        )
