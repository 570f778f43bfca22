"""The `search:` block of a study config: what varies (a space over the same dotted keys as
`grid:`), how settings are proposed, the trial budget and the validation metric it optimises.

    search:
      strategy: bayesian            # grid | random | bayesian (Optuna's TPE) | lipo (dlib's LIPO + trust region)
                                    # | guess (guesses:, in order) | bobyqa (from the config's own settings)
      trials: 20                    # the budget: trials that finish (grid: defaults to the grid's size)
      metric: val_loss              # val_loss (minimised) or val_accuracy (maximised); never the test set
      pruning: {startup_trials: 5, warmup_epochs: 4}   # stop trials worse than the median so far
      space:
        model.units: [16, 32, 64, 128, 256]           # a list: one of these values
        model.hidden_layers: {low: 1, high: 3}        # whole numbers low..high
        optimizer.learning_rate: {low: 1.0e-4, high: 1.0e-2, log: true}

Or, to ask which strategy to use at this budget, `compare:` runs the same space and budget with several
strategies from several search seeds each (no `strategy:`; pruning off, so that every finished trial
can be shared between the searches that propose its settings):

      compare: {strategies: [grid, random, bayesian, lipo], seeds: [0, 1, 2]}
      grid_points: 3                # the grid's values for a real range: 3, log-spaced on a log scale

Nothing here imports Optuna, dlib or TensorFlow: a config is checked in well under a second.
"""

from __future__ import annotations

import hashlib
import json
import math
from typing import Annotated, Any, Literal, Union

from pydantic import Discriminator, Field, StrictInt, Tag, field_validator, model_validator

from ..spec_tables import Seed, Strict

STRATEGIES = ("grid", "random", "bayesian", "lipo", "guess", "bobyqa")
# Strategies that draw on no seed: the hand-picked list in its order, BOBYQA from the config's settings.
# A comparison runs one search of each (another search seed would repeat it trial for trial).
SEED_FREE = ("guess", "bobyqa")
MAX_COMPARED_SEEDS = 20  # search seeds per strategy in a comparison: each is a whole search
# The grid strategy hands Optuna each key's values as a list, stored with every trial: a whole-number
# range with a slipped end ({low: 1, high: 1000000000}) would be a billion of them. Random and Bayesian
# searches sample a range without listing it.
MAX_GRID_VALUES = 10_000
DIRECTIONS = {"val_loss": "minimize", "val_accuracy": "maximize"}
LATER_OPTIONS = {"compare": None, "grid_points": None, "grid_order": "listed",  # issue 23's, at their defaults
                 "guesses": None}  # issue 35's


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


class Compare(Strict):
    """The same space and budget searched by each strategy, from each search seed."""

    strategies: list[Literal[STRATEGIES]] = Field(  # type: ignore[valid-type]
        min_length=2, description="the strategies compared, each searching the same space with the same budget")
    seeds: list[Seed] = Field([0, 1, 2], min_length=1, max_length=MAX_COMPARED_SEEDS,
                                   description="search seeds: each strategy searches once from each")

    @field_validator("strategies", "seeds")
    @classmethod
    def _distinct(cls, values: list) -> list:
        if len(set(values)) != len(values):
            raise ValueError(f"must not repeat, got {values}")
        return values


