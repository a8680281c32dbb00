"""Runs with tools: the config's tools= and chat template, the bundled sample and its tools."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rewardkit.composition_loader import load_composition
from rewardkit.errors import ConfigError
from rewardkit.trainers.policy import sample_tools
from rewardkit.trainers.policy.config import TrainConfig, bundled_run_path, load_config
from rewardkit.trainers.policy.data import bundled_path
from rewardkit.trainers.policy.tool_calling import chat_template_text, resolve_tools, tool_trainer_kwargs

SAMPLE_TOOLS = [f"rewardkit.trainers.policy.sample_tools:{n}" for n in ("get_weather", "convert_units", "multiply")]


def test_tools_are_resolved_from_import_paths_with_clear_errors():
    assert resolve_tools(SAMPLE_TOOLS) == [sample_tools.get_weather, sample_tools.convert_units, sample_tools.multiply]
    for bad, message in [("no_colon", "not 'package.module:function'"), ("no.such.module:f", "cannot import"),
                         ("rewardkit.trainers.policy.sample_tools:nothing", "no function 'nothing'")]:  # fmt: skip
        with pytest.raises(ConfigError, match=message):
            resolve_tools([bad])


def test_chat_templates_by_trl_name_or_file(tmp_path):
    assert "<tool_call>" in chat_template_text("qwen2_5", tmp_path)
    (tmp_path / "mine.jinja").write_text("{{ messages }}")
    assert chat_template_text("mine.jinja", tmp_path) == "{{ messages }}"
    with pytest.raises(ConfigError, match="no template 'qwen9'.*known: .*qwen2_5"):
        chat_template_text("qwen9", tmp_path)


def test_tools_need_grpo():
    config = TrainConfig(tools=SAMPLE_TOOLS, algorithm="rloo")
    with pytest.raises(ConfigError, match="only GRPO"):
        tool_trainer_kwargs(config, Path("."))
    assert tool_trainer_kwargs(TrainConfig(), Path(".")) == {}


def test_the_sample_tools_answer_deterministically_and_fail_loudly():
    assert sample_tools.get_weather("paris") == "cloudy, 14 C"
    assert sample_tools.convert_units(25, "C", "F") == 77.0 and sample_tools.convert_units(5, "km", "mi") == 3.11
    assert sample_tools.multiply(17, 23) == 391
    with pytest.raises(ValueError, match="no weather for 'Atlantis'"):
        sample_tools.get_weather("Atlantis")


def test_every_sample_row_is_scored_right_by_its_own_expected_calls():
    # The written-out ground truth of each row, as TRL's tool loop records it, scores 1 with the
    # preset; a call where none is expected and no call where one is, 0.
    composition = load_composition("tools")
    rows = [json.loads(line) for split in ("train", "test") for line in bundled_path("tool_use", split).read_text().splitlines()]
    assert len(rows) == 44
    trajectories, wrong = [], []
    for row in rows:
        expected = json.loads(row["ground_truth"])
        calls = [{"type": "function", "function": {"name": n, "arguments": {k: v[0] for k, v in a.items()}}}
                 for e in expected for n, a in e.items()]  # fmt: skip
        turns = [{"role": "assistant", "content": "", "tool_calls": calls}, {"role": "tool", "content": "ok"}] if calls else []
        trajectories.append([*turns, {"role": "assistant", "content": "Done."}])
        wrong.append([{"role": "assistant", "content": "Done."}] if calls else
                     [{"role": "assistant", "content": "", "tool_calls": [{"type": "function", "function": {"name": "multiply", "arguments": {"a": 1, "b": 2}}}]}])  # fmt: skip
    columns = {"ground_truth": [r["ground_truth"] for r in rows]}
    assert composition.score(trajectories, **columns).components["tool_call_match"] == [1.0] * 44
    assert composition.score(wrong, **columns).components["tool_call_match"] == [0.0] * 44


def test_the_bundled_run_config_names_the_sample_and_its_tools():
    config = load_config(bundled_run_path("tools"))
    assert config.tools == SAMPLE_TOOLS and config.chat_template == "qwen2_5" and config.rewards == "tools"


@pytest.mark.slow
def test_a_grpo_run_with_tools_trains_on_trajectories(tmp_path):
    """`rewardkit train` with tools= and Qwen2.5's template on a tiny model: TRL's tool loop runs,
    the rewards score its conversations, and the metrics hold TRL's tool counters and ours."""
    pytest.importorskip("trl")
    import yaml
    from _tiny_models import tiny_model_dir

    from rewardkit.cli import build_parser

    rows = [json.loads(line) for line in bundled_path("tool_use", "train").read_text().splitlines()][:4]
    (tmp_path / "train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    config = {
        "model": str(tiny_model_dir(tmp_path / "model")),
        "dataset": {"path": "train.jsonl"},
        "rewards": "tools",
        "tools": SAMPLE_TOOLS,
        "chat_template": "qwen2_5",
        "trainer": {"max_steps": 1, "per_device_train_batch_size": 2, "num_generations": 2, "max_completion_length": 8,
                    "max_tool_calling_iterations": 1, "use_cpu": True},
        "output_dir": str(tmp_path / "out"),
        "seed": 0,
    }  # fmt: skip
    (tmp_path / "run.yaml").write_text(yaml.safe_dump(config))
    args = build_parser().parse_args(["train", str(tmp_path / "run.yaml")])
    assert args.run(args) == 0
    metrics = [json.loads(line) for line in (tmp_path / "out" / "metrics.jsonl").read_text().splitlines()]
    step = next(m for m in metrics if "reward" in m)
    assert "tools/call_frequency" in step and "rewards/tool_call_match/mean" in step
    assert step["rewardkit/tool_use/calls"] >= 0
