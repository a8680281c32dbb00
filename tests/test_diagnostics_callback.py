"""The live diagnostics callback, driven the way TRL drives it: reward calls, then trainer events."""

from __future__ import annotations

import pytest

pytest.importorskip("transformers")

from transformers import TrainerControl, TrainerState  # noqa: E402

from rewardkit.composition_loader import load_composition  # noqa: E402
from rewardkit.trainers.policy.diagnostics_callback import DiagnosticsCallback  # noqa: E402
from rewardkit.trainers.policy.trl_rewards import trl_rewards  # noqa: E402

EOS = 0


class Recorder:
    def __init__(self):
        self.extra: dict[str, list] = {}

    def log_extra(self, column, values):
        self.extra.setdefault(column, []).extend(values)


def score_batch(rewards, prompts, completions, ids, recorder):
    """What TRL's _calculate_rewards does: every reward function on the batch, in order."""
    for func in rewards.funcs:
        func(completions=completions, prompts=prompts, completion_ids=ids, log_extra=recorder.log_extra)


def callback_of(rewards) -> DiagnosticsCallback:
    return next(c for c in rewards.callbacks if isinstance(c, DiagnosticsCallback))


def setup():
    rewards = trl_rewards(load_composition([{"name": "strict_format"}, {"name": "length_target", "params": {"ideal": 5}}]))
    callback = callback_of(rewards)

    class Tokenizer:
        eos_token_id, pad_token_id = EOS, 1

    state = TrainerState()
    callback.on_train_begin(None, state, TrainerControl(), processing_class=Tokenizer())
    return rewards, callback, state


GOOD = "<reasoning>\nok\n</reasoning>\n<answer>\n1\n</answer>"


def test_each_log_gets_the_figures_of_the_rows_scored_since_the_last_one():
    rewards, callback, state = setup()
    recorder = Recorder()
    prompts = ["p1"] * 4 + ["p2"] * 4
    completions = [GOOD, "x", GOOD, "y" * 40] + [GOOD] * 4
    ids = [[5, 6, EOS], [5] * 8, [5, EOS], [5] * 3] + [[5, EOS]] * 4
    score_batch(rewards, prompts, completions, ids, recorder)
    assert recorder.extra["rewardkit/tokens"] == [len(x) for x in ids]
    assert recorder.extra["rewardkit/truncated"] == [False, True, False, True] + [False] * 4
    state.global_step = 1
    state.log_history.append({"loss": 0.1, "step": 1})
    logs = {"loss": 0.1}
    callback.on_step_end(None, state, TrainerControl())
    callback.on_log(None, state, TrainerControl(), logs=logs)
    # strict_format varies in group p1 only; it is at 0.5 for 6 of 8 rows
    assert logs["rewardkit/diag/strict_format/zero_variance_share"] == 0.5
    assert logs["rewardkit/diag/strict_format/saturation"] == pytest.approx(6 / 8)
    shares = [v for k, v in logs.items() if k.endswith("/variance_share")]
    assert sum(shares) == pytest.approx(1.0)
    assert state.log_history[-1] == {"step": 1, **logs}  # the history's copy stays equal
    later = {"loss": 0.2}
    callback.on_log(None, state, TrainerControl(), logs=later)
    assert later == {"loss": 0.2}  # nothing scored since: nothing added


def test_rows_an_evaluation_scored_are_left_out_and_non_training_logs_are_untouched():
    rewards, callback, state = setup()
    score_batch(rewards, ["p"] * 2, [GOOD, "x"], [[5, EOS], [5, EOS]], Recorder())
    callback.on_step_end(None, state, TrainerControl())
    score_batch(rewards, ["e"] * 2, [GOOD, GOOD], [[5, EOS], [5, EOS]], Recorder())  # the evaluation
    callback.on_evaluate(None, state, TrainerControl())
    summary = {"train_runtime": 1.0}
    callback.on_log(None, state, TrainerControl(), logs=summary)
    assert summary == {"train_runtime": 1.0}
    logs = {"loss": 0.1}
    callback.on_log(None, state, TrainerControl(), logs=logs)
    assert logs["rewardkit/diag/strict_format/zero_variance_share"] == 0.0  # only the training group counted
