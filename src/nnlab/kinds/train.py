"""The `train` kind: the book's protocol for one variant and seed. Train with a validation split,
pick the best epoch from the curves, retrain from the seed on train + validation for exactly that
many epochs, test once; then the study's summary tables and its report section.

A run, top to bottom, is `run`; its console line is `headline`; `summarize` writes the study's
tables after its runs; `section` is its part of the report.
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import Field, StrictInt, ValidationInfo, field_validator, model_validator

from .. import plots, results
from ..conclusions import analyse, book_verdict, comparison_sentence, detectable_sentence, finding, method_sentence
from ..data import Dataset, encode_labels, input_width, load_dataset, output_width, split_validation, validation_count
from ..errors import NnlabError
from ..report_data import StudyResults
from ..report_parts import fmt, image, markdown_table
from ..selection import Rule
from ..specs import MAX_BATCH_SIZE, MAX_EPOCHS, TEXT_DATASETS, DatasetSpec, Loss, ModelSpec, OptimizerSpec, SelectionSpec, StudyBase, ValidationSpec

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
    labels = lambda y: encode_labels(y, data.num_classes, config.loss)
    diverged = _diverged_epoch(search)
    best, retrain_history, test = None, None, {"loss": None, "accuracy": None}
    if diverged is None:
        best = Rule.of(config.selection).best_epoch(search)
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
    best = Rule.of(config.selection).best_epoch(search) if diverged is None else None
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
    labels = lambda y: encode_labels(y, data.num_classes, config.loss)
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
    selection = Rule.of(metrics.get("selection"))
    metric, mode = selection.metric, selection.mode
    try:
        rule = selection.best_epoch(history)
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


def show(config: dict | None, metrics: dict | None) -> list[tuple[str, str]]:
    if config is not None:
        return [("model", f"{config['model']}; loss {config['loss']}; optimizer {config['optimizer']}"),
                ("training", f"epochs {config['epochs']}, batch {config['batch_size']}, validation {config['validation']}")]
    m = metrics
    lines = [("status", m["status"] + (f" at epoch {m['diverged_epoch']}" if m.get("diverged_epoch") else ""))]
    if m["status"] in ("ok", "pruned") and m.get("best_epoch") is not None:
        lines.append(("best epoch", f"{m['best_epoch']} of {m['epochs_run']} ({m['selection']['metric']}, {m['selection']['mode']}): "
                                    f"val loss {m['best_val_loss']:.4f}, val accuracy {m['best_val_accuracy']:.4f}"))
        if m.get("test_accuracy") is None:
            lines.append(("test", "none: a search's trial is scored on validation only"))
        else:
            lines.append(("test", f"loss {m['test_loss']:.4f}, accuracy {m['test_accuracy']:.4f} ({m['test_examples']} examples); "
                                  f"wall time {m['wall_time_s']:.1f}s"))
    return lines


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
