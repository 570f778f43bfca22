"""The `functions_gallery` kind's schema: the course's softmax and cross-entropy examples, and the
one-neuron demonstration of why cross-entropy avoids the quadratic cost's learning slowdown."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, StrictInt, model_validator

from ...specs import Strict, StudyBase

NAME = "functions_gallery"

MAX_EPOCHS = 1_000_000


class Distributions(Strict):
    """p, the true distribution (a target), and q, a model's output, over the same classes."""

    p: list[float] = Field(min_length=2, max_length=1000)
    q: list[float] = Field(min_length=2, max_length=1000)

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

    x: float = 1.0
    target: float = Field(0.0, ge=0, le=1)
    w: float = 2.0
    b: float = 2.0
    learning_rate: float = Field(0.15, gt=0, le=100)
    epochs: StrictInt = Field(300, gt=0, le=MAX_EPOCHS)


class Config(StudyBase):
    kind: Literal["functions_gallery"]
    softmax_inputs: list[list[float]] = Field([[3.0, 1.0, -3.0], [1.0, 2.0, 5.0, 3.0]], min_length=1, max_length=100)
    distributions: list[Distributions] = Field([Distributions(p=[0.0, 0.0, 1.0], q=[0.05, 0.10, 0.85]),
                                                Distributions(p=[0.1, 0.2, 0.7], q=[0.05, 0.10, 0.85])], max_length=100)
    neuron: Neuron = Neuron()
