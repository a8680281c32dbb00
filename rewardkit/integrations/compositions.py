"""What the trainer adapters share: one composition per process, the gold column, and scores without ``None``.

verl and OpenRLHF name a composition in their own config (a preset name, a YAML path or an
inline mapping) and call the adapter once per sample or batch, from several threads at once; the
composition is built on the first call and reused, so its verifier pool and caches live as long
as the process. Both trainers hand over one label per sample (verl's ``ground_truth``,
OpenRLHF's ``labels``): it fills the composition's gold column. Neither can take ``None`` for a
reward, so an unscorable sample gets a configurable number and is flagged.
"""

from __future__ import annotations

import json
import math
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

from rewardkit.composition import Composition, Scores
from rewardkit.composition_loader import load_composition, preset_names
from rewardkit.config_size import check_config_size
from rewardkit.errors import ConfigError, shown

DEFAULT_GOLD_COLUMN = "answer"
# Keys the per-sample reports use besides the component names.
TOTAL_KEY = "score"
UNSCORED_KEY = "unscored"

_compositions: dict[str, Composition] = {}
_lock = threading.Lock()


def plain(value: Any) -> Any:
    """``value`` with mappings and sequences made dicts and lists (verl hands over OmegaConf containers)."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        return [plain(v) for v in value]
    return value


def resolve_spec(spec: str | os.PathLike) -> str:
    """A preset name as it is, a YAML path made absolute (it then means the same from any directory)."""
    text = os.fspath(spec)
    return text if text in preset_names() else str(Path(text).expanduser().resolve())


def composition_for(spec: Any) -> Composition:
    """The composition for a preset name, a YAML path or an inline spec, built once per process."""
    if isinstance(spec, (str, os.PathLike)):
        key = resolve_spec(spec)
        source: Any = key
    elif isinstance(spec, (Mapping, Sequence)) and not isinstance(spec, bytes):
        check_config_size(spec, "composition")  # before plain() and json.dumps walk every shared reference
        source = plain(spec)
        key = json.dumps(source, sort_keys=True, default=str)
    else:
        raise ConfigError(
            f"composition: expected a preset name, a YAML path or a mapping, got {type(spec).__name__}"
        )
    with _lock:
        if key not in _compositions:
            _compositions[key] = load_composition(source)
        return _compositions[key]


def gold_column(composition: Composition, override: str | None = None) -> str:
    """The dataset column a trainer's one label per sample fills: ``override``, else the one column
    the composition requires, else ``answer`` (what math_correctness and accuracy read first)."""
    if override:
        return override
    required = composition.required_columns()
    return required[0] if len(required) == 1 else DEFAULT_GOLD_COLUMN


def check_none_score(value: Any, where: str) -> float:
    """``value`` as the score an unscorable sample gets, or a ConfigError naming ``where``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
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
