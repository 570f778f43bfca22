"""The course's small problems, each a study kind of its own: XOR (and zero initialisation),
the learning-rate-decay demo, and the activation gallery. Each returns its metrics and figures;
the runner writes them in the usual run-folder layout."""

from __future__ import annotations

import inspect

import keras
import numpy as np
import tensorflow as tf

from . import plots
from .config import GalleryConfig, LrDecayConfig, XorConfig
from .training import seed_everything

XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
XOR_Y = np.array([0, 1, 1, 0], dtype=np.float32)
CHECKPOINTS = 100  # loss samples kept per XOR run for the curves


# --- XOR -----------------------------------------------------------------------------------------

def _initial(name: str, shape: tuple[int, ...], seeds: list[int]) -> np.ndarray:
    """One draw of a Keras initializer per repeat, each from its own seed, stacked."""
    cls = type(keras.initializers.get(name))
    takes_seed = "seed" in inspect.signature(cls.__init__).parameters
    draws = [(cls(seed=s) if takes_seed else cls())(shape) for s in seeds]
    return np.stack([keras.ops.convert_to_numpy(d) for d in draws]).astype(np.float32)


def fit_xor(config: XorConfig, seed: int) -> dict[str, np.ndarray]:
    """Train `repeats` independent 2-H-1 nets at once: the parameters carry a leading repeat axis
    and the summed loss gives each net exactly its own gradient, so one loop trains them all."""
    seed_everything(seed)
    m, h, n = config.model, config.model.units, config.repeats
    seeds = [seed * 100_000 + i for i in range(n)]
    params = [tf.Variable(_initial(m.kernel_initializer, (2, h), seeds)),
              tf.Variable(_initial(m.bias_initializer, (h,), [s + 1 for s in seeds])),
              tf.Variable(_initial(m.kernel_initializer, (h, 1), [s + 2 for s in seeds])),
              tf.Variable(_initial(m.bias_initializer, (1,), [s + 3 for s in seeds]))]
    activation = keras.activations.get(m.activation)
    x, y = tf.constant(XOR_X), tf.constant(XOR_Y)

    def forward():
        pre = tf.einsum("pi,rih->rph", x, params[0]) + params[1][:, None, :]
        out = tf.einsum("rph,rho->rpo", activation(pre), params[2])[..., 0] + params[3]
        return pre, out

    @tf.function
    def steps(count):
        losses = tf.zeros([n])
        for _ in tf.range(count):
            with tf.GradientTape() as tape:
                _, out = forward()
                losses = tf.reduce_mean((out - y) ** 2, axis=1)
                total = tf.reduce_sum(losses)
            grads = tape.gradient(total, params)
            for p, g in zip(params, grads):
                p.assign_sub(config.learning_rate * g)
        return losses

    per_chunk = max(1, config.steps // CHECKPOINTS)
    curve, at, done = [], [], 0
    while done < config.steps:
        count = min(per_chunk, config.steps - done)
        curve.append(steps(tf.constant(count)).numpy())
        done += count
        at.append(done)
    pre, out = (t.numpy() for t in forward())
    w1, b1, w2, b2 = (p.numpy() for p in params)
    return {"w1": w1, "b1": b1, "w2": w2, "b2": b2, "pre": pre, "out": out, "curve": np.array(curve),
            "steps": np.array(at), "init_seeds": np.array(seeds)}


def run_xor(config: XorConfig, seed: int) -> tuple[dict, dict]:
    f = fit_xor(config, seed)
    n = config.repeats
    solved = np.all(np.abs(f["out"] - XOR_Y) < 0.5, axis=1)
    dead = np.all(f["pre"] <= 0, axis=1)  # (repeat, unit): never active on any of the four points
    w1, b1 = f["w1"], f["b1"]
    identical = np.all(np.isclose(w1, w1[:, :, :1]), axis=(1, 2)) & np.all(np.isclose(b1, b1[:, :1]), axis=1)
    final = f["curve"][-1]
    example = int(np.argmax(solved)) if solved.any() else 0
    metrics = {
        "repeats": n, "solved": int(solved.sum()), "solved_rate": float(solved.mean()),
        "runs_with_dead_unit": int(dead.any(axis=1).sum()), "dead_unit_rate": float(dead.any(axis=1).mean()),
        "mean_dead_units": float(dead.sum(axis=1).mean()), "identical_units_rate": float(identical.mean()),
        "final_loss_median": float(np.median(final)), "final_loss_mean": float(final.mean()),
        "example": {"repeat": example, "solved": bool(solved[example]), "init_seed": int(f["init_seeds"][example]),
                    "W1": w1[example].tolist(), "b1": b1[example].tolist(), "W2": f["w2"][example][:, 0].tolist(),
                    "b2": float(f["b2"][example][0]), "predictions": f["out"][example].tolist()},
    }
    fig = plots.xor_curves(f["steps"].tolist(), f["curve"], solved, f"{config.name}: loss of {n} runs")
    return metrics, {"curves.png": fig}


# --- learning-rate decay ------------------------------------------------------------------------

def run_lr_decay(config: LrDecayConfig, seed: int) -> tuple[dict, dict]:
    """Gradient descent on (w - target)^2; each row is the course's 'After k epoch, w is ..., loss is ...'
    line: w after the step, the loss that step reduced, and the rate it used."""
    w = tf.Variable(config.w0, dtype=tf.float64)
    rows = []
    for epoch in range(config.epochs):
        rate = config.learning_rate * config.decay_rate ** epoch
        with tf.GradientTape() as tape:
            loss = (w - config.target) ** 2
        w.assign_sub(rate * tape.gradient(loss, w))
        rows.append({"epoch": epoch, "w": float(w.numpy()), "loss": float(loss.numpy()), "lr": rate})
    metrics = {"final_w": rows[-1]["w"], "final_loss": float((rows[-1]["w"] - config.target) ** 2),
               "epochs": config.epochs, "rows": rows}
    return metrics, {"curves.png": plots.lr_decay_curves({config.name: rows}, f"{config.name}")}


# --- activation gallery -------------------------------------------------------------------------

def run_gallery(config: GalleryConfig, seed: int) -> tuple[dict, dict]:
    """Each activation and its derivative, the derivative taken by automatic differentiation."""
    x = tf.constant(np.linspace(config.x_min, config.x_max, config.points), dtype=tf.float32)
    curves, table = {}, []
    for name in config.activations:
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = keras.activations.get(name)(x)
        dy = tape.gradient(y, x)
        y, dy = y.numpy(), dy.numpy()
        curves[name] = (y, dy)
        table.append({"activation": name, "min": float(y.min()), "max": float(y.max()),
                      "derivative_min": float(dy.min()), "derivative_max": float(dy.max()),
                      "derivative_at_0": float(dy[np.argmin(np.abs(x.numpy()))])})
    metrics = {"interval": [config.x_min, config.x_max], "points": config.points, "activations": table}
    return metrics, {"gallery.png": plots.activation_gallery(x.numpy(), curves, config.name)}


RUNNERS = {"xor": run_xor, "lr_decay_demo": run_lr_decay, "activation_gallery": run_gallery}
