"""The `train` kind: the book's protocol for one variant and seed. Train with a validation split,
pick the best epoch from the curves, retrain from the seed on train + validation for exactly that
many epochs, test once; then the study's summary tables and its report section.

A run, top to bottom, is `run`; its console line is `headline`; `summarize` writes the study's
tables after its runs; `section` is its part of the report.
"""

from __future__ import annotations

import math
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import Field, StrictInt, ValidationInfo, field_validator, model_validator

from .. import plots, results
from ..data import Dataset, encode_labels, input_width, load_dataset, output_width, split_validation, validation_count
from ..errors import NnlabError
from ..report_data import StudyResults, VariantStats
from ..report_parts import fmt, image, markdown_table
from ..selection import best_epoch
from ..specs import MAX_BATCH_SIZE, MAX_EPOCHS, TEXT_DATASETS, DatasetSpec, Loss, ModelSpec, OptimizerSpec, SelectionSpec, StudyBase, ValidationSpec
from ..stats import ALPHA, CORRECTION_WHY, TEST_NAMES, Comparison, adjust, compare, correction, detectable_difference, mean_interval, mean_sd, p_text

NAME = "train"

# 0.4 GB of float32 weights, about four times that in training (gradients, Adam's two moments). The
# shipped studies' nets have 0.6 to 2.6 million (the course's 784-784-784-10: 1.2 million), so only a
# slip gets here, such as 16,384 units on the book's 10,000-word vocabulary (164 million).
MAX_PARAMETERS = 100_000_000


class Config(StudyBase):
    """Everything that determines one training run, except the seed."""

    kind: Literal["train"] = "train"
    dataset: DatasetSpec
    validation: ValidationSpec
    model: ModelSpec = ModelSpec()
    loss: Loss
    optimizer: OptimizerSpec = OptimizerSpec()
    epochs: StrictInt = Field(gt=0, le=MAX_EPOCHS)
    batch_size: StrictInt = Field(gt=0, le=MAX_BATCH_SIZE)
    selection: SelectionSpec = SelectionSpec()
    retrain: bool = Field(True, description="retrain on train + validation for the best epoch count; "
                                             "false: test the search model's best-epoch weights")

    @field_validator("model")
    @classmethod
    def _parameters_fit(cls, model: ModelSpec, info: ValidationInfo) -> ModelSpec:
        """The whole net's size, from the spec alone, before any data is read. (A config without a
        model: block gets the default 2 x 64 net, under the bound at any allowed vocabulary.)"""
        if "dataset" not in info.data:  # the dataset was refused: that error is the one to read
            return model
        dataset = info.data["dataset"]
        if parameter_count(input_width(dataset), model.widths, output_width(dataset)) > MAX_PARAMETERS:
            raise ValueError(_too_many_parameters(dataset, model))
        return model

    @model_validator(mode="after")
    def _loss_fits_dataset(self) -> Config:
        binary = self.dataset.name == "imdb"
        out = self.model.output_activation
        if binary and self.loss in ("categorical_crossentropy", "sparse_categorical_crossentropy"):
            raise ValueError(f"loss {self.loss} needs several classes; imdb labels are 0/1: use binary_crossentropy, mse or mae")
        if not binary and self.loss == "binary_crossentropy":
            raise ValueError(f"loss binary_crossentropy fits 0/1 labels; {self.dataset.name} has many classes: "
                             "use categorical_crossentropy or sparse_categorical_crossentropy")
        needs = {"binary_crossentropy": "sigmoid", "categorical_crossentropy": "softmax",
                 "sparse_categorical_crossentropy": "softmax"}.get(self.loss)
        if needs and out is not None and out != needs:
            raise ValueError(f"output_activation {out} does not give the probabilities {self.loss} expects: use {needs}")
        if len(set(self.seeds)) != len(self.seeds):
            raise ValueError(f"seeds must not repeat, got {self.seeds}")
        return self

    def _keyed(self, data: dict) -> dict:
        # Keyed as train runs were before other kinds existed (no "kind"), and with num_words spelled
        # out for the text datasets as when it had no plain default: finished runs stay complete.
        if self.dataset.name in TEXT_DATASETS:
            data.setdefault("dataset", {})["num_words"] = self.dataset.num_words
        return data


def parameter_count(inputs: int, widths: list[int], outputs: int) -> int:
    """Weights and biases of the Dense stack inputs -> widths -> outputs."""
    sizes = [inputs, *widths, outputs]
    return sum(n_in * n_out + n_out for n_in, n_out in zip(sizes, sizes[1:]))


