"""A `backprop_example` run: the course's forward pass, each gradient by the chain rule written out
(as the course derives dE/dw5), by TensorFlow's GradientTape, and by central finite differences; then
one gradient-descent step on all eight weights (biases held, as the course's example holds them)."""

from __future__ import annotations

import math
import time
from pathlib import Path

from ... import results
from .record import WEIGHTS
from .schema import Config


def dataset(config: Config, data_dir: str | None) -> None:
    return None


def preflight(config: Config, data: None) -> None:
    pass


def sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


def forward(config: Config, w: list[float]) -> dict[str, float]:
    (i1, i2), (t1, t2), (b1, b2) = config.inputs, config.targets, config.biases
    f = {"net_h1": w[0] * i1 + w[1] * i2 + b1, "net_h2": w[2] * i1 + w[3] * i2 + b1}
    f["out_h1"], f["out_h2"] = sigmoid(f["net_h1"]), sigmoid(f["net_h2"])
    f["net_o1"] = w[4] * f["out_h1"] + w[5] * f["out_h2"] + b2
    f["net_o2"] = w[6] * f["out_h1"] + w[7] * f["out_h2"] + b2
    f["out_o1"], f["out_o2"] = sigmoid(f["net_o1"]), sigmoid(f["net_o2"])
    f["E_o1"], f["E_o2"] = 0.5 * (t1 - f["out_o1"]) ** 2, 0.5 * (t2 - f["out_o2"]) ** 2
    f["E_total"] = f["E_o1"] + f["E_o2"]
    return f


def chain_rule(config: Config, f: dict[str, float], w: list[float]) -> list[float]:
    """dE_total/dw_k written out: for an output weight, dE/dout_o * dout_o/dnet_o * dnet_o/dw; for a
    hidden weight, the sum over both outputs of their deltas times the weight into them, then the
    hidden unit's own sigmoid derivative and its input."""
    (i1, i2), (t1, t2) = config.inputs, config.targets
    delta_o1 = -(t1 - f["out_o1"]) * f["out_o1"] * (1 - f["out_o1"])  # dE/dnet_o1
    delta_o2 = -(t2 - f["out_o2"]) * f["out_o2"] * (1 - f["out_o2"])
    delta_h1 = (delta_o1 * w[4] + delta_o2 * w[6]) * f["out_h1"] * (1 - f["out_h1"])
    delta_h2 = (delta_o1 * w[5] + delta_o2 * w[7]) * f["out_h2"] * (1 - f["out_h2"])
    return [delta_h1 * i1, delta_h1 * i2, delta_h2 * i1, delta_h2 * i2,
            delta_o1 * f["out_h1"], delta_o1 * f["out_h2"], delta_o2 * f["out_h1"], delta_o2 * f["out_h2"]]


def autodiff(config: Config, w: list[float]) -> list[float]:
    import tensorflow as tf  # TensorFlow loads only in the process that computes

    weights = tf.Variable(w, dtype=tf.float64)
    i, t = tf.constant(config.inputs, tf.float64), tf.constant(config.targets, tf.float64)
    b1, b2 = config.biases
    with tf.GradientTape() as tape:
        hidden = tf.sigmoid(tf.stack([weights[0] * i[0] + weights[1] * i[1], weights[2] * i[0] + weights[3] * i[1]]) + b1)
        out = tf.sigmoid(tf.stack([weights[4] * hidden[0] + weights[5] * hidden[1],
                                   weights[6] * hidden[0] + weights[7] * hidden[1]]) + b2)
        error = tf.reduce_sum(0.5 * (t - out) ** 2)
    return tape.gradient(error, weights).numpy().tolist()


def finite_differences(config: Config, w: list[float]) -> list[float]:
    h = config.finite_difference_step
    out = []
    for k in range(len(w)):
        up, down = list(w), list(w)
        up[k] += h
        down[k] -= h
        out.append((forward(config, up)["E_total"] - forward(config, down)["E_total"]) / (2 * h))
    return out


def run(study: str, variant_id: str, config: Config, seed: int, data=None, progress=None) -> results.RunOutput:
    start_time = time.time()
    w = list(config.weights)
    f = forward(config, w)
    by = {"chain_rule": chain_rule(config, f, w), "autodiff": autodiff(config, w), "finite_difference": finite_differences(config, w)}
    gradients = {name: {method: values[k] for method, values in by.items()} for k, name in enumerate(WEIGHTS)}
    disagreement = max(abs(g["chain_rule"] - g[m]) for g in gradients.values() for m in ("autodiff", "finite_difference"))
    updated = [value - config.learning_rate * grad for value, grad in zip(w, by["chain_rule"])]
    metrics = {"study": study, "variant": variant_id, "seed": seed, "status": "ok", "forward": f, "gradients": gradients,
               "largest_disagreement": disagreement, "learning_rate": config.learning_rate,
               "updated_weights": dict(zip(WEIGHTS, updated)), "error_after_step": forward(config, updated)["E_total"],
               "wall_time_s": round(time.time() - start_time, 2)}
    return results.RunOutput(metrics, {}, {}, None)


def summarize(study_name: str, study_dir: Path, rows: list[dict], first_histories: dict) -> None:
    results.write_flat_summary(study_dir, rows)
