"""What one run's learning curves say about how it learned: where its validation loss is lowest and
how fast it climbs after, the gap between training and validation, how soon it learns, whether its
gradient shrinks on the way back to the input. Numbers only, from the curves a run records
(search_history.json); the report compares them across variants (kinds/train/why.py).

    diagnose(history, best_epoch)   one run's Diagnosis

    >>> d = diagnose({"loss": [0.6, 0.4, 0.3, 0.2, 0.1], "val_loss": [0.6, 0.45, 0.4, 0.45, 0.5],
    ...               "accuracy": [0.7, 0.8, 0.85, 0.9, 0.95], "val_accuracy": [0.7, 0.78, 0.8, 0.8, 0.79]})
    >>> d.state, d.lowest_epoch, round(d.rise_per_epoch, 3), round(d.accuracy_gap_at_best, 3), d.epochs_to_95
    ('overfits', 3, 0.05, 0.05, 2)

What they cannot say: they are measured on one validation split, over the epochs the run trained;
the training figures are Keras' running figures over an epoch's batches, with dropout on and any
weight penalty in the loss (so a regularised net's training loss can sit above its validation loss).
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

# A validation loss that moves less than this share of its first value over the whole run is flat: the
# net learned nothing after its first epoch, or nothing at all (MNIST's sigmoid nets under MSE and plain
# SGD move theirs by about 1%; every net that learns here moves it by 15% or more).
FLAT_SHARE = 0.02
# A climb after the lowest validation loss of less than this share of the lowest is a curve that levelled
# off, not one that overfits (a late minimum then wobbles by a percent or two on MNIST).
OVERFIT_SHARE = 0.05
# "How soon it learns": the first epoch whose validation accuracy reaches this share of its best.
LEARNED_SHARE = 0.95

STATES = {
    "overfits": "its validation loss climbs after its lowest point",
    "levelled off": f"its validation loss stays within {OVERFIT_SHARE:.0%} of its lowest after it",
    "still improving": "its validation loss is lowest at the last epoch",
    "flat": f"its validation loss moves less than {FLAT_SHARE:.0%} over the run",
    "diverged": "its curves hold a value that is not finite",
}


@dataclass(frozen=True)
class Diagnosis:
    """One run's curves, measured. Epochs count from 1; a figure the curves cannot give is None."""

    state: str  # a key of STATES
    epochs: int  # epochs the curves hold
    lowest_epoch: int | None  # the epoch of the lowest validation loss: where overfitting starts
    # least-squares slope of validation loss from its lowest to the last epoch; None if the lowest is the last:
    # nothing comes after it to climb, and a 0 there would read as "climbs more slowly" beside a net that does
    rise_per_epoch: float | None
    climb: float | None  # validation loss at the last epoch minus its lowest
    gap_at_best: float | None  # validation minus training loss at the best epoch
    gap_at_last: float | None
    accuracy_gap_at_best: float | None  # training minus validation accuracy at the best epoch
    accuracy_gap_at_last: float | None
    epochs_to_95: int | None  # the first epoch whose validation accuracy reaches 95% of the run's best
    gradient_ratio: float | None  # first hidden layer's gradient norm over the output layer's, first epoch
    gradient_first: float | None = None  # the first hidden layer's gradient norm, first epoch
    gradient_output: float | None = None  # the output layer's, first epoch
    lowest_val_loss: float | None = None  # the lowest validation loss itself
    val_accuracy_at_best: float | None = None  # validation accuracy at the best epoch: what selection saw


