"""The `conv_shapes` kind's schema: the course's convolution and pooling arithmetic. Output width
W2 = (W1 - F + 2P) / S + 1 and a layer's parameters (F·F·C + 1)·K, computed by the formula and checked
against a built Keras layer, and 2x2 max and average pooling of a small matrix."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, StrictInt, model_validator

from ...spec_tables import Strict
from ...specs import StudyBase

NAME = "conv_shapes"
MAX_SIZE = 4_096  # an input side; Keras builds the layer for real, on a zero input of that shape
# The layer is also trained (see run.train_layer) on this many seeded inputs, in one batch: enough to
# pin down the course's largest case, 2 filters of 3x3x3 (56 parameters) from 64 x 3 x 3 x 2 = 1,152
# target values; the inputs then stay under 1 GiB.
TRAIN_EXAMPLES = 64
MAX_TRAIN_VALUES = 2 ** 28


class Convolution(Strict):
    """A square input of `width` x `width` x `channels` and `filters` square kernels of side `kernel`."""

    width: StrictInt = Field(gt=0, le=MAX_SIZE, description="W1: the input's side, before padding")
    channels: StrictInt = Field(1, gt=0, le=1024, description="C: the input's depth, which every kernel spans")
    kernel: StrictInt = Field(gt=0, le=MAX_SIZE, description="F: each kernel's side")
    filters: StrictInt = Field(1, gt=0, le=1024, description="K: kernels, so the output's channels")
    stride: StrictInt = Field(1, gt=0, le=MAX_SIZE, description="S: pixels the kernel moves between outputs")
    padding: StrictInt = Field(0, ge=0, le=MAX_SIZE, description="P: rows and columns of zeros added on every side")
    label: str = Field("", max_length=200, description="what the case is, in the report")

    @model_validator(mode="after")
    def _fits(self) -> Convolution:
        if self.kernel > self.width + 2 * self.padding:
            raise ValueError(f"a {self.kernel}-wide kernel does not fit a {self.width}-wide input padded by {self.padding}")
        values = TRAIN_EXAMPLES * (self.width + 2 * self.padding) ** 2 * self.channels
        if values > MAX_TRAIN_VALUES:
            raise ValueError(f"training the layer reads {TRAIN_EXAMPLES} inputs of {self.width}x{self.width}x{self.channels} "
                             f"({values:,} values, above {MAX_TRAIN_VALUES:,}, about 1 GiB of float32): use a smaller width "
                             f"or fewer channels")
        return self


class Config(StudyBase):
    # 2: each convolution is also computed by the course's depth-D sum and set against the built layer
    # (depth_sum_max_difference), which runs of revision 1 lack. 3: each layer is also trained (its
    # "trained" record), which runs of revision 2 lack.
    REVISION: ClassVar[int] = 3

    kind: Literal["conv_shapes"] = Field(description="what this study is: the course's convolution arithmetic (output sides and "
                                                     "parameter counts, by the formula and by Keras) and pooling")
    convolutions: list[Convolution] = Field(
        [Convolution(width=5, kernel=3, stride=2, padding=0, label="the course's W1 = 5, F = 3, P = 0, S = 2"),
         Convolution(width=5, channels=3, kernel=3, filters=2, stride=2, padding=1,
                     label="the course's 7×7×3 volume: a 5×5×3 input with its padding of 1 drawn in"),
         Convolution(width=7, channels=3, kernel=3, filters=2, stride=2, padding=1,
                     label="7×7×3 read as the input itself, padded by 1 again")], min_length=1, max_length=100,
        description="the course's cases; its 7x7x3 example is a 5x5x3 input shown with its padding")
    pooling_input: list[list[float]] = Field([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]],
                                             min_length=2, max_length=MAX_SIZE,
                                             description="the matrix max and average pooling are applied to: rows of equal length")
    pool: StrictInt = Field(2, gt=0, le=MAX_SIZE, description="the pooling window and stride")
    train_steps: StrictInt = Field(300, gt=0, le=100_000, description=(
        "full-batch Adam steps (rate 0.05) that train each built layer, from Keras' initial weights, to give a "
        "seeded target layer's outputs on 64 seeded inputs: the layer learns its parameters as any layer does"))

    @model_validator(mode="after")
    def _square(self) -> Config:
        rows = self.pooling_input
        if any(len(row) != len(rows[0]) for row in rows):
            raise ValueError("pooling_input must be a matrix: every row as long")
        if self.pool > min(len(rows), len(rows[0])):
            raise ValueError(f"a {self.pool}x{self.pool} pool does not fit a {len(rows)}x{len(rows[0])} input")
        return self
