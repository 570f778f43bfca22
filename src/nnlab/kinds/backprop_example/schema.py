"""The `backprop_example` kind's schema: the course's backpropagation worked example, a 2-2-2 net of
sigmoid units under the squared error ½Σ(target − out)². Every default is the course's number."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ...specs import StudyBase

NAME = "backprop_example"


class Config(StudyBase):
    """Inputs i1, i2; w1-w4 input -> hidden (w1, w2 into h1; w3, w4 into h2), w5-w8 hidden -> output
    (w5, w6 into o1; w7, w8 into o2); b1 shared by the hidden units, b2 by the outputs."""

    kind: Literal["backprop_example"] = Field(description="what this study is: the course's backpropagation worked example, "
                                                          "a 2-2-2 net of sigmoid units under the squared error")
    inputs: list[float] = Field([0.05, 0.10], min_length=2, max_length=2, description="i1, i2: the one example's inputs")
    targets: list[float] = Field([0.01, 0.99], min_length=2, max_length=2, description="the targets of o1 and o2")
    weights: list[float] = Field([0.15, 0.20, 0.25, 0.30, 0.40, 0.45, 0.50, 0.55], min_length=8, max_length=8,
                                 description="w1 ... w8")
    biases: list[float] = Field([0.35, 0.60], min_length=2, max_length=2, description="b1 (hidden), b2 (output)")
    learning_rate: float = Field(0.5, gt=0, le=100, description="the one update step's rate (the course's example: 0.5)")
    finite_difference_step: float = Field(1e-6, gt=0, le=0.1, description="h of the central difference (E(w+h) - E(w-h)) / 2h")
