"""An `activation_gallery` run: each activation and its derivative, by automatic differentiation."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from ... import results
from ...spec_tables import PRELU_INITIAL_SLOPE, RRELU_SLOPES
from . import figures
from .schema import Config


def dataset(config: Config, data_dir: str | None) -> None:
    return None


def preflight(config: Config, data: None) -> None:
    pass


def run(study: str, variant_id: str, config: Config, seed: int, data=None, progress=None) -> results.RunOutput:
    """Each activation and its derivative, the derivative taken by automatic differentiation."""
    import keras  # TensorFlow loads only in the process that computes
    import tensorflow as tf

    start_time = time.time()
    x = tf.constant(np.linspace(config.x_min, config.x_max, config.points), dtype=tf.float32)
    curves, bands, table = {}, {}, []
    for name in config.activations:
        slope, label = _slope(name, config.leaky_slope)
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = keras.ops.leaky_relu(x, negative_slope=slope) if slope is not None else keras.activations.get(name)(x)
        dy = tape.gradient(y, x)
        y, dy = y.numpy(), dy.numpy()
        curves[label] = (y, dy)
        if name == "rrelu":  # where a training step's slope may put f(x): between the two bounds' lines
            bands[label] = tuple(np.where(x.numpy() < 0, bound * x.numpy(), x.numpy()) for bound in RRELU_SLOPES)
        table.append({"activation": label, "min": float(y.min()), "max": float(y.max()),
                      "derivative_min": float(dy.min()), "derivative_max": float(dy.max()),
                      "derivative_at_0": float(dy[np.argmin(np.abs(x.numpy()))])})
    metrics = {"study": study, "variant": variant_id, "seed": seed, "status": "ok",
               "interval": [config.x_min, config.x_max], "points": config.points, "activations": table,
               "wall_time_s": round(time.time() - start_time, 2)}
    return results.RunOutput(metrics, {}, {"gallery.png": figures.activation_gallery(x.numpy(), curves, config.name, bands)},
                             None)


def _slope(name: str, leaky_slope: float) -> tuple[float | None, str]:
    """(the negative slope the curve is drawn with, or None for Keras' own function; the panel's label)."""
    if name == "leaky_relu":
        return leaky_slope, f"leaky_relu (slope {leaky_slope:g})"
    if name == "prelu":
        return PRELU_INITIAL_SLOPE, f"prelu (slope {PRELU_INITIAL_SLOPE:g} at the start, learned)"
    if name == "rrelu":
        lower, upper = RRELU_SLOPES
        return (lower + upper) / 2, f"rrelu (slope {(lower + upper) / 2:.3g} at test; {lower:.3g} to {upper:.3g} in training)"
    return None, name


def summarize(study_name: str, study_dir: Path, rows: list[dict], first_histories: dict) -> None:
    results.write_flat_summary(study_dir, rows)
