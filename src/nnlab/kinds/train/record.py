"""What a `train` run records, and the rules a finished one obeys on disk (nnlab verify; a run that
fails them is redone); its console line and `nnlab show`'s lines.

A tested run's metrics.json holds FIELDS; a search's trial (the search phase alone) TRIAL_FIELDS;
the curves are in search_history.json (HISTORY_KEYS) and, once retrained, retrain_history.json.
"""

from __future__ import annotations

import math
from pathlib import Path

from ... import results
from ...errors import NnlabError
from ...selection import Rule

TRIAL_FIELDS = ("study", "variant", "seed", "status", "protocol", "best_epoch", "selection", "best_val_loss",
                "best_val_accuracy", "epochs_run", "diverged_epoch", "train_examples", "validation_examples",
                "wall_time_s", "seconds_per_epoch")
FIELDS = TRIAL_FIELDS + ("test_loss", "test_accuracy", "retrain_epochs", "test_examples", "train_label_counts",
                         "test_label_counts")
HISTORY_KEYS = ("loss", "val_loss", "val_accuracy")


def diverged_epoch(history: dict) -> int | None:
    """The first epoch whose training loss is not finite (None: the run never diverged)."""
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
    elif metrics["status"] == "diverged" and metrics.get("diverged_epoch") != diverged_epoch(history):
        problems.append((results.METRICS, f"diverged_epoch {metrics.get('diverged_epoch')} is not where the "
                                          f"recorded loss stops being finite ({diverged_epoch(history)})"))
    if not (folder / "curves.png").is_file():
        problems.append(("curves.png", "is missing"))
    return problems



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
        elif "full_epochs" in metrics:  # trained on to the full epochs (or until its loss stopped being finite)
            full_epochs = metrics["full_epochs"] if metrics.get("full_epochs_test_accuracy") is not None else epochs
            if not (epochs == full_epochs and (metrics.get("best_epoch") or 0) <= epochs):
                problems.append(("retrain_history.json", f"holds {epochs} epochs; the run retrains on to "
                                                         f"{metrics['full_epochs']}"))
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
