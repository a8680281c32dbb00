"""Datasets for training and evaluation, and the prompts built from them.

A dataset is one of:

- a bundled sample, by name: ``gsm8k`` (GSM8K, MIT, 500 train / 200 test rows), ``scitldr``
  (SciTLDR-A abstracts, Apache-2.0, 200 train rows) or ``ifeval`` (60 prompts with IFEval
  constraints written for rewardkit, 48 train / 12 test) or ``tool_use`` (44 questions for three
  tools, written for rewardkit, 32 train / 12 test); see ``rewardkit/data/*/NOTICE``;
- a ``.jsonl`` / ``.json`` file (one object per line), a ``.csv`` file or a ``.parquet`` file;
- a ``datasets`` directory: one written by ``save_to_disk`` (a ``Dataset``, or a ``DatasetDict``
  whose split is chosen with ``split``), or a folder of data files named by split
  (``train.jsonl``, ``data/test-00000-of-00001.parquet``, ...) as a Hub dataset is laid out;
- reasoning-gym tasks (``dataset.reasoning_gym``): rows its generators make (:mod:`.tasks`).

The prompt column TRL reads (``prompt``) comes from one of, in this order (:func:`prompt_plan`):

- ``prompt.question_column`` when the config sets it: the prompt is built from that column, text
  or chat messages, with the system prompt and few-shot turns (``template: chat``: messages for
  the model's chat template; ``plain``: one string);
- the dataset's own ``prompt`` column, TRL's standard format, used as it is: a string, or a list
  of chat messages that TRL renders with the model's chat template (preference rows with
  ``prompt``/``chosen``/``rejected`` train on their prompts this way);
- a ``question`` or ``problem`` column, built as above;
- preference rows without a prompt (``chosen``/``rejected`` chats, or Anthropic HH dialogues):
  the turns the two share.

A question held as a list of strings (SciTLDR's abstract sentences) is joined with spaces. Every
other column is kept, because TRL passes dataset columns to the reward functions as keyword
arguments (the GSM8K rewards read ``answer``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, Sequence

from rewardkit.errors import ConfigError
from rewardkit.jsonl import read_jsonl

from ..preferences import to_pair
from .config import DatasetSpec, PromptSpec, TrainConfig

if TYPE_CHECKING:
    from datasets import Dataset

BUNDLED: dict[str, dict[str, str]] = {
    "gsm8k": {"train": "gsm8k/train.jsonl", "test": "gsm8k/test.jsonl"},
    "scitldr": {"train": "scitldr/train.jsonl"},
    "ifeval": {"train": "ifeval/train.jsonl", "test": "ifeval/test.jsonl"},
    "tool_use": {"train": "tool_use/train.jsonl", "test": "tool_use/test.jsonl"},
}
SUFFIX_FORMATS = {".jsonl": "jsonl", ".json": "jsonl", ".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}
# Columns a prompt is built from when the config names none and the dataset has no `prompt`.
QUESTION_COLUMNS = ("question", "problem")


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
        return _from_directory(p, path, split)
    raise ConfigError(f"dataset '{path}': unknown format '{fmt}'")


def _from_directory(p: Path, name: str, split: str) -> "Dataset":
    """A ``save_to_disk`` directory, or a folder of data files whose names give the splits."""
    import datasets

    if not p.is_dir():
        raise ConfigError(f"dataset '{name}': format 'disk' needs a directory")
    if any((p / marker).is_file() for marker in ("dataset_dict.json", "state.json")):
        loaded = datasets.load_from_disk(str(p))
    elif any(f.suffix.lower() in SUFFIX_FORMATS for f in p.rglob("*") if f.is_file()):
        loaded = datasets.load_dataset(str(p))
    else:
        raise ConfigError(
            f"dataset '{name}': not a datasets directory (neither written by save_to_disk nor holding "
            ".jsonl, .json, .csv or .parquet data files)"
        )
    if isinstance(loaded, datasets.DatasetDict):
        if split not in loaded:
            raise ConfigError(f"dataset '{name}' has no split '{split}'; splits: {', '.join(loaded)}")
        return loaded[split]
    return loaded


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


def is_messages(value: Any) -> bool:
    """Whether ``value`` is a conversation: a non-empty list of ``{"role": ..., "content": ...}`` messages."""
    return (
        isinstance(value, (list, tuple))
        and len(value) > 0
        and all(isinstance(m, dict) and "role" in m and "content" in m for m in value)
    )


def _sentences(value: Any) -> bool:
    return isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value)


def question_text(value: Any, column: str = "question") -> str:
    """The question as text; a list of strings (sentences) is joined with spaces."""
    if isinstance(value, str):
        return value
    if _sentences(value):
        return " ".join(v.strip() for v in value)
    if value is None or isinstance(value, (int, float)):
        return "" if value is None else str(value)
    raise ConfigError(
        f"column '{column}' holds {type(value).__name__} values, not text, a list of sentences or chat messages"
    )


@dataclass(frozen=True)
class PromptPlan:
    """Where a dataset's prompts come from (see the module docstring)."""

    column: str | None  # the column read; None: the shared turns of preference pairs
    as_is: bool  # the column already holds TRL prompts (text or messages)

    def describe(self, spec: PromptSpec) -> str:
        if self.column is None:
            return "the turns that each preference pair's chosen and rejected chats share"
        if self.as_is:
            unused = " (prompt.system and examples are not applied)" if spec.system or spec.examples else ""
            return f"the dataset's '{self.column}' column as it is{unused}"
        parts = [f"built from '{self.column}'", "chat template" if spec.template == "chat" else "plain text"]
        if spec.system:
            text = " ".join(spec.system.split())
            parts.append(f"system prompt {text[:40]!r}{'…' if len(text) > 40 else ''}")
        if spec.examples:
            parts.append(f"{len(spec.examples)} few-shot example{'s' * (len(spec.examples) > 1)}")
        return ", ".join(parts)


