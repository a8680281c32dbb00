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

The process limit counts the processes of one user, so the sandbox's user must not be the host's
root: when rewardkit runs as root it starts bubblewrap as user 65534 (nobody), which then needs
unprivileged user namespaces (Debian and Ubuntu allow them; Ubuntu 24.04's AppArmor profile for
bwrap allows it too). There is no cgroup: memory is bounded per process (address space), so a
program may use at most ``processes`` x ``memory_mb``.
"""

from __future__ import annotations

import functools
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

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


def spawn_options(user: int | None) -> dict[str, Any]:
    """Keyword arguments that start bubblewrap as ``user`` (None: as ourselves)."""
    options: dict[str, Any] = {"cwd": "/", "env": {}}
    if user is not None:
        options.update(user=user, group=user, extra_groups=[])
    return options


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


def argv(bwrap: str, binds: tuple[str, ...], tmp_bytes: int) -> list[str]:
    """bubblewrap's command line up to (and including) ``--``."""
    known = features(bwrap)
    args = [bwrap, "--unshare-all", "--unshare-user", "--uid", SANDBOX_ID, "--gid", SANDBOX_ID]
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
    command = [*argv(bwrap, binds, 1 << 20), python, "-I", "-S", "-c", "pass"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=60, **spawn_options(user))
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
