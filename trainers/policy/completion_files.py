"""The completions table of every log as a Parquet file, for the trainers that do not write one.

TRL's GRPOTrainer writes ``output_dir/completions/completions_<step>.parquet`` at each log when
``log_completions`` is on: the latest generation batch's prompts, completions, per-component
rewards, the columns added through ``log_extra`` and the advantages. ``rewardkit diagnose`` reads
those files for everything it says per row (length, repetition, suspects). TRL's RLOOTrainer
(1.16) keeps the same table in memory but only sends it to wandb/trackio, so an RLOO run had no
per-row diagnosis. This mixin writes that table to the same place under the same name, and the
trainer class of such an algorithm carries it (:func:`.algorithms.trainer_class`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

COMPLETIONS_DIR = "completions"


class CompletionFiles:
    """Mixed in before a TRL trainer whose ``log`` does not write the completions file."""

    def log(self, logs: dict[str, float], start_time: float | None = None) -> None:
        table = self._completion_table() if self.log_completions and self.accelerator.is_main_process else None
        super().log(logs, start_time)
        if table is not None:
            # lazy: pandas comes with datasets, and only a logging step needs it
            import pandas as pd

            folder = Path(self.args.output_dir) / COMPLETIONS_DIR
            folder.mkdir(parents=True, exist_ok=True)
            pd.DataFrame(table).to_parquet(folder / f"completions_{self.state.global_step:05d}.parquet")

    def _completion_table(self) -> dict[str, list[Any]] | None:
        """The columns TRL's GRPOTrainer writes, from the batch this trainer keeps for logging."""
        held = getattr(self, "_logs", None)
        if not held or not held.get("prompt"):
            return None
        return {
            "step": [self.state.global_step] * len(held["prompt"]),
            "prompt": list(held["prompt"]),
            "completion": list(held["completion"]),
            **{name: list(values) for name, values in held["rewards"].items()},
            **{name: list(values) for name, values in held["extra"].items()},
            "advantage": list(held["advantages"]),
        }
