"""Datasets for training and evaluation, and the prompts built from them.

A dataset is one of:

- a bundled sample, by name: ``gsm8k`` (GSM8K, MIT, 500 train / 200 test rows) or ``scitldr``
  (SciTLDR-A abstracts, Apache-2.0, 200 train rows); see ``rewardkit/data/*/NOTICE``;
- a ``.jsonl`` / ``.json`` file (one object per line), a ``.csv`` file or a ``.parquet`` file;
- a directory written by ``datasets``' ``save_to_disk`` (a ``Dataset``, or a ``DatasetDict``
  whose split is chosen with ``split``).

The prompt column TRL reads (``prompt``) is built from the question column: a list of chat
messages (system prompt, few-shot turns, the question) for ``template: chat``, or one string for
``template: plain``. A question held as a list of strings (SciTLDR's abstract sentences) is joined
with spaces. Every other column is kept, because TRL passes dataset columns to the reward
functions as keyword arguments (the GSM8K rewards read ``answer``).
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rewardkit.errors import ConfigError
from rewardkit.jsonl import read_jsonl

from .train_config import DatasetSpec, PromptSpec, TrainConfig

if TYPE_CHECKING:
    from datasets import Dataset

BUNDLED: dict[str, dict[str, str]] = {
    "gsm8k": {"train": "gsm8k/train.jsonl", "test": "gsm8k/test.jsonl"},
    "scitldr": {"train": "scitldr/train.jsonl"},
}
SUFFIX_FORMATS = {".jsonl": "jsonl", ".json": "jsonl", ".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}


def bundled_path(name: str, split: str) -> Path:
    """Path of a bundled sample's split inside the installed package."""
    splits = BUNDLED[name]
    if split not in splits:
        raise ConfigError(f"dataset '{name}' (bundled) has no split '{split}'; splits: {', '.join(splits)}")
    return Path(str(resources.files("rewardkit") / "data" / splits[split]))


def load_rows(path: str, *, split: str = "train", fmt: str = "auto", base_dir: Path | None = None) -> "Dataset":
    """Load a dataset (bundled name, file or save_to_disk directory) as a ``datasets.Dataset``."""
    import datasets

    if path in BUNDLED and fmt == "auto":
        return _from_jsonl(bundled_path(path, split))
    p = Path(path).expanduser()
    if not p.is_absolute() and base_dir is not None:
        p = base_dir / p
    if not p.exists():
        raise ConfigError(
            f"dataset '{path}': no such file or directory (bundled samples: {', '.join(BUNDLED)})"
        )
    if fmt == "auto":
        if p.is_dir():
            fmt = "disk"
        elif p.suffix.lower() in SUFFIX_FORMATS:
            fmt = SUFFIX_FORMATS[p.suffix.lower()]
        else:
            raise ConfigError(
                f"dataset '{path}': cannot tell the format from the extension; set dataset.format to one of "
                "jsonl, csv, parquet, disk"
            )
    if fmt in ("jsonl", "json"):
        return _from_jsonl(p)
    if fmt == "csv":
        return datasets.Dataset.from_csv(str(p), keep_in_memory=True)
    if fmt == "parquet":
        return datasets.Dataset.from_parquet(str(p), keep_in_memory=True)
    if fmt == "disk":
        try:
            loaded = datasets.load_from_disk(str(p))
        except FileNotFoundError as exc:
            raise ConfigError(f"dataset '{path}': not a directory written by save_to_disk ({exc})") from None
        if isinstance(loaded, datasets.DatasetDict):
            if split not in loaded:
                raise ConfigError(f"dataset '{path}' has no split '{split}'; splits: {', '.join(loaded)}")
            return loaded[split]
        return loaded
    raise ConfigError(f"dataset '{path}': unknown format '{fmt}'")


