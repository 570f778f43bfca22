"""A `train` run: the book's protocol for one variant and seed. Train with a validation split, pick
the best epoch from the curves, retrain from the seed on train + validation for exactly that many
epochs, test once (and, by default, train that retrain on to the full epochs and test it again, for
the report's "what did stopping early change": never used to choose anything). A search's trial is
the search phase alone (`run_trial`). After a study's runs, `summarize` writes its tables.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from ... import drawing, plots, results
from ...data import Dataset, encode_labels, load_dataset, split_validation, validation_count
from ...selection import Rule
from .record import diverged_epoch
from .schema import Config

# --- before anything trains ----------------------------------------------------------------------

def dataset(config: Config, data_dir: str | None) -> Dataset:
    """Loaded and vectorized once per process (cached), shared by every variant that names it."""
    return load_dataset(config.dataset, data_dir)


def preflight(config: Config, data: Dataset) -> None:
    """A validation size the data cannot hold fails here, before the first run trains."""
    if config.validation.split != "test":
        validation_count(config.validation, len(data.x_train), data.full_train_size)


# --- one run -------------------------------------------------------------------------------------

def run(study: str, variant_id: str, config: Config, seed: int, data: Dataset, progress=None) -> results.RunOutput:
    start_time = time.time()
    trainer, search, seconds, (x_train, x_val) = _search_phase(config, seed, data, progress)
    labels = lambda y: encode_labels(y, data.num_classes, config.loss)
    diverged = diverged_epoch(search)
    best, retrain_history, test = None, None, {"loss": None, "accuracy": None}
    if diverged is None:
        best = Rule.of(config.selection).best_epoch(search)
    # The search's curves are final: drawn while the retrain trains, off the run's critical path.
    figure = drawing.in_background(plots.learning_curves, search, best, f"{study} / {variant_id} / seed {seed}")
    full = None  # the retrained model after all the epochs: shown beside the test figure, never chosen on
    if diverged is None:
        if config.retrain:
            # From the seed's initial weights again, on train + validation: tested at exactly the chosen
            # epochs. Trained on to the full epochs where the study asks, to show what stopping saved.
            x_test, y_test = data.x_test, labels(data.y_test)
            at_best = {}

            def test_at(epoch: int) -> None:
                if epoch == best:
                    at_best.update(trainer.evaluate(x_test, y_test))

            epochs = config.epochs if config.record.full_epochs_test else best
            retrain_history, _ = trainer.fit(data.x_train, labels(data.y_train), epochs, phase="retrain",
                                             report=progress, after_epoch=test_at)
            test = at_best or trainer.evaluate(x_test, y_test)  # the retrain diverged before its best epoch
            if config.record.full_epochs_test:
                full = trainer.evaluate(x_test, y_test) if len(retrain_history["loss"]) == epochs else None
        else:
            test = trainer.evaluate(data.x_test, labels(data.y_test))

    metrics = {
        "study": study, "variant": variant_id, "seed": seed, "status": "ok" if diverged is None else "diverged",
        "protocol": "retrain" if config.retrain else "best-epoch weights, no retrain",
        "best_epoch": best, "selection": config.selection.model_dump(),
        "best_val_loss": search["val_loss"][best - 1] if best else None,
        "best_val_accuracy": search["val_accuracy"][best - 1] if best else None,
        "test_loss": test["loss"], "test_accuracy": test["accuracy"],
        "epochs_run": len(search["loss"]), "retrain_epochs": min(best, len(retrain_history["loss"])) if retrain_history else 0,
        "diverged_epoch": diverged,
        "train_examples": len(x_train), "validation_examples": len(x_val), "test_examples": len(data.x_test),
        # Label counts let the report state the trivial baselines (majority class, random guessing).
        "train_label_counts": np.bincount(data.y_train, minlength=data.num_classes).tolist(),
        "test_label_counts": np.bincount(data.y_test, minlength=data.num_classes).tolist(),
        "wall_time_s": round(time.time() - start_time, 2),
        "seconds_per_epoch": round(sum(seconds) / len(seconds), 3),
    }
    if config.retrain and config.record.full_epochs_test and diverged is None:
        # None where the retrain's loss stopped being finite before the last epoch.
        metrics.update(full_epochs=config.epochs, full_epochs_test_loss=full and full["loss"],
                       full_epochs_test_accuracy=full and full["accuracy"])
    if config.validation.split == "test":  # the course's script: what it printed is the last epoch's test figure
        metrics["protocol"] = "course: validation on the test set (the best epoch chosen on it), best-epoch weights"
        metrics["last_epoch_test_loss"] = search["val_loss"][-1]
        metrics["last_epoch_test_accuracy"] = search["val_accuracy"][-1]
    files = {"search_history.json": search}
    if retrain_history:
        files["retrain_history.json"] = retrain_history
    return results.RunOutput(metrics, files, {"curves.png": figure}, data.source)


def run_trial(study: str, variant_id: str, config: Config, seed: int, data: Dataset, progress=None,
              stop=None) -> results.RunOutput:
    """A search's trial: the search phase alone (train with the validation split, the best epoch
    from the curves), never retrained and never tested: a search sees the validation split only.
    `stop(history)` may end it early (pruning); its status is then "pruned"."""
    start_time = time.time()
    _, search, seconds, (x_train, x_val) = _search_phase(config, seed, data, progress, stop)
    diverged = diverged_epoch(search)
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
    figure = drawing.in_background(plots.learning_curves, search, best, f"{study} / {variant_id} / seed {seed}")
    return results.RunOutput(metrics, {"search_history.json": search}, {"curves.png": figure}, data.source)


def _search_phase(config: Config, seed: int, data: Dataset, progress, stop=None):
    """Train on the training split, validating on the held-out one after each epoch."""
    from ...training import Trainer  # TensorFlow loads only in the process that trains

    if config.validation.split == "test":  # the course's script (protocol: course): the test set validates
        x_train, y_train, x_val, y_val = data.x_train, data.y_train, data.x_test, data.y_test
    else:
        x_train, y_train, x_val, y_val = split_validation(data.x_train, data.y_train, config.validation,
                                                          data.full_train_size)
    labels = lambda y: encode_labels(y, data.num_classes, config.loss)
    trainer = Trainer(config, seed, data.num_classes, x_train)
    search, seconds = trainer.fit(x_train, labels(y_train), config.epochs, validation=(x_val, labels(y_val)),
                                  phase="search", report=progress, keep_best=not config.retrain, stop=stop)
    return trainer, search, seconds, (x_train, x_val)


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
