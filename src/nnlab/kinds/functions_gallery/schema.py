"""The `functions_gallery` kind's schema: the course's softmax and cross-entropy examples, and the
one-neuron demonstration of why cross-entropy avoids the quadratic cost's learning slowdown."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, StrictInt, model_validator

from ...spec_tables import Strict
from ...specs import StudyBase

NAME = "functions_gallery"

MAX_EPOCHS = 1_000_000


class Distributions(Strict):
    """p, the true distribution (a target), and q, a model's output, over the same classes."""

    p: list[float] = Field(min_length=2, max_length=1000, description="the true distribution (a target): non-negative, summing to 1")
    q: list[float] = Field(min_length=2, max_length=1000, description="a model's output over the same classes: non-negative, "
                                                                      "summing to 1, not 0 where p is not")

    @model_validator(mode="after")
    def _probabilities(self) -> Distributions:
        if len(self.p) != len(self.q):
            raise ValueError(f"p and q must have as many classes, got {len(self.p)} and {len(self.q)}")
        for name, values in (("p", self.p), ("q", self.q)):
            if any(v < 0 for v in values) or abs(sum(values) - 1) > 1e-6:
                raise ValueError(f"{name} must be a probability distribution (non-negative, summing to 1), got {values}")
        if any(b == 0 < a for a, b in zip(self.p, self.q)):
            raise ValueError("q is 0 where p is not: the cross-entropy and the relative entropy are infinite")
        return self


class Neuron(Strict):
    """One sigmoid neuron a = σ(w x + b) trained on one example from a badly wrong start."""

    x: float = Field(1.0, description="the one example's input")
    target: float = Field(0.0, ge=0, le=1, description="y, the output the neuron is trained towards")
    w: float = Field(2.0, description="the starting weight")
    b: float = Field(2.0, description="the starting bias")
    learning_rate: float = Field(0.15, gt=0, le=100, description="gradient descent's rate, the same under both costs")
    epochs: StrictInt = Field(300, gt=0, le=MAX_EPOCHS, description="gradient-descent steps on the one example, under each cost")


class Config(StudyBase):
    kind: Literal["functions_gallery"] = Field(description="what this study is: the course's softmax and cross-entropy examples, "
                                                           "and one neuron's learning slowdown under the quadratic cost")
    softmax_inputs: list[list[float]] = Field([[3.0, 1.0, -3.0], [1.0, 2.0, 5.0, 3.0]], min_length=1, max_length=100,
                                              description="score vectors z, each turned into probabilities by softmax")
    distributions: list[Distributions] = Field([Distributions(p=[0.0, 0.0, 1.0], q=[0.05, 0.10, 0.85]),
                                                Distributions(p=[0.1, 0.2, 0.7], q=[0.05, 0.10, 0.85])], max_length=100,
                                               description="pairs p, q whose cross-entropy and relative entropy (KL) are computed")
    neuron: Neuron = Field(Neuron(), description="the sigmoid neuron trained under the quadratic cost and under cross-entropy")
