"""The model builder turns a spec into the book's MLPs, with the output layer the labels need."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from nnlab.data import Sequences, multi_hot
from nnlab.models import MultiHotDense, build_model, build_optimizer
from nnlab.optimizer_specs import OptimizerSpec
from nnlab.specs import ModelSpec

pytestmark = pytest.mark.slow  # builds Keras models: TensorFlow's import alone takes seconds


def layer_summary(model):
    return [(layer.units, layer.activation.__name__) for layer in model.layers]


def test_the_reuters_baseline_is_two_relu_layers_and_a_46_way_softmax():
    model = build_model(ModelSpec(hidden_layers=2, units=64), 10000, 46)
    assert model.layers[0].kernel.shape == (10000, 64)
    assert layer_summary(model) == [(64, "relu"), (64, "relu"), (46, "softmax")]


def test_binary_labels_get_one_sigmoid_unit():
    model = build_model(ModelSpec(hidden_layers=2, units=16), 10000, 2)
    assert layer_summary(model) == [(16, "relu"), (16, "relu"), (1, "sigmoid")]


def test_per_layer_widths_and_an_explicit_output_activation():
    spec = ModelSpec(hidden_layers=3, units=[32, 16, 8], activation="tanh", output_activation="linear")
    model = build_model(spec, 784, 10)
    assert layer_summary(model) == [(32, "tanh"), (16, "tanh"), (8, "tanh"), (10, "linear")]


def test_zero_hidden_layers_is_logistic_regression():
    model = build_model(ModelSpec(hidden_layers=0), 784, 10)
    assert layer_summary(model) == [(10, "softmax")]


def multi_hot_batch(rows):
    """A batch as MultiHotDense reads it: (row of each 1, its column, number of rows)."""
    lengths = np.diff(rows.row_splits)
    return (tf.constant(np.repeat(np.arange(len(rows)), lengths), tf.int32), tf.constant(rows.columns),
            tf.constant(len(rows), tf.int32))


@pytest.mark.parametrize("hidden_layers", [2, 0])
def test_a_multi_hot_model_predicts_what_the_dense_model_predicts_on_the_same_weights(hidden_layers):
    rng = np.random.default_rng(0)
    lengths = rng.integers(0, 40, 64)  # one empty row too, most likely: a review of only rare words
    lengths[5] = 0
    rows = multi_hot(Sequences(rng.integers(0, 500, lengths.sum()), lengths), 500)
    spec = ModelSpec(hidden_layers=hidden_layers, units=16)
    dense_model = build_model(spec, 500, 46)
    compact_model = build_model(spec, 500, 46, multi_hot=True)
    assert isinstance(compact_model.layers[0], MultiHotDense)
    compact_model.set_weights(dense_model.get_weights())
    expected = keras.ops.convert_to_numpy(dense_model(rows.to_dense()))
    got = keras.ops.convert_to_numpy(compact_model(multi_hot_batch(rows)))
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-7)


def test_the_multi_hot_layers_gradient_is_the_dense_layers():
    rng = np.random.default_rng(1)
    lengths = rng.integers(1, 30, 32)
    rows = multi_hot(Sequences(rng.integers(0, 200, lengths.sum()), lengths), 200)
    dense, compact = keras.layers.Dense(8), MultiHotDense(8, 200)
    dense.build((None, 200))
    compact.set_weights(dense.get_weights())
    upstream = tf.constant(rng.standard_normal((32, 8)), tf.float32)
    gradients = []
    for layer, batch in ((dense, tf.constant(rows.to_dense())), (compact, multi_hot_batch(rows))):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(layer(batch) * upstream)
        gradients.append([g.numpy() for g in tape.gradient(loss, layer.trainable_variables)])
    for got, expected in zip(gradients[1], gradients[0]):
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name, params, attr, value", [
    ("sgd", {"learning_rate": 0.1, "momentum": 0.9, "nesterov": True}, "nesterov", True),
    ("adam", {"beta_1": 0.8}, "beta_1", 0.8),
    ("rmsprop", {}, "rho", 0.9),
])
def test_optimizers_receive_their_parameters(name, params, attr, value):
    optimizer = build_optimizer(OptimizerSpec(name=name, **params))
    assert getattr(optimizer, attr) == pytest.approx(value)
