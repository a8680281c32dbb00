"""The ``rm_score`` reward: a local sequence-classification model scores prompt + completion.

Scalar models (``num_labels == 1``, e.g. trained with ``rewardkit rm-train`` or TRL's
``RewardTrainer``) give their logit; distribution models (``num_labels > 1``, e.g. a 1..10 rating
head) give the expected score under the softmax, with the standard deviation reported and an
optional risk-averse ``E - λ·σ``.

The model is loaded once per process and shared by every reward entry that names the same path,
dtype and device; instances drop it when pickled and find it again (or reload it) on first use.
Nothing is downloaded: the directory must hold the model and its tokenizer.

The text the model reads comes from :mod:`.rendering`, which ``rewardkit rm-train`` also uses.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any, Literal, Sequence

from pydantic import Field, model_validator

from rewardkit.errors import ParamsError, RewardkitError, import_optional
from rewardkit.extras import Needs
from rewardkit.once import Once
from rewardkit.reward import Batch, Reward, RewardParams

from .rendering import Template, encode, render


class ModelLoadError(RewardkitError, RuntimeError):
    """A reward model directory could not be loaded (missing files, wrong head, ...)."""


# -- loading -------------------------------------------------------------------------------------


@dataclass
class LoadedModel:
    model: Any
    tokenizer: Any
    device: str
    pad_id: int | None
    num_labels: int




def resolve_device(device: str) -> str:
    if device != "auto":
        return device
    torch = import_optional("torch", "train", "rm_score")

    return "cuda" if torch.cuda.is_available() else "cpu"


def resolve_dtype(dtype: str, device: str):
    import torch

    if dtype == "auto":
        if device.startswith("cuda"):
            return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        return torch.float32
    return {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}[dtype]


def check_model_dir(path: str) -> None:
    """Fail early, naming the path, when ``path`` is not a loadable model directory."""
    if not os.path.isdir(path):
        raise ParamsError(f"reward model path '{path}' is not a directory (nothing is downloaded)")
    if not os.path.isfile(os.path.join(path, "config.json")):
        if os.path.isfile(os.path.join(path, "adapter_config.json")):
            raise ParamsError(
                f"'{path}' holds a PEFT adapter, not a model: merge it into its base model and save that "
                "(rewardkit rm-train saves merged models)"
            )
        raise ParamsError(f"reward model path '{path}' has no config.json")


def load_model(path: str, dtype: str = "auto", device: str = "auto", trust_remote_code: bool = False) -> LoadedModel:
    """The process-wide instance of the model at ``path`` (loaded on first use)."""
    return _models.get(os.path.realpath(path), dtype, resolve_device(device), trust_remote_code)


def _load(path: str, dtype: str, device: str, trust_remote_code: bool) -> LoadedModel:
    check_model_dir(path)
    import_optional("torch", "train", "rm_score")
    import_optional("transformers", "train", "rm_score")
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True, trust_remote_code=trust_remote_code)
        model = AutoModelForSequenceClassification.from_pretrained(
            path,
            local_files_only=True,
            trust_remote_code=trust_remote_code,
            dtype=resolve_dtype(dtype, device),
        )
    except (OSError, ValueError) as exc:
        raise ModelLoadError(f"cannot load the reward model at '{path}': {exc}") from exc
    model.to(device)
    model.eval()
    text_config = model.config.get_text_config() if hasattr(model.config, "get_text_config") else model.config
    pad_id = text_config.pad_token_id
    if pad_id is None:
        pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
        text_config.pad_token_id = pad_id  # the head pools at the last token that is not padding
    return LoadedModel(model, tokenizer, device, pad_id, int(model.config.num_labels))


_models = Once(_load, after_fork="keep")  # by (real path, dtype, device, trust_remote_code); a forked child keeps them


def forward(loaded: LoadedModel, ids_list: Sequence[Sequence[int]], batch_size: int) -> list[list[float]]:
    """Logits (``num_labels`` floats) of each sequence, in order; batches are sorted by length."""
    import torch

    order = sorted(range(len(ids_list)), key=lambda i: len(ids_list[i]))
    out: list[list[float] | None] = [None] * len(ids_list)
    step = batch_size if loaded.pad_id is not None else 1
    for start in range(0, len(order), step):
        chunk = order[start : start + step]
        width = max(len(ids_list[i]) for i in chunk)
        pad = loaded.pad_id if loaded.pad_id is not None else 0
        input_ids = torch.full((len(chunk), width), pad, dtype=torch.long)
        mask = torch.zeros((len(chunk), width), dtype=torch.long)
        for row, i in enumerate(chunk):
            ids = ids_list[i]
            input_ids[row, : len(ids)] = torch.tensor(ids, dtype=torch.long)
            mask[row, : len(ids)] = 1
        with torch.inference_mode():
            logits = loaded.model(
                input_ids=input_ids.to(loaded.device), attention_mask=mask.to(loaded.device)
            ).logits
        for row, i in enumerate(chunk):
            out[i] = logits[row].float().cpu().tolist()
    return out  # type: ignore[return-value]


# -- the reward ----------------------------------------------------------------------------------


class RmScoreParams(RewardParams):
    path: str = Field(..., description="local directory of an AutoModelForSequenceClassification and its tokenizer")
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = Field(
        "auto", description="auto: bfloat16 (float16 without bf16) on CUDA, float32 on CPU"
    )
    device: str = Field("auto", description="auto: cuda when available, else cpu; or e.g. cuda:1")
    batch_size: int = Field(8, gt=0, description="sequences per forward pass")
    max_length: int = Field(1024, gt=0, description="tokens per sequence; longer ones are truncated")
    truncation_side: Literal["left", "right"] = Field(
        "left", description="left keeps the end of the text (the completion); right keeps the start"
    )
    template: Template = Field(
        "auto",
        description="chat: the tokenizer's chat template; plain: prompt + completion + EOS; "
        "auto: chat when the tokenizer has a template and the prompt is not already rendered",
    )
    trust_remote_code: bool = Field(False, description="allow model code shipped in the directory")
    support: list[float] | None = Field(
        None, description="values of the classes of a distribution model; None: 1..num_labels"
    )
    risk_aversion: float = Field(0.0, ge=0, description="λ in E - λ·σ for distribution models")
    shift: float = Field(0.0, description="subtracted from the raw reward (e.g. its mean on reference data)")
    scale: float = Field(1.0, description="multiplies the shifted reward")
    clip_min: float | None = Field(None, description="lower bound of the final reward")
    clip_max: float | None = Field(None, description="upper bound of the final reward")

    @model_validator(mode="after")
    def _check(self):
        if self.clip_min is not None and self.clip_max is not None and self.clip_min > self.clip_max:
            raise ValueError("clip_min must not exceed clip_max")
        return self


class RmScore(Reward):
    """Score of a local reward model: ``scale · (raw − shift)``, optionally clipped.

    ``raw`` is the logit of a scalar model (``num_labels == 1``), or, for a distribution model,
    ``E − λ·σ`` where ``E = Σ p_k s_k`` and ``σ² = Σ p_k (s_k − E)²`` under the softmax ``p`` over
    the classes with values ``s`` (``support``, default 1..num_labels). Per sample it notes
    ``logit`` (scalar) or ``expected`` and ``std`` (distribution); per batch it reports
    ``std_mean`` and ``truncated`` (sequences cut to ``max_length``).
    """

    name = "rm_score"
    description = "score of a local sequence-classification reward model (scalar logit or expected 1..10 rating)"
    Params = RmScoreParams
    needs = Needs(modules=("torch", "transformers"), extra="train")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        check_model_dir(self.params.path)

    @property
    def model(self) -> LoadedModel:
        p = self.params
        return load_model(p.path, p.dtype, p.device, p.trust_remote_code)

    def support(self, num_labels: int) -> list[float]:
        p = self.params
        if num_labels == 1:
            return []
        values = list(p.support) if p.support is not None else [float(k) for k in range(1, num_labels + 1)]
        if len(values) != num_labels:
            raise ParamsError(
                f"reward '{self.__name__}': support has {len(values)} values but the model at "
                f"'{p.path}' has {num_labels} labels"
            )
        return values

    def finish(self, raw: float) -> float:
        p = self.params
        value = p.scale * (raw - p.shift)
        if p.clip_min is not None:
            value = max(p.clip_min, value)
        if p.clip_max is not None:
            value = min(p.clip_max, value)
        return value

    def from_logits(self, batch: Batch, i: int, logits: list[float], support: list[float]) -> float:
        if not support:
            batch.note("logit", i, logits[0])
            return self.finish(logits[0])
        top = max(logits)
        weights = [math.exp(x - top) for x in logits]
        total = sum(weights)
        probs = [w / total for w in weights]
        expected = sum(p * s for p, s in zip(probs, support))
        std = math.sqrt(max(0.0, sum(p * (s - expected) ** 2 for p, s in zip(probs, support))))
        batch.note("expected", i, expected)
        batch.note("std", i, std)
        return self.finish(expected - self.params.risk_aversion * std)

    def score_batch(self, batch: Batch) -> list[float | None]:
        p = self.params
        if not len(batch):
            return []
        loaded = self.model
        support = self.support(loaded.num_labels)
        rendered = [
            render(loaded.tokenizer, s.prompt if s.raw_prompt is None else s.raw_prompt, s.raw_completion, p.template)
            for s in batch.samples
        ]
        ids_list, truncated = encode(loaded.tokenizer, rendered, p.max_length, p.truncation_side)
        batch.count("truncated", truncated)
        try:
            all_logits: list[list[float] | None] = list(forward(loaded, ids_list, p.batch_size))
        except RewardkitError:
            raise
        except Exception:  # noqa: BLE001 - retry one by one so one bad sample only costs itself
            all_logits = [None] * len(batch)
        scores: list[float | None] = []
        for i, logits in enumerate(all_logits):
            if logits is None:
                scores.append(self.guarded(batch, i, self._score_alone, batch, i, ids_list[i], support))
            else:
                scores.append(self.from_logits(batch, i, logits, support))
        stds = [v for v in batch.extra.get("std", []) if v is not None]
        if stds:
            batch.figure("std_mean", sum(stds) / len(stds), weight=len(stds))
        return scores

    def _score_alone(self, batch: Batch, i: int, ids: list[int], support: list[float]) -> float:
        (logits,) = forward(self.model, [ids], 1)
        return self.from_logits(batch, i, logits, support)
