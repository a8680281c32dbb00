"""Hook specifications: the only things a rewardkit plugin implements."""

import pluggy

hookspec = pluggy.HookspecMarker("rewardkit")
hookimpl = pluggy.HookimplMarker("rewardkit")


@hookspec
def register_rewards(register):
    "Register reward classes: call register(RewardClass) once for each."


@hookspec
def register_extractors(register):
    "Register answer extractors: call register(name, function) once for each."


@hookspec
def register_language_detectors(register):
    "Register language detector backends: call register(name, DetectorClass) once for each."


@hookspec
def register_sandboxes(register):
    """Register code-execution backends: call register(name, SandboxClass) once for each.

    A backend subclasses ``rewardkit.plugins.code.Sandbox`` (or ``ProgramSandbox``, which needs
    only ``async run(program) -> Execution``); the code rewards pick one by name (``sandbox:``).
    """


@hookspec
def register_second_opinions(register):
    """Register independent re-checks of a reward's verdicts: call register(reward_name, checker).

    ``checker(completions, golds) -> list[bool | None]`` judges each completion text against its
    gold answer on its own (None: no opinion). ``rewardkit diagnose`` lists where it disagrees
    with the reward.
    """
