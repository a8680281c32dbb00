"""The walk of a command stays short: what `rewardkit --help`, `rewardkit score` and building a
composition import and call (counted in a fresh interpreter; behaviour, not time)."""

import json
import subprocess
import sys

HOOKS = ("register_rewards", "register_extractors", "register_language_detectors", "register_sandboxes",
         "register_second_opinions")

# Runs CODE in a fresh interpreter, then prints the rewardkit modules it imported, the other
# top-level packages, and the calls into plugins' register_* hook implementations.
PROBE = """
import json, sys
calls = []
def profile(frame, event, arg):
    if event == "call" and frame.f_code.co_name in {hooks!r} and frame.f_code.co_varnames[:1] == ("register",):
        calls.append(frame.f_globals.get("__name__"))
sys.setprofile(profile)
before = set(sys.modules)
try:
{code}
except SystemExit:
    pass
sys.setprofile(None)
new = set(sys.modules) - before
print(json.dumps({{"rewardkit": sorted(m for m in new if m.split(".")[0] == "rewardkit"),
                   "packages": sorted({{m.split(".")[0] for m in new}}), "calls": calls}}), file=sys.stderr)
"""


def walk(code: str, cwd=None) -> dict:
    source = PROBE.format(hooks=HOOKS, code="\n".join("    " + line for line in code.strip().splitlines()))
    done = subprocess.run([sys.executable, "-c", source], capture_output=True, text=True, timeout=300, cwd=cwd)
    return json.loads(done.stderr.strip().splitlines()[-1])


def run_cli(*argv: str) -> str:
    return f"from rewardkit.cli import main\nmain({list(argv)!r})"


def test_help_imports_the_command_table_and_no_command():
    walked = walk(run_cli("--help"))
    assert walked["rewardkit"] == ["rewardkit", "rewardkit.cli", "rewardkit.commands", "rewardkit.errors"]
    assert not {"pydantic", "yaml", "pluggy", "asyncio"} & set(walked["packages"])


def test_a_commands_help_imports_that_command_only():
    walked = walk(run_cli("score", "--help"))
    commands = [m for m in walked["rewardkit"] if ".commands." in m]
    assert commands == ["rewardkit.commands.score"]
    train = walk(run_cli("train", "--help"))
    assert [m for m in train["rewardkit"] if ".commands." in m] == ["rewardkit.trainers.commands.train"]


def test_scoring_a_file_imports_no_other_command_and_calls_each_plugin_hook_once(tmp_path):
    (tmp_path / "rows.jsonl").write_text(json.dumps({"completion": "<answer>4</answer>", "answer": "4"}) + "\n")
    walked = walk(run_cli("score", "gsm8k", "rows.jsonl"), cwd=tmp_path)
    assert [m for m in walked["rewardkit"] if ".commands." in m] == ["rewardkit.commands.score"]
    assert not [m for m in walked["rewardkit"] if m.startswith("rewardkit.trainers")]
    assert sorted(walked["calls"]) == builtin_hookimpls()  # each implementation once, not once per registration


def test_building_a_composition_imports_no_command_line():
    walked = walk("from rewardkit import load_composition\nload_composition('gsm8k')")
    assert not [m for m in walked["rewardkit"] if m.startswith(("rewardkit.cli", "rewardkit.commands", "rewardkit.trainers"))]
    assert sorted(walked["calls"]) == builtin_hookimpls()


def builtin_hookimpls() -> list[str]:
    """The module of each built-in plugin's hook implementations, one entry per implementation."""
    from rewardkit.registry import Registry

    hook = Registry(autoload=False).pm.hook
    return sorted(impl.plugin.__name__ for spec in HOOKS for impl in getattr(hook, spec).get_hookimpls())
