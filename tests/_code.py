"""Helpers for the code-execution tests: fenced completions, the sandbox check, a user's own backend."""

from __future__ import annotations

import asyncio
import sys

import pytest

from rewardkit import hookimpl
from rewardkit.plugins.code import Execution, Program, ProgramSandbox


def fenced(code: str, language: str = "python") -> str:
    return f"Here is my solution.\n```{language}\n{code}\n```\n"


# A broken variant of a HumanEval solution: its return value nudged.
NUDGE = '''

_canonical_{entry} = {entry}


def {entry}(*args, **kwargs):
    return _nudged(_canonical_{entry}(*args, **kwargs))


def _nudged(value):
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value + 1
    if isinstance(value, str):
        return value + "?"
    if isinstance(value, (list, tuple)):
        return type(value)([*value, None])
    return [value]
'''


def canonical(problem: dict) -> str:
    return problem["prompt"] + problem["canonical_solution"]


def broken(problem: dict) -> str:
    return canonical(problem) + NUDGE.format(entry=problem["entry_point"])


def require_local_sandbox() -> None:
    """Skip, naming the fix, where bubblewrap cannot make a sandbox on this machine."""
    from rewardkit.plugins.code import LocalSandbox
    from rewardkit.plugins.code.bubblewrap import SandboxUnavailable

    try:
        LocalSandbox()
    except SandboxUnavailable as exc:
        pytest.skip(f"no local code sandbox here: {exc}")


class PlainProcesses(ProgramSandbox):
    """A user's own backend (no isolation: trusted test programs only): each run is one Python
    process, counted so that tests can see how many runs a batch made."""

    name = "plain_processes"
    runs = 0

    async def run(self, program: Program) -> Execution:
        type(self).runs += 1
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-c", program.code,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        try:
            out, err = await asyncio.wait_for(process.communicate(program.stdin.encode()), program.limits.timeout)
        except asyncio.TimeoutError:
            process.kill()
            await process.wait()
            return Execution("timeout")
        return Execution("finished", out.decode(), err.decode(), process.returncode)


class PlainProcessesPlugin:
    @hookimpl
    def register_sandboxes(self, register):
        register(PlainProcesses.name, PlainProcesses)
