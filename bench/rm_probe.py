"""Where does SmolLM2-135M hold HH-RLHF harmlessness? A Bradley–Terry head on each layer's frozen features.

    python bench/rm_probe.py extract --max-length 64 --minutes 12   # resumable: run again to extract more
    python bench/rm_probe.py fit --max-length 64                    # writes bench/results/rm_probe.{json,md}

The CPU this project trains on runs SmolLM2-135M forward at roughly 50-80 tokens per second when it
is shared, so one pass over the 2,000 shared HH-RLHF pairs (4,000 sequences) takes about an hour, and
fine-tuning (forward and backward, every epoch) several. Before spending that, this measures how much
of the preference a linear head can read off each layer's last-token features (the layer's output
through the model's final norm, what a sequence-classification head pooled at that layer would see):
one forward pass with every layer's features captured, then a head fitted per layer in seconds.

Pairs, rendering and truncation are rm-train's own (``load_pairs``, ``tokenize_pairs``); the
split is rm-train's conversation split with the default seed, and only its training side is used
here, split once more into ``fit`` and ``validation`` pairs: the held-out pairs the reported
reward model is measured on are never looked at. Features are cached under ``runs/rm_probe/``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import random
import sys
import time
from pathlib import Path

from rm_bench import DATA, REPO, machine

CACHE = REPO / "runs" / "rm_probe"


def settings(args: argparse.Namespace) -> dict:
    return {
        "model": "smollm2",
        "data": {"path": args.data, "format": "hh", "eval_fraction": 0.2},
        "max_length": args.max_length,
        "template": args.template,
        "dtype": args.dtype,
        "seed": 0,
    }


def sweep_pairs(args: argparse.Namespace):
    """rm-train's training side (the held-out side is left alone), shuffled so any prefix is a random sample."""
    from rewardkit.trainers.preferences import load_pairs, split_pairs
    from rewardkit.trainers.rm_config import load_config

    config = load_config(settings(args))
    pairs, _ = load_pairs(config.path(config.data.path), config.data)
    train, _ = split_pairs(pairs, config.data.eval_fraction, config.seed)
    random.Random(1).shuffle(train)
    return config, train


def cache_path(args: argparse.Namespace) -> Path:
    return CACHE / f"features_{args.template}_{args.max_length}_{args.dtype}.pt"


def extract(args: argparse.Namespace) -> int:
    import torch

    from rewardkit.trainers.rm_training import load_base, resolve_base_model, tokenize_pairs

    config, train = sweep_pairs(args)
    model, tokenizer = load_base(resolve_base_model(config), args.dtype)
    model.eval()
    path = cache_path(args)
    done = torch.load(path) if path.exists() else {"pairs": [], "chosen": [], "rejected": [], "tokens": 0, "seconds": 0.0}
    layers = model.model.layers
    captured: list = []
    hooks = [layer.register_forward_hook(lambda _m, _i, out: captured.append(out)) for layer in layers]
    deadline = time.perf_counter() + 60 * args.minutes
    start_index = len(done["pairs"])
    print(f"{start_index} pairs cached; extracting from there for {args.minutes} min", flush=True)
    for begin in range(start_index, len(train), args.batch_pairs):
        if time.perf_counter() > deadline:
            break
        chunk = train[begin : begin + args.batch_pairs]
        data, _ = tokenize_pairs(tokenizer, chunk, config)
        if len(data["chosen_ids"]) != len(chunk):
            raise SystemExit("a pair is equal after truncation: raise --max-length")
        started = time.perf_counter()
        for side in ("chosen", "rejected"):
            ids = data[f"{side}_ids"]
            width = max(map(len, ids))
            input_ids = torch.full((len(ids), width), tokenizer.pad_token_id)
            mask = torch.zeros((len(ids), width), dtype=torch.long)
            for row, seq in enumerate(ids):
                input_ids[row, : len(seq)] = torch.tensor(seq)
                mask[row, : len(seq)] = 1
            captured.clear()
            with torch.inference_mode():
                model.model(input_ids=input_ids, attention_mask=mask)
                last = mask.sum(1) - 1
                rows = torch.arange(len(ids))
                # each layer's output at the last real token, through the final norm: what a head pooled there reads
                feats = torch.stack([model.model.norm(h[rows, last]) for h in captured], dim=1)
            done[side].append(feats.to(torch.float16))
            done["tokens"] += int(mask.sum())
        done["pairs"].extend(range(begin, begin + len(chunk)))
        done["seconds"] += time.perf_counter() - started
        torch.save(done, path.with_suffix(".tmp"))
        path.with_suffix(".tmp").replace(path)  # a reader never sees half a file
        print(f"{len(done['pairs'])} pairs, {done['tokens'] / done['seconds']:.0f} tokens/s", flush=True)
    for hook in hooks:
        hook.remove()
    return 0


