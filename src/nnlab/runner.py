"""Run a study: for each variant and seed, search -> pick best epoch -> retrain -> test -> write.

The path of one run, top to bottom, is `run_one`; `run_study` loops over runs, skips finished
ones, and writes the study's summary and overlay at the end.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # keep TensorFlow's start-up chatter off the progress display

from . import plots, results  # noqa: E402
from .config import Study, Variant  # noqa: E402
from .data import encode_labels, load_dataset, split_validation  # noqa: E402
from .selection import best_epoch  # noqa: E402
from .training import evaluate, train  # noqa: E402

Echo = Callable[[str], None]


@dataclass(frozen=True)
class RunOutcome:
    variant: str
    seed: int
    metrics: dict
    skipped: bool


def run_study(study: Study, root: Path, data_dir: str | None = None, force: bool = False,
              echo: Echo = print) -> list[RunOutcome]:
    results.check_writable(root)
    runs = [(variant, seed) for variant in study.variants for seed in variant.config.seeds]
    outcomes = []
    for k, (variant, seed) in enumerate(runs, 1):
        tag = f"[{k}/{len(runs)}] {study.name}/{variant.id} seed {seed}"
        folder = results.run_dir(root, study.name, variant.id, seed)
        done = None if force else results.completed_metrics(folder, variant.config.fingerprint())
        if done:
            echo(f"{tag}: already complete, skipped (--force re-runs it)")
            outcomes.append(RunOutcome(variant.id, seed, done, skipped=True))
            continue
        echo(f"{tag}: starting")
        metrics = run_one(study.name, variant, seed, folder, data_dir, _epoch_printer(tag, echo))
        echo(f"{tag}: best epoch {metrics['best_epoch']}, test accuracy {metrics['test_accuracy']:.4f}, "
             f"test loss {metrics['test_loss']:.4f} ({metrics['wall_time_s']:.0f}s)")
        outcomes.append(RunOutcome(variant.id, seed, metrics, skipped=False))
    write_study_outputs(study, root)
    return outcomes


def run_one(study: str, variant: Variant, seed: int, folder: Path, data_dir: str | None,
            report=None) -> dict:
    config = variant.config
    started = time.time()
    data = load_dataset(config.dataset, data_dir)
    x_train, y_train, x_val, y_val = split_validation(data.x_train, data.y_train, config.validation,
                                                      data.full_train_size)
    labels = lambda y: encode_labels(y, data.num_classes, config.loss)  # noqa: E731

    _, search = train(config, seed, data.num_classes, x_train, labels(y_train), config.epochs,
                      validation=(x_val, labels(y_val)), phase="search", report=report)
    best = best_epoch(search, config.selection.metric, config.selection.mode)
    # A fresh model from the same seed, on train + validation, for exactly the chosen epochs.
    model, retrain = train(config, seed, data.num_classes, data.x_train, labels(data.y_train), best,
                           phase="retrain", report=report)
    test = evaluate(model, data.x_test, labels(data.y_test), config.batch_size)

    metrics = {
        "study": study, "variant": variant.id, "seed": seed, "status": "ok",
        "best_epoch": best, "selection": config.selection.model_dump(),
        "best_val_loss": search["val_loss"][best - 1], "best_val_accuracy": search["val_accuracy"][best - 1],
        "test_loss": test["loss"], "test_accuracy": test["accuracy"],
        "epochs_run": len(search["loss"]), "retrain_epochs": len(retrain["loss"]),
        "train_examples": len(x_train), "validation_examples": len(x_val), "test_examples": len(data.x_test),
        "wall_time_s": round(time.time() - started, 2),
        "config_fingerprint": config.fingerprint(), "dataset": data.source,
    }
    resolved = {"variant": variant.id, "seed": seed, "overrides": variant.overrides,
                **config.model_dump(mode="json")}
    results.write_yaml(folder / "config.yaml", resolved)
    results.write_json(folder / "search_history.json", search)
    results.write_json(folder / "retrain_history.json", retrain)
    fig = plots.learning_curves(search, best, f"{study} / {variant.id} / seed {seed}")
    results.save_figure(fig, folder / "curves.png")
    plots.plt.close(fig)
    results.write_json(folder / results.METRICS, metrics)  # last: its presence marks the run complete
    return metrics


def write_study_outputs(study: Study, root: Path) -> None:
    """Summary table and validation overlay over every finished run of the study's variants."""
    rows, curves, best = [], {}, {}
    for variant in study.variants:
        for seed in variant.config.seeds:
            folder = results.run_dir(root, study.name, variant.id, seed)
            if not (folder / results.METRICS).is_file():
                continue
            metrics = results.read_json(folder / results.METRICS)
            rows.append(metrics)
            if variant.id not in curves:
                curves[variant.id] = results.read_json(folder / "search_history.json")
                best[variant.id] = metrics["best_epoch"]
    if not rows:
        return
    study_dir = Path(root) / study.name
    results.write_summary(study_dir, results.summary_rows(rows))
    fig = plots.validation_overlay(curves, best, f"{study.name}: validation curves (first seed)")
    results.save_figure(fig, study_dir / "val_curves.png")
    plots.plt.close(fig)


def _epoch_printer(tag: str, echo: Echo):
    def report(phase: str, epoch: int, epochs: int, logs: dict) -> None:
        figures = "  ".join(f"{k} {v:.4f}" for k, v in logs.items() if k in ("loss", "accuracy", "val_loss", "val_accuracy"))
        echo(f"{tag} {phase} epoch {epoch:>3}/{epochs}  {figures}")
    return report
