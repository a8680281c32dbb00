"""What the trainer adapters share: one composition per process, the gold column, and scores without ``None``.

verl and OpenRLHF name a composition in their own config (a preset name, a YAML path or an
inline mapping) and call the adapter once per sample or batch, from several threads at once; the
composition is built on the first call and reused, so its verifier pool and caches live as long
as the process. Both trainers hand over one label per sample (verl's ``ground_truth``,
OpenRLHF's ``labels``): it fills the composition's gold column. Neither can take ``None`` for a
reward, so an unscorable sample gets a configurable number and is flagged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rewardkit.composition import Composition, Scores
from rewardkit.errors import ConfigError, shown
from rewardkit.stats import is_finite_number

DEFAULT_GOLD_COLUMN = "answer"
# Keys the per-sample reports use besides the component names.
TOTAL_KEY = "score"
UNSCORED_KEY = "unscored"

def gold_column(composition: Composition, override: str | None = None) -> str:
    """The dataset column a trainer's one label per sample fills: ``override``, else the one column
    the composition requires, else ``answer`` (what math_correctness and accuracy read first)."""
    if override:
        return override
    required = composition.required_columns()
    return required[0] if len(required) == 1 else DEFAULT_GOLD_COLUMN


def check_none_score(value: Any, where: str) -> float:
    """``value`` as the score an unscorable sample gets, or a ConfigError naming ``where``."""
    if not is_finite_number(value):
        raise ConfigError(f"{where}: none_score must be a finite number, got {shown(value)}")
    return float(value)


@dataclass
class FilledScores:
    """A batch's scores with every ``None`` replaced, and per row whether its total was ``None``."""

    total: list[float]
    components: dict[str, list[float]]
    unscored: list[float]

    def rows(self) -> list[dict[str, float]]:
        """One report per row: the total under ``score``, each component, and ``unscored`` (1.0 or 0.0)."""
        return [
            {
                TOTAL_KEY: self.total[i],
                **{name: values[i] for name, values in self.components.items()},
                UNSCORED_KEY: self.unscored[i],
            }
            for i in range(len(self.total))
        ]


def filled(scores: Scores, none_score: float) -> FilledScores:
    """``scores`` for a trainer that needs a number everywhere: ``None`` becomes ``none_score``."""
    clash = [name for name in scores.components if name in (TOTAL_KEY, UNSCORED_KEY)]
    if clash:
        raise ConfigError(
            f"a component named '{clash[0]}' clashes with the '{TOTAL_KEY}'/'{UNSCORED_KEY}' keys "
            "trainers receive; give the entry an alias"
        )
    return FilledScores(
        total=[none_score if t is None else t for t in scores.total],
        components={
            name: [none_score if v is None else v for v in values] for name, values in scores.components.items()
        },
        unscored=[1.0 if t is None else 0.0 for t in scores.total],
    )
