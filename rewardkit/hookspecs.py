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
