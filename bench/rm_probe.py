"""Where does SmolLM2-135M hold HH-RLHF harmlessness? A Bradley–Terry head on each layer's frozen features.

    python bench/rm_probe.py extract --max-length 64 --minutes 12   # resumable: run again to extract more
    python bench/rm_probe.py fit --max-length 64 --tag layers       # writes bench/results/rm_probe_64_layers.json
    python bench/rm_probe.py report                                 # bench/results/rm_probe.md from the fits

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
import itertools
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
    from rewardkit.trainers.reward_model.config import load_config

    config = load_config(settings(args))
    pairs, _ = load_pairs(config.path(config.data.path), config.data)
    train, _ = split_pairs(pairs, config.data.eval_fraction, config.seed)
    random.Random(1).shuffle(train)
    return config, train


def cache_path(args: argparse.Namespace) -> Path:
    depth = f"_{args.num_layers}layers" if args.num_layers else ""
    return CACHE / f"features_{args.template}_{args.max_length}_{args.dtype}{depth}.pt"


def extract(args: argparse.Namespace) -> int:
    import torch

    from rewardkit.trainers.reward_model.training import load_base, resolve_base_model, tokenize_pairs

    config, train = sweep_pairs(args)
    model, tokenizer = load_base(resolve_base_model(config), args.dtype)
    model.eval()
    if args.num_layers:
        from rewardkit.trainers.reward_model.layers import keep_first_layers

        keep_first_layers(model, args.num_layers)
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


def smoothed(label_smoothing: float):
    """rm-train's pair loss with label smoothing ε: ``(1 − ε)·L(w ≻ l) + ε·L(l ≻ w)`` (noisy labels)."""
    from rewardkit.trainers.reward_model.head_only import pair_loss

    if not label_smoothing:
        return pair_loss
    return lambda c, r: (1 - label_smoothing) * pair_loss(c, r) + label_smoothing * pair_loss(r, c)


def fit_layer(features: tuple, fit_rows, val_rows, head: str, learning_rate: float, weight_decay: float,
              epochs: int, label_smoothing: float = 0.0, batch_size: int = 32) -> list[dict]:
    """rm-train's head-only fit (``head_only.fit_head``) on one layer's features; its learning curve."""
    import torch
    from types import SimpleNamespace

    from rewardkit.trainers.reward_model.head_only import fit_head

    chosen, rejected = features
    torch.manual_seed(0)
    linear = torch.nn.Linear(chosen.shape[1], 1 if head == "scalar" else 10, bias=False)
    torch.nn.init.normal_(linear.weight, std=0.02)  # as a fresh sequence-classification head
    args = SimpleNamespace(learning_rate=learning_rate, weight_decay=weight_decay, num_train_epochs=epochs, max_steps=-1,
                           per_device_train_batch_size=batch_size, lr_scheduler_type="linear", logging_steps=10**9, seed=0)  # fmt: skip
    result = fit_head(linear, (chosen[fit_rows], rejected[fit_rows]), (chosen[val_rows], rejected[val_rows]), args,
                      log=lambda *a: None, loss_fn=smoothed(label_smoothing))  # fmt: skip
    return result["curve"]


