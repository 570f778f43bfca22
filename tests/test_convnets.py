"""Issue 35.1: convolutional nets as a training study. The model spec takes Keras' Conv2D and pooling
layers ahead of the dense ones, checked at validate (the shape after every layer), sized for the
report (parameters, multiply-adds), built and trained as Keras has them."""

import json

import pytest

from nnlab.config import config_of, load_study
from nnlab.errors import ConfigError
from nnlab.specs import Conv2DSpec, Pool2DSpec, conv_stack

MNIST = """\
name: conv
dataset: {name: mnist, sample: true}
validation: {split: first, size: 100}
loss: categorical_crossentropy
epochs: 2
batch_size: 32
seeds: [0]
"""
BOOK = [{"type": "conv2d", "filters": 32}, {"type": "max_pooling2d"}, {"type": "conv2d", "filters": 64},
        {"type": "max_pooling2d"}, {"type": "conv2d", "filters": 64}]


def convnet(conv: list, **model) -> dict:
    return {"name": "conv", "dataset": {"name": "mnist"}, "validation": {"size": 1000}, "loss": "categorical_crossentropy",
            "epochs": 2, "batch_size": 32, "model": {"hidden_layers": 1, "units": 64, "conv": conv, **model}}


def test_the_books_convnet_has_the_shapes_and_parameters_keras_prints():
    """DLwP §5.1's model.summary(): 26x26x32, 13x13x32, 11x11x64, 5x5x64, 3x3x64; 93,322 parameters."""
    from nnlab.kinds.train.report import size_of

    shapes = [(side, channels) for _name, side, channels, _p, _m in conv_stack(config_of(convnet(BOOK)).model.conv)]
    assert shapes == [(28, 1), (26, 32), (13, 32), (11, 64), (5, 64), (3, 64)]
    parameters, multiply_adds = size_of(config_of(convnet(BOOK)))
    assert parameters == 93_322
    dense, dense_adds = size_of(config_of({**convnet([]), "model": {"hidden_layers": 1, "units": 512}}))
    assert dense == 407_050 and parameters < dense / 4  # "far fewer parameters than a dense layer", as numbers
    assert multiply_adds > 6 * dense_adds  # and more arithmetic: each kernel is applied at every position


def test_same_padding_keeps_the_side_and_a_stride_divides_it():
    stack = conv_stack([Conv2DSpec(type="conv2d", filters=8, kernel=5, padding="same"),
                        Conv2DSpec(type="conv2d", filters=8, kernel=3, stride=2, padding="same"),
                        Pool2DSpec(type="average_pooling2d", size=3, stride=2)])
    assert [side for _name, side, _c, _p, _m in stack] == [28, 28, 14, 6]


def test_a_stack_that_does_not_fit_the_image_is_refused_naming_the_layer_and_every_shape(write_config):
    too_deep = "".join("\n    - {type: conv2d, filters: 8, kernel: 5}\n    - {type: max_pooling2d, size: 2}" for _ in range(3))
    with pytest.raises(ConfigError) as refused:
        load_study(write_config(MNIST + "model:\n  hidden_layers: 1\n  conv:" + too_deep + "\n"))
    message = str(refused.value)
    assert "model.conv.4 (conv2d 8 5x5) does not fit" in message
    assert "input 28x28x1 -> conv2d 8 5x5 24x24x8 -> max_pooling2d 2x2 12x12x8 -> conv2d 8 5x5 8x8x8 -> " \
           "max_pooling2d 2x2 4x4x8 -> conv2d 8 5x5 0x0x8" in message


@pytest.mark.parametrize("layer, words", [
    ("{type: conv2d}", "filters"),
    ("{type: conv2d, filters: 8, size: 2}", "size"),
    ("{type: max_pooling2d, filters: 8}", "filters"),
    ("{type: dense, units: 8}", "conv2d"),
])
def test_a_layer_with_a_key_its_type_does_not_take_is_refused(write_config, layer, words):
    with pytest.raises(ConfigError, match=words):
        load_study(write_config(MNIST + f"model:\n  conv:\n    - {layer}\n"))


def test_a_convolution_on_text_is_refused(write_config):
    text = MNIST.replace("{name: mnist, sample: true}", "{name: imdb, sample: true}").replace("categorical_crossentropy",
                                                                                            "binary_crossentropy")
    with pytest.raises(ConfigError, match="model.conv reads images"):
        load_study(write_config(text + "model:\n  conv:\n    - {type: conv2d, filters: 8}\n"))


def test_a_net_without_convolutions_keeps_its_run_key():
    """conv defaults to none and is left out of the key: every finished dense run stays finished."""
    assert "conv" not in config_of(convnet([])).model.model_dump(exclude_defaults=True)


@pytest.mark.slow
def test_the_built_convnet_is_the_one_the_report_sizes_and_it_learns(tmp_path):
    """Keras' own count of the built net's weights is size_of's; two epochs on the bundled sample
    beat guessing."""
    from nnlab import api
    from nnlab.kinds.train.report import size_of
    from nnlab.models import build_model

    path = tmp_path / "conv.yaml"
    path.write_text(MNIST + "model:\n  hidden_layers: 1\n  units: 16\n  conv:\n    - {type: conv2d, filters: 8}\n"
                    "    - {type: max_pooling2d}\n")
    api.run_studies([path], results=tmp_path / "results", quiet=True)
    (metrics,) = [json.loads(f.read_text()) for f in (tmp_path / "results" / "conv").glob("*/seed-*/metrics.json")]
    assert metrics["status"] == "ok" and metrics["test_accuracy"] > 0.3  # ten classes: guessing gets 0.1
    spec = config_of(convnet(BOOK))  # after the run: TensorFlow starts once nnlab has set its threads
    built = build_model(spec.model, 784, 10)
    assert sum(int(w.numpy().size) for w in built.trainable_weights) == size_of(spec)[0]
