"""The `lr_decay_demo` kind's schema: gradient descent on (w - target)^2 with a decaying rate, as the
course prints it ("After 0 epoch, w is 2.600000, loss is 36.000000, lr is 0.200000")."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, StrictInt

from ...spec_tables import MAX_EPOCHS, Strict
from ...specs import StudyBase

NAME = "lr_decay_demo"


class FrameworkExample(Strict):
    """The course's framework example of a decaying rate, computed by Keras' ExponentialDecay: from 0.1,
    times 0.9 every 2 steps (2 steps an epoch, decaying every epoch), printed for 6 steps."""

    learning_rate: float = Field(0.1, gt=0, description="the rate at step 0")
    decay_rate: float = Field(0.9, gt=0, le=1, description="the rate's factor per decay_steps steps")
    decay_steps: StrictInt = Field(2, gt=0, le=1_000_000, description="steps between decays: the course's 2 steps an epoch")
    steps: StrictInt = Field(6, gt=0, le=1_000, description="steps the rate is computed for")
    staircase: bool = Field(True, description="decay in whole steps of decay_steps (the course's: every epoch), not smoothly")


class Config(StudyBase):
    """Gradient descent on (w - target)^2 with lr = learning_rate * decay_rate^epoch."""

    # 2: computed in float32 by default, as the course's TensorFlow code does (float64 before, which put
    # 3 of its 40 printed rows off in the 6th decimal). 3: a run also records the course's framework
    # example of a decaying rate (framework_example), which runs of revision 2 lack.
    REVISION: ClassVar[int] = 3

    kind: Literal["lr_decay_demo"] = Field(description="what this study is: the course's gradient descent on (w - target)^2 "
                                                       "with a decaying learning rate")
    precision: Literal["float32", "float64"] = Field("float32", description="the course's TensorFlow code: float32")
    w0: float = Field(5.0, description="w's starting value")
    target: float = Field(-1.0, description="where the loss (w - target)^2 is lowest")
    learning_rate: float = Field(0.2, gt=0, description="the rate at epoch 0")
    decay_rate: float = Field(0.99, gt=0, le=1, description="the rate's factor per epoch: lr = learning_rate x decay_rate^epoch "
                                                           "(1: a constant rate)")
    epochs: StrictInt = Field(40, gt=0, le=MAX_EPOCHS, description="descent steps, one row of the course's table each")
    framework_example: FrameworkExample = Field(
        FrameworkExample(), description="a decaying rate as the course's framework example prints it, by Keras' ExponentialDecay "
                                        "(the course's: [0.1, 0.1, 0.09, 0.09, 0.081, 0.081])")