def fit(args: argparse.Namespace) -> int:
    import torch

    path = cache_path(args)
    done = torch.load(path)
    limit = args.pairs or len(done["pairs"])
    chosen = torch.cat(done["chosen"]).float()[:limit]
    rejected = torch.cat(done["rejected"]).float()[:limit]
    _, train = sweep_pairs(args)
    pairs = [train[i] for i in done["pairs"][:limit]]
    from rewardkit.trainers.preferences import split_pairs

    # the conversation split once more, on the training side: fit / validation
    index = {id(p): i for i, p in enumerate(pairs)}
    fit_pairs, val_pairs = split_pairs(pairs, 0.25, 1)
    fi = torch.tensor([index[id(p)] for p in fit_pairs])
    vi = torch.tensor([index[id(p)] for p in val_pairs])
    n_val = len(vi)
    rows = []
    sizes = args.sizes or [len(fi)]
    for layer, head, size, lr, wd, ls in itertools.product(
        args.layers or range(chosen.shape[1]), args.heads, sizes, args.learning_rate, args.weight_decay,
        args.label_smoothing,
    ):
        curve = fit_layer((chosen[:, layer], rejected[:, layer]), fi[:size], vi, head, lr, wd, args.epochs, ls)
        best = max(curve, key=lambda point: point["held_out_accuracy"])
        row = {"layer": layer + 1, "head": head, "fit_pairs": min(size, len(fi)), "learning_rate": lr,
               "weight_decay": wd, "label_smoothing": ls, "final": curve[-1], "best_epoch": best,
               "curve": curve}  # fmt: skip
        rows.append(row)
        last = curve[-1]
        print(f"layer {layer + 1:2d} {head:12s} n {row['fit_pairs']} lr {lr:g} wd {wd:g} ls {ls:g}: validation "
              f"{last['held_out_accuracy']:.3f} (fit {last['train_accuracy']:.3f}) after {last['epoch']:g} "
              f"epochs; best {best['held_out_accuracy']:.3f} at epoch {best['epoch']:g}", flush=True)  # fmt: skip
    shorter = [len(str(p["chosen"])) < len(str(p["rejected"])) for p in val_pairs]
    print(f"the shorter response wins on {sum(shorter) / n_val:.3f} of the {n_val} validation pairs")
    result = {
        "benchmark": "rm_probe",
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": machine(),
        "settings": {**settings(args), "data": "hh_rlhf_harmless_base/" + Path(args.data).name},
        "fit_pairs": len(fi),
        "validation_pairs": n_val,
        "shorter_response_wins_accuracy": sum(shorter) / n_val,
        "extraction_tokens_per_second": done["tokens"] / done["seconds"],
        "rows": rows,
    }
    if not args.sizes:  # the learning curve of every fit is kept only for the data-size runs
        for row in rows:
            row.pop("curve")
    out = REPO / "bench" / "results" / f"rm_probe_{args.max_length}_{args.tag}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    best = max(rows, key=lambda row: row["final"]["held_out_accuracy"])
    print(f"best: {best}")
    return 0


def load_result(tag: str, max_length: int = 64) -> dict | None:
    path = REPO / "bench" / "results" / f"rm_probe_{max_length}_{tag}.json"
    return json.loads(path.read_text()) if path.exists() else None


def final(row: dict) -> float:
    return row["final"]["held_out_accuracy"]


def report(_args: argparse.Namespace) -> int:
    """bench/results/rm_probe.md (and rm_probe_sizes.png) from the fit results."""
    layers, long, hyper, sizes = (load_result("layers"), load_result("layers", 128), load_result("hyper"),
                                  load_result("sizes"))  # fmt: skip
    lines = ["# Per-layer heads on frozen SmolLM2-135M features, HH-RLHF harmless-base (`bench/rm_probe.py`)", ""]
    if layers:
        n = layers["validation_pairs"]
        lines += [
            f"Fit on {layers['fit_pairs']} pairs, validated on {n} (a conversation split of rm-train's training side; "
            f"s.e. of an accuracy near 0.62 on {n} pairs: {math.sqrt(0.62 * 0.38 / n):.3f}). Features: each layer's "
            "output at the last token through the final norm, 64 tokens (left truncation), bfloat16. Heads: "
            "rm-train's head-only fit, learning rate 1e-3, 15 epochs, batch 32, no weight decay; the last epoch is "
            f"reported. \"The shorter response wins\" on the same pairs: {layers['shorter_response_wins_accuracy']:.3f}.",
            "",
            "| layer | scalar | 1..10 distribution |",
            "| ---: | ---: | ---: |",
        ]
        by = {(r["layer"], r["head"]): final(r) for r in layers["rows"]}
        for layer in sorted({r["layer"] for r in layers["rows"]}):
            lines.append(f"| {layer} | {by.get((layer, 'scalar'), float('nan')):.3f} | "
                         f"{by.get((layer, 'distribution'), float('nan')):.3f} |")  # fmt: skip
    if long and layers:
        by64 = {(r["layer"], r["head"]): final(r) for r in layers["rows"]}
        lines += ["", "Truncation: the same pairs read at 128 tokens instead of 64 (first 8 layers extracted):", "",
                  "| layer | scalar, 64 → 128 tokens | distribution, 64 → 128 tokens |", "| ---: | ---: | ---: |"]  # fmt: skip
        by = {(r["layer"], r["head"]): final(r) for r in long["rows"]}
        for layer in sorted({r["layer"] for r in long["rows"]}):
            cells = [f"{by64.get((layer, h), float('nan')):.3f} → {by[(layer, h)]:.3f}" for h in ("scalar", "distribution")]
            lines.append(f"| {layer} | {' | '.join(cells)} |")
    if hyper:
        rows = hyper["rows"]
        lines += ["", f"Hyperparameters at layers {sorted({r['layer'] for r in rows})}, both heads "
                  f"({len(rows)} fits, 15 epochs each): mean validation accuracy by setting, over the others.", "",
                  "| setting | value | mean accuracy | fits |", "| --- | --- | ---: | ---: |"]  # fmt: skip
        for key in ("learning_rate", "weight_decay", "label_smoothing", "layer", "head"):
            for value in sorted({r[key] for r in rows}, key=str):
                chosen = [final(r) for r in rows if r[key] == value]
                lines.append(f"| {key} | {value} | {sum(chosen) / len(chosen):.3f} | {len(chosen)} |")
        smooth = {(r["layer"], r["head"], r["learning_rate"], r["weight_decay"]): {} for r in rows}
        for r in rows:
            smooth[(r["layer"], r["head"], r["learning_rate"], r["weight_decay"])][r["label_smoothing"]] = final(r)
        diffs = [v[0.1] - v[0.0] for v in smooth.values() if 0.1 in v and 0.0 in v]
        if diffs:
            lines.append(f"\nLabel smoothing 0.1 minus none, paired over the other settings: mean {sum(diffs) / len(diffs):+.3f}, "
                         f"from {min(diffs):+.3f} to {max(diffs):+.3f} ({len(diffs)} pairs).")  # fmt: skip
    if sizes:
        plot_sizes(sizes, REPO / "bench" / "results" / "rm_probe_sizes.png")
        lines += ["", "Training pairs (the first N fit pairs; same validation pairs), layer "
                  f"{sorted({r['layer'] for r in sizes['rows']})}: `rm_probe_sizes.png`.", "",
                  "| fit pairs | " + " | ".join(sorted({r["head"] for r in sizes["rows"]})) + " |", "| ---: | ---: | ---: |"]  # fmt: skip
        by = {(r["fit_pairs"], r["head"]): final(r) for r in sizes["rows"]}
        for size in sorted({r["fit_pairs"] for r in sizes["rows"]}):
            lines.append(f"| {size} | " + " | ".join(f"{by[(size, h)]:.3f}" for h in sorted({r['head'] for r in sizes['rows']})) + " |")
    lines.append("")
    (REPO / "bench" / "results" / "rm_probe.md").write_text("\n".join(lines))
    print("\n".join(lines))
    return 0


