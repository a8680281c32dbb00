"""The README's code examples run as written."""

import re
import sys


def blocks(repo, language):
    text = (repo / "README.md").read_text()
    return re.findall(rf"```{language}\n(.*?)```", text, re.DOTALL)


def test_custom_reward_and_its_tests_from_the_readme(repo, tmp_path, monkeypatch, reward_registry):
    plugin = next(b for b in blocks(repo, "python") if b.startswith("# my_rewards.py"))
    (tmp_path / "my_rewards.py").write_text(plugin)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "my_rewards", raising=False)
    import my_rewards

    reward_registry.register(my_rewards, "my_rewards")
    assert reward_registry.reward("says_please")(["Please!", "no"]) == [1.0, 0.0]

    tests = next(b for b in blocks(repo, "python") if "def test_says_please" in b)
    namespace: dict = {}
    exec(compile(tests, "README tests", "exec"), namespace)  # the README's own example, not model output
    namespace["test_says_please"]()
    namespace["test_contract"]()


def test_readme_yaml_example_validates(repo, tmp_path):
    from rewardkit.composition_loader import load_composition

    yaml_block = next(b for b in blocks(repo, "yaml") if b.startswith("# rewards.yaml"))
    path = tmp_path / "rewards.yaml"
    path.write_text(yaml_block)
    composition = load_composition(path)
    assert "short" in composition.names
