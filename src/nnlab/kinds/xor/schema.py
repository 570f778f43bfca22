"""The `xor` kind's schema: the 2-H-1 net of the course on the four XOR points, trained full-batch
from many initialisations at once (also the zero-initialisation exercise, configs/zero_init.yaml)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, StrictInt

from ...spec_tables import INITIALIZER_ALIASES, INITIALIZERS, Activation, Strict
from ...specs import StudyBase

NAME = "xor"

# The course's net has 2 to 8 hidden units and 100 repeats; every repeat trains in the same batch, so
# memory grows with repeats x units.
MAX_UNITS = 1_024
MAX_REPEATS = 10_000
# Memory does not grow with steps (the curve keeps 100 samples), time does: 100x the course's 10,000.
MAX_STEPS = 1_000_000


# PyTorch's nn.Linear default, which the course's own XOR code uses: weights and biases uniform in
# ±1/√fan_in (kaiming_uniform with a = √5 gives the same bound for the weights).
XorInitializer = Literal[INITIALIZERS + tuple(INITIALIZER_ALIASES) + ("torch_default",)]  # type: ignore[valid-type]


class XorModel(Strict):
    units: StrictInt = Field(2, gt=0, le=MAX_UNITS, description="H: hidden units (the course: 2 to 8)")
    activation: Activation | Literal["prelu", "rrelu"] = Field(
        "relu", description="prelu: a slope per unit, learned, from 0.25; rrelu: in training a slope per input drawn "
                            "uniform in [1/8, 1/3] at every step, at test their mean (Xu et al. 2015, PyTorch's nn.RReLU)")
    kernel_initializer: XorInitializer = Field("glorot_uniform", description="the weights' initializer: a Keras name, or "
                                               "torch_default (PyTorch nn.Linear's: uniform in ±1/√fan_in, the course's code)")
    bias_initializer: XorInitializer = Field("zeros", description="the biases' initializer: a Keras name, or torch_default "
                                             "(uniform in ±1/√fan_in)")


class Config(StudyBase):
    """The 2-H-1 network on the four XOR points, trained full-batch many times from different seeds."""

    kind: Literal["xor"] = Field(description="what this study is: the course's XOR problem, a 2-H-1 net trained full-batch from "
                                             "many initialisations")
    model: XorModel = Field(XorModel(), description="the 2-H-1 net: H hidden units, their activation, the initializers; a linear output")
    learning_rate: float = Field(0.01, gt=0, description="SGD's step size, or Adam's or Adagrad's learning rate")
    steps: StrictInt = Field(10000, gt=0, le=MAX_STEPS, description="full-batch SGD steps on MSE")
    repeats: StrictInt = Field(100, gt=0, le=MAX_REPEATS, description="independent initialisations drawn from each seed")
    optimizer: Literal["sgd", "adam", "adagrad"] = Field(
        "sgd", description="full-batch SGD (the course's), Adam (its code's comments), or Adagrad (a remedy the course "
                           "names for dying ReLU: a rate that shrinks where gradients have been large)")
    loss: Literal["mse", "binary_crossentropy"] = Field(
        "mse", description="binary_crossentropy: the linear output read as a logit (a sigmoid then gives the prediction)")

    # 2 since each repeat draws from its own SeedSequence child. Before, repeat i drew W1, b1, W2, b2
    # from seeds s+i .. s+i+3, so repeat i's W2 was a rescaled row of repeat (i+2)'s W1: the
    # "independent" initialisations were not.
    REVISION: ClassVar[int] = 2
