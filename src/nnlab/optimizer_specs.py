"""The optimizer, its learning-rate schedule and the weight penalties of a training config, and the tables they are checked
against: each Keras optimizer's parameters, their defaults in Keras 3 (a parameter given at its
default builds the same optimizer as one left out) and the ranges Keras accepts or trains at all.
Static, so `nnlab validate` answers without TensorFlow; tests/test_config.py checks them against Keras."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .schema_errors import did_you_mean
from .spec_tables import REGULARIZERS, SCHEDULES, Strict

_INF = float("inf")


_COMMON_OPT = ("learning_rate", "weight_decay", "clipnorm", "clipvalue", "global_clipnorm")


OPTIMIZER_PARAMS: dict[str, tuple[str, ...]] = {
    "sgd": _COMMON_OPT + ("momentum", "nesterov"),
    "rmsprop": _COMMON_OPT + ("rho", "momentum", "epsilon", "centered"),
    "adam": _COMMON_OPT + ("beta_1", "beta_2", "epsilon", "amsgrad"),
    "adamw": _COMMON_OPT + ("beta_1", "beta_2", "epsilon", "amsgrad"),
    "adagrad": _COMMON_OPT + ("initial_accumulator_value", "epsilon"),
    "adadelta": _COMMON_OPT + ("rho", "epsilon"),
    "adamax": _COMMON_OPT + ("beta_1", "beta_2", "epsilon"),
    "nadam": _COMMON_OPT + ("beta_1", "beta_2", "epsilon"),
}


# Each optimizer's constructor defaults in Keras 3 (tests/test_config.py checks them against the installed
# Keras): a parameter given at its default builds the same optimizer as one left out, so the duplicate-
# variant check (config.same_run_form) drops it. SGD's rate is 0.01, every other optimizer's 0.001.
_COMMON_DEFAULTS = {"weight_decay": None, "clipnorm": None, "clipvalue": None, "global_clipnorm": None}


OPTIMIZER_DEFAULTS: dict[str, dict[str, Any]] = {
    "sgd": {**_COMMON_DEFAULTS, "learning_rate": 0.01, "momentum": 0.0, "nesterov": False},
    "rmsprop": {**_COMMON_DEFAULTS, "learning_rate": 0.001, "rho": 0.9, "momentum": 0.0, "epsilon": 1e-07, "centered": False},
    "adam": {**_COMMON_DEFAULTS, "learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-07, "amsgrad": False},
    "adamw": {**_COMMON_DEFAULTS, "learning_rate": 0.001, "weight_decay": 0.004, "beta_1": 0.9, "beta_2": 0.999,
              "epsilon": 1e-07, "amsgrad": False},
    "adagrad": {**_COMMON_DEFAULTS, "learning_rate": 0.001, "initial_accumulator_value": 0.1, "epsilon": 1e-07},
    "adadelta": {**_COMMON_DEFAULTS, "learning_rate": 0.001, "rho": 0.95, "epsilon": 1e-07},
    "adamax": {**_COMMON_DEFAULTS, "learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-07},
    "nadam": {**_COMMON_DEFAULTS, "learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-07},
}


# What Keras accepts, or trains at all, for each numeric parameter: (low, high, low excluded, high
# excluded). Keras itself refuses SGD's momentum outside [0, 1] and a clip of more than one kind only
# when it builds the optimizer, after the data loads; a beta of 1 or an epsilon of 0 it takes, and then
# divides by zero. Whole numbers are given to Keras as floats (models.build_optimizer): it refuses an
# int rate or momentum, though `momentum: 0` is what a person writes.
OPTIMIZER_RANGES: dict[str, tuple[float, float, bool, bool]] = {
    "learning_rate": (0, _INF, True, False), "momentum": (0, 1, False, False), "rho": (0, 1, False, False),
    "beta_1": (0, 1, False, True), "beta_2": (0, 1, False, True), "epsilon": (0, _INF, True, False),
    "weight_decay": (0, _INF, False, False), "clipnorm": (0, _INF, True, False), "clipvalue": (0, _INF, True, False),
    "global_clipnorm": (0, _INF, True, False), "initial_accumulator_value": (0, _INF, False, False),
}


# What each Keras schedule reads (a key it does not read would be keyed, and change nothing).
SCHEDULE_READS = {"exponential_decay": ("decay_steps", "decay_rate", "staircase"),
                  "inverse_time_decay": ("decay_steps", "decay_rate", "staircase"),
                  "cosine_decay": ("decay_steps", "alpha"), "piecewise_constant": ("boundaries", "values"),
                  "polynomial_decay": ("decay_steps", "end_learning_rate", "power")}


class ScheduleSpec(Strict):
    """A Keras learning-rate schedule; the optimizer's learning_rate is where it starts.
    Steps are counted in epochs by default (unit: epoch), converted to Keras' batch steps at build."""

    name: Literal[SCHEDULES] = Field(  # type: ignore[valid-type]
        description="the Keras schedule (exponential_decay: ExponentialDecay, ...); each reads only the keys below that name it")
    unit: Literal["epoch", "step"] = Field("epoch", description="what decay_steps and boundaries count: epochs (made batch steps "
                                                               "when the optimizer is built) or Keras' batch steps")
    decay_steps: float | None = Field(None, gt=0, description="exponential, inverse_time, cosine, polynomial")
    decay_rate: float | None = Field(None, gt=0, description="exponential, inverse_time")
    staircase: bool = Field(False, description="exponential, inverse_time: decay only at whole multiples of decay_steps "
                                               "(a staircase), not continuously")
    alpha: float = Field(0.0, ge=0, le=1, description="cosine: final fraction of the learning rate")
    boundaries: list[float] | None = Field(None, description="piecewise_constant: where the rate changes")
    values: list[float] | None = Field(None, description="piecewise_constant: one more rate than boundaries")
    end_learning_rate: float | None = Field(None, ge=0, description="polynomial: the rate reached at decay_steps")
    power: float = Field(1.0, gt=0, description="polynomial: the curve's power (1: a straight line)")

    @model_validator(mode="after")
    def _needs(self) -> ScheduleSpec:
        required = {"exponential_decay": ("decay_steps", "decay_rate"), "inverse_time_decay": ("decay_steps", "decay_rate"),
                    "cosine_decay": ("decay_steps",), "piecewise_constant": ("boundaries", "values"),
                    "polynomial_decay": ("decay_steps", "end_learning_rate")}[self.name]
        missing = [k for k in required if getattr(self, k) is None]
        if missing:
            raise ValueError(f"schedule {self.name} needs {', '.join(missing)}")
        # By value, not by the keys written: a run's recorded config spells out every default.
        unread = [k for k, field in ScheduleSpec.model_fields.items()
                  if k not in ("name", "unit", *SCHEDULE_READS[self.name]) and getattr(self, k) != field.default]
        if unread:
            raise ValueError(f"schedule {self.name} does not read {', '.join(sorted(unread))}; it reads "
                             f"{', '.join(SCHEDULE_READS[self.name])}")
        if self.name == "piecewise_constant" and len(self.values) != len(self.boundaries) + 1:
            raise ValueError(f"piecewise_constant needs one more value than boundaries, got "
                             f"{len(self.values)} values and {len(self.boundaries)} boundaries")
        return self


