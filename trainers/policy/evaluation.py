"""Evaluating a model with a config's rewards: generate for a dataset split and score per component."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any


def evaluate(
    config: Any,
    *,
    model: str | None = None,
    n: int = 20,
    split: str | None = None,
    max_new_tokens: int | None = None,
    temperature: float = 0.0,
    batch_size: int = 8,
    seed: int | None = None,
    out: str | None = None,
) -> dict[str, Any]:
    """Generate and score ``n`` rows of a config's evaluation split; returns rows, summary and table."""
    from transformers import set_seed

    from .data import dataset_for, eval_source, prepare
    from .generation import as_trl_completions, generate, load_causal_lm
    from .report import score_table

    composition = config.composition()
    _, split = eval_source(config, split)
    rows = dataset_for(config, split=split, evaluation=True)
    rows = prepare(rows, config.model_copy(update={"dataset": config.dataset.model_copy(update={"limit": n})}),
                   composition.required_columns()).rows
    spec = config.model_spec(model)
    lm, tokenizer = load_causal_lm(spec, dtype=str(config.trainer.get("model_init_kwargs", {}).get("dtype", "float32")))
    set_seed(config.seed if seed is None else seed)
    max_new = max_new_tokens or int(config.trainer.get("max_completion_length", 256))
    prompts = list(rows["prompt"])
    start = time.perf_counter()
    texts = generate(lm, tokenizer, prompts, max_new_tokens=max_new, temperature=temperature, batch_size=batch_size)
    seconds = time.perf_counter() - start
    columns = {c: list(rows[c]) for c in rows.column_names if c != "prompt"}
    scores = composition.score(as_trl_completions(prompts, texts), prompts, **columns)
    result_rows = [
        {"index": i, "prompt": prompts[i], "completion": texts[i], "scores": scores.row(i)} for i in range(len(texts))
    ]
    if out:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        with open(out, "w", encoding="utf-8") as handle:
            for row in result_rows:
                handle.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
    return {
        "model": spec,
        "split": split,
        "n": len(texts),
        "seconds": seconds,
        "summary": scores.summary(),
        "table": score_table(composition, scores),
        "rows": result_rows,
        "scores": scores,  # per-sample notes included (Scores.extra)
    }
