"""The names and bounds a config's values are checked against: datasets and their classes, Keras'
activations, losses and initializers (with the ranges an activation's output can reach), schedules,
and the upper bounds a typo can blow up. Static, so `nnlab validate` answers without TensorFlow;
tests/test_config.py checks the names against Keras."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt

_INF = float("inf")


DATASETS = ("imdb", "reuters", "mnist")


TEXT_DATASETS = ("imdb", "reuters")


# A study's and a variant's name: its folder under the results, so letters, digits, '_', '.', '-'.
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"


# How an image's 0-255 pixels reach the net (dataset.pixels); the first is the book's /255.
PIXELS = ("scaled", "raw", "standardized")


NUM_CLASSES = {"imdb": 2, "reuters": 46, "mnist": 10}


IMAGE_PIXELS = 28 * 28  # an MNIST image, flattened to one input row


ACTIVATIONS = (
    "relu", "sigmoid", "tanh", "softmax", "softplus", "softsign", "elu", "selu",
    "gelu", "silu", "swish", "leaky_relu", "mish", "relu6", "hard_sigmoid",
    "exponential", "linear",
)


LOSSES = (
    "binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy",
    "mse", "mae",
)


HISTORY_METRICS = ("loss", "accuracy", "val_loss", "val_accuracy")


INITIALIZERS = (
    "glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "lecun_uniform", "lecun_normal",
    "random_normal", "random_uniform", "truncated_normal", "orthogonal", "zeros", "ones",
)


# The values one unit of each activation can reach (the closure of its range), for the output rule
# (kinds/train/schema.py): what a loss needs of the output, the output must be able to give. softmax
# is the exception, a function of all the layer's units: each lies in [0, 1] and they sum to 1, so a
# single softmax unit is always exactly 1.
_NEG_INF = float("-inf")


OUTPUT_RANGES: dict[str, tuple[float, float]] = {
    "relu": (0.0, _INF), "sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0), "softmax": (0.0, 1.0), "softplus": (0.0, _INF),
    "softsign": (-1.0, 1.0), "elu": (-1.0, _INF), "selu": (-1.7581, _INF), "gelu": (-0.17, _INF), "silu": (-0.28, _INF),
    "swish": (-0.28, _INF), "leaky_relu": (_NEG_INF, _INF), "mish": (-0.31, _INF), "relu6": (0.0, 6.0),
    "hard_sigmoid": (0.0, 1.0), "exponential": (0.0, _INF), "linear": (_NEG_INF, _INF),
}


# Keras' own short names for the same initializers (the course's script writes kernel_initializer='normal':
# RandomNormal, stddev 0.05). Accepted as written; the duplicate-run check reads them as the long name.
INITIALIZER_ALIASES = {"normal": "random_normal", "uniform": "random_uniform", "zero": "zeros", "one": "ones"}


# A hidden layer may also end in a learned-slope PReLU (keras.layers.PReLU), which is a layer, not a function.
LAYER_ACTIVATIONS = ACTIVATIONS + ("prelu",)

# RReLU (Xu et al. 2015, "Empirical Evaluation of Rectified Activations in Convolutional Network"):
# in training each negative input gets its own slope, drawn uniform in [lower, upper] at every step;
# at test the slope is their mean. These bounds are the paper's and PyTorch nn.RReLU's defaults (1/8,
# 1/3); Keras has no RReLU. PReLU starts at Keras' and PyTorch's 0.25 and learns its slope.
RRELU_SLOPES = (1 / 8, 1 / 3)
PRELU_INITIAL_SLOPE = 0.25


REGULARIZERS = ("l1", "l2", "l1_l2")


SCHEDULES = ("exponential_decay", "inverse_time_decay", "piecewise_constant", "cosine_decay", "polynomial_decay")


Initializer = Literal[INITIALIZERS + tuple(INITIALIZER_ALIASES)]  # type: ignore[valid-type]


# Upper bounds on the sizes a typo can blow up (units: 640000, epochs: 2000000), each far above what
# the course and the book use, so only a slip reaches them. The train kind also bounds the whole
# model's parameter count (kinds/train/schema.py), which catches wide layers on a large vocabulary.
MAX_HIDDEN_LAYERS = 64  # the book's nets have 1 to 3; 64 is deeper than any plain MLP here trains well


MAX_UNITS = 16_384  # per layer: the book's widest is 512, the course's 784; a few thousand stays possible


MAX_EPOCHS = 10_000  # the book trains 20 to 100; every epoch keeps a row of history


MAX_BATCH_SIZE = 1_000_000  # above MNIST's 60,000 training images, the largest set here


MAX_NUM_WORDS = 1_000_000  # IMDB's whole vocabulary is ~89,000 words, Reuters' ~31,000; the book keeps 10,000


MAX_SEEDS = 1_000  # seeds run every variant once each; the report uses 3


# A seed is what numpy and TensorFlow take: 0 .. 2**32 - 1 (numpy refuses a negative one at run time).
MAX_SEED = 2**32 - 1


Seed = Annotated[StrictInt, Field(ge=0, le=MAX_SEED)]


Activation = Literal[ACTIVATIONS]  # type: ignore[valid-type]


LayerActivation = Literal[LAYER_ACTIVATIONS]  # type: ignore[valid-type]


Loss = Literal[LOSSES]  # type: ignore[valid-type]


class Strict(BaseModel):
    """The base of every spec: an unknown key is refused (a typo is named, not ignored) and a
    validated config cannot change."""

    model_config = ConfigDict(extra="forbid", frozen=True)
