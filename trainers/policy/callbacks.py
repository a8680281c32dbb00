"""Trainer callbacks of a ``rewardkit train`` run: the metrics JSONL, the progress display, checkpoints,
and the way rewardkit's callbacks add figures to a log record."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any, Sequence

from transformers import TrainerCallback

from rewardkit.stats import finite_number

from .report import format_share


def add_to_logs(state: Any, logs: dict[str, Any], values: dict[str, Any]) -> None:
    """Add ``values`` to the record being logged, and to the copy ``Trainer.log`` already put in
    ``state.log_history`` before calling the callbacks (so the two stay equal)."""
    logs.update(values)
    if state.log_history and state.log_history[-1].get("step") == state.global_step:
        state.log_history[-1].update(values)


class MetricsWriter(TrainerCallback):
    """Appends every log record (with its step) to a JSONL file."""

    def __init__(self, path: str | Path, *, append: bool = False) -> None:
        self.path = Path(path)
        self.append = append
        self._handle = None

    def on_train_begin(self, args, state, control, **kwargs):
        if state.is_world_process_zero:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = open(self.path, "a" if self.append else "w", encoding="utf-8")

    def on_log(self, args, state, control, logs=None, **kwargs):
        if self._handle is None or not logs:
            return
        record = {"step": state.global_step, **{k: _plain(v) for k, v in logs.items()}}
        self._handle.write(json.dumps(record) + "\n")
        self._handle.flush()

    def on_train_end(self, args, state, control, **kwargs):
        if self._handle is not None:
            self._handle.close()
            self._handle = None


def _plain(value: Any) -> Any:
    """A logged value as JSON takes it: a tensor or numpy scalar as its number, NaN and infinities as null."""
    if hasattr(value, "item"):
        value = value.item()
    return finite_number(value) if isinstance(value, float) else value


class RunProgress(TrainerCallback):
    """One compact line per log (total reward, each component, length, step time, reward share),
    under a progress bar titled with the run's algorithm when the stream is a terminal. The first
    step says what it is doing as it starts (on a CPU it takes a minute or more before any line),
    and ``first_step_seconds`` keeps how long after ``started`` it was done."""

    def __init__(self, names: Sequence[str], algorithm: str, stream=None, started: float | None = None) -> None:
        self.names = list(names)
        self.algorithm = algorithm
        self.stream = stream
        self.started = time.perf_counter() if started is None else started
        self.first_step_seconds: float | None = None
        self.bar = None
        self.active = False
        self.lines: list[str] = []
        self._library_bars = False
        self._announced = False

    def on_train_begin(self, args, state, control, **kwargs):
        if not state.is_world_process_zero:
            return
        self.active = True
        stream = self.stream or sys.stderr
        if getattr(stream, "isatty", lambda: False)():
            from tqdm.auto import tqdm
            from transformers.utils import logging as hf_logging

            self.bar = tqdm(total=state.max_steps, initial=state.global_step, desc=self.algorithm.upper(), unit="step",
                            file=stream, dynamic_ncols=True, leave=True)
            # transformers' own bars (writing a checkpoint's shards) would tear this one apart
            self._library_bars = hf_logging.is_progress_bar_enabled()
            hf_logging.disable_progress_bar()

    def on_step_begin(self, args, state, control, **kwargs):
        if self.active and not self._announced:
            self._announced = True
            batch = getattr(args, "generation_batch_size", None)
            what = f"{batch} completions" if batch else "completions"
            length = getattr(args, "max_completion_length", None)
            self._write(
                f"step {state.global_step + 1}/{state.max_steps} started: generating {what}"
                + (f" of up to {length} tokens" if length else "")
                + ", scoring them, updating the model; a line follows each step"
            )

    def on_step_end(self, args, state, control, **kwargs):
        if self.first_step_seconds is None:
            self.first_step_seconds = time.perf_counter() - self.started
        if self.bar is not None:
            self.bar.update(state.global_step - self.bar.n)

    def on_log(self, args, state, control, logs=None, **kwargs):
        if not self.active or not logs or "reward" not in logs:
            return
        line = self.format(state, logs)
        self.lines.append(line)
        self._write(line)
        if self.bar is not None:
            self.bar.set_postfix_str(f"reward {_f(logs.get('reward'))}", refresh=True)

    def _write(self, line: str) -> None:
        if self.bar is not None:
            self.bar.write(line, file=self.stream or sys.stderr)
        else:
            print(line, file=self.stream or sys.stderr, flush=True)

    def format(self, state, logs: dict[str, Any]) -> str:
        parts = [f"step {state.global_step:>4}/{state.max_steps}", f"reward {_f(logs.get('reward'))}"]
        parts += [f"{n} {_f(logs.get(f'rewards/{n}/mean'))}" for n in self.names]
        if logs.get("completions/mean_length") is not None:
            parts.append(f"len {logs['completions/mean_length']:.0f}")
        if logs.get("step_time") is not None:
            parts.append(f"{logs['step_time']:.1f}s")
        share = logs.get("rewardkit/reward_share")
        if share is not None:
            parts.append(f"rewards {format_share(share)}")
        return "  ".join(parts)

    def on_train_end(self, args, state, control, **kwargs):
        if self.bar is not None:
            self.bar.close()
            self.bar = None
            if self._library_bars:
                from transformers.utils import logging as hf_logging

                hf_logging.enable_progress_bar()
        self.active = False


class SkipEndCheckpoint(TrainerCallback):
    """Drops the checkpoint transformers writes when training ends between two ``save_steps``.

    With the default ``save_strategy: steps``, transformers also saves a checkpoint at the last
    step: the model plus the optimizer state (for the 135M default model, 0.5 GB of weights and
    1.1 GB of Adam moments), even for a 2-step run. A rewardkit run saves the final model to
    ``model/`` anyway, so that checkpoint only duplicates it; the run adds this callback unless
    the config asks for checkpoints (``save_strategy`` or ``save_steps``). Periodic checkpoints
    are kept.
    """

    def on_step_end(self, args, state, control, **kwargs):
        periodic = state.save_steps > 0 and state.global_step % state.save_steps == 0
        if control.should_save and state.global_step >= state.max_steps and not periodic:
            control.should_save = False


def _f(value: Any) -> str:
    return "  n/a" if value is None else f"{float(value):.3f}"
