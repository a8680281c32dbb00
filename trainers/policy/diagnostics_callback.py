"""Reward diagnostics of a training run: each component's figures per log, the rows to prove them, the report.

:class:`DiagnosticsCallback` sees every component's scores as TRL computes them (the adapter's
reward functions call :meth:`DiagnosticsCallback.observe`), groups the completions by prompt,
and at each training log adds, per component, the figures of ``rewardkit diagnose``
(:mod:`rewardkit.diagnostics.components`) over the completions scored since the last log::

    rewardkit/diag/<name>/zero_variance_share   share of prompt groups where it gives no signal
    rewardkit/diag/<name>/variance_share        its share of the within-group variance of the total
    rewardkit/diag/<name>/length_correlation    its correlation with completion length (tokens)
    rewardkit/diag/<name>/saturation            share of completions at its highest score

A figure that cannot be computed (one group, a constant score) is left out of that log. The
callback also adds two columns to TRL's completions table through ``log_extra``:
``rewardkit/tokens`` (the completion's length in tokens) and ``rewardkit/truncated`` (it ended
without an end-of-sequence token: cut at ``max_completion_length``), so that the logged rows
(``trainer.log_completions``, on in ``rewardkit train``) carry what the report needs.

Each process sees its own share of a batch; the figures logged are those of the main process's
rows. Rows scored by an evaluation are left out. At the end of a run :func:`write_run_report`
writes the ``rewardkit diagnose`` report of the run directory.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from transformers import TrainerCallback

from rewardkit.diagnostics.components import component_figures
from rewardkit.diagnostics.run_directory import TOKENS_COLUMN, TRUNCATED_COLUMN
from rewardkit.diagnostics.table import completion_of, group_key, groups

from .callbacks import add_to_logs

PREFIX = "rewardkit/diag"
FIGURES = ("zero_variance_share", "variance_share", "length_correlation", "saturation")
# TRL's completion logging, on for rewardkit runs: every completion of the latest generation batch is
# written to output_dir/completions/ at each log; none are printed (rich would print every one).
COMPLETION_LOGGING = {"log_completions": True, "num_completions_to_print": 0}


class DiagnosticsCallback(TrainerCallback):
    """Adds ``rewardkit/diag/<name>/<figure>`` to each training log (see the module docstring)."""

    def __init__(self, names: Sequence[str], weights: Sequence[float]) -> None:
        self.names = list(names)
        self.weights = dict(zip(self.names, weights))
        self.stop_ids: set[int] | None = None
        self._batches: list[dict[str, Any]] = []
        self._marked = 0  # batches collected by the end of the last optimizer step
        self._open_batch: int | None = None  # the reward clock's number of the batch collected last

    # -- fed by the reward functions ---------------------------------------------------------------

    def observe(self, component: Any, scores: Sequence[float | None], completions: Sequence[Any],
                prompts: Sequence[Any] | None, kwargs: dict[str, Any]) -> None:
        """Called by each component's reward function after scoring a batch (the first to finish opens it)."""
        if len(scores) != len(completions):
            return  # a broken reward: TRL raises on it
        if component.batch != self._open_batch:
            self._open_batch = component.batch
            self._batches.append(self._open(completions, prompts, kwargs))
        if self._batches:
            self._batches[-1]["scores"][component.__name__] = list(scores)

    def _open(self, completions: Sequence[Any], prompts: Sequence[Any] | None, kwargs: dict[str, Any]) -> dict[str, Any]:
        ids = kwargs.get("completion_ids")
        if isinstance(ids, (list, tuple)) and len(ids) == len(completions):
            lengths = [len(x) for x in ids]
            truncated = None if self.stop_ids is None else [bool(x) and int(x[-1]) not in self.stop_ids for x in ids]
        else:
            lengths, truncated = [len(completion_of(c)) for c in completions], None
        log_extra = kwargs.get("log_extra")
        if callable(log_extra):
            log_extra(TOKENS_COLUMN, lengths)
            if truncated is not None:
                log_extra(TRUNCATED_COLUMN, truncated)
        keys = [group_key(p) for p in prompts] if prompts is not None else [str(i) for i in range(len(completions))]
        return {"keys": keys, "lengths": lengths, "scores": {}}

    # -- trainer events ------------------------------------------------------------------------------

    def on_train_begin(self, args, state, control, processing_class=None, **kwargs):
        tokenizer = getattr(processing_class, "tokenizer", processing_class)
        ids = {getattr(tokenizer, "eos_token_id", None), getattr(tokenizer, "pad_token_id", None)}
        self.stop_ids = {i for i in ids if isinstance(i, int)} or None

    def on_step_end(self, args, state, control, **kwargs):
        self._marked = len(self._batches)

    def on_evaluate(self, args, state, control, **kwargs):
        del self._batches[self._marked :]  # what the evaluation scored

    def on_log(self, args, state, control, logs=None, **kwargs):
        if logs is None or "loss" not in logs or not self._batches:
            return
        values = self.figures(self._batches)
        self._batches, self._marked = [], 0
        add_to_logs(state, logs, values)

    def figures(self, batches: list[dict[str, Any]]) -> dict[str, float]:
        """The logged figures over ``batches`` (the keys with a value)."""
        complete = [b for b in batches if set(b["scores"]) == set(self.names)]
        if not complete:
            return {}
        scores = {n: [s for b in complete for s in b["scores"][n]] for n in self.names}
        lengths = [float(x) for b in complete for x in b["lengths"]]
        # groups never span batches: the same prompt in two generation batches is two groups
        keys = [f"{k}\x00{i}" for i, b in enumerate(complete) for k in b["keys"]]
        figures = component_figures(scores, self.weights, lengths, groups(keys), full=False)
        return {
            f"{PREFIX}/{name}/{figure}": float(entry[figure])
            for name, entry in figures.items()
            for figure in FIGURES
            if entry[figure] is not None
        }


def write_run_report(run_dir: Path, out: Any) -> Path | None:
    """``rewardkit diagnose`` on a finished run, into ``run_dir/diagnostics/``; prints its summary.

    The model and metrics are saved by then: a report that cannot be written is one line, not an
    error that would hide them.
    """
    from rewardkit.diagnostics import diagnose, load, summary, write

    try:
        result = diagnose(load(run_dir))
        paths = write(result, run_dir / "diagnostics")
    except Exception as exc:  # noqa: BLE001 - see the docstring
        print(f"\ndiagnostics not written ({type(exc).__name__}: {exc}); "
              f"try `rewardkit diagnose {run_dir} --out DIR`", file=out)
        return None
    print("\nreward diagnostics\n" + summary(result, limit=5), file=out)
    print(f"report: {paths['report']}", file=out)
    return paths["report"]
