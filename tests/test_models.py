"""The model builder turns a spec into the book's MLPs, with the output layer the labels need."""

import pytest

from nnlab.config import ModelSpec, OptimizerSpec
from nnlab.models import build_model, build_optimizer


def layer_summary(model):
    return [(layer.units, layer.activation.__name__) for layer in model.layers]


def test_the_reuters_baseline_is_two_relu_layers_and_a_46_way_softmax():
    model = build_model(ModelSpec(hidden_layers=2, units=64), 10000, 46, "categorical_crossentropy")
    assert model.input_shape == (None, 10000)
    assert layer_summary(model) == [(64, "relu"), (64, "relu"), (46, "softmax")]


def test_binary_labels_get_one_sigmoid_unit():
    model = build_model(ModelSpec(hidden_layers=2, units=16), 10000, 2, "binary_crossentropy")
    assert layer_summary(model) == [(16, "relu"), (16, "relu"), (1, "sigmoid")]


def test_per_layer_widths_and_an_explicit_output_activation():
    spec = ModelSpec(hidden_layers=3, units=[32, 16, 8], activation="tanh", output_activation="linear")
    model = build_model(spec, 784, 10, "mse")
    assert layer_summary(model) == [(32, "tanh"), (16, "tanh"), (8, "tanh"), (10, "linear")]


def test_zero_hidden_layers_is_logistic_regression():
    model = build_model(ModelSpec(hidden_layers=0), 784, 10, "categorical_crossentropy")
    assert layer_summary(model) == [(10, "softmax")]


@pytest.mark.parametrize("name, params, attr, value", [
    ("sgd", {"learning_rate": 0.1, "momentum": 0.9, "nesterov": True}, "nesterov", True),
    ("adam", {"beta_1": 0.8}, "beta_1", 0.8),
    ("rmsprop", {}, "rho", 0.9),
])
def test_optimizers_receive_their_parameters(name, params, attr, value):
    optimizer = build_optimizer(OptimizerSpec(name=name, **params))
    assert getattr(optimizer, attr) == pytest.approx(value)
