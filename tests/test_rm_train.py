"""rm-train: preference data formats, the config, and real (tiny) RewardTrainer runs that rm_score loads."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from rewardkit import ConfigError
from rewardkit.cli import main
from rewardkit.trainers import preferences
from rewardkit.trainers.default_model import ModelNotFoundError
from rewardkit.trainers.reward_model import config as rm_config
from rewardkit.trainers.reward_model import training as rm_training

HH_CHOSEN = (
    "\n\nHuman: How do I bake bread?\n\nAssistant: Mix flour, water, yeast and salt."
    "\n\nHuman: And then?\n\nAssistant: Let it rise, then bake it at 230 degrees."
)
HH_REJECTED = (
    "\n\nHuman: How do I bake bread?\n\nAssistant: Mix flour, water, yeast and salt."
    "\n\nHuman: And then?\n\nAssistant: Figure it out yourself."
)


def spec(**kw):
    return rm_config.DataSpec(path="unused.jsonl", **kw)


class TestPreferenceFormats:
    def test_hh_dialogues_become_a_shared_prompt_and_two_final_turns(self):
        pair = preferences.to_pair({"chosen": HH_CHOSEN, "rejected": HH_REJECTED}, spec())
        assert pair["prompt"] == [
            {"role": "user", "content": "How do I bake bread?"},
            {"role": "assistant", "content": "Mix flour, water, yeast and salt."},
            {"role": "user", "content": "And then?"},
        ]
        assert pair["chosen"] == [{"role": "assistant", "content": "Let it rise, then bake it at 230 degrees."}]
        assert pair["rejected"] == [{"role": "assistant", "content": "Figure it out yourself."}]

    def test_hh_pair_renders_back_to_the_original_text_in_plain_mode(self):
        from _tiny_models import make_tokenizer

        from rewardkit.plugins.reward_model.rendering import render

        tok = make_tokenizer(chat_template=False)
        pair = preferences.to_pair({"chosen": HH_CHOSEN, "rejected": HH_REJECTED}, spec())
        assert render(tok, pair["prompt"], pair["chosen"], "plain") == (HH_CHOSEN + "</s>", True)

    def test_explicit_prompt_pairs_are_kept_as_given(self):
        row = {"prompt": "2+2?", "chosen": "4", "rejected": "5"}
        assert preferences.to_pair(row, spec()) == {"prompt": "2+2?", "chosen": "4", "rejected": "5"}

    def test_conversational_pairs_split_on_the_first_differing_assistant_turn(self):
        user = {"role": "user", "content": "hi"}
        row = {
            "chosen": [user, {"role": "assistant", "content": "hello!"}],
            "rejected": [user, {"role": "assistant", "content": "go away"}],
        }
        pair = preferences.to_pair(row, spec())
        assert pair["prompt"] == [user] and pair["chosen"][0]["content"] == "hello!"

    def test_conversational_prompt_and_chosen_messages_with_custom_keys(self):
        row = {"q": [{"role": "user", "content": "hi"}], "good": "hello", "bad": "meh"}
        pair = preferences.to_pair(row, spec(prompt_key="q", chosen_key="good", rejected_key="bad"))
        assert pair == {"prompt": [{"role": "user", "content": "hi"}], "chosen": "hello", "rejected": "meh"}

    def test_identical_responses_carry_no_preference_and_are_skipped(self, tmp_path):
        path = tmp_path / "p.jsonl"
        rows = [{"prompt": "q", "chosen": "a", "rejected": "a"}, {"prompt": "q", "chosen": "a", "rejected": "b"}]
        rows.append({"chosen": HH_CHOSEN, "rejected": HH_CHOSEN})
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
        pairs, skipped = preferences.load_pairs(str(path), spec())
        assert len(pairs) == 1 and skipped == 2

    def test_a_row_without_the_chosen_key_names_file_line_and_keys(self, tmp_path):
        path = tmp_path / "p.jsonl"
        path.write_text(json.dumps({"prompt": "q", "good": "a", "rejected": "b"}) + "\n")
        with pytest.raises(ConfigError, match=r"p.jsonl:1: missing 'chosen' \(keys: good, prompt, rejected\)"):
            preferences.load_pairs(str(path), spec())

    def test_real_hh_rlhf_file_converts_every_row(self, shared_data):
        path = shared_data / "hh_rlhf_harmless_base" / "test_first2000.jsonl"
        pairs, skipped = preferences.load_pairs(str(path), spec(), limit=300)
        assert len(pairs) == 300 and skipped == 0
        for pair in pairs:
            assert pair["prompt"][0]["role"] == "user" and pair["prompt"][-1]["role"] == "user"
            assert pair["chosen"][0]["role"] == pair["rejected"][0]["role"] == "assistant"
            assert pair["chosen"] != pair["rejected"]

    def test_a_missing_data_file_is_a_config_error_naming_it(self, tmp_path):
        with pytest.raises(ConfigError, match="nope.jsonl' does not exist"):
            preferences.load_pairs(str(tmp_path / "nope.jsonl"), spec())

    def test_held_out_split_is_seeded_and_disjoint(self):
        pairs = [{"prompt": f"question {i}", "chosen": "a", "rejected": "b"} for i in range(50)]
        train, held = preferences.split_pairs(pairs, 0.2, seed=3)
        assert len(held) == 10 and len(train) == 40
        assert preferences.split_pairs(pairs, 0.2, seed=3) == (train, held)
        assert {p["prompt"] for p in train}.isdisjoint({p["prompt"] for p in held})

    def test_pairs_from_one_conversation_stay_on_one_side_of_the_split(self):
        # HH-RLHF rows that open with the same human turn: continuations of one conversation
        opening = {"role": "user", "content": "How do I pick a lock?"}
        pairs = [
            {"prompt": [opening, {"role": "assistant", "content": f"turn {i}"}, {"role": "user", "content": "and?"}],
             "chosen": f"no {i}", "rejected": f"yes {i}"}
            for i in range(6)
        ] + [{"prompt": [{"role": "user", "content": f"q{i}"}], "chosen": "a", "rejected": "b"} for i in range(30)]  # fmt: skip
        for seed in range(10):
            train, held = preferences.split_pairs(pairs, 0.2, seed)
            assert sum(p["prompt"][0] == opening for p in held) in (0, 6)
            assert train and held and len(train) + len(held) == len(pairs)

    def test_pairs_that_all_share_an_opening_cannot_be_split_and_say_so(self):
        pairs = [{"prompt": "same", "chosen": str(i), "rejected": "x"} for i in range(5)]
        with pytest.raises(ConfigError, match="give data.eval_path"):
            preferences.split_pairs(pairs, 0.2, seed=0)


class TestConfig:
    def test_unknown_top_level_key_lists_the_valid_ones(self):
        with pytest.raises(ConfigError, match=r"unknown key 'epochs' \(valid: model, data, max_length"):
            rm_config.load_config({"data": {"path": "x"}, "epochs": 3})

    def test_unknown_data_key_lists_the_data_keys(self):
        valid = r"\(valid: format, prompt_key, chosen_key, rejected_key, path, limit"
        with pytest.raises(ConfigError, match=r"unknown key 'data.file' " + valid):
            rm_config.load_config({"data": {"path": "x", "file": "y"}})

    def test_unknown_trainer_option_suggests_close_matches(self):
        with pytest.raises(ConfigError, match=r"option 'learning_rat' \(did you mean 'learning_rate'"):
            rm_config.load_config({"data": {"path": "x"}, "trainer": {"learning_rat": 1e-4}})

    def test_trainer_options_the_run_manages_point_to_their_key(self):
        with pytest.raises(ConfigError, match="top-level 'max_length'"):
            rm_config.load_config({"data": {"path": "x"}, "trainer": {"max_length": 128}})

    def test_relative_paths_resolve_against_the_yaml_directory(self, tmp_path):
        (tmp_path / "conf").mkdir()
        config_file = tmp_path / "conf" / "rm.yaml"
        config_file.write_text("data: {path: ../data/pairs.jsonl}\nlora: true\n")
        config = rm_config.load_config(config_file)
        assert config.path(config.data.path) == str(tmp_path / "data" / "pairs.jsonl")
        assert config.lora == rm_config.LoraSpec()

    def test_the_example_config_is_valid(self, repo):
        config = rm_config.load_config(repo / "examples" / "rm_train_hh.yaml")
        assert config.data.path.endswith("test_first2000.jsonl") and config.trainable_layers == 0

    def test_lora_and_trainable_layers_both_choosing_what_trains_is_an_error(self):
        with pytest.raises(ConfigError, match="lora and trainable_layers both choose what trains"):
            rm_config.load_config({"data": {"path": "x"}, "lora": True, "trainable_layers": 2})

    def test_trainable_layers_beyond_num_layers_is_an_error(self):
        with pytest.raises(ConfigError, match="trainable_layers 4 exceeds num_layers 2"):
            rm_config.load_config({"data": {"path": "x"}, "num_layers": 2, "trainable_layers": 4})

    def test_head_only_training_names_the_trainer_options_it_does_not_act_on(self):
        with pytest.raises(ConfigError, match=r"trainer options gradient_accumulation_steps, warmup_steps do not act"):
            rm_config.load_config({
                "data": {"path": "x"}, "trainable_layers": 0,
                "trainer": {"learning_rate": 1e-3, "warmup_steps": 5, "gradient_accumulation_steps": 2},
            })  # fmt: skip

    def test_a_missing_local_model_directory_is_a_config_error(self, tmp_path):
        config = rm_config.load_config({"model": str(tmp_path / "nope"), "data": {"path": "x"}})
        with pytest.raises(ModelNotFoundError, match="nope"):
            rm_training.resolve_base_model(config)


# -- real training runs on a tiny model --------------------------------------------------------

TOPICS = "sky cat dog water food weapon question answer".split()
QUESTIONS = ["what is the {} ?", "can you help me with the {} ?", "tell me about the {} .", "how is the {} ?"]
GOOD = "good great helpful kind polite correct thanks sure".split()
BAD = "bad rude wrong awful useless stupid hate never".split()
FILLER = "the a is it this that some more about".split()


def write_pairs(path: Path, n: int, seed: int = 0, conversational: bool = False) -> Path:
    """Synthetic preferences: the chosen response has kind words, the rejected one rude words."""
    rng = random.Random(seed)

    def response(words):
        tokens = rng.sample(FILLER, 4) + rng.sample(words, 2)
        rng.shuffle(tokens)
        return " ".join(tokens) + " ."

    with path.open("w") as fh:
        for _ in range(n):
            q = rng.choice(QUESTIONS).format(" ".join(rng.sample(TOPICS, 3)))  # many prompts: many conversations
            if conversational:
                user = {"role": "user", "content": q}
                row = {
                    "chosen": [user, {"role": "assistant", "content": response(GOOD)}],
                    "rejected": [user, {"role": "assistant", "content": response(BAD)}],
                }
            else:
                row = {"prompt": q, "chosen": response(GOOD), "rejected": response(BAD)}
            fh.write(json.dumps(row) + "\n")
    return path


@pytest.fixture(scope="module")
def base_model(tmp_path_factory):
    pytest.importorskip("trl")
    from _tiny_models import save_causal_lm

    return save_causal_lm(tmp_path_factory.mktemp("base") / "tiny-llama")


def held_out_accuracy_with_rm_score(output_dir: Path, pairs: list[dict]) -> float:
    from rewardkit import get_reward

    settings = json.loads((output_dir / "rewardkit_rm.json").read_text())["rm_score"]
    reward = get_reward("rm_score", **settings)
    prompts = [p["prompt"] for p in pairs]
    chosen = reward([p["chosen"] for p in pairs], prompts)
    rejected = reward([p["rejected"] for p in pairs], prompts)
    return sum(c > r for c, r in zip(chosen, rejected)) / len(pairs)


def test_full_fine_tuning_learns_the_preference_and_rm_score_loads_the_result(tmp_path, base_model):
    data = write_pairs(tmp_path / "pairs.jsonl", 100)
    config = rm_config.load_config(
        {
            "model": str(base_model),
            "data": {"path": str(data), "eval_fraction": 0.2},
            "max_length": 48,
            "output_dir": str(tmp_path / "rm"),
            "trainer": {"learning_rate": 2e-3, "num_train_epochs": 2, "per_device_train_batch_size": 16},
        }
    )
    metrics = rm_training.train_reward_model(config, log=lambda *a: None)
    assert metrics["train_pairs"] + metrics["eval_pairs"] == 100 and abs(metrics["eval_pairs"] - 20) <= 3
    assert metrics["after"]["accuracy"] >= 0.9
    assert metrics["after"]["accuracy"] > metrics["before"]["accuracy"]
    # the Bradley-Terry probability the model gives the chosen response, mean over held-out pairs
    assert metrics["after"]["mean_preference_probability"] > max(0.6, metrics["before"]["mean_preference_probability"])
    saved = json.loads((tmp_path / "rm" / "rm_train_metrics.json").read_text())
    assert saved["after"]["accuracy"] == metrics["after"]["accuracy"]

    _, held = preferences.split_pairs(preferences.load_pairs(str(data), config.data)[0], 0.2, config.seed)
    assert held_out_accuracy_with_rm_score(tmp_path / "rm", held) == metrics["after"]["accuracy"]


def test_lora_run_merges_the_adapter_and_the_saved_model_scores_like_the_trained_one(tmp_path, base_model):
    data = write_pairs(tmp_path / "pairs.jsonl", 80, seed=1, conversational=True)
    config = rm_config.load_config(
        {
            "model": str(base_model),
            "data": {"path": str(data), "eval_fraction": 0.25},
            "max_length": 48,
            "lora": {"r": 8, "alpha": 16, "dropout": 0.0, "target_modules": ["q_proj", "v_proj"]},
            "output_dir": str(tmp_path / "rm"),
            "trainer": {"learning_rate": 1e-2, "num_train_epochs": 3, "per_device_train_batch_size": 16},
        }
    )
    metrics = rm_training.train_reward_model(config, log=lambda *a: None)
    out = tmp_path / "rm"
    assert not (out / "adapter_config.json").exists() and (out / "config.json").exists()
    assert metrics["after"]["accuracy"] >= 0.8
    _, held = preferences.split_pairs(preferences.load_pairs(str(data), config.data)[0], 0.25, config.seed)
    assert held_out_accuracy_with_rm_score(out, held) == metrics["after"]["accuracy"]


@pytest.mark.parametrize("head", ["scalar", "distribution"])
def test_head_only_training_reads_each_pair_once_and_learns_the_preference(tmp_path, base_model, head):
    data = write_pairs(tmp_path / "pairs.jsonl", 200, seed=3)
    config = rm_config.load_config(
        {
            "model": str(base_model),
            "head": head,
            "data": {"path": str(data), "eval_fraction": 0.25},
            "max_length": 48,
            "trainable_layers": 0,
            "output_dir": str(tmp_path / "rm"),
            "trainer": {"learning_rate": 3e-2, "num_train_epochs": 20, "per_device_train_batch_size": 16},
        }
    )
    metrics = rm_training.train_reward_model(config, log=lambda *a: None)
    before, after = metrics["before"], metrics["after"]
    assert after["accuracy"] >= 0.8 and after["accuracy"] > before["accuracy"]
    assert after["accuracy_se"] == pytest.approx((after["accuracy"] * (1 - after["accuracy"]) / after["pairs"]) ** 0.5)
    curve = metrics["learning_curve"]
    assert [point["epoch"] for point in curve] == list(range(1, 21))
    assert curve[-1]["held_out_accuracy"] == after["accuracy"] and curve[-1]["loss"] < curve[0]["loss"]

    # only the head changed: the saved base weights are the base model's
    from safetensors.torch import load_file

    saved, original = load_file(tmp_path / "rm" / "model.safetensors"), load_file(base_model / "model.safetensors")
    shared = [key for key in saved if key in original]
    assert shared and all(torch_equal(saved[key], original[key]) for key in shared)
    _, held = preferences.split_pairs(preferences.load_pairs(str(data), config.data)[0], 0.25, config.seed)
    assert held_out_accuracy_with_rm_score(tmp_path / "rm", held) == pytest.approx(after["accuracy"])


def torch_equal(a, b) -> bool:
    import torch

    return torch.equal(a, b)


def test_last_layers_only_trains_those_layers_and_a_shallower_model_saves_as_one(tmp_path, base_model):
    data = write_pairs(tmp_path / "pairs.jsonl", 100, seed=4)
    config = rm_config.load_config(
        {
            "model": str(base_model),
            "data": {"path": str(data), "eval_fraction": 0.2},
            "max_length": 48,
            "num_layers": 1,
            "trainable_layers": 1,
            "output_dir": str(tmp_path / "rm"),
            "trainer": {"learning_rate": 5e-3, "num_train_epochs": 3, "per_device_train_batch_size": 16},
        }
    )
    metrics = rm_training.train_reward_model(config, log=lambda *a: None)
    assert metrics["after"]["accuracy"] >= 0.8
    saved = json.loads((tmp_path / "rm" / "config.json").read_text())
    assert saved["num_hidden_layers"] == 1
    from safetensors.torch import load_file

    weights, original = load_file(tmp_path / "rm" / "model.safetensors"), load_file(base_model / "model.safetensors")
    assert not any(".layers.1." in key for key in weights)
    assert torch_equal(weights["model.embed_tokens.weight"], original["model.embed_tokens.weight"])
    assert not torch_equal(weights["model.layers.0.mlp.up_proj.weight"], original["model.layers.0.mlp.up_proj.weight"])
    _, held = preferences.split_pairs(preferences.load_pairs(str(data), config.data)[0], 0.2, config.seed)
    assert held_out_accuracy_with_rm_score(tmp_path / "rm", held) == metrics["after"]["accuracy"]


def test_cli_dry_run_trains_nothing_and_bad_config_exits_2(tmp_path, base_model, capsys):
    data = write_pairs(tmp_path / "pairs.jsonl", 20)
    config_file = tmp_path / "rm.yaml"
    config_file.write_text(f"model: {base_model}\ndata: {{path: {data}}}\nmax_length: 32\noutput_dir: out\n")

    assert main(["rm-train", str(config_file), "--dry-run", "--limit", "10"]) == 0
    assert '"before"' in capsys.readouterr().out
    assert not (tmp_path / "out").exists()

    config_file.write_text("data: {path: x}\ntrainer: {nonsense: 1}\n")
    assert main(["rm-train", str(config_file)]) == 2
    assert "unknown RewardConfig option 'nonsense'" in capsys.readouterr().err


def test_importing_the_command_module_does_not_import_torch_or_trl():
    import subprocess
    import sys

    code = ("import sys, rewardkit.trainers.commands.rm_train, rewardkit.trainers.reward_model.training; "
            "print('torch' in sys.modules, 'trl' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False False"
