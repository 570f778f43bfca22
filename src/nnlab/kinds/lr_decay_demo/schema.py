"""The `lr_decay_demo` kind's schema: gradient descent on (w - target)^2 with a decaying rate, as the
course prints it ("After 0 epoch, w is 2.600000, loss is 36.000000, lr is 0.200000")."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, StrictInt

from ...specs import MAX_EPOCHS, StudyBase

NAME = "lr_decay_demo"


class Config(StudyBase):
    """Gradient descent on (w - target)^2 with lr = learning_rate * decay_rate^epoch."""

    # 2: computed in float32 by default, as the course's TensorFlow code does (float64 before, which put
    # 3 of its 40 printed rows off in the 6th decimal).
    REVISION: ClassVar[int] = 2

    kind: Literal["lr_decay_demo"]
    precision: Literal["float32", "float64"] = Field("float32", description="the course's TensorFlow code: float32")
    w0: float = 5.0
    target: float = -1.0
    learning_rate: float = Field(0.2, gt=0)
    decay_rate: float = Field(0.99, gt=0, le=1)
    epochs: StrictInt = Field(40, gt=0, le=MAX_EPOCHS)
