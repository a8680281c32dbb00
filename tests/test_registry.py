"""The pluggy registry: built-ins as plugins, entry points, broken and duplicate plugins."""

import os
import subprocess
import sys
import textwrap

import pytest

from rewardkit import DuplicateNameError, ParamsError, Reward, UnknownRewardError, get_reward, hookimpl
from rewardkit.language_detector import LanguageDetector
from rewardkit.registry import Registry
from rewardkit.testing import InlinePlugin, registered

BUILTIN_FORMAT = {"xml_count", "strict_format", "soft_format", "think_format", "tag_count"}


class Shadow(Reward):
    name = "xml_count"
    description = "clashes with the built-in"

    def score(self, sample):
        return 0.0


class Fresh(Reward):
    name = "fresh"
    description = "a throwaway reward"

    def score(self, sample):
        return 1.0


def test_builtins_register_through_the_plugin_hook():
    registry = Registry(autoload=False)
    rewards = registry.catalogue("reward")
    assert BUILTIN_FORMAT <= set(rewards)
    assert rewards["xml_count"].provider == "rewardkit.plugins.format"
    assert "rewardkit.plugins.format" in registry.plugins()


class Counting:
    """A plugin that counts how often each of its hook implementations is called."""

    def __init__(self, reward: type[Reward]) -> None:
        self.reward = reward
        self.calls = {"rewards": 0, "extractors": 0}

    @hookimpl
    def register_rewards(self, register):
        self.calls["rewards"] += 1
        register(self.reward)

    @hookimpl
    def register_extractors(self, register):
        self.calls["extractors"] += 1
        register(f"{self.reward.name}_extractor", lambda text: text)


def test_registering_a_plugin_calls_only_its_own_hooks_once_each():
    registry = Registry(autoload=False)
    first = Counting(Fresh)
    registry.register(first, name="first")
    others = [Counting(type(f"R{i}", (Fresh,), {"name": f"r{i}"})) for i in range(3)]
    for i, plugin in enumerate(others):
        registry.register(plugin, name=f"other{i}")
    assert first.calls == {"rewards": 1, "extractors": 1}  # not once more per later registration
    assert all(p.calls == {"rewards": 1, "extractors": 1} for p in others)
    assert {"fresh", "r0", "r1", "r2"} <= set(registry.catalogue("reward"))
    assert registry.catalogue("extractor")["r2_extractor"].provider == "other2"
    registry.unregister("other0")  # the catalogues follow an unregistration
    assert "r0" not in registry.catalogue("reward") and "r1" in registry.catalogue("reward")


def test_duplicate_names_fail_naming_both_providers_and_leave_the_registry_intact():
    registry = Registry(autoload=False)
    with pytest.raises(DuplicateNameError, match="'rewardkit.plugins.format' and 'clash'"):
        registry.register(InlinePlugin(Shadow), name="clash")
    assert "clash" not in registry.plugins()
    assert registry.reward("xml_count").__class__ is not Shadow


def test_inline_registration_is_scoped(reward_registry):
    with registered(reward_registry, Fresh):
        assert get_reward("fresh")(["x"]) == [1.0]
    with pytest.raises(UnknownRewardError, match="known rewards: .*xml_count"):
        get_reward("fresh")


def test_inline_reward_fixture(inline_reward):
    inline_reward(Fresh)
    assert get_reward("fresh", alias="f").__name__ == "f"


def _fake_distribution(tmp_path, name, entry_points, modules=None):
    info = tmp_path / f"{name}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[rewardkit]\n" + "".join(f"{k} = {v}\n" for k, v in entry_points.items()))
    for module, source in (modules or {}).items():
        (tmp_path / f"{module}.py").write_text(textwrap.dedent(source))


def _run(tmp_path, code, **env):
    environ = {**os.environ, "PYTHONPATH": str(tmp_path), **env}
    environ.pop("REWARDKIT_DISABLE_PLUGIN_AUTOLOAD", None)
    environ.update(env)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=environ, timeout=120)


GOOD_PLUGIN = """
    from rewardkit import Reward, hookimpl

    class Shout(Reward):
        name = "shout"
        description = "1.0 for upper-case completions"
        def score(self, sample):
            return float(sample.completion.isupper())

    @hookimpl
    def register_rewards(register):
        register(Shout)
"""