class SearchSpec(Strict):
    strategy: Literal[STRATEGIES] | None = Field(None, description="how settings are proposed; "  # type: ignore[valid-type]
                                                                    "left out with compare:")
    compare: Compare | None = Field(None, description="several strategies searched over the same space and budget, each "
                                                     "from several search seeds, instead of strategy:")
    trials: StrictInt | None = Field(None, gt=0, description="trials to finish; grid: the grid's size by default")
    metric: str | None = Field(None, description="the validation figure optimised: val_loss or val_accuracy; "
                                                 "by default the study's selection.metric (config.py)")
    seed: Seed = Field(0, description="the sampler's seed: the same seed proposes the same trials")
    startup_trials: StrictInt = Field(10, ge=1, description="bayesian: random trials before TPE's model takes over")
    pruning: Pruning | None = Field(None, description="stop trials worse than a percentile of the finished ones at the same "
                                                     "epoch (Optuna's percentile pruner); left out, none is stopped")
    grid_points: StrictInt | None = Field(None, ge=2, le=100, description="grid: a real range becomes this many "
                                                                          "values, log-spaced on a log scale")
    grid_order: Literal["listed", "shuffled"] = Field(
        "listed", description="grid: the order points are tried in when the budget is below the grid's size; "
                              "shuffled: a random order drawn from the search seed (a comparison's grid always is)")
    space: dict[str, Values] = Field(min_length=1, description="dotted config key -> values or a range")
    guesses: list[dict[str, Any]] | None = Field(
        None, description="guess (guess-and-check): the settings tried, in order, one trial each: each a value for every "
                          "key of the space, within it; as many as the budget at least")

    @model_validator(mode="after")
    def _check(self) -> SearchSpec:
        if (self.strategy is None) == (self.compare is None):
            raise ValueError("give strategy: (one search) or compare: (several strategies over the same space), "
                             "one of the two" if self.strategy is None else
                             "compare: runs each of its strategies; leave strategy: out")
        if self.compare is not None and self.pruning is not None:
            raise ValueError("compare: takes no pruning: a trial stopped early depends on the search that stopped it, "
                             "so it could not be shared by the searches that propose the same settings")
        if self.compare is not None and self.trials is None:
            raise ValueError("compare: needs a budget, the same for every strategy: trials: N")
        strategies = self.compare.strategies if self.compare else [self.strategy]
        if self.metric is not None and self.metric not in DIRECTIONS:
            never = " (a search never looks at the test set)" if self.metric.startswith("test") else ""
            raise ValueError(f"metric '{self.metric}' cannot be optimised{never}; allowed: {', '.join(DIRECTIONS)}")
        for key, values in self.space.items():
            if isinstance(values, list) and not values:
                raise ValueError(f"space.{key}: give at least one value")
            if isinstance(values, list) and not all(v is None or isinstance(v, (bool, int, float, str)) for v in values):
                raise ValueError(f"space.{key}: values to choose from must be numbers, strings or true/false, got {values}")
            if "grid" in strategies and isinstance(values, Range) and not values.integer and self.grid_points is None:
                raise ValueError(f"space.{key}: the grid strategy needs listed values, a whole-number range, or "
                                 f"grid_points: N to try N values of a real range; list the values to try")
            if "grid" in strategies and isinstance(values, Range) and values.integer and values.count > MAX_GRID_VALUES:
                raise ValueError(f"space.{key}: the grid strategy tries each of the range's {values.count:,} values, "
                                 f"above the limit of {MAX_GRID_VALUES:,} per key; narrow the range, give it a step, "
                                 f"or sample it with strategy random or bayesian")
        if self.strategy not in ("grid", None) and self.trials is None:
            raise ValueError(f"the {self.strategy} strategy needs a budget: trials: N")
        self._check_guesses(strategies)
        varying = sum(1 for values in self.space.values() if isinstance(values, Range) or len(values) > 1)
        if "bobyqa" in strategies and varying < 2:
            raise ValueError("the bobyqa strategy models the figure over two or more keys that vary; this space has "
                             f"{varying}: use grid or random")
        return self

    def _check_guesses(self, strategies: list[str]) -> None:
        if "guess" not in strategies:
            if self.guesses is not None:
                raise ValueError("guesses: are tried by the guess strategy only; add guess to the strategies or leave them out")
            return
        if not self.guesses or len(self.guesses) < (self.trials or 0):
            raise ValueError(f"the guess strategy tries guesses: in order, one a trial: give at least trials "
                             f"({self.trials}) of them, got {len(self.guesses or [])}")
        for i, guess in enumerate(self.guesses):
            if set(guess) != set(self.space):
                missing, extra = sorted(set(self.space) - set(guess)), sorted(set(guess) - set(self.space))
                raise ValueError(f"guesses[{i}]: give a value for every key of the space and no other"
                                 + (f"; missing {', '.join(missing)}" if missing else "")
                                 + (f"; not in the space: {', '.join(extra)}" if extra else ""))
            for key, value in guess.items():
                if not _within(self.space[key], value):
                    values = self.space[key]
                    where = f"one of {values}" if isinstance(values, list) else f"from {values.low} to {values.high}"
                    raise ValueError(f"guesses[{i}].{key}: {value!r} is outside the space ({where})")

    def searches(self) -> list[SearchSpec]:
        """The searches this block runs: itself, or one per compared strategy and search seed (a
        comparison's grid in an order drawn from the seed, or every seed would try the same points)."""
        if self.compare is None:
            return [self]
        return [self.model_copy(update={"strategy": strategy, "seed": seed, "compare": None,
                                        "grid_order": "shuffled" if strategy == "grid" else self.grid_order,
                                        # a strategy's search is keyed by what it reads: only guess reads guesses
                                        "guesses": self.guesses if strategy == "guess" else None})
                for strategy in self.compare.strategies
                for seed in (self.compare.seeds[:1] if strategy in SEED_FREE else self.compare.seeds)]

    @property
    def label(self) -> str:
        """A search's name among a comparison's: strategy and seed."""
        return f"{self.strategy}-seed-{self.seed}"

    @property
    def direction(self) -> str:
        return DIRECTIONS[self.metric]

    @property
    def budget(self) -> int:
        """Trials to finish (each search's, in a comparison): the grid's size at most for the grid strategy."""
        if self.strategy == "grid":
            size = math.prod(self.grid_lengths())
            return min(self.trials or size, size)
        return self.trials

    @property
    def all_trials(self) -> int:
        """Trials of every search this block runs (a comparison's, before any is shared)."""
        return sum(search.budget for search in self.searches())

    @property
    def tested(self) -> int:
        """Variants retrained and tested over the study's seeds: the config as written and each search's
        choice (at most: searches that choose the same settings share one)."""
        return 1 + len(self.searches())

    def grid_lengths(self) -> list[int]:
        """How many values each key of the grid has, counted without listing a range's."""
        return [len(v) if isinstance(v, list) else v.count if v.integer else self.grid_points for v in self.space.values()]

    def grid(self) -> dict[str, list[Any]]:
        return {k: v if isinstance(v, list) else v.values() if v.integer else _spaced(v, self.grid_points)
                for k, v in self.space.items()}

    def endpoints(self) -> dict[str, list[Any]]:
        """Values that stand for the whole space when each is checked against the config's schema."""
        return {k: v if isinstance(v, list) else [v.low, v.high] for k, v in self.space.items()}

    def key(self, base_fingerprint: str) -> str:
        """What decides which trials the search proposes and how they are scored. Options added later
        are left out at their defaults, so a search stored before them keeps its key and resumes."""
        settings = self.model_dump(mode="json")
        for name, default in LATER_OPTIONS.items():
            if settings.get(name) == default:
                del settings[name]
        data = [settings, base_fingerprint]
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


def _spaced(values: Range, points: int) -> list[float]:
    """`points` values from low to high, evenly spaced (on a log scale where the range is), at 4
    significant digits so that a grid point reads as a person would write it."""
    low, high = (math.log10(values.low), math.log10(values.high)) if values.log else (values.low, values.high)
    out = [low + (high - low) * k / (points - 1) for k in range(points)]
    return [float(f"{(10 ** x if values.log else x):.4g}") for x in out]


def trial_id(params: dict[str, Any]) -> str:
    """A trial's folder name, from its settings: the same settings always land in the same folder,
    so a trial redone after an interruption, or proposed twice, reuses a finished run."""
    text = json.dumps(params, sort_keys=True, default=str)
    return "trial-" + hashlib.sha256(text.encode()).hexdigest()[:10]


def _within(values, value) -> bool:
    """Whether `value` is a point of the space's values: listed, or in the range (whole where it is whole)."""
    if isinstance(values, list):
        return value in values
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not values.low <= value <= values.high:
        return False
    return isinstance(value, int) if values.integer else True
