"""The `lr_decay_demo` kind's schema: gradient descent on (w - target)^2 with a decaying rate, as the
course prints it ("After 0 epoch, w is 2.600000, loss is 36.000000, lr is 0.200000")."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, StrictInt

from ...spec_tables import MAX_EPOCHS
from ...specs import StudyBase

NAME = "lr_decay_demo"


class Config(StudyBase):
    """Gradient descent on (w - target)^2 with lr = learning_rate * decay_rate^epoch."""

    # 2: computed in float32 by default, as the course's TensorFlow code does (float64 before, which put
    # 3 of its 40 printed rows off in the 6th decimal).
    REVISION: ClassVar[int] = 2

    kind: Literal["lr_decay_demo"] = Field(description="what this study is: the course's gradient descent on (w - target)^2 "
                                                       "with a decaying learning rate")
    precision: Literal["float32", "float64"] = Field("float32", description="the course's TensorFlow code: float32")
    w0: float = Field(5.0, description="w's starting value")
    target: float = Field(-1.0, description="where the loss (w - target)^2 is lowest")
    learning_rate: float = Field(0.2, gt=0, description="the rate at epoch 0")
    decay_rate: float = Field(0.99, gt=0, le=1, description="the rate's factor per epoch: lr = learning_rate x decay_rate^epoch "
                                                           "(1: a constant rate)")
    epochs: StrictInt = Field(40, gt=0, le=MAX_EPOCHS, description="descent steps, one row of the course's table each")
