"""The schema pieces every study kind shares: datasets, validation, models (dense and convolutional
layers), selection, and the base every kind's config extends (name, seeds, baseline, fingerprint).
The name tables are in spec_tables, the optimizer in optimizer_specs. Nothing here imports
TensorFlow, so `nnlab validate` answers in well under a second."""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, Field, StrictInt, model_validator

from .optimizer_specs import RegularizerSpec
from .schema_errors import did_you_mean
from .spec_tables import (
    DATASETS,
    HISTORY_METRICS,
    IMAGE_PIXELS,
    LAYER_ACTIVATIONS,
    MAX_HIDDEN_LAYERS,
    MAX_NUM_WORDS,
    MAX_SEEDS,
    MAX_UNITS,
    NAME_PATTERN,
    NUM_CLASSES,
    PIXELS,
    TEXT_DATASETS,
    Activation,
    Initializer,
    LayerActivation,
    Seed,
    Strict,
)


class DatasetSpec(Strict):
    name: Literal[DATASETS] = Field(  # type: ignore[valid-type]
        description="imdb: movie reviews, positive or negative; reuters: newswires in 46 topics; mnist: handwritten digits 0-9")
    num_words: StrictInt = Field(10000, gt=3, le=MAX_NUM_WORDS, description="vocabulary size (imdb, reuters): the book's 10,000")
    sample: bool = Field(False, description="use the small sample bundled with nnlab")
    subset: StrictInt | None = Field(None, gt=0, description="keep the first N train and test examples")
    pixels: Literal[PIXELS] = Field(  # type: ignore[valid-type]
        "scaled", description="mnist: how pixels reach the net. scaled: divided by 255, into [0, 1] (the book's and "
                              "the course's); raw: 0 to 255 as they are; standardized: minus the mean, over the standard "
                              "deviation, both of every pixel of the rows the net trains on (never of validation or test)")

    @model_validator(mode="after")
    def _vocabulary(self) -> DatasetSpec:
        if self.name not in TEXT_DATASETS and "num_words" in self.model_fields_set:
            raise ValueError(f"num_words applies only to {' and '.join(TEXT_DATASETS)}, not {self.name}")
        if self.name in TEXT_DATASETS and "pixels" in self.model_fields_set:
            raise ValueError(f"pixels applies only to images (mnist), not {self.name}: its inputs are 0/1 word columns")
        return self

    @property
    def num_classes(self) -> int:
        return NUM_CLASSES[self.name]

    @property
    def binary(self) -> bool:
        return is_binary(self.num_classes)


def is_binary(num_classes: int) -> bool:
    """Two classes are learned as 0/1 labels on one sigmoid unit (the book's IMDB net), more as one
    unit per class. The one place this is decided: labels, the output layer, accuracy and the schema."""
    return num_classes == 2


def dense_inputs(model: ModelSpec, dataset: DatasetSpec) -> int:
    """What the first Dense layer reads: the image's or the vocabulary's columns, or the last
    convolutional layer's output flattened (side x side x channels; 0 where the stack does not fit)."""
    if not model.conv:
        return input_width(dataset)
    _name, side, channels, _parameters, _macs = conv_stack(model.conv)[-1]
    return max(side, 0) ** 2 * channels


def input_width(spec: DatasetSpec) -> int:
    """Columns of the vectorized inputs, known from the spec alone: a word's or a pixel's."""
    return spec.num_words if spec.name in TEXT_DATASETS else IMAGE_PIXELS


def output_width(spec: DatasetSpec) -> int:
    """Units of the output layer (models.output_layer builds it): one for 0/1 labels, one per class otherwise."""
    return 1 if spec.binary else spec.num_classes


