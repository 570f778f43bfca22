"""Study configs: the YAML schema, its validation, and grid/variant expansion.

Nothing here imports TensorFlow, so `nnlab validate` and `nnlab list` answer in
well under a second and a bad config is refused before any training starts.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import itertools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Union

import yaml
from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError, model_validator

from .errors import ConfigError

DATASETS = ("imdb", "reuters", "mnist")
TEXT_DATASETS = ("imdb", "reuters")

# Kept as static tables (not looked up in Keras) so validation needs no TensorFlow.
# tests/test_config.py checks them against the installed Keras so they cannot drift.
ACTIVATIONS = (
    "relu", "sigmoid", "tanh", "softmax", "softplus", "softsign", "elu", "selu",
    "gelu", "silu", "swish", "leaky_relu", "mish", "relu6", "hard_sigmoid",
    "exponential", "linear",
)
LOSSES = (
    "binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy",
    "mse", "mae",
)
_COMMON_OPT = ("learning_rate", "weight_decay", "clipnorm", "clipvalue", "global_clipnorm")
OPTIMIZER_PARAMS: dict[str, tuple[str, ...]] = {
    "sgd": _COMMON_OPT + ("momentum", "nesterov"),
    "rmsprop": _COMMON_OPT + ("rho", "momentum", "epsilon", "centered"),
    "adam": _COMMON_OPT + ("beta_1", "beta_2", "epsilon", "amsgrad"),
    "adamw": _COMMON_OPT + ("beta_1", "beta_2", "epsilon", "amsgrad"),
    "adagrad": _COMMON_OPT + ("initial_accumulator_value", "epsilon"),
    "adadelta": _COMMON_OPT + ("rho", "epsilon"),
    "adamax": _COMMON_OPT + ("beta_1", "beta_2", "epsilon"),
    "nadam": _COMMON_OPT + ("beta_1", "beta_2", "epsilon"),
}
HISTORY_METRICS = ("loss", "accuracy", "val_loss", "val_accuracy")
INITIALIZERS = (
    "glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "lecun_uniform", "lecun_normal",
    "random_normal", "random_uniform", "truncated_normal", "orthogonal", "zeros", "ones",
)
SCHEDULES = ("exponential_decay", "inverse_time_decay", "piecewise_constant", "cosine_decay")
Initializer = Literal[INITIALIZERS]  # type: ignore[valid-type]

Activation = Literal[ACTIVATIONS]  # type: ignore[valid-type]
Loss = Literal[LOSSES]  # type: ignore[valid-type]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DatasetSpec(_Strict):
    name: Literal[DATASETS]  # type: ignore[valid-type]
    num_words: StrictInt | None = Field(None, gt=3, description="vocabulary size (imdb, reuters)")
    sample: bool = Field(False, description="use the small sample bundled with nnlab")
    subset: StrictInt | None = Field(None, gt=0, description="keep the first N train and test examples")

    @model_validator(mode="after")
    def _vocabulary(self) -> "DatasetSpec":
        if self.name in TEXT_DATASETS and self.num_words is None:
            object.__setattr__(self, "num_words", 10000)
        if self.name not in TEXT_DATASETS and self.num_words is not None:
            raise ValueError(f"num_words applies only to {' and '.join(TEXT_DATASETS)}, not {self.name}")
        return self


class ValidationSpec(_Strict):
    split: Literal["first", "random", "stratified"] = "first"
    size: Union[StrictInt, float] = Field(description="examples held out (int) or fraction in (0, 1)")
    seed: StrictInt = Field(0, description="shuffle seed for random and stratified splits")

    @model_validator(mode="after")
    def _size(self) -> "ValidationSpec":
        if isinstance(self.size, int) and self.size <= 0:
            raise ValueError(f"size must be a positive count or a fraction in (0, 1), got {self.size}")
        if isinstance(self.size, float) and not 0 < self.size < 1:
            raise ValueError(f"size as a fraction must lie in (0, 1), got {self.size}")
        return self


class ModelSpec(_Strict):
    hidden_layers: StrictInt = Field(2, ge=0)
    units: Union[StrictInt, list[StrictInt]] = 64
    activation: Union[Activation, list[Activation]] = "relu"
    output_activation: Activation | None = Field(None, description="default follows dataset and loss")
    kernel_initializer: Initializer = "glorot_uniform"
    bias_initializer: Initializer = "zeros"

    @model_validator(mode="after")
    def _units(self) -> "ModelSpec":
        widths = self.units if isinstance(self.units, list) else [self.units]
        if any(u <= 0 for u in widths):
            raise ValueError(f"units must be positive integers, got {self.units}")
        if isinstance(self.units, list) and len(self.units) != self.hidden_layers:
            raise ValueError(
                f"units lists {len(self.units)} widths but hidden_layers is {self.hidden_layers}"
            )
        if isinstance(self.activation, list) and len(self.activation) != self.hidden_layers:
            raise ValueError(
                f"activation lists {len(self.activation)} functions but hidden_layers is {self.hidden_layers}")
        return self

    @property
    def widths(self) -> list[int]:
        return list(self.units) if isinstance(self.units, list) else [self.units] * self.hidden_layers

    @property
    def activations(self) -> list[str]:
        return list(self.activation) if isinstance(self.activation, list) else [self.activation] * self.hidden_layers


class ScheduleSpec(_Strict):
    """A Keras learning-rate schedule; the optimizer's learning_rate is where it starts.
    Steps are counted in epochs by default (unit: epoch), converted to Keras' batch steps at build."""

    name: Literal[SCHEDULES]  # type: ignore[valid-type]
    unit: Literal["epoch", "step"] = "epoch"
    decay_steps: float | None = Field(None, gt=0, description="exponential, inverse_time, cosine")
    decay_rate: float | None = Field(None, gt=0, description="exponential, inverse_time")
    staircase: bool = False
    alpha: float = Field(0.0, ge=0, le=1, description="cosine: final fraction of the learning rate")
    boundaries: list[float] | None = Field(None, description="piecewise_constant: where the rate changes")
    values: list[float] | None = Field(None, description="piecewise_constant: one more rate than boundaries")

    @model_validator(mode="after")
    def _needs(self) -> "ScheduleSpec":
        required = {"exponential_decay": ("decay_steps", "decay_rate"), "inverse_time_decay": ("decay_steps", "decay_rate"),
                    "cosine_decay": ("decay_steps",), "piecewise_constant": ("boundaries", "values")}[self.name]
        missing = [k for k in required if getattr(self, k) is None]
        if missing:
            raise ValueError(f"schedule {self.name} needs {', '.join(missing)}")
        if self.name == "piecewise_constant" and len(self.values) != len(self.boundaries) + 1:
            raise ValueError(f"piecewise_constant needs one more value than boundaries, got "
                             f"{len(self.values)} values and {len(self.boundaries)} boundaries")
        return self


