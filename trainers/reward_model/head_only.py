"""Head-only reward-model training (``trainable_layers: 0``): the base model reads each pair once.

When nothing below the score head trains, running the base model every step, as RewardTrainer
does, recomputes the same features every epoch, and on a CPU that is nearly all of the cost
(SmolLM2-135M reads about 50-80 tokens a second on a shared 2-core machine, so one pass over 2,000
HH-RLHF pairs takes most of an hour). Here the base model reads every training and held-out
sequence once, in inference mode, and the head (one linear layer, ``num_labels`` outputs, on the
last token's features) is fitted on those features with the same losses, Bradley–Terry or the
distribution preference loss, in well under a second per epoch. Held-out accuracy is measured
after every epoch at no cost, which gives the learning curve.

The head is fitted on features scaled to unit variance per dimension (a few dimensions of a
transformer's hidden state are orders of magnitude larger than the rest, and would otherwise set
the step size for all); the scale is folded back into the saved weights, so the saved model
computes exactly ``W·x``.
"""

from __future__ import annotations

import math
import time
from typing import Any, Callable, Sequence

import torch

from .distribution import preference_log_prob

def last_token_features(model: Any, ids_list: Sequence[Sequence[int]], batch_size: int) -> torch.Tensor:
    """What the score head reads for each sequence: the base model's output at its last token, in order."""
    base = model.base_model
    pad = model.config.pad_token_id or 0
    order = sorted(range(len(ids_list)), key=lambda i: len(ids_list[i]))  # batches of similar length pad less
    out = torch.empty(len(ids_list), model.config.hidden_size, dtype=model.dtype)
    for start in range(0, len(order), batch_size):
        chunk = order[start : start + batch_size]
        width = max(len(ids_list[i]) for i in chunk)
        input_ids = torch.full((len(chunk), width), pad, dtype=torch.long)
        mask = torch.zeros((len(chunk), width), dtype=torch.long)
        for row, i in enumerate(chunk):
            input_ids[row, : len(ids_list[i])] = torch.tensor(ids_list[i], dtype=torch.long)
            mask[row, : len(ids_list[i])] = 1
        device = next(model.parameters()).device
        with torch.inference_mode():
            hidden = base(input_ids=input_ids.to(device), attention_mask=mask.to(device)).last_hidden_state
        last = mask.sum(1) - 1
        out[chunk] = hidden[torch.arange(len(chunk)), last.to(device)].cpu()
    return out


def features_of(model: Any, data: dict[str, list], batch_size: int) -> tuple[torch.Tensor, torch.Tensor, float]:
    """Features of the chosen and the rejected sequences of tokenized pairs, and the seconds it took."""
    start = time.perf_counter()
    chosen = last_token_features(model, data["chosen_ids"], batch_size)
    rejected = last_token_features(model, data["rejected_ids"], batch_size)
    return chosen, rejected, time.perf_counter() - start


def pair_loss(chosen: torch.Tensor, rejected: torch.Tensor) -> torch.Tensor:
    """Per pair: ``−log σ(r_w − r_l)`` for one logit, ``−log P(w ≻ l)`` for a 1..K distribution."""
    if chosen.shape[-1] == 1:
        return -torch.nn.functional.logsigmoid(chosen[:, 0] - rejected[:, 0])
    return -preference_log_prob(chosen, rejected)


def head_logits(weight: torch.Tensor, features: torch.Tensor) -> torch.Tensor:
    """The score head's logits as the model computes them (in the model's dtype), as float32."""
    return (features @ weight.to(features.dtype).T).float()


def fit_head(
    head: torch.nn.Linear,
    train: tuple[torch.Tensor, torch.Tensor],
    held_out: tuple[torch.Tensor, torch.Tensor],
    args: Any,
    log: Callable[[str], Any] = print,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
) -> dict[str, Any]:
    """Fit ``head`` (in place) on chosen/rejected features; returns the learning curve, steps and mean loss.

    ``args`` is the run's RewardConfig: ``learning_rate``, ``weight_decay`` (AdamW), ``num_train_epochs``
    or ``max_steps``, ``per_device_train_batch_size``, ``lr_scheduler_type`` (``linear`` or ``constant``),
    ``logging_steps`` and ``seed`` apply. ``loss_fn`` (per-pair loss of chosen and rejected logits)
    replaces :func:`pair_loss`, for experiments with other losses.
    """
    loss_fn = loss_fn or pair_loss
    if args.lr_scheduler_type not in ("linear", "constant"):
        raise ValueError(f"trainable_layers: 0 takes lr_scheduler_type linear or constant, not {args.lr_scheduler_type}")
    chosen, rejected = train
    scale = torch.cat([chosen, rejected]).float().std(0).clamp_min(1e-6)
    x_c, x_r = chosen.float() / scale, rejected.float() / scale
    weight = (head.weight.detach().float() * scale).requires_grad_()  # W·x = (W·scale)·(x / scale)
    optimizer = torch.optim.AdamW([weight], lr=args.learning_rate, weight_decay=args.weight_decay)
    n, batch = len(x_c), args.per_device_train_batch_size
    per_epoch = math.ceil(n / batch)
    total = args.max_steps if args.max_steps > 0 else math.ceil(args.num_train_epochs * per_epoch)
    schedule = (lambda s: 1 - s / total) if args.lr_scheduler_type == "linear" else (lambda s: 1.0)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, schedule)
    generator = torch.Generator().manual_seed(args.seed)
    curve: list[dict[str, float]] = []
    losses: list[float] = []
    epoch_losses: list[float] = []
    for step in range(total):
        if step % per_epoch == 0:
            order = torch.randperm(n, generator=generator)
        rows = order[(step % per_epoch) * batch : (step % per_epoch + 1) * batch]
        loss = loss_fn(x_c[rows] @ weight.T, x_r[rows] @ weight.T).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()
        losses.append(loss.item())
        epoch_losses.append(loss.item())
        if (step + 1) % args.logging_steps == 0:
            log(f"rm-train: step {step + 1}/{total}, loss {sum(losses[-args.logging_steps:]) / args.logging_steps:.4f}")
        if (step + 1) % per_epoch == 0 or step + 1 == total:
            w = (weight.detach() / scale).to(head.weight.dtype)
            curve.append({
                "epoch": (step + 1) / per_epoch,
                "step": step + 1,
                "loss": sum(epoch_losses) / len(epoch_losses),
                "train_accuracy": accuracy(w, chosen, rejected),
                "held_out_accuracy": accuracy(w, *held_out),
            })  # fmt: skip
            epoch_losses = []
    with torch.no_grad():
        head.weight.copy_((weight / scale).to(head.weight.dtype))
    return {"curve": curve, "steps": total, "loss": sum(losses) / max(1, len(losses))}


def accuracy(weight: torch.Tensor, chosen: torch.Tensor, rejected: torch.Tensor) -> float:
    """Share of pairs the head orders right: the logit, or ``E`` over 1..K."""
    from .distribution import rating_moments

    c, r = head_logits(weight, chosen), head_logits(weight, rejected)
    right = c[:, 0] > r[:, 0] if c.shape[-1] == 1 else rating_moments(c)[0] > rating_moments(r)[0]
    return int(right.sum()) / len(right)
