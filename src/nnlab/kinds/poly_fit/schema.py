"""The `poly_fit` kind's schema: the course's overfitting example, a small net fitting noisy samples
of a polynomial, with the input feature normalised or raw. The course gives the net (1-5-5-1,
softplus, 5000 epochs) but not the polynomial: the default is a cubic that turns twice on [0, 10]."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, StrictInt, model_validator

from ...spec_tables import Activation, Initializer, Strict
from ...specs import StudyBase

NAME = "poly_fit"

# Every repeat trains in the same full batch: memory grows with repeats x points x units.
MAX_UNITS = 1_024
MAX_POINTS = 100_000
MAX_REPEATS = 1_000
MAX_EPOCHS = 1_000_000  # memory does not grow with epochs (100 checkpoints kept), time does
# Activations held at once, repeats x points x the widest layer (float32): 50 million is 200 MB; the
# course's example needs 10 x 220 x 5.
MAX_ACTIVATIONS = 50_000_000


class PolyModel(Strict):
    units: list[StrictInt] = Field([5, 5], min_length=1, max_length=8, description="hidden widths: the course's 1-5-5-1")
    activation: Activation = Field("softplus", description="the hidden layers' activation; the output is linear")
    kernel_initializer: Initializer = Field("glorot_uniform", description="Keras initializer of every layer's weights; "
                                                                          "biases start at 0")

    @model_validator(mode="after")
    def _widths(self) -> PolyModel:
        if any(not 0 < u <= MAX_UNITS for u in self.units):
            raise ValueError(f"units must lie in 1..{MAX_UNITS:,}, got {self.units}")
        return self


class Config(StudyBase):
    """Noisy samples of y = sum(c_k x^k) on an interval; a small net fitted to the training sample
    full-batch, `repeats` initialisations at once; mean squared error on a fresh validation sample."""

    kind: Literal["poly_fit"] = Field(description="what this study is: the course's overfitting example, a small net fitted to "
                                                  "noisy samples of a polynomial")
    coefficients: list[float] = Field([0.0, 6.0, -1.5, 0.1], min_length=1, max_length=10,
                                      description="c_0, c_1, ...: y = c_0 + c_1 x + c_2 x^2 + ...")
    x_range: list[float] = Field([0.0, 10.0], min_length=2, max_length=2,
                                 description="[low, high]: the interval both samples' x are drawn from, uniformly")
    noise: float = Field(1.0, ge=0, description="standard deviation of the Gaussian noise added to y")
    train_points: StrictInt = Field(20, ge=2, le=MAX_POINTS, description="points of the training sample, drawn from the seed")
    validation_points: StrictInt = Field(200, ge=1, le=MAX_POINTS, description="points of the fresh sample the fit's MSE is "
                                                                               "measured on")
    normalize: bool = Field(False, description="standardise x by the training sample's mean and sd (the course: "
                                               "'the sample features normalised')")
    model: PolyModel = Field(PolyModel(), description="the net: one input x, the hidden layers, one linear output y")
    optimizer: Literal["adam", "sgd"] = Field("adam", description="adam, or sgd (plain gradient descent); full-batch either way")
    learning_rate: float = Field(0.01, gt=0, le=10, description="the optimizer's learning rate")
    epochs: StrictInt = Field(5000, gt=0, le=MAX_EPOCHS, description="full-batch steps")
    repeats: StrictInt = Field(10, gt=0, le=MAX_REPEATS, description="initialisations per seed, trained at once")

    @model_validator(mode="after")
    def _interval(self) -> Config:
        if self.x_range[0] >= self.x_range[1]:
            raise ValueError(f"x_range must run from low to high, got {self.x_range}")
        held = self.repeats * max(self.train_points, self.validation_points) * max(self.model.units)
        if held > MAX_ACTIVATIONS:
            raise ValueError(f"repeats x points x the widest layer = {held:,} activations at once, above the limit of "
                             f"{MAX_ACTIVATIONS:,} (200 MB); lower repeats, the points or model.units")
        return self