def _from_jsonl(path: Path) -> "Dataset":
    """Rows of a JSON-lines file (or of a JSON array), with the file and line named on a bad line."""
    import datasets

    with open(path, encoding="utf-8") as handle:
        array = handle.read(64).lstrip().startswith("[")
    if array:
        try:
            rows = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{path}: invalid JSON: {exc.msg} (line {exc.lineno})") from None
        bad = [i for i, r in enumerate(rows) if not isinstance(r, dict)] if isinstance(rows, list) else [0]
        if bad:
            raise ConfigError(f"{path}: row {bad[0] + 1} is not a JSON object")
    else:
        rows = read_jsonl(path)
    if not rows:
        raise ConfigError(f"{path}: the file has no rows")
    return datasets.Dataset.from_list(rows)


def question_text(value: Any) -> str:
    """The question as text; a list of strings (sentences) is joined with spaces."""
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return " ".join(v.strip() for v in value)
    return "" if value is None else str(value)


def build_prompt(row: dict[str, Any], spec: PromptSpec) -> list[dict[str, str]] | str:
    """The prompt for one row: chat messages, or a plain string."""
    question = question_text(row[spec.question_column])
    if spec.template == "chat":
        messages = [{"role": "system", "content": spec.system}] if spec.system else []
        for ex in spec.examples:
            messages += [{"role": "user", "content": ex.question}, {"role": "assistant", "content": ex.answer}]
        return messages + [{"role": "user", "content": question}]
    shots = "".join(f"{ex.question}\n{ex.answer}\n\n" for ex in spec.examples)
    fields = {k: question_text(v) for k, v in row.items()}
    try:
        text = spec.plain_format.format_map(
            {**fields, "system": spec.system or "", "question": question, "examples": shots}
        )
    except KeyError as exc:
        raise ConfigError(
            f"prompt.plain_format names {exc} which is not a dataset column (columns: {', '.join(row)})"
        ) from None
    return text.lstrip()


def prepare(rows: "Dataset", config: TrainConfig, required_columns: list[str] | tuple[str, ...] = ()) -> "Dataset":
    """Check the columns, take the limit and add the ``prompt`` column TRL reads."""
    spec = config.prompt
    columns = rows.column_names
    if spec.question_column not in columns:
        raise ConfigError(
            f"prompt.question_column '{spec.question_column}' is not a dataset column (columns: {', '.join(columns)})"
        )
    missing = [c for c in required_columns if c not in columns]
    if missing:
        raise ConfigError(
            f"the rewards need dataset column(s) {', '.join(missing)}, which the dataset does not have "
            f"(columns: {', '.join(columns)})"
        )
    if config.dataset.shuffle:
        rows = rows.shuffle(seed=config.seed)
    if config.dataset.limit is not None:
        rows = rows.select(range(min(config.dataset.limit, len(rows))))
    if len(rows) == 0:
        raise ConfigError("the dataset has no rows")
    prompts = [build_prompt(row, spec) for row in rows]
    if "prompt" in rows.column_names:
        rows = rows.remove_columns("prompt")
    return rows.add_column("prompt", prompts)


def eval_source(config: TrainConfig, split: str | None = None) -> tuple[str, str]:
    """The (path, split) that evaluation reads: eval_path/eval_split, else test when there is one."""
    ds: DatasetSpec = config.dataset
    path = ds.eval_path or ds.path
    if split is None:
        split = ds.eval_split or ("test" if _has_split(path, "test", config) else ds.split)
    return path, split


def dataset_for(config: TrainConfig, *, split: str | None = None, evaluation: bool = False) -> "Dataset":
    """The raw rows a config names: its training split, or (``evaluation``) its evaluation split."""
    ds: DatasetSpec = config.dataset
    path, split = eval_source(config, split) if evaluation else (ds.path, split or ds.split)
    return load_rows(path, split=split, fmt=ds.format, base_dir=config.base_dir)


def _has_split(path: str, split: str, config: TrainConfig) -> bool:
    if path in BUNDLED:
        return split in BUNDLED[path]
    p = Path(path) if Path(path).is_absolute() else config.base_dir / path
    return (p / split).is_dir() and (p / "dataset_dict.json").is_file()