def diagnose(history: dict[str, list[float]], best_epoch: int | None = None) -> Diagnosis:
    """A run's Diagnosis from its per-epoch curves (Keras' history keys: loss, val_loss, accuracy,
    val_accuracy, and gradient_norm_<k> where recorded). `best_epoch`: the epoch the run's selection
    rule chose. Defaults to the lowest validation loss's."""
    val_loss, loss = list(history.get("val_loss") or []), list(history.get("loss") or [])
    epochs = len(val_loss)
    ratio = _gradient_ratio(history)
    first, output = _gradient_ends(history)
    if not epochs or not all(map(math.isfinite, val_loss + loss)):
        return Diagnosis("diverged", epochs, None, None, None, None, None, None, None, None, ratio, first, output)
    lowest = min(val_loss)
    lowest_epoch = val_loss.index(lowest) + 1
    best = best_epoch if best_epoch and 1 <= best_epoch <= epochs else lowest_epoch
    climb = val_loss[-1] - lowest
    state = _state(val_loss, lowest_epoch, climb)
    accuracy, val_accuracy = history.get("accuracy"), history.get("val_accuracy")
    has_accuracy = bool(accuracy) and bool(val_accuracy) and len(accuracy) == len(val_accuracy) == epochs
    return Diagnosis(
        state=state, epochs=epochs, lowest_epoch=lowest_epoch,
        rise_per_epoch=slope(val_loss[lowest_epoch - 1:]) if lowest_epoch < epochs else None, climb=climb,
        gap_at_best=val_loss[best - 1] - loss[best - 1] if len(loss) == epochs else None,
        gap_at_last=val_loss[-1] - loss[-1] if len(loss) == epochs else None,
        accuracy_gap_at_best=accuracy[best - 1] - val_accuracy[best - 1] if has_accuracy else None,
        # Past the best epoch only where there is one: a run whose best is its last has no "after".
        accuracy_gap_at_last=accuracy[-1] - val_accuracy[-1] if has_accuracy and best < epochs else None,
        epochs_to_95=epochs_to_reach(val_accuracy, LEARNED_SHARE) if has_accuracy else None,
        gradient_ratio=ratio, gradient_first=first, gradient_output=output,
        lowest_val_loss=lowest, val_accuracy_at_best=val_accuracy[best - 1] if has_accuracy else None)


def _state(val_loss: list[float], lowest_epoch: int, climb: float) -> str:
    scale = abs(val_loss[0]) or 1.0
    if max(val_loss) - min(val_loss) < FLAT_SHARE * scale:
        return "flat"
    if lowest_epoch == len(val_loss):
        return "still improving"
    return "overfits" if climb >= OVERFIT_SHARE * abs(min(val_loss)) else "levelled off"


def slope(values: list[float]) -> float:
    """Least-squares slope per epoch of a stretch of a curve; 0 for fewer than two points."""
    if len(values) < 2:
        return 0.0
    xs = range(len(values))
    mean_x, mean_y = statistics.fmean(xs), statistics.fmean(values)
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, values)) / sum((x - mean_x) ** 2 for x in xs)


def epochs_to_reach(curve: list[float], share: float) -> int | None:
    """The first epoch (from 1) at which a rising curve reaches `share` of its best value."""
    if not curve or not all(map(math.isfinite, curve)):
        return None
    target = share * max(curve)
    return next(epoch for epoch, value in enumerate(curve, 1) if value >= target)


def _gradient_ends(history: dict[str, list[float]]) -> tuple[float | None, float | None]:
    """The first hidden layer's and the output layer's gradient norms in the first epoch, where recorded."""
    layers = sorted(int(key.rsplit("_", 1)[1]) for key in history if key.startswith("gradient_norm_"))
    if len(layers) < 2:
        return None, None
    first, last = history[f"gradient_norm_{layers[0]}"], history[f"gradient_norm_{layers[-1]}"]
    ends = [values[0] if values and math.isfinite(values[0]) else None for values in (first, last)]
    return ends[0], ends[1]


def _gradient_ratio(history: dict[str, list[float]]) -> float | None:
    layers = sorted(int(key.rsplit("_", 1)[1]) for key in history if key.startswith("gradient_norm_"))
    if len(layers) < 2:
        return None
    first, last = history[f"gradient_norm_{layers[0]}"], history[f"gradient_norm_{layers[-1]}"]
    if not first or not last or not math.isfinite(first[0]) or not math.isfinite(last[0]) or last[0] == 0:
        return None
    return first[0] / last[0]
