"""The `train` kind's schema: everything that determines one training run but its seed, checked
before anything trains (the net's size from the spec alone, a loss that fits the labels)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, StrictInt, ValidationInfo, field_validator, model_validator

from ...optimizer_specs import OptimizerSpec
from ...spec_tables import MAX_BATCH_SIZE, MAX_EPOCHS, OUTPUT_RANGES, TEXT_DATASETS, Loss, Strict
from ...specs import DatasetSpec, ModelSpec, SelectionSpec, StudyBase, ValidationSpec, conv_stack, dense_inputs, output_width

NAME = "train"

# 0.4 GB of float32 weights, about four times that in training (gradients, Adam's two moments). The
# shipped studies' nets have 0.6 to 2.6 million (the course's 784-784-784-10: 1.2 million), so only a
# slip gets here, such as 16,384 units on the book's 10,000-word vocabulary (164 million).
MAX_PARAMETERS = 100_000_000


class RecordSpec(Strict):
    """What a run records beyond its learning curves."""

    gradient_norms: bool = Field(False, description="each layer's weight-gradient norm per epoch (mean over its batches), "
                                                    "first hidden layer first: vanishing and exploding gradients")
    full_epochs_test: bool = Field(True, description="train the retrain on past its best epoch to all the epochs and "
                                                     "test it there too (full_epochs_test_accuracy): what stopping early "
                                                     "changed, never used to choose anything. Costs the epochs after "
                                                     "the best one. Defaults to true")


DIRECTIONS = ("higher", "lower", "same")  # a figure stated against the baseline's
OVERFITTING = ("more", "less", "same")
FIGURES = {  # what a reference may state, and what of a run it is checked against
    "best_epoch": "the epoch chosen on the validation curves",
    "lowest_epoch": "the epoch of the lowest validation loss (where overfitting starts)",
    "best_val_accuracy": "validation accuracy at the best epoch",
    "test_accuracy": "test accuracy",
    # Timed on the machine that ran it, so a number only transfers to the same machine; a direction
    # against the baseline (the course's "larger batches process data faster") is what transfers.
    "seconds_per_epoch": "seconds an epoch of the validation phase took on the machine that ran it",
}
_STATED = ": a number, a range [low, high], or against the baseline higher, lower or same"  # each figure's description


class Reference(Strict):
    """A figure from elsewhere about one variant (the book's, a student's hand-run notebook), which the
    report sets beside what the seeds measured, with a verdict. Each figure is a number (read as
    rounded: 15 stands for 14.5 to 15.5, 0.81 for 0.805 to 0.815), a range [low, high], or, against
    the baseline, higher, lower or same. It decides nothing about the runs (not in any run key)."""

    variant: str = Field(description="the variant the figures are about")
    source: str = Field(min_length=1, description="where the figures come from")
    said: str = Field("", description="the claim in its author's words")
    runs: StrictInt = Field(1, ge=1, le=1000, description="runs the figures stand for: 1, a single run, is checked "
                                                          "against where one run lands; more, against the mean")
    best_epoch: Any = Field(None, description=FIGURES["best_epoch"] + _STATED)
    lowest_epoch: Any = Field(None, description=FIGURES["lowest_epoch"] + _STATED)
    best_val_accuracy: Any = Field(None, description=FIGURES["best_val_accuracy"] + _STATED)
    test_accuracy: Any = Field(None, description=FIGURES["test_accuracy"] + _STATED)
    seconds_per_epoch: Any = Field(None, description=FIGURES["seconds_per_epoch"] + _STATED)
    overfitting: Literal[OVERFITTING] | None = Field(  # type: ignore[valid-type]
        None, description="against the baseline: how far validation loss climbs after its lowest")

    @field_validator(*FIGURES)
    @classmethod
    def _figure(cls, value: Any) -> Any:
        if value is None or value in DIRECTIONS:
            return value
        if _is_number(value):
            return value
        if isinstance(value, list) and len(value) == 2 and all(map(_is_number, value)) and value[0] <= value[1]:
            return value
        raise ValueError(f"a figure is a number (15, 0.81), a range [low, high] with low <= high, or against the "
                         f"baseline one of {', '.join(DIRECTIONS)}; got {value!r}")

    @model_validator(mode="after")
    def _states_something(self) -> Reference:
        if all(getattr(self, key) is None for key in (*FIGURES, "overfitting")) and not self.said:
            raise ValueError(f"a reference states at least one of {', '.join((*FIGURES, 'overfitting'))}, or said:")
        return self


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class Config(StudyBase):
    """Everything that determines one training run, except the seed."""

    kind: Literal["train"] = Field("train", description="what this study is: Keras nets trained and tested on imdb, reuters or "
                                                         "mnist (the default kind)")
    dataset: DatasetSpec = Field(description="the data set the net learns, and how much of it")
    validation: ValidationSpec = Field(description="how the examples the best epoch is chosen on are held out of the training set")
    model: ModelSpec = Field(ModelSpec(), description="the net: its hidden Dense layers, activations, initializers, penalties, "
                                                      "and convolutions ahead of them (mnist)")
    loss: Loss = Field(description="the Keras loss: binary_crossentropy (imdb's 0/1 labels), categorical or "
                                   "sparse_categorical_crossentropy (classes), mse or mae")
    optimizer: OptimizerSpec = Field(OptimizerSpec(), description="the Keras optimizer, its parameters and a learning-rate schedule")
    epochs: StrictInt = Field(gt=0, le=MAX_EPOCHS, description="epochs trained against the validation split; selection chooses "
                                                               "the best of them")
    batch_size: StrictInt = Field(gt=0, le=MAX_BATCH_SIZE, description="examples per gradient step (the book: 512 on imdb and reuters)")
    selection: SelectionSpec = Field(SelectionSpec(), description="how the best epoch is picked from the validation curves")
    retrain: bool = Field(True, description="retrain on train + validation for the best epoch count; "
                                             "false: test the search model's best-epoch weights")
    record: RecordSpec = Field(RecordSpec(), description="what a run records beyond its learning curves")
    references: list[Reference] = Field([], description="figures from elsewhere to check against the runs")
    protocol: Literal["nnlab", "course"] = Field(
        "nnlab", description="course: the course's own script is followed where it departs from nnlab's protocol "
                             "(validation on the test set, a sigmoid output under cross-entropy); the report flags each")

    @field_validator("model")
    @classmethod
    def _parameters_fit(cls, model: ModelSpec, info: ValidationInfo) -> ModelSpec:
        """The whole net's size, from the spec alone, before any data is read. (A config without a
        model: block gets the default 2 x 64 net, under the bound at any allowed vocabulary.)"""
        if "dataset" not in info.data:  # the dataset was refused: that error is the one to read
            return model
        dataset = info.data["dataset"]
        if model.conv and (dataset.name in TEXT_DATASETS or not dense_inputs(model, dataset)):
            return model  # a stack that does not fit or reads no image: _conv_fits says which
        if net_parameters(dataset, model) > MAX_PARAMETERS:
            raise ValueError(_too_many_parameters(dataset, model))
        return model

    @model_validator(mode="after")
    def _conv_fits(self) -> Config:
        """A convolutional stack reads a 28 x 28 image and must leave at least one pixel: refused
        otherwise, with the shape after every layer, before any data is read."""
        if not self.model.conv:
            return self
        if self.dataset.name in TEXT_DATASETS:
            raise ValueError(f"model.conv reads images (28 x 28 x 1); dataset {self.dataset.name} is text (multi-hot "
                             f"word rows): leave model.conv out, or use dataset mnist")
        stack = conv_stack(self.model.conv)
        bad = next((k for k, (_name, side, _c, _p, _m) in enumerate(stack) if side < 1), None)
        if bad is not None:
            shapes = " -> ".join(f"{name} {max(side, 0)}x{max(side, 0)}x{channels}" for name, side, channels, _p, _m in stack[:bad + 1])
            raise ValueError(f"model.conv.{bad - 1} ({stack[bad][0]}) does not fit: no pixel of the image would be left "
                             f"after it ({shapes}); use a smaller kernel, stride or window, padding same, or fewer layers")
        return self

    @model_validator(mode="after")
    def _loss_fits_dataset(self) -> Config:
        binary = self.dataset.binary
        out = self.model.output_activation
        if binary and self.loss in ("categorical_crossentropy", "sparse_categorical_crossentropy"):
            raise ValueError(f"loss {self.loss} needs several classes; {self.dataset.name} labels are 0/1: use binary_crossentropy, mse or mae")
        if not binary and self.loss == "binary_crossentropy":
            raise ValueError(f"loss binary_crossentropy fits 0/1 labels; {self.dataset.name} has many classes: "
                             "use categorical_crossentropy or sparse_categorical_crossentropy")
        course = self.protocol == "course"
        fault = output_fault(self.loss, out, output_width(self.dataset), self.dataset.name, course)
        if fault:
            raise ValueError(fault)
        if self.validation.split == "test":
            if not course:
                raise ValueError("validation.split test chooses the epoch on the test set, which nnlab's protocol "
                                 "never does; it is allowed only as the course's script, with protocol: course")
            if self.retrain:
                raise ValueError("validation.split test trains on the whole training set already: set retrain: false")
        if len(set(self.seeds)) != len(self.seeds):
            raise ValueError(f"seeds must not repeat, got {self.seeds}")
        return self

    def inert(self) -> dict[str, str]:
        out = {**{f"model.{k}": why for k, why in self.model.inert().items()},
               **{f"validation.{k}": why for k, why in self.validation.inert().items()}}
        if not self.retrain and not self.record.full_epochs_test:
            out["record.full_epochs_test"] = "it applies to the retrain, and retrain is false"
        return out

    def _keyed(self, data: dict) -> dict:
        # Keyed as train runs were before other kinds existed (no "kind"), and with num_words spelled
        # out for the text datasets as when it had no plain default: finished runs stay complete.
        if self.dataset.name in TEXT_DATASETS:
            data.setdefault("dataset", {})["num_words"] = self.dataset.num_words
        return data


PROBABILITY_LOSSES = {"binary_crossentropy": "sigmoid", "categorical_crossentropy": "softmax",
                      "sparse_categorical_crossentropy": "softmax"}


def output_fault(loss: str, activation: str | None, units: int, dataset: str, course: bool = False) -> str | None:
    """Why an output layer of `units` units under `activation` cannot give what `loss` needs, or None.
    One rule for every activation, from the values it can reach (specs.OUTPUT_RANGES): a cross-entropy
    reads probabilities, one in [0, 1] per unit (binary) or a distribution over the classes (categorical);
    mse and mae pull each unit towards its label, 0 or 1, which the output must be able to reach.

        >>> output_fault("mse", "softmax", 1, "imdb")
        "output_activation softmax on imdb's one output unit always gives 1 (a unit over its layer's sum), so mse cannot learn: use sigmoid"
        >>> output_fault("mse", "tanh", 1, "imdb") is None
        True
        >>> output_fault("binary_crossentropy", "relu", 1, "imdb", course=True) is None  # a student's slip, flagged
        True
    """
    binary = units == 1
    activation = activation or ("sigmoid" if binary else "softmax")
    if activation == "softmax" and binary:
        return (f"output_activation softmax on {dataset}'s one output unit always gives 1 (a unit over its layer's sum), "
                f"so {loss} cannot learn: use sigmoid")
    low, high = OUTPUT_RANGES[activation]
    needs = PROBABILITY_LOSSES.get(loss)
    if needs == "sigmoid" and (low, high) != (0.0, 1.0) and not (course and activation == "relu"):
        return (f"output_activation {activation} does not give the probabilities {loss} expects: its values run from "
                f"{low:g} to {high:g}, a probability from 0 to 1: use sigmoid"
                + (" (a relu output, as a student's notebook had it, runs with protocol: course, flagged in the report)"
                   if activation == "relu" else ""))
    if needs == "softmax" and activation != "softmax" and not (course and activation == "sigmoid"):
        return (f"output_activation {activation} does not give the probabilities {loss} expects: a distribution over "
                f"the {units} classes, which softmax gives: use softmax"
                + (" (a sigmoid output, as the course's script has, is allowed with protocol: course)"
                   if activation == "sigmoid" else ""))
    if needs is None and not (low <= 0.0 and high >= 1.0):
        return (f"output_activation {activation} cannot reach the labels {loss} pulls it towards: its values run from "
                f"{low:g} to {high:g}, and every label is 0 or 1: use sigmoid{' or softmax' * (not binary)}")
    return None


def parameter_count(inputs: int, widths: list[int], outputs: int) -> int:
    """Weights and biases of the Dense stack inputs -> widths -> outputs."""
    sizes = [inputs, *widths, outputs]
    return sum(n_in * n_out + n_out for n_in, n_out in zip(sizes, sizes[1:]))


def net_parameters(dataset: DatasetSpec, model: ModelSpec) -> int:
    """Every weight and bias of the net: its convolutions' (if any), then the Dense stack's."""
    convolutions = sum(parameters for _name, _side, _channels, parameters, _macs in conv_stack(model.conv)) if model.conv else 0
    return convolutions + parameter_count(dense_inputs(model, dataset), model.widths, output_width(dataset))


def _too_many_parameters(dataset: DatasetSpec, model: ModelSpec) -> str:
    inputs, outputs = dense_inputs(model, dataset), output_width(dataset)
    count = net_parameters(dataset, model)
    text = dataset.name in TEXT_DATASETS
    where = " (dataset.num_words)" * text + " (model.conv, flattened)" * bool(model.conv)
    return (f"{_layers(model.widths)} on {inputs:,} inputs{where} and {outputs} "
            f"output{'s' * (outputs != 1)} make {count:,} parameters ({_gigabytes(count)} of float32 weights), above "
            f"the limit of {MAX_PARAMETERS:,} ({_gigabytes(MAX_PARAMETERS)}); lower model.units or model.hidden_layers"
            f"{' or dataset.num_words' * text}")


def _layers(widths: list[int]) -> str:
    if not widths:
        return "no hidden layers"
    if len(set(widths)) == 1:
        return f"{len(widths)} hidden layer{'s' * (len(widths) > 1)} of {widths[0]:,} units"
    return f"hidden layers of {', '.join(f'{w:,}' for w in widths)} units"


def _gigabytes(parameters: int) -> str:
    return f"{parameters * 4 / 1e9:.1f} GB"

