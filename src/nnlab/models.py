"""Turn a model spec into a compiled Keras MLP."""

from __future__ import annotations

import keras

from .config import ModelSpec, OptimizerSpec, ScheduleSpec


def output_layer(num_classes: int, override: str | None) -> tuple[int, str]:
    """Units and activation of the output: one sigmoid unit for 0/1 labels, softmax otherwise."""
    if num_classes == 2:
        return 1, override or "sigmoid"
    return num_classes, override or "softmax"


def build_model(spec: ModelSpec, input_dim: int, num_classes: int, loss: str) -> keras.Sequential:
    units, activation = output_layer(num_classes, spec.output_activation)
    init = {"kernel_initializer": spec.kernel_initializer, "bias_initializer": spec.bias_initializer}
    layers = [keras.Input(shape=(input_dim,))]
    layers += [keras.layers.Dense(width, activation=act, **init) for width, act in zip(spec.widths, spec.activations)]
    layers.append(keras.layers.Dense(units, activation=activation, **init))
    return keras.Sequential(layers)


def accuracy_metric(num_classes: int, loss: str) -> keras.metrics.Metric:
    """Named plainly 'accuracy' so every history has the same keys, whatever the label encoding."""
    if num_classes == 2:
        return keras.metrics.BinaryAccuracy(name="accuracy")
    if loss == "sparse_categorical_crossentropy":
        return keras.metrics.SparseCategoricalAccuracy(name="accuracy")
    return keras.metrics.CategoricalAccuracy(name="accuracy")


def build_schedule(spec: ScheduleSpec, learning_rate: float, steps_per_epoch: int):
    """A Keras schedule; counts given in epochs become batch steps, which Keras counts in."""
    per = steps_per_epoch if spec.unit == "epoch" else 1
    schedules = keras.optimizers.schedules
    if spec.name == "piecewise_constant":
        return schedules.PiecewiseConstantDecay([int(b * per) for b in spec.boundaries], list(spec.values))
    if spec.name == "cosine_decay":
        return schedules.CosineDecay(learning_rate, int(spec.decay_steps * per), alpha=spec.alpha)
    decay = schedules.ExponentialDecay if spec.name == "exponential_decay" else schedules.InverseTimeDecay
    return decay(learning_rate, spec.decay_steps * per, spec.decay_rate, staircase=spec.staircase)


def build_optimizer(spec: OptimizerSpec, steps_per_epoch: int = 1) -> keras.optimizers.Optimizer:
    optimizer_class = type(keras.optimizers.get(spec.name))
    params = spec.params
    if spec.schedule:
        start = params.get("learning_rate", optimizer_class().learning_rate)
        params["learning_rate"] = build_schedule(spec.schedule, float(keras.ops.convert_to_numpy(start)), steps_per_epoch)
    return optimizer_class(**params)


def compile_model(model: keras.Sequential, optimizer: OptimizerSpec, loss: str, num_classes: int,
                  steps_per_epoch: int = 1) -> None:
    model.compile(optimizer=build_optimizer(optimizer, steps_per_epoch), loss=loss,
                  metrics=[accuracy_metric(num_classes, loss)])