def _too_many_parameters(dataset: DatasetSpec, model: ModelSpec) -> str:
    inputs, outputs = input_width(dataset), output_width(dataset)
    count = parameter_count(inputs, model.widths, outputs)
    text = dataset.name in TEXT_DATASETS
    return (f"{_layers(model.widths)} on {inputs:,} inputs{' (dataset.num_words)' * text} and {outputs} "
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


# --- before anything trains ----------------------------------------------------------------------

def dataset(config: Config, data_dir: str | None) -> Dataset:
    """Loaded and vectorized once per process (cached), shared by every variant that names it."""
    return load_dataset(config.dataset, data_dir)


def preflight(config: Config, data: Dataset) -> None:
    """A validation size the data cannot hold fails here, before the first run trains."""
    validation_count(config.validation, len(data.x_train), data.full_train_size)


# --- one run -------------------------------------------------------------------------------------

def run(study: str, variant_id: str, config: Config, seed: int, data: Dataset, progress=None) -> results.RunOutput:
    start_time = time.time()
    trainer, search, seconds, (x_train, x_val) = _search_phase(config, seed, data, progress)
    labels = lambda y: encode_labels(y, data.num_classes, config.loss)  # noqa: E731
    diverged = _diverged_epoch(search)
    best, retrain_history, test = None, None, {"loss": None, "accuracy": None}
    if diverged is None:
        best = best_epoch(search, config.selection.metric, config.selection.mode)
        if config.retrain:
            # From the seed's initial weights again, on train + validation, for exactly the chosen epochs.
            retrain_history, _ = trainer.fit(data.x_train, labels(data.y_train), best, phase="retrain",
                                             report=progress)
        test = trainer.evaluate(data.x_test, labels(data.y_test))

    metrics = {
        "study": study, "variant": variant_id, "seed": seed, "status": "ok" if diverged is None else "diverged",
        "protocol": "retrain" if config.retrain else "best-epoch weights, no retrain",
        "best_epoch": best, "selection": config.selection.model_dump(),
        "best_val_loss": search["val_loss"][best - 1] if best else None,
        "best_val_accuracy": search["val_accuracy"][best - 1] if best else None,
        "test_loss": test["loss"], "test_accuracy": test["accuracy"],
        "epochs_run": len(search["loss"]), "retrain_epochs": len(retrain_history["loss"]) if retrain_history else 0,
        "diverged_epoch": diverged,
        "train_examples": len(x_train), "validation_examples": len(x_val), "test_examples": len(data.x_test),
        # Label counts let the report state the trivial baselines (majority class, random guessing).
        "train_label_counts": np.bincount(data.y_train, minlength=data.num_classes).tolist(),
        "test_label_counts": np.bincount(data.y_test, minlength=data.num_classes).tolist(),
        "wall_time_s": round(time.time() - start_time, 2),
        "seconds_per_epoch": round(sum(seconds) / len(seconds), 3),
    }
    files = {"search_history.json": search}
    if retrain_history:
        files["retrain_history.json"] = retrain_history
    figures = {"curves.png": plots.learning_curves(search, best, f"{study} / {variant_id} / seed {seed}")}
    return results.RunOutput(metrics, files, figures, data.source)


def run_trial(study: str, variant_id: str, config: Config, seed: int, data: Dataset, progress=None,
              stop=None) -> results.RunOutput:
    """A search's trial: the search phase alone (train with the validation split, the best epoch
    from the curves), never retrained and never tested: a search sees the validation split only.
    `stop(history)` may end it early (pruning); its status is then "pruned"."""
    start_time = time.time()
    _, search, seconds, (x_train, x_val) = _search_phase(config, seed, data, progress, stop)
    diverged = _diverged_epoch(search)
    best = best_epoch(search, config.selection.metric, config.selection.mode) if diverged is None else None
    status = "diverged" if diverged else "pruned" if len(search["loss"]) < config.epochs else "ok"
    metrics = {
        "study": study, "variant": variant_id, "seed": seed, "status": status, "protocol": "search trial, no test",
        "best_epoch": best, "selection": config.selection.model_dump(),
        "best_val_loss": search["val_loss"][best - 1] if best else None,
        "best_val_accuracy": search["val_accuracy"][best - 1] if best else None,
        "epochs_run": len(search["loss"]), "diverged_epoch": diverged,
        "train_examples": len(x_train), "validation_examples": len(x_val),
        "wall_time_s": round(time.time() - start_time, 2),
        "seconds_per_epoch": round(sum(seconds) / len(seconds), 3),
    }
    figures = {"curves.png": plots.learning_curves(search, best, f"{study} / {variant_id} / seed {seed}")}
    return results.RunOutput(metrics, {"search_history.json": search}, figures, data.source)


def _search_phase(config: Config, seed: int, data: Dataset, progress, stop=None):
    """Train on the training split, validating on the held-out one after each epoch."""
    from ..training import Trainer  # TensorFlow loads only in the process that trains

    x_train, y_train, x_val, y_val = split_validation(data.x_train, data.y_train, config.validation,
                                                      data.full_train_size)
    labels = lambda y: encode_labels(y, data.num_classes, config.loss)  # noqa: E731
    trainer = Trainer(config, seed, data.num_classes, x_train)
    search, seconds = trainer.fit(x_train, labels(y_train), config.epochs, validation=(x_val, labels(y_val)),
                                  phase="search", report=progress, keep_best=not config.retrain, stop=stop)
    return trainer, search, seconds, (x_train, x_val)


def _diverged_epoch(history: dict) -> int | None:
    return next((i + 1 for i, v in enumerate(history["loss"]) if not math.isfinite(v)), None)


def check(folder: Path, metrics: dict, files: dict, trial: bool) -> list[tuple[str, str]]:
    """What a finished run of this kind must show on disk (nnlab verify; a run that fails is redone):
    the best epoch is what the selection rule gives on the recorded curve, the figures at that epoch
    are the curve's, a retrained run's retrain curve is that many epochs long, a tested run has its
    test figures, and the learning-curve figure exists."""
    history = files.get("search_history.json")
    if not isinstance(history, dict) or not all(isinstance(history.get(k), list) for k in HISTORY_KEYS):
        return [("search_history.json", "is missing or holds no learning curve")]
    history = {k: [math.nan if v is None else v for v in values] for k, values in history.items()}
    problems = []
    if metrics.get("epochs_run") != len(history["loss"]):
        problems.append((results.METRICS, f"epochs_run {metrics.get('epochs_run')} but the recorded curve has "
                                          f"{len(history['loss'])} epochs"))
    if metrics["status"] in ("ok", "pruned"):
        problems += _selection_problems(metrics, history)
        if metrics["status"] == "ok" and not trial:
            problems += _tested_problems(metrics, files.get("retrain_history.json"))
    elif metrics["status"] == "diverged" and metrics.get("diverged_epoch") != _diverged_epoch(history):
        problems.append((results.METRICS, f"diverged_epoch {metrics.get('diverged_epoch')} is not where the "
                                          f"recorded loss stops being finite ({_diverged_epoch(history)})"))
    if not (folder / "curves.png").is_file():
        problems.append(("curves.png", "is missing"))
    return problems


HISTORY_KEYS = ("loss", "val_loss", "val_accuracy")


def _selection_problems(metrics: dict, history: dict) -> list[tuple[str, str]]:
    selection = metrics.get("selection") or {}
    metric, mode = selection.get("metric", "val_loss"), selection.get("mode", "min")
    try:
        rule = best_epoch(history, metric, mode)
    except NnlabError as exc:
        return [("search_history.json", f"gives no best epoch: {exc}")]
    if metrics.get("best_epoch") != rule:
        return [(results.METRICS, f"best_epoch {metrics.get('best_epoch')} is not what the selection rule "
                                  f"({metric}, {mode}) gives on the recorded curve: {rule}")]
    return [(results.METRICS, f"best_{key} {metrics.get(f'best_{key}')} is not the curve's {history[key][rule - 1]} "
                              f"at epoch {rule}")
            for key in ("val_loss", "val_accuracy") if metrics.get(f"best_{key}") != history[key][rule - 1]]


def _tested_problems(metrics: dict, retrain_history) -> list[tuple[str, str]]:
    problems = [(results.METRICS, f"{key} is {metrics.get(key)!r}: a finished run has its test figure")
                for key in ("test_loss", "test_accuracy")
                if not isinstance(metrics.get(key), (int, float)) or not math.isfinite(metrics[key])]
    if not problems and not 0 <= metrics["test_accuracy"] <= 1:
        problems.append((results.METRICS, f"test_accuracy {metrics['test_accuracy']} is not a fraction"))
    if metrics.get("protocol", "retrain") == "retrain":
        epochs = len(retrain_history.get("loss", [])) if isinstance(retrain_history, dict) else None
        if epochs is None:
            problems.append(("retrain_history.json", "is missing: the run was retrained"))
        elif epochs != metrics.get("best_epoch"):
            problems.append(("retrain_history.json", f"holds {epochs} epochs; the run retrains for its best epoch "
                                                     f"count, {metrics.get('best_epoch')}"))
    return problems


def headline(metrics: dict) -> str:
    if metrics["status"] == "diverged":
        return f"DIVERGED at epoch {metrics['diverged_epoch']} (non-finite loss); not retrained"
    if metrics.get("test_accuracy") is None:  # a search's trial
        ended = "pruned after" if metrics["status"] == "pruned" else "of"
        return (f"best epoch {metrics['best_epoch']} ({ended} {metrics['epochs_run']}), val loss "
                f"{metrics['best_val_loss']:.4f}, val accuracy {metrics['best_val_accuracy']:.4f} ({metrics['wall_time_s']:.0f}s)")
    return (f"best epoch {metrics['best_epoch']}, test accuracy {metrics['test_accuracy']:.4f}, "
            f"test loss {metrics['test_loss']:.4f} ({metrics['wall_time_s']:.0f}s)")


# --- the study -----------------------------------------------------------------------------------

def summarize(study_name: str, study_dir: Path, rows: list[dict], first_histories: dict[str, tuple[dict, int | None]]) -> None:
    """summary.* (a row per run), variants.* (a row per variant over seeds), the validation overlay."""
    results.write_summary(study_dir, results.summary_rows(rows))
    if first_histories:
        fig = plots.validation_overlay({v: h for v, (h, _) in first_histories.items()},
                                       {v: b for v, (_, b) in first_histories.items()},
                                       f"{study_name}: validation curves (first seed)")
        results.save_figure(fig, study_dir / "val_curves.png")
        plots.plt.close(fig)


# --- the report ----------------------------------------------------------------------------------

def section(root: Path, study: StudyResults) -> list[str]:
    c = study.config
    varies = ", ".join(sorted({k for r in study.runs for k in (r.config.get("overrides") or {})})) or "nothing (one variant)"
    analysis = analyse(study)
    lines = study.heading(finding(study, analysis))
    subset = f" (first {c['dataset']['subset']} examples only)" if c["dataset"].get("subset") else ""
    lines += [f"Dataset {c['dataset']['name']}" + (" (bundled sample)" if c["dataset"].get("sample") else "") + subset +
              f"; loss {c.get('loss')}; optimizer {c.get('optimizer', {}).get('name')}; batch {c.get('batch_size')}; "
              f"up to {c.get('epochs')} epochs; best epoch by {c.get('selection', {}).get('metric')} "
              f"({c.get('selection', {}).get('mode')}); what varies: {varies}. "
              f"Runs: `{study.folder.relative_to(root)}/<variant>/seed-<n>/`.", ""]
    rows = []
    for v in study.variants:
        (wall, _), (per_epoch, _) = v.mean_sd("wall_time_s"), v.mean_sd("seconds_per_epoch")
        rows.append([study.label(v), fmt(*v.mean_sd("best_epoch"), digits=1), fmt(v.mean_sd("best_val_loss")[0]),
                     fmt(v.mean_sd("best_val_accuracy")[0]), fmt(*v.mean_sd("test_loss")),
                     fmt(*v.mean_sd("test_accuracy")), f"{v.n}/{len(v.runs)}", fmt(wall, digits=1),
                     fmt(per_epoch, digits=2)])
    lines += markdown_table(["variant", "best epoch", "val loss", "val accuracy", "test loss", "test accuracy", "n",
                             "wall time (s)", "s / epoch"], rows)
    lines += ["", "Means ± sample standard deviation over seeds; n counts finished runs.", ""]
    trivial = trivial_baselines(study)
    if trivial:
        lines += ["Trivial baselines on the same test set: " +
                  "; ".join(f"{k} {v:.4f}" for k, v in trivial.items()) + ".", ""]
    problems = [f"{v.name} {p}" for v in study.variants for p in v.problems]
    if problems:
        lines += ["Runs that did not finish: " + "; ".join(problems) + ".", ""]
    if analysis.verdicts:
        lines += [method_sentence(study, analysis) + " " + detectable_sentence(analysis), ""]
    figure, where, verdict = book_verdict(study)
    if where and verdict != "not the book's net":
        lines += [f"The book's figure for this net ({where}): {figure}. The baseline {study.baseline}'s mean test "
                  f"accuracy is {verdict}" + (": its 95% interval overlaps the published figure." if
                                               verdict.startswith("consistent") else "."), ""]
    lines += [f"- {comparison_sentence(study, v, analysis)}" for v in study.variants if v.name != study.baseline]
    if c.get("baseline") and c["baseline"] != study.baseline:
        lines += [f"The configured baseline {c['baseline']} has no finished run; {study.baseline} stands in.", ""]
    for figure_line in _figures(root, study, trivial):
        lines += ["", figure_line]
    lines.append("")
    return lines


# --- what the study's numbers allow one to say ----------------------------------------------------

# Published test accuracies the exercises are checked against (Deep Learning with Python): as printed,
# where, the range the printed figure stands for (a rounded "≈ 0.88" covers 0.875 to 0.885), and the
# net it was measured with (a study's baseline is checked against the figure only if it is that net).
BOOK = {
    "imdb": ("≈ 0.88", "DLwP §3.4", (0.875, 0.885),
             {"hidden_layers": 2, "units": 16, "activation": "relu", "loss": "binary_crossentropy", "optimizer": "rmsprop"}),
    "reuters": ("≈ 0.78–0.80", "DLwP §3.5", (0.78, 0.80),
                {"hidden_layers": 2, "units": 64, "activation": "relu", "loss": "categorical_crossentropy", "optimizer": "rmsprop"}),
    "mnist": ("≈ 0.98", "DLwP ch. 2, dense net", (0.975, 0.985),
              {"hidden_layers": 1, "units": 512, "activation": "relu", "loss": "categorical_crossentropy", "optimizer": "rmsprop"}),
}


def book_verdict(study: StudyResults) -> tuple[str, str, str]:
    """The book's figure for the study's dataset, where it is printed, and whether the 95% interval of
    the baseline's mean test accuracy overlaps it ("—" on the bundled sample, a subset or another net
    than the book's)."""
    dataset = study.config.get("dataset", {})
    if dataset.get("sample") or dataset.get("subset"):
        return "—", "", "bundled sample" if dataset.get("sample") else f"subset of {dataset['subset']}"
    if dataset.get("name") not in BOOK:
        return "—", "", ""
    printed, where, (low, high), net = BOOK[dataset["name"]]
    base = study.variant(study.baseline)
    config = base.runs[0].config
    model = config.get("model", {})
    ours = {"hidden_layers": model.get("hidden_layers"), "units": model.get("units"), "activation": model.get("activation"),
            "loss": config.get("loss"), "optimizer": config.get("optimizer", {}).get("name")}
    if ours != net:
        return printed, where, "not the book's net"
    interval = mean_interval(base.values("test_accuracy"))
    if interval is None:
        return printed, where, "one seed: no interval"
    span = f"95% CI {interval[0]:.3f}–{interval[1]:.3f}"
    if interval[1] < low:
        return printed, where, f"below it ({span})"
    if interval[0] > high:
        return printed, where, f"above it ({span})"
    return printed, where, f"consistent ({span})"


# What makes two variants' runs of one seed start alike: with these equal, the seed gives both the
# same initial weights and the same data order and validation split, so the seeds pair the runs.
PAIRING_KEYS = (("dataset",), ("validation",), ("model", "hidden_layers"), ("model", "units"),
                ("model", "kernel_initializer"), ("model", "bias_initializer"))


@dataclass(frozen=True)
class Verdict:
    """A variant against the study's baseline on test accuracy."""

    variant: str
    comparison: Comparison
    adjusted_p: float | None
    detectable: float | None  # the smallest difference this pair's seeds find with 80% power

    @property
    def beyond_noise(self) -> bool | None:
        if self.adjusted_p is None:
            return None if self.comparison.low is None else self.comparison.difference != 0
        return self.adjusted_p < ALPHA


@dataclass(frozen=True)
class Choice:
    """The variant the validation split prefers, and those it cannot tell from it."""

    variant: VariantStats
    metric: str
    why: str
    tied: list[str]
    test_rank: int
    ranked: int


@dataclass(frozen=True)
class Analysis:
    choice: Choice | None
    verdicts: dict[str, Verdict]
    method: str  # the correction for many comparisons
    comparisons: int
    detectable: float | None  # the study's smallest detectable difference (pooled spread)
    seeds: int
    paired: bool  # every comparison is paired


def paired(study: StudyResults, a: VariantStats, b: VariantStats) -> bool:
    """Whether the seeds pair these two variants' runs (PAIRING_KEYS equal, two or more common seeds)."""
    def settings(v: VariantStats) -> list:
        config = v.runs[0].config
        return [_dig(config, path) for path in PAIRING_KEYS]
    return settings(a) == settings(b) and len(set(_by_seed(a)) & set(_by_seed(b))) >= 2


def _dig(config: dict, path: tuple[str, ...]):
    for key in path:
        config = (config or {}).get(key) if isinstance(config, dict) else None
    if path == ("dataset",) and isinstance(config, dict):
        return {k: v for k, v in config.items() if k != "num_words" or config.get("name") in TEXT_DATASETS}
    return config


def _by_seed(v: VariantStats, key: str = "test_accuracy") -> dict[int, float]:
    return {r.metrics["seed"]: float(r.metrics[key]) for r in v.runs if r.ok and r.metrics.get(key) is not None}


def _compare(study: StudyResults, a: VariantStats, b: VariantStats, key: str) -> Comparison:
    if paired(study, a, b):
        seeds = sorted(set(_by_seed(a, key)) & set(_by_seed(b, key)))
        return compare([_by_seed(a, key)[s] for s in seeds], [_by_seed(b, key)[s] for s in seeds], paired=True)
    return compare(a.values(key), b.values(key))


def _pair_spread(study: StudyResults, a: VariantStats, b: VariantStats) -> tuple[float | None, int, bool]:
    """The seed-to-seed standard deviation a test of this pair works with, its seeds, and whether paired."""
    if paired(study, a, b):
        x, y = _by_seed(a), _by_seed(b)
        differences = [x[s] - y[s] for s in sorted(set(x) & set(y))]
        return mean_sd(differences)[1], len(differences), True
    sds = [v.mean_sd("test_accuracy")[1] for v in (a, b)]
    if None in sds:
        return None, min(a.n, b.n), False
    return math.sqrt((sds[0] ** 2 + sds[1] ** 2) / 2), min(a.n, b.n), False


def analyse(study: StudyResults) -> Analysis:
    """Every comparison with the baseline (Welch's or paired, as the seeds allow), its p-value adjusted
    over the study's comparisons, what the seeds could detect, and the variant validation chooses."""
    base = study.variant(study.baseline)
    others = [v for v in study.variants if v.name != base.name and v.values("test_accuracy") and base.values("test_accuracy")]
    comparisons = {v.name: _compare(study, v, base, "test_accuracy") for v in others}
    tested = sum(c.p_value is not None for c in comparisons.values())
    method = correction(tested)
    adjusted = dict(zip(comparisons, adjust([c.p_value for c in comparisons.values()], method)))
    verdicts = {}
    for v in others:
        sd, n, is_paired = _pair_spread(study, v, base)
        verdicts[v.name] = Verdict(v.name, comparisons[v.name], adjusted[v.name],
                                   detectable_difference(sd, n, is_paired) if sd else None)
    # The study's typical spread: the median over its variants (or its pairs), so one unstable variant
    # (a diverging activation, say) does not make every difference look undetectable.
    all_paired = bool(others) and all(comparisons[v.name].paired for v in others)
    spreads = ([_pair_spread(study, v, base)[0] for v in others] if all_paired
               else [v.mean_sd("test_accuracy")[1] for v in study.variants])
    spreads = [sd for sd in spreads if sd]
    pooled = statistics.median(spreads) if spreads else None
    seeds = min((v.n for v in study.variants if v.n), default=0)
    return Analysis(choose(study), verdicts, method, tested,
                    detectable_difference(pooled, seeds, all_paired) if pooled else None, seeds, all_paired)


def choose(study: StudyResults) -> Choice | None:
    """The variant with the best validation figure at the best epoch, mean over seeds (the study's
    selection metric; validation accuracy when the variants' losses differ, as losses on different
    scales do not compare). Never the test set. Variants whose validation figures the seeds cannot
    tell from the chosen one's (adjusted p >= 0.05, or one seed only) are named as tied with it."""
    metric = study.config.get("selection", {}).get("metric", "val_loss")
    lower = study.config.get("selection", {}).get("mode", "min") == "min"
    why = ""
    if len({r.config.get("loss") for r in study.runs}) > 1:
        metric, lower, why = "val_accuracy", False, ", as the variants' losses differ"
    key = f"best_{metric}"
    scored = [v for v in study.variants if v.values(key)]
    if not scored:
        return None
    chosen = (min if lower else max)(scored, key=lambda v: v.mean_sd(key)[0])
    rivals = [v for v in scored if v is not chosen]
    checks = [_compare(study, v, chosen, key) for v in rivals]
    adjusted = adjust([c.p_value for c in checks])
    tied = [v.name for v, c, p in zip(rivals, checks, adjusted)
            if (p is None and (c.low is None or c.difference == 0)) or (p is not None and p >= ALPHA)]
    by_test = sorted((v for v in scored if v.values("test_accuracy")), key=lambda v: -v.mean_sd("test_accuracy")[0])
    rank = next((i for i, v in enumerate(by_test, 1) if v is chosen), 0)
    return Choice(chosen, metric, why, tied, rank, len(by_test))


def points(difference: float) -> str:
    """A difference of accuracies in percentage points, as people say it."""
    return f"{difference * 100:.1f} points"


def detectable_sentence(analysis: Analysis) -> str:
    if analysis.detectable is None:
        return ("With fewer than two seeds per variant there is no estimate of seed noise, so nothing here "
                "can be told from it.")
    design = "paired t-test" if analysis.paired else "Welch's t-test"
    return (f"With {analysis.seeds} seeds per variant, a {design} at α = 0.05 finds a true difference in test "
            f"accuracy of {points(analysis.detectable)} with 80% power (at the study's median seed-to-seed spread); "
            f"smaller differences cannot be told from seed noise, so a 'not distinguishable' verdict below "
            f"does not mean 'equal'.")


def finding(study: StudyResults, analysis: Analysis | None = None) -> str:
    """One sentence: the variant the validation split prefers (never the test set), whether it stands
    out from the others on validation, and its test accuracy against the baseline's."""
    analysis = analysis or analyse(study)
    choice = analysis.choice
    if choice is None:
        return "no run finished."
    base = study.variant(study.baseline)
    chosen = choice.variant
    if len(study.variants) == 1:
        return f"test accuracy {fmt(*base.mean_sd('test_accuracy'))} over {base.n} seed(s)."
    value = chosen.mean_sd(f"best_{choice.metric}")[0]
    label = choice.metric.replace("val_", "validation ")
    head = (f"by the validation split ({label} at the best epoch, mean over seeds{choice.why}) "
            f"**{chosen.name}** comes first ({value:.4f})")
    if choice.tied:
        head += (f", but the seeds cannot tell it from {_names(choice.tied)} on validation, so the split does "
                 "not single out one variant")
    if chosen.name == base.name or not base.values("test_accuracy"):
        return f"{head}; its test accuracy is {fmt(*chosen.mean_sd('test_accuracy'))}."
    verdict = analysis.verdicts.get(chosen.name)
    baseline = "the baseline's" if base.name == "baseline" else f"the baseline {base.name}'s"
    return (f"{head}; on the test set {fmt(*chosen.mean_sd('test_accuracy'))} against {baseline} "
            f"{fmt(*base.mean_sd('test_accuracy'))}, a difference of {verdict.comparison.difference:+.4f}, "
            f"{_noise(verdict, analysis)}.")


def _names(names: list[str]) -> str:
    return ", ".join(names[:-1]) + f" and {names[-1]}" if len(names) > 1 else names[0]


def _noise(verdict: Verdict, analysis: Analysis) -> str:
    c = verdict.comparison
    if c.low is None:
        return "one seed a side gives no estimate of seed noise"
    if c.p_value is None:
        return "identical on every seed" if not c.difference else "the same on every seed, so exactly that"
    p = f"adjusted p = {p_text(verdict.adjusted_p)}, {analysis.method}"
    if verdict.beyond_noise:
        return f"beyond seed noise ({p})"
    return f"within seed noise ({p})" + (f": differences below {points(verdict.detectable)} cannot be told from noise "
                                         f"with {analysis.seeds} seeds" if verdict.detectable else "")


def trivial_baselines(study: StudyResults) -> dict[str, float]:
    """Accuracy of always answering the training set's most common class, and of guessing at random
    with the training set's class frequencies, on this study's test labels."""
    run = next((r for r in study.runs if r.metrics.get("test_label_counts")), None)
    if run is None:
        return {}
    train, test = run.metrics["train_label_counts"], run.metrics["test_label_counts"]
    n_train, n_test = sum(train), sum(test)
    majority = max(range(len(train)), key=train.__getitem__)
    return {"majority class": test[majority] / n_test,
            "random guessing": sum(a / n_train * b / n_test for a, b in zip(train, test))}


def comparison_sentence(study: StudyResults, variant: VariantStats, analysis: Analysis) -> str:
    base = study.variant(study.baseline)
    a, b = variant.values("test_accuracy"), base.values("test_accuracy")
    if not a or not b:
        return f"**{variant.name}**: no finished run to compare ({'; '.join(variant.problems or base.problems)})."
    verdict = analysis.verdicts[variant.name]
    c = verdict.comparison
    (ea, _), (eb, _) = variant.mean_sd("best_epoch"), base.mean_sd("best_epoch")
    head = (f"**{variant.name}** vs {base.name}: test accuracy {fmt(sum(a) / len(a))} (n={len(a)}) vs "
            f"{fmt(sum(b) / len(b))} (n={len(b)}), difference {c.difference:+.4f}")
    epochs = f"; best epoch {ea:.1f} vs {eb:.1f}"
    if c.low is None:
        return (f"{head}{epochs}. With one seed on a side there is no estimate of seed noise: "
                f"run with `--seeds 3` or more before reading anything into this difference.")
    where = "better" if c.difference > 0 else "worse"
    if c.p_value is None:
        verdict_text = f"every seed gave the same figure, so it is {where} by exactly that" if c.difference else "identical on every seed"
        return f"{head}{epochs}: {verdict_text}."
    if verdict.beyond_noise:
        verdict_text = f"{where} than the baseline beyond seed noise"
    else:
        verdict_text = "not distinguishable from seed noise" + (
            f": with {min(len(a), len(b))} seeds, differences below {points(verdict.detectable)} cannot be told "
            f"from noise" if verdict.detectable else "")
    return (f"{head} (95% CI {c.low:+.4f} to {c.high:+.4f}; {TEST_NAMES[c.paired]}, p = {p_text(c.p_value)}, "
            f"adjusted {p_text(verdict.adjusted_p)}){epochs}: {verdict_text}.")


def method_sentence(study: StudyResults, analysis: Analysis) -> str:
    """How the comparisons below were made: the test each uses and why, and the correction."""
    kinds = {v.comparison.paired for v in analysis.verdicts.values() if v.comparison.low is not None}
    tests = []
    if True in kinds:
        tests.append("a paired t-test over seeds where the two variants have the same layer shapes and "
                     "initializers (the seed then gives both the same initial weights, data order and "
                     "validation split, so run i of one is paired with run i of the other)")
    if False in kinds:
        tests.append("Welch's t-test over seeds where they do not (the seeds then share no initial weights, "
                     "so the runs are two independent samples)")
    if not tests or not analysis.comparisons:
        return ""
    corrected = (f"The p-values are adjusted over the study's {analysis.comparisons} comparisons with the "
                 f"baseline ({CORRECTION_WHY[analysis.method]}); every verdict uses the adjusted one."
                 if analysis.comparisons > 1 else "One comparison: no correction is needed.")
    return f"Each variant is compared with the baseline by {' and '.join(tests)}. {corrected}"


def _figures(root: Path, study: StudyResults, trivial: dict[str, float]) -> list[str]:
    colors = plots.variant_colors([v.name for v in study.variants])
    out = []
    scored = [v for v in study.variants if v.n]
    if scored:
        fig = plots.test_accuracy_bars([v.name for v in scored], [v.mean_sd("test_accuracy")[0] for v in scored],
                                       [v.mean_sd("test_accuracy")[1] for v in scored], [v.n for v in scored],
                                       colors, study.baseline, trivial,
                                       f"{study.name}: test accuracy (mean ± sd over seeds)")
        out.append(image(fig, root, f"{study.name}-test-accuracy.png", f"{study.name} test accuracy"))
    first = {v.name: v.runs[0] for v in study.variants if v.runs[0].history}
    if first:
        fig = plots.validation_overlay({n: r.history for n, r in first.items()},
                                       {n: r.metrics.get("best_epoch") for n, r in first.items()},
                                       f"{study.name}: validation curves (first seed)", colors)
        out.append(image(fig, root, f"{study.name}-validation.png", f"{study.name} validation curves"))
        rates = {n: r.history.get("learning_rate", []) for n, r in first.items()}
        if any(len(set(r)) > 1 for r in rates.values()):
            fig = plots.rate_overlay(rates, colors, f"{study.name}: learning rate per epoch (first seed)")
            out.append(image(fig, root, f"{study.name}-learning-rate.png", f"{study.name} learning rate"))
        grid = {v.name: [(r.history, r.metrics.get("best_epoch")) for r in v.runs if r.history] for v in study.variants}
        fig = plots.learning_curve_grid({k: h for k, h in grid.items() if h}, colors, f"{study.name}: learning curves")
        out.append(image(fig, root, f"{study.name}-learning-curves.png", f"{study.name} learning curves"))
    return out