LIST = "from rewardkit.registry import Registry; print(sorted(Registry().catalogue('reward')))"


def test_entry_point_plugins_load_and_a_broken_one_is_one_line(tmp_path):
    _fake_distribution(tmp_path, "good_plugin", {"good": "good_mod"}, {"good_mod": GOOD_PLUGIN})
    _fake_distribution(tmp_path, "broken_plugin", {"broken": "no_such_module_xyz"})
    result = _run(tmp_path, LIST)
    assert result.returncode == 0, result.stderr
    assert "'shout'" in result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines == [
        "rewardkit: plugin 'broken' (no_such_module_xyz) failed to load: "
        "ModuleNotFoundError: No module named 'no_such_module_xyz'"
    ]


def test_a_plugin_that_exits_or_raises_a_multi_line_error_is_one_line_and_the_rest_load(tmp_path):
    _fake_distribution(tmp_path, "good_plugin", {"good": "good_mod"}, {"good_mod": GOOD_PLUGIN})
    _fake_distribution(
        tmp_path,
        "bad_plugins",
        {"exits": "exits_mod", "exits_in_hook": "exits_hook_mod", "multiline": "multiline_mod"},
        {
            "exits_mod": "import sys\nsys.exit(3)\n",
            "exits_hook_mod": "import sys\nfrom rewardkit import hookimpl\n"
            "@hookimpl\ndef register_rewards(register):\n    sys.exit('bye')\n",
            "multiline_mod": "raise ValueError('first line\\n  second line\\n')\n",
        },
    )
    result = _run(tmp_path, LIST)
    assert result.returncode == 0, result.stderr
    assert "'shout'" in result.stdout and "'xml_count'" in result.stdout
    lines = sorted(line for line in result.stderr.splitlines() if line.strip())
    assert lines == [
        "rewardkit: plugin 'exits' (exits_mod) failed to load: SystemExit: 3",
        "rewardkit: plugin 'exits_in_hook' (exits_hook_mod) failed to load: SystemExit: bye",
        "rewardkit: plugin 'multiline' (multiline_mod) failed to load: ValueError: first line second line",
    ]


def test_rewardkit_list_survives_a_plugin_that_exits(tmp_path):
    _fake_distribution(tmp_path, "exits_plugin", {"exits": "exits_mod"}, {"exits_mod": "raise SystemExit(4)\n"})
    result = _run(tmp_path, "from rewardkit.cli import main; raise SystemExit(main(['list']))")
    assert result.returncode == 0 and "xml_count" in result.stdout
    assert "plugin 'exits' (exits_mod) failed to load: SystemExit: 4" in result.stderr


def test_a_reward_class_without_a_name_is_refused_naming_class_and_plugin():
    class Nameless(Reward):
        description = "forgot its name"

        def score(self, sample):
            return 1.0

    registry = Registry(autoload=False)
    with pytest.raises(TypeError, match=r"plugin 'careless': reward class .*Nameless has no 'name'"):
        registry.register(InlinePlugin(Nameless), name="careless")
    assert "careless" not in registry.plugins() and "" not in registry.catalogue("reward")


def test_autoload_can_be_disabled_and_allowlisted(tmp_path):
    _fake_distribution(tmp_path, "good_plugin", {"good": "good_mod"}, {"good_mod": GOOD_PLUGIN})
    _fake_distribution(tmp_path, "broken_plugin", {"broken": "no_such_module_xyz"})
    off = _run(tmp_path, LIST, REWARDKIT_DISABLE_PLUGIN_AUTOLOAD="1")
    assert "'shout'" not in off.stdout and off.stderr == ""
    allow = _run(tmp_path, LIST, REWARDKIT_PLUGINS="good")
    assert "'shout'" in allow.stdout and "broken" not in allow.stderr


def test_duplicate_from_an_entry_point_fails_at_load(tmp_path):
    clash = GOOD_PLUGIN.replace('name = "shout"', 'name = "xml_count"')
    _fake_distribution(tmp_path, "clash_plugin", {"clash": "clash_mod"}, {"clash_mod": clash})
    result = _run(tmp_path, LIST)
    assert result.returncode != 0
    assert "reward 'xml_count' is registered by both 'rewardkit.plugins.format' and 'clash'" in result.stderr