class ValidationSpec(Strict):
    split: Literal["first", "random", "stratified", "test"] = Field(
        "first", description="test: validate on the test set, as the course's script does (protocol: course only)")
    size: StrictInt | float | None = Field(None, description="examples held out (int) or fraction in (0, 1)")
    seed: Seed = Field(0, description="shuffle seed for random and stratified splits")

    @model_validator(mode="after")
    def _size(self) -> ValidationSpec:
        if self.split == "test":
            if self.size is not None:
                raise ValueError("split test validates on the whole test set; leave size out")
            return self
        if self.size is None:
            raise ValueError(f"split {self.split} needs size: the examples held out (int) or a fraction in (0, 1)")
        if isinstance(self.size, int) and self.size <= 0:
            raise ValueError(f"size must be a positive count or a fraction in (0, 1), got {self.size}")
        if isinstance(self.size, float) and not 0 < self.size < 1:
            raise ValueError(f"size as a fraction must lie in (0, 1), got {self.size}")
        return self

    def inert(self) -> dict[str, str]:
        """{key: why} of settings that change nothing: a seed where no split is drawn at random."""
        if self.seed != 0 and self.split in ("first", "test"):
            return {"seed": f"split {self.split} draws nothing at random; a seed shuffles only random and stratified splits"}
        return {}


IMAGE_SIDE = 28  # an MNIST image's height and width; a convolutional stack reads it as 28 x 28 x 1
MAX_FILTERS = 1_024  # per convolution: the book's chapter-5 net uses 32 and 64


class Conv2DSpec(Strict):
    """A convolution (Keras Conv2D): `filters` kernels of `kernel` x `kernel` over every channel of the
    layer below, moved `stride` pixels at a time; padding valid (no border: the side shrinks by kernel
    - 1) or same (a border of zeros: the side stays, divided by the stride)."""

    type: Literal["conv2d"] = Field(description="conv2d: a convolution (Keras Conv2D)")
    filters: StrictInt = Field(gt=0, le=MAX_FILTERS, description="kernels, so output channels (the book: 32, 64)")
    kernel: StrictInt = Field(3, gt=0, le=IMAGE_SIDE, description="the kernel's side (the book: 3)")
    stride: StrictInt = Field(1, gt=0, le=IMAGE_SIDE, description="pixels the kernel moves between outputs")
    padding: Literal["valid", "same"] = Field("valid", description="valid: no border; same: zeros around, the side kept")
    activation: Activation = Field("relu", description="applied to each output (the book: relu)")


class Pool2DSpec(Strict):
    """A pooling layer (Keras MaxPooling2D, AveragePooling2D): the largest or the mean value of each
    `size` x `size` window, channel by channel; no weights."""

    type: Literal["max_pooling2d", "average_pooling2d"] = Field(
        description="max_pooling2d: each window's largest value; average_pooling2d: its mean (Keras MaxPooling2D, AveragePooling2D)")
    size: StrictInt = Field(2, gt=0, le=IMAGE_SIDE, description="the window's side (the book: 2)")
    stride: StrictInt | None = Field(None, gt=0, le=IMAGE_SIDE, description="pixels between windows; defaults to size")
    padding: Literal["valid", "same"] = Field("valid", description="pooling: valid keeps only the windows that fit; same pads "
                                                                    "with zeros, a window at every stride step")


ConvLayer = Annotated[Conv2DSpec | Pool2DSpec, Field(discriminator="type")]