class OptimizerSpec(BaseModel):
    """An optimizer by Keras name; every other key is passed to its constructor."""

    model_config = ConfigDict(extra="allow", frozen=True)
    name: Literal[tuple(OPTIMIZER_PARAMS)] = Field(  # type: ignore[valid-type]
        "rmsprop", description="the Keras optimizer; the block's other keys (learning_rate, momentum, ...) go to its constructor")
    schedule: ScheduleSpec | None = Field(None, description="a Keras learning-rate schedule, starting from learning_rate")

    @model_validator(mode="after")
    def _params(self) -> OptimizerSpec:
        allowed = OPTIMIZER_PARAMS[self.name]
        for key, value in self.params.items():
            if key not in allowed:
                hint = did_you_mean(key, allowed)
                raise ValueError(f"{self.name} takes no parameter '{key}'{hint}; allowed: {', '.join(allowed)}")
            if isinstance(value, bool) != (key in ("nesterov", "amsgrad", "centered")):
                raise ValueError(f"{key} must be {'true/false' if key in ('nesterov', 'amsgrad', 'centered') else 'a number'}, got {value!r}")
            if not isinstance(value, (int, float)):
                raise ValueError(f"{key} must be a number, got {value!r}")
            if key in OPTIMIZER_RANGES:
                low, high, low_open, high_open = OPTIMIZER_RANGES[key]
                if value < low or value > high or (low_open and value == low) or (high_open and value == high):
                    raise ValueError(f"{key} must lie in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}, "
                                     f"got {value}")
        clipping = [key for key in ("clipnorm", "clipvalue", "global_clipnorm") if key in self.params]
        if len(clipping) > 1:
            raise ValueError(f"give one of clipnorm, clipvalue and global_clipnorm, as Keras takes one; got {', '.join(clipping)}")
        return self

    @property
    def params(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class RegularizerSpec(Strict):
    """A weight penalty added to the training loss: factor x sum |w| (l1), x sum w^2 (l2), or both
    (l1_l2, with l1 and l2 factors). Keras' own regularizers; the book's chapter 4 uses l2 with 0.001."""

    name: Literal[REGULARIZERS] = Field(  # type: ignore[valid-type]
        description="l1: factor x sum |w|; l2: factor x sum w^2; l1_l2: both, with their own l1 and l2 factors")
    factor: float | None = Field(None, gt=0, le=10, description="l1, l2: the penalty's factor")
    l1: float | None = Field(None, ge=0, le=10, description="l1_l2: the L1 factor")
    l2: float | None = Field(None, ge=0, le=10, description="l1_l2: the L2 factor")

    @model_validator(mode="after")
    def _factors(self) -> RegularizerSpec:
        if self.name == "l1_l2":
            if self.factor is not None:
                raise ValueError("l1_l2 takes l1 and l2 factors, not factor")
            if not (self.l1 or self.l2):
                raise ValueError("l1_l2 needs a positive l1 or l2 factor")
        else:
            if self.l1 is not None or self.l2 is not None:
                raise ValueError(f"{self.name} takes factor, not l1 or l2")
            if self.factor is None:
                raise ValueError(f"{self.name} needs a factor (the book's: 0.001)")
        return self
