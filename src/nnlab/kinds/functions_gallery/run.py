"""A `functions_gallery` run: softmax, cross-entropy and relative entropy computed by Keras and by
their formulas (each checked against the other), and one sigmoid neuron trained by gradient descent
under the quadratic cost and under cross-entropy from the same badly wrong start."""

from __future__ import annotations

import math
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


def softmax_formula(z: list[float]) -> list[float]:
    top = max(z)  # shifted by the largest: the same values, no overflow
    e = [math.exp(v - top) for v in z]
    return [v / sum(e) for v in e]


def cross_entropy_formula(p: list[float], q: list[float]) -> float:
    return 0.0 - sum(a * math.log(b) for a, b in zip(p, q) if a > 0)  # 0 log 0 = 0; 0.0 - 0 is +0


def kl_formula(p: list[float], q: list[float]) -> float:
    return sum(a * math.log(a / b) for a, b in zip(p, q) if a > 0)


def slowdown(config: Config) -> dict:
    """The neuron's output, cost and dC/dw per epoch under each cost. The quadratic cost's gradient
    carries σ'(z), near 0 when the neuron is saturated and wrong; cross-entropy's is (a - y) x."""
    import tensorflow as tf  # TensorFlow loads only in the process that computes

    n = config.neuron
    out = {"epochs": n.epochs, "target": n.target, "start_output": 1 / (1 + math.exp(-(n.w * n.x + n.b)))}
    for name in ("quadratic", "cross_entropy"):
        w, b = tf.Variable(n.w, dtype=tf.float64), tf.Variable(n.b, dtype=tf.float64)
        outputs, costs, slopes = [], [], []
        for _ in range(n.epochs):
            with tf.GradientTape() as tape:
                a = tf.sigmoid(w * n.x + b)
                if name == "quadratic":
                    cost = 0.5 * (a - n.target) ** 2
                else:
                    cost = -(n.target * tf.math.log(a) + (1 - n.target) * tf.math.log(1 - a))
            dw, db = tape.gradient(cost, [w, b])
            outputs.append(float(a.numpy()))
            costs.append(float(cost.numpy()))
            slopes.append(float(dw.numpy()))
            w.assign_sub(n.learning_rate * dw)
            b.assign_sub(n.learning_rate * db)
        out[name] = {"output": outputs, "cost": costs, "dC_dw": slopes}
    return out


def run(study: str, variant_id: str, config: Config, seed: int, data=None, progress=None) -> results.RunOutput:
    import keras  # TensorFlow loads only in the process that computes

    start_time = time.time()
    softmax = []
    for z in config.softmax_inputs:
        by_keras = keras.ops.convert_to_numpy(keras.activations.softmax(np.array([z], dtype=np.float64)))[0].tolist()
        softmax.append({"z": z, "keras": by_keras, "formula": softmax_formula(z), "argmax": int(np.argmax(z))})
    entropies = []
    for d in config.distributions:
        p, q = np.array([d.p]), np.array([d.q])
        entropies.append({"p": d.p, "q": d.q,
                          "cross_entropy": float(keras.ops.convert_to_numpy(keras.losses.categorical_crossentropy(p, q))[0]),
                          "kl": float(keras.ops.convert_to_numpy(keras.losses.kl_divergence(p, q))[0]),
                          "cross_entropy_formula": cross_entropy_formula(d.p, d.q), "kl_formula": kl_formula(d.p, d.q),
                          "entropy_of_p": cross_entropy_formula(d.p, d.p)})
    demo = slowdown(config)
    metrics = {"study": study, "variant": variant_id, "seed": seed, "status": "ok", "softmax": softmax,
               "entropies": entropies, "slowdown": demo, "wall_time_s": round(time.time() - start_time, 2)}
    figure = figures.cost_slowdown(demo, f"{study}: one sigmoid neuron, quadratic cost vs cross-entropy")
    return results.RunOutput(metrics, {}, {"slowdown.png": figure}, None)


def summarize(study_name: str, study_dir: Path, rows: list[dict], first_histories: dict) -> None:
    results.write_flat_summary(study_dir, rows)
