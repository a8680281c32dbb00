"""The rating-distribution reward head: a preference loss on two softmaxes over the scores 1..K, and its trainer.

A distribution reward model gives each response a softmax ``p`` over K classes whose values
are 1..K (``rm_score`` reads ``E = Σ k·p(k)`` and ``σ``). Trained on preference pairs, it
maximises the probability that the chosen response's score is strictly above the rejected one's:

    P(w ≻ l) = Σ_{i>j} p_w(i) · p_l(j),        L = −log P(w ≻ l)

computed in log space (``logsumexp`` over the K·(K−1)/2 ordered class pairs), so it stays finite
when both softmaxes are sharp. Ties (``Σ_i p_w(i) p_l(i)``) count for neither side.

TRL's ``RewardTrainer`` cannot train this head: it refuses any model whose ``num_labels`` is not 1
and its loss reads one logit per sequence. :class:`DistributionRewardTrainer` is the small
``transformers.Trainer`` that does: it takes the same ``RewardConfig``, the same pre-tokenized
``chosen_ids``/``rejected_ids`` rows and TRL's preference collator. torch is imported with the
module: only training imports it.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import torch
from transformers import Trainer


def preference_log_prob(logits_w: torch.Tensor, logits_l: torch.Tensor) -> torch.Tensor:
    """``log Σ_{i>j} p_w(i) p_l(j)`` per row, from two ``(batch, K)`` logit tensors."""
    log_w = torch.log_softmax(logits_w.float(), dim=-1)
    log_l = torch.log_softmax(logits_l.float(), dim=-1)
    joint = log_w[:, :, None] + log_l[:, None, :]  # [b, i, j] = log p_w(i) + log p_l(j)
    k = joint.shape[-1]
    above = torch.ones(k, k, dtype=torch.bool, device=joint.device).tril(diagonal=-1)  # i > j
    return torch.logsumexp(joint.masked_fill(~above, float("-inf")), dim=(1, 2))


def tie_prob(logits_w: torch.Tensor, logits_l: torch.Tensor) -> torch.Tensor:
    """``Σ_i p_w(i) p_l(i)`` per row: the chance both responses get the same score."""
    return (torch.softmax(logits_w.float(), dim=-1) * torch.softmax(logits_l.float(), dim=-1)).sum(-1)


def rating_moments(logits: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``E = Σ_k k·p(k)`` and ``σ = sqrt(Σ_k p(k)(k − E)²)`` per row, class values 1..K (as rm_score reads them)."""
    probs = torch.softmax(logits.float(), dim=-1)
    values = torch.arange(1, logits.shape[-1] + 1, dtype=torch.float32, device=logits.device)
    expected = (probs * values).sum(-1)
    variance = (probs * (values - expected[:, None]) ** 2).sum(-1)
    return expected, variance.clamp(min=0).sqrt()


class DistributionRewardTrainer(Trainer):
    """``transformers.Trainer`` with the distribution preference loss, on RewardTrainer's data and config.

    Logs, besides the loss, ``accuracy`` (share of pairs with ``E_w > E_l``) and
    ``preference_probability`` (mean ``P(w ≻ l)``) over the batches since the last log.
    """

    def __init__(self, model: Any, args: Any, train_dataset: Any, processing_class: Any, **kwargs: Any) -> None:
        from trl.trainer.reward_trainer import DataCollatorForPreference
        from trl.trainer.utils import disable_dropout_in_model

        if args.disable_dropout:
            disable_dropout_in_model(model)
        collator = DataCollatorForPreference(
            pad_token_id=processing_class.pad_token_id, pad_to_multiple_of=args.pad_to_multiple_of
        )
        super().__init__(
            model=model,
            args=args,
            data_collator=collator,
            train_dataset=train_dataset,
            processing_class=processing_class,
            **kwargs,
        )
        self._pair_metrics: dict[str, list[float]] = defaultdict(list)

    def _set_signature_columns_if_needed(self):
        # the pre-tokenized pair columns, which the model's forward signature does not name
        if self._signature_columns is None:
            self._signature_columns = ["chosen_ids", "rejected_ids"]

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        outputs = model(input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"], use_cache=False)
        chosen, rejected = torch.chunk(outputs.logits, chunks=2)
        log_prob = preference_log_prob(chosen, rejected)
        loss = -log_prob.mean()
        with torch.no_grad():
            accuracy = (rating_moments(chosen)[0] > rating_moments(rejected)[0]).float().mean()
            self._pair_metrics["accuracy"].append(self.accelerator.gather_for_metrics(accuracy).mean().item())
            prob = self.accelerator.gather_for_metrics(log_prob.exp().mean()).mean()
            self._pair_metrics["preference_probability"].append(prob.item())
        return (loss, outputs) if return_outputs else loss

    def log(self, logs: dict[str, float], start_time: float | None = None) -> None:
        logs.update({key: sum(values) / len(values) for key, values in self._pair_metrics.items() if values})
        self._pair_metrics.clear()
        super().log(logs, start_time)
