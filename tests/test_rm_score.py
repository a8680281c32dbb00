"""rm_score: tiny local reward models built in the test, scalar and distribution heads."""

from __future__ import annotations

import math
import pickle
import subprocess
import sys

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from _tiny_models import save_reward_model  # noqa: E402

from rewardkit import ParamsError, get_reward  # noqa: E402
from rewardkit.plugins.reward_model import local as rm  # noqa: E402

PROMPT = "what is the answer ?"
GOOD = "the answer is correct , thanks for the question ."
BAD = "go away , stupid question ."


@pytest.fixture(scope="module")
def scalar_dir(tmp_path_factory):
    return save_reward_model(tmp_path_factory.mktemp("rm") / "scalar")


@pytest.fixture(scope="module")
def plain_dir(tmp_path_factory):
    return save_reward_model(tmp_path_factory.mktemp("rm") / "plain", chat_template=False, seed=1)


@pytest.fixture(scope="module")
def rating_dir(tmp_path_factory):
    """A 10-class rating model whose head is zero: a uniform distribution over 1..10."""
    path = save_reward_model(tmp_path_factory.mktemp("rm") / "rating", num_labels=10)
    from transformers import AutoModelForSequenceClassification

    model = AutoModelForSequenceClassification.from_pretrained(path)
    with torch.no_grad():
        model.score.weight.zero_()
    model.save_pretrained(path)
    return path


