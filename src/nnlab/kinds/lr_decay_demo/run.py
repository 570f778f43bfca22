"""An `lr_decay_demo` run: the descent, one row per epoch (TensorFlow's GradientTape)."""

from __future__ import annotations

import time
from pathlib import Path

from ... import results
from . import figures
from .schema import Config


def dataset(config: Config, data_dir: str | None) -> None:
    return None


def preflight(config: Config, data: None) -> None:
    pass


def run(study: str, variant_id: str, config: Config, seed: int, data=None, progress=None) -> results.RunOutput:
    """Gradient descent on (w - target)^2; each row is the course's 'After k epoch, w is ..., loss is ...'
    line: w after the step, the loss that step reduced, and the rate it used."""
    import keras
    import tensorflow as tf  # loaded only in the process that trains

    start_time = time.time()
    dtype = tf.float32 if config.precision == "float32" else tf.float64
    w = tf.Variable(config.w0, dtype=dtype)
    rows = []
    for epoch in range(config.epochs):
        # As Keras' and TensorFlow's ExponentialDecay compute it: rate * decay_rate ** step, in the
        # variable's precision.
        rate = tf.constant(config.learning_rate, dtype) * tf.pow(tf.constant(config.decay_rate, dtype), tf.constant(epoch, dtype))
        with tf.GradientTape() as tape:
            loss = (w - tf.constant(config.target, dtype)) ** 2
        w.assign_sub(rate * tape.gradient(loss, w))
        rows.append({"epoch": epoch, "w": float(w.numpy()), "loss": float(loss.numpy()), "lr": float(rate.numpy())})
    ex = config.framework_example  # the rate Keras' own schedule gives at each step, as the framework prints it
    schedule = keras.optimizers.schedules.ExponentialDecay(ex.learning_rate, ex.decay_steps, ex.decay_rate, staircase=ex.staircase)
    metrics = {"study": study, "variant": variant_id, "seed": seed, "status": "ok",
               "final_w": rows[-1]["w"], "final_loss": float((rows[-1]["w"] - config.target) ** 2),
               "epochs": config.epochs, "rows": rows, "framework_example": [float(schedule(step)) for step in range(ex.steps)],
               "wall_time_s": round(time.time() - start_time, 2)}
    return results.RunOutput(metrics, {}, {"curves.png": figures.lr_decay_curves({config.name: rows}, f"{config.name}")}, None)


def summarize(study_name: str, study_dir: Path, rows: list[dict], first_histories: dict) -> None:
    """summary.json, and summary.csv with the course's whole table: every epoch of every run (the
    report shows its head and tail)."""
    results.write_flat_summary(study_dir, rows)
    table = [{"variant": m["variant"], "seed": m["seed"], **row} for m in rows if m.get("rows") for row in m["rows"]]
    results.write_bytes(study_dir / "summary.csv", results.csv_bytes(table, ["variant", "seed", "epoch", "w", "loss", "lr"]))