def prompt_plan(columns: Sequence[str], spec: PromptSpec) -> PromptPlan:
    """Which column the prompts come from, and whether it is used as it is."""
    if spec.question_column is not None:
        if spec.question_column not in columns:
            raise ConfigError(
                f"prompt.question_column '{spec.question_column}' is not a dataset column "
                f"(columns: {', '.join(columns)})"
            )
        return PromptPlan(spec.question_column, as_is=False)
    if "prompt" in columns:
        return PromptPlan("prompt", as_is=True)
    for name in QUESTION_COLUMNS:
        if name in columns:
            return PromptPlan(name, as_is=False)
    if "chosen" in columns and "rejected" in columns:
        return PromptPlan(None, as_is=True)
    raise ConfigError(
        f"the dataset has no prompt column: none of prompt, {', '.join(QUESTION_COLUMNS)} "
        f"(columns: {', '.join(columns)}); name the one to use with prompt.question_column"
    )


def build_prompt(row: dict[str, Any], spec: PromptSpec, column: str | None = None) -> list[dict[str, Any]] | str:
    """The prompt for one row, built from ``column``: chat messages, or a plain string."""
    column = column or spec.question_column or "question"
    value = row[column]
    if spec.template == "chat":
        messages = list(value) if is_messages(value) else [{"role": "user", "content": question_text(value, column)}]
        has_system = messages[0]["role"] == "system"
        head = messages[:1] if has_system else []
        system = [] if has_system or not spec.system else [{"role": "system", "content": spec.system}]
        shots = []
        for ex in spec.examples:
            shots += [{"role": "user", "content": ex.question}, {"role": "assistant", "content": ex.answer}]
        return head + system + shots + messages[len(head):]
    if is_messages(value):
        raise ConfigError(
            f"prompt.template 'plain' needs text, but column '{column}' holds chat messages; use template: chat"
        )
    question = question_text(value, column)
    shots = "".join(f"{ex.question}\n{ex.answer}\n\n" for ex in spec.examples)
    fields = {k: " ".join(v) if _sentences(v) else v for k, v in row.items()}
    try:
        text = spec.plain_format.format_map(
            {**fields, "system": spec.system or "", "question": question, "examples": shots}
        )
    except KeyError as exc:
        raise ConfigError(
            f"prompt.plain_format names {exc} which is not a dataset column (columns: {', '.join(row)})"
        ) from None
    return text.lstrip()


