"""The `search:` block of a study config: what varies (a space over the same dotted keys as
`grid:`), how settings are proposed, the trial budget and the validation metric it optimises.

    search:
      strategy: bayesian            # grid | random | bayesian (Optuna's TPE)
      trials: 20                    # the budget: trials that finish (grid: defaults to the grid's size)
      metric: val_loss              # val_loss (minimised) or val_accuracy (maximised); never the test set
      pruning: {startup_trials: 5, warmup_epochs: 4}   # stop trials worse than the median so far
      space:
        model.units: [16, 32, 64, 128, 256]           # a list: one of these values
        model.hidden_layers: {low: 1, high: 3}        # whole numbers low..high
        optimizer.learning_rate: {low: 1.0e-4, high: 1.0e-2, log: true}

Nothing here imports Optuna or TensorFlow: a config is checked in well under a second.
"""

from __future__ import annotations

import hashlib
import json
import math
from typing import Annotated, Any, Literal, Union

from pydantic import Discriminator, Field, StrictInt, Tag, model_validator

from ..specs import Strict

STRATEGIES = ("grid", "random", "bayesian")
# The grid strategy hands Optuna each key's values as a list, stored with every trial: a whole-number
# range with a slipped end ({low: 1, high: 1000000000}) would be a billion of them. Random and Bayesian
# searches sample a range without listing it.
MAX_GRID_VALUES = 10_000
DIRECTIONS = {"val_loss": "minimize", "val_accuracy": "maximize"}


class Range(Strict):
    """Numbers from low to high: whole numbers when both ends are, else real; `log` samples evenly
    on a log scale (learning rates); `step` keeps values on a lattice low, low + step, ..."""

    low: StrictInt | float
    high: StrictInt | float
    log: bool = False
    step: StrictInt | float | None = Field(None, gt=0)

    @model_validator(mode="after")
    def _ends(self) -> Range:
        if not self.low < self.high:
            raise ValueError(f"low must be below high, got low {self.low}, high {self.high}")
        if self.log and self.low <= 0:
            raise ValueError(f"a log scale needs low > 0, got {self.low}")
        if self.log and self.step is not None:
            raise ValueError("give log or step, not both (Optuna samples a log scale continuously)")
        if self.integer and self.step is not None and not isinstance(self.step, int):
            raise ValueError(f"a whole-number range takes a whole step, got {self.step}")
        return self

    @property
    def integer(self) -> bool:
        return isinstance(self.low, int) and isinstance(self.high, int)

    def values(self) -> list[int]:
        """Every value of a whole-number range (for the grid strategy)."""
        return list(self._range())

    @property
    def count(self) -> int:
        """How many values `values` lists, without listing them."""
        return len(self._range())

    def _range(self) -> range:
        return range(self.low, self.high + 1, self.step or 1)


# A mapping is a range, a list the values to choose from: each is checked as what it is, so an error
# names the problem (a log scale from 0), not the first alternative of the union.
Values = Annotated[Union[Annotated[list[Any], Tag("List")], Annotated[Range, Tag("Range")]],  # noqa: UP007
                   Discriminator(lambda v: "Range" if isinstance(v, (dict, Range)) else "List")]


class Pruning(Strict):
    """Optuna's percentile pruner (the median rule at 50): after `warmup_epochs`, a trial stops when its
    best validation figure so far is worse than that percentile of the finished trials' at the same epoch."""

    percentile: float = Field(50.0, gt=0, lt=100, description="50: the median stopping rule")
    startup_trials: StrictInt = Field(5, ge=1, description="trials that always run to the end first")
    warmup_epochs: StrictInt = Field(3, ge=0, description="epochs a trial always trains before it can be stopped")


class SearchSpec(Strict):
    strategy: Literal[STRATEGIES]  # type: ignore[valid-type]
    trials: StrictInt | None = Field(None, gt=0, description="trials to finish; grid: the grid's size by default")
    metric: str | None = Field(None, description="the validation figure optimised: val_loss or val_accuracy; "
                                                 "by default the study's selection.metric (config.py)")
    seed: StrictInt = Field(0, description="the sampler's seed: the same seed proposes the same trials")
    startup_trials: StrictInt = Field(10, ge=1, description="bayesian: random trials before TPE's model takes over")
    pruning: Pruning | None = None
    space: dict[str, Values] = Field(min_length=1, description="dotted config key -> values or a range")

    @model_validator(mode="after")
    def _check(self) -> SearchSpec:
        if self.metric is not None and self.metric not in DIRECTIONS:
            never = " (a search never looks at the test set)" if self.metric.startswith("test") else ""
            raise ValueError(f"metric '{self.metric}' cannot be optimised{never}; allowed: {', '.join(DIRECTIONS)}")
        for key, values in self.space.items():
            if isinstance(values, list) and not values:
                raise ValueError(f"space.{key}: give at least one value")
            if isinstance(values, list) and not all(v is None or isinstance(v, (bool, int, float, str)) for v in values):
                raise ValueError(f"space.{key}: values to choose from must be numbers, strings or true/false, got {values}")
            if self.strategy == "grid" and isinstance(values, Range) and not values.integer:
                raise ValueError(f"space.{key}: the grid strategy needs listed values or a whole-number range, "
                                 f"not a real range; list the values to try")
            if self.strategy == "grid" and isinstance(values, Range) and values.count > MAX_GRID_VALUES:
                raise ValueError(f"space.{key}: the grid strategy tries each of the range's {values.count:,} values, "
                                 f"above the limit of {MAX_GRID_VALUES:,} per key; narrow the range, give it a step, "
                                 f"or sample it with strategy random or bayesian")
        if self.strategy != "grid" and self.trials is None:
            raise ValueError(f"the {self.strategy} strategy needs a budget: trials: N")
        return self

    @property
    def direction(self) -> str:
        return DIRECTIONS[self.metric]

    @property
    def budget(self) -> int:
        """Trials to finish: the grid's size at most for the grid strategy."""
        if self.strategy == "grid":
            size = math.prod(self.grid_lengths())
            return min(self.trials or size, size)
        return self.trials

    def grid_lengths(self) -> list[int]:
        """How many values each key of the grid has, counted without listing a range's."""
        return [len(v) if isinstance(v, list) else v.count for v in self.space.values()]

    def grid(self) -> dict[str, list[Any]]:
        return {k: v if isinstance(v, list) else v.values() for k, v in self.space.items()}

    def endpoints(self) -> dict[str, list[Any]]:
        """Values that stand for the whole space when each is checked against the config's schema."""
        return {k: v if isinstance(v, list) else [v.low, v.high] for k, v in self.space.items()}

    def key(self, base_fingerprint: str) -> str:
        """What decides which trials the search proposes and how they are scored."""
        data = [self.model_dump(mode="json"), base_fingerprint]
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


def trial_id(params: dict[str, Any]) -> str:
    """A trial's folder name, from its settings: the same settings always land in the same folder,
    so a trial redone after an interruption, or proposed twice, reuses a finished run."""
    text = json.dumps(params, sort_keys=True, default=str)
    return "trial-" + hashlib.sha256(text.encode()).hexdigest()[:10]
