"""The trainer adapters in-process: verl's compute_score, OpenRLHF's reward_func, the shared composition cache."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml

from rewardkit import ConfigError, load_composition
from rewardkit.integrations import openrlhf, verl
from rewardkit.composition_loader import shared_composition
from rewardkit.integrations.compositions import gold_column

GSM8K_RESPONSE = "<reasoning>\nadd\n</reasoning>\n<answer>\n7\n</answer>\n"


class TestCompositionFor:
    def test_one_composition_per_spec_per_process(self, tmp_path, monkeypatch):
        assert shared_composition("gsm8k") is shared_composition("gsm8k")
        (tmp_path / "c.yaml").write_text("rewards: [xml_count]\n")
        monkeypatch.chdir(tmp_path)
        assert shared_composition("c.yaml") is shared_composition(tmp_path / "c.yaml")  # relative or absolute, one file
        inline = {"rewards": [{"name": "length_target", "params": {"ideal": 3}}]}
        assert shared_composition(inline) is shared_composition(dict(inline))
        assert shared_composition(inline) is not shared_composition({"rewards": [{"name": "length_target"}]})

    def test_a_bad_spec_names_what_is_wrong(self):
        with pytest.raises(ConfigError, match="neither a preset"):
            shared_composition("no-such-preset")
        with pytest.raises(ConfigError, match="expected a preset name"):
            shared_composition(3)

    def test_the_gold_column_is_the_one_required_column_else_answer(self):
        assert gold_column(load_composition("gsm8k")) == "answer"  # math_correctness reads answer or solution
        assert gold_column(load_composition([{"name": "math_correctness", "params": {"gold_column": "sol"}}])) == "sol"
        assert gold_column(load_composition("gsm8k"), "label") == "label"


class TestVerl:
    def test_compute_score_gives_the_total_and_each_component(self):
        result = verl.compute_score("openai/gsm8k", GSM8K_RESPONSE, "7", {"index": 0}, composition="gsm8k")
        scores = load_composition("gsm8k").score([GSM8K_RESPONSE], answer=["7"])
        assert result == {"score": scores.total[0], **{k: v[0] for k, v in scores.components.items()}, "unscored": 0.0}
        assert result["math_correctness"] == 2.0

    def test_the_batch_form_takes_verls_numpy_arrays(self):
        responses = np.array(["\\boxed{7}", "\\boxed{8}", "\\boxed{1,234}"], dtype=object)
        golds = [np.int64(7), np.str_("7"), np.int64(1234)]
        infos = np.array([{"index": i} for i in range(3)], dtype=object)
        rows = verl.compute_score_batch(np.array(["a"] * 3, dtype=object), responses, golds, infos, composition="gsm8k")
        assert [r["math_correctness"] for r in rows] == [2.0, 0.0, 2.0]

    def test_extra_info_keys_are_columns_and_ground_truth_fills_the_gold_column(self):
        spec = {
            "rewards": [
                {"name": "math_correctness", "alias": "final", "params": {"gold_column": "answer"}},
                {"name": "math_correctness", "alias": "first_step", "params": {"gold_column": "step"}},
            ]
        }
        rows = verl.compute_score_batch(
            ["x", "x"], ["\\boxed{3}", "\\boxed{4}"], ["3", "3"], [{"step": "4"}, {"step": "4"}], composition=spec, gold_column="answer"
        )
        assert [(r["final"], r["first_step"]) for r in rows] == [(1.0, 0.0), (0.0, 1.0)]

    def test_an_unscorable_sample_gets_the_none_score_and_is_flagged(self):
        result = verl.compute_score("x", "\\boxed{5}", None, composition=[{"name": "math_correctness"}], none_score=-0.5)
        assert result == {"score": -0.5, "math_correctness": -0.5, "unscored": 1.0}

    def test_verls_own_keyword_arguments_are_accepted(self):
        result = verl.compute_score("x", "\\boxed{5}", "5", composition="gsm8k", reward_router_address=None)
        assert result["math_correctness"] == 2.0

    @pytest.mark.parametrize(
        "kwargs, message",
        [
            ({}, "'composition' is required"),
            ({"composition": "gsm8k", "compostion": "x"}, "unknown key 'compostion'"),
            ({"composition": "gsm8k", "none_score": "zero"}, "none_score must be a finite number"),
        ],
    )
    def test_bad_reward_kwargs_name_the_key(self, kwargs, message):
        with pytest.raises(ConfigError, match=message):
            verl.compute_score("x", "y", "1", **kwargs)


class TestOpenRLHF:
    PROMPT = "<|im_start|>user\nWhat is 3 + 4?<|im_end|>\n<|im_start|>assistant\n"

    @pytest.mark.parametrize(
        "query, prompt, response",
        [
            (PROMPT + GSM8K_RESPONSE + "<|im_end|>", PROMPT, GSM8K_RESPONSE),
            (PROMPT + "7<|im_end|>\n<|endoftext|>", PROMPT, "7"),
            ("<s>[INST] hi [/INST] 7</s>", "<s>[INST] hi [/INST]", " 7"),
            ("Q: hi A: 7<｜end▁of▁sentence｜>", "Q: hi A:", " 7"),
            ("Q: hí A: 7", "Q: hi A:", "í A: 7"),  # a prompt that did not round-trip: the common prefix is cut
            ("just a response", None, "just a response"),
            ("x < y and z|> w", "", "x < y and z|> w"),  # text that only looks like markup stays
        ],
    )
    def test_the_response_is_the_query_after_the_prompt_without_end_tokens(self, query, prompt, response):
        assert openrlhf.response_text(query, prompt) == response

    def test_reward_func_answers_openrlhfs_protocol(self, monkeypatch):
        monkeypatch.setenv(openrlhf.COMPOSITION_ENV, "gsm8k")
        queries = [self.PROMPT + GSM8K_RESPONSE + "<|im_end|>", self.PROMPT + "8<|im_end|>"]
        reply = openrlhf.reward_func(queries, [self.PROMPT] * 2, ["7", "7"])
        scores = load_composition("gsm8k").score([GSM8K_RESPONSE, "8"], [self.PROMPT] * 2, answer=["7", "7"])
        assert reply["rewards"] == reply["scores"] == scores.total
        assert reply["extra_logs"] == {**scores.components, "unscored": [0.0, 0.0]}

    def test_a_copy_of_the_file_reads_the_rewardkit_yaml_beside_it(self, tmp_path, monkeypatch):
        """What OpenRLHF does with --remote_rm_url path/to/file.py: load the file by path, call reward_func."""
        monkeypatch.delenv(openrlhf.COMPOSITION_ENV, raising=False)
        shutil.copy(openrlhf.__file__, tmp_path / "reward.py")
        (tmp_path / "rewardkit.yaml").write_text(yaml.safe_dump({"rewards": [{"name": "math_correctness"}]}))
        spec = importlib.util.spec_from_file_location("reward_func", tmp_path / "reward.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        reply = module.reward_func(["Q \\boxed{7}", "Q \\boxed{6}"], ["Q", "Q"], ["7", "7"])
        assert reply["rewards"] == [1.0, 0.0] and set(reply["extra_logs"]) == {"math_correctness", "unscored"}

    def test_without_a_composition_the_error_says_how_to_name_one(self, monkeypatch):
        monkeypatch.delenv(openrlhf.COMPOSITION_ENV, raising=False)
        with pytest.raises(ConfigError, match="REWARDKIT_COMPOSITION"):
            openrlhf.reward_func(["q"], ["q"], ["1"])

    def test_make_reward_func_for_a_file_of_your_own(self, tmp_path):
        path = tmp_path / "rewards.yaml"
        path.write_text(yaml.safe_dump({"extends": "gsm8k", "weights": {"math_correctness": 0}}))
        reward_func = openrlhf.make_reward_func(path, none_score=-1.0)
        reply = reward_func(["Q " + GSM8K_RESPONSE], ["Q "], ["7"])
        scores = load_composition(path).score([GSM8K_RESPONSE], ["Q "], answer=["7"])
        assert reply["extra_logs"]["math_correctness"] == [2.0]  # logged, weight 0: not in the reward
        assert reply["rewards"] == scores.total == [sum(v[0] for k, v in scores.components.items() if k != "math_correctness")]
