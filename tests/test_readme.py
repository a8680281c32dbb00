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


def preset_rows(repo):
    """The README's preset table: preset -> {rewards, weights, settings} cells."""
    text = (repo / "README.md").read_text()
    table = text.split("| preset | rewards | weights | score settings | bundled run |", 1)[1].split("\n\n", 1)[0]
    rows = {}
    for line in table.strip().splitlines()[1:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        rows[cells[0].strip("`")] = {"rewards": cells[1], "weights": cells[2], "settings": cells[3]}
    return rows


def test_the_readme_preset_table_shows_each_presets_rewards_weights_and_score_settings(repo):
    import re

    from rewardkit.composition_loader import load_composition, preset_names, read_preset

    rows = preset_rows(repo)
    assert sorted(rows) == preset_names()
    for name, row in rows.items():
        composition = load_composition(name)
        assert re.findall(r"`(\w+)`", row["rewards"]) == composition.names, name
        assert [float(w) for w in row["weights"].split(",")] == composition.weights, name
        preset_params = {e["name"]: e.get("params", {}) for e in read_preset(name)["rewards"] if e.get("params")}
        shown = {}
        for reward, settings in re.findall(r"`(\w+)` ((?:\w+=(?:\[[\w, ]*\]|[\w.]+)(?:, )?)+)", row["settings"]):
            shown[reward] = dict(re.findall(r"(\w+)=(\[[\w, ]*\]|[\w.]+)", settings))
        assert shown == {r: {k: _as_shown(v) for k, v in p.items()} for r, p in preset_params.items()}, name


def _as_shown(value):
    """A preset parameter as the README's table writes it (``[a, b]``, ``false``, ``0.5``)."""
    if isinstance(value, list):
        return "[" + ", ".join(map(str, value)) + "]"
    return str(value).lower() if isinstance(value, bool) else str(value)


def test_the_readme_trl_script_trains_with_the_gsm8k_preset(repo, tmp_path, monkeypatch):
    """The README's own TRL script, run for one step with a tiny model and the bundled GSM8K rows
    in place of the hub's model and dataset (nothing is downloaded in the tests)."""
    import pytest

    pytest.importorskip("trl")
    from _tiny_models import tiny_model_dir

    script = next(b for b in blocks(repo, "python") if b.startswith("# grpo_gsm8k.py"))
    gsm8k = repo / "rewardkit" / "data" / "gsm8k" / "train.jsonl"
    swaps = {
        'load_dataset("openai/gsm8k", "main", split="train")': f'load_dataset("json", data_files={str(gsm8k)!r}, split="train[:4]")',
        '"Qwen/Qwen2.5-0.5B-Instruct"': repr(str(tiny_model_dir(tmp_path / "model"))),
        "max_steps=200": "max_steps=1, num_generations=4, per_device_train_batch_size=4, max_completion_length=8, "
                         "logging_steps=1, use_cpu=True, bf16=False, activation_checkpointing=False, report_to='none', "
                         "save_strategy='no', disable_tqdm=True",
    }  # fmt: skip
    for hub, local in swaps.items():
        assert script.count(hub) == 1, hub
        script = script.replace(hub, local)
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(script, "README grpo_gsm8k.py", "exec"), namespace)  # the README's own script, not model output
    (record,) = [r for r in namespace["trainer"].state.log_history if "loss" in r]
    names = ["xml_count", "soft_format", "strict_format", "int_answer", "math_correctness"]
    assert [f.__name__ for f in namespace["rewards"].funcs] == names
    assert all(f"rewards/{name}/mean" in record and record[f"rewardkit/{name}/errors"] == 0 for name in names)
