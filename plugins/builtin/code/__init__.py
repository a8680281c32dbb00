"""Code execution: programs written by the model run against the row's tests, in a sandbox.

The rewards (:mod:`.rewards`) take the completion's last fenced block of the language
(:mod:`.blocks`), read the row's tests as the public datasets store them (:mod:`.problems`) and
send both as one request (:mod:`.sandbox`) to a backend registered through the
``register_sandboxes`` hook: ``local`` (bubblewrap, :mod:`.local` and :mod:`.bubblewrap`),
``unsafe_local`` (no sandbox), ``sandbox_fusion`` and ``piston`` (:mod:`.services`). Inside the
sandbox :mod:`.runner` runs and judges every test of a problem, with :mod:`.harness` loading the
program for call and assert tests. :mod:`.runs` lets rewards share runs of the same program.
"""

from rewardkit.hookspecs import hookimpl

from .local import LocalSandbox, UnsafeLocalSandbox
from .rewards import CodeFormat, CodePassed, CodePassRate
from .sandbox import (
    CodeRequest,
    CodeResult,
    Execution,
    Limits,
    Program,
    ProgramSandbox,
    Sandbox,
    SandboxError,
    SandboxOptions,
    TestCase,
    TestOutcome,
)
from .services import Piston, SandboxFusion


@hookimpl
def register_rewards(register):
    for reward in (CodePassRate, CodePassed, CodeFormat):
        register(reward)


@hookimpl
def register_sandboxes(register):
    for sandbox in (LocalSandbox, UnsafeLocalSandbox, SandboxFusion, Piston):
        register(sandbox.name, sandbox)


__all__ = [
    "CodeFormat",
    "CodePassRate",
    "CodePassed",
    "CodeRequest",
    "CodeResult",
    "Execution",
    "Limits",
    "LocalSandbox",
    "Piston",
    "Program",
    "ProgramSandbox",
    "Sandbox",
    "SandboxError",
    "SandboxFusion",
    "SandboxOptions",
    "TestCase",
    "TestOutcome",
    "UnsafeLocalSandbox",
]