def side_after(side: int, window: int, stride: int, padding: str) -> int:
    """An image side after a convolution or pooling window, as Keras computes it: valid keeps the
    windows that fit, same pads with zeros so every stride step has one.

    >>> side_after(28, 3, 1, "valid"), side_after(26, 2, 2, "valid"), side_after(28, 3, 2, "same")
    (26, 13, 14)
    """
    return -(-side // stride) if padding == "same" else (side - window) // stride + 1


def conv_stack(layers: list, side: int = IMAGE_SIDE, channels: int = 1) -> list[tuple[str, int, int, int, int]]:
    """Each layer of a convolutional stack as (name, side, channels, parameters, multiply-adds per
    example), the input first: the shapes a config is checked by before anything trains, and the
    costs the report puts beside test accuracy. A side below 1 means the stack does not fit.

    >>> book = [Conv2DSpec(type="conv2d", filters=32), Pool2DSpec(type="max_pooling2d"),
    ...         Conv2DSpec(type="conv2d", filters=64), Pool2DSpec(type="max_pooling2d"), Conv2DSpec(type="conv2d", filters=64)]
    >>> for name, side, channels, parameters, _macs in conv_stack(book):
    ...     print(name, side, channels, parameters)
    input 28 1 0
    conv2d 32 3x3 26 32 320
    max_pooling2d 2x2 13 32 0
    conv2d 64 3x3 11 64 18496
    max_pooling2d 2x2 5 64 0
    conv2d 64 3x3 3 64 36928
    """
    out = [("input", side, channels, 0, 0)]
    for layer in layers:
        if layer.type == "conv2d":
            side = side_after(side, layer.kernel, layer.stride, layer.padding)
            weights = layer.kernel * layer.kernel * channels
            name = f"conv2d {layer.filters} {layer.kernel}x{layer.kernel}" + (f" stride {layer.stride}" if layer.stride != 1 else "")
            channels, parameters, macs = layer.filters, (weights + 1) * layer.filters, max(side, 0) ** 2 * weights * layer.filters
        else:
            stride = layer.stride or layer.size
            side = side_after(side, layer.size, stride, layer.padding)
            name, parameters, macs = f"{layer.type} {layer.size}x{layer.size}" + (f" stride {stride}" if stride != layer.size else ""), 0, 0
        out.append((name + (" same" if layer.padding == "same" else ""), side, channels, parameters, macs))
    return out


# The model settings that shape hidden layers, and so mean nothing in a net without one.
PER_HIDDEN_LAYER = ("units", "activation", "dropout", "batch_norm", "kernel_regularizer", "bias_regularizer")


class ModelSpec(Strict):
    hidden_layers: StrictInt = Field(2, ge=0, le=MAX_HIDDEN_LAYERS, description="Dense layers between the input (or the "
                                     "convolutions) and the output layer (the book's nets: 1 to 3); 0: the output layer alone")
    units: StrictInt | list[StrictInt] = Field(64, description="each hidden layer's width, or a list of widths, one per hidden layer")
    activation: LayerActivation | list[LayerActivation] = Field(
        "relu", description="each hidden layer's activation, or a list, one per hidden layer; prelu: a learned slope (Keras PReLU)")
    output_activation: Activation | None = Field(None, description="default follows dataset and loss")
    activations: list[LayerActivation] | None = Field(
        None, description="every layer's activation, the output's last (hidden_layers + 1 names): one key for a "
                          "grid over combinations; it stands for activation and output_activation")
    negative_slope: float | None = Field(None, gt=0, lt=1, description="leaky_relu's slope below 0 (Keras: 0.2; the "
                                                                       "course: usually 0.01)")
    kernel_initializer: Initializer = Field("glorot_uniform", description="Keras initializer of every layer's weights, "
                                            "convolutions and output included (normal: RandomNormal, stddev 0.05, the course's)")
    bias_initializer: Initializer = Field("zeros", description="Keras initializer of every layer's biases, convolutions and output included")
    dropout: float | list[float] = Field(0.0, description="fraction of each hidden layer's outputs dropped in "
                                                          "training (a list: per layer); the book's nets use none")
    kernel_regularizer: RegularizerSpec | None = Field(None, description="a penalty on each hidden layer's weights (the book: l2, 0.001)")
    bias_regularizer: RegularizerSpec | None = Field(None, description="a penalty on each hidden layer's biases")
    batch_norm: bool = Field(False, description="batch normalisation after each hidden layer's weights, before its activation")
    kernel_init_range: list[float] | None = Field(
        None, min_length=2, max_length=2, description="[low, high]: every kernel uniform in it, instead of kernel_initializer "
                                                      "(the course: weights in [0, 1] vanish, above 1 explode)")
    conv: list[ConvLayer] = Field([], description="convolution and pooling layers ahead of the dense ones, read from "
                                                  "the image (28 x 28 x 1; MNIST only) and flattened after the last "
                                                  "(each: type conv2d with filters, kernel, stride, padding, activation; "
                                                  "or max_pooling2d / average_pooling2d with size, stride, padding)")

    @model_validator(mode="after")
    def _units(self) -> ModelSpec:
        widths = self.units if isinstance(self.units, list) else [self.units]
        if any(u <= 0 for u in widths):
            raise ValueError(f"units must be positive integers, got {self.units}")
        if any(u > MAX_UNITS for u in widths):
            raise ValueError(f"units may be at most {MAX_UNITS:,} per layer, got {self.units}")
        if isinstance(self.units, list) and len(self.units) != self.hidden_layers:
            raise ValueError(
                f"units lists {len(self.units)} widths but hidden_layers is {self.hidden_layers}"
            )
        if isinstance(self.activation, list) and len(self.activation) != self.hidden_layers:
            raise ValueError(
                f"activation lists {len(self.activation)} functions but hidden_layers is {self.hidden_layers}")
        rates = self.dropout if isinstance(self.dropout, list) else [self.dropout]
        if isinstance(self.dropout, list) and len(self.dropout) != self.hidden_layers:
            raise ValueError(f"dropout lists {len(self.dropout)} rates but hidden_layers is {self.hidden_layers}")
        if any(isinstance(r, bool) or not 0 <= r < 1 for r in rates):
            raise ValueError(f"dropout rates must lie in [0, 1), got {self.dropout}")
        if self.kernel_init_range is not None:
            low, high = self.kernel_init_range
            if not low < high:
                raise ValueError(f"kernel_init_range must run from low to high, got {self.kernel_init_range}")
            # By value, not by which keys were written: a run's recorded config spells out the default.
            if self.kernel_initializer != ModelSpec.model_fields["kernel_initializer"].default:
                raise ValueError("kernel_init_range replaces kernel_initializer; give one of them")
        if self.hidden_layers and "softmax" in self.layer_activations and 1 in self.widths:
            raise ValueError("a hidden layer of 1 unit under softmax always outputs 1, so nothing after it can learn: "
                             "give it more units or another activation")
        return self

    def inert(self) -> dict[str, str]:
        """The settings written here that change nothing this net computes: per-layer options with no
        hidden layer, a leaky slope with no leaky layer. {dotted key under model: why}."""
        out: dict[str, str] = {}
        if self.negative_slope is not None and "leaky_relu" not in self.layer_activations:
            out["negative_slope"] = "it applies to leaky_relu layers, and no hidden layer uses leaky_relu"
        if self.hidden_layers:
            return out
        why = "it applies to hidden layers, and hidden_layers is 0"
        defaults = {k: f.default for k, f in ModelSpec.model_fields.items()}
        for key in PER_HIDDEN_LAYER:
            value = getattr(self, key)
            if value != defaults[key] and value != []:  # a per-layer list has no entry without layers
                out[key] = why
        return out

    @model_validator(mode="before")
    @classmethod
    def _all_layers(cls, data: Any) -> Any:
        """`activations: [relu, relu, softmax]` is activation [relu, relu] and output_activation softmax,
        so a study that writes either form trains (and is keyed as) the same run."""
        if not isinstance(data, dict) or data.get("activations") is None:
            return data
        names = data["activations"]
        clash = [k for k in ("activation", "output_activation") if k in data]
        if clash:
            raise ValueError(f"activations names every layer's activation; leave out {' and '.join(clash)}")
        layers = data.get("hidden_layers", cls.model_fields["hidden_layers"].default)
        if not isinstance(names, list) or not isinstance(layers, int) or len(names) != layers + 1:
            raise ValueError(f"activations must list hidden_layers + 1 = {layers + 1 if isinstance(layers, int) else '?'} "
                             f"names (the output's last), got {names!r}")
        for name in names:
            if name not in LAYER_ACTIVATIONS:
                raise ValueError(f"activations: '{name}' is not an activation{did_you_mean(str(name), LAYER_ACTIVATIONS)}; "
                                 f"allowed: {', '.join(LAYER_ACTIVATIONS)}")
        if names[-1] == "prelu":
            raise ValueError("prelu is for hidden layers; the output's activation must be a function")
        rest = {k: v for k, v in data.items() if k != "activations"}
        return {**rest, "activation": names[:-1], "output_activation": names[-1]}

    @property
    def widths(self) -> list[int]:
        return list(self.units) if isinstance(self.units, list) else [self.units] * self.hidden_layers

    @property
    def layer_activations(self) -> list[str]:
        """Each hidden layer's activation."""
        return list(self.activation) if isinstance(self.activation, list) else [self.activation] * self.hidden_layers

    @property
    def dropout_rates(self) -> list[float]:
        """Each hidden layer's dropout rate."""
        return list(self.dropout) if isinstance(self.dropout, list) else [self.dropout] * self.hidden_layers


# The way each validation figure improves: a loss falls, an accuracy rises.
METRIC_MODES = {"val_loss": "min", "val_accuracy": "max"}


class SelectionSpec(Strict):
    """The rule that picks a run's best epoch: the epoch of the lowest val_loss (the book's) or the
    highest val_accuracy. `mode` follows the metric when left out; a mode against it is refused, since
    it would pick the worst epoch."""

    metric: Literal[HISTORY_METRICS[2:]] = Field(  # type: ignore[valid-type]
        "val_loss", description="the validation figure the best epoch is chosen on: val_loss (its lowest, the book's) or "
                                "val_accuracy (its highest)")
    mode: Literal["min", "max"] = Field("min", description="min for val_loss, max for val_accuracy (the default follows metric)")

    @model_validator(mode="before")
    @classmethod
    def _mode_follows_metric(cls, data: Any) -> Any:
        if isinstance(data, dict) and "mode" not in data and data.get("metric") in METRIC_MODES:
            return {**data, "mode": METRIC_MODES[data["metric"]]}
        return data

    @model_validator(mode="after")
    def _mode_fits_metric(self) -> SelectionSpec:
        if self.mode != METRIC_MODES[self.metric]:
            raise ValueError(f"mode {self.mode} picks the epoch of the {'lowest' if self.mode == 'min' else 'highest'} "
                             f"{self.metric}, its worst: {self.metric} is best at its {'highest' if self.mode == 'min' else 'lowest'}; "
                             f"use mode {METRIC_MODES[self.metric]} (or leave mode out: it follows metric)")
        return self


# What a study says about its runs without deciding their numbers: left out of every run key, so a
# description reworded or a reference figure added keeps the finished runs.
UNKEYED = ("name", "description", "seeds", "baseline", "references")


class StudyBase(Strict):
    """What every study kind has: a name, seeds, and a baseline variant."""

    # The kind's own run format (provenance.run_key): raised when a kind changes what it computes, so
    # its finished runs are redone. The first revision adds nothing to the key.
    REVISION: ClassVar[int] = 1

    name: str = Field(pattern=NAME_PATTERN, description="the study's id and its folder under the results: "
                      "letters, digits, '_', '.', '-', a letter or digit first")
    description: str = Field("", description="what the study asks, in a line: the report's sentence on it and its entry in the contents")
    seeds: list[Seed] = Field(default=[0], min_length=1, max_length=MAX_SEEDS, description="each variant runs once per seed "
                              "(numpy's and TensorFlow's); --seeds N or a suite's seeds replace them")
    baseline: str | None = Field(None, description="id of the variant others are compared with")
    # Keyed (it changes the last digits), but left out of the key at its default, so the runs made one
    # thread each before it was a setting keep their keys.
    threads: int = Field(1, ge=1, le=1024, description="TensorFlow threads each run computes with: the last digits "
                         "depend on it, so it is fixed whatever --jobs or the executor (process.use_threads). "
                         "Defaults to 1: parallelism comes from runs side by side")

    def fingerprint(self) -> str:
        """Hash of what decides a run's numbers (UNKEYED excluded). Values left at their defaults are
        left out, so adding an option later keeps old runs valid."""
        data = self.model_dump(mode="json", exclude_defaults=True, exclude=set(UNKEYED))
        return hashlib.sha256(json.dumps(self._keyed(data), sort_keys=True).encode()).hexdigest()[:16]

    def _keyed(self, data: dict) -> dict:
        """What a kind adds to its fingerprint; kinds made after `train` name themselves."""
        return {**data, "kind": self.kind}

    def inert(self) -> dict[str, str]:
        """{dotted key: why} of the settings written here that change nothing the run computes
        (config.load_study refuses them, or resets them where other variants use them)."""
        return {}

    def without(self, keys: list[str]) -> StudyBase:
        """The config with each dotted key at its default: keyed as the run it trains."""
        return _reset(self, [key.split(".") for key in keys])


def _reset(model: BaseModel, keys: list[list[str]]) -> Any:
    update: dict[str, Any] = {}
    for head in {key[0] for key in keys}:
        rest = [key[1:] for key in keys if key[0] == head and len(key) > 1]
        update[head] = _reset(getattr(model, head), rest) if rest else type(model).model_fields[head].default
    return model.model_copy(update=update)
