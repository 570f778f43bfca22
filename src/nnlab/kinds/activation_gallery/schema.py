"""The `activation_gallery` kind's schema: which activations, over which interval, at how many points."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, StrictInt, model_validator

from ...specs import Activation, StudyBase

NAME = "activation_gallery"

MAX_POINTS = 1_000_000  # ~1,000x the default 1,001; each activation's curve and derivative are kept and plotted


class Config(StudyBase):
    """Each activation and its derivative (by automatic differentiation) over an interval."""

    kind: Literal["activation_gallery"]
    activations: list[Activation] = Field(min_length=1)
    x_min: float = -5.0
    x_max: float = 5.0
    points: StrictInt = Field(1001, ge=3, le=MAX_POINTS)

    @model_validator(mode="after")
    def _interval(self) -> Config:
        if self.x_min >= self.x_max:
            raise ValueError(f"x_min must be below x_max, got {self.x_min} >= {self.x_max}")
        return self
