"""A composition as verl's custom reward function: ``compute_score`` per sample, ``compute_score_batch`` per batch.

verl (0.9) config::

    reward:
      custom_reward_function:
        path: pkg://rewardkit.integrations.verl   # older verl: this module's file path
        name: compute_score                      # compute_score_async: awaited by verl's reward loop
                                                 # compute_score_batch: the legacy "batch" reward manager
        reward_kwargs:
          composition: gsm8k                     # a preset, a YAML path or an inline mapping
          gold_column: answer                    # optional: the column ground_truth fills
          none_score: 0.0                        # optional: the reward of an unscorable sample

Each sample's result is a dict, which verl's reward managers log column by column: ``score``
(the weighted total), every component's own score, and ``unscored`` (1.0 when the composition
gave ``None``; verl needs a number, so ``score`` and such components are then ``none_score``).
``ground_truth`` fills the gold column and every key of ``extra_info`` is passed as a dataset
column too, the way TRL passes dataset columns; ``data_source`` is not used. The composition is
built on the first call in each process (verl's reward workers) and reused.

verl may load this file by path rather than by module name, so every import is absolute.
"""

from __future__ import annotations

from typing import Any, Sequence

from rewardkit.composition import Composition
from rewardkit.composition_loader import shared_composition
from rewardkit.errors import ConfigError
from rewardkit.row_scoring import columns_of
from rewardkit.integrations.compositions import check_none_score, filled, gold_column

OPTIONS = ("composition", "gold_column", "none_score")
# Keyword arguments verl's reward managers add to every call when a reward router is set: not used.
VERL_ARGUMENTS = ("reward_router_address", "reward_model_tokenizer")
# Parameters of Composition.score: extra_info keys of these names cannot be passed as columns.
RESERVED_COLUMNS = ("completions", "prompts")


def compute_score(
    data_source: Any, solution_str: str, ground_truth: Any, extra_info: dict | None = None, **reward_kwargs: Any
) -> dict[str, float]:
    """Score one response: ``{"score": total, <component>: score, ..., "unscored": 0.0 or 1.0}``."""
    return compute_score_batch([data_source], [solution_str], [ground_truth], [extra_info], **reward_kwargs)[0]


async def compute_score_async(
    data_source: Any, solution_str: str, ground_truth: Any, extra_info: dict | None = None, **reward_kwargs: Any
) -> dict[str, float]:
    """:func:`compute_score` as a coroutine, for verl's reward loop (``name: compute_score_async``):
    verl awaits it for many samples at once, so async rewards (a judge) overlap across samples."""
    composition, completions, columns, none_score = _request(
        [solution_str], [ground_truth], [extra_info], reward_kwargs
    )
    return filled(await composition.ascore(completions, None, **columns), none_score).rows()[0]


def compute_score_batch(
    data_sources: Sequence[Any],
    solution_strs: Sequence[str],
    ground_truths: Sequence[Any],
    extra_infos: Sequence[dict | None] | None = None,
    **reward_kwargs: Any,
) -> list[dict[str, float]]:
    """Score a batch in one composition call; one dict per response, as :func:`compute_score` returns."""
    composition, completions, columns, none_score = _request(solution_strs, ground_truths, extra_infos, reward_kwargs)
    return filled(composition.score(completions, None, **columns), none_score).rows()


def _request(
    solution_strs: Sequence[str],
    ground_truths: Sequence[Any],
    extra_infos: Sequence[dict | None] | None,
    reward_kwargs: dict[str, Any],
) -> tuple[Composition, list[str], dict[str, list[Any]], float]:
    """The composition, completions, columns and none_score a verl call asks for."""
    options = _options(reward_kwargs)
    composition = shared_composition(options["composition"])
    n = len(solution_strs)
    if len(ground_truths) != n:
        raise ConfigError(f"verl: got {len(ground_truths)} ground truths for {n} responses")
    columns = _columns(extra_infos, n)
    columns[gold_column(composition, options.get("gold_column"))] = [_scalar(g) for g in ground_truths]
    return composition, [str(s) for s in solution_strs], columns, options["none_score"]


def _options(reward_kwargs: dict[str, Any]) -> dict[str, Any]:
    unknown = [k for k in reward_kwargs if k not in OPTIONS and k not in VERL_ARGUMENTS]
    if unknown:
        raise ConfigError(
            f"verl reward_kwargs: unknown key '{unknown[0]}' (valid: {', '.join(OPTIONS)})"
        )
    if reward_kwargs.get("composition") is None:
        raise ConfigError(
            "verl reward_kwargs: 'composition' is required (a preset name such as gsm8k, a YAML path or a mapping)"
        )
    return {
        "composition": reward_kwargs["composition"],
        "gold_column": reward_kwargs.get("gold_column"),
        "none_score": check_none_score(reward_kwargs.get("none_score", 0.0), "verl reward_kwargs"),
    }


def _columns(extra_infos: Sequence[dict | None] | None, n: int) -> dict[str, list[Any]]:
    """Every extra_info key as a column (None in rows without it)."""
    if extra_infos is None:
        return {}
    infos = [info if isinstance(info, dict) else {} for info in extra_infos]
    if len(infos) != n:
        raise ConfigError(f"verl: got {len(infos)} extra_info entries for {n} responses")
    return columns_of(infos, exclude=RESERVED_COLUMNS, convert=_scalar)


def _scalar(value: Any) -> Any:
    """A numpy scalar (verl's batches are numpy object arrays) as the Python value it holds."""
    if type(value).__module__ == "numpy" and hasattr(value, "item") and getattr(value, "ndim", 1) == 0:
        return value.item()
    return value
