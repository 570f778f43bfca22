"""An `activation_gallery` run: each activation and its derivative, by automatic differentiation."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from ... import results
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
    curves, table = {}, []
    for name in config.activations:
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = (keras.ops.leaky_relu(x, negative_slope=config.leaky_slope) if name == "leaky_relu"
                 else keras.activations.get(name)(x))
        dy = tape.gradient(y, x)
        y, dy = y.numpy(), dy.numpy()
        label = f"leaky_relu (slope {config.leaky_slope:g})" if name == "leaky_relu" else name
        curves[label] = (y, dy)
        table.append({"activation": label, "min": float(y.min()), "max": float(y.max()),
                      "derivative_min": float(dy.min()), "derivative_max": float(dy.max()),
                      "derivative_at_0": float(dy[np.argmin(np.abs(x.numpy()))])})
    metrics = {"study": study, "variant": variant_id, "seed": seed, "status": "ok",
               "interval": [config.x_min, config.x_max], "points": config.points, "activations": table,
               "wall_time_s": round(time.time() - start_time, 2)}
    return results.RunOutput(metrics, {}, {"gallery.png": figures.activation_gallery(x.numpy(), curves, config.name)}, None)


def summarize(study_name: str, study_dir: Path, rows: list[dict], first_histories: dict) -> None:
    results.write_flat_summary(study_dir, rows)