def fit_layer(features: tuple, fit_rows, val_rows, head: str, learning_rate: float, weight_decay: float,
              epochs: int, batch_size: int = 32) -> list[dict]:
    """rm-train's head-only fit (``rm_head_only.fit_head``) on one layer's features; its learning curve."""
    import torch
    from types import SimpleNamespace

    from rewardkit.trainers.rm_head_only import fit_head

    chosen, rejected = features
    torch.manual_seed(0)
    linear = torch.nn.Linear(chosen.shape[1], 1 if head == "scalar" else 10, bias=False)
    torch.nn.init.normal_(linear.weight, std=0.02)  # as a fresh sequence-classification head
    args = SimpleNamespace(learning_rate=learning_rate, weight_decay=weight_decay, num_train_epochs=epochs, max_steps=-1,
                           per_device_train_batch_size=batch_size, lr_scheduler_type="linear", logging_steps=10**9, seed=0)  # fmt: skip
    result = fit_head(linear, (chosen[fit_rows], rejected[fit_rows]), (chosen[val_rows], rejected[val_rows]), args,
                      log=lambda *a: None)  # fmt: skip
    return result["curve"]


def fit(args: argparse.Namespace) -> int:
    import torch

    path = cache_path(args)
    done = torch.load(path)
    chosen = torch.cat(done["chosen"]).float()
    rejected = torch.cat(done["rejected"]).float()
    _, train = sweep_pairs(args)
    pairs = [train[i] for i in done["pairs"]]
    from rewardkit.trainers.preferences import split_pairs

    # the conversation split once more, on the training side: fit / validation
    index = {id(p): i for i, p in enumerate(pairs)}
    fit_pairs, val_pairs = split_pairs(pairs, 0.25, 1)
    fi = torch.tensor([index[id(p)] for p in fit_pairs])
    vi = torch.tensor([index[id(p)] for p in val_pairs])
    n_val = len(vi)
    rows = []
    for layer in args.layers or range(chosen.shape[1]):
        for head in args.heads:
            for lr in args.learning_rate:
                for wd in args.weight_decay:
                    curve = fit_layer((chosen[:, layer], rejected[:, layer]), fi, vi, head, lr, wd, args.epochs)
                    best = max(curve, key=lambda point: point["held_out_accuracy"])
                    row = {"layer": layer + 1, "head": head, "learning_rate": lr, "weight_decay": wd,
                           "final": curve[-1], "best_epoch": best}  # fmt: skip
                    rows.append(row)
                    last = curve[-1]
                    print(f"layer {layer + 1:2d} {head:12s} lr {lr:g} wd {wd:g}: validation {last['held_out_accuracy']:.3f} "
                          f"(fit {last['train_accuracy']:.3f}) after {last['epoch']:g} epochs; best "
                          f"{best['held_out_accuracy']:.3f} at epoch {best['epoch']:g}", flush=True)  # fmt: skip
    # the length baseline on the same validation pairs: the shorter response (in tokens) wins
    result = {
        "benchmark": "rm_probe",
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": machine(),
        "settings": {**settings(args), "data": "hh_rlhf_harmless_base/" + Path(args.data).name},
        "fit_pairs": len(fi),
        "validation_pairs": n_val,
        "extraction_tokens_per_second": done["tokens"] / done["seconds"],
        "rows": rows,
    }
    out = REPO / "bench" / "results" / f"rm_probe_{args.max_length}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    best = max(rows, key=lambda row: row["final"]["held_out_accuracy"])
    print(f"best: {best}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("extract", "fit"))
    parser.add_argument("--data", default=str(DATA / "hh_rlhf_harmless_base" / "test_first2000.jsonl"))
    parser.add_argument("--max-length", type=int, default=64)
    parser.add_argument("--template", default="auto", choices=("auto", "chat", "plain"))
    parser.add_argument("--dtype", default="bfloat16", choices=("float32", "bfloat16"))
    parser.add_argument("--minutes", type=float, default=12.0, help="extract for at most this long, then stop")
    parser.add_argument("--batch-pairs", type=int, default=16)
    parser.add_argument("--weight-decay", type=float, nargs="+", default=[0.0])
    parser.add_argument("--learning-rate", type=float, nargs="+", default=[3e-3])
    parser.add_argument("--heads", nargs="+", default=["scalar"], choices=("scalar", "distribution"))
    parser.add_argument("--layers", type=lambda v: [int(x) - 1 for x in v.split(",")], help="1-based, comma-separated")
    parser.add_argument("--epochs", type=int, default=10)
    args = parser.parse_args(argv)
    CACHE.mkdir(parents=True, exist_ok=True)
    return extract(args) if args.command == "extract" else fit(args)


if __name__ == "__main__":
    sys.exit(main())
