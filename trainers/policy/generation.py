"""Generating completions outside a trainer: load a causal LM (or an adapter on its base) and sample."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Sequence


def load_causal_lm(spec: str, *, dtype: str = "float32"):
    """A causal LM and its tokenizer from a model directory, an adapter directory or 'smollm2'."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from ..default_model import resolve_model_path

    path = Path(spec).expanduser()
    torch_dtype = getattr(torch, dtype) if dtype != "auto" else "auto"
    if path.is_dir() and (path / "adapter_config.json").is_file():
        from peft import PeftModel

        base = json.loads((path / "adapter_config.json").read_text())["base_model_name_or_path"]
        base_path = resolve_model_path(base)
        model = AutoModelForCausalLM.from_pretrained(base_path, dtype=torch_dtype)
        model = PeftModel.from_pretrained(model, str(path)).merge_and_unload()
        tok_path = path if (path / "tokenizer_config.json").is_file() else base_path
    else:
        model_path = resolve_model_path(spec)
        model = AutoModelForCausalLM.from_pretrained(model_path, dtype=torch_dtype)
        tok_path = model_path
    tokenizer = AutoTokenizer.from_pretrained(tok_path, padding_side="left")
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return model.eval(), tokenizer


def generate(
    model: Any,
    tokenizer: Any,
    prompts: Sequence[Any],
    *,
    max_new_tokens: int,
    temperature: float = 0.0,
    batch_size: int = 8,
    num_return_sequences: int = 1,
) -> list[str]:
    """Completions (text) for chat-message or plain-string prompts, ``num_return_sequences`` each."""
    import torch

    texts = [
        tokenizer.apply_chat_template(p, tokenize=False, add_generation_prompt=True) if isinstance(p, list) else p
        for p in prompts
    ]
    eos = model.generation_config.eos_token_id
    eos_ids = [eos] if isinstance(eos, int) else list(eos or [])
    if tokenizer.eos_token_id is not None and tokenizer.eos_token_id not in eos_ids:
        eos_ids.append(tokenizer.eos_token_id)
    sampling = temperature > 0
    completions: list[str] = []
    for start in range(0, len(texts), batch_size):
        chunk = texts[start : start + batch_size]
        enc = tokenizer(chunk, return_tensors="pt", padding=True, add_special_tokens=False).to(model.device)
        with torch.no_grad():
            out = model.generate(
                **enc,
                max_new_tokens=max_new_tokens,
                do_sample=sampling,
                temperature=temperature if sampling else None,
                top_p=None,
                top_k=None,
                num_return_sequences=num_return_sequences,
                pad_token_id=tokenizer.pad_token_id,
                eos_token_id=eos_ids,
            )
        completions += tokenizer.batch_decode(out[:, enc["input_ids"].shape[1] :], skip_special_tokens=True)
    return completions


def as_trl_completions(prompts: Sequence[Any], texts: Sequence[str]) -> list[Any]:
    """Completions in the form TRL passes them: messages for chat prompts, strings otherwise."""
    return [[{"role": "assistant", "content": t}] if isinstance(p, list) else t for p, t in zip(prompts, texts)]
