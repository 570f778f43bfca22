"""The `activation_gallery` kind's schema: which activations, over which interval, at how many points."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, StrictInt, model_validator

from ...spec_tables import Activation
from ...specs import StudyBase

# Beside Keras' activations, the two the course compares with Leaky ReLU that Keras has only as a layer
# (PReLU) or not at all (RReLU): drawn at PReLU's initial slope and at RReLU's test-time slope, with
# RReLU's training-time range of slopes shaded.
GalleryActivation = Activation | Literal["prelu", "rrelu"]

NAME = "activation_gallery"

MAX_POINTS = 1_000_000  # ~1,000x the default 1,001; each activation's curve and derivative are kept and plotted


class Config(StudyBase):
    """Each activation and its derivative (by automatic differentiation) over an interval."""

    # 2: leaky_relu drawn at leaky_slope (the course's 0.01), no longer at Keras' default 0.2.
    REVISION: ClassVar[int] = 2

    kind: Literal["activation_gallery"] = Field(description="what this study is: the course notes' activation functions and "
                                                            "their derivatives (by automatic differentiation) over an interval")
    activations: list[GalleryActivation] = Field(min_length=1, description=(
        "the Keras activations drawn, each with its derivative; also prelu (at its initial slope 0.25, which training "
        "learns) and rrelu (at its test-time slope, the mean of 1/8 and 1/3, its training-time slopes shaded)"))
    x_min: float = Field(-5.0, description="the interval's low end")
    x_max: float = Field(5.0, description="the interval's high end, above x_min")
    points: StrictInt = Field(1001, ge=3, le=MAX_POINTS, description="evenly spaced x values from x_min to x_max, both "
                                                                     "included, at which each curve is computed")
    # leaky_relu's slope for x < 0. Defaults to 0.01, the course's (Keras' own default is 0.2).
    leaky_slope: float = Field(0.01, gt=0, lt=1, description="leaky_relu's slope for x < 0 (the default is the course's; "
                                                             "Keras' own is 0.2); only with leaky_relu among activations")

    @model_validator(mode="after")
    def _interval(self) -> Config:
        if self.x_min >= self.x_max:
            raise ValueError(f"x_min must be below x_max, got {self.x_min} >= {self.x_max}")
        if "leaky_slope" in self.model_fields_set and "leaky_relu" not in self.activations:
            raise ValueError("leaky_slope is set but activations has no leaky_relu for it to shape")
        return self