class OptimizerSpec(BaseModel):
    """An optimizer by Keras name; every other key is passed to its constructor."""

    model_config = ConfigDict(extra="allow", frozen=True)
    name: Literal[tuple(OPTIMIZER_PARAMS)] = "rmsprop"  # type: ignore[valid-type]
    schedule: ScheduleSpec | None = None

    @model_validator(mode="after")
    def _params(self) -> "OptimizerSpec":
        allowed = OPTIMIZER_PARAMS[self.name]
        for key, value in self.params.items():
            if key not in allowed:
                hint = _did_you_mean(key, allowed)
                raise ValueError(f"{self.name} takes no parameter '{key}'{hint}; allowed: {', '.join(allowed)}")
            if isinstance(value, bool) != (key in ("nesterov", "amsgrad", "centered")):
                raise ValueError(f"{key} must be {'true/false' if key in ('nesterov', 'amsgrad', 'centered') else 'a number'}, got {value!r}")
            if not isinstance(value, (int, float)):
                raise ValueError(f"{key} must be a number, got {value!r}")
            if key == "learning_rate" and value <= 0:
                raise ValueError(f"learning_rate must be > 0, got {value}")
        return self

    @property
    def params(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class SelectionSpec(_Strict):
    metric: Literal[HISTORY_METRICS[2:]] = "val_loss"  # type: ignore[valid-type]
    mode: Literal["min", "max"] = "min"


class _StudyBase(_Strict):
    """What every study kind has: a name, seeds, and a baseline variant."""

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    description: str = ""
    seeds: list[StrictInt] = Field(default=[0], min_length=1)
    baseline: str | None = Field(None, description="id of the variant others are compared with")

    def fingerprint(self) -> str:
        """Hash of what decides a run's numbers (name, description and seeds list excluded).
        Values left at their defaults are left out, so adding an option later keeps old runs valid."""
        data = self.model_dump(mode="json", exclude_defaults=True, exclude={"name", "description", "seeds", "baseline"})
        if self.kind != "train":  # train runs were keyed before other kinds existed
            data["kind"] = self.kind
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


class RunConfig(_StudyBase):
    """Everything that determines one training run, except the seed."""

    kind: Literal["train"] = "train"
    dataset: DatasetSpec
    validation: ValidationSpec
    model: ModelSpec = ModelSpec()
    loss: Loss
    optimizer: OptimizerSpec = OptimizerSpec()
    epochs: StrictInt = Field(gt=0)
    batch_size: StrictInt = Field(gt=0)
    selection: SelectionSpec = SelectionSpec()
    retrain: bool = Field(True, description="retrain on train + validation for the best epoch count; "
                                             "false: test the search model's best-epoch weights")

    @model_validator(mode="after")
    def _loss_fits_dataset(self) -> "RunConfig":
        binary = self.dataset.name == "imdb"
        out = self.model.output_activation
        if binary and self.loss in ("categorical_crossentropy", "sparse_categorical_crossentropy"):
            raise ValueError(f"loss {self.loss} needs several classes; imdb labels are 0/1: use binary_crossentropy, mse or mae")
        if not binary and self.loss == "binary_crossentropy":
            raise ValueError(f"loss binary_crossentropy fits 0/1 labels; {self.dataset.name} has many classes: use categorical_crossentropy or sparse_categorical_crossentropy")
        needs = {"binary_crossentropy": "sigmoid", "categorical_crossentropy": "softmax",
                 "sparse_categorical_crossentropy": "softmax"}.get(self.loss)
        if needs and out is not None and out != needs:
            raise ValueError(f"output_activation {out} does not give the probabilities {self.loss} expects: use {needs}")
        if len(set(self.seeds)) != len(self.seeds):
            raise ValueError(f"seeds must not repeat, got {self.seeds}")
        return self



class XorModel(_Strict):
    units: StrictInt = Field(2, gt=0)
    activation: Activation = "relu"
    kernel_initializer: Initializer = "glorot_uniform"
    bias_initializer: Initializer = "zeros"


class XorConfig(_StudyBase):
    """The 2-H-1 network on the four XOR points, trained full-batch many times from different seeds."""

    kind: Literal["xor"]
    model: XorModel = XorModel()
    learning_rate: float = Field(0.01, gt=0)
    steps: StrictInt = Field(10000, gt=0, description="full-batch SGD steps on MSE")
    repeats: StrictInt = Field(100, gt=0, description="independent initialisations drawn from each seed")


class LrDecayConfig(_StudyBase):
    """Gradient descent on (w - target)^2 with lr = learning_rate * decay_rate^epoch."""

    kind: Literal["lr_decay_demo"]
    w0: float = 5.0
    target: float = -1.0
    learning_rate: float = Field(0.2, gt=0)
    decay_rate: float = Field(0.99, gt=0, le=1)
    epochs: StrictInt = Field(40, gt=0)


class GalleryConfig(_StudyBase):
    """Each activation and its derivative (by automatic differentiation) over an interval."""

    kind: Literal["activation_gallery"]
    activations: list[Activation] = Field(min_length=1)
    x_min: float = -5.0
    x_max: float = 5.0
    points: StrictInt = Field(1001, ge=3)

    @model_validator(mode="after")
    def _interval(self) -> "GalleryConfig":
        if self.x_min >= self.x_max:
            raise ValueError(f"x_min must be below x_max, got {self.x_min} >= {self.x_max}")
        return self


KINDS: dict[str, type[_StudyBase]] = {"train": RunConfig, "xor": XorConfig, "lr_decay_demo": LrDecayConfig,
                                       "activation_gallery": GalleryConfig}
AnyConfig = Union[RunConfig, XorConfig, LrDecayConfig, GalleryConfig]


@dataclass(frozen=True)
class Variant:
    id: str
    overrides: dict[str, Any]
    config: AnyConfig


@dataclass(frozen=True)
class Study:
    name: str
    path: Path
    variants: list[Variant]

    @property
    def seeds(self) -> list[int]:
        return self.variants[0].config.seeds

    @property
    def baseline(self) -> str:
        return self.variants[0].config.baseline or self.variants[0].id


# --- loading -----------------------------------------------------------------------------------

_STUDY_KEYS = ("grid", "variants")


def load_study(path: str | Path, overrides: dict[str, Any] | None = None) -> Study:
    """Read, expand and validate a study file; raise ConfigError naming file and key on any fault.

    `overrides` are dotted keys applied to every variant (the CLI's --epochs, --subset, ...).
    """
    path = Path(path)
    raw = _read_yaml(path)
    base = {k: v for k, v in raw.items() if k not in _STUDY_KEYS}
    expanded = expand(raw.get("grid"), raw.get("variants"), path)
    variants = []
    for vid, vover in expanded:
        data = copy.deepcopy(base)
        for key, value in vover.items():
            _set_dotted(data, key, value, path, vid)
        schema = KINDS.get(data.get("kind", "train"))
        for key, value in (overrides or {}).items():
            # Command-line overrides (--epochs, --subset, ...) touch only the kinds that have the key.
            if schema is None or key.split(".")[0] in schema.model_fields:
                _set_dotted(data, key, value, path, vid)
        config = _validate(data, path, vid)
        variants.append(Variant(vid, vover, config))
    ids = [v.id for v in variants]
    baseline = variants[0].config.baseline
    if baseline is not None and baseline not in ids:
        raise ConfigError(f"{path}: baseline: '{baseline}' is not a variant{_did_you_mean(baseline, ids)}; variants: {', '.join(ids)}")
    return Study(name=variants[0].config.name, path=path, variants=variants)


def _read_yaml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ConfigError(f"{path}: no such config file")
    try:
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{path}: malformed YAML{where}: {problem}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: a study config must be a YAML mapping of keys, got {type(raw).__name__}")
    return raw


def expand(grid: Any, variants: Any, path: Path) -> list[tuple[str, dict[str, Any]]]:
    """(id, dotted overrides) for every variant: named variants x the cartesian grid."""
    named: list[tuple[str, dict[str, Any]]] = [("", {})]
    if variants is not None:
        if not isinstance(variants, list) or not variants:
            raise ConfigError(f"{path}: variants: must be a non-empty list of {{name: ..., <dotted key>: value}}")
        named = []
        for i, item in enumerate(variants):
            if not isinstance(item, dict) or not isinstance(item.get("name"), str):
                raise ConfigError(f"{path}: variants[{i}]: each variant needs a 'name' and its overrides as dotted keys")
            name = item["name"]
            if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", name):
                raise ConfigError(f"{path}: variants[{i}].name: '{name}' may hold only letters, digits, '_', '.', '-'")
            named.append((name, {k: v for k, v in item.items() if k != "name"}))
    cells: list[tuple[str, dict[str, Any]]] = [("", {})]
    if grid is not None:
        if not isinstance(grid, dict) or not grid:
            raise ConfigError(f"{path}: grid: must be a non-empty mapping of dotted keys to lists of values")
        for key, values in grid.items():
            if not isinstance(values, list) or not values:
                raise ConfigError(f"{path}: grid.{key}: must be a non-empty list of values, got {values!r}")
        labels = _grid_labels(list(grid))
        cells = []
        for combo in itertools.product(*grid.values()):
            vid = "_".join(f"{label}-{_slug(v)}" for label, v in zip(labels, combo))
            cells.append((vid, dict(zip(grid, combo))))
    out = [("_".join(p for p in (n, c) if p) or "default", {**nov, **cov}) for n, nov in named for c, cov in cells]
    ids = [vid for vid, _ in out]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise ConfigError(f"{path}: variant ids repeat: {', '.join(dupes)}; give each variant a distinct name")
    return out


def _grid_labels(keys: list[str]) -> list[str]:
    """Last segment of each dotted key, or the whole key where last segments would collide."""
    last = [k.split(".")[-1] for k in keys]
    return [lst if last.count(lst) == 1 else k.replace(".", "-") for k, lst in zip(keys, last)]


def _slug(value: Any) -> str:
    if isinstance(value, list):
        return "x".join(_slug(v) for v in value)
    text = str(value).lower() if isinstance(value, bool) else str(value)
    return re.sub(r"[^A-Za-z0-9.-]+", "", text) or "none"


def _set_dotted(data: dict[str, Any], key: str, value: Any, path: Path, vid: str) -> None:
    node = data
    parts = key.split(".")
    for part in parts[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise ConfigError(f"{path}: variant '{vid}': cannot set '{key}': '{part}' is not a mapping")
        node = child
    node[parts[-1]] = value


def _validate(data: dict[str, Any], path: Path, vid: str) -> AnyConfig:
    where = f"variant '{vid}': " if vid != "default" else ""
    kind = data.get("kind", "train")
    if kind not in KINDS:
        raise ConfigError(f"{path}: {where}kind: '{kind}' is not a study kind{_did_you_mean(kind, KINDS)}; "
                          f"allowed: {', '.join(KINDS)}")
    schema = KINDS[kind]
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        lines = [f"{path}: {where}{line}" for line in _errors(exc, schema)]
        raise ConfigError("\n".join(lines)) from None


# Pydantic names the union member an error came from ("literal[...]", "list[...]", "int"): not a key.
_TYPE_TAG = re.compile(r"^([a-z-]+\[.*\]|int|float|str|bool|list|dict|none|[A-Z]\w*)$")


def _errors(exc: ValidationError, root: type[BaseModel]) -> list[str]:
    """One message per key: a union (int or list, say) reports each member's complaint; keep the first."""
    seen: dict[str, str] = {}
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"] if not _TYPE_TAG.match(str(p)))
        seen.setdefault(key, _describe(err, root))
    return list(seen.values())


def _describe(err: dict[str, Any], root: type[BaseModel]) -> str:
    loc = [str(p) for p in err["loc"] if not _TYPE_TAG.match(str(p))]
    key = ".".join(loc) or "(top level)"
    if err["type"] == "extra_forbidden":
        allowed = _fields_at(root, loc[:-1])
        return f"{key}: unknown key{_did_you_mean(loc[-1], allowed)}; allowed here: {', '.join(allowed)}"
    if err["type"] == "missing":
        return f"{key}: required key is missing"
    msg = err["msg"].removeprefix("Value error, ")
    got = err.get("input")
    shown = "" if isinstance(got, dict) or err["type"] == "value_error" else f" (got {got!r})"
    return f"{key}: {msg}{shown}"


def _fields_at(model: type[BaseModel], loc: list[str]) -> list[str]:
    for part in loc:
        ann = model.model_fields[part].annotation
        model = next((a for a in getattr(ann, "__args__", (ann,)) if isinstance(a, type) and issubclass(a, BaseModel)), ann)
    return list(model.model_fields)


def _did_you_mean(word: str, choices: Any) -> str:
    close = difflib.get_close_matches(str(word), list(choices), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


# --- suites ------------------------------------------------------------------------------------

class SuiteConfig(_Strict):
    """A manifest of studies run together with the same seeds: what `make all-experiments` runs."""

    name: str
    description: str = ""
    seeds: Union[StrictInt, list[StrictInt]] = Field(description="a count N (seeds 0..N-1) or a list")
    studies: list[str] = Field(min_length=1, description="config paths, relative to the manifest")
    jobs: StrictInt = Field(1, ge=1, description="runs trained at once in worker processes (--jobs overrides)")

    @property
    def seed_list(self) -> list[int]:
        return list(range(self.seeds)) if isinstance(self.seeds, int) else list(self.seeds)


def load_suite(path: str | Path, overrides: dict[str, Any] | None = None) -> tuple[SuiteConfig, list[Study]]:
    path = Path(path)
    try:
        suite = SuiteConfig.model_validate(_read_yaml(path))
    except ValidationError as exc:
        raise ConfigError("\n".join(f"{path}: {line}" for line in _errors(exc, SuiteConfig))) from None
    if isinstance(suite.seeds, int) and suite.seeds <= 0 or suite.seeds == []:
        raise ConfigError(f"{path}: seeds: give a positive count or a non-empty list, got {suite.seeds}")
    overrides = {"seeds": suite.seed_list, **(overrides or {})}
    return suite, [load_study(path.parent / study, overrides) for study in suite.studies]
