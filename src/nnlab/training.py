"""Seeded, deterministic training of one model, with per-epoch progress."""

from __future__ import annotations

from typing import Callable

import keras
import math
import time

import numpy as np
import tensorflow as tf

from .config import RunConfig
from .models import build_model, compile_model

# (phase, epoch, epochs, logs) -> None; the CLI turns it into a progress line.
EpochReporter = Callable[[str, int, int, dict], None]


def seed_everything(seed: int) -> None:
    """Python, numpy and TensorFlow seeds plus deterministic TF ops: same seed, same numbers."""
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


class _EpochRecord(keras.callbacks.Callback):
    """Logs the learning rate in force during each epoch (into the history) and times each epoch
    (kept apart: timings differ from run to run, the history must not)."""

    def __init__(self):
        super().__init__()
        self.seconds: list[float] = []

    def on_epoch_begin(self, epoch, logs=None):
        optimizer = self.model.optimizer
        rate = optimizer.learning_rate
        if callable(rate):  # a schedule: its value at the epoch's first step
            rate = rate(optimizer.iterations)
        self._rate = float(rate.numpy())
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        logs["learning_rate"] = self._rate
        self.seconds.append(time.perf_counter() - self._start)


class _KeepBest(keras.callbacks.Callback):
    """Remembers the weights of the best epoch by the selection rule (earliest on ties, never NaN),
    so a study can test the search model at its best epoch without retraining."""

    def __init__(self, metric: str, mode: str):
        super().__init__()
        self.metric, self.sign = metric, (1 if mode == "min" else -1)
        self.best, self.weights = math.inf, None

    def on_epoch_end(self, epoch, logs=None):
        value = self.sign * float(logs[self.metric])
        if math.isfinite(value) and value < self.best:
            self.best, self.weights = value, self.model.get_weights()


class _Progress(keras.callbacks.Callback):
    def __init__(self, phase: str, epochs: int, report: EpochReporter):
        super().__init__()
        self.phase, self.epochs, self.report = phase, epochs, report

    def on_epoch_end(self, epoch, logs=None):
        self.report(self.phase, epoch + 1, self.epochs, dict(logs or {}))


def train(config: RunConfig, seed: int, num_classes: int, x: np.ndarray, y: np.ndarray, epochs: int,
          validation: tuple[np.ndarray, np.ndarray] | None = None, phase: str = "train",
          report: EpochReporter | None = None, keep_best: bool = False) -> tuple[keras.Model, dict[str, list[float]], list[float]]:
    """Build a fresh model from the seed and fit it; return it, its per-epoch history and epoch times.
    With keep_best, the model returned carries the weights of its best epoch by config.selection."""
    seed_everything(seed)
    model = build_model(config.model, x.shape[1], num_classes, config.loss)
    compile_model(model, config.optimizer, config.loss, num_classes, math.ceil(len(x) / config.batch_size))
    record = _EpochRecord()
    callbacks = [keras.callbacks.TerminateOnNaN(), record]
    best = _KeepBest(config.selection.metric, config.selection.mode) if keep_best else None
    if best:
        callbacks.append(best)
    if report:
        callbacks.append(_Progress(phase, epochs, report))
    history = model.fit(x, y, validation_data=validation, epochs=epochs, batch_size=config.batch_size,
                        shuffle=True, verbose=0, callbacks=callbacks)
    if best and best.weights is not None:
        model.set_weights(best.weights)
    return model, {k: [float(v) for v in vals] for k, vals in history.history.items()}, record.seconds


def evaluate(model: keras.Model, x: np.ndarray, y: np.ndarray, batch_size: int) -> dict[str, float]:
    loss, accuracy = model.evaluate(x, y, batch_size=batch_size, verbose=0)
    return {"loss": float(loss), "accuracy": float(accuracy)}
