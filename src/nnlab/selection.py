"""One rule for "best" on a learning curve, the way Keras' MonitorCallback is the one owner of "is this
an improvement" for EarlyStopping, ModelCheckpoint and ReduceLROnPlateau. Every use of the idea in
nnlab goes through it: the best epoch of a run (training, verify), the best weights so far (training),
a search trial's best figure so far (pruning, the best-so-far plot) and its direction (Optuna), and
the variant the validation split prefers (the report).

    >>> rule = Rule("val_loss", "min")
    >>> rule.best_epoch({"val_loss": [0.9, 0.4, 0.4, 0.6]})   # 1-based; ties go to the earlier epoch
    2
    >>> rule.running_best([0.9, 0.4, 0.6])
    [0.9, 0.4, 0.4]
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from .errors import NnlabError

DIRECTIONS = {"min": "minimize", "max": "maximize"}  # Optuna's words for the same two modes
Item = TypeVar("Item")


@dataclass(frozen=True)
class Rule:
    metric: str = "val_loss"
    mode: str = "min"  # min: lower is better; max: higher is better

    @classmethod
    def of(cls, selection: Any) -> Rule:
        """The rule of a config's `selection:` (a SelectionSpec, or the dict a run folder records)."""
        if selection is None:
            return cls()
        if isinstance(selection, dict):
            return cls(selection.get("metric", "val_loss"), selection.get("mode", "min"))
        return cls(selection.metric, selection.mode)

    @classmethod
    def for_direction(cls, metric: str, direction: str) -> Rule:
        return cls(metric, next(mode for mode, word in DIRECTIONS.items() if word == direction))

    @property
    def direction(self) -> str:
        return DIRECTIONS[self.mode]

    def better(self, value: float, than: float) -> bool:
        """Strictly better (a tie is not an improvement); NaN is never better, anything beats NaN."""
        if not math.isfinite(value):
            return False
        return math.isnan(than) or (value < than if self.mode == "min" else value > than)

    def best_epoch(self, history: dict[str, list[float]]) -> int:
        """1-based epoch with the best value of the metric; ties go to the earlier epoch, NaN never wins."""
        if self.metric not in history:
            raise NnlabError(f"selection.metric '{self.metric}' is not in the history; it has {sorted(history)}")
        best = None
        for epoch, value in enumerate(history[self.metric], 1):
            if best is None and math.isfinite(value) or best is not None and self.better(value, history[self.metric][best - 1]):
                best = epoch
        if best is None:
            raise NnlabError(f"{self.metric} has no finite value in any epoch: the run diverged")
        return best

    def is_best_so_far(self, history: dict[str, list[float]]) -> bool:
        """Whether the last epoch recorded is the best one yet (its weights are the ones to keep)."""
        values = history[self.metric]
        return math.isfinite(values[-1]) and self.best_epoch(history) == len(values)

    def running_best(self, values: list[float]) -> list[float]:
        """The best figure so far at each epoch (NaN until a finite one): what a search trial reports
        as its intermediate value, so that its last one is its objective (val_loss keeps rising after
        the best epoch; this does not)."""
        out, best = [], math.nan
        for value in values:
            if self.better(value, best):
                best = value
            out.append(best)
        return out

    def best(self, items: Iterable[Item], key: Callable[[Item], float]) -> Item:
        """The item whose figure is best; ties go to the first."""
        chosen = None
        for item in items:
            if chosen is None or self.better(key(item), key(chosen)):
                chosen = item
        if chosen is None:
            raise ValueError("no items to choose from")
        return chosen