def pair_prompt(row: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The shared first turns of a preference row's ``chosen`` and ``rejected`` (chats or HH dialogues),
    as the preference reader splits them; None for a row it cannot read or that shares none."""
    try:
        pair = to_pair(row)
    except (ValueError, TypeError, AttributeError):
        return None
    prompt = pair and pair["prompt"]
    return prompt if is_messages(prompt) else None


def _check_prompts(rows: "Dataset", column: str) -> None:
    """A `prompt` column used as it is must hold text or chat messages."""
    first = rows[0][column]
    if not (isinstance(first, str) or is_messages(first)):
        raise ConfigError(
            f"the dataset's '{column}' column holds {type(first).__name__} values; TRL prompts are text or a "
            "list of {role, content} chat messages (or set prompt.question_column to build prompts from a column)"
        )


class Prepared(NamedTuple):
    """A dataset ready for TRL, and where its prompts came from (the run header shows it)."""

    rows: "Dataset"
    prompts: PromptPlan


def prepare(rows: "Dataset", config: TrainConfig, required_columns: list[str] | tuple[str, ...] = ()) -> Prepared:
    """Check the columns, take the limit and make the ``prompt`` column TRL reads."""
    spec = config.prompt
    columns = rows.column_names
    plan = prompt_plan(columns, spec)
    missing = [c for c in required_columns if c not in columns]
    if missing:
        raise ConfigError(
            f"the rewards need dataset column(s) {', '.join(missing)}, which the dataset does not have "
            f"(columns: {', '.join(columns)})"
        )
    if plan.column is None:
        rows = _with_pair_prompts(rows)
    if config.dataset.shuffle:
        rows = rows.shuffle(seed=config.seed)
    if config.dataset.limit is not None:
        rows = rows.select(range(min(config.dataset.limit, len(rows))))
    if len(rows) == 0:
        raise ConfigError("the dataset has no rows")
    if plan.as_is:
        _check_prompts(rows, "prompt")
        return Prepared(rows, plan)
    prompts = [build_prompt(row, spec, plan.column) for row in rows]
    if "prompt" in rows.column_names:
        rows = rows.remove_columns("prompt")
    return Prepared(rows.add_column("prompt", prompts), plan)


def _with_pair_prompts(rows: "Dataset") -> "Dataset":
    """Preference rows with their shared turns as ``prompt``; rows without any are left out."""
    prompts = [pair_prompt(row) for row in rows]
    keep = [i for i, p in enumerate(prompts) if p]
    if not keep:
        raise ConfigError("no preference row has turns that its chosen and rejected chats share, to use as a prompt")
    return rows.select(keep).add_column("prompt", [prompts[i] for i in keep])


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
    if ds.reasoning_gym is not None:  # rows made by reasoning-gym's generators; "test" is the evaluation split
        from .tasks import task_rows

        limit = None if ds.shuffle else ds.limit
        return task_rows(ds.reasoning_gym, config.seed, evaluation=evaluation or split == "test", limit=limit)
    path, split = eval_source(config, split) if evaluation else (ds.path, split or ds.split)
    return load_rows(path, split=split, fmt=ds.format, base_dir=config.base_dir)


def _has_split(path: str, split: str, config: TrainConfig) -> bool:
    if path in BUNDLED:
        return split in BUNDLED[path]
    p = Path(path) if Path(path).is_absolute() else config.base_dir / path
    return (p / split).is_dir() and (p / "dataset_dict.json").is_file()