class PrivateHelpers:
    """Registers an extractor and a language detector under names no other registry has."""

    @staticmethod
    def first_word(text, **_):
        return text.split()[0] if text.split() else None

    @hookimpl
    def register_extractors(register):  # noqa: N805 - pluggy calls it unbound on the class
        register("first_word", PrivateHelpers.first_word)

    @hookimpl
    def register_language_detectors(register):  # noqa: N805
        register("always_german", AlwaysGerman)


class AlwaysGerman(LanguageDetector):
    name = "always_german"

    def detect(self, text):
        return [("de", 1.0)]


def test_a_reward_looks_up_its_helpers_in_the_registry_that_built_it(reward_registry):
    private = Registry(autoload=False)
    private.register(PrivateHelpers, "private-helpers")
    math = private.reward("math_correctness", {"extractors": ["first_word"]})
    assert math(["7 apples", "8 pears"], answer=["7", "7"]) == [1.0, 0.0]
    language = private.reward("language_consistency", {"target": "de", "detector": "always_german"})
    assert language(["This sentence is plainly written in English."]) == [1.0]
    # the process-wide registry (here the test's isolated one) knows neither name
    with pytest.raises(ParamsError, match="first_word"):
        reward_registry.reward("math_correctness", {"extractors": ["first_word"]})
    with pytest.raises(UnknownRewardError, match="always_german"):
        get_reward("language_consistency", detector="always_german")


def test_a_pickled_bound_reward_scores_the_same_without_its_registry(reward_registry):
    import pickle

    private = Registry(autoload=False)
    math = private.reward("math_correctness", {"extractors": ["boxed"]})
    clone = pickle.loads(pickle.dumps(math))
    assert clone.registry is None
    assert clone([r"\boxed{3}"], answer=["3"]) == math([r"\boxed{3}"], answer=["3"]) == [1.0]


class Contrarian:
    """A second opinion that always says the opposite of a 1.0/0.0 reward (to see it reach diagnose)."""

    @staticmethod
    def check(completions, golds):
        return [c != "right" for c in completions]

    @hookimpl
    def register_second_opinions(register):  # noqa: N805 - pluggy calls it unbound on the class
        register("says_please", Contrarian.check)


def test_second_opinions_register_through_their_hook(tmp_path):
    import json

    from rewardkit.diagnostics import diagnose, load

    registry = Registry(autoload=False)
    builtin = registry.catalogue("second_opinion")
    assert {n: e.provider for n, e in builtin.items()} == {
        "math_correctness": "rewardkit.plugins.math", "accuracy": "rewardkit.plugins.math"}
    registry.register(Contrarian, "contrarian")
    assert registry.catalogue("second_opinion")["says_please"].provider == "contrarian"
    with pytest.raises(DuplicateNameError, match="second_opinion 'says_please' is registered by both 'contrarian' and 'again'"):
        registry.register(type("Again", (Contrarian,), {}), "again")
    rows = [{"completion": c, "rewardkit": {"components": {"says_please": s}, "total": s, "weights": {"says_please": 1.0}}}
            for c, s in (("right", 1.0), ("wrong", 0.0), ("right", 1.0))]
    path = tmp_path / "scored.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    opinion = diagnose(load(path), registry)["second_opinions"]["says_please"]
    assert opinion["checker"] == "contrarian" and opinion["judged"] == 3
    assert [d["row"] for d in opinion["disagreements"]] == [0, 1, 2]


class EchoSandbox:
    """A plugin registering a code sandbox backend (a name the built-ins do not use)."""

    @staticmethod
    @hookimpl
    def register_sandboxes(register):
        from rewardkit.plugins.code import ProgramSandbox

        class Echo(ProgramSandbox):
            name = "echo"

        register("echo", Echo)


def test_sandboxes_register_through_their_hook():
    registry = Registry(autoload=False)
    builtin = registry.catalogue("sandbox")
    assert {n: e.provider for n, e in builtin.items()} == {
        name: "rewardkit.plugins.code" for name in ("local", "unsafe_local", "sandbox_fusion", "piston")}
    registry.register(EchoSandbox, "echo-plugin")
    assert registry.get("sandbox", "echo").name == "echo"
    with pytest.raises(DuplicateNameError, match="sandbox 'echo' is registered by both 'echo-plugin' and 'again'"):
        registry.register(type("Again", (EchoSandbox,), {}), "again")