def manual_logits(path, text, special):
    """What the model says for one rendered text, computed without rewardkit."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModelForSequenceClassification.from_pretrained(path).eval()
    ids = tokenizer(text, add_special_tokens=special, return_tensors="pt")
    with torch.no_grad():
        return model(**ids).logits[0].tolist()


class TestScalarModel:
    def test_score_is_the_models_logit_on_the_chat_rendered_pair(self, scalar_dir):
        reward = get_reward("rm_score", path=str(scalar_dir))
        out = reward.evaluate([GOOD], [PROMPT])
        text = f"<|user|> {PROMPT} <|end|> <|assistant|> {GOOD} <|end|> "
        (expected,) = manual_logits(scalar_dir, text, special=False)
        assert out.scores[0] == pytest.approx(expected, abs=1e-5)
        assert out.extra["logit"][0] == pytest.approx(expected, abs=1e-5)

    def test_shift_scale_and_clip_transform_the_logit(self, scalar_dir):
        raw = get_reward("rm_score", path=str(scalar_dir))([GOOD, BAD], [PROMPT, PROMPT])
        shifted = get_reward("rm_score", path=str(scalar_dir), shift=0.5, scale=-2.0)([GOOD, BAD], [PROMPT, PROMPT])
        assert shifted == pytest.approx([-2.0 * (r - 0.5) for r in raw], abs=1e-5)
        lo = min(shifted)
        clipped = get_reward(
            "rm_score", path=str(scalar_dir), shift=0.5, scale=-2.0, clip_min=lo + 1e-3, clip_max=lo + 2e-3
        )([GOOD, BAD], [PROMPT, PROMPT])
        assert all(lo + 1e-3 - 1e-9 <= c <= lo + 2e-3 + 1e-9 for c in clipped)

    def test_clip_bounds_must_be_ordered(self, scalar_dir):
        with pytest.raises(ParamsError, match="clip_min"):
            get_reward("rm_score", path=str(scalar_dir), clip_min=1.0, clip_max=0.0)

    def test_scores_do_not_depend_on_batch_size_or_order(self, scalar_dir):
        completions = [GOOD, BAD, "sure .", GOOD + " " + GOOD, "no ."]
        prompts = [PROMPT] * len(completions)
        one = get_reward("rm_score", path=str(scalar_dir), batch_size=1)(completions, prompts)
        many = get_reward("rm_score", path=str(scalar_dir), batch_size=4)(completions, prompts)
        reverse = get_reward("rm_score", path=str(scalar_dir), batch_size=3)(completions[::-1], prompts)
        assert many == pytest.approx(one, abs=1e-5)
        assert reverse[::-1] == pytest.approx(one, abs=1e-5)

    def test_bfloat16_scores_close_to_float32(self, scalar_dir):
        f32 = get_reward("rm_score", path=str(scalar_dir), dtype="float32")([GOOD, BAD], [PROMPT, PROMPT])
        bf16 = get_reward("rm_score", path=str(scalar_dir), dtype="bfloat16")([GOOD, BAD], [PROMPT, PROMPT])
        assert bf16 == pytest.approx(f32, abs=0.05)


class TestRendering:
    def test_conversational_and_plain_prompts_render_alike_with_a_chat_template(self, scalar_dir):
        reward = get_reward("rm_score", path=str(scalar_dir))
        plain = reward([GOOD], [PROMPT])
        chat = reward([[{"role": "assistant", "content": GOOD}]], [[{"role": "user", "content": PROMPT}]])
        assert chat == pytest.approx(plain, abs=1e-6)

    def test_system_turn_of_a_conversational_prompt_is_rendered(self, scalar_dir):
        reward = get_reward("rm_score", path=str(scalar_dir))
        with_system = [[{"role": "system", "content": "be kind"}, {"role": "user", "content": PROMPT}]]
        assert reward([GOOD], with_system) != pytest.approx(reward([GOOD], [PROMPT]), abs=1e-6)

    def test_a_prompt_already_rendered_with_the_template_is_not_rendered_twice(self, scalar_dir):
        tokenizer = rm.load_model(str(scalar_dir)).tokenizer
        prompt = f"<|user|> {PROMPT} <|end|> <|assistant|> "
        text, special = rm.render(tokenizer, prompt, GOOD)
        assert text == prompt + GOOD + "</s>" and special

    def test_plain_template_concatenates_and_appends_eos(self, scalar_dir):
        tokenizer = rm.load_model(str(scalar_dir)).tokenizer
        assert rm.render(tokenizer, "Q: hi ", "A: yo", "plain") == ("Q: hi A: yo</s>", True)

    def test_tokenizer_without_chat_template_scores_plain_text(self, plain_dir):
        out = get_reward("rm_score", path=str(plain_dir)).evaluate([GOOD], [PROMPT])
        (expected,) = manual_logits(plain_dir, PROMPT + GOOD + "</s>", special=True)
        assert out.scores[0] == pytest.approx(expected, abs=1e-5)

    def test_chat_template_requested_without_one_is_an_error(self, plain_dir):
        with pytest.raises(ParamsError, match="no chat template"):
            get_reward("rm_score", path=str(plain_dir), template="chat")([GOOD], [PROMPT])

    def test_no_prompt_scores_the_completion_alone(self, scalar_dir):
        assert len(get_reward("rm_score", path=str(scalar_dir))([GOOD, ""])) == 2


class TestTruncation:
    def test_left_truncation_keeps_the_end_of_the_completion(self, scalar_dir):
        reward = get_reward("rm_score", path=str(scalar_dir), max_length=8, template="plain")
        a = "cat dog " * 40 + GOOD
        b = "sky blue water " * 30 + GOOD
        out = reward.evaluate([a, b])
        assert out.scores[0] == pytest.approx(out.scores[1], abs=1e-6)
        assert out.metrics["truncated"] == 2

    def test_right_truncation_keeps_the_start(self, scalar_dir):
        reward = get_reward("rm_score", path=str(scalar_dir), max_length=6, truncation_side="right", template="plain")
        out = reward.evaluate(["cat dog cat dog cat " + GOOD, "cat dog cat dog cat " + BAD])
        assert out.scores[0] == pytest.approx(out.scores[1], abs=1e-6)

    def test_encode_counts_truncated_sequences(self, scalar_dir):
        tokenizer = rm.load_model(str(scalar_dir)).tokenizer
        ids, truncated = rm.encode(tokenizer, [("cat dog cat dog", True), ("cat", True)], max_length=3)
        assert truncated == 1 and [len(i) for i in ids] == [3, 2]


class TestDistributionModel:
    def test_uniform_rating_distribution_gives_its_mean_and_std(self, rating_dir):
        out = get_reward("rm_score", path=str(rating_dir)).evaluate([GOOD, BAD], [PROMPT, PROMPT])
        assert out.scores == pytest.approx([5.5, 5.5])
        assert out.extra["std"] == pytest.approx([math.sqrt(8.25)] * 2)
        assert out.extra["expected"] == pytest.approx([5.5, 5.5])
        assert out.metrics["std_mean"] == pytest.approx(math.sqrt(8.25))

    def test_risk_aversion_subtracts_lambda_times_std(self, rating_dir):
        scores = get_reward("rm_score", path=str(rating_dir), risk_aversion=0.5)([GOOD], [PROMPT])
        assert scores == pytest.approx([5.5 - 0.5 * math.sqrt(8.25)])

    def test_custom_support_changes_the_expected_value(self, rating_dir):
        support = [float(k) / 9 for k in range(10)]
        assert get_reward("rm_score", path=str(rating_dir), support=support)([GOOD]) == pytest.approx([0.5])

    def test_support_of_the_wrong_length_names_the_label_count(self, rating_dir):
        with pytest.raises(ParamsError, match="10 labels"):
            get_reward("rm_score", path=str(rating_dir), support=[1.0, 2.0])([GOOD])

    def test_expected_score_matches_the_softmax_of_the_logits(self, tmp_path):
        path = save_reward_model(tmp_path / "rating", num_labels=10, seed=3)
        reward = get_reward("rm_score", path=str(path), template="plain")
        out = reward.evaluate([GOOD])
        logits = torch.tensor(manual_logits(path, GOOD + "</s>", special=True))
        probs = torch.softmax(logits, -1)
        values = torch.arange(1, 11, dtype=torch.float32)
        mean = float((probs * values).sum())
        assert out.scores[0] == pytest.approx(mean, abs=1e-5)
        assert out.extra["std"][0] == pytest.approx(float((probs * (values - mean) ** 2).sum().sqrt()), abs=1e-5)


class TestOneModelPerProcess:
    def test_entries_naming_the_same_path_share_one_model(self, scalar_dir):
        a = get_reward("rm_score", path=str(scalar_dir), alias="a", shift=1.0)
        b = get_reward("rm_score", path=str(scalar_dir) + "/", alias="b")
        assert a.model is b.model
        assert a.model is not get_reward("rm_score", path=str(scalar_dir), dtype="bfloat16").model

    def test_pickle_leaves_the_model_out_and_finds_it_again(self, scalar_dir):
        reward = get_reward("rm_score", path=str(scalar_dir))
        before = reward([GOOD], [PROMPT])
        data = pickle.dumps(reward)
        assert len(data) < 5_000
        clone = pickle.loads(data)
        assert clone.__name__ == "rm_score"
        assert clone([GOOD], [PROMPT]) == before
        assert clone.model is reward.model


class TestErrors:
    def test_missing_directory_fails_at_construction(self, tmp_path):
        with pytest.raises(ParamsError, match="not a directory"):
            get_reward("rm_score", path=str(tmp_path / "nope"))

    def test_directory_without_config_fails_at_construction(self, tmp_path):
        with pytest.raises(ParamsError, match="config.json"):
            get_reward("rm_score", path=str(tmp_path))

    def test_a_peft_adapter_directory_is_explained(self, tmp_path):
        (tmp_path / "adapter_config.json").write_text("{}")
        with pytest.raises(ParamsError, match="adapter"):
            get_reward("rm_score", path=str(tmp_path))

    def test_remote_code_is_off_unless_asked(self, scalar_dir):
        assert get_reward("rm_score", path=str(scalar_dir)).params.trust_remote_code is False

    def test_a_failing_batch_is_retried_one_by_one(self, scalar_dir, monkeypatch):
        reward = get_reward("rm_score", path=str(scalar_dir), batch_size=4)
        expected = reward([GOOD, BAD, "sure ."])
        real = rm.forward

        def flaky(loaded, ids_list, batch_size):
            if len(ids_list) > 1:
                raise RuntimeError("CUDA out of memory")
            if ids_list[0] == ids_list_bad[0]:
                raise RuntimeError("this one is broken")
            return real(loaded, ids_list, batch_size)

        tok = reward.model.tokenizer
        ids_list_bad = rm.encode(tok, [rm.render(tok, None, BAD)], 1024)[0]
        monkeypatch.setattr(rm, "forward", flaky)
        out = reward.evaluate([GOOD, BAD, "sure ."])
        assert out.scores[0] == pytest.approx(expected[0], abs=1e-5)
        assert out.scores[2] == pytest.approx(expected[2], abs=1e-5)
        assert out.scores[1] == 0.0  # the reward's error score, and counted
        assert out.errors == [(1, "RuntimeError: this one is broken")]


def test_importing_the_plugins_does_not_import_torch_or_transformers():
    code = (
        "import sys, rewardkit.plugins.reward_model, rewardkit.plugins.reward_model.remote; "
        "print('torch' in sys.modules, 'transformers' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False False"


def test_runs_on_cuda_when_available(scalar_dir):
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device: this test runs where torch.cuda.is_available()")
    reward = get_reward("rm_score", path=str(scalar_dir))
    assert reward.model.device == "cuda"
    cpu = get_reward("rm_score", path=str(scalar_dir), device="cpu", dtype="float32")
    gpu = get_reward("rm_score", path=str(scalar_dir), dtype="float32")
    assert gpu([GOOD], [PROMPT]) == pytest.approx(cpu([GOOD], [PROMPT]), abs=1e-3)
