"""``rewardkit eval CONFIG --model PATH``: generate completions for a split and score them.

Run it on the starting model and on a trained one to compare "before" and "after" with the same
prompts, rewards and decoding (greedy by default, so two runs see the same completions)::

    rewardkit eval examples/gsm8k_default.yaml --n 50                       # the config's model
    rewardkit eval examples/gsm8k_default.yaml --model runs/gsm8k/model --n 50

``--model`` takes a model directory, a LoRA adapter directory (its base model is loaded and the
adapter applied), ``smollm2`` or a ``.gguf`` file.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any, Sequence

from rewardkit.errors import ConfigError


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``eval`` subcommand to ``rewardkit``'s subparsers."""
    p = subparsers.add_parser(
        "eval",
        help="generate completions for a dataset split with a model and print the per-component table",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("config", nargs="?", help="train YAML (default: the bundled gsm8k default run)")
    p.add_argument("--model", help="model or adapter directory, 'smollm2' or a .gguf file (default: the config's model)")
    p.add_argument("--n", type=int, default=20, help="number of dataset rows to evaluate (default 20)")
    p.add_argument("--split", help="dataset split (default: dataset.eval_split, else test if present)")
    p.add_argument("--max-new-tokens", type=int, help="default: trainer.max_completion_length, else 256")
    p.add_argument("--temperature", type=float, default=0.0, help="0 = greedy (default)")
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--seed", type=int, help="sampling seed (default: the config's seed)")
    p.add_argument("--out", help="write each row's prompt, completion and scores as JSONL")
    p.add_argument("--show", type=int, default=2, help="completions to print (default 2)")
    p.set_defaults(func=cmd_eval)
    return p


def cmd_eval(args: argparse.Namespace) -> int:
    from .config import load_config

    if args.n < 1:
        raise ConfigError("--n must be at least 1")
    config = load_config(args.config)
    result = evaluate(
        config,
        model=args.model,
        n=args.n,
        split=args.split,
        max_new_tokens=args.max_new_tokens,
        temperature=args.temperature,
        batch_size=args.batch_size,
        seed=args.seed,
        out=args.out,
    )
    for row in result["rows"][: max(args.show, 0)]:
        print(f"--- row {row['index']}  total {_fmt(row['scores']['total'])}")
        print(row["completion"])
    print()
    print(f"model: {result['model']}  split: {result['split']}  rows: {result['n']}  "
          f"({result['seconds']:.1f} s)")
    print(result["table"])
    if args.out:
        print(f"\nwrote {result['n']} rows to {args.out}")
    return 0


def _fmt(value: float | None) -> str:
    return "None" if value is None else f"{value:.3f}"


def load_model(spec: str, *, dtype: str = "float32"):
    """A causal LM and its tokenizer from a model directory, an adapter directory or 'smollm2'."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from .default_model import resolve_model_path

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


def score_table(composition: Any, scores: Any) -> str:
    """The per-component table of a composition's scores (mean, std, min, max, None, errors)."""
    from rewardkit.scoring import summary_table

    return summary_table(scores.summary(), dict(zip(composition.names, composition.weights)))


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
    from .train import build_composition, model_spec

    composition = build_composition(config)
    _, split = eval_source(config, split)
    rows = dataset_for(config, split=split, evaluation=True)
    rows = prepare(rows, config.model_copy(update={"dataset": config.dataset.model_copy(update={"limit": n})}),
                   composition.required_columns())
    spec = model_spec(config, model)
    lm, tokenizer = load_model(spec, dtype=str(config.trainer.get("model_init_kwargs", {}).get("dtype", "float32")))
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
    }


if __name__ == "__main__":  # pragma: no cover
    parser = argparse.ArgumentParser(prog="rewardkit")
    add_parser(parser.add_subparsers(dest="command", required=True))
    ns = parser.parse_args(["eval", *sys.argv[1:]])
    sys.exit(ns.func(ns))
