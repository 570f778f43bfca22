"""Turn a model spec into a compiled Keras MLP."""

from __future__ import annotations

import keras

from .config import ModelSpec, OptimizerSpec


def output_layer(num_classes: int, loss: str, override: str | None) -> tuple[int, str]:
    """Units and activation of the output: one sigmoid unit for 0/1 labels, softmax otherwise."""
    if num_classes == 2:
        return 1, override or "sigmoid"
    return num_classes, override or "softmax"


def build_model(spec: ModelSpec, input_dim: int, num_classes: int, loss: str) -> keras.Sequential:
    units, activation = output_layer(num_classes, loss, spec.output_activation)
    layers = [keras.Input(shape=(input_dim,))]
    layers += [keras.layers.Dense(width, activation=spec.activation) for width in spec.widths]
    layers.append(keras.layers.Dense(units, activation=activation))
    return keras.Sequential(layers)


def accuracy_metric(num_classes: int, loss: str) -> keras.metrics.Metric:
    """Named plainly 'accuracy' so every history has the same keys, whatever the label encoding."""
    if num_classes == 2:
        return keras.metrics.BinaryAccuracy(name="accuracy")
    if loss == "sparse_categorical_crossentropy":
        return keras.metrics.SparseCategoricalAccuracy(name="accuracy")
    return keras.metrics.CategoricalAccuracy(name="accuracy")


def build_optimizer(spec: OptimizerSpec) -> keras.optimizers.Optimizer:
    optimizer_class = type(keras.optimizers.get(spec.name))
    return optimizer_class(**spec.params)


def compile_model(model: keras.Sequential, optimizer: OptimizerSpec, loss: str, num_classes: int) -> None:
    model.compile(optimizer=build_optimizer(optimizer), loss=loss, metrics=[accuracy_metric(num_classes, loss)])