def plot_sizes(result: dict, out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = result["validation_pairs"]
    fig, ax = plt.subplots(figsize=(6, 3.6))
    for head in sorted({r["head"] for r in result["rows"]}):
        rows = sorted((r for r in result["rows"] if r["head"] == head), key=lambda r: r["fit_pairs"])
        xs, ys = [r["fit_pairs"] for r in rows], [final(r) for r in rows]
        se = [math.sqrt(y * (1 - y) / n) for y in ys]
        ax.errorbar(xs, ys, yerr=se, marker="o", capsize=3, label=f"{head} head")
    ax.axhline(0.5, color="grey", lw=0.8, ls="--", label="chance")
    ax.axhline(result["shorter_response_wins_accuracy"], color="grey", lw=0.8, ls=":", label="shorter response wins")
    ax.set_xscale("log")
    ax.set_xlabel("training pairs")
    ax.set_ylabel(f"validation accuracy ({n} pairs, ±1 s.e.)")
    ax.set_title(f"Head on layer {result['rows'][0]['layer']} of SmolLM2-135M, HH-RLHF harmless-base")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=110)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("extract", "fit", "report"))
    parser.add_argument("--data", default=str(DATA / "hh_rlhf_harmless_base" / "test_first2000.jsonl"))
    parser.add_argument("--max-length", type=int, default=64)
    parser.add_argument("--template", default="auto", choices=("auto", "chat", "plain"))
    parser.add_argument("--dtype", default="bfloat16", choices=("float32", "bfloat16"))
    parser.add_argument("--num-layers", type=int, help="extract only the first N layers (cheaper)")
    parser.add_argument("--minutes", type=float, default=12.0, help="extract for at most this long, then stop")
    parser.add_argument("--batch-pairs", type=int, default=16)
    parser.add_argument("--weight-decay", type=float, nargs="+", default=[0.0])
    parser.add_argument("--learning-rate", type=float, nargs="+", default=[3e-3])
    parser.add_argument("--label-smoothing", type=float, nargs="+", default=[0.0])
    parser.add_argument("--heads", nargs="+", default=["scalar"], choices=("scalar", "distribution"))
    parser.add_argument("--layers", type=lambda v: [int(x) - 1 for x in v.split(",")], help="1-based, comma-separated")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--pairs", type=int, help="use only the first N cached pairs")
    parser.add_argument("--sizes", type=lambda v: [int(x) for x in v.split(",")], help="fit on the first N fit pairs")
    parser.add_argument("--tag", default="layers", help="results file suffix")
    args = parser.parse_args(argv)
    CACHE.mkdir(parents=True, exist_ok=True)
    return {"extract": extract, "fit": fit, "report": report}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
